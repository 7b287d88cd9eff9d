#include "csfpk/domain/clinical_rules.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "csfpk/core/errors.hpp"

namespace csfpk {

std::string to_string(LimitBasis basis) {
  return basis == LimitBasis::kLabel ? "label" : "consensus";
}

std::string to_string(LimitKind kind) {
  switch (kind) {
    case LimitKind::kMaxConcentration:
      return "max_concentration";
    case LimitKind::kMaxDailyDose:
      return "max_daily_dose";
    case LimitKind::kMaxSingleInjection:
      return "max_single_injection";
  }
  return "?";
}

ClinicalRules ClinicalRules::for_indication(const std::string& indication) const {
  const auto it = indications.find(indication);
  if (it == indications.end()) {
    std::string known;
    for (const auto& entry : indications) known += (known.empty() ? "" : ", ") + entry.first;
    throw InputError("indication '" + indication + "': " + drug + " has no rules for it" +
                     (known.empty() ? std::string(" (it has no indication-specific rules)")
                                    : "; it has rules for " + known));
  }
  ClinicalRules out = *this;
  const TitrationRules& v = it->second;
  TitrationRules& t = out.titration;
  const auto take = [](const std::optional<TitrationRule>& from, std::optional<TitrationRule>& to) {
    if (from) to = from;
  };
  take(v.start_max_ug_per_day, t.start_max_ug_per_day);
  take(v.step_max_ug_per_day, t.step_max_ug_per_day);
  take(v.step_max_fraction, t.step_max_fraction);
  take(v.step_min_interval_h, t.step_min_interval_h);
  take(v.target_max_ug_per_day, t.target_max_ug_per_day);
  take(v.target_earliest_h, t.target_earliest_h);
  return out;
}

std::optional<double> ClinicalRules::stability_at(double concentration_ug_per_mL) const {
  if (!stability_h) return std::nullopt;
  if (undiluted_ug_per_mL > 0.0 &&
      std::abs(concentration_ug_per_mL - undiluted_ug_per_mL) <= 1e-6 * undiluted_ug_per_mL) {
    return undiluted_stability_h;
  }
  return stability_h->value;
}

std::string format_dose(const ClinicalRules* rules, double ug, const char* per,
                        int significant_digits) {
  const bool micro = rules != nullptr && rules->dose_unit == "ug";
  const double value = micro ? ug : ug / 1000.0;
  std::ostringstream out;
  // Whole numbers in full (2000 ug/mL, not 2e+03); others to the significant digits asked for.
  if (std::abs(value - std::round(value)) <= 1e-9 * std::max(1.0, std::abs(value)) &&
      std::abs(value) < 1e15) {
    out << static_cast<long long>(std::llround(value));
  } else {
    out.precision(significant_digits);
    out << value;
  }
  out << (micro ? " ug" : " mg") << per;
  return out.str();
}

}  // namespace csfpk
