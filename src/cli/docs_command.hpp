#pragma once
// `csfpk generate-docs man|bash -o FILE` (hidden): the man page and the bash completion script,
// written from the command line's own definition at build time, so they list exactly the
// commands and options this build has.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>

namespace csfpk::cli {

class DocsCommand {
 public:
  virtual ~DocsCommand() = default;
  virtual std::optional<int> run() = 0;
};

std::unique_ptr<DocsCommand> add_docs_command(CLI::App& app);

// The commands a user can run (the hidden generator left out).
std::vector<const CLI::App*> visible_commands(const CLI::App& app);

}  // namespace csfpk::cli
