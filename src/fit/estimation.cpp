#include "csfpk/fit/estimation.hpp"

#include <ceres/ceres.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/text.hpp"
#include "csfpk/core/units.hpp"
#include "csfpk/fit/model_evaluator.hpp"

namespace csfpk {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Reweighting rounds of generalised least squares; they stop earlier once the estimates move by
// less than kReweightTolerance (in the fitted scale).
constexpr int kMostReweightRounds = 30;
constexpr double kReweightTolerance = 1e-7;
// Above this many parameters only pairs are scored for collinearity (2^p subsets otherwise).
constexpr std::size_t kMostParametersForAllSubsets = 10;

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(sep, start);
    parts.push_back(trim(text.substr(start, end == std::string::npos ? end : end - start)));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

[[noreturn]] void estimate_error(const std::string& text, const std::string& why) {
  throw InputError("--estimate", 0, "",
                   "'" + printable_message(text, 200) + "': " + why +
                       " (expected PATH=INITIAL[,LOWER,UPPER] with units, e.g. "
                       "drugs.morphine.csf_clearance=0.3 mL/min,0.01 mL/min,10 mL/min)");
}

// ---- subjects -------------------------------------------------------------------------------

// One model evaluator per distinct subject scenario, their observations concatenated in that
// order (subjects without overrides share the first).
class Evaluators {
 public:
  Evaluators(const ScenarioTemplate& scenario, const std::vector<EstimatedParameter>& parameters,
             const ObservationSet& observations, const std::vector<SubjectScenario>& subjects) {
    std::vector<std::vector<std::string>> keys;
    std::vector<ObservationSet> sets;
    for (const SubjectScenario& s : subjects) {
      const bool seen = std::any_of(observations.rows.begin(), observations.rows.end(),
                                    [&](const Observation& o) { return o.subject == s.subject; });
      if (!seen) {
        throw InputError("--subject-set", 0, "",
                         "subject '" + printable_message(s.subject, 80) +
                             "' has no observations in " + observations.file);
      }
    }
    for (const Observation& row : observations.rows) {
      std::vector<std::string> overrides;
      for (const SubjectScenario& s : subjects) {
        if (s.subject == row.subject) {
          overrides.insert(overrides.end(), s.overrides.begin(), s.overrides.end());
        }
      }
      auto found = std::find(keys.begin(), keys.end(), overrides);
      if (found == keys.end()) {
        keys.push_back(overrides);
        sets.emplace_back();
        sets.back().file = observations.file;
        found = keys.end() - 1;
      }
      sets[static_cast<std::size_t>(found - keys.begin())].rows.push_back(row);
    }
    ordered_.file = observations.file;
    for (std::size_t g = 0; g < sets.size(); ++g) {
      evaluators_.push_back(
          std::make_unique<ModelEvaluator>(scenario, parameters, sets[g], keys[g]));
      ordered_.rows.insert(ordered_.rows.end(), sets[g].rows.begin(), sets[g].rows.end());
    }
  }

  const ObservationSet& observations() const { return ordered_; }
  const std::vector<EstimatedParameter>& parameters() const {
    return evaluators_.front()->parameters();
  }
  Eigen::VectorXd to_fitted(const std::vector<double>& values) const {
    return evaluators_.front()->to_fitted(values);
  }
  Eigen::VectorXd predict(const Eigen::VectorXd& u) {
    Eigen::VectorXd f(static_cast<Eigen::Index>(ordered_.rows.size()));
    Eigen::Index at = 0;
    for (const auto& e : evaluators_) {
      const Eigen::VectorXd part = e->predict(u);
      f.segment(at, part.size()) = part;
      at += part.size();
    }
    return f;
  }
  Eigen::MatrixXd jacobian(const Eigen::VectorXd& u, GradientMethod method, Eigen::VectorXd& f) {
    const auto n = static_cast<Eigen::Index>(ordered_.rows.size());
    f.resize(n);
    Eigen::MatrixXd j(n, u.size());
    Eigen::Index at = 0;
    for (const auto& e : evaluators_) {
      Eigen::VectorXd part;
      const Eigen::MatrixXd block = e->jacobian(u, method, part);
      f.segment(at, part.size()) = part;
      j.middleRows(at, part.size()) = block;
      at += part.size();
    }
    return j;
  }
  // Per parameter: why finite differences were used in any subject group, or empty.
  std::vector<std::string> gradient_notes() const {
    std::vector<std::string> notes(parameters().size());
    for (const auto& e : evaluators_) {
      for (std::size_t k = 0; k < notes.size(); ++k) {
        if (notes[k].empty()) notes[k] = e->gradient_notes()[k];
      }
    }
    return notes;
  }
  long solves() const {
    long total = 0;
    for (const auto& e : evaluators_) total += e->solves();
    return total;
  }

