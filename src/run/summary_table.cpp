#include "csfpk/run/summary_table.hpp"

#include <limits>

#include "csfpk/core/units.hpp"

namespace csfpk {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> as_vector(const Eigen::VectorXd& v) {
  return {v.data(), v.data() + v.size()};
}

// A per-level or per-segment summary; one that was not computed (empty) is NaN throughout.
std::vector<double> or_nan(const std::vector<double>& values, std::size_t count) {
  return values.empty() ? std::vector<double>(count, kNaN) : values;
}

SummaryVariable scalar(std::string name, std::string long_name, std::string_view units,
                       bool canal_only, double (*get)(const DrugTrajectory&),
                       std::vector<std::pair<std::string, std::string>> attributes = {}) {
  return {std::move(name),
          std::move(long_name),
          std::string(units),
          SummaryAxis::kNone,
          canal_only,
          std::move(attributes),
          [get](const DrugFigures& f) { return std::vector<double>{get(f.drug)}; }};
}

}  // namespace

const std::vector<SummaryVariable>& summary_variables() {
  using units::kConcentrationUnit, units::kLengthUnit;
  static const std::vector<SummaryVariable> table{
      {"peak",
       "peak concentration over the output times",
       std::string(kConcentrationUnit),
       SummaryAxis::kSite,
       false,
       {{"cell_methods", "time: maximum"}},
       [](const DrugFigures& f) { return as_vector(f.sites.peak_ug_per_mL); }},
      {"mean",
       "time-averaged concentration (trapezoidal AUC over the run length)",
       std::string(kConcentrationUnit),
       SummaryAxis::kSite,
       false,
       {{"cell_methods", "time: mean"}},
       [](const DrugFigures& f) { return as_vector(f.sites.mean_ug_per_mL); }},
      {"auc",
       "area under the concentration curve (trapezoidal)",
       "ug h/mL",
       SummaryAxis::kSite,
       false,
       {{"cell_methods", "time: sum"}},
       [](const DrugFigures& f) { return as_vector(f.sites.auc_ug_h_per_mL); }},
      scalar("mass_balance_relative_error",
             "max over time of |delivered - in_body - eliminated| relative to max delivered", "1",
             false, [](const DrugTrajectory& d) { return d.mass_balance_relative_error; }),
      {"level_peak",
       "peak CSF concentration at the vertebral level over the run",
       std::string(kConcentrationUnit),
       SummaryAxis::kLevel,
       true,
       {{"cell_methods", "time: maximum"}},
       [](const DrugFigures& f) {
         return or_nan(f.drug.summary.level_peak_ug_per_mL, f.trajectory.levels.size());
       }},
      {"level_mean",
       "time-averaged CSF concentration at the vertebral level",
       std::string(kConcentrationUnit),
       SummaryAxis::kLevel,
       true,
       {{"cell_methods", "time: mean"}},
       [](const DrugFigures& f) {
         return or_nan(f.drug.summary.level_mean_ug_per_mL, f.trajectory.levels.size());
       }},
      scalar("spread",
             "largest length of canal with CSF concentration at or above the spread threshold at "
             "any output time",
             kLengthUnit, true, [](const DrugTrajectory& d) { return d.summary.spread_cm; },
             {{"threshold", "csf_concentration >= spread_threshold"},
              {"ancillary_variables", "spread_threshold"}}),
      scalar("spread_threshold", "CSF concentration threshold of the spread", kConcentrationUnit,
             true, [](const DrugTrajectory& d) { return d.summary.spread_threshold_ug_per_mL; }),
      scalar("cranial_auc", "cranial exposure: time integral of the cranial pool concentration",
             "ug h/mL", true,
             [](const DrugTrajectory& d) { return d.summary.cranial_auc_ug_h_per_mL; }),
      scalar("tip_peak", "peak CSF concentration at the catheter tip", kConcentrationUnit, true,
             [](const DrugTrajectory& d) { return d.summary.tip_peak_ug_per_mL; },
             {{"cell_methods", "time: maximum"}}),
      scalar("tip_mean", "time-averaged CSF concentration at the catheter tip", kConcentrationUnit,
             true, [](const DrugTrajectory& d) { return d.summary.tip_mean_ug_per_mL; },
             {{"cell_methods", "time: mean"}}),
      {"dermatome_coverage",
       "fraction of the run with cord tissue concentration / partition coefficient at or above "
       "the effective concentration",
       "1",
       SummaryAxis::kSegment,
       true,
       {{"ancillary_variables", "effective_concentration"}},
       [](const DrugFigures& f) {
         return or_nan(f.drug.summary.dermatome_coverage, f.trajectory.segments.size());
       }},
      scalar("effective_concentration", "effective CSF concentration of the drug (0: none given)",
             kConcentrationUnit, true,
             [](const DrugTrajectory& d) { return d.summary.effective_concentration_ug_per_mL; }),
  };
  return table;
}

const char* axis_name(SummaryAxis axis) {
  switch (axis) {
    case SummaryAxis::kNone:
      return "";
    case SummaryAxis::kSite:
      return "site";
    case SummaryAxis::kLevel:
      return "level";
    case SummaryAxis::kSegment:
      return "segment";
  }
  return "";
}

std::size_t axis_length(SummaryAxis axis, const Trajectory& trajectory) {
  switch (axis) {
    case SummaryAxis::kNone:
      return 1;
    case SummaryAxis::kSite:
      return trajectory.sites.size();
    case SummaryAxis::kLevel:
      return trajectory.levels.size();
    case SummaryAxis::kSegment:
      return trajectory.segments.size();
  }
  return 0;
}

bool carries(const SummaryVariable& variable, const Trajectory& trajectory) {
  return !variable.canal_only || !trajectory.positions_cm.empty();
}

std::vector<std::vector<double>> summary_values(const Trajectory& trajectory) {
  const std::vector<SummaryVariable>& table = summary_variables();
  std::vector<std::vector<double>> out(table.size());
  for (const DrugTrajectory& drug : trajectory.drugs) {
    const SiteSummaries sites = site_summaries(trajectory.times_h, drug.concentration_ug_per_mL);
    const DrugFigures figures{trajectory, drug, sites};
    for (std::size_t row = 0; row < table.size(); ++row) {
      if (!carries(table[row], trajectory)) continue;
      const std::vector<double> values = table[row].values(figures);
      out[row].insert(out[row].end(), values.begin(), values.end());
    }
  }
  return out;
}

}  // namespace csfpk
