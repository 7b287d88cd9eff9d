#pragma once

namespace csfpk {

enum class SolverMethod {
  kCvode,  // CVODE BDF with a sparse (KLU) Jacobian: the general path
  kExact,  // matrix exponential between breakpoints: exact for linear systems, small ones only
};

struct SolverOptions {
  SolverMethod method = SolverMethod::kCvode;
  double relative_tolerance = 1e-8;
  double absolute_tolerance_ug_per_mL = 1e-12;  // scaled by each state's volume
  long max_steps_between_outputs = 500000;
};

}  // namespace csfpk
