#pragma once
#include <string>

#include "csfpk/core/table.hpp"
#include "csfpk/core/units.hpp"
#include "csfpk/domain/anatomy.hpp"
#include "csfpk/io/model_library.hpp"
#include "csfpk/models/compartment_model.hpp"
#include "io/yaml_node.hpp"

namespace csfpk {

// Reads models/compartments/<name>.yaml (or any path); errors name file, line and field.
CompartmentModelSpec load_compartment_model(const std::string& path);

AnatomyFile load_anatomy(const std::string& path);

// models/physiology/<name>.yaml: CSF production, spinal absorption, injection mixing, each with
// its source.
CsfPhysiology load_physiology(const std::string& path);
// A scenario's `physiology:` mapping (same fields, values without sources).
void apply_physiology_overrides(const YamlNode& node, CsfPhysiology& physiology);

// {x: [0 cm, 10 cm, …], value: [7.2 cm^2/h, …]}: positions increasing, values of one dimension.
LinearTable read_table(const YamlNode& node, units::Dimension value_dimension);

}  // namespace csfpk
