#pragma once
// `csfpk fit SCENARIO --data OBS.csv --estimate PATH=INIT[,LOWER,UPPER] …`: estimates scenario
// parameters from observed concentrations (docs/fitting.md).
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

namespace csfpk::cli {

class FitCommand {
 public:
  virtual ~FitCommand() = default;
  // The exit code when `fit` was chosen, nullopt otherwise. Errors propagate to main.
  virtual std::optional<int> run() = 0;
};

std::unique_ptr<FitCommand> add_fit_command(CLI::App& app, std::string command_line);

}  // namespace csfpk::cli
