// The 1D advection–dispersion model along the spinal canal, with cranial pool and cord tissue.
#include "csfpk/run/model_type.hpp"
#include "csfpk/solve/summaries.hpp"

namespace csfpk {
namespace {

class Spinal1DModel final : public ModelType {
 public:
  std::string_view name() const override { return "spinal_1d"; }
  ModelInstance build(const Scenario& scenario, const Drug& drug) const override;
  // Levels, spread, cranial AUC, tip and dermatome coverage (solve/summaries.hpp).
  void summarize(const Scenario& scenario, Trajectory& trajectory) const override;
  double series_per_drug(const Scenario& scenario) const override;
};

ModelInstance Spinal1DModel::build(const Scenario& scenario, const Drug& drug) const {
  const Spinal1DSpec& spec = *scenario.spinal;
  SpinalSystem spinal = build_spinal_system(spec, drug, scenario.catheter_tip_cm);
  ModelInstance instance{std::move(spinal.system), {}};
  Trajectory& axes = instance.axes;
  axes.sites = instance.system.site_names;
  axes.positions_cm = spinal.grid.centres_cm;
  axes.cell_faces_cm = spinal.grid.faces_cm;
  for (const auto& level : spec.anatomy.levels) {
    axes.levels.push_back(level.label);
    axes.level_positions_cm.push_back(level.x_cm);
  }
  for (const CordSegment* segment : spinal.tissue_segments) {
    axes.segments.push_back(segment->label);
    axes.dermatomes.push_back(segment->dermatome);
  }
  axes.catheter_tip_cm = scenario.catheter_tip_cm;
  return instance;
}

void Spinal1DModel::summarize(const Scenario& scenario, Trajectory& trajectory) const {
  std::vector<SummarySettings> settings;
  for (const DrugTrajectory& solved : trajectory.drugs) {
    const Drug& drug = scenario.drugs.at(solved.drug);
    SummarySettings s;
    s.effective_concentration_ug_per_mL = drug.effective_concentration_ug_per_mL.value_or(0.0);
    s.spread_threshold_ug_per_mL =
        scenario.spread_threshold_ug_per_mL.value_or(s.effective_concentration_ug_per_mL);
    s.cord_partition_coefficient = drug.cord_partition;
    s.pool_site = 0;  // "cranial_pool" is the first site of the 1D model
    settings.push_back(s);
  }
  csfpk::summarize(trajectory, settings);
}

double Spinal1DModel::series_per_drug(const Scenario& scenario) const {
  const Spinal1DSpec& spec = *scenario.spinal;
  // Cells, cord segments, the cranial pool and plasma.
  return static_cast<double>(spec.grid.cells) + static_cast<double>(spec.anatomy.segments.size()) +
         2.0;
}

}  // namespace

const ModelType& spinal_1d_model_type() {
  static const Spinal1DModel model;
  return model;
}

}  // namespace csfpk
