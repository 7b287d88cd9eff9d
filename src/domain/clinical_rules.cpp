#include "csfpk/domain/clinical_rules.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

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
