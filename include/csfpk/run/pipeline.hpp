#pragma once
// One run, end to end, the same for `csfpk run`, every sweep run, every MPI rank and Python:
//
//   Scenario ──compile──▶ Problem (delivery + one system per drug) ──solve──▶ RunRecord
//
// compile() applies the variability multipliers, compiles the pump program into its exact
// delivery and builds each drug's system through the scenario's model type; solve() integrates
// each system over the delivery and lets the model add its summaries.
#include <memory>
#include <string>
#include <vector>

#include "csfpk/run/model_type.hpp"
#include "csfpk/run/run_record.hpp"
#include "csfpk/run/scenario.hpp"

namespace csfpk {

struct Problem {
  Scenario scenario;  // with its variability applied
  const ModelType* model = nullptr;
  std::shared_ptr<const InfusionSchedule> schedule;  // shared by sweep runs with one program
  std::vector<ModelInstance> drugs;                  // one per drug, in the order of scenario.drugs
  std::vector<std::string> warnings;
};

// Throws InputError (an inconsistent program or model). `delivery`, when given, must be
// delivery_schedule(scenario) (run/scenario.hpp): a sweep whose factors leave the pump
// program alone compiles it once for all its runs.
Problem compile(const Scenario& scenario,
                std::shared_ptr<const InfusionSchedule> delivery = nullptr);
// The trajectory of every drug, with the model's summaries. Throws SolverError.
Trajectory solve_trajectory(const Problem& problem);
// The trajectory with the delivery, warnings and provenance: what a result file holds.
RunRecord solve(const Problem& problem, Provenance provenance);
// compile, then solve.
RunRecord run_scenario(const Scenario& scenario, Provenance provenance);

// The text of every clinical finding (run/clinical_checks.hpp): label, consensus, titration,
// stability and refill warnings, each with its source.
std::vector<std::string> scenario_warnings(const Scenario& scenario,
                                           const InfusionSchedule& schedule);

}  // namespace csfpk
