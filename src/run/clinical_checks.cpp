#include "csfpk/run/clinical_checks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "csfpk/domain/vertebral_level.hpp"
#include "csfpk/run/pipeline.hpp"
#include "csfpk/run/site_summaries.hpp"

namespace csfpk {
namespace {

constexpr double kHoursPerDay = 24.0;
// How far past the end of the run a forecast follows the program.
constexpr double kForecastHorizon_h = 366.0 * kHoursPerDay;

std::string number(double value) {
  std::ostringstream out;
  out.precision(3);
  out << value;
  return out.str();
}

std::string day_text(double t_h) {
  return "day " + number(t_h / kHoursPerDay);
}

const ClinicalRules* rules_of(const Scenario& s, const std::string& drug) {
  const auto it = s.drugs.find(drug);
  if (it == s.drugs.end() || !it->second.clinical) return nullptr;
  return &*it->second.clinical;
}

FindingKind kind_for(const DoseLimit& limit) {
  if (limit.basis == LimitBasis::kConsensus) return FindingKind::kConsensus;
  return limit.advisory ? FindingKind::kLabelAdvice : FindingKind::kLabelMaximum;
}

std::string limit_name(const DoseLimit& limit) {
  if (limit.basis == LimitBasis::kConsensus) return "the consensus maximum";
  return limit.advisory ? "the label's caution threshold" : "the label maximum";
}

// The blend in the reservoir and the basal program in force at `t_h`.
const Blend& blend_at(const PumpProgram& program, double t_h) {
  const Blend* blend = &program.reservoir.blend;
  for (const Refill& refill : program.reservoir.refills) {
    if (refill.time_h > t_h) break;
    if (refill.blend) blend = &*refill.blend;
  }
  return *blend;
}

const BasalProgram& basal_at(const PumpProgram& program, double t_h) {
  const BasalProgram* basal = &program.basal;
  for (const BasalChange& change : program.basal_changes) {
    if (change.time_h > t_h) break;
    basal = &change.basal;
  }
  return *basal;
}

// Mean rate over a day of a (flex) basal program, mL/h.
double mean_daily_rate(const BasalProgram& basal) {
  const auto& steps = basal.steps;
  if (steps.empty()) return 0.0;
  double volume = 0.0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const double end =
        i + 1 < steps.size() ? steps[i + 1].start_of_day_h : steps.front().start_of_day_h + 24.0;
    volume += steps[i].rate_mL_per_h * (end - steps[i].start_of_day_h);
  }
  return volume / kHoursPerDay;
}

// The programmed daily dose of `drug` from `t_h` on (µg/day): what the clinician set, before
// any pump error or fault.
double programmed_daily_dose(const PumpProgram& program, const std::string& drug, double t_h) {
  const Blend& blend = blend_at(program, t_h);
  const auto it = blend.find(drug);
  if (it == blend.end()) return 0.0;
  return mean_daily_rate(basal_at(program, t_h)) * kHoursPerDay * it->second;
}

double injected_ug(const PumpProgram& program, const std::string& drug, double from_h, double to_h,
                   bool include_end) {
  double mass = 0.0;
  for (const DirectInjection& injection : program.direct_injections) {
    const bool inside = injection.time_h >= from_h &&
                        (injection.time_h < to_h || (include_end && injection.time_h == to_h));
    if (!inside) continue;
    if (const auto it = injection.dose_ug.find(drug); it != injection.dose_ug.end()) {
      mass += it->second;
    }
  }
  return mass;
}

struct DailyDose {
  double ug = 0.0;
  double day_start_h = 0.0;
};

DailyDose largest_daily(const Scenario& s, const InfusionSchedule& schedule,
                        const std::string& drug) {
  std::vector<double> bounds;
  for (double t = 0.0; t < s.duration_h; t += kHoursPerDay) bounds.push_back(t);
  bounds.push_back(s.duration_h);
  const std::vector<double> delivered = schedule.delivered_ug(drug, bounds);
  DailyDose largest;
  for (std::size_t d = 0; d + 1 < bounds.size(); ++d) {
    const double span = bounds[d + 1] - bounds[d];
    if (span <= 0.0) continue;
    const bool last = d + 2 == bounds.size();
    const double injected = injected_ug(s.program, drug, bounds[d], bounds[d + 1], last);
    const double pumped = std::max(0.0, delivered[d + 1] - delivered[d] - injected);
    // A run shorter than a day is scaled to 24 h; a partial last day after full ones is taken as
    // it is (scaling a few hours of a day-night program would inflate it).
    const double scale = bounds.size() == 2 ? kHoursPerDay / span : 1.0;
    const double dose = pumped * scale + injected;
    if (dose > largest.ug) largest = {dose, bounds[d]};
  }
  return largest;
}

void add_unique(std::vector<ClinicalFinding>& findings, ClinicalFinding finding) {
  const auto same = [&](const ClinicalFinding& f) {
    return f.drug == finding.drug && f.message == finding.message;
  };
  if (std::none_of(findings.begin(), findings.end(), same)) findings.push_back(std::move(finding));
}

void check_limits(const Scenario& s, const InfusionSchedule& schedule, const std::string& drug,
                  const ClinicalRules& rules, std::vector<ClinicalFinding>& out) {
  // Every fill: the initial one and each refill with a new blend.
  std::vector<std::pair<double, const Blend*>> fills{{0.0, &s.program.reservoir.blend}};
  for (const Refill& refill : s.program.reservoir.refills) {
    if (refill.blend) fills.emplace_back(refill.time_h, &*refill.blend);
  }
  const DailyDose daily = largest_daily(s, schedule, drug);
  for (const DoseLimit& limit : rules.limits) {
    switch (limit.kind) {
      case LimitKind::kMaxConcentration:
        if (s.program.reservoir.capacity_mL <= 0.0) break;
        for (const auto& [t, blend] : fills) {
          const auto it = blend->find(drug);
          if (it == blend->end() || it->second <= limit.value) continue;
          add_unique(out, {kind_for(limit), drug, "pump.reservoir.blend",
                           "reservoir concentration " + format_dose(&rules, it->second, "/mL") +
                               (t > 0.0 ? " (refill at " + day_text(t) + ")" : std::string()) +
                               " is above " + limit_name(limit) + " " +
                               format_dose(&rules, limit.value, "/mL"),
                           limit.source});
        }
        break;
      case LimitKind::kMaxDailyDose:
        if (daily.ug > limit.value * (1.0 + 1e-9)) {
          add_unique(out, {kind_for(limit), drug, "pump",
                           "delivered " + format_dose(&rules, daily.ug, "/day") + " (" +
                               day_text(daily.day_start_h) + " to " +
                               day_text(daily.day_start_h + kHoursPerDay) + "), above " +
                               limit_name(limit) + " " + format_dose(&rules, limit.value, "/day"),
                           limit.source});
        }
        break;
      case LimitKind::kMaxSingleInjection:
        for (const DirectInjection& injection : s.program.direct_injections) {
          const auto it = injection.dose_ug.find(drug);
          if (it == injection.dose_ug.end() || it->second <= limit.value) continue;
          add_unique(out,
                     {kind_for(limit), drug, "injections",
                      "injection of " + format_dose(&rules, it->second, "") + " at " +
                          number(injection.time_h) + " h is above " + limit_name(limit) +
                          " for a single intrathecal dose, " + format_dose(&rules, limit.value, ""),
                      limit.source});
        }
        break;
    }
  }
}

void check_titration(const Scenario& s, const std::string& drug, const ClinicalRules& rules,
                     std::vector<ClinicalFinding>& out) {
  const TitrationRules& r = rules.titration;
  if (r.empty()) return;
  // Every moment the programmed dose can change: program changes and new blends.
  std::vector<double> times{0.0};
  for (const BasalChange& change : s.program.basal_changes) times.push_back(change.time_h);
  for (const Refill& refill : s.program.reservoir.refills) {
    if (refill.blend) times.push_back(refill.time_h);
  }
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());

