#pragma once
// What a sweep keeps of one run: summaries per drug and site (and the 1D figures), optionally
// the concentrations resampled on a common time grid. Small and flat, so finished runs can
// queue for the writer without holding whole trajectories.
#include <cstdint>
#include <string>
#include <vector>

#include "csfpk/batch/sweep_spec.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/run/run_record.hpp"

namespace csfpk::batch {

// The axes every run of a sweep shares, taken from the base scenario without solving it.
struct SweepShape {
  std::vector<std::string> drugs;
  std::vector<std::string> sites;
  bool spinal = false;
  std::vector<std::string> levels;         // 1D only
  std::vector<std::string> segments;       // 1D only
  std::vector<double> times_h;             // time-series grid; empty without time series
  std::vector<std::string> series_levels;  // outputs.levels (1D time series at those levels)
  OutputSpec outputs;
};

SweepShape probe_shape(const Scenario& base, const OutputSpec& outputs);

struct RunResult {
  std::uint64_t run = 0;
  std::string status = "ok";  // "ok" or why the run failed
  // One entry per row of summary_variables() (run/summary_table.hpp), drug-major over the row's
  // axis; empty for rows the sweep does not hold (1D rows of a compartmental sweep).
  std::vector<std::vector<double>> summaries;
  std::vector<double> series;        // [drug][site][time] on the sweep's time grid
  std::vector<double> level_series;  // [drug][outputs.levels][time], 1D sweeps that ask for it
  double wall_s = 0.0;               // solve time, for progress and benches (not stored)
};

// NaN-filled result carrying `status`: how a failed run is recorded.
RunResult failed_result(std::uint64_t run, std::string status, const SweepShape& shape);

// Extracts the sweep's figures from a run. Throws csfpk::Error when the run's drugs, sites,
// levels or segments differ from the shape (a factor changed the model's structure).
RunResult summarize_run(std::uint64_t run, const Trajectory& trajectory, const SweepShape& shape);

}  // namespace csfpk::batch
