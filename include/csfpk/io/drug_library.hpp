#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "csfpk/domain/drug.hpp"
#include "csfpk/io/yaml_node.hpp"

namespace csfpk {

// Every models/drugs/*.yaml, keyed by drug name.
class DrugLibrary {
 public:
  static DrugLibrary load(const std::string& models_dir);

  const Drug& get(const std::string& name) const;  // std::out_of_range if absent
  bool contains(const std::string& name) const { return drugs_.count(name) > 0; }
  std::vector<std::string> names() const;
  const std::map<std::string, Drug>& all() const { return drugs_; }

 private:
  std::map<std::string, Drug> drugs_;
};

// Reads one drug file; used by the library and by tests.
Drug parse_drug(const YamlNode& root);

// A drug defined in a scenario (a tracer, a new compound): the same fields as a drug file's
// parameters, values with units and no sources; the required ones must all be given.
Drug parse_inline_drug(const std::string& name, const YamlNode& values);

// Applies a scenario's `drugs.<name>` overrides (same field names as the drug files, values
// without sources).
void apply_drug_overrides(Drug& drug, const YamlNode& overrides);

// One override given as text with its unit ("1.2e5 mL"), without YAML: true when it was
// applied; false, leaving the drug unchanged, when the name, the unit or the value would make
// apply_drug_overrides refuse it (the caller then goes through the YAML path for the message).
bool try_drug_override(Drug& drug, const std::string& name, std::string_view quantity);

}  // namespace csfpk
