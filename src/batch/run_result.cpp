#include "csfpk/batch/run_result.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "csfpk/core/errors.hpp"
#include "csfpk/run/model_type.hpp"
#include "csfpk/run/summary_table.hpp"

namespace csfpk::batch {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

void require_same(const char* what, const std::vector<std::string>& expected,
                  const std::vector<std::string>& got) {
  if (expected != got) {
    throw Error(std::string("this run's ") + what + " (" + joined(got) +
                ") differ from the base scenario's (" + joined(expected) +
                "): a factor changed the model's structure, which a sweep cannot store");
  }
}

// c(t) linear between samples, sampled at `grid`; NaN outside the run.
void resample(const std::vector<double>& t, const Eigen::MatrixXd& c, Eigen::Index row,
              const std::vector<double>& grid, std::vector<double>& out) {
  std::size_t k = 0;
  for (double g : grid) {
    if (t.empty() || g < t.front() - 1e-9 || g > t.back() + 1e-9) {
      out.push_back(kNaN);
      continue;
    }
    while (k + 1 < t.size() && t[k + 1] < g) ++k;
    if (k + 1 >= t.size()) {
      out.push_back(c(row, static_cast<Eigen::Index>(t.size() - 1)));
      continue;
    }
    const double h = t[k + 1] - t[k];
    const double w = h > 0.0 ? std::clamp((g - t[k]) / h, 0.0, 1.0) : 0.0;
    out.push_back((1.0 - w) * c(row, static_cast<Eigen::Index>(k)) +
                  w * c(row, static_cast<Eigen::Index>(k + 1)));
  }
}

// Rows: the levels; columns: the cells; each row interpolates linearly between the two cell
// centres around the level (the end cells beyond the first and last centre).
Eigen::MatrixXd level_weights(const Trajectory& traj, const std::vector<std::string>& levels) {
  const std::vector<double>& x = traj.positions_cm;
  Eigen::MatrixXd w = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(levels.size()),
                                            static_cast<Eigen::Index>(x.size()));
  for (std::size_t l = 0; l < levels.size(); ++l) {
    const auto found = std::find(traj.levels.begin(), traj.levels.end(), levels[l]);
    if (found == traj.levels.end() || x.empty()) {
      throw Error("this run has no vertebral level " + levels[l]);
    }
    const double at =
        traj.level_positions_cm[static_cast<std::size_t>(found - traj.levels.begin())];
    const auto row = static_cast<Eigen::Index>(l);
    const auto upper = std::upper_bound(x.begin(), x.end(), at);
    if (upper == x.begin()) {
      w(row, 0) = 1.0;
    } else if (upper == x.end()) {
      w(row, static_cast<Eigen::Index>(x.size() - 1)) = 1.0;
    } else {
      const auto i = static_cast<std::size_t>(upper - x.begin());
      const double f = (at - x[i - 1]) / (x[i] - x[i - 1]);
      w(row, static_cast<Eigen::Index>(i - 1)) = 1.0 - f;
      w(row, static_cast<Eigen::Index>(i)) = f;
    }
  }
  return w;
}

}  // namespace

SweepShape probe_shape(const Scenario& base, const OutputSpec& outputs) {
  SweepShape shape;
  shape.outputs = outputs;
  for (const auto& [name, drug] : base.drugs) shape.drugs.push_back(name);
  if (!base.drugs.empty()) {
    // Building the system is cheap next to solving it, and names the sites exactly as the run
    // will.
    const Scenario varied = apply_variability(base);
    const ModelInstance instance = model_type(varied).build(varied, varied.drugs.begin()->second);
    shape.sites = instance.axes.sites;
    shape.spinal = !instance.axes.positions_cm.empty();
    shape.levels = instance.axes.levels;
    shape.segments = instance.axes.segments;
  }
  if (!outputs.levels.empty()) {
    if (!shape.spinal) {
      throw InputError(
          "outputs.time_series.levels: series at vertebral levels need the "
          "spinal_1d model; the base scenario is compartmental (its sites are " +
          joined(shape.sites) + ")");
    }
    for (const std::string& level : outputs.levels) {
      if (std::find(shape.levels.begin(), shape.levels.end(), level) == shape.levels.end()) {
        throw InputError("outputs.time_series.levels: the anatomy places no level " + level +
                         "; it has " + joined(shape.levels));
      }
    }
    shape.series_levels = outputs.levels;
  }
  if (outputs.time_series) {
    // k·Δt rather than accumulated sums, so the grid has no drift.
    const double dt = outputs.interval_h;
    for (std::size_t k = 0;; ++k) {
      const double t = static_cast<double>(k) * dt;
      if (t > base.duration_h * (1.0 + 1e-12)) break;
      shape.times_h.push_back(t);
    }
  }
  return shape;
}

RunResult failed_result(std::uint64_t run, std::string status, const SweepShape& shape) {
  RunResult r;
  r.run = run;
  r.status = std::move(status);
  const std::size_t d = shape.drugs.size();
  for (const SummaryVariable& v : summary_variables()) {
    std::vector<double>& values = r.summaries.emplace_back();
    if (v.canal_only && !shape.spinal) continue;
    std::size_t per_drug = 1;
    if (v.axis == SummaryAxis::kSite) per_drug = shape.sites.size();
    if (v.axis == SummaryAxis::kLevel) per_drug = shape.levels.size();
    if (v.axis == SummaryAxis::kSegment) per_drug = shape.segments.size();
    values.assign(d * per_drug, kNaN);
  }
  if (shape.outputs.time_series) {
    r.series.assign(d * shape.sites.size() * shape.times_h.size(), kNaN);
    r.level_series.assign(d * shape.series_levels.size() * shape.times_h.size(), kNaN);
  }
  return r;
}

RunResult summarize_run(std::uint64_t run, const Trajectory& traj, const SweepShape& shape) {
  std::vector<std::string> drugs;
  for (const auto& d : traj.drugs) drugs.push_back(d.drug);
  require_same("drugs", shape.drugs, drugs);
  require_same("sites", shape.sites, traj.sites);
  if (shape.spinal) {
    require_same("vertebral levels", shape.levels, traj.levels);
    require_same("cord segments", shape.segments, traj.segments);
  }
  RunResult r;
  r.run = run;
  // The figures single-run files hold, from the same table, so a sweep and a run agree.
  r.summaries = summary_values(traj);
  const std::vector<double>& t = traj.times_h;
  for (const DrugTrajectory& drug : traj.drugs) {
    const Eigen::MatrixXd& c = drug.concentration_ug_per_mL;
    if (shape.outputs.time_series) {
      for (Eigen::Index s = 0; s < c.rows(); ++s) resample(t, c, s, shape.times_h, r.series);
    }
  }
  if (shape.outputs.time_series && !shape.series_levels.empty()) {
    // The CSF at each level, linear between the cell centres around it (as the level summaries
    // are), then onto the sweep's grid.
    const Eigen::MatrixXd at_levels = level_weights(traj, shape.series_levels);
    for (const DrugTrajectory& drug : traj.drugs) {
      const Eigen::MatrixXd c = at_levels * drug.csf_profile_ug_per_mL;
      for (Eigen::Index l = 0; l < c.rows(); ++l) {
        resample(t, c, l, shape.times_h, r.level_series);
      }
    }
  }
  return r;
}

}  // namespace csfpk::batch
