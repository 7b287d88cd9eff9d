#include "csfpk/io/run.hpp"

#include <algorithm>
#include <cmath>

#include "csfpk/solve/simulate.hpp"
#include "csfpk/solve/summaries.hpp"

namespace csfpk {

std::vector<std::string> scenario_warnings(const Scenario& scenario,
                                           const InfusionSchedule& schedule) {
  // Largest volume pumped in any calendar day of the run, from the cumulative pumped volume.
  double daily_volume = 0.0;
  const double days = std::ceil(scenario.duration_h / 24.0);
  const auto pumped_at = [&](double t) {
    const auto& r = schedule.reservoir;
    const auto it = std::lower_bound(r.begin(), r.end(), t,
                                     [](const ReservoirSample& s, double v) { return s.time_h < v; });
    if (it == r.end()) return r.empty() ? 0.0 : r.back().pumped_mL;
    if (it == r.begin() || it->time_h == t) return it->pumped_mL;
    const auto before = std::prev(it);
    const double w = (t - before->time_h) / (it->time_h - before->time_h);
    return before->pumped_mL + w * (it->pumped_mL - before->pumped_mL);
  };
  for (double d = 0; d < days; ++d) {
    const double end = std::min((d + 1) * 24.0, scenario.duration_h);
    const double span = end - d * 24.0;
    if (span <= 0.0) continue;
    daily_volume = std::max(daily_volume, (pumped_at(end) - pumped_at(d * 24.0)) * 24.0 / span);
  }
  std::vector<std::string> warnings =
      consensus_warnings(scenario.drugs, scenario.program.reservoir.blend, daily_volume);
  for (const auto& refill : scenario.program.reservoir.refills) {
    if (!refill.blend) continue;
    for (auto& w : consensus_warnings(scenario.drugs, *refill.blend, daily_volume)) {
      if (std::find(warnings.begin(), warnings.end(), w) == warnings.end()) warnings.push_back(w);
    }
  }
  return warnings;
}

namespace {

void solve_compartmental(const Scenario& scenario, RunRecord& record) {
  for (const auto& [name, drug] : scenario.drugs) {
    const LinearSystem system =
        build_compartment_system(scenario.model, drug, scenario.catheter_compartment);
    if (record.trajectory.sites.empty()) record.trajectory.sites = system.site_names;
    record.trajectory.drugs.push_back(
        simulate(system, record.schedule, scenario.output_times_h, scenario.solver));
  }
}

void solve_spinal(const Scenario& scenario, const Spinal1DSpec& spec, RunRecord& record) {
  Trajectory& traj = record.trajectory;
  std::vector<SummarySettings> settings;
  for (const auto& [name, drug] : scenario.drugs) {
    const SpinalSystem spinal = build_spinal_system(spec, drug, scenario.catheter_tip_cm);
    if (traj.sites.empty()) {
      traj.sites = spinal.system.site_names;
      traj.positions_cm = spinal.grid.centres_cm;
      traj.cell_faces_cm = spinal.grid.faces_cm;
      for (const auto& level : spec.anatomy.levels) {
        traj.levels.push_back(level.label);
        traj.level_positions_cm.push_back(level.x_cm);
      }
      for (const CordSegment* segment : spinal.tissue_segments) {
        traj.segments.push_back(segment->label);
        traj.dermatomes.push_back(segment->dermatome);
      }
      traj.catheter_tip_cm = scenario.catheter_tip_cm;
    }
    traj.drugs.push_back(simulate(spinal.system, record.schedule, scenario.output_times_h, scenario.solver));
    SummarySettings s;
    s.effective_concentration_ug_per_mL = drug.effective_concentration_ug_per_mL.value_or(0.0);
    s.spread_threshold_ug_per_mL =
        scenario.spread_threshold_ug_per_mL.value_or(s.effective_concentration_ug_per_mL);
    s.cord_partition_coefficient = drug.cord_partition;
    s.pool_site = 0;  // "cranial_pool" is the first site of the 1D model
    settings.push_back(s);
  }
  summarize(traj, settings);
}

}  // namespace

RunRecord run_scenario(const Scenario& scenario, Provenance provenance) {
  RunRecord record;
  record.schedule = compile_schedule(scenario.program, scenario.duration_h);
  record.warnings = scenario_warnings(scenario, record.schedule);
  record.provenance = std::move(provenance);
  record.trajectory.times_h = scenario.output_times_h;
  if (scenario.spinal) {
    solve_spinal(scenario, *scenario.spinal, record);
  } else {
    solve_compartmental(scenario, record);
  }
  return record;
}

}  // namespace csfpk
