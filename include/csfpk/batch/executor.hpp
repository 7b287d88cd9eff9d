#pragma once
// Runs a sweep: OpenMP workers solve runs, one writer thread owns the HDF5 file.
//
//   workers (OpenMP, schedule(dynamic)) ──RunResult──▶ bounded queue ──▶ writer thread ──▶ file
//
// Debian's HDF5 is not thread-safe, so only the writer touches it; the queue's bound keeps
// memory flat however many runs there are. A run that throws is recorded (status = message,
// NaN figures) and the sweep goes on. SIGINT/SIGTERM stop handing out runs, let in-flight ones
// finish, flush, and report the signal; a second signal kills at once (the file stays
// resumable).
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "csfpk/batch/run_plan.hpp"
#include "csfpk/batch/run_result.hpp"
#include "csfpk/batch/sweep_file.hpp"
#include "csfpk/batch/sweep_spec.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/run/pipeline.hpp"

namespace csfpk::batch {

enum class ProgressStyle { kNone, kTerminal, kLines };

struct SweepOptions {
  std::string sweep_path;
  std::vector<std::string> sweep_overrides;  // --set on the sweep file
  std::string output;
  int threads = 0;  // 0: OpenMP's default
  bool resume = false;
  bool overwrite = false;
  bool force = false;  // start even above the size limit; lift the scenario's LoadLimits
  std::optional<Shard> shard;
  std::string command_line;
  std::string created_utc;
  std::string csfpk_version;
  std::string models_dir;
  // Progress on stderr: none; one line rewritten in place (a terminal); or a line per
  // `progress_interval_s` (logs, e.g. Slurm output files), each with runs done, rate and ETA.
  ProgressStyle progress = ProgressStyle::kNone;
  double progress_interval_s = 60.0;
  double size_limit_bytes = 50e9;
  std::size_t queue_capacity = 0;  // 0: 4 per thread
  double flush_interval_s = 2.0;
  std::uint64_t flush_every_runs = 1000;
};

struct SweepOutcome {
  std::uint64_t runs = 0;          // in the whole sweep
  std::uint64_t assigned = 0;      // in this shard
  std::uint64_t already_done = 0;  // found done on --resume
  std::uint64_t completed = 0;     // solved now
  std::uint64_t failed = 0;        // of those, recorded as failed
  double estimated_bytes = 0.0;
  double wall_s = 0.0;
  int signal = 0;  // the signal that stopped the sweep, 0 if none
  // Set when a sweep that was to replace an existing file (--overwrite) was stopped: the old
  // file is untouched and the runs done so far are in this file, which --resume can complete.
  std::string unfinished_replacement;
};

// A sweep file checked before any run: its spec, its base scenario, and what every run shares.
struct CheckedSweep {
  SweepSpec spec;
  std::shared_ptr<const ScenarioTemplate> base;  // parsed once; every run is a copy of it
  SweepShape shape;
  std::uint64_t runs = 0;
  double estimated_bytes = 0.0;  // whole sweep, unsharded
  // Factor values that make the base invalid (their runs will fail), one line each.
  std::vector<std::string> warnings;
};

// Makes run i's scenario from the base parsed once: factors with a direct setter (variability,
// library drug parameters) are set on a copy in memory; the others are applied to a copy of the
// parsed YAML (ScenarioTemplate::with). Either way the scenario equals load_scenario with the
// run's overrides. Safe to call from several threads.
class RunMaker {
 public:
  RunMaker(const RunPlan& plan, const ScenarioTemplate& base);
  Scenario operator()(std::uint64_t run) const;
  // Compiles run i: with only direct factors the pump program is the base's, and its delivery,
  // compiled once, is shared.
  Problem problem(std::uint64_t run) const;

 private:
  const RunPlan& plan_;
  const ScenarioTemplate& base_;
  std::vector<std::optional<std::function<bool(Scenario&, std::string_view)>>> setters_;
  std::shared_ptr<const InfusionSchedule> base_delivery_;  // null unless every factor is direct
};

// Loads the sweep file and its base scenario, and tries each factor alone on the base at its
// listed levels (or median and bounds). A factor that fails at every value tried (a misspelt
// path, a wrong unit) would make every run fail the same way: InputError at the factor's `path`
// line. One that fails at some values gives a warning per value.
CheckedSweep check_sweep(const std::string& sweep_path, const std::vector<std::string>& overrides,
                         const std::string& models_dir, const LoadLimits& limits = {});

// Prints the plan and the estimated size to `log` before starting. Throws InputError for a bad
// sweep file, IoError for file trouble (or an estimate above the limit without `force`).
SweepOutcome run_sweep(const SweepOptions& options, std::ostream& log);

// "66.3 kB", "1.2 GB": decimal units, three significant digits.
std::string human_bytes(double bytes);

// The shard from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT (and SLURM_ARRAY_TASK_MIN), if
// set; InputError if they are malformed.
std::optional<Shard> shard_from_slurm();
// Parses "i/N" (0 ≤ i < N).
Shard parse_shard(const std::string& text);

}  // namespace csfpk::batch
