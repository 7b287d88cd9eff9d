// The registry of model types: the one place that maps a scenario to its model. A new model type
// is one file in src/run/models/ defining its ModelType and a function returning it, declared and
// dispatched to here.
#include "csfpk/run/model_type.hpp"

namespace csfpk {

const ModelType& compartmental_model_type();  // src/run/models/compartmental.cpp
const ModelType& spinal_1d_model_type();      // src/run/models/spinal_1d.cpp

const ModelType& model_type(const Scenario& scenario) {
  if (scenario.spinal) return spinal_1d_model_type();
  return compartmental_model_type();
}

}  // namespace csfpk
