#pragma once
// Predictions of a scenario at observed times and sites, and their derivatives with respect to
// the estimated parameters (in the fitted scale: log θ for log-scale parameters).
#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "csfpk/fit/estimation.hpp"
#include "csfpk/fit/observations.hpp"

namespace csfpk {

class ModelEvaluator {
 public:
  // Checks that every observation names a drug of the scenario, a site or level of its model and
  // a time within the run (InputError with the observation's file and line otherwise).
  // `overrides` ("PATH=VALUE") are applied to the scenario before the parameters (one subject's
  // dose, say).
  ModelEvaluator(const ScenarioTemplate& scenario, std::vector<EstimatedParameter> parameters,
                 ObservationSet observations, std::vector<std::string> overrides = {});
  ~ModelEvaluator();
  ModelEvaluator(const ModelEvaluator&) = delete;
  ModelEvaluator& operator=(const ModelEvaluator&) = delete;

  const std::vector<EstimatedParameter>& parameters() const;
  const ObservationSet& observations() const;
  Eigen::VectorXd to_fitted(const std::vector<double>& values) const;
  std::vector<double> from_fitted(const Eigen::VectorXd& fitted) const;

  // µg/mL at every observation. Throws InputError (a value the scenario refuses) or SolverError.
  Eigen::VectorXd predict(const Eigen::VectorXd& fitted);
  // ∂f/∂u (observations × parameters) and f. With kSensitivity, a parameter whose sensitivity
  // cannot be solved (it moves dose times, or the model is nonlinear) gets central differences,
  // and gradient_notes() says why.
  Eigen::MatrixXd jacobian(const Eigen::VectorXd& fitted, GradientMethod method,
                           Eigen::VectorXd& predictions);
  // Per parameter: empty, or why its last derivative came from finite differences.
  const std::vector<std::string>& gradient_notes() const;
  long solves() const;  // drug solves so far (a solve with sensitivities counts once)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace csfpk