  const auto finding = [&](const std::string& message, const TitrationRule& rule) {
    add_unique(out, {FindingKind::kTitration, drug, "pump.basal_changes", message, rule.source});
  };
  double previous = 0.0;
  std::optional<double> last_increase_h;
  bool started = false;
  for (const double t : times) {
    const double dose = programmed_daily_dose(s.program, drug, t);
    if (dose <= previous * (1.0 + 1e-9)) {
      previous = dose;
      continue;
    }
    if (!started) {
      started = true;
      if (r.start_max_ug_per_day && dose > r.start_max_ug_per_day->value * (1.0 + 1e-9)) {
        finding("starts at " + format_dose(&rules, dose, "/day") + " (" + day_text(t) +
                    "), above the " + format_dose(&rules, r.start_max_ug_per_day->value, "/day") +
                    " a titration may start at",
                *r.start_max_ug_per_day);
      }
    } else {
      const double step = dose - previous;
      const std::string what = "steps from " + format_dose(&rules, previous, "/day") + " to " +
                               format_dose(&rules, dose, "/day") + " at " + day_text(t);
      if (r.step_max_ug_per_day && step > r.step_max_ug_per_day->value * (1.0 + 1e-9)) {
        finding(what + ", more than the " +
                    format_dose(&rules, r.step_max_ug_per_day->value, "/day") + " one step may add",
                *r.step_max_ug_per_day);
      }
      if (r.step_max_fraction && previous > 0.0 &&
          step / previous > r.step_max_fraction->value * (1.0 + 1e-9)) {
        finding(what + " (+" + number(100.0 * step / previous) + " %), more than the " +
                    number(100.0 * r.step_max_fraction->value) + " % one step may add",
                *r.step_max_fraction);
      }
      if (r.step_min_interval_h && last_increase_h &&
          t - *last_increase_h < r.step_min_interval_h->value * (1.0 - 1e-9)) {
        finding(what + ", " + number(t - *last_increase_h) + " h after the previous increase; " +
                    "increases must be at least " + number(r.step_min_interval_h->value) +
                    " h apart",
                *r.step_min_interval_h);
      }
    }
    if (r.target_max_ug_per_day && dose > r.target_max_ug_per_day->value * (1.0 + 1e-9)) {
      finding("is programmed to " + format_dose(&rules, dose, "/day") + " at " + day_text(t) +
                  ", above the titration maximum " +
                  format_dose(&rules, r.target_max_ug_per_day->value, "/day"),
              *r.target_max_ug_per_day);
    } else if (r.target_max_ug_per_day && r.target_earliest_h &&
               dose >= r.target_max_ug_per_day->value * (1.0 - 1e-9) &&
               t < r.target_earliest_h->value) {
      finding("reaches " + format_dose(&rules, dose, "/day") + " at " + day_text(t) +
                  ", sooner than " + day_text(r.target_earliest_h->value),
              *r.target_earliest_h);
    }
    last_increase_h = t;
    previous = dose;
  }
}

