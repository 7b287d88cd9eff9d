#include "csfpk/models/linear_system.hpp"

#include "csfpk/core/errors.hpp"

namespace csfpk {

InputTarget LinearSystem::input(const Route& route) const {
  switch (route.kind) {
    case RouteKind::kCatheterTip:
      return catheter_input;
    case RouteKind::kPlasma:
      return {{plasma_state}, {1.0}};
    case RouteKind::kSite:
      if (const auto it = site_inputs.find(route.site); it != site_inputs.end()) return it->second;
      break;
  }
  throw InputError("injection site '" + route.site + "' is not a site of the model");
}

Eigen::SparseMatrix<double> LinearSystem::rates_at(double tip_flow_mL_per_h,
                                                   double production_factor) const {
  if (!has_tip_flow() && !has_circadian()) return rates;
  Eigen::SparseMatrix<double> sum = rates;
  if (has_tip_flow()) sum += tip_flow_rates * tip_flow_mL_per_h;
  if (has_circadian()) sum += production_rates * (production_factor - 1.0);
  sum.makeCompressed();
  return sum;
}

int LinearSystem::add_state(std::string name, double volume) {
  state_names.push_back(std::move(name));
  volume_mL.push_back(volume);
  return size() - 1;
}

void RateMatrixBuilder::transfer(int from, int to, double per_hour) {
  if (per_hour == 0.0) return;
  entries_.emplace_back(from, from, -per_hour);
  entries_.emplace_back(to, from, per_hour);
}

Eigen::SparseMatrix<double> RateMatrixBuilder::build(int size) const {
  Eigen::SparseMatrix<double> rates(size, size);
  rates.setFromTriplets(entries_.begin(), entries_.end());
  rates.makeCompressed();
  return rates;
}

DispositionStates add_disposition_states(LinearSystem& system, const Drug& drug) {
  DispositionStates states;
  system.plasma_state = system.add_state("plasma", drug.plasma_volume_mL);
  if (drug.peripheral) {
    states.peripheral = system.add_state("plasma_peripheral", drug.peripheral->volume_mL);
  }
  system.eliminated_state = system.add_state("eliminated", 0.0);
  return states;
}

void add_disposition_transfers(RateMatrixBuilder& rates, const LinearSystem& system,
                               const Drug& drug, DispositionStates states) {
  rates.transfer(system.plasma_state, system.eliminated_state,
                 drug.plasma_clearance_mL_per_h / drug.plasma_volume_mL);
  if (states.peripheral >= 0) {
    const double q = drug.peripheral->intercompartmental_clearance_mL_per_h;
    rates.transfer(system.plasma_state, states.peripheral, q / drug.plasma_volume_mL);
    rates.transfer(states.peripheral, system.plasma_state, q / drug.peripheral->volume_mL);
  }
}

}  // namespace csfpk
