#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "csfpk/core/errors.hpp"
#include "csfpk/io/output_file.hpp"

using namespace csfpk;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

fs::path scratch_folder(const std::string& name) {
  const fs::path dir = fs::path(CSFPK_BINARY_DIR) / "test_output" / "output_file" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Writes `text` to a new temporary of the claim and commits it.
void replace_with(OutputClaim& claim, const std::string& text) {
  const std::string temporary = claim.create_temporary();
  write_text(temporary, text);
  claim.commit(temporary);
}

std::size_t entries(const fs::path& dir) {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("an output claim replaces the file only on commit and leaves nothing behind", "[io]") {
  const fs::path dir = scratch_folder("commit");
  const fs::path out = dir / "out.txt";
  write_text(out, "old");
  {
    OutputClaim claim = OutputClaim::acquire({.path = out.string(), .overwrite = true});
    CHECK(claim.existed());
    CHECK(fs::exists(out.string() + ".lock"));
    const std::string temporary = claim.create_temporary();
    write_text(temporary, "new");
    CHECK(read_text(out) == "old");
    claim.commit(temporary);
    CHECK(read_text(out) == "new");
    CHECK_FALSE(fs::exists(temporary));
  }
  CHECK(entries(dir) == 1);
  {
    OutputClaim claim = OutputClaim::acquire({.path = out.string(), .overwrite = true});
    write_text(claim.create_temporary(), "abandoned");
  }
  CHECK(read_text(out) == "new");
  CHECK(entries(dir) == 1);
}

TEST_CASE("an output claim refuses what it must not replace", "[io]") {
  const fs::path dir = scratch_folder("refusals");
  const fs::path out = dir / "out.txt";
  write_text(out, "old");
  CHECK_THROWS_WITH(OutputClaim::acquire({.path = out.string(), .what = "CSV file"}),
                    Contains("out.txt: the CSV file exists; pass --overwrite to replace it"));
  CHECK_THROWS_WITH(
      OutputClaim::acquire({.path = out.string(),
                            .overwrite = true,
                            .inputs = {{(dir / "." / "out.txt").string(), "scenario"}}}),
      Contains("is the scenario this command reads; choose another output"));
  CHECK_THROWS_WITH(OutputClaim::acquire({.path = dir.string(), .overwrite = true}),
                    Contains("is a folder"));
  CHECK_THROWS_WITH(OutputClaim::acquire({.path = (dir / "missing" / "x").string()}),
                    Contains("does not exist"));
  CHECK_THROWS_WITH(OutputClaim::acquire({.path = ""}), Contains("name is empty"));
  CHECK(read_text(out) == "old");
  CHECK(entries(dir) == 1);
}

TEST_CASE("a second claim on one output fails at once, and works once the first ends", "[io]") {
  const fs::path dir = scratch_folder("lock");
  const std::string out = (dir / "out.h5").string();
  std::optional<OutputClaim> first = OutputClaim::acquire({.path = out});
  CHECK_THROWS_WITH(OutputClaim::acquire({.path = out, .overwrite = true}),
                    Contains("another csfpk process is writing this file"));
  first.reset();
  CHECK_FALSE(fs::exists(out + ".lock"));
  CHECK_NOTHROW(OutputClaim::acquire({.path = out}));
}

TEST_CASE("a lock file left by a killed process is reused", "[io]") {
  const fs::path dir = scratch_folder("stale_lock");
  const std::string out = (dir / "out.h5").string();
  write_text(out + ".lock", "");
  OutputClaim claim = OutputClaim::acquire({.path = out});
  replace_with(claim, "done");
  CHECK(read_text(out) == "done");
}

TEST_CASE("planted symlinks are never written through", "[io]") {
  const fs::path dir = scratch_folder("symlinks");
  const fs::path victim = dir / "victim.txt";
  write_text(victim, "precious");
  const fs::path out = dir / "out.txt";

  SECTION("at the lock name") {
    fs::create_symlink(victim, out.string() + ".lock");
    CHECK_THROWS_WITH(OutputClaim::acquire({.path = out.string()}), Contains("is a symbolic link"));
  }
  SECTION("at the output name: the link is replaced, its target is not") {
    fs::create_symlink(victim, out);
    OutputClaim claim = OutputClaim::acquire({.path = out.string(), .overwrite = true});
    replace_with(claim, "new");
    CHECK_FALSE(fs::is_symlink(out));
    CHECK(read_text(out) == "new");
  }
  SECTION("at the name an unfinished file is kept under") {
    const fs::path aside = dir / "aside.txt";
    fs::create_symlink(victim, aside);
    OutputClaim claim = OutputClaim::acquire({.path = out.string()});
    const std::string temporary = claim.create_temporary();
    write_text(temporary, "partial");
    CHECK(claim.keep_aside(temporary, aside.string()) == temporary);
    CHECK(fs::is_symlink(aside));
    CHECK(read_text(temporary) == "partial");
    fs::remove(temporary);
  }
  CHECK(read_text(victim) == "precious");
}
