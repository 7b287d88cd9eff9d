#pragma once
#include <string>

#include "csfpk/models/compartment_model.hpp"

namespace csfpk {

// Reads models/compartments/<name>.yaml (or any path); errors name file, line and field.
CompartmentModelSpec load_compartment_model(const std::string& path);

}  // namespace csfpk
