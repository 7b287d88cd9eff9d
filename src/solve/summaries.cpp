#include "csfpk/solve/summaries.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace csfpk {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Length of {s ∈ [x_0, x_{n-1}] : y(s) ≥ threshold} for y linear between the samples
// (x_i, y_i), x increasing. Crossings are interpolated linearly; NaN samples count as below.
double length_at_or_above(const std::vector<double>& x, const std::vector<double>& y,
                          double threshold) {
  double length = 0.0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i) {
    const double a = y[i];
    const double b = y[i + 1];
    const double h = x[i + 1] - x[i];
    const bool a_in = a >= threshold;
    const bool b_in = b >= threshold;
    if (a_in && b_in) {
      length += h;
    } else if (a_in && b < threshold) {  // a ≥ threshold > b, so a > b
      length += h * (a - threshold) / (a - b);
    } else if (b_in && a < threshold) {
      length += h * (b - threshold) / (b - a);
    }
  }
  return length;
}

// Trapezoidal ∫ y dt over the samples.
double trapezoid(const std::vector<double>& t, const std::vector<double>& y) {
  double area = 0.0;
  for (std::size_t i = 0; i + 1 < t.size(); ++i)
    area += 0.5 * (y[i] + y[i + 1]) * (t[i + 1] - t[i]);
  return area;
}

// Trapezoidal time average; the value itself for a single sample or an empty span.
double time_mean(const std::vector<double>& t, const std::vector<double>& y) {
  if (y.empty()) return kNaN;
  const double span = t.back() - t.front();
  return span > 0.0 ? trapezoid(t, y) / span : y.front();
}

// Fraction of [t_0, t_end] with y ≥ threshold (y linear in time); the 0/1 indicator at t_0 for
// a single sample or an empty span.
double time_fraction_at_or_above(const std::vector<double>& t, const std::vector<double>& y,
                                 double threshold) {
  if (y.empty()) return kNaN;
  const double span = t.back() - t.front();
  if (span > 0.0) return length_at_or_above(t, y, threshold) / span;
  return y.front() >= threshold ? 1.0 : 0.0;
}

double peak(const std::vector<double>& y) {
  if (y.empty()) return kNaN;
  return *std::max_element(y.begin(), y.end());
}

// A point along the canal as a blend of two cell centres: value = (1 − w)·c[lo] + w·c[lo + 1];
// w = 0 (and lo at an end) beyond the end centres.
struct Stencil {
  Eigen::Index lo = 0;
  double w = 0.0;
};

Stencil stencil_at(const std::vector<double>& centres, double x) {
  const std::size_t n = centres.size();
  if (n == 1 || x <= centres.front()) return {};
  if (x >= centres.back()) return {static_cast<Eigen::Index>(n - 1), 0.0};
  // First centre strictly above x; x lies in [centres[hi − 1], centres[hi]).
  const auto hi = static_cast<std::size_t>(std::upper_bound(centres.begin(), centres.end(), x) -
                                           centres.begin());
  const std::size_t lo = hi - 1;
  return {static_cast<Eigen::Index>(lo), (x - centres[lo]) / (centres[hi] - centres[lo])};
}

// The CSF concentration at `at` for every output time.
std::vector<double> series_at(const Eigen::MatrixXd& profile, const Stencil& at) {
  std::vector<double> values(static_cast<std::size_t>(profile.cols()));
  for (Eigen::Index t = 0; t < profile.cols(); ++t) {
    const double c_lo = profile(at.lo, t);
    values[static_cast<std::size_t>(t)] =
        at.w == 0.0 ? c_lo : (1.0 - at.w) * c_lo + at.w * profile(at.lo + 1, t);
  }
  return values;
}

std::vector<double> row_of(const Eigen::MatrixXd& matrix, std::size_t row) {
  std::vector<double> values(static_cast<std::size_t>(matrix.cols()));
  for (Eigen::Index t = 0; t < matrix.cols(); ++t) {
    values[static_cast<std::size_t>(t)] = matrix(static_cast<Eigen::Index>(row), t);
  }
  return values;
}

// Length of canal with c ≥ threshold at output time `t`: the interior, linear between centres,
// plus the half cells from the end centres out to the end faces, where c is constant.
double spread_at(const Trajectory& trajectory, const Eigen::MatrixXd& profile, Eigen::Index t,
                 double threshold) {
  const std::vector<double>& centres = trajectory.positions_cm;
  const std::vector<double>& faces = trajectory.cell_faces_cm;
  std::vector<double> c(centres.size());
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = profile(static_cast<Eigen::Index>(i), t);
  double length = length_at_or_above(centres, c, threshold);
  if (c.front() >= threshold) length += centres.front() - faces.front();
  if (c.back() >= threshold) length += faces.back() - centres.back();
  return length;
}

[[noreturn]] void reject(const std::string& why) {
  throw std::invalid_argument("summarize: " + why);
}

