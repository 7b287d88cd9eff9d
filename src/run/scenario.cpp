#include "csfpk/run/scenario.hpp"

#include <cmath>

namespace csfpk {

Scenario apply_variability(Scenario s) {
  const Variability v = s.variability;
  s.variability = Variability{};
  for (auto& c : s.model.compartments) {
    c.volume_mL *= v.csf_volume_factor;
    // As the 1D perimeter of a cross-section scaled by the volume factor.
    c.meningeal_area_cm2 *= std::sqrt(v.csf_volume_factor);
  }
  for (auto& loss : s.model.losses) {
    if (loss.rate_per_h) *loss.rate_per_h *= v.csf_elimination_factor;
  }
  for (auto& [name, drug] : s.drugs) {
    if (drug.csf_elimination_rate_per_h)
      *drug.csf_elimination_rate_per_h *= v.csf_elimination_factor;
    drug.meningeal_permeability_cm_per_h *= v.csf_elimination_factor;
  }
  if (s.spinal) {
    if (s.spinal->uptake_per_h) *s.spinal->uptake_per_h *= v.csf_elimination_factor;
    s.spinal->pool_volume_mL *= v.csf_volume_factor;
    const auto& xs = s.spinal->anatomy.csf_area_cm2.xs();
    std::vector<double> areas = s.spinal->anatomy.csf_area_cm2.ys();
    for (double& a : areas) a *= v.csf_volume_factor;
    s.spinal->anatomy.csf_area_cm2 = LinearTable(xs, areas);
    if (auto* table = std::get_if<DispersionTable>(&s.spinal->dispersion)) {
      table->scale *= v.dispersion_factor;
    } else {
      std::get<OscillationLaw>(s.spinal->dispersion).scale *= v.dispersion_factor;
    }
  }
  return s;
}

InfusionSchedule delivery_schedule(const Scenario& scenario) {
  return scenario.dosing ? schedule_from_events(*scenario.dosing, scenario.duration_h)
                         : compile_schedule(scenario.program, scenario.duration_h);
}

}  // namespace csfpk
