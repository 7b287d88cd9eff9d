#include "csfpk/fit/model_evaluator.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/text.hpp"
#include "csfpk/core/units.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/run/pipeline.hpp"
#include "csfpk/solve/sensitivity.hpp"
#include "csfpk/solve/simulate.hpp"

namespace csfpk {
namespace {

// Step of the assembly differences in the fitted scale: relative for linear-scale parameters.
constexpr double kAssemblyStep = 1e-4;
// Step of whole-solution differences: larger, because a solver's error (rtol ~1e-8) divided by
// the step must stay small against the derivative.
constexpr double kSolutionStep = 1e-3;

double step_for(const EstimatedParameter& p, double fitted, double relative) {
  return p.log_scale ? relative : relative * std::max(std::abs(fitted), 1e-12);
}

// One observation as a combination of a drug's states: Σ coefficient · x[state] (µg/mL), and
// where the same figure is in a solved trajectory (site rows, or the CSF profile's cells).
struct Term {
  bool profile = false;  // a 1D cell (csf_profile) rather than a named site
  int row = 0;           // in concentration_ug_per_mL or csf_profile_ug_per_mL
  int state = 0;
  double weight = 1.0;       // interpolation weight
  double coefficient = 0.0;  // weight / volume
};

// The terms of `site` for one drug's model: a named site, or a vertebral level interpolated
// linearly between the two cell centres around it (as the 1D summaries do). Empty when unknown.
std::vector<Term> terms_of(const ModelInstance& instance, const std::string& site) {
  const LinearSystem& system = instance.system;
  const auto volume = [&](int state) { return system.volume_mL[static_cast<std::size_t>(state)]; };
  const auto named = std::find(system.site_names.begin(), system.site_names.end(), site);
  if (named != system.site_names.end()) {
    const auto row = static_cast<int>(named - system.site_names.begin());
    const int state = system.site_states[static_cast<std::size_t>(row)];
    return {Term{false, row, state, 1.0, 1.0 / volume(state)}};
  }
  const Trajectory& axes = instance.axes;
  const std::vector<double>& x = axes.positions_cm;
  if (x.empty() || system.profile_states.size() != x.size()) return {};
  double at = 0.0;
  const auto level = std::find(axes.levels.begin(), axes.levels.end(), site);
  if (level != axes.levels.end()) {
    at = axes.level_positions_cm[static_cast<std::size_t>(level - axes.levels.begin())];
  } else {
    // A position along the canal ("12 cm" from the sacral end), inside the grid.
    try {
      at = units::parse_as(site, units::kLength);
    } catch (const Error&) {
      return {};
    }
    const std::vector<double>& faces = axes.cell_faces_cm;
    if (faces.empty() || at < faces.front() || at > faces.back()) return {};
  }
  const auto cell = [&](std::size_t i, double w) {
    const int state = system.profile_states[i];
    return Term{true, static_cast<int>(i), state, w, w / volume(state)};
  };
  const auto upper = std::upper_bound(x.begin(), x.end(), at);
  if (upper == x.begin()) return {cell(0, 1.0)};
  if (upper == x.end()) return {cell(x.size() - 1, 1.0)};
  const auto i = static_cast<std::size_t>(upper - x.begin());
  const double f = (at - x[i - 1]) / (x[i] - x[i - 1]);
  return {cell(i - 1, 1.0 - f), cell(i, f)};
}

std::vector<std::string> site_choices(const ModelInstance& instance) {
  std::vector<std::string> choices = instance.system.site_names;
  if (!instance.axes.levels.empty()) {
    choices.push_back("a vertebral level (" + instance.axes.levels.front() + " … " +
                      instance.axes.levels.back() + ")");
  }
  if (!instance.axes.cell_faces_cm.empty()) {
    choices.push_back("a position from " + round_trip_number(instance.axes.cell_faces_cm.front()) +
                      " cm to " + round_trip_number(instance.axes.cell_faces_cm.back()) + " cm");
  }
  return choices;
}

}  // namespace

struct ModelEvaluator::Impl {
  const ScenarioTemplate& scenario;
  std::vector<EstimatedParameter> parameters;
  ObservationSet observations;
  // The observations of one drug: its index among the problem's drugs, its distinct sorted
  // times, and per observation (global index) its time column and site.
  struct DrugGroup {
    std::size_t drug = 0;
    std::vector<double> times_h;
    std::vector<std::size_t> rows;     // observation indices
    std::vector<std::size_t> columns;  // time column of each
  };
  std::vector<DrugGroup> groups;
  std::vector<std::string> notes;
  long solves = 0;

