#pragma once
// What the solvers integrate between breakpoints, shared by the plain solve (simulate.cpp) and
// the sensitivity solve (sensitivity.cpp) so that both see exactly the same intervals, inputs and
// drivers.
#include <Eigen/Core>
#include <algorithm>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "csfpk/domain/infusion_schedule.hpp"
#include "csfpk/models/linear_system.hpp"
#include "solve/linear_integrator.hpp"

namespace csfpk {

bool same_time(double a, double b);
void add_dose(Eigen::VectorXd& target, const InputTarget& where, double amount);

// Where each route's doses land, resolved once per route rather than once per rate piece.
class RouteTargets {
 public:
  explicit RouteTargets(const LinearSystem& system) : system_(system) {}
  const InputTarget& of(const Route& route);

 private:
  const LinearSystem& system_;
  std::deque<std::pair<Route, InputTarget>> targets_;  // stable references as it grows
};

// The intervals of one drug's solve: the schedule's breakpoints (plus every full hour under
// circadian production), and on each interval the constant input b and the drivers.
struct IntervalPlan {
  std::vector<double> breaks;
  std::vector<Eigen::VectorXd> inputs;   // one per interval
  std::vector<IntervalDrivers> drivers;  // one per interval
};
// Throws SolverError (a schedule without time span, a circadian run beyond 1e6 h).
IntervalPlan plan_intervals(const LinearSystem& system, const InfusionSchedule& schedule,
                            RouteTargets& targets);

// Calls `give(index)` for every impulse of `drug` at breakpoint t, in schedule order, moving
// `next` (the first impulse not yet given) past every impulse up to t.
template <typename Give>
void impulses_at(const InfusionSchedule& schedule, const std::string& drug, double t,
                 std::size_t& next, Give&& give) {
  const auto& impulses = schedule.impulses;
  for (; next < impulses.size() && impulses[next].time_h <= t + 1e-12 * std::max(1.0, t); ++next) {
    if (impulses[next].drug == drug) give(next);
  }
}

}  // namespace csfpk
