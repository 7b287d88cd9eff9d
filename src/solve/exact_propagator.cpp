// Exact propagation of dx/dt = M x + b, M = K + q K_q + (f − 1) K_P on the interval, by the
// matrix exponential: with
//   exp([[M, I], [0, 0]]·Δt) = [[Φ, Γ], [0, I]],  Φ = exp(MΔt),  Γ = ∫₀^Δt exp(Ms) ds,
// x(t + Δt) = Φ x(t) + Γ b. Independent of CVODE, so it serves as the reference solution.
#include <map>
#include <unsupported/Eigen/MatrixFunctions>

#include "csfpk/solve/linear_integrator.hpp"

namespace csfpk {
namespace {

class ExactIntegrator final : public LinearIntegrator {
 public:
  explicit ExactIntegrator(const LinearSystem& system) : system_(system) {}

  void start_interval(double t0, double /*t1*/, const Eigen::VectorXd& x0, const Eigen::VectorXd& b,
                      const IntervalDrivers& drivers) override {
    time_ = t0;
    state_ = x0;
    input_ = b;
    if (rates_.size() == 0 || drivers != drivers_) {
      drivers_ = drivers;
      rates_ =
          Eigen::MatrixXd(system_.rates_at(drivers.tip_flow_mL_per_h, drivers.production_factor));
    }
  }

  Eigen::VectorXd advance_to(double t) override {
    const double step = t - time_;
    if (step > 0.0) {
      const Propagators& p = propagators(step);
      state_ = p.transition * state_ + p.integral * input_;
      time_ = t;
    }
    return state_;
  }

 private:
  struct Propagators {
    Eigen::MatrixXd transition;  // Φ
    Eigen::MatrixXd integral;    // Γ
  };

  // Output grids and bolus schedules repeat a handful of step lengths: keep each one's
  // propagators, bounded so that memory stays small for irregular output times.
  const Propagators& propagators(double step) {
    const std::pair<double, IntervalDrivers> key{step, drivers_};
    if (const auto it = cache_.find(key); it != cache_.end()) return it->second;
    if (cache_.size() >= kMaxCachedSteps) cache_.clear();
    const Eigen::Index n = rates_.rows();
    Eigen::MatrixXd augmented = Eigen::MatrixXd::Zero(2 * n, 2 * n);
    augmented.topLeftCorner(n, n) = rates_ * step;
    augmented.topRightCorner(n, n) = Eigen::MatrixXd::Identity(n, n) * step;
    const Eigen::MatrixXd exponential = augmented.exp();
    return cache_[key] = {exponential.topLeftCorner(n, n), exponential.topRightCorner(n, n)};
  }

  static constexpr std::size_t kMaxCachedSteps = 16;
  const LinearSystem& system_;
  Eigen::MatrixXd rates_;  // the matrix of the current drivers
  IntervalDrivers drivers_;
  std::map<std::pair<double, IntervalDrivers>, Propagators> cache_;  // by (step, q, f)
  double time_ = 0.0;
  Eigen::VectorXd state_;
  Eigen::VectorXd input_;
};

}  // namespace

std::unique_ptr<LinearIntegrator> make_exact_integrator(const LinearSystem& system) {
  return std::make_unique<ExactIntegrator>(system);
}

}  // namespace csfpk
