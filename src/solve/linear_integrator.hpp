#pragma once
// Advances dx/dt = (K + q K_q + (f − 1) K_P) x + b with b, q and f constant on one breakpoint
// interval at a time.
// The driver (simulate) restarts the integrator at every breakpoint, so no step crosses a
// discontinuity.
#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <compare>
#include <memory>
#include <vector>

#include "csfpk/models/linear_system.hpp"
#include "csfpk/solve/solver_options.hpp"
#include "csfpk/solve/trajectory.hpp"

namespace csfpk {

// What drives the transport on one interval besides the input b.
struct IntervalDrivers {
  double tip_flow_mL_per_h = 0.0;  // q
  double production_factor = 1.0;  // f, CSF production relative to its mean
  friend bool operator==(const IntervalDrivers&, const IntervalDrivers&) = default;
  friend auto operator<=>(const IntervalDrivers&, const IntervalDrivers&) = default;
};

class LinearIntegrator {
 public:
  virtual ~LinearIntegrator() = default;
  // Starts the interval [t0, t1] from x0 with input b and the interval's drivers; the
  // integrator never steps beyond t1.
  virtual void start_interval(double t0, double t1, const Eigen::VectorXd& x0,
                              const Eigen::VectorXd& b, const IntervalDrivers& drivers) = 0;
  // State at t (t0 < t ≤ t1, non-decreasing across calls within the interval). The reference
  // stays valid until the next call.
  virtual const Eigen::VectorXd& advance_to(double t) = 0;
  // Work done so far (method and counters; see SolverReport).
  virtual SolverReport report() const = 0;
};

std::unique_ptr<LinearIntegrator> make_cvode_integrator(const LinearSystem& system,
                                                        const SolverOptions& options);

// CVODES with forward sensitivities (CVodeSensInit1, staggered corrector, error control on the
// sensitivities): besides x' = M x + b, for each parameter j, s_j' = M s_j + ∂M_j x + ∂b_j with
// ∂M_j and ∂b_j constant on the interval.
struct IntervalDerivatives {
  std::vector<Eigen::SparseMatrix<double>> matrix;  // ∂M_j
  std::vector<Eigen::VectorXd> input;               // ∂b_j
};
class SensitivityIntegrator {
 public:
  virtual ~SensitivityIntegrator() = default;
  // As LinearIntegrator::start_interval, with the sensitivities at t0 and the interval's
  // derivatives (which must outlive the interval).
  virtual void start_interval(double t0, double t1, const Eigen::VectorXd& x0,
                              const std::vector<Eigen::VectorXd>& s0, const Eigen::VectorXd& b,
                              const IntervalDrivers& drivers,
                              const IntervalDerivatives& derivatives) = 0;
  virtual void advance_to(double t, Eigen::VectorXd& x, std::vector<Eigen::VectorXd>& s) = 0;
};
std::unique_ptr<SensitivityIntegrator> make_cvodes_sensitivity_integrator(
    const LinearSystem& system, int parameters, const SolverOptions& options);
std::unique_ptr<LinearIntegrator> make_exact_integrator(const LinearSystem& system);

// What the uniform-step exact integrator needs to know of a run before it starts: the step δ of
// which every step the run takes is a whole multiple, and every distinct input vector b.
struct UniformStepPlan {
  double step_h = 0.0;
  std::vector<Eigen::VectorXd> inputs;
  std::vector<IntervalDrivers> drivers;  // distinct drivers (one exponential each)
  long substeps = 0;                     // steps of δ over the whole run
  // A step is a whole multiple k of δ when |step/δ − k| ≤ this · max(1, k).
  static constexpr double kTolerance = 1e-9;
  int input_index(const Eigen::VectorXd& b) const;  // -1 when b is not in `inputs`
};
std::unique_ptr<LinearIntegrator> make_uniform_exact_integrator(const LinearSystem& system,
                                                                const UniformStepPlan& plan);

}  // namespace csfpk
