#pragma once
// A scenario file, loaded, validated and converted to internal units.
#include <map>
#include <string>
#include <vector>

#include "csfpk/domain/drug.hpp"
#include "csfpk/domain/pump_program.hpp"
#include "csfpk/models/compartment_model.hpp"
#include "csfpk/solve/solver_options.hpp"

namespace csfpk {

struct Scenario {
  std::string name;
  std::string description;
  std::string file;
  std::string text;  // the YAML after --set overrides, for provenance
  double duration_h = 0.0;
  CompartmentModelSpec model;
  std::string catheter_compartment;
  std::map<std::string, Drug> drugs;  // every drug delivered, with scenario overrides applied
  PumpProgram program;
  std::vector<double> output_times_h;
  SolverOptions solver;
};

// Loads `path`, applying `overrides` ("pump.basal=0.4 mL/day") first. Every problem is an
// InputError naming file, line and field.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides,
                       const std::string& models_dir);

}  // namespace csfpk
