#pragma once
// Estimating scenario parameters from observed concentrations (csfpk fit): the parameters and
// their bounds, the residual error model, and what a fit reports. See docs/fitting.md.
#include <Eigen/Core>
#include <limits>
#include <string>
#include <vector>

#include "csfpk/fit/observations.hpp"

namespace csfpk {

class ScenarioTemplate;

// One parameter to estimate, addressed by the dotted scenario path that `csfpk run --set` and
// sweeps use ("drugs.morphine.csf_clearance"). Values are plain numbers in `unit`.
struct EstimatedParameter {
  std::string path;
  std::string unit;  // the unit of `initial` ("mL/h"); empty for a dimensionless parameter
  double initial = 0.0;
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
  // Estimated as log θ: every positive parameter whose lower bound is not negative. Standard
  // errors and the covariance are then those of log θ, and confidence intervals are asymmetric.
  bool log_scale = false;

  // "drugs.morphine.csf_clearance=0.35 mL/h", the override that sets `value`.
  std::string override_text(double value) const;
  double to_fitted(double value) const;     // log θ or θ
  double from_fitted(double fitted) const;  // θ
};

// "PATH=initial[,lower,upper]" with units on every value ("…=0.3 mL/min,0.01 mL/min,10 mL/min");
// bounds may be omitted or written "-" for none. Throws InputError naming `--estimate`.
EstimatedParameter parse_estimate(const std::string& text);

// Residual error: the observation's standard deviation is σ·g(f) with f the prediction and σ
// estimated (the residual scale, 1 when the stated error fits the data).
//   additive       g = 1                 (or a stated SD)
//   proportional   g = f                 (or a stated CV)
//   combined       g = √(a² + b² f²)     (a: additive SD, b: CV; both stated)
//   log            residuals are log y − log f (log-normal error; needs positive data)
// Proportional and combined errors are fitted by iteratively reweighted least squares
// (generalised least squares): g is taken from the predictions of the previous fit until the
// estimates stop moving.
enum class ErrorModelKind { kAdditive, kProportional, kCombined, kLog };
struct ErrorModel {
  ErrorModelKind kind = ErrorModelKind::kProportional;
  double additive_ug_per_mL = 1.0;
  double proportional = 1.0;
  std::string describe() const;
};
// "additive[:SD with unit]", "proportional[:CV]", "combined:SD with unit,CV", "log".
ErrorModel parse_error_model(const std::string& text);

enum class GradientMethod {
  kSensitivity,       // forward sensitivity equations (finite differences where unavailable)
  kFiniteDifference,  // central differences of whole solutions, for every parameter
};

struct FitOptions {
  ErrorModel error;
  GradientMethod gradient = GradientMethod::kSensitivity;
  int max_iterations = 200;
  bool profile = false;      // profile-likelihood confidence intervals
  double confidence = 0.95;  // level of every interval
};

struct ParameterEstimate {
  double estimate = 0.0;        // in the parameter's unit
  double standard_error = 0.0;  // of the estimate, by the delta method for log-scale parameters
  double fitted_standard_error = 0.0;  // in the fitted scale (of log θ when log_scale)
  double ci_lower = 0.0, ci_upper = 0.0;
  double rse_percent = 0.0;
  double profile_lower = std::numeric_limits<double>::quiet_NaN();
  double profile_upper = std::numeric_limits<double>::quiet_NaN();
  bool at_bound = false;
  std::string gradient;  // "sensitivity equations" or why finite differences were used
};

// Brun et al. (2001) collinearity index of a parameter subset: 1/√λ_min of the normalised
// sensitivity matrix's cross-product. Large values (above about 20) mean that a change of one
// parameter can be compensated by the others: the subset is not identifiable from these data.
struct CollinearitySubset {
  std::vector<int> members;  // indices into the estimated parameters
  double index = 0.0;
};
inline constexpr double kCollinearityLimit = 20.0;

struct FitResult {
  std::string label;  // "pooled" or the subject
  ObservationSet observations;
  std::vector<double> start;  // the initial values, in each parameter's unit
  std::vector<ParameterEstimate> parameters;
  Eigen::MatrixXd covariance;   // of the fitted-scale parameters (log θ for log-scale ones)
  Eigen::MatrixXd correlation;  // of the same
  std::vector<CollinearitySubset> collinearity;  // every subset of two or more parameters
  std::vector<double> predicted;                 // µg/mL, per observation
  std::vector<double> standardized_residual;     // (y − f)/(σ g), per observation
  double weighted_rss = 0.0;
  double residual_scale = 0.0;  // σ̂ = √(weighted RSS / (n − p))
  double minus2_log_likelihood = 0.0;
  double aic = 0.0, bic = 0.0;
  int degrees_of_freedom = 0;
  int iterations = 0;  // Levenberg–Marquardt iterations, summed over reweighting rounds
  long solves = 0;     // model solves, each drug counted
  bool converged = false;
  std::string message;  // the optimiser's
};

// What differs in one subject's scenario (their dose, catheter tip, weight-scaled volumes):
// overrides applied to the scenario for that subject's observations only.
struct SubjectScenario {
  std::string subject;
  std::vector<std::string> overrides;  // "PATH=VALUE", as `csfpk run --set`
};
// "SUBJECT:PATH=VALUE" (command line --subject-set). Throws InputError.
SubjectScenario parse_subject_override(const std::string& text);

// Fits `parameters` of `scenario` to `observations` (one subject, or all pooled) from each
// parameter's initial value; subjects named in `subjects` get their overrides. Throws InputError
// for observations the scenario cannot predict.
FitResult fit(const ScenarioTemplate& scenario, const std::vector<EstimatedParameter>& parameters,
              const ObservationSet& observations, const FitOptions& options,
              const std::vector<SubjectScenario>& subjects = {});

// What an individual fit records for a subject whose fit could not be done (the rest go on):
// every figure NaN, not converged, `why` as the message.
FitResult failed_fit(const std::vector<EstimatedParameter>& parameters,
                     const ObservationSet& observations, const std::string& label,
                     const std::string& why);

// The same, from other initial values (in each parameter's unit).
FitResult fit_from(const ScenarioTemplate& scenario,
                   const std::vector<EstimatedParameter>& parameters,
                   const std::vector<double>& start, const ObservationSet& observations,
                   const FitOptions& options, const std::vector<SubjectScenario>& subjects = {});

}  // namespace csfpk
