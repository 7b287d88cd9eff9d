#pragma once
// `csfpk verify OUT.h5`: checks a single-run result file (structure, status, provenance,
// mass-balance residuals, concentrations). main() registers it and asks it to run; an unreadable
// or structurally broken file propagates as IoError (exit 4) to main's single catch.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>

namespace csfpk::cli {

class VerifyCommand {
 public:
  virtual ~VerifyCommand() = default;
  // The exit code when `verify` was chosen (0 ok, 4 I/O or structure, 5 content), nullopt
  // otherwise.
  virtual std::optional<int> run() = 0;
};

std::unique_ptr<VerifyCommand> add_verify_command(CLI::App& app);

}  // namespace csfpk::cli
