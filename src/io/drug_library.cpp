#include "csfpk/io/drug_library.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "csfpk/core/errors.hpp"
#include "io/clinical_library.hpp"
#include "io/drug_parsing.hpp"

namespace csfpk {
namespace {

const std::vector<std::string> kParameterNames{
    "meningeal_permeability", "plasma_volume",
    "plasma_clearance",       "peripheral_volume",
    "peripheral_clearance",   "molecular_diffusivity",
    "cord_permeability",      "cord_partition",
    "cord_clearance",         "effective_concentration",
    "csf_elimination_rate",   "epidural_retained_fraction",
    "epidural_release_rate",  "subcutaneous_absorption_rate"};

// What a drug needs before any model can use it.
const std::vector<std::string> kRequiredParameters{"meningeal_permeability", "plasma_volume",
                                                   "plasma_clearance", "molecular_diffusivity"};

// How each parameter is read: its dimension, whether zero is allowed, and where it goes.
struct ParameterRule {
  const char* name;
  units::Dimension dimension;
  bool zero_allowed;
  void (*assign)(Drug&, double);
};

const std::vector<ParameterRule>& parameter_rules() {
  using namespace units;
  static const std::vector<ParameterRule> rules{
      {"csf_elimination_rate", kRateConstant, true,
       [](Drug& d, double v) { d.csf_elimination_rate_per_h = v; }},
      {"meningeal_permeability", kVelocity, true,
       [](Drug& d, double v) { d.meningeal_permeability_cm_per_h = v; }},
      {"plasma_volume", kVolume, false, [](Drug& d, double v) { d.plasma_volume_mL = v; }},
      {"plasma_clearance", kVolumeRate, true,
       [](Drug& d, double v) { d.plasma_clearance_mL_per_h = v; }},
      {"peripheral_volume", kVolume, false,
       [](Drug& d, double v) {
         if (!d.peripheral) d.peripheral.emplace();
         d.peripheral->volume_mL = v;
       }},
      {"peripheral_clearance", kVolumeRate, true,
       [](Drug& d, double v) {
         if (!d.peripheral) d.peripheral.emplace();
         d.peripheral->intercompartmental_clearance_mL_per_h = v;
       }},
      {"molecular_diffusivity", kDiffusivity, false,
       [](Drug& d, double v) { d.molecular_diffusivity_cm2_per_h = v; }},
      {"cord_permeability", kVelocity, true,
       [](Drug& d, double v) { d.cord_permeability_cm_per_h = v; }},
      {"cord_partition", kDimensionless, false, [](Drug& d, double v) { d.cord_partition = v; }},
      {"cord_clearance", kRateConstant, true,
       [](Drug& d, double v) { d.cord_clearance_per_h = v; }},
      {"epidural_retained_fraction", kDimensionless, true,
       [](Drug& d, double v) {
         if (!d.epidural_depot) d.epidural_depot.emplace();
         d.epidural_depot->retained_fraction = v;
       }},
      {"epidural_release_rate", kRateConstant, false,
       [](Drug& d, double v) {
         if (!d.epidural_depot) d.epidural_depot.emplace();
         d.epidural_depot->release_per_h = v;
       }},
      {"subcutaneous_absorption_rate", kRateConstant, false,
       [](Drug& d, double v) { d.subcutaneous_absorption_per_h = v; }},
      {"effective_concentration", kConcentration, false,
       [](Drug& d, double v) { d.effective_concentration_ug_per_mL = v; }},
  };
  return rules;
}

const ParameterRule* rule_for(const std::string& name) {
  for (const ParameterRule& rule : parameter_rules()) {
    if (name == rule.name) return &rule;
  }
  return nullptr;
}

// Sets one named parameter from a quantity node.
void set_parameter(Drug& drug, const std::string& name, const YamlNode& value) {
  const ParameterRule* rule = rule_for(name);
  if (rule == nullptr) return;
  rule->assign(drug, rule->zero_allowed ? value.non_negative_quantity(rule->dimension)
                                        : value.positive_quantity(rule->dimension));
}

void check_complete(const Drug& drug, const YamlNode& where) {
  if (drug.plasma_volume_mL <= 0.0) where.fail("drug '" + drug.name + "' needs plasma_volume");
  if (drug.peripheral && (drug.peripheral->volume_mL <= 0.0)) {
    where.fail("drug '" + drug.name + "': peripheral_clearance needs peripheral_volume");
  }
  if (drug.epidural_depot) {
    if (!(drug.epidural_depot->release_per_h > 0.0)) {
      where.fail("drug '" + drug.name +
                 "': epidural_retained_fraction needs epidural_release_rate (1/h)");
    }
    if (drug.epidural_depot->retained_fraction > 1.0) {
      where.fail("drug '" + drug.name + "': epidural_retained_fraction must be 0 to 1, got " +
                 std::to_string(drug.epidural_depot->retained_fraction));
    }
  }
}

// The .yaml files of a folder, sorted so that the library reads them in a fixed order.
std::vector<std::filesystem::path> yaml_files_in(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void require_parameters(const Drug& drug, const YamlNode& where) {
  std::vector<std::string> missing;
  for (const auto& required : kRequiredParameters) {
    if (drug.sources.count(required) == 0) missing.push_back(required);
  }
  if (missing.empty()) return;
  std::string list;
  for (const auto& name : missing) list += (list.empty() ? "'" : ", '") + name + "'";
  where.fail("drug '" + drug.name + "' lacks the parameter" + (missing.size() > 1 ? "s " : " ") +
             list);
}

}  // namespace

Drug parse_drug(const YamlNode& root) {
  root.allow_only({"name", "description", "parameters"});
  Drug drug;
  drug.name = root.at("name").text();
  if (const auto d = root.find("description")) drug.description = d->text();
  const YamlNode parameters = root.at("parameters");
  parameters.allow_only(kParameterNames);
  for (const auto& [name, entry] : parameters.entries()) {
    entry.allow_only({"value", "source"});
    set_parameter(drug, name, entry.at("value"));
    drug.sources[name] = entry.at("source").text();
  }
  require_parameters(drug, parameters);
  check_complete(drug, parameters);
  return drug;
}

Drug parse_inline_drug(const std::string& name, const YamlNode& values) {
  values.allow_only([] {
    std::vector<std::string> keys = kParameterNames;
    keys.emplace_back("description");
    return keys;
  }());
  Drug drug;
  drug.name = name;
  if (const auto d = values.find("description")) drug.description = d->text();
  for (const auto& [key, value] : values.entries()) {
    if (key == "description") continue;
    set_parameter(drug, key, value);
    drug.sources[key] = "defined in the scenario";
  }
  require_parameters(drug, values);
  check_complete(drug, values);
  return drug;
}

void apply_drug_overrides(Drug& drug, const YamlNode& overrides) {
  overrides.allow_only(kParameterNames);
  for (const auto& [name, value] : overrides.entries()) {
    set_parameter(drug, name, value);
    drug.sources[name] = "scenario override";
  }
  check_complete(drug, overrides);
}

bool try_drug_override(Drug& drug, const std::string& name, std::string_view quantity) {
  const ParameterRule* rule = rule_for(name);
  if (rule == nullptr) return false;
  double value = 0.0;
  try {
    value = units::parse_as(quantity, rule->dimension);
  } catch (const std::exception&) {
    return false;
  }
  if (!std::isfinite(value) || value < 0.0 || (value == 0.0 && !rule->zero_allowed)) return false;
  Drug changed = drug;
  rule->assign(changed, value);
  if (changed.peripheral && changed.peripheral->volume_mL <= 0.0) return false;
  changed.sources[name] = "scenario override";
  drug = std::move(changed);
  return true;
}

DrugLibrary DrugLibrary::load(const std::string& models_dir) {
  namespace fs = std::filesystem;
  DrugLibrary library;
  const fs::path folder = fs::path(models_dir) / "drugs";
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw InputError(folder.string(), 0, "",
                     "drug library folder not found (set CSFPK_MODELS_DIR)");
  }
  for (const auto& file : yaml_files_in(folder)) {
    const YamlNode root = YamlNode::load_file(file.string());
    Drug drug = parse_drug(root);
    if (file.stem().string() != drug.name) {
      root.at("name").fail("must match the file name '" + file.stem().string() + "'");
    }
    library.drugs_.emplace(drug.name, std::move(drug));
    library.files_.push_back(file.string());
  }
  // Clinical rules (limits, titration, stability) of library drugs, from models/clinical/.
  const fs::path clinical = fs::path(models_dir) / "clinical";
  if (fs::is_directory(clinical, ec)) {
    for (const auto& file : yaml_files_in(clinical)) {
      const YamlNode root = YamlNode::load_file(file.string());
      ClinicalRules rules = parse_clinical_rules(root);
      if (file.stem().string() != rules.drug) {
        root.at("drug").fail("must match the file name '" + file.stem().string() + "'");
      }
      const auto drug = library.drugs_.find(rules.drug);
      if (drug == library.drugs_.end()) {
        root.at("drug").fail("no drug '" + rules.drug + "' in " + folder.string());
      }
      drug->second.clinical = std::move(rules);
      library.files_.push_back(file.string());
    }
  }
  return library;
}

const Drug& DrugLibrary::get(const std::string& name) const {
  return drugs_.at(name);
}

std::vector<std::string> DrugLibrary::names() const {
  std::vector<std::string> out;
  for (const auto& entry : drugs_) out.push_back(entry.first);
  return out;
}

}  // namespace csfpk
