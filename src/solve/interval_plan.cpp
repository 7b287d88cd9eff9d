#include "solve/interval_plan.hpp"

#include <algorithm>
#include <cmath>

#include "csfpk/core/errors.hpp"

namespace csfpk {
namespace {

// The schedule's breakpoints, plus every full hour when CSF production follows the clock (the
// solvers hold it at its interval mean, so an hour is the longest step of that approximation).
std::vector<double> interval_breaks(const LinearSystem& system, const InfusionSchedule& schedule) {
  std::vector<double> breaks = schedule.breakpoints_h;
  if (!system.has_circadian()) return breaks;
  constexpr double kMostHours =
      1e6;  // 114 years; beyond that the hourly steps alone exhaust memory
  if (schedule.horizon_h > kMostHours) {
    throw SolverError(system.drug, 0.0,
                      "circadian CSF production is resolved hourly; runs longer than 1e6 h are "
                      "refused (use constant production)");
  }
  for (double hour = 1.0; hour < schedule.horizon_h; hour += 1.0) breaks.push_back(hour);
  std::sort(breaks.begin(), breaks.end());
  std::vector<double> unique;
  for (const double t : breaks) {
    if (unique.empty() || !same_time(unique.back(), t)) unique.push_back(t);
  }
  return unique;
}

}  // namespace

bool same_time(double a, double b) {
  return std::abs(a - b) <= 1e-12 * std::max(1.0, std::abs(a));
}

void add_dose(Eigen::VectorXd& target, const InputTarget& where, double amount) {
  for (std::size_t i = 0; i < where.states.size(); ++i)
    target[where.states[i]] += amount * where.weights[i];
}

const InputTarget& RouteTargets::of(const Route& route) {
  for (const auto& [known, target] : targets_) {
    if (known == route) return target;
  }
  targets_.emplace_back(route, system_.input(route));
  return targets_.back().second;
}

IntervalPlan plan_intervals(const LinearSystem& system, const InfusionSchedule& schedule,
                            RouteTargets& targets) {
  if (schedule.breakpoints_h.size() < 2) {
    throw SolverError(system.drug, 0.0, "the schedule has no time span");
  }
  IntervalPlan plan;
  plan.breaks = interval_breaks(system, schedule);
  const std::vector<double>& breaks = plan.breaks;
  // A schedule piece may span several intervals when circadian breakpoints were added.
  const std::size_t intervals = breaks.size() - 1;
  const auto for_each_interval = [&](double start_h, double end_h, const auto& apply) {
    const auto after =
        std::upper_bound(breaks.begin(), breaks.end(), start_h + 1e-12 * std::max(1.0, start_h));
    auto k = static_cast<std::size_t>(std::max<std::ptrdiff_t>(after - breaks.begin() - 1, 0));
    for (; k < intervals && breaks[k] < end_h - 1e-12 * std::max(1.0, end_h); ++k) apply(k);
  };
  plan.inputs.assign(intervals, Eigen::VectorXd::Zero(system.size()));
  for (const auto& piece : schedule.pieces) {
    if (piece.drug != system.drug) continue;
    const InputTarget& where = targets.of(piece.route);
    for_each_interval(piece.start_h, piece.end_h, [&](std::size_t k) {
      add_dose(plan.inputs[k], where, piece.mass_rate_ug_per_h);
    });
  }
  // Drivers only where the system responds to them: equal drivers let the integrators keep one
  // matrix (and the exact propagator its cached exponentials) across intervals.
  plan.drivers.assign(intervals, IntervalDrivers{});
  if (system.has_tip_flow()) {
    for (const auto& piece : schedule.tip_flows) {
      for_each_interval(piece.start_h, piece.end_h, [&](std::size_t k) {
        plan.drivers[k].tip_flow_mL_per_h += piece.volume_rate_mL_per_h;
      });
    }
  }
  if (system.has_circadian()) {
    for (std::size_t k = 0; k < intervals; ++k) {
      plan.drivers[k].production_factor = system.circadian->mean_factor(breaks[k], breaks[k + 1]);
    }
  }
  return plan;
}

}  // namespace csfpk
