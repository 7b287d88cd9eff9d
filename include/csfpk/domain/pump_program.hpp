#pragma once
// What the clinician programs into the pump, in internal units (mL, h, µg/mL). Built by the
// scenario loader; compiled by compile_schedule() into an InfusionSchedule before any solve.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace csfpk {

// Concentration of each drug in a reservoir fill, µg/mL, keyed by drug name.
using Blend = std::map<std::string, double>;

// One step of a daily repeating (flex) program: from `start_of_day_h` until the next step's
// start (wrapping at midnight), the basal rate is `rate_mL_per_h`.
struct FlexStep {
  double start_of_day_h = 0.0;
  double rate_mL_per_h = 0.0;
};

// Basal delivery: either a constant rate (one step at 00:00) or several daily steps.
struct BasalProgram {
  std::vector<FlexStep> steps;  // sorted by start_of_day_h; empty means no basal delivery
};

// The clinician reprograms the basal delivery at `time_h` (e.g. a titration step at a visit);
// from then on `basal` replaces the previous program.
struct BasalChange {
  double time_h = 0.0;
  BasalProgram basal;
};

// A bolus from the reservoir that repeats: first at `start_h`, then every `interval_h`,
// until the end of the run (or `end_h` if set). Delivered on top of the basal rate.
struct PeriodicBolus {
  double volume_mL = 0.0;
  double duration_h = 0.0;  // 0 = instantaneous (exact jump)
  double interval_h = 0.0;
  double start_h = 0.0;
  std::optional<double> end_h;
};

// A single bolus from the reservoir through the catheter (e.g. a bridging bolus).
struct OneOffBolus {
  double time_h = 0.0;
  double volume_mL = 0.0;
  double duration_h = 0.0;  // 0 = instantaneous
};

// A dose that does not come from the reservoir: e.g. the trial bolus by lumbar puncture that
// precedes an implant. Masses per drug in µg, delivered at `site` (a model site name; an empty
// site means the catheter tip's site).
struct DirectInjection {
  double time_h = 0.0;
  double duration_h = 0.0;  // 0 = instantaneous
  std::map<std::string, double> dose_ug;
  std::string site;
  // Injected volume (mL); 0 when not given. At the catheter tip it enters the CSF flow and
  // mixes the CSF around the tip over `duration_h` (which must then be positive).
  double volume_mL = 0.0;
};

// Patient-activated boluses (myPTM / PTC): each request is granted unless it falls within
// `lockout_h` of the last granted bolus start, or `max_per_day` granted boluses already started
// within the preceding 24 h (rolling window), or the reservoir is empty. Denied requests are
// recorded as events with their reason.
struct PatientBolusProgram {
  double volume_mL = 0.0;
  double duration_h = 0.0;
  double lockout_h = 0.0;
  int max_per_day = 0;
  std::vector<double> request_times_h;  // sorted
};

struct Refill {
  double time_h = 0.0;
  double fill_to_mL = 0.0;     // the residual is aspirated first, then the pump is filled to this
  std::optional<Blend> blend;  // a new blend; unset keeps the current one
  // A pocket fill: this much of the injected fill went into the subcutaneous pocket around the
  // pump instead of the reservoir (which then holds fill_to_mL − pocket_mL).
  double pocket_mL = 0.0;
};

// Capacity 0 means no pump is implanted: nothing is delivered from it and it never "runs dry".
struct Reservoir {
  double capacity_mL = 20.0;
  double initial_volume_mL = 20.0;
  Blend blend;
  double low_alarm_mL = 2.0;
  std::vector<Refill> refills;  // sorted by time
};

struct Catheter {
  double dead_volume_mL = 0.0;
  // What fills the catheter at t = 0: the initial reservoir blend (primed, the default) or
  // drug-free fluid (a freshly implanted, unprimed system).
  bool primed = true;
};

enum class FaultKind { kOcclusion, kDisconnection, kPartialOcclusion, kLeak };

// From `start_h` (until `end_h` if set): occlusion → nothing leaves the pump, the reservoir
// keeps its volume; disconnection → the pump runs and empties into the tissue, so the drug
// goes to plasma instead of the CSF.
// partial occlusion → only `fraction` of the programmed flow leaves the pump (the rest stays in
// the reservoir); leak → `fraction` of what leaves the pump escapes into the epidural space and
// reaches the blood (plasma) instead of the CSF.
struct CatheterFault {
  FaultKind kind = FaultKind::kOcclusion;
  double start_h = 0.0;
  std::optional<double> end_h;
  double fraction = 1.0;  // partial occlusion and leak only
};

struct PumpProgram {
  BasalProgram basal;
  std::vector<BasalChange> basal_changes;  // sorted by time
  std::vector<PeriodicBolus> periodic_boluses;
  std::vector<OneOffBolus> one_off_boluses;
  std::vector<DirectInjection> direct_injections;
  std::optional<PatientBolusProgram> patient_boluses;
  Reservoir reservoir;
  Catheter catheter;
  double rate_multiplier = 1.0;  // pump rate error: actual / programmed
  std::vector<CatheterFault> faults;
};

}  // namespace csfpk
