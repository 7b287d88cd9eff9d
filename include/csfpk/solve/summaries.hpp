#pragma once
// The per-drug figures a clinician reads first (DrugSummary in trajectory.hpp), computed from a
// 1D run's sampled CSF profile, pool and cord-tissue concentrations.
//
// Between samples every series is taken as piecewise linear, the same assumption the
// trapezoidal rule makes, so all summaries are mutually consistent:
// - along the canal, c(x) is linear between cell centres and constant from the end centres out
//   to the end faces (the canal spans cell_faces_cm.front() … cell_faces_cm.back());
// - in time, c(t) is linear between output times; a mean is ∫ c dt / (t_end − t_0) by the
//   trapezoidal rule, and a fraction of time is the measure of {t : c(t) ≥ threshold} with the
//   crossing times interpolated linearly, divided by t_end − t_0. A run with a single output
//   time (or t_end = t_0) reports the value, or the 0/1 indicator, at that time.
#include <cstddef>
#include <optional>
#include <vector>

#include "csfpk/solve/trajectory.hpp"

namespace csfpk {

// What summarize needs to know about one drug beyond its trajectory.
struct SummarySettings {
  // Spread counts the canal where the CSF concentration is ≥ this. A threshold ≤ 0 would count
  // the whole canal, so it means "not requested": spread_cm is NaN.
  double spread_threshold_ug_per_mL = 0.0;
  // Dermatome coverage counts the time during which c_tissue / K_p ≥ this; 0 means the drug has
  // no effective concentration, and every coverage is NaN.
  double effective_concentration_ug_per_mL = 0.0;
  // Cord tissue : CSF partition coefficient K_p (> 0).
  double cord_partition_coefficient = 1.0;
  // Row of Trajectory::sites holding the cranial pool; without one the cranial AUC is NaN.
  std::optional<std::size_t> pool_site;
};

// Fills trajectory.drugs[d].summary from per_drug[d], for a 1D trajectory (non-empty
// positions_cm):
// - level_peak/level_mean: CSF concentration at each level_positions_cm, interpolated along
//   the canal as above; peak over output times and trapezoidal time average;
// - spread_cm: at each output time, the total length of canal (not necessarily contiguous)
//   where c(x) ≥ threshold, crossings between cell centres interpolated linearly; the maximum
//   over output times;
// - cranial_auc: trapezoidal ∫ c_pool dt over the run;
// - tip_peak/tip_mean: at catheter_tip_cm, interpolated like the levels;
// - dermatome_coverage: per segment, the fraction of the run with c_tissue / K_p ≥ the
//   effective concentration (see above for how time is weighted).
// A trajectory without positions (compartmental run) is left untouched, whatever `per_drug`
// holds. Throws std::invalid_argument when `per_drug` does not have one entry per drug, a
// pool_site is out of range, K_p ≤ 0 with an effective concentration given, or the
// trajectory's 1D arrays disagree in size (a programming error, not bad input).
void summarize(Trajectory& trajectory, const std::vector<SummarySettings>& per_drug);

}  // namespace csfpk
