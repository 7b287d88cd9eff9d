// The real `csfpk sweep` binary on real sweep files: determinism over threads, ranks and
// shards, failure isolation, clean stops on SIGTERM, and kill -9 followed by --resume.
#include <fcntl.h>
#include <hdf5.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "csfpk/batch/sweep_file.hpp"
#include "io/h5_file.hpp"

extern char** environ;

using namespace csfpk;
using namespace csfpk::batch;
namespace fs = std::filesystem;

namespace {

const std::string kExe = std::string(CSFPK_BINARY_DIR) + "/src/csfpk";
const std::string kData = std::string(CSFPK_SOURCE_DIR) + "/tests/batch/data/";
const std::string kScenarios = std::string(CSFPK_SOURCE_DIR) + "/scenarios/sweeps/";

std::string out_dir() {
  const fs::path dir = fs::path(CSFPK_BINARY_DIR) / "tests" / "batch_results";
  fs::create_directories(dir);
  return dir.string() + "/";
}

// Runs a shell command; returns its exit status (or 128 + signal).
int shell(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int sweep(const std::string& args) {
  return shell(kExe + " sweep " + args);
}

// Every dataset of `a` equals `b`'s, byte for byte (variable-length strings by content).
void require_same_arrays(const std::string& a, const std::string& b) {
  h5::File fa = h5::open_file(a);
  h5::File fb = h5::open_file(b);
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  H5Literate(fa.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names);
  std::vector<std::string> names_b;
  H5Literate(fb.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names_b);
  REQUIRE(names == names_b);
  for (const std::string& name : names) {
    INFO(a << " vs " << b << ": " << name);
    h5::Dataset da = h5::open_dataset_if_exists(fa.get(), name);
    h5::Dataset db = h5::open_dataset_if_exists(fb.get(), name);
    REQUIRE(h5::shape(da.get()) == h5::shape(db.get()));
    h5::Datatype type(H5Dget_type(da.get()));
    if (H5Tget_class(type.get()) == H5T_STRING && H5Tis_variable_str(type.get()) > 0) {
      CHECK(h5::read_strings(da.get()) == h5::read_strings(db.get()));
      continue;
    }
    std::size_t count = 1;
    for (hsize_t d : h5::shape(da.get())) count *= d;
    std::vector<char> ba(count * H5Tget_size(type.get()));
    std::vector<char> bb(ba.size());
    H5Dread(da.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ba.data());
    H5Dread(db.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bb.data());
    CHECK(ba == bb);
  }
}

std::uint64_t count_done(const std::string& path) {
  const SweepFileInfo info = read_sweep_info(path);
  return static_cast<std::uint64_t>(std::count(info.done.begin(), info.done.end(), 1));
}

// Starts csfpk in the background; the caller signals and reaps it.
pid_t spawn(const std::vector<std::string>& args) {
  std::vector<std::string> argv_storage{kExe};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, kExe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(error == 0);
  return pid;
}

// Polls the file (another process is writing it: its metadata never changes during a sweep,
// and HDF5's file lock is off for this test process) until `runs` runs are done.
bool wait_for_done(const std::string& path, std::uint64_t runs, pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;  // finished too early
    try {
      if (fs::exists(path) && count_done(path) >= runs) return true;
    } catch (const std::exception&) {
      // the file is being created
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

struct FileLockingOff {
  FileLockingOff() { setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1); }
};
const FileLockingOff kFileLockingOff;

}  // namespace

TEST_CASE("a sweep gives identical arrays with 1 and 2 threads") {
  const std::string dir = out_dir();
  REQUIRE(sweep(kData + "mc_series.yaml -o " + dir + "t1.h5 --overwrite --threads 1") == 0);
  REQUIRE(sweep(kData + "mc_series.yaml -o " + dir + "t2.h5 --overwrite --threads 2") == 0);
  require_same_arrays(dir + "t1.h5", dir + "t2.h5");
  const SweepFileInfo info = read_sweep_info(dir + "t1.h5");
  CHECK(info.runs == 24);
  CHECK(std::count(info.status.begin(), info.status.end(), "ok") == 24);
  // Time series and 1D-free summaries are there, with finite values.
  const auto auc = read_summary(dir + "t1.h5", "auc", {"morphine", "lumbar"});
  CHECK(std::all_of(auc.begin(), auc.end(), [](double v) { return std::isfinite(v) && v > 0; }));
}

TEST_CASE("a failing run is recorded and the others complete") {
  const std::string out = out_dir() + "failing.h5";
  REQUIRE(sweep(kData + "failing_tip.yaml -o " + out + " --overwrite --threads 2") == 0);
  const SweepFileInfo info = read_sweep_info(out);
  REQUIRE(info.runs == 6);
  const auto peak = read_summary(out, "peak", {"morphine", "cranial"});
  for (std::uint64_t r = 0; r < 6; ++r) {
    INFO("run " << r);
    CHECK(info.done[r] == 1);
    const bool bad = r == 2 || r == 3;  // tip X99 (grid in C order: tip × rate)
    if (bad) {
      CHECK_THAT(info.status[r], Catch::Contains("input error") && Catch::Contains("X99"));
      CHECK(std::isnan(peak[r]));
    } else {
      CHECK(info.status[r] == "ok");
      CHECK(peak[r] > 0.0);
    }
  }
}

TEST_CASE("shards merged equal a single-process sweep") {
  const std::string dir = out_dir();
  const std::string sweep_file = kData + "mc_series.yaml";
  REQUIRE(sweep(sweep_file + " -o " + dir + "whole.h5 --overwrite --threads 2") == 0);
  REQUIRE(sweep(sweep_file + " -o " + dir + "s0.h5 --overwrite --threads 1 --shard 0/3") == 0);
  REQUIRE(sweep(sweep_file + " -o " + dir + "s1.h5 --overwrite --threads 1 --shard 1/3") == 0);
  // The third shard from Slurm's job-array variables (an array numbered from 1).
  REQUIRE(shell("SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3 " + kExe +
                " sweep " + sweep_file + " -o " + dir + "s2.h5 --overwrite --threads 1") == 0);
  CHECK(count_done(dir + "s0.h5") == 8);
  CHECK(count_done(dir + "s2.h5") == 8);
  // Merging two shards leaves runs missing; --resume on the merged file fills them in.
  REQUIRE(shell(kExe + " merge " + dir + "partial.h5 " + dir + "s0.h5 " + dir +
                "s1.h5 --overwrite") == 0);
  CHECK(count_done(dir + "partial.h5") == 16);
  REQUIRE(shell(kExe + " merge " + dir + "merged.h5 " + dir + "s0.h5 " + dir + "s1.h5 " + dir +
                "s2.h5 --overwrite") == 0);
  require_same_arrays(dir + "whole.h5", dir + "merged.h5");
  REQUIRE(sweep(sweep_file + " -o " + dir + "partial.h5 --resume --threads 2") == 0);
  require_same_arrays(dir + "whole.h5", dir + "partial.h5");
  // Shards of another sweep are refused.
  REQUIRE(sweep(kData + "failing_tip.yaml -o " + dir + "other.h5 --overwrite --shard 1/3") == 0);
  CHECK(shell(kExe + " merge " + dir + "bad.h5 " + dir + "s0.h5 " + dir + "other.h5") == 2);
}

TEST_CASE("2 MPI ranks give the same arrays as 1 process") {
  if (shell("command -v mpirun") != 0) {
    WARN("mpirun not found: MPI determinism not tested");
    return;
  }
  const std::string dir = out_dir();
  const std::string sweep_file = kData + "mc_series.yaml";
  REQUIRE(sweep(sweep_file + " -o " + dir + "mpi1.h5 --overwrite --threads 1") == 0);
  const std::string mpirun =
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
      "OMPI_MCA_rmaps_base_oversubscribe=1 "
      "mpirun --oversubscribe -np 2 ";
  REQUIRE(shell(mpirun + kExe + " sweep " + sweep_file + " -o " + dir +
                "mpi2.h5 --overwrite --threads 1") == 0);
  REQUIRE(fs::exists(dir + "mpi2.h5"));
  CHECK_FALSE(fs::exists(dir + "mpi2.h5.shard-0-of-2"));
  require_same_arrays(dir + "mpi1.h5", dir + "mpi2.h5");
}

TEST_CASE("SIGKILL mid-sweep, then --resume, gives the uninterrupted sweep's arrays") {
  const std::string dir = out_dir();
  const std::string sweep_file = kData + "slow_population.yaml";
  const std::string killed = dir + "killed.h5";
  fs::remove(killed);
  const pid_t pid =
      spawn({"sweep", sweep_file, "-o", killed, "--threads", "1", "--flush-every", "0.1"});
  const bool mid_sweep = wait_for_done(killed, 4, pid);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(mid_sweep);
  const std::uint64_t done = count_done(killed);
  INFO(done << " runs done when killed");
  REQUIRE(done < 30);
  REQUIRE(sweep(sweep_file + " -o " + killed + " --resume --threads 2") == 0);
  CHECK(count_done(killed) == 30);
  REQUIRE(sweep(sweep_file + " -o " + dir + "uninterrupted.h5 --overwrite --threads 2") == 0);
  require_same_arrays(dir + "uninterrupted.h5", killed);
  // Resuming with another sweep text is refused.
  CHECK(sweep(sweep_file + " -o " + killed + " --resume --set seed=1") == 2);
}

TEST_CASE("SIGTERM stops cleanly with a valid file and exit code 143") {
  const std::string dir = out_dir();
  const std::string sweep_file = kData + "slow_population.yaml";
  const std::string stopped = dir + "stopped.h5";
  fs::remove(stopped);
  const pid_t pid =
      spawn({"sweep", sweep_file, "-o", stopped, "--threads", "1", "--flush-every", "0.1"});
  const bool mid_sweep = wait_for_done(stopped, 2, pid);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(mid_sweep);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 143);
  // Every run it solved is in the file (done = 1 on all of them), the rest are missing.
  const std::uint64_t done = count_done(stopped);
  CHECK(done >= 2);
  CHECK(done < 30);
  const auto auc = read_summary(stopped, "auc", {"morphine", "lumbar"});
  const SweepFileInfo info = read_sweep_info(stopped);
  for (std::uint64_t r = 0; r < info.runs; ++r) {
    if (info.done[r] == 1) CHECK(std::isfinite(auc[r]));
  }
}

TEST_CASE("sweep-info reports on a sweep that is still being written") {
  const std::string dir = out_dir();
  const std::string running = dir + "running.h5";
  fs::remove(running);
  // HDF5's own file locking on, as users have it: the writer holds the lock the whole time.
  unsetenv("HDF5_USE_FILE_LOCKING");
  const pid_t pid = spawn({"sweep", kData + "slow_population.yaml", "-o", running, "--overwrite",
                           "--threads", "1", "--flush-every", "0.1"});
  bool mid_sweep = false;
  for (int i = 0; i < 1200 && !mid_sweep; ++i) {
    try {
      mid_sweep = fs::exists(running) && count_done(running) >= 2;
    } catch (const std::exception&) {
      // being created
    }
    if (!mid_sweep) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const int info = shell(kExe + " sweep-info " + running);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
  REQUIRE(mid_sweep);
  CHECK(info == 0);
}

// The temporary a sweep with --overwrite writes into, once it exists.
std::string find_partial(const std::string& output) {
  const fs::path path(output);
  for (const auto& entry : fs::directory_iterator(path.parent_path())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(path.filename().string() + ".partial-", 0) == 0) return entry.path().string();
  }
  return {};
}

TEST_CASE("a sweep with --overwrite keeps the old file until the new one is complete") {
  const std::string dir = out_dir();
  const std::string sweep_file = kData + "slow_population.yaml";
  const std::string output = dir + "replaced.h5";
  const std::string incomplete = dir + "replaced.incomplete.h5";
  fs::remove(incomplete);
  REQUIRE(sweep(kData + "mc_series.yaml -o " + output + " --overwrite --threads 2") == 0);
  const auto old_time = fs::last_write_time(output);
  const auto old_size = fs::file_size(output);

  const pid_t pid = spawn(
      {"sweep", sweep_file, "-o", output, "--overwrite", "--threads", "1", "--flush-every", "0.1"});
  bool mid_sweep = false;
  for (int i = 0; i < 1200 && !mid_sweep; ++i) {
    const std::string partial = find_partial(output);
    try {
      mid_sweep = !partial.empty() && count_done(partial) >= 2;
    } catch (const std::exception&) {
      // being created
    }
    if (!mid_sweep) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Mid-sweep, the old file is still the one at the output name.
  CHECK(fs::last_write_time(output) == old_time);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(mid_sweep);
  CHECK(WEXITSTATUS(status) == 143);
  CHECK(fs::last_write_time(output) == old_time);
  CHECK(fs::file_size(output) == old_size);
  CHECK(find_partial(output).empty());
  // The runs done so far wait in OUT.incomplete.h5, which --resume completes.
  REQUIRE(fs::exists(incomplete));
  CHECK(count_done(incomplete) >= 2);
  REQUIRE(sweep(sweep_file + " -o " + incomplete + " --resume --threads 2") == 0);
  CHECK(count_done(incomplete) == read_sweep_info(incomplete).runs);

  // Completed, the new sweep replaces the old file.
  REQUIRE(sweep(sweep_file + " -o " + output + " --overwrite --threads 2") == 0);
  CHECK(read_sweep_info(output).sweep_file == sweep_file);
  CHECK(find_partial(output).empty());
  CHECK_FALSE(fs::exists(output + ".lock"));
}

TEST_CASE("the example sweeps run with a small design") {
  const std::string dir = out_dir();
  REQUIRE(sweep(kScenarios + "p1_population.yaml --set design.runs=6 -o " + dir +
                "p1_population.h5 --overwrite --threads 2") == 0);
  CHECK(count_done(dir + "p1_population.h5") == 6);
  REQUIRE(sweep(kScenarios + "tip_rate_grid.yaml --set design.runs=4 -o " + dir +
                "tip_rate_grid.h5 --overwrite --threads 2") == 0);
  const SweepFileInfo grid = read_sweep_info(dir + "tip_rate_grid.h5");
  CHECK(grid.runs == 4);
  CHECK(std::count(grid.status.begin(), grid.status.end(), "ok") == 4);
  const auto cranial = read_summary(dir + "tip_rate_grid.h5", "cranial_auc", {"morphine"});
  // Same tip, faster pump: more morphine reaches the cranial pool.
  CHECK(cranial[1] > cranial[0]);
  const auto level = read_summary(dir + "tip_rate_grid.h5", "level_peak", {"morphine", "T10"});
  CHECK(std::isfinite(level[0]));
}

TEST_CASE("sobol command prints indices for a Sobol sweep and refuses other designs") {
  const std::string dir = out_dir();
  REQUIRE(sweep(kData + "sobol_cheap.yaml -o " + dir + "sobol.h5 --overwrite --threads 2") == 0);
  CHECK(shell(kExe + " sobol " + dir + "sobol.h5 --output auc,morphine,cranial") == 0);
  CHECK(shell(kExe + " sobol " + dir + "sobol.h5 --output auc,morphine,nowhere") == 2);
  REQUIRE(sweep(kData + "failing_tip.yaml -o " + dir + "grid.h5 --overwrite") == 0);
  CHECK(shell(kExe + " sobol " + dir + "grid.h5 --output auc,morphine,cranial") == 2);
  // Refusals before any work: an existing file, and an output above the size limit.
  CHECK(sweep(kData + "failing_tip.yaml -o " + dir + "grid.h5") == 4);
  CHECK(sweep(kData + "mc_series.yaml -o " + dir + "huge.h5 --overwrite --size-limit 1e-6") == 4);
  CHECK_FALSE(fs::exists(dir + "huge.h5"));
}
