#include "compartmental.hpp"

namespace csfpk {

ModelInstance CompartmentalModel::build(const Scenario& scenario, const Drug& drug) const {
  ModelInstance instance{
      build_compartment_system(scenario.model, drug, scenario.catheter_compartment), {}};
  instance.axes.sites = instance.system.site_names;
  return instance;
}

void CompartmentalModel::summarize(const Scenario& /*scenario*/, Trajectory& /*trajectory*/) const {
  // Peak, mean and AUC per site are common to every model (run/summaries.hpp); compartments
  // have no positions to summarise along.
}

double CompartmentalModel::states_per_drug(const Scenario& scenario) const {
  return static_cast<double>(scenario.model.compartments.size()) + 3.0;
}

}  // namespace csfpk
