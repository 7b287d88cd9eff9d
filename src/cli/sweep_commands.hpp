#pragma once
// The sweep family of subcommands: sweep, merge, sobol, sweep-info. main() registers them and
// asks them to run; errors propagate as csfpk exceptions to main's single catch.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

namespace csfpk::cli {

class SweepCommands {
 public:
  virtual ~SweepCommands() = default;
  // The exit code when one of these subcommands was chosen, nullopt otherwise. sweep returns
  // 128 + signal when SIGINT/SIGTERM stopped it (130, 143).
  virtual std::optional<int> run() = 0;
};

// Adds the subcommands to `app`; the returned object owns their option values and must outlive
// app.parse(). `command_line` is recorded in result files.
std::unique_ptr<SweepCommands> add_sweep_commands(CLI::App& app, std::string command_line);

}  // namespace csfpk::cli
