// The registry of model types: the one place that maps a scenario to its model.
#include "csfpk/run/model_type.hpp"
#include "models/compartmental.hpp"
#include "models/spinal_1d.hpp"

namespace csfpk {

const ModelType& model_type(const Scenario& scenario) {
  static const CompartmentalModel compartmental;
  static const Spinal1DModel spinal;
  if (scenario.spinal) return spinal;
  return compartmental;
}

}  // namespace csfpk
