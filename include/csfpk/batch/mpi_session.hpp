#pragma once
// MPI for `mpirun -np K csfpk sweep …`: each rank runs one shard (with its own OpenMP threads)
// into its own file, and rank 0 merges them after every rank has finished. Built only when
// CMake finds MPI (CSFPK_HAVE_MPI); otherwise launched() is false and the sweep runs alone.
#include <memory>

namespace csfpk::batch {

class MpiSession {
 public:
  // Initialises MPI only when this process was started by an MPI launcher (the launcher's
  // environment variables are present), so a plain `csfpk sweep` never pays for MPI_Init.
  // Returns null when not launched by MPI or built without MPI.
  static std::unique_ptr<MpiSession> start_if_launched();
  static bool available();  // built with MPI

  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  ~MpiSession();  // MPI_Finalize

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Collective: the largest of every rank's `value` (also a barrier).
  int max_over_ranks(int value) const;
  // Aborts every rank (after an error on one, so the others do not wait forever).
  [[noreturn]] void abort(int code) const;

  // Use start_if_launched(); public only so that it can be built with make_unique.
  MpiSession(int rank, int size) : rank_(rank), size_(size) {}

 private:
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace csfpk::batch
