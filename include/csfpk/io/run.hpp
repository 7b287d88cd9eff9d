#pragma once
// One run, end to end: compile the pump program, build and solve one system per drug.
#include "csfpk/io/run_record.hpp"
#include "csfpk/io/scenario.hpp"

namespace csfpk {

// Consensus-maximum warnings for every blend the scenario puts in the reservoir.
std::vector<std::string> scenario_warnings(const Scenario& scenario, const InfusionSchedule& schedule);

// Throws InputError (inconsistent program) or SolverError.
RunRecord run_scenario(const Scenario& scenario, Provenance provenance);

}  // namespace csfpk