 private:
  std::vector<std::unique_ptr<ModelEvaluator>> evaluators_;
  ObservationSet ordered_;
};

// ---- residuals ---------------------------------------------------------------------------

struct Weighting {
  ErrorModel model;
  Eigen::VectorXd observed;
  Eigen::VectorXd weight_root;  // √(observation weight)
  Eigen::VectorXd scale;        // g per observation, held during one least-squares round

  bool log() const { return model.kind == ErrorModelKind::kLog; }
  bool reweighted() const {
    return model.kind == ErrorModelKind::kProportional || model.kind == ErrorModelKind::kCombined;
  }
  void update_scale(const Eigen::VectorXd& predicted) {
    scale.resize(predicted.size());
    for (Eigen::Index i = 0; i < predicted.size(); ++i) {
      const double f = std::max(predicted[i], 0.0);
      switch (model.kind) {
        case ErrorModelKind::kAdditive:
          scale[i] = model.additive_ug_per_mL;
          break;
        case ErrorModelKind::kProportional:
          // A prediction of zero would give an infinite weight: floor it at a millionth of the
          // largest observation.
          scale[i] = model.proportional * std::max(f, 1e-6 * observed.maxCoeff());
          break;
        case ErrorModelKind::kCombined:
          scale[i] = std::hypot(model.additive_ug_per_mL, model.proportional * f);
          break;
        case ErrorModelKind::kLog:
          scale[i] = 1.0;
          break;
      }
    }
  }
  // Residuals and their Jacobian (row-major into `jacobian` when given); false where a log
  // residual meets a non-positive prediction.
  bool residuals(const Eigen::VectorXd& f, const Eigen::MatrixXd* j, double* r,
                 double* jacobian) const {
    const Eigen::Index m = j != nullptr ? j->cols() : 0;
    for (Eigen::Index i = 0; i < f.size(); ++i) {
      double factor = 0.0;
      if (log()) {
        if (!(f[i] > 0.0)) return false;
        r[i] = weight_root[i] * (std::log(observed[i]) - std::log(f[i]));
        factor = -weight_root[i] / f[i];
      } else {
        r[i] = weight_root[i] * (observed[i] - f[i]) / scale[i];
        factor = -weight_root[i] / scale[i];
      }
      for (Eigen::Index k = 0; jacobian != nullptr && k < m; ++k) {
        jacobian[i * m + k] = factor * (*j)(i, k);
      }
    }
    return true;
  }
};

class ResidualCost final : public ceres::CostFunction {
 public:
  ResidualCost(Evaluators& evaluator, const Weighting& weighting, GradientMethod gradient)
      : evaluator_(evaluator), weighting_(weighting), gradient_(gradient) {
    set_num_residuals(static_cast<int>(weighting.observed.size()));
    mutable_parameter_block_sizes()->push_back(static_cast<int>(evaluator.parameters().size()));
  }
  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override {
    const auto m = static_cast<Eigen::Index>(evaluator_.parameters().size());
    const Eigen::VectorXd u = Eigen::Map<const Eigen::VectorXd>(parameters[0], m);
    try {
      Eigen::VectorXd f;
      if (jacobians != nullptr && jacobians[0] != nullptr) {
        const Eigen::MatrixXd j = evaluator_.jacobian(u, gradient_, f);
        return weighting_.residuals(f, &j, residuals, jacobians[0]);
      }
      f = evaluator_.predict(u);
      return weighting_.residuals(f, nullptr, residuals, nullptr);
    } catch (const Error&) {
      // A value the scenario refuses or the solver cannot follow: the optimiser shortens its step.
      return false;
    }
  }

