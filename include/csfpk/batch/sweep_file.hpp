#pragma once
// The sweep result file: NetCDF-4 style HDF5 that xarray opens, laid out so that a process
// killed at any moment (SIGKILL included) leaves a file that `--resume` can finish.
//
// Layout (dimension scales run, drug, site[, time][, level, segment]):
//   run(run) int64, factor_<name>(run) float64 or string, status(run) string, done(run) int8,
//   row_checksum(run) uint64 (first 64 bits of the SHA-256 of the run's stored row and status),
//   every per-drug figure of run/summary_table.hpp over (run, drug[, site | level | segment])
//   (peak/mean/auc by site, mass balance; for 1D runs spread, cranial AUC, levels, coverage, …),
//   optional concentration(run, drug, site, time) float32 or float64.
// The writer itself (SweepFile) is internal: src/batch/sweep_writer.hpp.
//
// Crash safety: every dataset is created at its full extent with its storage allocated up front
// (H5D_ALLOC_TIME_EARLY, no filters), and the whole layout is flushed before the first run. From
// then on a sweep writes raw data only, at fixed addresses, so HDF5 metadata never changes and a
// kill cannot corrupt it. A run's `done` flag is set only at the next flush, after its data
// has been flushed: done = 1 in the file implies the run's data is in the file. Strings that
// change per run (status, categorical factors) are fixed-width for the same reason, with
// `_Encoding = utf-8` so xarray decodes them to str.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "csfpk/batch/run_plan.hpp"
#include "csfpk/batch/run_result.hpp"
#include "csfpk/io/digest.hpp"
#include "csfpk/io/output_file.hpp"

namespace csfpk::batch {

struct Shard {
  std::uint64_t index = 0;
  std::uint64_t count = 1;
  bool owns(std::uint64_t run) const { return run % count == index; }
  std::string label() const { return std::to_string(index) + "/" + std::to_string(count); }
};

struct SweepProvenance {
  std::string csfpk_version;
  std::string command_line;
  std::string created_utc;
  std::string base_text;  // base scenario after `set:` overrides
  // Every input file with its SHA-256 (io/digest.hpp): the sweep file, the base scenario and each
  // model file read. --resume and merge refuse files whose inputs changed.
  std::vector<InputFile> input_files;
};

// Status strings are stored in this many bytes (longer messages are cut at a UTF-8 boundary).
inline constexpr std::size_t kStatusWidth = 256;

// Bytes the file will take for `runs` runs of `shape` (and the factors of `spec`).
double estimate_file_bytes(const SweepSpec& spec, const SweepShape& shape, std::uint64_t runs);

// Joins shard files into `output` (a copy of the first shard with every other shard's finished
// runs copied in): the result equals a single-process sweep's arrays. Throws InputError when
// the shards come from different sweeps. Returns the number of runs still missing.
// The merged file is written beside the output and moved into place once complete.
std::uint64_t merge_shards(OutputClaim& output, const std::vector<std::string>& shards,
                           const std::string& command_line);
// The same, claiming `output` (overwriting an existing file) for the time of the merge.
std::uint64_t merge_shards(const std::string& output, const std::vector<std::string>& shards,
                           const std::string& command_line);

// Reading a sweep file back (sobol, info, tests).
struct SweepFileInfo {
  std::uint64_t runs = 0;
  std::string design;
  std::string sweep_text;
  std::string sweep_file;
  std::vector<std::string> factors;
  std::uint64_t sobol_base_samples = 0;
  std::vector<std::int8_t> done;
  std::vector<std::string> status;
};
SweepFileInfo read_sweep_info(const std::string& path);

// One summary over runs: `variable`(run, …) at the labels given for its other dimensions
// (e.g. auc with {"morphine", "cranial"}). A dimension of length one may be left out. Throws
// InputError naming what is available when a label or the variable is unknown.
std::vector<double> read_summary(const std::string& path, const std::string& variable,
                                 const std::vector<std::string>& labels);

// Long-format CSV of a sweep with its factor columns. Summaries:
//   run,status,factor_<name>…,drug,figure,at,unit,value
// (`at` the site, level or segment, empty for per-drug figures); with `series`, the stored
// concentration time series:
//   run,status,factor_<name>…,drug,site,time_h,concentration_ug_per_mL
// Failed and unfinished runs keep their rows with empty values. InputError for `series` on a
// sweep without time series; IoError for an unreadable or damaged file.
void export_sweep_csv(const std::string& path, OutputClaim& csv, bool series);

// Whether `path` is a readable HDF5 file laid out as a sweep (its `sweep_text` and `done`); false
// for anything else, including a single-run result. Lets single-run commands say what to use.
bool is_sweep_file(const std::string& path);

}  // namespace csfpk::batch
