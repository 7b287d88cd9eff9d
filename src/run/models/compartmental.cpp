// Compartmental CSF models (models/compartments/*.yaml): CSF regions, plasma and the sink.
#include "csfpk/run/model_type.hpp"

namespace csfpk {
namespace {

class CompartmentalModel final : public ModelType {
 public:
  std::string_view name() const override { return "compartmental"; }
  ModelInstance build(const Scenario& scenario, const Drug& drug) const override;
  void summarize(const Scenario& scenario, Trajectory& trajectory) const override;
  double series_per_drug(const Scenario& scenario) const override;
};

ModelInstance CompartmentalModel::build(const Scenario& scenario, const Drug& drug) const {
  ModelInstance instance{
      build_compartment_system(scenario.model, drug, scenario.catheter_compartment), {}};
  instance.axes.sites = instance.system.site_names;
  return instance;
}

void CompartmentalModel::summarize(const Scenario& /*scenario*/, Trajectory& /*trajectory*/) const {
  // Peak, mean and AUC per site are common to every model (run/site_summaries.hpp); compartments
  // have no positions to summarise along.
}

double CompartmentalModel::series_per_drug(const Scenario& scenario) const {
  return static_cast<double>(scenario.model.compartments.size()) + 1.0;  // and plasma
}

}  // namespace

const ModelType& compartmental_model_type() {
  static const CompartmentalModel model;
  return model;
}

}  // namespace csfpk
