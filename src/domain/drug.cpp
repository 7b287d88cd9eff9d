#include "csfpk/domain/drug.hpp"

#include <sstream>

namespace csfpk {

std::vector<std::string> consensus_warnings(const std::map<std::string, Drug>& drugs,
                                            const Blend& blend, double daily_volume_mL) {
  std::vector<std::string> warnings;
  for (const auto& [name, concentration] : blend) {
    const auto it = drugs.find(name);
    if (it == drugs.end()) continue;
    const Drug& drug = it->second;
    if (drug.max_concentration_ug_per_mL && concentration > *drug.max_concentration_ug_per_mL) {
      std::ostringstream out;
      out << name << ": reservoir concentration " << concentration / 1000.0
          << " mg/mL is above the consensus maximum " << *drug.max_concentration_ug_per_mL / 1000.0
          << " mg/mL";
      warnings.push_back(out.str());
    }
    const double daily_dose = concentration * daily_volume_mL;
    if (drug.max_daily_dose_ug && daily_dose > *drug.max_daily_dose_ug) {
      std::ostringstream out;
      out << name << ": programmed daily dose " << daily_dose / 1000.0
          << " mg/day is above the consensus maximum " << *drug.max_daily_dose_ug / 1000.0
          << " mg/day";
      warnings.push_back(out.str());
    }
  }
  return warnings;
}

}  // namespace csfpk
