# Public headers (include/csfpk) name no internal header (src/<layer>/*.hpp, included as
# "<layer>/…") and no C library whose types would leak into the API: yaml-cpp, HDF5, SUNDIALS,
# KLU, MPI, OpenMP. Run with -DROOT=<source dir>.
file(GLOB_RECURSE headers "${ROOT}/include/csfpk/*.hpp")
set(bad "")
foreach(header IN LISTS headers)
  file(STRINGS "${header}" includes REGEX "^#include")
  foreach(line IN LISTS includes)
    if(line MATCHES "#include \"(core|domain|models|solve|run|io|batch|cli)/"
       OR line MATCHES "#include <(yaml-cpp|hdf5|H5|cvode|cvodes|sundials|sunlinsol|sunmatrix|nvector|klu|mpi|omp)")
      file(RELATIVE_PATH relative "${ROOT}" "${header}")
      string(APPEND bad "  ${relative}: ${line}\n")
    endif()
  endforeach()
endforeach()
list(LENGTH headers count)
if(count LESS 20)
  message(FATAL_ERROR "found only ${count} public headers under ${ROOT}/include/csfpk")
endif()
if(bad)
  message(FATAL_ERROR "public headers include internal or C-library headers:\n${bad}")
endif()
message(STATUS "${count} public headers, none includes an internal or C-library header")
