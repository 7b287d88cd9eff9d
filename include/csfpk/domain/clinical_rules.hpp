#pragma once
// What the labels and the consensus guidelines say about a drug in an intrathecal pump: dose
// and concentration limits, titration rules and how long a fill stays stable. Values come from
// models/clinical/<drug>.yaml, each with its source, in internal units (µg, µg/mL, h).
//
// Label limits (the FDA-approved product labeling) and consensus limits (the Polyanalgesic
// Consensus Conference, PACC) are kept apart: `csfpk run --strict` refuses what exceeds a label
// maximum; everything else is a warning that names its source.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace csfpk {

enum class LimitBasis { kLabel, kConsensus };
enum class LimitKind {
  kMaxConcentration,    // per reservoir fill, µg/mL
  kMaxDailyDose,        // delivered in any 24 h (pump and injections), µg
  kMaxSingleInjection,  // one direct injection (e.g. a lumbar puncture), µg
};

struct DoseLimit {
  LimitKind kind = LimitKind::kMaxConcentration;
  LimitBasis basis = LimitBasis::kLabel;
  double value = 0.0;     // µg/mL, µg per 24 h or µg
  bool advisory = false;  // the source advises caution above it rather than setting a maximum
  std::string source;
};

// A titration rule; every field that is set comes with its source.
struct TitrationRule {
  double value = 0.0;
  std::string source;
};

struct TitrationRules {
  std::optional<TitrationRule> start_max_ug_per_day;   // first programmed daily dose
  std::optional<TitrationRule> step_max_ug_per_day;    // one increase
  std::optional<TitrationRule> step_max_fraction;      // one increase, relative to the dose before
  std::optional<TitrationRule> step_min_interval_h;    // between two increases
  std::optional<TitrationRule> target_max_ug_per_day;  // the highest daily dose of a titration
  std::optional<TitrationRule> target_earliest_h;      // ... reached no sooner than this
  bool empty() const {
    return !start_max_ug_per_day && !step_max_ug_per_day && !step_max_fraction &&
           !step_min_interval_h && !target_max_ug_per_day;
  }
};

// From a screening (trial) bolus to the starting daily pump dose: the effective bolus dose per
// day, times `factor_if_shorter` when its effect lasted less than `effect_threshold_h`.
struct TrialRule {
  double effect_threshold_h = 0.0;
  double factor_if_shorter = 1.0;
  double factor_if_longer = 1.0;
  std::string source;
};

struct ClinicalRules {
  std::string drug;
  std::string dose_unit = "mg";  // how doses are reported: "mg" or "ug"
  std::vector<DoseLimit> limits;
  TitrationRules titration;
  std::optional<TitrationRule> stability_h;  // longest time one fill may stay in the reservoir
  // A longer stability for the undiluted product (e.g. ziconotide 25 µg/mL): applies to a fill
  // at exactly this concentration; 0 when the source gives none.
  double undiluted_ug_per_mL = 0.0;
  double undiluted_stability_h = 0.0;
  // The stability of a fill at `concentration_ug_per_mL`, h; unset when the drug has none.
  std::optional<double> stability_at(double concentration_ug_per_mL) const;
  std::optional<TrialRule> trial;
  // Titration rules that replace the default ones for a named indication (e.g. baclofen for
  // spasticity of cerebral origin); only the rules a variant sets are replaced.
  std::map<std::string, TitrationRules> indications;
  // These rules with the titration of `indication`; throws InputError for one the drug does not
  // know, naming those it does.
  ClinicalRules for_indication(const std::string& indication) const;
};

std::string to_string(LimitBasis basis);
std::string to_string(LimitKind kind);

// A dose or concentration in the drug's reporting unit, e.g. "2.4 ug/day" or "10 mg/day";
// `per` is "", "/day" or "/mL".
std::string format_dose(const ClinicalRules* rules, double ug, const char* per,
                        int significant_digits = 3);

}  // namespace csfpk
