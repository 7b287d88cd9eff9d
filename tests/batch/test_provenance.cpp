// Sweep provenance: a resumed or merged sweep must come from the very inputs it started from.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "csfpk/batch/sweep_file.hpp"
#include "csfpk/io/digest.hpp"
#include "io/h5_file.hpp"

using namespace csfpk;
using namespace csfpk::batch;
namespace fs = std::filesystem;

namespace {

const std::string kExe = std::string(CSFPK_BINARY_DIR) + "/src/csfpk";
const std::string kSource = CSFPK_SOURCE_DIR;

// A private folder with a base scenario, a sweep over it and (optionally) a copy of models/.
struct Workspace {
  fs::path dir;
  explicit Workspace(const std::string& name)
      : dir(fs::path(CSFPK_BINARY_DIR) / "tests" / "provenance" / name) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::copy_file(kSource + "/tests/batch/data/cheap_base.yaml", dir / "base.yaml");
    std::ofstream(dir / "sweep.yaml") << "name: provenance\nbase: base.yaml\nseed: 1\n"
                                         "design: {type: grid}\nfactors:\n"
                                         "  - {name: rate, path: pump.basal, values: [0.2, 0.4, "
                                         "0.6, 0.8], unit: mL/day}\n";
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  // Runs csfpk with stdout and stderr into `log`; returns the exit code.
  int csfpk(const std::string& args, const std::string& env = "") const {
    const std::string command = env + " " + kExe + " " + args + " > " + path("log.txt") + " 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  }
  std::string log() const {
    std::ifstream in(path("log.txt"));
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  void edit(const std::string& file, const std::string& from, const std::string& to) const {
    std::ifstream in(file);
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    std::ofstream(file) << text;
  }
};

}  // namespace

TEST_CASE("sweep files record the digest of every input") {
  const Workspace w("digests");
  REQUIRE(w.csfpk("sweep " + w.path("sweep.yaml") + " -o " + w.path("out.h5")) == 0);
  const std::string text = [&] {
    h5::File file(H5Fopen(w.path("out.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    return h5::read_string_attribute(file.get(), "input_files");
  }();
  const std::vector<InputFile> inputs = parse_input_files(text, "out.h5");
  const auto has = [&](const std::string& suffix) {
    return std::any_of(inputs.begin(), inputs.end(), [&](const InputFile& f) {
      return f.path.size() >= suffix.size() &&
             f.path.compare(f.path.size() - suffix.size(), suffix.size(), suffix) == 0;
    });
  };
  CHECK(has("/base.yaml"));
  CHECK(has("/sweep.yaml"));
  CHECK(has("/models/drugs/morphine.yaml"));
  CHECK(has("/models/compartments/four_region.yaml"));
  for (const InputFile& f : inputs) CHECK(f.sha256 == file_sha256(f.path));
}

TEST_CASE("resuming refuses an edited base scenario or model file, naming it") {
  SECTION("base scenario") {
    const Workspace w("resume_base");
    REQUIRE(w.csfpk("sweep " + w.path("sweep.yaml") + " -o " + w.path("out.h5") + " --shard 0/2") ==
            0);
    w.edit(w.path("base.yaml"), "blend: {morphine: 5 mg/mL}", "blend: {morphine: 50 mg/mL}");
    CHECK(w.csfpk("sweep " + w.path("sweep.yaml") + " -o " + w.path("out.h5") +
                  " --shard 0/2 --resume") == 2);
    CHECK_THAT(w.log(), Catch::Contains("error: " + w.path("base.yaml") + ": has changed since " +
                                        w.path("out.h5") + " was started"));
  }
  SECTION("model file") {
    const Workspace w("resume_model");
    fs::copy(kSource + "/models", w.path("models"), fs::copy_options::recursive);
    const std::string env = "CSFPK_MODELS_DIR=" + w.path("models");
    REQUIRE(w.csfpk("sweep " + w.path("sweep.yaml") + " -o " + w.path("out.h5") + " --shard 0/2",
                    env) == 0);
    w.edit(w.path("models/drugs/morphine.yaml"), "value: 243 L", "value: 300 L");
    CHECK(w.csfpk(
              "sweep " + w.path("sweep.yaml") + " -o " + w.path("out.h5") + " --shard 0/2 --resume",
              env) == 2);
    CHECK_THAT(w.log(),
               Catch::Contains(w.path("models/drugs/morphine.yaml") + ": has changed since"));
  }
}

TEST_CASE("merge refuses shards computed from different base scenarios, naming the shard") {
  const Workspace w("merge_bases");
  REQUIRE(w.csfpk("sweep " + w.path("sweep.yaml") + " -o " + w.path("s0.h5") + " --shard 0/2") ==
          0);
  w.edit(w.path("base.yaml"), "blend: {morphine: 5 mg/mL}", "blend: {morphine: 50 mg/mL}");
  REQUIRE(w.csfpk("sweep " + w.path("sweep.yaml") + " -o " + w.path("s1.h5") + " --shard 1/2") ==
          0);
  CHECK(w.csfpk("merge " + w.path("m.h5") + " " + w.path("s0.h5") + " " + w.path("s1.h5")) == 2);
  CHECK_THAT(w.log(), Catch::Contains("error: " + w.path("s1.h5") + ": was computed from another " +
                                      w.path("base.yaml") + " than " + w.path("s0.h5")));
  CHECK_FALSE(fs::exists(w.path("m.h5")));
}

TEST_CASE("an edited header attribute is refused by every reader") {
  const Workspace w("header");
  REQUIRE(w.csfpk("sweep " + w.path("sweep.yaml") + " -o " + w.path("out.h5")) == 0);
  CHECK_NOTHROW(read_sweep_info(w.path("out.h5")));
  {
    h5::File file(H5Fopen(w.path("out.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    REQUIRE(file);
    h5::set_attribute(file.get(), "factors", std::string_view("dose"));
  }
  CHECK_THROWS_WITH(read_sweep_info(w.path("out.h5")),
                    Catch::Contains("do not match their checksum; the file was edited or damaged"));
  CHECK(w.csfpk("sweep-info " + w.path("out.h5")) == 4);
  CHECK(w.csfpk("merge " + w.path("m.h5") + " " + w.path("out.h5")) == 4);
  CHECK_THAT(w.log(), Catch::Contains("do not match their checksum"));
}

TEST_CASE("a changed byte in a run's data is caught by its row checksum") {
  const Workspace w("row_checksum");
  REQUIRE(w.csfpk("sweep " + w.path("sweep.yaml") + " -o " + w.path("out.h5")) == 0);
  REQUIRE(w.csfpk("sweep " + w.path("sweep.yaml") + " -o " + w.path("s0.h5") + " --shard 0/2") ==
          0);
  REQUIRE(w.csfpk("sweep " + w.path("sweep.yaml") + " -o " + w.path("s1.h5") + " --shard 1/2") ==
          0);
  CHECK_NOTHROW(read_sweep_info(w.path("out.h5")));
  REQUIRE(w.csfpk("merge " + w.path("m.h5") + " " + w.path("s0.h5") + " " + w.path("s1.h5")) == 0);
  CHECK_NOTHROW(read_sweep_info(w.path("m.h5")));  // merged rows keep their checksums
  // One value of run 2's AUC changed in place, as a flipped bit would.
  for (const std::string& file : {w.path("out.h5"), w.path("s1.h5")}) {
    h5::File handle(H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    REQUIRE(handle);
    h5::Dataset auc = h5::open_dataset_if_exists(handle.get(), "auc");
    REQUIRE(auc);
    h5::Dataspace space(H5Dget_space(auc.get()));
    const std::vector<hsize_t> dims = h5::shape(auc.get());
    std::vector<hsize_t> start(dims.size(), 0);
    std::vector<hsize_t> count(dims.size(), 1);
    start[0] = file == w.path("out.h5") ? 2 : 1;  // run 2 is shard 0's; s1 holds runs 1 and 3
    REQUIRE(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                                nullptr) >= 0);
    h5::Dataspace one(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr));
    const double changed = 12345.0;
    REQUIRE(H5Dwrite(auc.get(), H5T_NATIVE_DOUBLE, one.get(), space.get(), H5P_DEFAULT, &changed) >=
            0);
  }
  CHECK_THROWS_WITH(read_sweep_info(w.path("out.h5")),
                    Catch::Contains("run 2: its data do not match their checksum"));
  CHECK(w.csfpk("sweep-info " + w.path("out.h5")) == 4);
  CHECK(w.csfpk("merge " + w.path("m2.h5") + " " + w.path("s0.h5") + " " + w.path("s1.h5")) == 4);
  CHECK_THAT(w.log(), Catch::Contains("s1.h5: run 1: its data do not match their checksum"));
}
