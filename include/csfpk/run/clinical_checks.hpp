#pragma once
// The clinic's questions about a scenario, answered from its compiled delivery: which label,
// consensus, titration and stability rules it breaks (models/clinical/), when each fill's
// reservoir reaches the low alarm and runs dry, and whether the volume found at each refill
// matches what the program should have left.
#include <optional>
#include <string>
#include <vector>

#include "csfpk/domain/infusion_schedule.hpp"
#include "csfpk/run/scenario.hpp"
#include "csfpk/solve/trajectory.hpp"

namespace csfpk {

enum class FindingKind {
  kLabelMaximum,  // above a label maximum: refused by --strict
  kLabelAdvice,   // above a dose the label advises caution beyond
  kConsensus,     // above a consensus (PACC) limit
  kTitration,     // a start or step faster than the titration rules
  kStability,     // a fill kept longer than the drug is stable in the reservoir
  kRefill,        // the residual found at a refill differs from the expected one
};

struct ClinicalFinding {
  FindingKind kind = FindingKind::kConsensus;
  std::string drug;   // empty for pump-level findings
  std::string field;  // the scenario field it concerns, e.g. "pump.reservoir.blend"
  std::string message;
  std::string source;
  bool refused_by_strict() const { return kind == FindingKind::kLabelMaximum; }
  // "drug: message [source]"
  std::string text() const;
};

std::string to_string(FindingKind kind);

// Daily doses are the mass actually delivered in each day of the run (pump and injections; a
// run shorter than a day has the pump's share scaled to 24 h), so a refill at a higher
// concentration with a proportionally lower rate is not a higher dose.
std::vector<ClinicalFinding> clinical_findings(const Scenario& scenario,
                                               const InfusionSchedule& schedule);

// The largest delivered dose of `drug` in any day of the run, µg per 24 h.
double largest_daily_dose_ug(const Scenario& scenario, const InfusionSchedule& schedule,
                             const std::string& drug);

// One fill of the reservoir (the initial one, then each refill): when it reaches the low alarm
// and when it is empty, following the program past the end of the run if need be (up to a
// year). Unset: not within that time.
struct FillForecast {
  double fill_h = 0.0;
  double volume_mL = 0.0;
  std::optional<double> alarm_h;
  std::optional<double> empty_h;
  bool last = false;  // the last fill of the scenario (its times may lie after the run)
};
std::vector<FillForecast> reservoir_forecast(const Scenario& scenario);

// At each refill: the residual the program should have left (no faults, the pump exactly at
// its programmed rate) against the one it left, and whether the difference exceeds the
// device's nominal accuracy over the volume pumped since the previous fill.
struct RefillCheck {
  double time_h = 0.0;
  double expected_mL = 0.0;
  double found_mL = 0.0;
  std::optional<double> tolerance_mL;  // unset without a device profile
  bool flagged = false;
};
std::vector<RefillCheck> refill_checks(const Scenario& scenario, const InfusionSchedule& schedule);

// The forecast and the refill checks as text, one line per fill and per refill, e.g.
// "fill day 0: 20 mL; alarm day 36; empty day 40" and "refill day 30: expected residual 5 mL,
// found 2.75 mL (-2.25 mL; tolerance 2.17 mL; flagged)". Empty without a reservoir.
std::vector<std::string> reservoir_plan(const Scenario& scenario, const InfusionSchedule& schedule);

// Each time the reservoir runs dry: how long the CSF concentration at the catheter tip takes
// to fall below half of its level at that moment (the steady state of a program that ran long
// enough), from the output samples, linearly interpolated. Abrupt withdrawal is dangerous with
// baclofen (label boxed warning), so this is the figure to watch.
struct WithdrawalFlag {
  std::string drug;
  std::string site;  // the compartment at the tip, or "csf at x cm" in the 1D model
  double empty_h = 0.0;
  double level_ug_per_mL = 0.0;
  std::optional<double> below_half_h;  // unset: not before the next refill or the end
  std::string text() const;
};
std::vector<WithdrawalFlag> withdrawal_flags(const Scenario& scenario,
                                             const InfusionSchedule& schedule,
                                             const Trajectory& trajectory);

// The exposure flags a scenario asks for (`flags:`): CSF at the catheter tip above a threshold,
// and cranial exposure against a lumbar-tip reference (the same scenario with the tip at L2,
// solved again). One message per flag raised.
std::vector<std::string> exposure_flags(const Scenario& scenario, const Trajectory& trajectory);

}  // namespace csfpk
