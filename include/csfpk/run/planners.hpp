#pragma once
// Planning tools for the clinic (csfpk plan): titration schedules that keep a drug's rules, and
// the concentration and fill volume that deliver a daily dose for a number of days within a
// pump's capacity and the drug's label and stability limits. In internal units (µg, mL, h).
#include <optional>
#include <string>
#include <vector>

#include "csfpk/domain/clinical_rules.hpp"
#include "csfpk/domain/device.hpp"

namespace csfpk {

struct TitrationStep {
  double time_h = 0.0;
  double dose_ug_per_day = 0.0;
};

// From `start` up to `target` µg/day, each step as large and as early as the rules allow: no
// step above step_max (absolute) or step_max_fraction (relative), steps at least
// step_min_interval apart, and the target no sooner than target_earliest (the steps are then
// spread evenly). Throws InputError ("--start"/"--target") when start or target break the rules.
std::vector<TitrationStep> plan_titration(const ClinicalRules& rules, double start_ug_per_day,
                                          double target_ug_per_day);

struct FillPlan {
  double concentration_ug_per_mL = 0.0;  // the lowest that lasts the requested days
  double rate_mL_per_h = 0.0;
  double fill_volume_mL = 0.0;  // what the days use, plus the alarm reserve
  double days_until_alarm = 0.0;
  std::vector<std::string> problems;  // limits the plan cannot meet, each with its source
};

// The concentration and rate that deliver `dose_ug_per_day` for `days` before the reservoir
// reaches its low alarm, in a reservoir of `capacity_mL`.
FillPlan plan_fill(const ClinicalRules* rules, const DeviceProfile* device, double capacity_mL,
                   double low_alarm_mL, double dose_ug_per_day, double days);

}  // namespace csfpk
