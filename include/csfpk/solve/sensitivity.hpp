#pragma once
// Forward sensitivities of one drug's amounts to scenario parameters.
//
// A parameter θ reaches the solve through everything the model assembles from it: the rate
// matrices K, K_q, K_P, the drivers (tip flow q, production factor f), the inputs b and the
// instantaneous doses. With A(t) = K + q K_q + (f − 1) K_P on each interval, s = ∂x/∂θ obeys
//
//   s' = A s + (∂A/∂θ) x + ∂b/∂θ,   s jumps by ∂(dose)/∂θ at each impulse,
//
// solved with x by the method the plain solve would use: for small systems under the exact
// method, one doubled linear system [[A, 0], [∂A/∂θ, A]] per parameter through the matrix
// exponential; otherwise CVODES's forward sensitivities (CVodeSensInit1, staggered corrector,
// error control on the sensitivities), every parameter in one solve.
// ∂A/∂θ, ∂b/∂θ and ∂(dose)/∂θ are central differences of the model assembly at θ ± h: an
// algebraic function of θ, so their error is the O(h²) truncation of smooth formulas (about 1e-9
// relative at h = 1e-4), not the solver noise that a finite difference of whole solutions carries.
#include <Eigen/Core>
#include <stdexcept>
#include <vector>

#include "csfpk/domain/infusion_schedule.hpp"
#include "csfpk/models/linear_system.hpp"
#include "csfpk/solve/solver_options.hpp"

namespace csfpk {

// One parameter: the drug's system and the delivery assembled at θ + h and at θ − h.
struct AssemblyPerturbation {
  const LinearSystem* plus = nullptr;
  const LinearSystem* minus = nullptr;
  const InfusionSchedule* plus_schedule = nullptr;
  const InfusionSchedule* minus_schedule = nullptr;
  double step = 0.0;  // (θ + h) − (θ − h), in the parameter's own (possibly log) scale
};

struct StateSensitivities {
  std::vector<Eigen::VectorXd> states;                    // x at each output time, µg
  std::vector<std::vector<Eigen::VectorXd>> derivatives;  // [parameter][time] ∂x/∂θ
};

// Why a parameter's sensitivity cannot be solved this way: it moves the breakpoints (dose
// times) or the system is nonlinear (limited advection). The caller falls back to differences
// of whole solutions.
class SensitivityUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Solves x and every ∂x/∂θ_j from zero initial amounts over `schedule`, sampled at
// `output_times_h` (sorted, within the run; values at a breakpoint include its impulses).
// Throws SensitivityUnavailable, or SolverError naming drug and time.
StateSensitivities simulate_sensitivities(const LinearSystem& system,
                                          const InfusionSchedule& schedule,
                                          const std::vector<AssemblyPerturbation>& parameters,
                                          const std::vector<double>& output_times_h,
                                          const SolverOptions& options);

}  // namespace csfpk