  std::vector<std::string> fixed_overrides;

  Impl(const ScenarioTemplate& s, std::vector<EstimatedParameter> p, ObservationSet o,
       std::vector<std::string> fixed)
      : scenario(s),
        parameters(std::move(p)),
        observations(std::move(o)),
        fixed_overrides(std::move(fixed)) {}

  Problem problem_at(const Eigen::VectorXd& fitted) const {
    std::vector<std::string> overrides = fixed_overrides;
    for (std::size_t j = 0; j < parameters.size(); ++j) {
      overrides.push_back(parameters[j].override_text(
          parameters[j].from_fitted(fitted[static_cast<Eigen::Index>(j)])));
    }
    return compile(scenario.with(overrides));
  }

  std::vector<Term> terms(const Problem& problem, const DrugGroup& group, std::size_t row) const {
    return terms_of(problem.drugs[group.drug], observations.rows[row].site);
  }

  Eigen::VectorXd predict(const Problem& problem) {
    Eigen::VectorXd f = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(observations.rows.size()));
    for (const DrugGroup& group : groups) {
      const ModelInstance& instance = problem.drugs[group.drug];
      const DrugTrajectory solved =
          simulate(instance.system, *problem.schedule, group.times_h, problem.scenario.solver);
      ++solves;
      for (std::size_t k = 0; k < group.rows.size(); ++k) {
        double value = 0.0;
        const auto column = static_cast<Eigen::Index>(group.columns[k]);
        for (const Term& term : terms(problem, group, group.rows[k])) {
          const Eigen::MatrixXd& source =
              term.profile ? solved.csf_profile_ug_per_mL : solved.concentration_ug_per_mL;
          value += term.weight * source(term.row, column);
        }
        f[static_cast<Eigen::Index>(group.rows[k])] = value;
      }
    }
    return f;
  }

  Eigen::VectorXd predict_at(const Eigen::VectorXd& fitted) { return predict(problem_at(fitted)); }

  // `fitted` with parameter j moved by ± its step (`relative` as step_for takes it); the step.
  struct Around {
    Eigen::VectorXd up, down;
    double h = 0.0;
  };
  Around around(const Eigen::VectorXd& fitted, std::size_t j, double relative) const {
    const auto jj = static_cast<Eigen::Index>(j);
    Around a{fitted, fitted, step_for(parameters[j], fitted[jj], relative)};
    a.up[jj] += a.h;
    a.down[jj] -= a.h;
    return a;
  }

  Eigen::VectorXd difference_column(const Eigen::VectorXd& fitted, std::size_t j) {
    const Around a = around(fitted, j, kSolutionStep);
    return (predict_at(a.up) - predict_at(a.down)) / (2.0 * a.h);
  }

  // Σ coefficient · x over the terms of one observation, in a given problem.
  static double apply(const std::vector<Term>& terms, const Eigen::VectorXd& x) {
    double sum = 0.0;
    for (const Term& t : terms) sum += t.coefficient * x[t.state];
    return sum;
  }

