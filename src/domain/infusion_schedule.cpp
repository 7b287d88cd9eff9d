#include "csfpk/domain/infusion_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <deque>
#include <iomanip>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "csfpk/core/errors.hpp"

// Compilation is a single forward walk over a sorted set of breakpoints. Everything known in
// advance (flex steps, programmed boluses, refills, faults, requests, injections) is inserted
// first; times found on the way (reservoir empty, low alarm, a blend boundary reaching the tip,
// the end of a granted patient bolus) split the current interval or are inserted as they occur.
// Rates between breakpoints are evaluated at the interval midpoint, so a rate switch at a
// breakpoint never depends on which side of it float rounding lands.
//
// Conventions beyond the header: every event time is also a breakpoint (a low alarm or a denied
// request costs the integrator one extra stop, but reservoir samples then cover every event);
// the pump rate multiplier scales instantaneous bolus volumes too; a periodic bolus starts only
// strictly before its end_h; max_per_day 0 allows no patient bolus; refills and patient
// requests before 0 h are errors, while windows (boluses, faults, injections) that began before
// 0 h are clipped to the run.

namespace csfpk {
namespace {

constexpr double kHoursPerDay = 24.0;
constexpr double kInfinity = std::numeric_limits<double>::infinity();
// Guards memory and time against a mistyped interval (e.g. seconds read as hours).
constexpr double kMaxBolusOccurrences = 1e6;

// Times (and volumes) closer than this are one instant (one position): float noise must not
// create near-duplicate breakpoints or zero-length pieces.
double tol(double x) {
  return 1e-12 * std::max(1.0, std::abs(x));
}

// ---------------------------------------------------------------------------------------------
// Text for messages and event details, in user units.

std::string number_text(double value) {
  std::ostringstream out;
  out << std::setprecision(6) << value;
  return out.str();
}
std::string volume_text(double mL) {
  return number_text(mL) + " mL";
}
std::string time_text(double h) {
  return number_text(h) + " h";
}
std::string duration_text(double h) {
  return h < 1.0 ? number_text(h * 60.0) + " min" : number_text(h) + " h";
}

std::string blend_text(const Blend& blend) {
  std::string text;
  for (const auto& [drug, concentration] : blend) {
    if (concentration <= 0.0) continue;
    if (!text.empty()) text += " + ";
    text += drug + " " + number_text(concentration) + " ug/mL";
  }
  return text.empty() ? "drug-free fluid" : text;
}

std::string dose_text(const std::map<std::string, double>& dose_ug) {
  std::string text;
  for (const auto& [drug, mass] : dose_ug) {
    if (!text.empty()) text += " + ";
    text += drug + " " + number_text(mass) + " ug";
  }
  return text.empty() ? "no drug" : text;
}

std::string bolus_text(const std::string& label, double volume_mL, double duration_h) {
  return label + " " + volume_text(volume_mL) +
         (duration_h > 0.0 ? " over " + duration_text(duration_h) : " (instantaneous)");
}

// ---------------------------------------------------------------------------------------------
// Validation: the loader has checked ranges, but programs are also built in code (tests, Python).

void require(bool ok, const std::string& message) {
  if (!ok) throw InputError(message);
}

void require_non_negative(double value, const std::string& what) {
  require(std::isfinite(value) && value >= 0.0,
          what + " must be a non-negative number (got " + number_text(value) + ")");
}

void require_finite(double value, const std::string& what) {
  require(std::isfinite(value), what + " must be a finite number (got " + number_text(value) + ")");
}

void validate_blend(const Blend& blend, const std::string& where) {
  for (const auto& [drug, concentration] : blend) {
    require_non_negative(concentration, where + ": concentration of " + drug);
  }
}

void validate_reservoir(const Reservoir& reservoir) {
  require_non_negative(reservoir.capacity_mL, "reservoir capacity");
  require_non_negative(reservoir.initial_volume_mL, "initial reservoir volume");
  require(reservoir.initial_volume_mL <= reservoir.capacity_mL,
          "initial reservoir volume " + volume_text(reservoir.initial_volume_mL) +
              " exceeds the reservoir capacity " + volume_text(reservoir.capacity_mL));
  require_non_negative(reservoir.low_alarm_mL, "low-reservoir alarm volume");
  validate_blend(reservoir.blend, "reservoir blend");
  for (const Refill& refill : reservoir.refills) {
    const std::string where = "refill at " + time_text(refill.time_h);
    require(std::isfinite(refill.time_h) && refill.time_h >= 0.0,
            where + ": the run starts at 0 h, a refill cannot come before it");
    require_non_negative(refill.fill_to_mL, where + ": fill volume");
    require(refill.fill_to_mL <= reservoir.capacity_mL,
            where + ": fill volume " + volume_text(refill.fill_to_mL) +
                " exceeds the reservoir capacity " + volume_text(reservoir.capacity_mL));
    if (refill.blend) validate_blend(*refill.blend, where);
  }
}

void validate_periodic(const PeriodicBolus& bolus) {
  require_non_negative(bolus.volume_mL, "periodic bolus volume");
  require_non_negative(bolus.duration_h, "periodic bolus duration");
  require(std::isfinite(bolus.interval_h) && bolus.interval_h > 0.0,
          "periodic bolus interval must be positive (got " + duration_text(bolus.interval_h) + ")");
  require(bolus.duration_h < bolus.interval_h, "bolus duration " + duration_text(bolus.duration_h) +
                                                   " is not shorter than its interval " +
                                                   duration_text(bolus.interval_h));
  require_finite(bolus.start_h, "periodic bolus start");
  if (bolus.end_h) require_finite(*bolus.end_h, "periodic bolus end");
}

void validate_program(const PumpProgram& program, double horizon_h) {
  require_non_negative(horizon_h, "simulation horizon");
  require_non_negative(program.rate_multiplier, "pump rate multiplier");
  require_non_negative(program.catheter.dead_volume_mL, "catheter dead volume");
  validate_reservoir(program.reservoir);
  for (const PeriodicBolus& bolus : program.periodic_boluses) validate_periodic(bolus);
  for (const OneOffBolus& bolus : program.one_off_boluses) {
    require_finite(bolus.time_h, "one-off bolus time");
    require_non_negative(bolus.volume_mL, "one-off bolus volume");
    require_non_negative(bolus.duration_h, "one-off bolus duration");
  }
  for (const DirectInjection& injection : program.direct_injections) {
    require_finite(injection.time_h, "direct injection time");
    require_non_negative(injection.duration_h, "direct injection duration");
    for (const auto& [drug, mass] : injection.dose_ug) {
      require_non_negative(
          mass, "direct injection at " + time_text(injection.time_h) + ": dose of " + drug);
    }
  }
  if (const auto& patient = program.patient_boluses) {
    require_non_negative(patient->volume_mL, "patient bolus volume");
    require_non_negative(patient->duration_h, "patient bolus duration");
    require_non_negative(patient->lockout_h, "patient bolus lockout");
    require(patient->max_per_day >= 0, "patient bolus daily maximum must not be negative");
    for (double t : patient->request_times_h) {
      require(std::isfinite(t) && t >= 0.0, "patient bolus request at " + time_text(t) +
                                                " comes before the start of the run (0 h)");
    }
  }
  for (const CatheterFault& fault : program.faults) {
    require_finite(fault.start_h, "catheter fault start");
    if (!fault.end_h) continue;
    require(!std::isnan(*fault.end_h) && *fault.end_h >= fault.start_h,
            "catheter fault ends at " + time_text(*fault.end_h) + ", before it starts at " +
                time_text(fault.start_h));
  }
}

std::vector<FlexStep> sorted_flex_steps(const BasalProgram& basal) {
  std::vector<FlexStep> steps = basal.steps;
  for (const FlexStep& step : steps) {
    require(
        std::isfinite(step.start_of_day_h) && step.start_of_day_h >= 0.0 &&
            step.start_of_day_h < kHoursPerDay,
        "flex step start " + time_text(step.start_of_day_h) + " is not a time of day in [0, 24) h");
    require_non_negative(step.rate_mL_per_h,
                         "flex step at " + time_text(step.start_of_day_h) + ": rate");
  }
  std::stable_sort(steps.begin(), steps.end(), [](const FlexStep& a, const FlexStep& b) {
    return a.start_of_day_h < b.start_of_day_h;
  });
  for (std::size_t i = 1; i < steps.size(); ++i) {
    require(steps[i].start_of_day_h - steps[i - 1].start_of_day_h > tol(kHoursPerDay),
            "two flex steps start at the same time of day " + time_text(steps[i].start_of_day_h));
  }
  return steps;
}

struct BasalPhase {
  double start_h = 0.0;
  std::vector<FlexStep> steps;
};

// The initial basal program from t = 0, then each reprogramming in time order.
std::vector<BasalPhase> basal_phases(const PumpProgram& program) {
  std::vector<BasalPhase> phases{{0.0, sorted_flex_steps(program.basal)}};
  for (const BasalChange& change : program.basal_changes) {
    require(std::isfinite(change.time_h) && change.time_h > phases.back().start_h,
            "basal reprogramming at " + time_text(change.time_h) +
                " must come after the previous program change and after the start");
    phases.push_back({change.time_h, sorted_flex_steps(change.basal)});
  }
  return phases;
}

// ---------------------------------------------------------------------------------------------

// Breakpoints with tolerance merging: a time within tol of one already present maps to it, so
// each instant has exactly one canonical double that every action and window refers to.
class BreakpointSet {
 public:
  explicit BreakpointSet(double horizon_h) : horizon_h_(horizon_h) {
    times_.insert(0.0);
    times_.insert(horizon_h);
  }

