#include "direct_setter.hpp"

#include <cmath>

#include "csfpk/core/units.hpp"
#include "csfpk/io/drug_library.hpp"

namespace csfpk::batch {
namespace {

std::optional<DirectSetter> variability_setter(const std::string& field, bool spinal) {
  double Variability::*member = nullptr;
  if (field == "csf_volume_factor") member = &Variability::csf_volume_factor;
  if (field == "csf_elimination_factor") member = &Variability::csf_elimination_factor;
  if (field == "dispersion_factor" && spinal) member = &Variability::dispersion_factor;
  if (member == nullptr) return std::nullopt;
  return [member](Scenario& scenario, std::string_view text) {
    double value = 0.0;
    try {
      value = units::parse_as(text, units::kDimensionless);
    } catch (const std::exception&) {
      return false;
    }
    if (!(value >= Variability::kLeast && value <= Variability::kMost)) return false;
    scenario.variability.*member = value;
    return true;
  };
}

}  // namespace

std::optional<DirectSetter> direct_setter(const Factor& factor, const ScenarioTemplate& base) {
  if (!factor.numeric()) return std::nullopt;
  const std::string& path = factor.path;
  const auto first_dot = path.find('.');
  if (first_dot == std::string::npos) return std::nullopt;
  const std::string head = path.substr(0, first_dot);
  const std::string rest = path.substr(first_dot + 1);
  if (head == "variability" && rest.find('.') == std::string::npos) {
    return variability_setter(rest, base.base().spinal.has_value());
  }
  if (head == "drugs") {
    const auto dot = rest.find('.');
    if (dot == std::string::npos) return std::nullopt;
    const std::string drug = rest.substr(0, dot);
    const std::string parameter = rest.substr(dot + 1);
    // Only library drugs delivered by the base: inline and file-defined drugs keep their own
    // YAML rules, and a drug the base does not deliver is an error the YAML path explains.
    if (!base.library().drugs().contains(drug) || base.base().drugs.count(drug) == 0) {
      return std::nullopt;
    }
    if (parameter.find('.') != std::string::npos) return std::nullopt;
    return [drug, parameter](Scenario& scenario, std::string_view text) {
      return try_drug_override(scenario.drugs.at(drug), parameter, text);
    };
  }
  return std::nullopt;
}

}  // namespace csfpk::batch
