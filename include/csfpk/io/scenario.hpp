#pragma once
// A scenario file, loaded, validated and converted to internal units.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "csfpk/domain/drug.hpp"
#include "csfpk/domain/pump_program.hpp"
#include "csfpk/models/compartment_model.hpp"
#include "csfpk/models/spinal_1d.hpp"
#include "csfpk/solve/solver_options.hpp"

namespace csfpk {

struct Scenario {
  std::string name;
  std::string description;
  std::string file;
  std::string text;  // the YAML after --set overrides, for provenance
  double duration_h = 0.0;
  // Exactly one model: compartmental (`model`, fed at `catheter_compartment`) or the 1D spinal
  // model (`spinal`, fed at `catheter_tip_cm`).
  CompartmentModelSpec model;
  std::string catheter_compartment;
  std::optional<Spinal1DSpec> spinal;
  double catheter_tip_cm = 0.0;
  std::optional<double> spread_threshold_ug_per_mL;
  std::map<std::string, Drug> drugs;  // every drug delivered, with scenario overrides applied
  PumpProgram program;
  std::vector<double> output_times_h;
  SolverOptions solver;
};

// Sizes a scenario may ask for before `--force` is needed: a run keeps its whole trajectory in
// memory until it is written, and solving time grows with the grid.
struct LoadLimits {
  double max_output_bytes = 2e9;  // all drugs, sites, cells and segments at every output time
  int max_cells = 20000;          // 1D grid
  // What --force allows: only sizes that cannot be represented at all are refused.
  static LoadLimits forced() { return {1e300, kMostCells}; }
  static constexpr int kMostCells = 1000000;
};

// Loads `path`, applying `overrides` ("pump.basal=0.4 mL/day") first. Every problem is an
// InputError naming file, line and field; sizes above `limits` are refused with their estimate.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides,
                       const std::string& models_dir, const LoadLimits& limits = {});

}  // namespace csfpk
