#pragma once
// Safe output files: nothing at a final name ever looks finished unless it is.
//
// Every command that writes a file (run, export, sweep, merge, the Python binding) first claims
// its output name. The claim
//   - refuses a folder, a missing folder, an existing file without --overwrite and an output
//     that is one of the command's own inputs;
//   - takes an advisory lock (flock on `NAME.lock`, created without following symlinks and
//     never truncated), so that a second csfpk writing the same name fails at once with a clear
//     error instead of racing the first;
//   - hands out temporaries beside the output, created exclusively (O_EXCL, so a planted symlink
//     or an existing file is never written through) under names no other process uses;
//   - moves a finished temporary into place only after it is closed and fsync'ed, then fsyncs
//     the folder, so a crash leaves either the old file or the complete new one.
// Whatever was not committed is removed when the claim ends, and the lock file with it.
#include <string>
#include <vector>

namespace csfpk {

struct OutputRequest {
  std::string path{};
  bool overwrite = false;  // an existing file may be replaced (once the new one is done)
  // Files the command reads, never an output (--overwrite or not), with what messages call them.
  struct Input {
    std::string path;
    std::string what;  // "scenario", "result file", ...
  };
  std::vector<Input> inputs{};
  std::string what = "output file";  // how messages call it: "result file", "CSV file", ...
  std::string overwrite_hint = "pass --overwrite to replace it";
};

class OutputClaim {
 public:
  // Throws IoError naming the path and what to do.
  static OutputClaim acquire(const OutputRequest& request);

  OutputClaim(OutputClaim&& other) noexcept;
  OutputClaim& operator=(OutputClaim&& other) noexcept;
  OutputClaim(const OutputClaim&) = delete;
  OutputClaim& operator=(const OutputClaim&) = delete;
  ~OutputClaim();

  const std::string& path() const { return path_; }
  // Whether a file was at the output name when the claim was taken.
  bool existed() const { return existed_; }

  // A name beside the output that does not exist yet and that no other claim will hand out;
  // the caller creates it exclusively (H5F_ACC_EXCL, O_EXCL). Removed when the claim ends
  // unless committed or kept.
  std::string temporary_name();
  // Creates a temporary exclusively and returns its name; for writers that open by name later.
  std::string create_temporary();
  // fsyncs `temporary` (which must be closed by its writer), renames it onto the output and
  // fsyncs the folder. Throws IoError; the temporary is then removed when the claim ends.
  void commit(const std::string& temporary);
  // Gives up a temporary without removing it, moved to `name` unless something is there already
  // (e.g. a partial sweep worth resuming); returns where it now lies.
  std::string keep_aside(const std::string& temporary, const std::string& name);

 private:
  OutputClaim() = default;
  void release() noexcept;

  std::string path_;
  std::string lock_path_;
  int lock_fd_ = -1;
  bool existed_ = false;
  std::vector<std::string> temporaries_;
};

// fsyncs a closed file by name (its data and metadata reach the disk); throws IoError.
void sync_file(const std::string& path);

}  // namespace csfpk