 private:
  Evaluators& evaluator_;
  const Weighting& weighting_;
  GradientMethod gradient_;
};

// One Levenberg–Marquardt solve with the weights held; `fixed` parameters stay where they are.
ceres::Solver::Summary least_squares(Evaluators& evaluator, const Weighting& weighting,
                                     const FitOptions& options, Eigen::VectorXd& u,
                                     const std::vector<int>& fixed = {}) {
  ResidualCost cost(evaluator, weighting, options.gradient);
  ceres::Problem::Options problem_options;
  problem_options.cost_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  problem_options.manifold_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  ceres::Problem problem(problem_options);
  problem.AddResidualBlock(&cost, nullptr, u.data());
  const auto& parameters = evaluator.parameters();
  for (std::size_t j = 0; j < parameters.size(); ++j) {
    const EstimatedParameter& p = parameters[j];
    const double lower = p.log_scale ? (p.lower > 0.0 ? std::log(p.lower) : -kInf) : p.lower;
    const double upper = p.log_scale ? std::log(p.upper) : p.upper;
    if (std::isfinite(lower)) problem.SetParameterLowerBound(u.data(), static_cast<int>(j), lower);
    if (std::isfinite(upper)) problem.SetParameterUpperBound(u.data(), static_cast<int>(j), upper);
  }
  std::optional<ceres::SubsetManifold> subset;
  if (!fixed.empty()) {
    if (fixed.size() == parameters.size()) {
      problem.SetParameterBlockConstant(u.data());
    } else {
      subset.emplace(static_cast<int>(parameters.size()), fixed);
      problem.SetManifold(u.data(), &*subset);
    }
  }
  ceres::Solver::Options solver;
  solver.linear_solver_type = ceres::DENSE_QR;
  solver.max_num_iterations = options.max_iterations;
  solver.function_tolerance = 1e-12;
  solver.gradient_tolerance = 1e-14;
  solver.parameter_tolerance = 1e-10;
  solver.num_threads = 1;  // determinism: one evaluation order whatever the machine
  solver.logging_type = ceres::SILENT;
  ceres::Solver::Summary summary;
  ceres::Solve(solver, &problem, &summary);
  return summary;
}

double weighted_rss(Evaluators& evaluator, const Weighting& weighting, const Eigen::VectorXd& u) {
  const Eigen::VectorXd f = evaluator.predict(u);
  Eigen::VectorXd r(f.size());
  if (!weighting.residuals(f, nullptr, r.data(), nullptr)) return kInf;
  return r.squaredNorm();
}

// The subsets scored for collinearity: every subset of two or more parameters, smallest first,
// or the pairs only above kMostParametersForAllSubsets parameters. Indices NaN.
std::vector<CollinearitySubset> collinearity_subsets(std::size_t m) {
  std::vector<CollinearitySubset> subsets;
  if (m <= kMostParametersForAllSubsets) {
    for (unsigned mask = 1; mask < (1U << m); ++mask) {
      std::vector<int> members;
      for (std::size_t j = 0; j < m; ++j) {
        if ((mask >> j) & 1U) members.push_back(static_cast<int>(j));
      }
      if (members.size() >= 2) subsets.push_back({members, kNaN});
    }
    std::stable_sort(subsets.begin(), subsets.end(), [](const auto& a, const auto& b) {
      return a.members.size() < b.members.size();
    });
  } else {
    for (std::size_t a = 0; a < m; ++a) {
      for (std::size_t b = a + 1; b < m; ++b) {
        subsets.push_back({{static_cast<int>(a), static_cast<int>(b)}, kNaN});
      }
    }
  }
  return subsets;
}

// Brun et al. (2001): columns normalised to unit length, γ = 1/√λ_min(SᵀS) over each subset.
std::vector<CollinearitySubset> collinearity(const Eigen::MatrixXd& weighted_jacobian) {
  Eigen::MatrixXd s = weighted_jacobian;
  for (Eigen::Index j = 0; j < s.cols(); ++j) {
    const double norm = s.col(j).norm();
    if (norm > 0.0) s.col(j) /= norm;
  }
  std::vector<CollinearitySubset> subsets =
      collinearity_subsets(static_cast<std::size_t>(s.cols()));
  for (CollinearitySubset& subset : subsets) {
    Eigen::MatrixXd sub(s.rows(), static_cast<Eigen::Index>(subset.members.size()));
    for (std::size_t k = 0; k < subset.members.size(); ++k) {
      sub.col(static_cast<Eigen::Index>(k)) = s.col(subset.members[k]);
    }
    const Eigen::MatrixXd cross = sub.transpose() * sub;
    const double smallest = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(cross).eigenvalues()(0);
    subset.index = smallest > 0.0 ? 1.0 / std::sqrt(smallest) : kInf;
  }
  return subsets;
}

}  // namespace

