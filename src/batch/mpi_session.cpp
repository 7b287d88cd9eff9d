#include "csfpk/batch/mpi_session.hpp"

#include <cstdlib>

#include "csfpk/core/errors.hpp"

#ifdef CSFPK_HAVE_MPI
#include <mpi.h>
#endif

namespace csfpk::batch {

bool MpiSession::available() {
#ifdef CSFPK_HAVE_MPI
  return true;
#else
  return false;
#endif
}

std::unique_ptr<MpiSession> MpiSession::start_if_launched() {
#ifdef CSFPK_HAVE_MPI
  // Open MPI, MPICH/Hydra and PMIx-based launchers each set one of these.
  const bool launched = std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr ||
                        std::getenv("PMI_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
  if (!launched) return nullptr;
  int provided = 0;
  // Only the main thread calls MPI; the OpenMP workers and the writer never do.
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    throw Error("MPI_Init_thread failed");
  }
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return std::make_unique<MpiSession>(rank, size);
#else
  return nullptr;
#endif
}

MpiSession::~MpiSession() {
#ifdef CSFPK_HAVE_MPI
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized == 0) MPI_Finalize();
#endif
}

int MpiSession::max_over_ranks(int value) const {
#ifdef CSFPK_HAVE_MPI
  int result = value;
  MPI_Allreduce(&value, &result, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return result;
#else
  return value;
#endif
}

void MpiSession::abort(int code) const {
#ifdef CSFPK_HAVE_MPI
  MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::exit(code);
}

}  // namespace csfpk::batch
