#include "csfpk/io/drug_library.hpp"

#include <algorithm>
#include <filesystem>

#include "csfpk/core/errors.hpp"

namespace csfpk {
namespace {

const std::vector<std::string> kParameterNames{
    "meningeal_permeability", "plasma_volume",        "plasma_clearance",
    "peripheral_volume",      "peripheral_clearance", "molecular_diffusivity",
    "max_concentration",      "max_daily_dose",       "cord_permeability",
    "cord_partition",         "cord_clearance",       "effective_concentration",
    "csf_elimination_rate"};

// What a drug needs before any model can use it.
const std::vector<std::string> kRequiredParameters{"meningeal_permeability", "plasma_volume",
                                                   "plasma_clearance", "molecular_diffusivity"};

// Sets one named parameter from a quantity node.
void set_parameter(Drug& drug, const std::string& name, const YamlNode& value) {
  using namespace units;
  if (name == "csf_elimination_rate") {
    drug.csf_elimination_rate_per_h = value.non_negative_quantity(kRateConstant);
  } else if (name == "meningeal_permeability") {
    drug.meningeal_permeability_cm_per_h = value.non_negative_quantity(kVelocity);
  } else if (name == "plasma_volume") {
    drug.plasma_volume_mL = value.positive_quantity(kVolume);
  } else if (name == "plasma_clearance") {
    drug.plasma_clearance_mL_per_h = value.non_negative_quantity(kVolumeRate);
  } else if (name == "peripheral_volume") {
    if (!drug.peripheral) drug.peripheral.emplace();
    drug.peripheral->volume_mL = value.positive_quantity(kVolume);
  } else if (name == "peripheral_clearance") {
    if (!drug.peripheral) drug.peripheral.emplace();
    drug.peripheral->intercompartmental_clearance_mL_per_h =
        value.non_negative_quantity(kVolumeRate);
  } else if (name == "molecular_diffusivity") {
    drug.molecular_diffusivity_cm2_per_h = value.positive_quantity(kDiffusivity);
  } else if (name == "max_concentration") {
    drug.max_concentration_ug_per_mL = value.positive_quantity(kConcentration);
  } else if (name == "max_daily_dose") {
    drug.max_daily_dose_ug = value.positive_quantity(kMassRate) * 24.0;
  } else if (name == "cord_permeability") {
    drug.cord_permeability_cm_per_h = value.non_negative_quantity(kVelocity);
  } else if (name == "cord_partition") {
    drug.cord_partition = value.positive_quantity(kDimensionless);
  } else if (name == "cord_clearance") {
    drug.cord_clearance_per_h = value.non_negative_quantity(kRateConstant);
  } else if (name == "effective_concentration") {
    drug.effective_concentration_ug_per_mL = value.positive_quantity(kConcentration);
  }
}

void check_complete(const Drug& drug, const YamlNode& where) {
  if (drug.plasma_volume_mL <= 0.0) where.fail("drug '" + drug.name + "' needs plasma_volume");
  if (drug.peripheral && (drug.peripheral->volume_mL <= 0.0)) {
    where.fail("drug '" + drug.name + "': peripheral_clearance needs peripheral_volume");
  }
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

DrugLibrary DrugLibrary::load(const std::string& models_dir) {
  namespace fs = std::filesystem;
  DrugLibrary library;
  const fs::path folder = fs::path(models_dir) / "drugs";
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw InputError(folder.string(), 0, "",
                     "drug library folder not found (set CSFPK_MODELS_DIR)");
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    const YamlNode root = YamlNode::load_file(file.string());
    Drug drug = parse_drug(root);
    if (file.stem().string() != drug.name) {
      root.at("name").fail("must match the file name '" + file.stem().string() + "'");
    }
    library.drugs_.emplace(drug.name, std::move(drug));
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
