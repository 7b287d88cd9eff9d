#include "csfpk/run/pipeline.hpp"

#include <algorithm>
#include <cmath>

#include "csfpk/run/clinical_checks.hpp"
#include "csfpk/solve/simulate.hpp"

namespace csfpk {

std::vector<std::string> scenario_warnings(const Scenario& scenario,
                                           const InfusionSchedule& schedule) {
  std::vector<std::string> warnings;
  for (const ClinicalFinding& finding : clinical_findings(scenario, schedule)) {
    warnings.push_back(finding.text());
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
          : std::make_shared<const InfusionSchedule>(delivery_schedule(s));
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
  for (const WithdrawalFlag& flag :
       withdrawal_flags(problem.scenario, record.schedule, record.trajectory)) {
    record.warnings.push_back(flag.text());
  }
  for (std::string& flag : exposure_flags(problem.scenario, record.trajectory)) {
    record.warnings.push_back(std::move(flag));
  }
  record.reservoir_plan = reservoir_plan(problem.scenario, record.schedule);
  record.provenance = std::move(provenance);
  return record;
}

RunRecord run_scenario(const Scenario& scenario, Provenance provenance) {
  return solve(compile(scenario), std::move(provenance));
}

}  // namespace csfpk