void check_stability(const Scenario& s, const InfusionSchedule& schedule,
                     std::vector<ClinicalFinding>& out) {
  const Reservoir& reservoir = s.program.reservoir;
  if (reservoir.capacity_mL <= 0.0) return;
  std::vector<double> fills{0.0};
  for (const Refill& refill : reservoir.refills) fills.push_back(refill.time_h);
  for (std::size_t i = 0; i < fills.size(); ++i) {
    double until = i + 1 < fills.size() ? fills[i + 1] : s.duration_h;
    for (const Event& e : schedule.events) {
      if (e.kind == EventKind::kReservoirEmpty && e.time_h >= fills[i] && e.time_h < until) {
        until = e.time_h;
        break;
      }
    }
    for (const auto& [drug, concentration] : blend_at(s.program, fills[i])) {
      const ClinicalRules* rules = rules_of(s, drug);
      if (rules == nullptr || concentration <= 0.0) continue;
      const std::optional<double> stability = rules->stability_at(concentration);
      if (stability && until - fills[i] > *stability * (1.0 + 1e-9)) {
        add_unique(out, {FindingKind::kStability, drug, "pump.refills",
                         "the fill of " + day_text(fills[i]) + " stays " +
                             number((until - fills[i]) / kHoursPerDay) +
                             " days in the reservoir, longer than its stability of " +
                             number(*stability / kHoursPerDay) + " days",
                         rules->stability_h->source});
      }
    }
  }
}

// The sample of a reservoir trace at `t_h` (refill times are breakpoints, so one exists).
const ReservoirSample* sample_at(const InfusionSchedule& schedule, double t_h) {
  const auto it =
      std::lower_bound(schedule.reservoir.begin(), schedule.reservoir.end(), t_h,
                       [](const ReservoirSample& sample, double t) { return sample.time_h < t; });
  if (it == schedule.reservoir.end() || std::abs(it->time_h - t_h) > 1e-9 * (1.0 + t_h)) {
    return nullptr;
  }
  return &*it;
}

// Where the catheter tip's CSF concentration is in a trajectory: its compartment's row of
// `concentration_ug_per_mL`, or in the 1D model the row of `csf_profile_ug_per_mL` of the cell
// nearest the tip.
struct TipSeries {
  std::string site;
  Eigen::Index row = -1;
  bool profile = false;
  const Eigen::MatrixXd& of(const DrugTrajectory& drug) const {
    return profile ? drug.csf_profile_ug_per_mL : drug.concentration_ug_per_mL;
  }
};

