// Exact propagation of dx/dt = K x + b by the matrix exponential: with
//   exp([[K, I], [0, 0]]·Δt) = [[Φ, Γ], [0, I]],  Φ = exp(KΔt),  Γ = ∫₀^Δt exp(Ks) ds,
// x(t + Δt) = Φ x(t) + Γ b. Independent of CVODE, so it serves as the reference solution.
#include <unsupported/Eigen/MatrixFunctions>

#include "csfpk/solve/linear_integrator.hpp"

namespace csfpk {
namespace {

class ExactIntegrator final : public LinearIntegrator {
 public:
  explicit ExactIntegrator(const LinearSystem& system) : rates_(system.rates) {}

  void start_interval(double t0, double /*t1*/, const Eigen::VectorXd& x0,
                      const Eigen::VectorXd& b) override {
    time_ = t0;
    state_ = x0;
    input_ = b;
  }

  Eigen::VectorXd advance_to(double t) override {
    const double step = t - time_;
    if (step > 0.0) {
      if (step != cached_step_) cache_propagators(step);
      state_ = transition_ * state_ + integral_ * input_;
      time_ = t;
    }
    return state_;
  }

 private:
  void cache_propagators(double step) {
    const Eigen::Index n = rates_.rows();
    Eigen::MatrixXd augmented = Eigen::MatrixXd::Zero(2 * n, 2 * n);
    augmented.topLeftCorner(n, n) = rates_ * step;
    augmented.topRightCorner(n, n) = Eigen::MatrixXd::Identity(n, n) * step;
    const Eigen::MatrixXd exponential = augmented.exp();
    transition_ = exponential.topLeftCorner(n, n);
    integral_ = exponential.topRightCorner(n, n);
    cached_step_ = step;
  }

  Eigen::MatrixXd rates_;
  Eigen::MatrixXd transition_;
  Eigen::MatrixXd integral_;
  double cached_step_ = -1.0;
  double time_ = 0.0;
  Eigen::VectorXd state_;
  Eigen::VectorXd input_;
};

}  // namespace

std::unique_ptr<LinearIntegrator> make_exact_integrator(const LinearSystem& system) {
  return std::make_unique<ExactIntegrator>(system);
}

}  // namespace csfpk
