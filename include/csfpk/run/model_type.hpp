#pragma once
// What the run pipeline needs from a model type, in one interface: build one drug's system,
// name the output axes it produces, and compute the model's own summaries. Each model type is
// one class in src/run/models/, registered in src/run/model_types.cpp; nothing else in the
// pipeline, the writers or the sweeps asks which model a scenario uses.
#include <string_view>

#include "csfpk/models/linear_system.hpp"
#include "csfpk/run/scenario.hpp"
#include "csfpk/solve/trajectory.hpp"

namespace csfpk {

// One drug's system and the output axes its trajectory carries (a Trajectory without drugs:
// sites, and for the 1D model positions, levels, cord segments and the catheter tip).
struct ModelInstance {
  LinearSystem system;
  Trajectory axes;
};

class ModelType {
 public:
  virtual ~ModelType() = default;
  virtual std::string_view name() const = 0;
  // `scenario` has its variability applied (apply_variability). Throws InputError.
  virtual ModelInstance build(const Scenario& scenario, const Drug& drug) const = 0;
  // Fills each drug's model-specific summaries once every drug is solved.
  virtual void summarize(const Scenario& scenario, Trajectory& trajectory) const = 0;
  // Output series per drug (sites, CSF cells, tissue segments) at each output time, for size
  // estimates before anything is built.
  virtual double series_per_drug(const Scenario& scenario) const = 0;
};

// The model type a scenario uses.
const ModelType& model_type(const Scenario& scenario);

}  // namespace csfpk
