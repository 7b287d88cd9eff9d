// Exact propagation on a uniform step δ for larger linear systems (a 1D grid): every step the
// run takes (breakpoint to output, output to output) is a whole number of δ, so one matrix
// exponential per set of drivers,
//   exp([[M δ, B δ], [0, 0]]) = [[Φ, Γ B], [0, I]],   B = [b_1 … b_m] (the run's distinct inputs),
// gives Φ = exp(M δ) and Γ(δ) b_j for every input at once, and a step of k δ is k applications
// of x ← Φ x + Γ b. Where the dense-Γ propagator (exact_propagator.cpp) needs an exponential of
// size 2n per step length, this needs one of size n + m in all.
#include <cmath>
#include <map>
#include <string>
#include <unsupported/Eigen/MatrixFunctions>

#include "csfpk/core/errors.hpp"
#include "solve/linear_integrator.hpp"

namespace csfpk {
namespace {

class UniformExactIntegrator final : public LinearIntegrator {
 public:
  UniformExactIntegrator(const LinearSystem& system, const UniformStepPlan& plan)
      : system_(system), plan_(plan) {
    report_.method = "exact (uniform steps)";
    report_.states = system.size();
    next_.resize(system.size());
  }

  void start_interval(double t0, double /*t1*/, const Eigen::VectorXd& x0, const Eigen::VectorXd& b,
                      const IntervalDrivers& drivers) override {
    time_ = t0;
    state_ = x0;
    propagators_ = &propagators_for(drivers);
    input_ = plan_.input_index(b);
    if (input_ < 0) throw SolverError(system_.drug, t0, "internal: an input the plan lacks");
  }

  const Eigen::VectorXd& advance_to(double t) override {
    const double steps = (t - time_) / plan_.step_h;
    const auto k = static_cast<long>(std::llround(steps));
    if (k < 0 || std::abs(steps - static_cast<double>(k)) >
                     UniformStepPlan::kTolerance * std::max(1.0, steps)) {
      throw SolverError(system_.drug, time_, "internal: a step that is not a whole number of δ");
    }
    const Propagators& p = *propagators_;
    const auto column = static_cast<Eigen::Index>(input_);
    for (long i = 0; i < k; ++i) {
      next_.noalias() = p.transition * state_;
      next_ += p.input_terms.col(column);
      state_.swap(next_);
    }
    report_.steps += k;
    time_ = t;
    return state_;
  }

  SolverReport report() const override { return report_; }

 private:
  struct Propagators {
    Eigen::MatrixXd transition;   // Φ(δ)
    Eigen::MatrixXd input_terms;  // Γ(δ) b_j, one column per distinct input
  };

  const Propagators& propagators_for(const IntervalDrivers& drivers) {
    if (const auto it = cache_.find(drivers); it != cache_.end()) return it->second;
    const Eigen::MatrixXd rates =
        Eigen::MatrixXd(system_.rates_at(drivers.tip_flow_mL_per_h, drivers.production_factor));
    const Eigen::Index n = rates.rows();
    const auto m = static_cast<Eigen::Index>(plan_.inputs.size());
    Eigen::MatrixXd augmented = Eigen::MatrixXd::Zero(n + m, n + m);
    augmented.topLeftCorner(n, n) = rates * plan_.step_h;
    for (Eigen::Index j = 0; j < m; ++j) {
      augmented.block(0, n + j, n, 1) = plan_.inputs[static_cast<std::size_t>(j)] * plan_.step_h;
    }
    const Eigen::MatrixXd exponential = augmented.exp();
    ++report_.matrix_exponentials;
    return cache_[drivers] = {exponential.topLeftCorner(n, n), exponential.topRightCorner(n, m)};
  }

  const LinearSystem& system_;
  const UniformStepPlan& plan_;
  std::map<IntervalDrivers, Propagators> cache_;
  const Propagators* propagators_ = nullptr;
  int input_ = -1;
  double time_ = 0.0;
  Eigen::VectorXd state_;
  Eigen::VectorXd next_;
  SolverReport report_;
};

}  // namespace

int UniformStepPlan::input_index(const Eigen::VectorXd& b) const {
  for (std::size_t j = 0; j < inputs.size(); ++j) {
    if (inputs[j].size() == b.size() && inputs[j] == b) return static_cast<int>(j);
  }
  return -1;
}

std::unique_ptr<LinearIntegrator> make_uniform_exact_integrator(const LinearSystem& system,
                                                                const UniformStepPlan& plan) {
  return std::make_unique<UniformExactIntegrator>(system, plan);
}

}  // namespace csfpk