// ---- parameters and error models -----------------------------------------------------------

std::string EstimatedParameter::override_text(double value) const {
  return path + "=" + round_trip_number(value) + (unit.empty() ? "" : " " + unit);
}

double EstimatedParameter::to_fitted(double value) const {
  return log_scale ? std::log(value) : value;
}

double EstimatedParameter::from_fitted(double fitted) const {
  return log_scale ? std::exp(fitted) : fitted;
}

EstimatedParameter parse_estimate(const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos) {
    estimate_error(text, "no initial value: the scenario's own value is not read back");
  }
  EstimatedParameter p;
  p.path = trim(text.substr(0, equals));
  if (p.path.empty()) estimate_error(text, "the path is empty");
  const std::vector<std::string> values = split(text.substr(equals + 1), ',');
  if (values.size() != 1 && values.size() != 3) {
    estimate_error(text, "give the initial value alone or with both bounds");
  }
  // The initial value fixes the unit every value is held in.
  const std::string& initial = values[0];
  const auto space = initial.find_first_of(" \t");
  p.unit = space == std::string::npos ? "" : trim(initial.substr(space + 1));
  units::Quantity one;
  units::Quantity start;
  try {
    start = units::parse_quantity(initial);
    std::string unit_text = "1";
    if (!p.unit.empty()) unit_text.append(" ").append(p.unit);
    one = units::parse_quantity(unit_text);
  } catch (const UnitError& e) {
    estimate_error(text, e.what());
  }
  p.initial = start.value / one.value;
  const auto bound = [&](const std::string& value, double none) {
    if (value.empty() || value == "-") return none;
    units::Quantity q;
    try {
      q = units::parse_quantity(value);
    } catch (const UnitError& e) {
      estimate_error(text, e.what());
    }
    if (!(q.dimension == start.dimension)) {
      estimate_error(text, "bound '" + value + "' is not " + units::describe(start.dimension));
    }
    return q.value / one.value;
  };
  if (values.size() == 3) {
    p.lower = bound(values[1], -kInf);
    p.upper = bound(values[2], kInf);
  }
  if (!(p.lower < p.upper)) estimate_error(text, "the lower bound must be below the upper one");
  if (!(p.initial >= p.lower && p.initial <= p.upper)) {
    estimate_error(text, "the initial value lies outside its bounds");
  }
  p.log_scale = p.initial > 0.0 && !(p.lower < 0.0);
  return p;
}

std::string ErrorModel::describe() const {
  const std::string sd = round_trip_number(additive_ug_per_mL) + " ug/mL";
  switch (kind) {
    case ErrorModelKind::kAdditive:
      return "additive (SD " + sd + " x residual scale)";
    case ErrorModelKind::kProportional:
      return "proportional (CV " + round_trip_number(proportional) + " x residual scale)";
    case ErrorModelKind::kCombined:
      return "combined (SD " + sd + ", CV " + round_trip_number(proportional) +
             ", x residual scale)";
    case ErrorModelKind::kLog:
      return "log-normal (residuals of log concentration)";
  }
  return "unknown";
}