void check_shapes(const Trajectory& trajectory, const std::vector<SummarySettings>& per_drug) {
  const std::size_t n_cells = trajectory.positions_cm.size();
  const auto n_times = static_cast<Eigen::Index>(trajectory.times_h.size());
  if (per_drug.size() != trajectory.drugs.size()) {
    reject(std::to_string(per_drug.size()) + " settings for " +
           std::to_string(trajectory.drugs.size()) + " drugs");
  }
  if (trajectory.cell_faces_cm.size() != n_cells + 1) {
    reject(std::to_string(trajectory.cell_faces_cm.size()) + " cell faces for " +
           std::to_string(n_cells) + " cells");
  }
  if (trajectory.level_positions_cm.size() != trajectory.levels.size()) {
    reject(std::to_string(trajectory.level_positions_cm.size()) + " level positions for " +
           std::to_string(trajectory.levels.size()) + " levels");
  }
  for (std::size_t d = 0; d < trajectory.drugs.size(); ++d) {
    const DrugTrajectory& drug = trajectory.drugs[d];
    const SummarySettings& settings = per_drug[d];
    if (drug.csf_profile_ug_per_mL.rows() != static_cast<Eigen::Index>(n_cells) ||
        drug.csf_profile_ug_per_mL.cols() != n_times) {
      reject("drug '" + drug.drug + "' has a " + std::to_string(drug.csf_profile_ug_per_mL.rows()) +
             "x" + std::to_string(drug.csf_profile_ug_per_mL.cols()) + " CSF profile for " +
             std::to_string(n_cells) + " cells and " + std::to_string(n_times) + " times");
    }
    if (drug.tissue_ug_per_mL.rows() != static_cast<Eigen::Index>(trajectory.segments.size()) ||
        drug.tissue_ug_per_mL.cols() != n_times) {
      reject("drug '" + drug.drug + "' has a " + std::to_string(drug.tissue_ug_per_mL.rows()) +
             "x" + std::to_string(drug.tissue_ug_per_mL.cols()) + " tissue matrix for " +
             std::to_string(trajectory.segments.size()) + " segments and " +
             std::to_string(n_times) + " times");
    }
    if (settings.pool_site) {
      if (*settings.pool_site >= trajectory.sites.size()) {
        reject("pool site " + std::to_string(*settings.pool_site) + " of drug '" + drug.drug +
               "' is not one of the " + std::to_string(trajectory.sites.size()) + " sites");
      }
      if (drug.concentration_ug_per_mL.rows() !=
              static_cast<Eigen::Index>(trajectory.sites.size()) ||
          drug.concentration_ug_per_mL.cols() != n_times) {
        reject("drug '" + drug.drug + "' has a site matrix that disagrees with sites and times");
      }
    }
    if (settings.effective_concentration_ug_per_mL > 0.0 &&
        !(settings.cord_partition_coefficient > 0.0)) {
      reject("drug '" + drug.drug + "' has cord partition coefficient " +
             std::to_string(settings.cord_partition_coefficient) + "; it must be > 0");
    }
  }
}

DrugSummary summarize_drug(const Trajectory& trajectory, const DrugTrajectory& drug,
                           const SummarySettings& settings) {
  const std::vector<double>& times = trajectory.times_h;
  const Eigen::MatrixXd& profile = drug.csf_profile_ug_per_mL;
  DrugSummary summary;

  for (double x : trajectory.level_positions_cm) {
    const std::vector<double> c = series_at(profile, stencil_at(trajectory.positions_cm, x));
    summary.level_peak_ug_per_mL.push_back(peak(c));
    summary.level_mean_ug_per_mL.push_back(time_mean(times, c));
  }

  summary.spread_threshold_ug_per_mL = settings.spread_threshold_ug_per_mL;
  if (settings.spread_threshold_ug_per_mL > 0.0 && profile.cols() > 0) {
    summary.spread_cm = 0.0;
    for (Eigen::Index t = 0; t < profile.cols(); ++t) {
      summary.spread_cm =
          std::max(summary.spread_cm,
                   spread_at(trajectory, profile, t, settings.spread_threshold_ug_per_mL));
    }
  } else {
    summary.spread_cm = kNaN;
  }

  summary.cranial_auc_ug_h_per_mL =
      settings.pool_site
          ? trapezoid(times, row_of(drug.concentration_ug_per_mL, *settings.pool_site))
          : kNaN;

  const std::vector<double> tip =
      series_at(profile, stencil_at(trajectory.positions_cm, trajectory.catheter_tip_cm));
  summary.tip_peak_ug_per_mL = peak(tip);
  summary.tip_mean_ug_per_mL = time_mean(times, tip);

  summary.effective_concentration_ug_per_mL = settings.effective_concentration_ug_per_mL;
  for (std::size_t s = 0; s < trajectory.segments.size(); ++s) {
    if (!(settings.effective_concentration_ug_per_mL > 0.0)) {
      summary.dermatome_coverage.push_back(kNaN);
      continue;
    }
    // The CSF concentration in equilibrium with the tissue.
    std::vector<double> equilibrium = row_of(drug.tissue_ug_per_mL, s);
    for (double& c : equilibrium) c /= settings.cord_partition_coefficient;
    summary.dermatome_coverage.push_back(
        time_fraction_at_or_above(times, equilibrium, settings.effective_concentration_ug_per_mL));
  }
  return summary;
}

}  // namespace

void summarize(Trajectory& trajectory, const std::vector<SummarySettings>& per_drug) {
  if (trajectory.positions_cm.empty()) return;  // compartmental: nothing along the canal
  check_shapes(trajectory, per_drug);
  for (std::size_t d = 0; d < trajectory.drugs.size(); ++d) {
    trajectory.drugs[d].summary = summarize_drug(trajectory, trajectory.drugs[d], per_drug[d]);
  }
}

}  // namespace csfpk
