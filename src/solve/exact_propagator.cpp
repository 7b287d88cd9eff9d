// Exact propagation of dx/dt = M x + b, M = K + q K_q + (f − 1) K_P on the interval, by the
// matrix exponential: with
//   exp([[M, I], [0, 0]]·Δt) = [[Φ, Γ], [0, I]],  Φ = exp(MΔt),  Γ = ∫₀^Δt exp(Ms) ds,
// x(t + Δt) = Φ x(t) + Γ b. Independent of CVODE, so it serves as the reference solution.
#include <algorithm>
#include <cmath>
#include <map>
#include <unsupported/Eigen/MatrixFunctions>
#include <utility>

#include "solve/linear_integrator.hpp"

namespace csfpk {
namespace {

// next = Φ x + Γb: the one operation repeated at every output time. Compartment-sized systems
// get a kernel compiled for their size (unrolled, no loop bookkeeping, no GEMV call), which for
// a population of thousands of patients is most of the solving time.
using StepKernel = void (*)(const Eigen::MatrixXd& transition, const Eigen::VectorXd& x,
                            const Eigen::VectorXd& input_term, Eigen::VectorXd& next);

template <int N>
void fixed_step(const Eigen::MatrixXd& transition, const Eigen::VectorXd& x,
                const Eigen::VectorXd& input_term, Eigen::VectorXd& next) {
  using Matrix = Eigen::Matrix<double, N, N>;
  using Vector = Eigen::Matrix<double, N, 1>;
  Eigen::Map<Vector>(next.data()).noalias() =
      Eigen::Map<const Matrix>(transition.data()) * Eigen::Map<const Vector>(x.data()) +
      Eigen::Map<const Vector>(input_term.data());
}

void any_step(const Eigen::MatrixXd& transition, const Eigen::VectorXd& x,
              const Eigen::VectorXd& input_term, Eigen::VectorXd& next) {
  next.noalias() = transition * x;
  next += input_term;
}

template <int... N>
StepKernel kernel_for(int n, std::integer_sequence<int, N...> /*sizes*/) {
  StepKernel kernel = any_step;
  ((n == N + 1 ? (kernel = fixed_step<N + 1>, 0) : 0), ...);
  return kernel;
}

StepKernel step_kernel(int n) {
  return kernel_for(n, std::make_integer_sequence<int, 12>{});  // 1 … 12 states
}

class ExactIntegrator final : public LinearIntegrator {
 public:
  explicit ExactIntegrator(const LinearSystem& system)
      : system_(system), step_(step_kernel(system.size())) {
    report_.method = "exact";
    report_.states = system.size();
    next_.resize(system.size());
  }

  void start_interval(double t0, double /*t1*/, const Eigen::VectorXd& x0, const Eigen::VectorXd& b,
                      const IntervalDrivers& drivers) override {
    time_ = t0;
    state_ = x0;
    input_ = b;
    input_term_of_ = nullptr;
    last_ = nullptr;
    if (rates_.size() == 0 || drivers != drivers_) {
      drivers_ = drivers;
      rates_ =
          Eigen::MatrixXd(system_.rates_at(drivers.tip_flow_mL_per_h, drivers.production_factor));
    }
  }

  const Eigen::VectorXd& advance_to(double t) override {
    const double step = t - time_;
    if (step > 0.0) {
      // Most steps repeat the one before (the output interval): skip the cache lookup.
      if (last_ == nullptr || step != last_step_) {
        last_ = &propagators(step);
        last_step_ = step;
      }
      const Propagators& p = *last_;
      // Γ b is the same for every step of this length until the input changes: output grids
      // take many equal steps within one breakpoint interval.
      if (input_term_of_ != &p) {
        input_term_.noalias() = p.integral * input_;
        input_term_of_ = &p;
      }
      step_(p.transition, state_, input_term_, next_);
      state_.swap(next_);
      time_ = t;
      ++report_.steps;
    }
    return state_;
  }

  SolverReport report() const override { return report_; }

 private:
  struct Propagators {
    Eigen::MatrixXd transition;  // Φ
    Eigen::MatrixXd integral;    // Γ
  };

  // Output grids and bolus schedules repeat a handful of step lengths: keep each one's
  // propagators, bounded so that memory stays small for irregular output times.
  //
  // A step is a difference of two times, so the same nominal length (5 min after 09:00 on day 1
  // or on day 27) differs in its last bits: the step is rounded to a multiple of 2^-36 h (52 ns)
  // and that rounded length is what is propagated, so nominally equal steps share one entry. The
  // state is then advanced by at most 26 ns more or less than asked, a relative error below
  // 1e-10 for rates up to 1e3 per hour, far inside the 1e-6 that any output is read to.
  const Propagators& propagators(double exact_step) {
    constexpr double kQuantum = 1.0 / 68719476736.0;  // 2^-36 h
    const double step = std::max(kQuantum, std::round(exact_step / kQuantum) * kQuantum);
    const std::pair<double, IntervalDrivers> key{step, drivers_};
    if (const auto it = cache_.find(key); it != cache_.end()) return it->second;
    if (cache_.size() >= kMaxCachedSteps) {
      cache_.clear();
      input_term_of_ = nullptr;
      last_ = nullptr;
    }
    const Eigen::Index n = rates_.rows();
    Eigen::MatrixXd augmented = Eigen::MatrixXd::Zero(2 * n, 2 * n);
    augmented.topLeftCorner(n, n) = rates_ * step;
    augmented.topRightCorner(n, n) = Eigen::MatrixXd::Identity(n, n) * step;
    const Eigen::MatrixXd exponential = augmented.exp();
    ++report_.matrix_exponentials;
    return cache_[key] = {exponential.topLeftCorner(n, n), exponential.topRightCorner(n, n)};
  }

  static constexpr std::size_t kMaxCachedSteps = 64;
  const LinearSystem& system_;
  StepKernel step_;
  Eigen::MatrixXd rates_;  // the matrix of the current drivers
  IntervalDrivers drivers_;
  std::map<std::pair<double, IntervalDrivers>, Propagators> cache_;  // by (step, q, f)
  double time_ = 0.0;
  Eigen::VectorXd state_;
  Eigen::VectorXd input_;
  Eigen::VectorXd next_;                        // scratch: the state after the step
  Eigen::VectorXd input_term_;                  // Γ b for the propagators at input_term_of_
  const Propagators* input_term_of_ = nullptr;  // null when input_term_ is stale
  const Propagators* last_ = nullptr;           // those of the previous step, of length last_step_
  double last_step_ = 0.0;
  SolverReport report_;
};

}  // namespace

std::unique_ptr<LinearIntegrator> make_exact_integrator(const LinearSystem& system) {
  return std::make_unique<ExactIntegrator>(system);
}

}  // namespace csfpk