std::optional<TipSeries> tip_series(const Scenario& scenario, const Trajectory& trajectory) {
  if (!trajectory.positions_cm.empty()) {
    const auto nearest = std::min_element(
        trajectory.positions_cm.begin(), trajectory.positions_cm.end(), [&](double a, double b) {
          return std::abs(a - scenario.catheter_tip_cm) < std::abs(b - scenario.catheter_tip_cm);
        });
    return TipSeries{"csf at " + number(*nearest) + " cm",
                     nearest - trajectory.positions_cm.begin(), true};
  }
  const auto it =
      std::find(trajectory.sites.begin(), trajectory.sites.end(), scenario.catheter_compartment);
  if (it == trajectory.sites.end()) return std::nullopt;
  return TipSeries{*it, it - trajectory.sites.begin(), false};
}

// Mean concentration of each drug at the cranial site ("cranial", or the 1D model's pool).
std::map<std::string, double> cranial_means(const Trajectory& trajectory) {
  std::map<std::string, double> means;
  const auto it = std::find_if(
      trajectory.sites.begin(), trajectory.sites.end(),
      [](const std::string& site) { return site == "cranial" || site == "cranial_pool"; });
  if (it == trajectory.sites.end()) return means;
  const auto row = it - trajectory.sites.begin();
  for (const DrugTrajectory& drug : trajectory.drugs) {
    const SiteSummaries figures = site_summaries(trajectory.times_h, drug.concentration_ug_per_mL);
    if (row < figures.mean_ug_per_mL.size()) means[drug.drug] = figures.mean_ug_per_mL(row);
  }
  return means;
}

}  // namespace

std::vector<std::string> exposure_flags(const Scenario& scenario, const Trajectory& trajectory) {
  std::vector<std::string> flags;
  const ExposureFlags& wanted = scenario.flags;
  if (wanted.tip_concentration_ug_per_mL) {
    if (const auto tip = tip_series(scenario, trajectory)) {
      for (const DrugTrajectory& drug : trajectory.drugs) {
        const Eigen::MatrixXd& series = tip->of(drug);
        if (tip->row >= series.rows() || series.cols() == 0) continue;
        Eigen::Index at = 0;
        const double peak = series.row(tip->row).maxCoeff(&at);
        if (peak > *wanted.tip_concentration_ug_per_mL) {
          flags.push_back(
              drug.drug + ": CSF at the catheter tip (" + tip->site + ") reaches " + number(peak) +
              " ug/mL at " + number(trajectory.times_h[static_cast<std::size_t>(at)]) +
              " h, above the flag threshold " + number(*wanted.tip_concentration_ug_per_mL) +
              " ug/mL (catheter-tip granuloma risk with opioids)");
        }
      }
    }
  }
  if (wanted.cranial_exposure_ratio) {
    // The same scenario with the tip at L2: a lumbar catheter, the usual reference.
    Scenario reference = scenario;
    reference.flags = {};
    const int l2 = *vertebral_level_index("L2");
    if (reference.spinal) {
      if (const auto x = reference.spinal->anatomy.level_position("L2")) {
        reference.catheter_tip_cm = *x;
      }
    } else if (const CompartmentSpec* c = reference.model.compartment_at_level(l2)) {
      reference.catheter_compartment = c->name;
    }
    const std::map<std::string, double> here = cranial_means(trajectory);
    const std::map<std::string, double> lumbar =
        cranial_means(solve_trajectory(compile(reference)));
    for (const auto& [drug, mean] : here) {
      const auto base = lumbar.find(drug);
      if (base == lumbar.end() || !(base->second > 0.0)) continue;
      const double ratio = mean / base->second;
      if (ratio > *wanted.cranial_exposure_ratio) {
        flags.push_back(drug + ": mean cranial CSF " + number(mean) + " ug/mL is " + number(ratio) +
                        "x that of the same program with the catheter tip at L2 (" +
                        number(base->second) + " ug/mL), above the flag ratio " +
                        number(*wanted.cranial_exposure_ratio) +
                        " (respiratory-depression risk with opioids)");
      }
    }
  }
  return flags;
}

std::string ClinicalFinding::text() const {
  std::string out = drug.empty() ? message : drug + ": " + message;
  if (!source.empty()) out += " (source: " + source + ")";
  return out;
}