ErrorModel parse_error_model(const std::string& text) {
  const auto colon = text.find(':');
  const std::string kind = trim(text.substr(0, colon));
  const std::vector<std::string> values =
      colon == std::string::npos ? std::vector<std::string>{} : split(text.substr(colon + 1), ',');
  const auto fail = [&](const std::string& why) -> ErrorModel {
    throw InputError("--error", 0, "",
                     "'" + printable_message(text, 200) + "': " + why +
                         " (expected additive[:SD], proportional[:CV], combined:SD,CV or log; "
                         "SD with a concentration unit, e.g. combined:0.01 ug/mL,0.1)");
  };
  const auto number = [&](const std::string& value, units::Dimension dimension) {
    try {
      const double v = units::parse_as(value, dimension);
      if (!(v > 0.0)) fail("'" + value + "' must be positive");
      return v;
    } catch (const UnitError& e) {
      fail(e.what());
    }
    return 0.0;
  };
  ErrorModel model;
  if (kind == "additive" && values.size() <= 1) {
    model.kind = ErrorModelKind::kAdditive;
    if (!values.empty()) model.additive_ug_per_mL = number(values[0], units::kConcentration);
  } else if (kind == "proportional" && values.size() <= 1) {
    model.kind = ErrorModelKind::kProportional;
    if (!values.empty()) model.proportional = number(values[0], units::kDimensionless);
  } else if (kind == "combined" && values.size() == 2) {
    model.kind = ErrorModelKind::kCombined;
    model.additive_ug_per_mL = number(values[0], units::kConcentration);
    model.proportional = number(values[1], units::kDimensionless);
  } else if (kind == "log" && values.empty()) {
    model.kind = ErrorModelKind::kLog;
  } else {
    fail(kind == "combined" ? "combined needs both an SD and a CV" : "unknown error model");
  }
  return model;
}

// ---- fitting -----------------------------------------------------------------------------

SubjectScenario parse_subject_override(const std::string& text) {
  const auto colon = text.find(':');
  const auto equals = text.find('=');
  if (colon == std::string::npos || colon == 0 || equals == std::string::npos || equals < colon) {
    throw InputError(
        "", 0, "--subject-set",
        "'" + printable_message(text, 200) +
            "': expected SUBJECT:PATH=VALUE, e.g. 2:injections.0.dose.morphine=500 ug");
  }
  return {trim(text.substr(0, colon)), {trim(text.substr(colon + 1))}};
}

FitResult failed_fit(const std::vector<EstimatedParameter>& parameters,
                     const ObservationSet& observations, const std::string& label,
                     const std::string& why) {
  const auto m = static_cast<Eigen::Index>(parameters.size());
  FitResult result;
  result.label = label;
  result.observations = observations;
  for (const auto& p : parameters) {
    result.start.push_back(p.initial);
    ParameterEstimate e;
    e.estimate = e.standard_error = e.fitted_standard_error = kNaN;
    e.ci_lower = e.ci_upper = e.rse_percent = kNaN;
    e.gradient = "-";
    result.parameters.push_back(e);
  }
  result.covariance = Eigen::MatrixXd::Constant(m, m, kNaN);
  result.correlation = Eigen::MatrixXd::Constant(m, m, kNaN);
  result.collinearity = collinearity_subsets(parameters.size());
  result.predicted.assign(observations.rows.size(), kNaN);
  result.standardized_residual.assign(observations.rows.size(), kNaN);
  result.weighted_rss = result.residual_scale = result.minus2_log_likelihood = kNaN;
  result.aic = result.bic = kNaN;
  result.message = "failed: " + why;
  return result;
}

FitResult fit(const ScenarioTemplate& scenario, const std::vector<EstimatedParameter>& parameters,
              const ObservationSet& observations, const FitOptions& options,
              const std::vector<SubjectScenario>& subjects) {
  std::vector<double> start;
  for (const auto& p : parameters) start.push_back(p.initial);
  return fit_from(scenario, parameters, start, observations, options, subjects);
}

