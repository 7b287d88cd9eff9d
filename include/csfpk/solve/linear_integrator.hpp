#pragma once
// Advances dx/dt = (K + q K_q) x + b with b and q constant on one breakpoint interval at a time.
// The driver (simulate) restarts the integrator at every breakpoint, so no step crosses a
// discontinuity.
#include <Eigen/Core>
#include <memory>

#include "csfpk/models/linear_system.hpp"
#include "csfpk/solve/solver_options.hpp"

namespace csfpk {

class LinearIntegrator {
 public:
  virtual ~LinearIntegrator() = default;
  // Starts the interval [t0, t1] from x0 with input b and tip inflow q (mL/h); the integrator
  // never steps beyond t1.
  virtual void start_interval(double t0, double t1, const Eigen::VectorXd& x0,
                              const Eigen::VectorXd& b, double tip_flow_mL_per_h) = 0;
  // State at t (t0 < t ≤ t1, non-decreasing across calls within the interval).
  virtual Eigen::VectorXd advance_to(double t) = 0;
};

std::unique_ptr<LinearIntegrator> make_cvode_integrator(const LinearSystem& system,
                                                        const SolverOptions& options);
std::unique_ptr<LinearIntegrator> make_exact_integrator(const LinearSystem& system);

}  // namespace csfpk