std::string to_string(FindingKind kind) {
  switch (kind) {
    case FindingKind::kLabelMaximum:
      return "label_maximum";
    case FindingKind::kLabelAdvice:
      return "label_advice";
    case FindingKind::kConsensus:
      return "consensus";
    case FindingKind::kTitration:
      return "titration";
    case FindingKind::kStability:
      return "stability";
    case FindingKind::kRefill:
      return "refill";
  }
  return "?";
}

double largest_daily_dose_ug(const Scenario& scenario, const InfusionSchedule& schedule,
                             const std::string& drug) {
  return largest_daily(scenario, schedule, drug).ug;
}

std::vector<ClinicalFinding> clinical_findings(const Scenario& scenario,
                                               const InfusionSchedule& schedule) {
  std::vector<ClinicalFinding> findings;
  for (const std::string& drug : schedule.drugs) {
    const ClinicalRules* rules = rules_of(scenario, drug);
    if (rules == nullptr) continue;
    check_limits(scenario, schedule, drug, *rules, findings);
    check_titration(scenario, drug, *rules, findings);
  }
  check_stability(scenario, schedule, findings);
  for (const RefillCheck& check : refill_checks(scenario, schedule)) {
    if (!check.flagged) continue;
    findings.push_back({FindingKind::kRefill, "", "pump.refills",
                        "refill at " + day_text(check.time_h) + ": " + number(check.found_mL) +
                            " mL aspirated where the program leaves " + number(check.expected_mL) +
                            " mL (" + (check.found_mL >= check.expected_mL ? "+" : "") +
                            number(check.found_mL - check.expected_mL) +
                            " mL, beyond the pump's nominal ±" + number(*check.tolerance_mL) +
                            " mL): check the pump and catheter" +
                            (check.found_mL < check.expected_mL
                                 ? " (less than expected: a fast pump, a pocket fill at the "
                                   "previous refill, or drug withdrawn from the reservoir)"
                                 : " (more than expected: an occlusion or a slow pump)"),
                        scenario.device ? scenario.device->sources.count("accuracy") > 0
                                              ? scenario.device->sources.at("accuracy")
                                              : std::string()
                                        : std::string()});
  }
  return findings;
}

std::vector<FillForecast> reservoir_forecast(const Scenario& scenario) {
  const PumpProgram& program = scenario.program;
  std::vector<FillForecast> fills;
  if (program.reservoir.capacity_mL <= 0.0) return fills;
  const InfusionSchedule schedule =
      compile_schedule(program, scenario.duration_h + kForecastHorizon_h);
  fills.push_back({0.0, program.reservoir.initial_volume_mL, {}, {}, false});
  for (const Refill& refill : program.reservoir.refills) {
    fills.push_back({refill.time_h, refill.fill_to_mL, {}, {}, false});
  }
  fills.back().last = true;
  for (std::size_t i = 0; i < fills.size(); ++i) {
    const double until =
        i + 1 < fills.size() ? fills[i + 1].fill_h : std::numeric_limits<double>::infinity();
    for (const Event& e : schedule.events) {
      if (e.time_h < fills[i].fill_h || e.time_h >= until) continue;
      if (e.kind == EventKind::kReservoirLow && !fills[i].alarm_h) fills[i].alarm_h = e.time_h;
      if (e.kind == EventKind::kReservoirEmpty && !fills[i].empty_h) fills[i].empty_h = e.time_h;
    }
  }
  return fills;
}

std::vector<std::string> reservoir_plan(const Scenario& scenario,
                                        const InfusionSchedule& schedule) {
  std::vector<std::string> lines;
  for (const FillForecast& fill : reservoir_forecast(scenario)) {
    const auto day = [&](const std::optional<double>& t) {
      return t ? day_text(*t) : fill.last ? "not within a year" : "not before the next refill";
    };
    lines.push_back("fill " + day_text(fill.fill_h) + ": " + number(fill.volume_mL) +
                    " mL; alarm " + day(fill.alarm_h) + "; empty " + day(fill.empty_h));
  }
  for (const RefillCheck& check : refill_checks(scenario, schedule)) {
    lines.push_back("refill " + day_text(check.time_h) + ": expected residual " +
                    number(check.expected_mL) + " mL, found " + number(check.found_mL) + " mL (" +
                    (check.found_mL >= check.expected_mL ? "+" : "") +
                    number(check.found_mL - check.expected_mL) + " mL" +
                    (check.tolerance_mL ? "; tolerance " + number(*check.tolerance_mL) + " mL"
                                        : std::string()) +
                    (check.flagged ? "; flagged" : "") + ")");
  }
  return lines;
}

