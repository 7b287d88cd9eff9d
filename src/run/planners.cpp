#include "csfpk/run/planners.hpp"

#include <algorithm>
#include <cmath>

#include "csfpk/core/errors.hpp"

namespace csfpk {
namespace {

constexpr double kTolerance = 1e-9;

std::string with_source(const std::string& text, const std::string& source) {
  return source.empty() ? text : text + " (source: " + source + ")";
}

}  // namespace

std::vector<TitrationStep> plan_titration(const ClinicalRules& rules, double start_ug_per_day,
                                          double target_ug_per_day) {
  const TitrationRules& r = rules.titration;
  if (r.empty()) {
    throw InputError(
        "--drug", 0, "",
        rules.drug + " has no titration rules in models/clinical/" + rules.drug + ".yaml");
  }
  if (!(start_ug_per_day > 0.0)) throw InputError("--start", 0, "", "expected a positive dose");
  if (r.start_max_ug_per_day &&
      start_ug_per_day > r.start_max_ug_per_day->value * (1 + kTolerance)) {
    throw InputError("--start", 0, "",
                     with_source(format_dose(&rules, start_ug_per_day, "/day") +
                                     " is above the largest starting dose " +
                                     format_dose(&rules, r.start_max_ug_per_day->value, "/day"),
                                 r.start_max_ug_per_day->source));
  }
  if (r.target_max_ug_per_day &&
      target_ug_per_day > r.target_max_ug_per_day->value * (1 + kTolerance)) {
    throw InputError("--target", 0, "",
                     with_source(format_dose(&rules, target_ug_per_day, "/day") +
                                     " is above the titration maximum " +
                                     format_dose(&rules, r.target_max_ug_per_day->value, "/day"),
                                 r.target_max_ug_per_day->source));
  }
  if (target_ug_per_day < start_ug_per_day) {
    throw InputError("--target", 0, "", "is below the starting dose; nothing to titrate");
  }
  if (!r.step_max_ug_per_day && !r.step_max_fraction) {
    throw InputError("--drug", 0, "",
                     rules.drug + " has no step limit (step_max or step_max_fraction)");
  }
  // The doses, as large steps as allowed.
  std::vector<double> doses{start_ug_per_day};
  while (doses.back() < target_ug_per_day * (1 - kTolerance)) {
    double step = target_ug_per_day - doses.back();
    if (r.step_max_ug_per_day) step = std::min(step, r.step_max_ug_per_day->value);
    if (r.step_max_fraction) step = std::min(step, doses.back() * r.step_max_fraction->value);
    doses.push_back(doses.back() + step);
    if (doses.size() > 10000) throw InputError("--target", 0, "", "needs more than 10 000 steps");
  }
  // Their times: the minimum interval, stretched so the target comes no sooner than allowed.
  double interval = r.step_min_interval_h ? r.step_min_interval_h->value : 24.0;
  const std::size_t steps = doses.size() - 1;
  if (r.target_earliest_h && steps > 0 && r.target_max_ug_per_day &&
      target_ug_per_day >= r.target_max_ug_per_day->value * (1 - kTolerance)) {
    interval = std::max(interval, r.target_earliest_h->value / static_cast<double>(steps));
  }
  std::vector<TitrationStep> plan;
  for (std::size_t i = 0; i < doses.size(); ++i) {
    plan.push_back({static_cast<double>(i) * interval, doses[i]});
  }
  return plan;
}

FillPlan plan_fill(const ClinicalRules* rules, const DeviceProfile* device, double capacity_mL,
                   double low_alarm_mL, double dose_ug_per_day, double days) {
  if (!(dose_ug_per_day > 0.0)) throw InputError("--dose", 0, "", "expected a positive dose");
  if (!(days > 0.0)) throw InputError("--days", 0, "", "expected a positive number of days");
  const double usable = capacity_mL - low_alarm_mL;
  if (!(usable > 0.0)) {
    throw InputError("--capacity", 0, "", "the low-reservoir alarm leaves no usable volume");
  }
  FillPlan plan;
  plan.rate_mL_per_h = usable / (days * 24.0);
  plan.concentration_ug_per_mL = dose_ug_per_day / (plan.rate_mL_per_h * 24.0);
  plan.fill_volume_mL = capacity_mL;
  plan.days_until_alarm = days;
  if (device && device->min_rate_mL_per_h &&
      plan.rate_mL_per_h < *device->min_rate_mL_per_h * (1 - kTolerance)) {
    // The pump cannot run that slowly: use its slowest rate, a more dilute fill, a shorter time.
    plan.problems.push_back(
        with_source("the rate the days call for is below the " + device->name + "'s lowest rate",
                    device->sources.at("min_rate")));
  }
  if (rules) {
    for (const DoseLimit& limit : rules->limits) {
      if (limit.kind != LimitKind::kMaxConcentration) continue;
      if (plan.concentration_ug_per_mL > limit.value * (1 + kTolerance)) {
        plan.problems.push_back(with_source(
            format_dose(rules, plan.concentration_ug_per_mL, "/mL") + " is above the " +
                to_string(limit.basis) + " maximum " + format_dose(rules, limit.value, "/mL") +
                ": refill sooner than every " +
                std::to_string(
                    static_cast<int>(std::floor(usable * limit.value / dose_ug_per_day))) +
                " days",
            limit.source));
      }
    }
    const std::optional<double> stability = rules->stability_at(plan.concentration_ug_per_mL);
    if (stability && days * 24.0 > *stability * (1 + kTolerance)) {
      plan.problems.push_back(with_source(
          rules->drug + " at " + format_dose(rules, plan.concentration_ug_per_mL, "/mL") +
              " is stable " + std::to_string(static_cast<int>(*stability / 24.0)) +
              " days in the reservoir: refill sooner",
          rules->stability_h->source));
    }
  }
  return plan;
}

}  // namespace csfpk
