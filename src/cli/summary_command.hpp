#pragma once
// `csfpk summary FILE`: non-compartmental figures (Cmax, Tmax, Cmin, AUC, Cavg) over named time
// windows and the start of steady state, from the concentration series a result holds, plus the
// summaries stored with it; for a sweep file, their quantiles across the runs that finished.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>

namespace csfpk::cli {

class SummaryCommand {
 public:
  virtual ~SummaryCommand() = default;
  // The exit code when `summary` was chosen, nullopt otherwise. Errors propagate to main.
  virtual std::optional<int> run() = 0;
};

std::unique_ptr<SummaryCommand> add_summary_command(CLI::App& app);

}  // namespace csfpk::cli