  // The canonical time for t, or nullopt when t lies outside [0, horizon].
  std::optional<double> insert(double t) {
    if (t < -tol(0.0) || t > horizon_h_ + tol(horizon_h_)) return std::nullopt;
    const auto near = times_.lower_bound(t - tol(t));
    if (near != times_.end() && *near <= t + tol(t)) return *near;
    return *times_.insert(t).first;
  }
  // t itself where it lies outside the run (a window that began before 0 or ends after it).
  double canonical(double t) { return insert(t).value_or(t); }

  double next_after(double t) const {
    const auto next = times_.upper_bound(t);
    return next == times_.end() ? horizon_h_ : *next;
  }

 private:
  double horizon_h_;
  std::set<double> times_;
};

// Items active on [start, end), queried at non-decreasing times; adding is allowed during the
// walk as long as new windows do not start before the last query.
template <typename Payload>
class ActiveWindows {
 public:
  struct Window {
    double start_h;
    double end_h;
    Payload payload;
  };

  void add(Window window) { waiting_.push_back(std::move(window)); }
  void sort() {
    std::stable_sort(waiting_.begin(), waiting_.end(),
                     [](const Window& a, const Window& b) { return a.start_h < b.start_h; });
  }
  const std::vector<Window>& active_at(double t) {
    while (next_ < waiting_.size() && waiting_[next_].start_h <= t) {
      active_.push_back(waiting_[next_++]);
    }
    std::erase_if(active_, [t](const Window& w) { return w.end_h <= t; });
    return active_;
  }

