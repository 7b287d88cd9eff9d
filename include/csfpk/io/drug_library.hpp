#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "csfpk/domain/drug.hpp"

namespace csfpk {

// Every models/drugs/*.yaml, keyed by drug name.
class DrugLibrary {
 public:
  static DrugLibrary load(const std::string& models_dir);

  const Drug& get(const std::string& name) const;  // std::out_of_range if absent
  bool contains(const std::string& name) const { return drugs_.count(name) > 0; }
  std::vector<std::string> names() const;
  const std::map<std::string, Drug>& all() const { return drugs_; }
  // Every file the library was read from (drugs and their clinical rules).
  const std::vector<std::string>& files() const { return files_; }

 private:
  std::map<std::string, Drug> drugs_;
  std::vector<std::string> files_;
};

// One override given as text with its unit ("1.2e5 mL"), without YAML: true when it was
// applied; false, leaving the drug unchanged, when the name, the unit or the value would make
// apply_drug_overrides refuse it (the caller then goes through the YAML path for the message).
bool try_drug_override(Drug& drug, const std::string& name, std::string_view quantity);

}  // namespace csfpk
