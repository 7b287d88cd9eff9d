#pragma once
#include <string>

namespace csfpk {

enum class SolverMethod {
  kAuto,   // exact for small linear systems, CVODE otherwise (see choose_method)
  kCvode,  // CVODE BDF (dense LU for small systems, sparse KLU for large ones): the general path
  kExact,  // matrix exponential between breakpoints: exact for linear systems, small ones only
};

const char* to_string(SolverMethod method);

struct SolverOptions {
  SolverMethod method = SolverMethod::kAuto;
  double relative_tolerance = 1e-8;
  double absolute_tolerance_ug_per_mL = 1e-12;  // scaled by each state's volume
  long max_steps_between_outputs = 500000;
};

}  // namespace csfpk