 private:
  std::vector<Window> waiting_;
  std::size_t next_ = 0;
  std::vector<Window> active_;
};

// Plug flow through the catheter. Fluid is labelled by the cumulative pumped volume at which it
// left the reservoir; the tip sees position P - dead volume. Segment k holds one blend from its
// start up to the next segment's start; the first starts at -inf (what filled the catheter).
class PlugFlow {
 public:
  PlugFlow(const Blend& initial, bool primed) {
    segments_.push_back({-kInfinity, primed ? initial : Blend{}});
    if (segments_.back().blend != initial) segments_.push_back({0.0, initial});
  }

  // The new fill starts at the current pumped volume: it follows everything already pumped and
  // reaches the tip once the dead volume ahead of it has been pushed out.
  bool change_blend(double pumped_mL, const Blend& blend) {
    if (blend == segments_.back().blend) return false;
    segments_.push_back({pumped_mL, blend});
    return true;
  }

  const Blend& tip_blend() const { return segments_[tip_].blend; }
  const Blend& reservoir_blend() const { return segments_.back().blend; }

  double volume_to_next_boundary(double tip_position) const {
    return tip_ + 1 < segments_.size() ? segments_[tip_ + 1].start - tip_position : kInfinity;
  }

  // Moves the tip to `tip_position` and returns each blend whose first fluid reached the tip;
  // zero-length segments (two refills with no pumping between) never reach it.
  std::vector<Blend> advance_tip(double tip_position) {
    std::vector<Blend> arrived;
    const Blend* previous = &segments_[tip_].blend;
    while (tip_ + 1 < segments_.size() &&
           segments_[tip_ + 1].start <= tip_position + tol(tip_position)) {
      ++tip_;
      const bool zero_length =
          tip_ + 1 < segments_.size() && segments_[tip_ + 1].start <= segments_[tip_].start;
      if (zero_length || segments_[tip_].blend == *previous) continue;
      arrived.push_back(segments_[tip_].blend);
      previous = &segments_[tip_].blend;
    }
    return arrived;
  }

  // Mass per drug in the fluid between tip positions a < b (what an instantaneous bolus pushes
  // out of the tip).
  std::map<std::string, double> mass_between(double a, double b) const {
    std::map<std::string, double> mass;
    for (std::size_t k = 0; k < segments_.size(); ++k) {
      const double end = k + 1 < segments_.size() ? segments_[k + 1].start : kInfinity;
      const double overlap = std::min(b, end) - std::max(a, segments_[k].start);
      if (overlap <= 0.0) continue;
      for (const auto& [drug, concentration] : segments_[k].blend) {
        mass[drug] += concentration * overlap;
      }
    }
    return mass;
  }

 private:
  struct Segment {
    double start;
    Blend blend;
  };
  std::vector<Segment> segments_;
  std::size_t tip_ = 0;
};

// Instantaneous things, processed at their breakpoint in this order (enum order): a fault that
// starts with a refill is in force for it, a bolus given at a refill comes from the new fill.
enum class ActionKind {
  kFaultStart,
  kFaultEnd,
  kRefill,
  kProgrammedBolus,
  kPatientRequest,
  kDirectInjection,
};

struct Action {
  double time_h = 0.0;  // canonical breakpoint
  ActionKind kind = ActionKind::kRefill;
  std::size_t index = 0;  // into the program's list for this kind
  double volume_mL = 0.0;
  double duration_h = 0.0;
  std::string label;
};

struct FaultWindow {
  FaultKind kind;
  double start_h;
  double end_h;
  double fraction;
};

struct DirectRate {
  Route route;
  std::map<std::string, double> rate_ug_per_h;
  double volume_rate_mL_per_h = 0.0;
};

Route tip_route() {
  return Route{RouteKind::kCatheterTip, {}};
}
std::string fault_text(const CatheterFault& fault) {
  const std::string percent = std::to_string(static_cast<int>(std::lround(100.0 * fault.fraction)));
  switch (fault.kind) {
    case FaultKind::kOcclusion:
      return "catheter occluded: nothing leaves the pump";
    case FaultKind::kDisconnection:
      return "catheter disconnected: the pump empties into the tissue (plasma)";
    case FaultKind::kPartialOcclusion:
      return "catheter partly occluded: " + percent + " % of the programmed flow leaves the pump";
    case FaultKind::kLeak:
      return "catheter leak: " + percent +
             " % of the delivered fluid escapes to the epidural space";
  }
  return "catheter fault";
}

Route plasma_route() {
  return Route{RouteKind::kPlasma, {}};
}

class ScheduleCompiler {
 public:
  ScheduleCompiler(const PumpProgram& program, double horizon_h)
      : program_(program),
        horizon_h_(horizon_h),
        basal_phases_(basal_phases(program)),
        breakpoints_(horizon_h),
        plug_(program.reservoir.blend, program.catheter.primed),
        volume_mL_(program.reservoir.initial_volume_mL) {
    low_armed_ = volume_mL_ > low_alarm() + tol(low_alarm());
    plug_.advance_tip(-dead_volume());  // the starting state, not an arrival
    plan();
  }

  InfusionSchedule compile();

 private:
  double low_alarm() const { return program_.reservoir.low_alarm_mL; }
  double dead_volume() const { return program_.catheter.dead_volume_mL; }
  double tip_position() const { return pumped_mL_ - dead_volume(); }

  void plan();
  void plan_basal();
  void plan_bolus(double start_h, double volume_mL, double duration_h, const std::string& label);
  void plan_periodic(const PeriodicBolus& bolus);
  void plan_faults();
  void plan_direct_injections();
  void add_action(std::optional<double> time_h, ActionKind kind, std::size_t index,
                  double volume_mL = 0.0, double duration_h = 0.0, std::string label = {});

