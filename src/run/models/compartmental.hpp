#pragma once
// Compartmental CSF models (models/compartments/*.yaml): CSF regions, plasma and the sink.
#include "csfpk/run/model_type.hpp"

namespace csfpk {

class CompartmentalModel final : public ModelType {
 public:
  std::string_view name() const override { return "compartmental"; }
  ModelInstance build(const Scenario& scenario, const Drug& drug) const override;
  void summarize(const Scenario& scenario, Trajectory& trajectory) const override;
  double states_per_drug(const Scenario& scenario) const override;
};

}  // namespace csfpk