  // ∂f/∂u for the parameters `which` (columns in that order) by the sensitivity equations of
  // every observed drug, all parameters in one solve per drug; throws SensitivityUnavailable.
  Eigen::MatrixXd sensitivity_columns(const Problem& base, const Eigen::VectorXd& fitted,
                                      const std::vector<std::size_t>& which) {
    std::vector<double> steps;
    std::vector<Problem> plus;
    std::vector<Problem> minus;
    plus.reserve(which.size());
    minus.reserve(which.size());
    for (const std::size_t j : which) {
      const Around a = around(fitted, j, kAssemblyStep);
      steps.push_back(2.0 * a.h);
      plus.push_back(problem_at(a.up));
      minus.push_back(problem_at(a.down));
    }
    Eigen::MatrixXd columns =
        Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(observations.rows.size()),
                              static_cast<Eigen::Index>(which.size()));
    for (const DrugGroup& group : groups) {
      const std::size_t d = group.drug;
      std::vector<AssemblyPerturbation> perturbations;
      for (std::size_t k = 0; k < which.size(); ++k) {
        perturbations.push_back({&plus[k].drugs[d].system, &minus[k].drugs[d].system,
                                 plus[k].schedule.get(), minus[k].schedule.get(), steps[k]});
      }
      const StateSensitivities solved = simulate_sensitivities(
          base.drugs[d].system, *base.schedule, perturbations, group.times_h, base.scenario.solver);
      ++solves;
      for (std::size_t r = 0; r < group.rows.size(); ++r) {
        const std::size_t row = group.rows[r];
        const Eigen::VectorXd& x = solved.states[group.columns[r]];
        const std::vector<Term> at_base = terms(base, group, row);
        for (std::size_t k = 0; k < which.size(); ++k) {
          const Eigen::VectorXd& s = solved.derivatives[k][group.columns[r]];
          // ∂(H x)/∂u = H s + (∂H/∂u) x: volumes and level positions may depend on the parameter.
          columns(static_cast<Eigen::Index>(row), static_cast<Eigen::Index>(k)) =
              apply(at_base, s) +
              (apply(terms(plus[k], group, row), x) - apply(terms(minus[k], group, row), x)) /
                  steps[k];
        }
      }
    }
    return columns;
  }
};

ModelEvaluator::ModelEvaluator(const ScenarioTemplate& scenario,
                               std::vector<EstimatedParameter> parameters,
                               ObservationSet observations, std::vector<std::string> overrides)
    : impl_(std::make_unique<Impl>(scenario, std::move(parameters), std::move(observations),
                                   std::move(overrides))) {
  Impl& m = *impl_;
  if (m.parameters.empty()) throw InputError("no parameter to estimate: give --estimate PATH=…");
  std::vector<double> initial;
  for (const auto& p : m.parameters) initial.push_back(p.initial);
  const Problem problem = m.problem_at(to_fitted(initial));
  const ObservationSet& obs = m.observations;
  std::map<std::size_t, std::size_t> group_of_drug;
  for (std::size_t i = 0; i < obs.rows.size(); ++i) {
    const Observation& row = obs.rows[i];
    std::size_t d = 0;
    while (d < problem.drugs.size() && problem.drugs[d].system.drug != row.drug) ++d;
    if (d == problem.drugs.size()) {
      std::vector<std::string> names;
      for (const auto& instance : problem.drugs) names.push_back(instance.system.drug);
      throw InputError(
          obs.file, row.line, "drug",
          "'" + printable_message(row.drug, 80) +
              "' is not delivered by the scenario (its drugs: " + join_alternatives(names) + ")");
    }
    if (terms_of(problem.drugs[d], row.site).empty()) {
      throw InputError(obs.file, row.line, "site",
                       "'" + printable_message(row.site, 80) + "' is not a site of the " +
                           std::string(problem.model->name()) + " model; expected " +
                           join_alternatives(site_choices(problem.drugs[d])));
    }
    if (row.time_h > problem.scenario.duration_h * (1 + 1e-12)) {
      throw InputError(obs.file, row.line, "time",
                       "is after the end of the scenario (" +
                           round_trip_number(problem.scenario.duration_h) + " h)");
    }
    const auto [it, added] = group_of_drug.emplace(d, m.groups.size());
    if (added) {
      m.groups.emplace_back();
      m.groups.back().drug = d;
    }
    m.groups[it->second].rows.push_back(i);
  }
  for (Impl::DrugGroup& group : m.groups) {
    for (const std::size_t row : group.rows) group.times_h.push_back(obs.rows[row].time_h);
    std::sort(group.times_h.begin(), group.times_h.end());
    group.times_h.erase(std::unique(group.times_h.begin(), group.times_h.end()),
                        group.times_h.end());
    for (const std::size_t row : group.rows) {
      group.columns.push_back(static_cast<std::size_t>(
          std::lower_bound(group.times_h.begin(), group.times_h.end(), obs.rows[row].time_h) -
          group.times_h.begin()));
    }
  }
  m.notes.assign(m.parameters.size(), "");
}