  void take_instant(double t);
  void handle(const Action& action, double t);
  void refill(const Refill& refill, double t);
  void programmed_bolus(const Action& action, double t);
  void patient_request(double t);
  void direct_injection(const DirectInjection& injection, double t);
  std::string denial_reason(double t);
  void deliver_impulse(double t, double volume_mL);
  void note_volume(double t);
  void note_tip(double t);
  void emit(double t, EventKind kind, std::string detail) {
    out_.events.push_back({t, kind, std::move(detail)});
  }

  bool fault_active_at(FaultKind kind, double t) const;
  // Fraction of the programmed flow that leaves the pump (partial occlusions) and fraction of
  // what leaves that leaks to the epidural space, at `t`.
  double flow_fraction_at(double t) const;
  double leak_fraction_at(double t) const;
  double basal_at(double t) const;
  double demand_at(double mid);
  double advance(double t, double t_next);
  double volume_to_first_change() const;
  void move_instantly(double volume_mL, double t);
  void add_rate(const Route& route, const std::string& drug, double rate_ug_per_h);
  void add_direct_rates(double mid);
  void flush_pieces(double start_h, double end_h);
  void finish();

  const PumpProgram& program_;
  double horizon_h_;
  std::vector<BasalPhase> basal_phases_;  // sorted by start; the first starts at 0
  BreakpointSet breakpoints_;
  PlugFlow plug_;
  std::vector<Action> actions_;
  std::size_t next_action_ = 0;
  std::vector<FaultWindow> faults_;
  ActiveWindows<double> bolus_windows_;  // programmed boluses, mL/h before the multiplier
  ActiveWindows<double> grant_windows_;  // granted patient boluses, mL/h before the multiplier
  ActiveWindows<DirectRate> direct_windows_;

  double volume_mL_;
  double pumped_mL_ = 0.0;
  bool low_armed_ = false;
  bool empty_announced_ = false;
  std::optional<double> last_grant_h_;
  std::deque<double> recent_grants_h_;  // granted starts, oldest first

