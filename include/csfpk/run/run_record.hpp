#pragma once
// Everything a result file holds for one run: the trajectory, the delivery it came from and
// where it came from (provenance).
#include <string>
#include <vector>

#include "csfpk/domain/infusion_schedule.hpp"
#include "csfpk/solve/trajectory.hpp"

namespace csfpk {

struct Provenance {
  std::string csfpk_version;
  std::string scenario_file;  // path as given by the user
  std::string scenario_text;  // the full YAML text, after --set overrides were applied
  std::string command_line;
  std::string created_utc;  // ISO 8601
};

struct RunRecord {
  Trajectory trajectory;
  InfusionSchedule schedule;
  Provenance provenance;
  std::string status = "ok";          // "ok" or the reason the run failed
  std::vector<std::string> warnings;  // limits, titration, stability, refill and exposure flags
  // Each fill's alarm and empty days and each refill's expected against found residual, one
  // line each (run/clinical_checks.hpp: reservoir_plan).
  std::vector<std::string> reservoir_plan;
};

}  // namespace csfpk
