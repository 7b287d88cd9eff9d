#pragma once
// A scenario file, loaded, validated and converted to internal units.
#include <memory>
#include <string>
#include <vector>

#include "csfpk/io/model_library.hpp"
#include "csfpk/run/scenario.hpp"

namespace csfpk {

// Sizes a scenario may ask for before `--force` is needed: a run keeps its whole trajectory in
// memory until it is written, and solving time grows with the grid.
struct LoadLimits {
  double max_output_bytes = 2e9;  // all drugs, sites, cells and segments at every output time
  int max_cells = 20000;          // 1D grid
  // What --force allows: only sizes that cannot be represented at all are refused.
  static LoadLimits forced() { return {1e300, kMostCells}; }
  static constexpr int kMostCells = 1000000;
};

// A scenario file parsed once, with its data files held in a ModelLibrary: the base scenario,
// and variants of it with further overrides applied to a copy of the parsed YAML, as a sweep
// needs for every run (no file is read and no library reloaded after construction). Safe to use
// from several threads.
class ScenarioTemplate {
 public:
  // InputError for the base (after `overrides`), as load_scenario.
  ScenarioTemplate(const std::string& path, const std::vector<std::string>& overrides,
                   std::shared_ptr<const ModelLibrary> library, const LoadLimits& limits = {});

  // A scenario given as text (e.g. a Python dict): `name` is what messages and results call it,
  // and relative paths in it are resolved against `folder`.
  static ScenarioTemplate from_text(const std::string& text, const std::string& name,
                                    const std::string& folder,
                                    const std::vector<std::string>& overrides,
                                    std::shared_ptr<const ModelLibrary> library,
                                    const LoadLimits& limits = {});

  const Scenario& base() const { return base_; }
  const ModelLibrary& library() const { return *library_; }
  // What load_scenario(path, overrides given here + `more`) returns, text left empty.
  Scenario with(const std::vector<std::string>& more) const;

 private:
  ScenarioTemplate(std::string text, const std::string& path, const std::string& folder,
                   const std::vector<std::string>& overrides,
                   std::shared_ptr<const ModelLibrary> library, const LoadLimits& limits);

  std::shared_ptr<const ModelLibrary> library_;
  LoadLimits limits_;
  std::string folder_;
  struct Parsed;  // the YAML tree and where it came from (yaml-cpp stays out of this header)
  std::shared_ptr<const Parsed> parsed_;
  Scenario base_;
};

// The messages the loader gives for out-of-range variability multipliers, shared with the sweep's
// direct setters so that a run fails the same way whichever path set the value.
std::string variability_range_message();
std::string variability_dispersion_message();

// Loads `path`, applying `overrides` ("pump.basal=0.4 mL/day") first. Every problem is an
// InputError naming file, line and field; sizes above `limits` are refused with their estimate.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides,
                       const std::string& models_dir, const LoadLimits& limits = {});

}  // namespace csfpk