ModelEvaluator::~ModelEvaluator() = default;

const std::vector<EstimatedParameter>& ModelEvaluator::parameters() const {
  return impl_->parameters;
}
const ObservationSet& ModelEvaluator::observations() const {
  return impl_->observations;
}
const std::vector<std::string>& ModelEvaluator::gradient_notes() const {
  return impl_->notes;
}
long ModelEvaluator::solves() const {
  return impl_->solves;
}

Eigen::VectorXd ModelEvaluator::to_fitted(const std::vector<double>& values) const {
  Eigen::VectorXd fitted(static_cast<Eigen::Index>(values.size()));
  for (std::size_t j = 0; j < values.size(); ++j) {
    fitted[static_cast<Eigen::Index>(j)] = impl_->parameters[j].to_fitted(values[j]);
  }
  return fitted;
}

std::vector<double> ModelEvaluator::from_fitted(const Eigen::VectorXd& fitted) const {
  std::vector<double> values;
  for (std::size_t j = 0; j < impl_->parameters.size(); ++j) {
    values.push_back(impl_->parameters[j].from_fitted(fitted[static_cast<Eigen::Index>(j)]));
  }
  return values;
}

Eigen::VectorXd ModelEvaluator::predict(const Eigen::VectorXd& fitted) {
  return impl_->predict_at(fitted);
}

Eigen::MatrixXd ModelEvaluator::jacobian(const Eigen::VectorXd& fitted, GradientMethod method,
                                         Eigen::VectorXd& predictions) {
  Impl& m = *impl_;
  const Problem base = m.problem_at(fitted);
  predictions = m.predict(base);
  Eigen::MatrixXd j(predictions.size(), static_cast<Eigen::Index>(m.parameters.size()));
  const std::size_t count = m.parameters.size();
  if (method == GradientMethod::kFiniteDifference) {
    for (std::size_t k = 0; k < count; ++k) {
      m.notes[k] = "finite differences (requested)";
      j.col(static_cast<Eigen::Index>(k)) = m.difference_column(fitted, k);
    }
    return j;
  }
  std::vector<std::size_t> all(count);
  for (std::size_t k = 0; k < count; ++k) all[k] = k;
  try {
    j = m.sensitivity_columns(base, fitted, all);
    std::fill(m.notes.begin(), m.notes.end(), std::string());
    return j;
  } catch (const SensitivityUnavailable&) {
    // Some parameter cannot be differentiated this way: find which, one at a time.
  }
  for (std::size_t k = 0; k < count; ++k) {
    const auto col = static_cast<Eigen::Index>(k);
    try {
      j.col(col) = m.sensitivity_columns(base, fitted, {k});
      m.notes[k].clear();
    } catch (const SensitivityUnavailable& e) {
      m.notes[k] = std::string("finite differences: ") + e.what();
      j.col(col) = m.difference_column(fitted, k);
    }
  }
  return j;
}

}  // namespace csfpk