std::vector<RefillCheck> refill_checks(const Scenario& scenario, const InfusionSchedule& schedule) {
  std::vector<RefillCheck> checks;
  const PumpProgram& program = scenario.program;
  if (program.reservoir.refills.empty() || program.reservoir.capacity_mL <= 0.0) return checks;
  PumpProgram nominal_program = program;
  nominal_program.faults.clear();
  nominal_program.rate_multiplier = 1.0;
  for (Refill& refill : nominal_program.reservoir.refills) refill.pocket_mL = 0.0;
  const InfusionSchedule nominal = compile_schedule(nominal_program, schedule.horizon_h);
  // Negative: no device profile, so no tolerance to compare with.
  const double accuracy = scenario.device && scenario.device->accuracy_fraction
                              ? *scenario.device->accuracy_fraction
                              : -1.0;
  double previous_fill_h = 0.0;
  for (const Refill& refill : program.reservoir.refills) {
    const ReservoirSample* expected = sample_at(nominal, refill.time_h);
    const ReservoirSample* found = sample_at(schedule, refill.time_h);
    const ReservoirSample* previous = sample_at(nominal, previous_fill_h);
    if (expected == nullptr || found == nullptr) continue;
    RefillCheck check{refill.time_h, expected->reservoir_before_mL, found->reservoir_before_mL,
                      std::nullopt, false};
    if (accuracy >= 0.0 && previous != nullptr) {
      const double pumped = expected->pumped_before_mL - previous->pumped_mL;
      check.tolerance_mL = accuracy * pumped;
      check.flagged = std::abs(check.found_mL - check.expected_mL) > *check.tolerance_mL + 1e-9;
    }
    checks.push_back(check);
    previous_fill_h = refill.time_h;
  }
  return checks;
}

std::string WithdrawalFlag::text() const {
  std::string out = drug + ": the reservoir ran dry at " + day_text(empty_h) + "; CSF at the " +
                    "catheter tip (" + site + ") ";
  if (!below_half_h) {
    return out + "stayed above half its level then (" + number(level_ug_per_mL) +
           " ug/mL) until the next refill or the end of the run";
  }
  return out + "fell below half its level then (" + number(level_ug_per_mL) + " ug/mL) " +
         number(*below_half_h - empty_h) + " h later (withdrawal risk)";
}

std::vector<WithdrawalFlag> withdrawal_flags(const Scenario& scenario,
                                             const InfusionSchedule& schedule,
                                             const Trajectory& trajectory) {
  std::vector<WithdrawalFlag> flags;
  const std::vector<double>& times = trajectory.times_h;
  if (times.size() < 2) return flags;
  const std::optional<TipSeries> tip = tip_series(scenario, trajectory);
  if (!tip) return flags;
  const std::string& site = tip->site;
  const Eigen::Index row = tip->row;
  for (const Event& empty : schedule.events) {
    if (empty.kind != EventKind::kReservoirEmpty) continue;
    double until = times.back();
    for (const Event& e : schedule.events) {
      if (e.kind == EventKind::kRefill && e.time_h > empty.time_h) {
        until = std::min(until, e.time_h);
        break;
      }
    }
    for (const DrugTrajectory& drug : trajectory.drugs) {
      const Eigen::MatrixXd& series = tip->of(drug);
      if (row >= series.rows()) continue;
      const auto value = [&](std::size_t k) { return series(row, static_cast<Eigen::Index>(k)); };
      const auto after = std::upper_bound(times.begin(), times.end(), empty.time_h);
      if (after == times.begin() || after == times.end()) continue;
      const std::size_t k = static_cast<std::size_t>(after - times.begin());
      const double w = (empty.time_h - times[k - 1]) / (times[k] - times[k - 1]);
      const double level = value(k - 1) + w * (value(k) - value(k - 1));
      if (!(level > 0.0)) continue;
      WithdrawalFlag flag{drug.drug, site, empty.time_h, level, std::nullopt};
      double previous_t = empty.time_h;
      double previous_c = level;
      for (std::size_t j = k; j < times.size() && times[j] <= until; ++j) {
        if (value(j) < 0.5 * level) {
          const double f = (previous_c - 0.5 * level) / (previous_c - value(j));
          flag.below_half_h = previous_t + f * (times[j] - previous_t);
          break;
        }
        previous_t = times[j];
        previous_c = value(j);
      }
      flags.push_back(flag);
    }
  }
  return flags;
}

}  // namespace csfpk
