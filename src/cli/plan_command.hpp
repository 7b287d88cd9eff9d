#pragma once
// `csfpk plan refill|fill|titration|trial`: the clinic's planning questions, answered from the
// pump program, the device profiles (models/devices/) and the drug rules (models/clinical/).
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>

namespace csfpk::cli {

class PlanCommand {
 public:
  virtual ~PlanCommand() = default;
  // The exit code when `plan` was chosen, nullopt otherwise.
  virtual std::optional<int> run() = 0;
};

std::unique_ptr<PlanCommand> add_plan_command(CLI::App& app);

}  // namespace csfpk::cli
