#include "csfpk/run/pipeline.hpp"

#include <algorithm>
#include <cmath>

#include "csfpk/solve/simulate.hpp"

namespace csfpk {

std::vector<std::string> scenario_warnings(const Scenario& scenario,
                                           const InfusionSchedule& schedule) {
  // Largest volume pumped in any calendar day of the run, from the cumulative pumped volume.
  double daily_volume = 0.0;
  const double days = std::ceil(scenario.duration_h / 24.0);
  const auto pumped_at = [&](double t) {
    const auto& r = schedule.reservoir;
    const auto it = std::lower_bound(
        r.begin(), r.end(), t, [](const ReservoirSample& s, double v) { return s.time_h < v; });
    if (it == r.end()) return r.empty() ? 0.0 : r.back().pumped_mL;
    if (it == r.begin() || it->time_h == t) return it->pumped_mL;
    const auto before = std::prev(it);
    const double w = (t - before->time_h) / (it->time_h - before->time_h);
    return before->pumped_mL + w * (it->pumped_mL - before->pumped_mL);
  };
  for (double d = 0; d < days; ++d) {
    const double end = std::min((d + 1) * 24.0, scenario.duration_h);
    const double span = end - d * 24.0;
    if (span <= 0.0) continue;
    daily_volume = std::max(daily_volume, (pumped_at(end) - pumped_at(d * 24.0)) * 24.0 / span);
  }
  std::vector<std::string> warnings =
      consensus_warnings(scenario.drugs, scenario.program.reservoir.blend, daily_volume);
  for (const auto& refill : scenario.program.reservoir.refills) {
    if (!refill.blend) continue;
    for (auto& w : consensus_warnings(scenario.drugs, *refill.blend, daily_volume)) {
      if (std::find(warnings.begin(), warnings.end(), w) == warnings.end()) warnings.push_back(w);
    }
  }
  return warnings;
}

Problem compile(const Scenario& scenario, std::shared_ptr<const InfusionSchedule> delivery) {
  Problem problem;
  problem.scenario = apply_variability(scenario);
  const Scenario& s = problem.scenario;
  problem.model = &model_type(s);
  problem.schedule =
      delivery
          ? std::move(delivery)
          : std::make_shared<const InfusionSchedule>(compile_schedule(s.program, s.duration_h));
  problem.warnings = scenario_warnings(s, *problem.schedule);
  for (const auto& [name, drug] : s.drugs) problem.drugs.push_back(problem.model->build(s, drug));
  return problem;
}

Trajectory solve_trajectory(const Problem& problem) {
  const Scenario& s = problem.scenario;
  Trajectory trajectory;
  if (!problem.drugs.empty()) trajectory = problem.drugs.front().axes;
  trajectory.times_h = s.output_times_h;
  for (const ModelInstance& drug : problem.drugs) {
    trajectory.drugs.push_back(
        simulate(drug.system, *problem.schedule, s.output_times_h, s.solver));
  }
  problem.model->summarize(s, trajectory);
  return trajectory;
}

RunRecord solve(const Problem& problem, Provenance provenance) {
  RunRecord record;
  record.trajectory = solve_trajectory(problem);
  record.schedule = *problem.schedule;
  record.warnings = problem.warnings;
  record.provenance = std::move(provenance);
  return record;
}

RunRecord run_scenario(const Scenario& scenario, Provenance provenance) {
  return solve(compile(scenario), std::move(provenance));
}

}  // namespace csfpk
