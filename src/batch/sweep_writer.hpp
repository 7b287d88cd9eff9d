#pragma once
// Writing a sweep file (layout and crash safety: csfpk/batch/sweep_file.hpp). Internal to the
// batch layer: the executor is its only user.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "csfpk/batch/sweep_file.hpp"
#include "io/h5_file.hpp"

namespace csfpk::batch {

class SweepFile {
 public:
  // Creates `path`, which must not exist (it is an OutputClaim temporary), writes coordinates,
  // factor values and provenance, flushes and closes it: the layout is complete before any run.
  static void create(const std::string& path, const RunPlan& plan, const SweepShape& shape,
                     const SweepProvenance& provenance, std::optional<Shard> shard);
  // Opens a sweep file that create() just wrote, for writing runs.
  static SweepFile open(const std::string& path);
  // Reopens a sweep file for --resume; throws InputError if it was started from another sweep
  // text or shard, IoError if it is not a sweep file.
  static SweepFile reopen(const std::string& path, const SweepSpec& spec,
                          std::optional<Shard> shard);

  SweepFile(SweepFile&&) noexcept = default;
  SweepFile& operator=(SweepFile&&) noexcept = default;
  ~SweepFile();

  std::uint64_t runs() const { return runs_; }
  std::vector<std::int8_t> read_done() const;

  // Writes the run's data (not yet its done flag).
  void write(const RunResult& result);
  // Flushes the data written so far, then marks those runs done and flushes again.
  void flush();
  // Flushes and closes; reports a failed close (full disk) as IoError.
  void close();

 private:
  SweepFile() = default;
  void open_datasets();

  std::string path_;
  h5::File file_;
  std::uint64_t runs_ = 0;
  struct Variable {
    h5::Dataset dataset;
    int summary_row = -1;  // row of summary_variables(); -1: the time series
    bool float32 = false;  // stored as float32 (a time series at reduced precision)
  };
  std::vector<Variable> variables_;
  h5::Dataset status_;
  h5::Dataset done_;
  h5::Dataset row_checksum_;
  h5::Datatype status_type_;
  std::vector<std::uint64_t> pending_done_;
};

}  // namespace csfpk::batch
