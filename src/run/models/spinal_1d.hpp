#pragma once
// The 1D advection–dispersion model along the spinal canal, with cranial pool and cord tissue.
#include "csfpk/run/model_type.hpp"

namespace csfpk {

class Spinal1DModel final : public ModelType {
 public:
  std::string_view name() const override { return "spinal_1d"; }
  ModelInstance build(const Scenario& scenario, const Drug& drug) const override;
  // Levels, spread, cranial AUC, tip and dermatome coverage (solve/summaries.hpp).
  void summarize(const Scenario& scenario, Trajectory& trajectory) const override;
  double states_per_drug(const Scenario& scenario) const override;
};

}  // namespace csfpk
