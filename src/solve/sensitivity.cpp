#include "csfpk/solve/sensitivity.hpp"

#include <Eigen/SparseCore>
#include <algorithm>
#include <memory>
#include <string>

#include "csfpk/core/errors.hpp"
#include "csfpk/solve/simulate.hpp"
#include "solve/interval_plan.hpp"
#include "solve/linear_integrator.hpp"

namespace csfpk {
namespace {

// Above this many states the dense exponential of the doubled system (4n × 4n with its input
// block) costs more than CVODES does on it.
constexpr int kMostExactSensitivityStates = 64;

// The drivers of one interval in the three assemblies: intervals that share them share one
// augmented matrix and one integrator.
struct DriverKey {
  IntervalDrivers base, plus, minus;
  friend bool operator==(const DriverKey&, const DriverKey&) = default;
};

struct Augmented {
  DriverKey key;
  LinearSystem system;
  std::unique_ptr<LinearIntegrator> integrator;
};

// [[A, 0], [(A₊ − A₋)/step, A]] for one interval's drivers.
LinearSystem augmented_system(const LinearSystem& base, const AssemblyPerturbation& p,
                              const DriverKey& key) {
  const Eigen::SparseMatrix<double> a =
      base.rates_at(key.base.tip_flow_mL_per_h, key.base.production_factor);
  Eigen::SparseMatrix<double> da =
      p.plus->rates_at(key.plus.tip_flow_mL_per_h, key.plus.production_factor) -
      p.minus->rates_at(key.minus.tip_flow_mL_per_h, key.minus.production_factor);
  da /= p.step;
  const int n = base.size();
  std::vector<Eigen::Triplet<double>> entries;
  entries.reserve(static_cast<std::size_t>(2 * a.nonZeros() + da.nonZeros()));
  for (int col = 0; col < a.outerSize(); ++col) {
    for (Eigen::SparseMatrix<double>::InnerIterator it(a, col); it; ++it) {
      const auto row = static_cast<int>(it.row());
      entries.emplace_back(row, col, it.value());
      entries.emplace_back(n + row, n + col, it.value());
    }
    for (Eigen::SparseMatrix<double>::InnerIterator it(da, col); it; ++it) {
      if (it.value() != 0.0) entries.emplace_back(n + static_cast<int>(it.row()), col, it.value());
    }
  }
  LinearSystem augmented;
  augmented.drug = base.drug;
  augmented.state_names = base.state_names;
  augmented.state_names.insert(augmented.state_names.end(), base.state_names.begin(),
                               base.state_names.end());
  augmented.volume_mL = base.volume_mL;
  augmented.volume_mL.insert(augmented.volume_mL.end(), base.volume_mL.begin(),
                             base.volume_mL.end());
  augmented.rates.resize(2 * n, 2 * n);
  augmented.rates.setFromTriplets(entries.begin(), entries.end());
  augmented.rates.makeCompressed();
  augmented.plasma_state = base.plasma_state;
  augmented.eliminated_state = base.eliminated_state;
  return augmented;
}

void require_same_timing(const IntervalPlan& base, const IntervalPlan& other,
                         const InfusionSchedule& base_schedule,
                         const InfusionSchedule& other_schedule) {
  bool same = base.breaks.size() == other.breaks.size() &&
              base_schedule.impulses.size() == other_schedule.impulses.size();
  for (std::size_t k = 0; same && k < base.breaks.size(); ++k) {
    same = same_time(base.breaks[k], other.breaks[k]);
  }
  for (std::size_t k = 0; same && k < base_schedule.impulses.size(); ++k) {
    const Impulse& a = base_schedule.impulses[k];
    const Impulse& b = other_schedule.impulses[k];
    same = same_time(a.time_h, b.time_h) && a.drug == b.drug && a.route == b.route;
  }
  if (!same) {
    throw SensitivityUnavailable(
        "the parameter changes when doses are given or delivery changes (the breakpoints), "
        "where the solution is not differentiable in the usual sense");
  }
}

Eigen::VectorXd dose_vector(RouteTargets& targets, const Impulse& impulse, int n) {
  Eigen::VectorXd dose = Eigen::VectorXd::Zero(n);
  add_dose(dose, targets.of(impulse.route), impulse.mass_ug);
  return dose;
}

// One parameter's assemblies at θ ± h, planned as the base is.
struct PerturbedPlans {
  PerturbedPlans(const AssemblyPerturbation& p)
      : perturbation(p),
        plus_targets(*p.plus),
        minus_targets(*p.minus),
        plus(plan_intervals(*p.plus, *p.plus_schedule, plus_targets)),
        minus(plan_intervals(*p.minus, *p.minus_schedule, minus_targets)) {}
  const AssemblyPerturbation& perturbation;
  RouteTargets plus_targets;
  RouteTargets minus_targets;
  IntervalPlan plus;
  IntervalPlan minus;
};

// Every parameter at once through CVODES's own forward sensitivities (the staggered corrector
// reuses the state's Newton matrix for all of them).
StateSensitivities cvodes_sensitivities(const LinearSystem& system,
                                        const InfusionSchedule& schedule, const IntervalPlan& plan,
                                        RouteTargets& targets,
                                        const std::vector<std::unique_ptr<PerturbedPlans>>& plans,
                                        const std::vector<double>& output_times_h,
                                        const SolverOptions& options) {
  const int n = system.size();
  const std::size_t m = plans.size();
  const auto integrator = make_cvodes_sensitivity_integrator(system, static_cast<int>(m), options);
  StateSensitivities result;
  result.states.resize(output_times_h.size());
  result.derivatives.assign(m, std::vector<Eigen::VectorXd>(output_times_h.size()));
  const auto record = [&](std::size_t column, const Eigen::VectorXd& x,
                          const std::vector<Eigen::VectorXd>& s) {
    result.states[column] = x;
    for (std::size_t j = 0; j < m; ++j) result.derivatives[j][column] = s[j];
  };
  IntervalDerivatives derivatives;
  derivatives.matrix.resize(m);
  derivatives.input.resize(m);
  std::vector<DriverKey> matrix_of(m);
  std::vector<bool> known(m, false);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
  std::vector<Eigen::VectorXd> s(m, Eigen::VectorXd::Zero(n));
  Eigen::VectorXd x_out;
  std::vector<Eigen::VectorXd> s_out;
  std::size_t next_output = 0;
  std::size_t next_impulse = 0;
  const auto& impulses = schedule.impulses;
  const std::vector<double>& breaks = plan.breaks;
  for (std::size_t k = 0; k < breaks.size(); ++k) {
    const double t = breaks[k];
    impulses_at(schedule, system.drug, t, next_impulse, [&](std::size_t i) {
      x += dose_vector(targets, impulses[i], n);
      for (std::size_t j = 0; j < m; ++j) {
        PerturbedPlans& p = *plans[j];
        s[j] += (dose_vector(p.plus_targets, p.perturbation.plus_schedule->impulses[i], n) -
                 dose_vector(p.minus_targets, p.perturbation.minus_schedule->impulses[i], n)) /
                p.perturbation.step;
      }
    });
    while (next_output < output_times_h.size() && same_time(output_times_h[next_output], t)) {
      record(next_output++, x, s);
    }
    if (k + 1 == breaks.size()) break;
    const double t_end = breaks[k + 1];
    for (std::size_t j = 0; j < m; ++j) {
      const PerturbedPlans& p = *plans[j];
      const AssemblyPerturbation& a = p.perturbation;
      const DriverKey key{plan.drivers[k], p.plus.drivers[k], p.minus.drivers[k]};
      if (!known[j] || !(matrix_of[j] == key)) {
        derivatives.matrix[j] =
            (a.plus->rates_at(key.plus.tip_flow_mL_per_h, key.plus.production_factor) -
             a.minus->rates_at(key.minus.tip_flow_mL_per_h, key.minus.production_factor)) /
            a.step;
        matrix_of[j] = key;
        known[j] = true;
      }
      derivatives.input[j] = (p.plus.inputs[k] - p.minus.inputs[k]) / a.step;
    }
    integrator->start_interval(t, t_end, x, s, plan.inputs[k], plan.drivers[k], derivatives);
    while (next_output < output_times_h.size() && output_times_h[next_output] < t_end &&
           !same_time(output_times_h[next_output], t_end)) {
      integrator->advance_to(output_times_h[next_output], x_out, s_out);
      record(next_output++, x_out, s_out);
    }
    integrator->advance_to(t_end, x, s);
  }
  return result;
}

}  // namespace

StateSensitivities simulate_sensitivities(const LinearSystem& system,
                                          const InfusionSchedule& schedule,
                                          const std::vector<AssemblyPerturbation>& parameters,
                                          const std::vector<double>& output_times_h,
                                          const SolverOptions& options) {
  if (system.nonlinear_correction) {
    throw SensitivityUnavailable(
        "the limited advection scheme is nonlinear; sensitivities are solved for linear systems");
  }
  if (parameters.empty()) throw SolverError(system.drug, 0.0, "no parameter to differentiate");
  if (!std::is_sorted(output_times_h.begin(), output_times_h.end()) ||
      (!output_times_h.empty() && (output_times_h.front() < 0.0 ||
                                   output_times_h.back() > schedule.horizon_h * (1 + 1e-12)))) {
    throw SolverError(system.drug, 0.0, "output times must be sorted and within the run");
  }
  const int n = system.size();
  RouteTargets targets(system);
  const IntervalPlan plan = plan_intervals(system, schedule, targets);
  SolverOptions augmented_options = options;
  augmented_options.method =
      choose_method(system, options) == SolverMethod::kExact && n <= kMostExactSensitivityStates
          ? SolverMethod::kExact
          : SolverMethod::kCvode;

  std::vector<std::unique_ptr<PerturbedPlans>> plans;
  for (const AssemblyPerturbation& p : parameters) {
    if (p.plus == nullptr || p.minus == nullptr || p.plus_schedule == nullptr ||
        p.minus_schedule == nullptr || !(p.step > 0.0) || p.plus->size() != n ||
        p.minus->size() != n) {
      throw SensitivityUnavailable("the perturbed model has a different shape");
    }
    plans.push_back(std::make_unique<PerturbedPlans>(p));
    require_same_timing(plan, plans.back()->plus, schedule, *p.plus_schedule);
    require_same_timing(plan, plans.back()->minus, schedule, *p.minus_schedule);
  }
  if (augmented_options.method == SolverMethod::kCvode) {
    return cvodes_sensitivities(system, schedule, plan, targets, plans, output_times_h, options);
  }

  // The exact method: one doubled system [[A, 0], [∂A, A]] per parameter through the matrix
  // exponential.
  StateSensitivities result;
  result.states.resize(output_times_h.size());
  result.derivatives.assign(parameters.size(), std::vector<Eigen::VectorXd>(output_times_h.size()));
  for (std::size_t j = 0; j < parameters.size(); ++j) {
    const AssemblyPerturbation& p = parameters[j];
    RouteTargets& plus_targets = plans[j]->plus_targets;
    RouteTargets& minus_targets = plans[j]->minus_targets;
    const IntervalPlan& plus_plan = plans[j]->plus;
    const IntervalPlan& minus_plan = plans[j]->minus;

    std::vector<std::unique_ptr<Augmented>> classes;
    const auto integrator_for = [&](std::size_t k) -> LinearIntegrator& {
      const DriverKey key{plan.drivers[k], plus_plan.drivers[k], minus_plan.drivers[k]};
      for (const auto& known : classes) {
        if (known->key == key) return *known->integrator;
      }
      auto entry = std::make_unique<Augmented>();
      entry->key = key;
      entry->system = augmented_system(system, p, key);
      entry->integrator = make_exact_integrator(entry->system);
      classes.push_back(std::move(entry));
      return *classes.back()->integrator;
    };
    const auto record = [&](std::size_t column, const Eigen::VectorXd& z) {
      if (j == 0) result.states[column] = z.head(n);
      result.derivatives[j][column] = z.tail(n);
    };

    Eigen::VectorXd z = Eigen::VectorXd::Zero(2 * n);
    Eigen::VectorXd input(2 * n);
    std::size_t next_output = 0;
    std::size_t next_impulse = 0;
    const auto& impulses = schedule.impulses;
    const std::vector<double>& breaks = plan.breaks;
    for (std::size_t k = 0; k < breaks.size(); ++k) {
      const double t = breaks[k];
      impulses_at(schedule, system.drug, t, next_impulse, [&](std::size_t i) {
        z.head(n) += dose_vector(targets, impulses[i], n);
        z.tail(n) += (dose_vector(plus_targets, p.plus_schedule->impulses[i], n) -
                      dose_vector(minus_targets, p.minus_schedule->impulses[i], n)) /
                     p.step;
      });
      while (next_output < output_times_h.size() && same_time(output_times_h[next_output], t)) {
        record(next_output++, z);
      }
      if (k + 1 == breaks.size()) break;
      const double t_end = breaks[k + 1];
      input.head(n) = plan.inputs[k];
      input.tail(n) = (plus_plan.inputs[k] - minus_plan.inputs[k]) / p.step;
      LinearIntegrator& integrator = integrator_for(k);
      integrator.start_interval(t, t_end, z, input, IntervalDrivers{});
      while (next_output < output_times_h.size() && output_times_h[next_output] < t_end &&
             !same_time(output_times_h[next_output], t_end)) {
        record(next_output, integrator.advance_to(output_times_h[next_output]));
        ++next_output;
      }
      z = integrator.advance_to(t_end);
    }
  }
  return result;
}

}  // namespace csfpk
