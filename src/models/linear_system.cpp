#include "csfpk/models/linear_system.hpp"

#include "csfpk/core/errors.hpp"

namespace csfpk {

InputTarget LinearSystem::input(const Route& route) const {
  switch (route.kind) {
    case RouteKind::kCatheterTip:
      return catheter_input;
    case RouteKind::kPlasma:
      return {{plasma_state}, {1.0}};
    case RouteKind::kSubcutaneous:
      if (subcutaneous_state >= 0) return {{subcutaneous_state}, {1.0}};
      throw InputError("a pocket fill puts " + drug +
                       " under the skin, but the drug has no subcutaneous_absorption_rate: give "
                       "one (1/h) under drugs." +
                       drug);
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
  if (drug.epidural_depot) states.epidural_depot = system.add_state("epidural_depot", 0.0);
  if (drug.subcutaneous_absorption_per_h) {
    system.subcutaneous_state = system.add_state("subcutaneous_depot", 0.0);
  }
  system.eliminated_state = system.add_state("eliminated", 0.0);
  return states;
}

void add_meningeal_loss(RateMatrixBuilder& rates, const LinearSystem& system, const Drug& drug,
                        DispositionStates states, int from, double per_hour) {
  const double held = states.epidural_depot >= 0 ? drug.epidural_depot->retained_fraction : 0.0;
  rates.transfer(from, system.plasma_state, (1.0 - held) * per_hour);
  if (held > 0.0) rates.transfer(from, states.epidural_depot, held * per_hour);
}

void add_disposition_transfers(RateMatrixBuilder& rates, const LinearSystem& system,
                               const Drug& drug, DispositionStates states) {
  rates.transfer(system.plasma_state, system.eliminated_state,
                 drug.plasma_clearance_mL_per_h / drug.plasma_volume_mL);
  if (states.epidural_depot >= 0) {
    rates.transfer(states.epidural_depot, system.plasma_state, drug.epidural_depot->release_per_h);
  }
  if (system.subcutaneous_state >= 0) {
    rates.transfer(system.subcutaneous_state, system.plasma_state,
                   *drug.subcutaneous_absorption_per_h);
  }
  if (states.peripheral >= 0) {
    const double q = drug.peripheral->intercompartmental_clearance_mL_per_h;
    rates.transfer(system.plasma_state, states.peripheral, q / drug.plasma_volume_mL);
    rates.transfer(states.peripheral, system.plasma_state, q / drug.peripheral->volume_mL);
  }
}

}  // namespace csfpk