FitResult fit_from(const ScenarioTemplate& scenario,
                   const std::vector<EstimatedParameter>& parameters,
                   const std::vector<double>& start, const ObservationSet& all_observations,
                   const FitOptions& options, const std::vector<SubjectScenario>& subjects) {
  if (start.size() != parameters.size()) throw InputError("one start value per parameter");
  for (std::size_t k = 0; k < start.size(); ++k) {
    const EstimatedParameter& p = parameters[k];
    if (!(start[k] >= p.lower && start[k] <= p.upper) || (p.log_scale && !(start[k] > 0.0))) {
      throw InputError(
          "--estimate", 0, "",
          p.path + ": the start " + round_trip_number(start[k]) + " lies outside the bounds");
    }
  }
  Evaluators evaluator(scenario, parameters, all_observations, subjects);
  const ObservationSet& observations = evaluator.observations();
  const auto n = static_cast<Eigen::Index>(observations.rows.size());
  const auto m = static_cast<Eigen::Index>(parameters.size());
  Weighting weighting{options.error, Eigen::VectorXd(n), Eigen::VectorXd(n), Eigen::VectorXd()};
  for (Eigen::Index i = 0; i < n; ++i) {
    const Observation& row = observations.rows[static_cast<std::size_t>(i)];
    if (weighting.log() && !(row.value_ug_per_mL > 0.0)) {
      throw InputError(observations.file, row.line, "value",
                       "the log error model needs positive concentrations (drop or censor zeros)");
    }
    weighting.observed[i] = row.value_ug_per_mL;
    weighting.weight_root[i] = std::sqrt(row.weight);
  }
  Eigen::VectorXd u = evaluator.to_fitted(start);
  weighting.update_scale(evaluator.predict(u));

  FitResult result;
  result.label = "pooled";
  result.observations = observations;
  result.start = start;
  ceres::Solver::Summary summary;
  bool settled = !weighting.reweighted();
  for (int round = 0; round < kMostReweightRounds; ++round) {
    const Eigen::VectorXd before = u;
    summary = least_squares(evaluator, weighting, options, u);
    result.iterations += static_cast<int>(summary.iterations.size());
    if (!weighting.reweighted()) break;
    weighting.update_scale(evaluator.predict(u));
    if ((u - before).cwiseAbs().maxCoeff() < kReweightTolerance * (1.0 + u.cwiseAbs().maxCoeff()) &&
        round > 0) {
      settled = true;
      break;
    }
  }
  result.converged = settled && summary.termination_type == ceres::CONVERGENCE;
  result.message = summary.message;
  if (!settled) {
    result.message += "; the weights of the error model did not settle in " +
                      std::to_string(kMostReweightRounds) + " reweighting rounds";
  }

  // Statistics at the estimate, with the final weights.
  Eigen::VectorXd f;
  const Eigen::MatrixXd j = evaluator.jacobian(u, options.gradient, f);
  Eigen::VectorXd r(n);
  Eigen::MatrixXd jw(n, m);
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> jw_rows(n, m);
  if (!weighting.residuals(f, &j, r.data(), jw_rows.data())) {
    throw SolverError(observations.rows.front().drug, 0.0,
                      "a prediction at the estimate is not positive (log error model)");
  }
  jw = -jw_rows;  // ∂f/∂u scaled as the residuals are (the sign does not matter below)
  result.weighted_rss = r.squaredNorm();
  result.degrees_of_freedom = static_cast<int>(n - m);
  const double dof = static_cast<double>(n - m);
  const double variance = dof > 0 ? result.weighted_rss / dof : kNaN;
  result.residual_scale = std::sqrt(variance);
  const Eigen::MatrixXd information = jw.transpose() * jw;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(information);
  const double largest = eigen.eigenvalues().cwiseAbs().maxCoeff();
  const bool singular = !(eigen.eigenvalues().minCoeff() > 1e-12 * largest);
  if (singular) {
    result.message +=
        "; the information matrix is singular: some parameters cannot be told "
        "apart by these data (see the collinearity indices)";
  }
  result.covariance = singular ? Eigen::MatrixXd::Constant(m, m, kNaN)
                               : Eigen::MatrixXd(variance * information.inverse());
  result.correlation = Eigen::MatrixXd(m, m);
  for (Eigen::Index a = 0; a < m; ++a) {
    for (Eigen::Index b = 0; b < m; ++b) {
      result.correlation(a, b) =
          result.covariance(a, b) / std::sqrt(result.covariance(a, a) * result.covariance(b, b));
    }
  }
  const double t = dof > 0 ? boost::math::quantile(boost::math::complement(
                                 boost::math::students_t(dof), (1.0 - options.confidence) / 2.0))
                           : kNaN;
  const std::vector<std::string> notes = evaluator.gradient_notes();
  for (Eigen::Index k = 0; k < m; ++k) {
    const EstimatedParameter& p = parameters[static_cast<std::size_t>(k)];
    ParameterEstimate e;
    e.estimate = p.from_fitted(u[k]);
    e.fitted_standard_error = std::sqrt(result.covariance(k, k));
    e.standard_error = p.log_scale ? e.estimate * e.fitted_standard_error : e.fitted_standard_error;
    e.ci_lower = p.from_fitted(u[k] - t * e.fitted_standard_error);
    e.ci_upper = p.from_fitted(u[k] + t * e.fitted_standard_error);
    e.rse_percent = 100.0 * e.standard_error / std::abs(e.estimate);
    const auto near = [&](double bound) {
      return std::isfinite(bound) &&
             std::abs(e.estimate - bound) <= 1e-6 * std::max(1.0, std::abs(bound));
    };
    e.at_bound = near(p.lower) || near(p.upper);
    e.gradient = notes[static_cast<std::size_t>(k)].empty() ? "sensitivity equations"
                                                            : notes[static_cast<std::size_t>(k)];
    result.parameters.push_back(e);
  }
  result.collinearity = collinearity(jw);
  for (Eigen::Index i = 0; i < n; ++i) {
    result.predicted.push_back(f[i]);
    result.standardized_residual.push_back(r[i] / result.residual_scale);
  }
  // −2 log L of independent normal errors with SD σ g_i (σ at its ML value RSS/n), on the
  // data's own scale (the log model adds the Jacobian of the log transform).
  const double nn = static_cast<double>(n);
  double log_terms = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    log_terms += weighting.log() ? 2.0 * std::log(weighting.observed[i])
                                 : 2.0 * std::log(weighting.scale[i]);
    log_terms -= 2.0 * std::log(weighting.weight_root[i]);
  }
  result.minus2_log_likelihood =
      nn * (std::log(2.0 * M_PI * result.weighted_rss / nn) + 1.0) + log_terms;
  const double k_params = static_cast<double>(m + 1);
  result.aic = result.minus2_log_likelihood + 2.0 * k_params;
  result.bic = result.minus2_log_likelihood + k_params * std::log(nn);

  if (options.profile) {
    // Profile likelihood: each parameter held at points walking out from its estimate, the
    // others re-fitted (weights held), until n·log(RSS/RSS_min) passes the χ²₁ quantile.
    const double limit = boost::math::quantile(boost::math::chi_squared(1.0), options.confidence);
    const double best = result.weighted_rss;
    for (Eigen::Index k = 0; k < m; ++k) {
      ParameterEstimate& e = result.parameters[static_cast<std::size_t>(k)];
      const double step = std::isfinite(e.fitted_standard_error) && e.fitted_standard_error > 0.0
                              ? 0.5 * e.fitted_standard_error
                              : 0.1 * std::max(1.0, std::abs(u[k]));
      for (const double direction : {-1.0, 1.0}) {
        double previous_delta = 0.0;
        double previous_at = u[k];
        double crossing = kNaN;
        Eigen::VectorXd v = u;
        for (int s = 1; s <= 16; ++s) {
          const double at = u[k] + direction * step * s;
          v[k] = at;
          double rss = kInf;
          try {
            if (m > 1) least_squares(evaluator, weighting, options, v, {static_cast<int>(k)});
            rss = weighted_rss(evaluator, weighting, v);
          } catch (const Error&) {
            break;
          }
          const double delta = nn * std::log(rss / best);
          if (delta >= limit) {
            crossing = previous_at +
                       (at - previous_at) * (limit - previous_delta) / (delta - previous_delta);
            break;
          }
          previous_delta = delta;
          previous_at = at;
        }
        const EstimatedParameter& p = parameters[static_cast<std::size_t>(k)];
        (direction < 0 ? e.profile_lower : e.profile_upper) =
            std::isfinite(crossing) ? p.from_fitted(crossing) : kNaN;
      }
    }
  }
  result.solves = evaluator.solves();
  return result;
}

}  // namespace csfpk