  std::map<std::tuple<RouteKind, std::string, std::string>, double> interval_rates_;
  double interval_tip_flow_mL_per_h_ = 0.0;  // pump fluid of the interval being flushed
  double direct_tip_flow_mL_per_h_ = 0.0;    // injections at the tip, for the whole advance()
  InfusionSchedule out_;
};

// ----------------------------------------------------------------------------- planning

void ScheduleCompiler::plan() {
  plan_basal();
  for (const PeriodicBolus& bolus : program_.periodic_boluses) plan_periodic(bolus);
  for (const OneOffBolus& bolus : program_.one_off_boluses) {
    plan_bolus(bolus.time_h, bolus.volume_mL, bolus.duration_h, "one-off bolus");
  }
  const auto& refills = program_.reservoir.refills;
  for (std::size_t i = 0; i < refills.size(); ++i) {
    add_action(breakpoints_.insert(refills[i].time_h), ActionKind::kRefill, i);
  }
  if (program_.patient_boluses) {
    for (double t : program_.patient_boluses->request_times_h) {
      add_action(breakpoints_.insert(t), ActionKind::kPatientRequest, 0);
    }
  }
  plan_faults();
  plan_direct_injections();
  bolus_windows_.sort();
  direct_windows_.sort();
  std::stable_sort(actions_.begin(), actions_.end(), [](const Action& a, const Action& b) {
    return std::tie(a.time_h, a.kind) < std::tie(b.time_h, b.kind);
  });
}

void ScheduleCompiler::add_action(std::optional<double> time_h, ActionKind kind, std::size_t index,
                                  double volume_mL, double duration_h, std::string label) {
  if (!time_h) return;  // outside [0, horizon]: no event, nothing to do
  actions_.push_back({*time_h, kind, index, volume_mL, duration_h, std::move(label)});
}

void ScheduleCompiler::plan_basal() {
  for (std::size_t p = 0; p < basal_phases_.size(); ++p) {
    const BasalPhase& phase = basal_phases_[p];
    const double phase_end =
        p + 1 < basal_phases_.size() ? basal_phases_[p + 1].start_h : horizon_h_;
    if (p > 0) breakpoints_.insert(phase.start_h);
    const auto& flex = phase.steps;
    // A step whose rate equals the one before it (cyclically) changes nothing: no breakpoint,
    // so a constant basal costs the integrator no daily restart.
    for (std::size_t i = 0; i < flex.size() && flex.size() > 1; ++i) {
      const FlexStep& before = flex[(i + flex.size() - 1) % flex.size()];
      if (flex[i].rate_mL_per_h == before.rate_mL_per_h) continue;
      const double first_day = std::floor(phase.start_h / kHoursPerDay);
      for (double day = first_day; day * kHoursPerDay + flex[i].start_of_day_h <= phase_end;
           day += 1.0) {
        const double t = day * kHoursPerDay + flex[i].start_of_day_h;
        if (t > phase.start_h) breakpoints_.insert(t);
      }
    }
  }
}

void ScheduleCompiler::plan_bolus(double start_h, double volume_mL, double duration_h,
                                  const std::string& label) {
  const std::optional<double> start = breakpoints_.insert(start_h);
  if (duration_h > 0.0 && start_h + duration_h > 0.0 && start_h <= horizon_h_) {
    bolus_windows_.add({start.value_or(start_h), breakpoints_.canonical(start_h + duration_h),
                        volume_mL / duration_h});
  }
  add_action(start, ActionKind::kProgrammedBolus, 0, volume_mL, duration_h, label);
}

void ScheduleCompiler::plan_periodic(const PeriodicBolus& bolus) {
  // Start at the first occurrence still running at t = 0; cost is O(occurrences in the run).
  const double first =
      std::max(0.0, std::floor((-bolus.start_h - bolus.duration_h) / bolus.interval_h));
  const double last_start = std::min(horizon_h_, bolus.end_h.value_or(horizon_h_));
  const double count = (last_start - bolus.start_h) / bolus.interval_h - first + 1.0;
  require(count <= kMaxBolusOccurrences, "periodic bolus every " + duration_text(bolus.interval_h) +
                                             " would start " + number_text(count) +
                                             " times during the run; check the interval");
  for (double k = first;; k += 1.0) {
    const double start = bolus.start_h + k * bolus.interval_h;
    if (start > horizon_h_ + tol(horizon_h_)) break;
    if (bolus.end_h && start >= *bolus.end_h - tol(*bolus.end_h)) break;
    if (start + bolus.duration_h <= 0.0 && bolus.duration_h > 0.0) continue;
    plan_bolus(start, bolus.volume_mL, bolus.duration_h, "periodic bolus");
  }
}

void ScheduleCompiler::plan_faults() {
  for (std::size_t i = 0; i < program_.faults.size(); ++i) {
    const CatheterFault& fault = program_.faults[i];
    const std::optional<double> start = breakpoints_.insert(fault.start_h);
    const double end_h = fault.end_h.value_or(kInfinity);  // no end: lasts past the horizon
    const std::optional<double> end = breakpoints_.insert(end_h);
    faults_.push_back(
        {fault.kind, start.value_or(fault.start_h), end.value_or(end_h), fault.fraction});
    add_action(start, ActionKind::kFaultStart, i);
    add_action(end, ActionKind::kFaultEnd, i);
  }
}

void ScheduleCompiler::plan_direct_injections() {
  const auto& injections = program_.direct_injections;
  for (std::size_t i = 0; i < injections.size(); ++i) {
    const DirectInjection& injection = injections[i];
    const std::optional<double> start = breakpoints_.insert(injection.time_h);
    const double end_h = injection.time_h + injection.duration_h;
    if (injection.duration_h > 0.0 && end_h > 0.0 && injection.time_h <= horizon_h_) {
      DirectRate rate{
          injection.site.empty() ? tip_route() : Route{RouteKind::kSite, injection.site}, {}};
      for (const auto& [drug, mass] : injection.dose_ug) {
        rate.rate_ug_per_h[drug] = mass / injection.duration_h;
      }
      rate.volume_rate_mL_per_h = injection.volume_mL / injection.duration_h;
      direct_windows_.add(
          {start.value_or(injection.time_h), breakpoints_.canonical(end_h), std::move(rate)});
    }
    add_action(start, ActionKind::kDirectInjection, i);
  }
}

// ----------------------------------------------------------------------------- the walk

InfusionSchedule ScheduleCompiler::compile() {
  double t = 0.0;
  for (;;) {
    const double volume_before = volume_mL_;
    const double pumped_before = pumped_mL_;
    take_instant(t);
    out_.breakpoints_h.push_back(t);
    out_.reservoir.push_back({t, volume_mL_, pumped_mL_, volume_before, pumped_before});
    if (t >= horizon_h_) break;
    t = advance(t, breakpoints_.next_after(t));
  }
  finish();
  return std::move(out_);
}

void ScheduleCompiler::take_instant(double t) {
  // What the interval that ended here brought about comes first (an empty at a refill time).
  note_volume(t);
  note_tip(t);
  while (next_action_ < actions_.size() && actions_[next_action_].time_h <= t) {
    handle(actions_[next_action_++], t);
  }
}

void ScheduleCompiler::handle(const Action& action, double t) {
  switch (action.kind) {
    case ActionKind::kFaultStart:
      emit(t, EventKind::kCatheterFault, fault_text(program_.faults[action.index]));
      break;
    case ActionKind::kFaultEnd:
      emit(t, EventKind::kCatheterRestored,
           program_.faults[action.index].kind == FaultKind::kDisconnection ? "catheter reconnected"
           : program_.faults[action.index].kind == FaultKind::kLeak        ? "leak repaired"
                                                                           : "occlusion cleared");
      break;
    case ActionKind::kRefill:
      refill(program_.reservoir.refills[action.index], t);
      break;
    case ActionKind::kProgrammedBolus:
      programmed_bolus(action, t);
      break;
    case ActionKind::kPatientRequest:
      patient_request(t);
      break;
    case ActionKind::kDirectInjection:
      direct_injection(program_.direct_injections[action.index], t);
      break;
  }
}

void ScheduleCompiler::refill(const Refill& refill, double t) {
  std::string detail = "aspirated residual " + volume_text(volume_mL_) + ", filled to " +
                       volume_text(refill.fill_to_mL);
  if (refill.blend) {
    detail += plug_.change_blend(pumped_mL_, *refill.blend)
                  ? "; new blend " + blend_text(*refill.blend)
                  : "; same blend";
  }
  volume_mL_ = refill.fill_to_mL;
  if (refill.pocket_mL > 0.0) {
    volume_mL_ = std::max(0.0, refill.fill_to_mL - refill.pocket_mL);
    detail += "; pocket fill: " + volume_text(refill.pocket_mL) +
              " went under the skin, the reservoir holds " + volume_text(volume_mL_);
    for (const auto& [drug, concentration] : plug_.reservoir_blend()) {
      if (concentration <= 0.0) continue;
      out_.impulses.push_back(
          {t, Route{RouteKind::kSubcutaneous, {}}, drug, concentration * refill.pocket_mL});
    }
  }
  emit(t, EventKind::kRefill, std::move(detail));
  empty_announced_ = false;
  low_armed_ = volume_mL_ > low_alarm() + tol(low_alarm());
  note_volume(t);  // a refill to 0 mL (emptying before an MRI) stops delivery
  note_tip(t);     // with no dead volume the new blend is at the tip at once
}

void ScheduleCompiler::programmed_bolus(const Action& action, double t) {
  std::string detail = bolus_text(action.label, action.volume_mL, action.duration_h);
  const double volume = program_.rate_multiplier * action.volume_mL;
  if (fault_active_at(FaultKind::kOcclusion, t)) {
    detail += "; not delivered: catheter occluded";
  } else if (volume_mL_ <= 0.0) {
    detail += "; not delivered: reservoir empty";
  } else if (action.duration_h == 0.0 && volume > volume_mL_) {
    detail += "; only " + volume_text(volume_mL_) + " left in the reservoir";
  }
  emit(t, EventKind::kBolusGiven, std::move(detail));
  if (action.duration_h == 0.0) deliver_impulse(t, volume);
}

std::string ScheduleCompiler::denial_reason(double t) {
  const PatientBolusProgram& patient = *program_.patient_boluses;
  if (last_grant_h_ && t - *last_grant_h_ < patient.lockout_h - tol(t)) return "lockout";
  // Rolling window (t - 24 h, t]: a bolus exactly 24 h ago no longer counts.
  while (!recent_grants_h_.empty() && recent_grants_h_.front() <= t - kHoursPerDay + tol(t)) {
    recent_grants_h_.pop_front();
  }
  if (recent_grants_h_.size() >= static_cast<std::size_t>(patient.max_per_day)) {
    return "daily maximum";
  }
  if (volume_mL_ <= 0.0) return "reservoir empty";
  if (fault_active_at(FaultKind::kOcclusion, t)) return "catheter occluded";
  return {};
}

void ScheduleCompiler::patient_request(double t) {
  const PatientBolusProgram& patient = *program_.patient_boluses;
  const std::string reason = denial_reason(t);
  if (!reason.empty()) {
    emit(t, EventKind::kBolusDenied, reason);
    return;
  }
  last_grant_h_ = t;
  recent_grants_h_.push_back(t);
  emit(t, EventKind::kBolusGiven,
       bolus_text("patient bolus", patient.volume_mL, patient.duration_h));
  if (patient.duration_h > 0.0) {
    grant_windows_.add({t, breakpoints_.canonical(t + patient.duration_h),
                        patient.volume_mL / patient.duration_h});
  } else {
    deliver_impulse(t, program_.rate_multiplier * patient.volume_mL);
  }
}

void ScheduleCompiler::direct_injection(const DirectInjection& injection, double t) {
  const Route route =
      injection.site.empty() ? tip_route() : Route{RouteKind::kSite, injection.site};
  emit(t, EventKind::kDirectInjection,
       "direct injection at " + (injection.site.empty() ? "the catheter tip" : injection.site) +
           ": " + dose_text(injection.dose_ug) +
           (injection.duration_h > 0.0 ? " over " + duration_text(injection.duration_h)
                                       : " (instantaneous)"));
  if (injection.duration_h > 0.0) return;  // a rate window, planned ahead
  for (const auto& [drug, mass] : injection.dose_ug) {
    if (mass > 0.0) out_.impulses.push_back({t, route, drug, mass});
  }
}

// Delivers all of it, what is left, or nothing when the catheter is occluded or the reservoir
// is empty.
void ScheduleCompiler::deliver_impulse(double t, double volume_mL) {
  if (volume_mL <= 0.0 || volume_mL_ <= 0.0 || fault_active_at(FaultKind::kOcclusion, t)) {
    return;
  }
  const double delivered = std::min(volume_mL * flow_fraction_at(t), volume_mL_);
  const double leak = fault_active_at(FaultKind::kDisconnection, t) ? 1.0 : leak_fraction_at(t);
  for (const auto& [drug, mass] : plug_.mass_between(tip_position(), tip_position() + delivered)) {
    if (mass <= 0.0) continue;
    if (leak > 0.0) out_.impulses.push_back({t, plasma_route(), drug, leak * mass});
    if (leak < 1.0) out_.impulses.push_back({t, tip_route(), drug, (1.0 - leak) * mass});
  }
  volume_mL_ = delivered >= volume_mL_ ? 0.0 : volume_mL_ - delivered;
  pumped_mL_ += delivered;
  note_volume(t);
  note_tip(t);
}

void ScheduleCompiler::note_volume(double t) {
  if (volume_mL_ <= tol(program_.reservoir.capacity_mL)) volume_mL_ = 0.0;
  if (low_armed_ && volume_mL_ <= low_alarm() + tol(low_alarm())) {
    low_armed_ = false;
    emit(t, EventKind::kReservoirLow,
         "reservoir down to the low-reservoir alarm volume " + volume_text(low_alarm()));
  }
  // A program without a pump (capacity 0: e.g. a screening bolus before the implant) has no
  // reservoir to run dry.
  if (volume_mL_ == 0.0 && !empty_announced_ && program_.reservoir.capacity_mL > 0.0) {
    empty_announced_ = true;
    emit(t, EventKind::kReservoirEmpty, "reservoir empty: no delivery until the next refill");
  }
}

void ScheduleCompiler::note_tip(double t) {
  for (const Blend& blend : plug_.advance_tip(tip_position())) {
    emit(t, EventKind::kNewBlendAtTip, blend_text(blend) + " reaches the catheter tip");
  }
}

// Fault windows hold canonical breakpoints, so at a breakpoint the fault is in force from its
// start and over at its end, and inside an interval the midpoint decides.
bool ScheduleCompiler::fault_active_at(FaultKind kind, double t) const {
  return std::any_of(faults_.begin(), faults_.end(), [&](const FaultWindow& fault) {
    return fault.kind == kind && fault.start_h <= t && t < fault.end_h;
  });
}

double ScheduleCompiler::flow_fraction_at(double t) const {
  double fraction = 1.0;
  for (const FaultWindow& fault : faults_) {
    if (fault.kind == FaultKind::kPartialOcclusion && fault.start_h <= t && t < fault.end_h) {
      fraction *= fault.fraction;
    }
  }
  return fraction;
}

double ScheduleCompiler::leak_fraction_at(double t) const {
  double kept = 1.0;
  for (const FaultWindow& fault : faults_) {
    if (fault.kind == FaultKind::kLeak && fault.start_h <= t && t < fault.end_h) {
      kept *= 1.0 - fault.fraction;
    }
  }
  return 1.0 - kept;
}

double ScheduleCompiler::basal_at(double t) const {
  const auto phase_after =
      std::upper_bound(basal_phases_.begin(), basal_phases_.end(), t,
                       [](double time, const BasalPhase& phase) { return time < phase.start_h; });
  if (phase_after == basal_phases_.begin()) return 0.0;
  const auto& flex = std::prev(phase_after)->steps;
  if (flex.empty()) return 0.0;
  const double time_of_day = t - kHoursPerDay * std::floor(t / kHoursPerDay);
  const auto after = std::upper_bound(
      flex.begin(), flex.end(), time_of_day,
      [](double time, const FlexStep& step) { return time < step.start_of_day_h; });
  // Before the first step of the day the last step of the previous day still runs.
  return after == flex.begin() ? flex.back().rate_mL_per_h : std::prev(after)->rate_mL_per_h;
}

double ScheduleCompiler::demand_at(double mid) {
  double rate = basal_at(mid);
  for (const auto& window : bolus_windows_.active_at(mid)) rate += window.payload;
  for (const auto& window : grant_windows_.active_at(mid)) rate += window.payload;
  return program_.rate_multiplier * rate;
}

// Volume the pump can deliver before the reservoir state or the tip blend changes.
double ScheduleCompiler::volume_to_first_change() const {
  double volume = volume_mL_;
  if (low_armed_) volume = std::min(volume, volume_mL_ - low_alarm());
  return std::min(volume, plug_.volume_to_next_boundary(tip_position()));
}

void ScheduleCompiler::move_instantly(double volume_mL, double t) {
  volume_mL_ = volume_mL >= volume_mL_ ? 0.0 : volume_mL_ - volume_mL;
  pumped_mL_ += volume_mL;
  note_volume(t);
  note_tip(t);
}

// Delivers on [t, t_next) and returns where the interval really ends: earlier than t_next when
// the reservoir empties, crosses the low alarm, or a blend boundary reaches the tip.
double ScheduleCompiler::advance(double t, double t_next) {
  const double mid = 0.5 * (t + t_next);
  const bool occluded = fault_active_at(FaultKind::kOcclusion, mid);
  const bool disconnected = fault_active_at(FaultKind::kDisconnection, mid);
  const double leak = disconnected ? 1.0 : leak_fraction_at(mid);
  const double demand = demand_at(mid) * flow_fraction_at(mid);
  direct_tip_flow_mL_per_h_ = 0.0;
  add_direct_rates(mid);
  for (;;) {
    const double q = occluded || volume_mL_ <= 0.0 ? 0.0 : demand;
    if (q <= 0.0) {
      flush_pieces(t, t_next);
      return t_next;
    }
    const double change_volume = volume_to_first_change();
    const double t_change = t + change_volume / q;
    if (t_change <= t + tol(t)) {
      // Too close to t to be its own breakpoint: it happens at t.
      move_instantly(change_volume, t);
      continue;
    }
    double t_end = t_next;
    double volume = q * (t_next - t);
    if (t_change < t_next - tol(t_next)) {
      t_end = t_change;
      volume = change_volume;
    } else if (t_change <= t_next + tol(t_next)) {
      volume = change_volume;  // lands on t_next: take the exact volume, not the rounded one
    }
    for (const auto& [drug, concentration] : plug_.tip_blend()) {
      add_rate(plasma_route(), drug, leak * q * concentration);
      add_rate(tip_route(), drug, (1.0 - leak) * q * concentration);
    }
    interval_tip_flow_mL_per_h_ += (1.0 - leak) * q;
    flush_pieces(t, t_end);
    volume_mL_ = volume >= volume_mL_ ? 0.0 : volume_mL_ - volume;
    pumped_mL_ += volume;
    return t_end;
  }
}

void ScheduleCompiler::add_rate(const Route& route, const std::string& drug, double rate_ug_per_h) {
  if (rate_ug_per_h <= 0.0) return;
  interval_rates_[{route.kind, route.site, drug}] += rate_ug_per_h;
}

void ScheduleCompiler::add_direct_rates(double mid) {
  for (const auto& window : direct_windows_.active_at(mid)) {
    for (const auto& [drug, rate] : window.payload.rate_ug_per_h) {
      add_rate(window.payload.route, drug, rate);
    }
    if (window.payload.route.kind == RouteKind::kCatheterTip) {
      direct_tip_flow_mL_per_h_ += window.payload.volume_rate_mL_per_h;
    }
  }
}

// Direct-injection and pump rates for one interval, summed per route and drug (a lumbar
// injection at the tip and the pump may share a route).
void ScheduleCompiler::flush_pieces(double start_h, double end_h) {
  for (const auto& [key, rate] : interval_rates_) {
    const auto& [kind, site, drug] = key;
    out_.pieces.push_back({start_h, end_h, Route{kind, site}, drug, rate});
  }
  interval_rates_.clear();
  const double flow = interval_tip_flow_mL_per_h_ + direct_tip_flow_mL_per_h_;
  if (flow > 0.0 && end_h > start_h) out_.tip_flows.push_back({start_h, end_h, flow});
  interval_tip_flow_mL_per_h_ = 0.0;
}

void ScheduleCompiler::finish() {
  out_.horizon_h = horizon_h_;
  const auto by_time = [](const auto& a, const auto& b) { return a.time_h < b.time_h; };
  std::stable_sort(out_.events.begin(), out_.events.end(), by_time);
  std::stable_sort(out_.impulses.begin(), out_.impulses.end(), by_time);
  std::set<std::string> drugs;
  for (const auto& [drug, c] : program_.reservoir.blend) drugs.insert(drug);
  for (const Refill& refill : program_.reservoir.refills) {
    if (!refill.blend) continue;
    for (const auto& [drug, c] : *refill.blend) drugs.insert(drug);
  }
  for (const DirectInjection& injection : program_.direct_injections) {
    for (const auto& [drug, mass] : injection.dose_ug) drugs.insert(drug);
  }
  out_.drugs.assign(drugs.begin(), drugs.end());
}

// ----------------------------------------------------------------------------- queries

double delivered(const InfusionSchedule& schedule, const std::string& drug, const Route* route,
                 double t_h) {
  double total = 0.0;
  for (const RatePiece& piece : schedule.pieces) {
    if (piece.drug != drug || (route && !(piece.route == *route))) continue;
    const double end = std::min(piece.end_h, t_h);
    if (end > piece.start_h) total += piece.mass_rate_ug_per_h * (end - piece.start_h);
  }
  for (const Impulse& impulse : schedule.impulses) {
    if (impulse.drug != drug || (route && !(impulse.route == *route))) continue;
    if (impulse.time_h <= t_h + tol(t_h)) total += impulse.mass_ug;
  }
  return total;
}

}  // namespace

double InfusionSchedule::delivered_ug(const std::string& drug, double t_h) const {
  return delivered(*this, drug, nullptr, t_h);
}

double InfusionSchedule::delivered_ug(const std::string& drug, const Route& route,
                                      double t_h) const {
  return delivered(*this, drug, &route, t_h);
}

std::vector<double> InfusionSchedule::delivered_ug(
    const std::string& drug, const std::vector<double>& sorted_times_h) const {
  // Pieces lie between consecutive breakpoints, so sorted by end the ones still running at t are
  // exactly those right after the completed ones whose start is before t.
  std::vector<const RatePiece*> mine;
  for (const RatePiece& piece : pieces) {
    if (piece.drug == drug) mine.push_back(&piece);
  }
  std::stable_sort(mine.begin(), mine.end(),
                   [](const RatePiece* a, const RatePiece* b) { return a->end_h < b->end_h; });
  std::vector<double> out;
  out.reserve(sorted_times_h.size());
  double completed = 0.0;
  std::size_t next_piece = 0;
  double given = 0.0;
  std::size_t next_impulse = 0;
  for (const double t : sorted_times_h) {
    for (; next_piece < mine.size() && mine[next_piece]->end_h <= t; ++next_piece) {
      completed += mine[next_piece]->mass_rate_ug_per_h *
                   (mine[next_piece]->end_h - mine[next_piece]->start_h);
    }
    double running = 0.0;
    for (std::size_t k = next_piece; k < mine.size() && mine[k]->start_h < t; ++k) {
      running += mine[k]->mass_rate_ug_per_h * (t - mine[k]->start_h);
    }
    for (; next_impulse < impulses.size() && impulses[next_impulse].time_h <= t + tol(t);
         ++next_impulse) {
      if (impulses[next_impulse].drug == drug) given += impulses[next_impulse].mass_ug;
    }
    out.push_back(completed + running + given);
  }
  return out;
}

double InfusionSchedule::reservoir_mL_at(double t_h) const {
  if (reservoir.empty()) return 0.0;
  // First sample after t_h; the one before it holds the after-jump value at its own time.
  const auto after =
      std::upper_bound(reservoir.begin(), reservoir.end(), t_h,
                       [](double t, const ReservoirSample& sample) { return t < sample.time_h; });
  if (after == reservoir.begin()) return reservoir.front().reservoir_mL;
  const ReservoirSample& left = *std::prev(after);
  if (after == reservoir.end() || t_h <= left.time_h) return left.reservoir_mL;
  const double fraction = (t_h - left.time_h) / (after->time_h - left.time_h);
  return left.reservoir_mL + fraction * (after->reservoir_before_mL - left.reservoir_mL);
}

std::string to_string(EventKind kind) {
  switch (kind) {
    case EventKind::kBolusGiven:
      return "bolus_given";
    case EventKind::kBolusDenied:
      return "bolus_denied";
    case EventKind::kRefill:
      return "refill";
    case EventKind::kReservoirLow:
      return "reservoir_low";
    case EventKind::kReservoirEmpty:
      return "reservoir_empty";
    case EventKind::kCatheterFault:
      return "catheter_fault";
    case EventKind::kCatheterRestored:
      return "catheter_restored";
    case EventKind::kNewBlendAtTip:
      return "new_blend_at_tip";
    case EventKind::kDirectInjection:
      return "direct_injection";
  }
  return "unknown";
}

InfusionSchedule compile_schedule(const PumpProgram& program, double horizon_h) {
  validate_program(program, horizon_h);
  return ScheduleCompiler(program, horizon_h).compile();
}

}  // namespace csfpk
