// Properties the physiological model must have, whatever its parameters' exact values:
// spread grows with infusion rate at equal mass and with bolus volume (Bernards 2006,
// Anesthesiology 105:169, pigs; Tangen et al. 2017, Anesth Analg 124:1686, CFD), and the
// four-region model, built from the same fluid balance and anatomy, agrees with the 1D model.
// Agreement with published human data is the qualification suite's job (scripts/qualify.py,
// docs/qualification.md), not these tests'.
#include <catch2/catch.hpp>
#include <cmath>

#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/run/pipeline.hpp"

using namespace csfpk;

namespace {

std::string data(const std::string& name) {
  return std::string(CSFPK_SOURCE_DIR) + "/tests/validation/data/" + name;
}

RunRecord run(const std::string& file, const std::vector<std::string>& overrides = {}) {
  return run_scenario(load_scenario(data(file), overrides, models_directory()), {});
}

// Share of the drug in the CSF that lies more than `distance` cm from the tip, at the last
// output: how far it has spread.
double share_beyond(const RunRecord& r, const Scenario& s, double distance) {
  const auto& traj = r.trajectory;
  const auto& c = traj.drugs.at(0).csf_profile_ug_per_mL;
  const Eigen::Index last = c.cols() - 1;
  double far = 0.0;
  double total = 0.0;
  for (std::size_t i = 0; i < traj.positions_cm.size(); ++i) {
    const double x = traj.positions_cm[i];
    const double mass = c(static_cast<Eigen::Index>(i), last) * s.spinal->anatomy.csf_area_cm2(x) *
                        (traj.cell_faces_cm[i + 1] - traj.cell_faces_cm[i]);
    total += mass;
    if (std::abs(x - traj.catheter_tip_cm) > distance) far += mass;
  }
  return far / total;
}

// Time-averaged concentration over a span of the canal (volume-weighted), µg/mL.
double region_mean(const RunRecord& r, const Scenario& s, double from_cm, double to_cm) {
  const auto& traj = r.trajectory;
  const auto& c = traj.drugs.at(0).csf_profile_ug_per_mL;
  double amount = 0.0;
  double volume = 0.0;
  for (std::size_t i = 0; i < traj.positions_cm.size(); ++i) {
    const double x = traj.positions_cm[i];
    if (x < from_cm || x > to_cm) continue;
    const double v =
        s.spinal->anatomy.csf_area_cm2(x) * (traj.cell_faces_cm[i + 1] - traj.cell_faces_cm[i]);
    amount += c.row(static_cast<Eigen::Index>(i)).mean() * v;
    volume += v;
  }
  return amount / volume;
}

}  // namespace

TEST_CASE("spread grows with the infusion rate at equal mass (Bernards 2006)",
          "[validation][physiology]") {
  // 20 uL/h and 1000 uL/h are Bernards' two pump rates; the concentration is scaled so that
  // the same baclofen mass (384 ug over 8 h) goes in at every rate.
  double previous = 0.0;
  for (const double rate_uL_per_h : {20.0, 100.0, 300.0, 1000.0}) {
    const double concentration = 384.0 / (rate_uL_per_h * 1e-3 * 8.0);
    const std::vector<std::string> set{
        "pump.basal=" + std::to_string(rate_uL_per_h * 24e-3) + " mL/day",
        "pump.reservoir.blend.baclofen=" + std::to_string(concentration) + " ug/mL"};
    const Scenario s = load_scenario(data("baclofen_infusion_1d.yaml"), set, models_directory());
    const RunRecord r = run_scenario(s, {});
    CHECK(r.trajectory.drugs.at(0).delivered_ug.back() == Approx(384.0).epsilon(1e-9));
    const double share = share_beyond(r, s, 10.0);
    INFO(rate_uL_per_h << " uL/h: share of CSF drug beyond 10 cm of the tip " << share);
    CHECK(share > previous);
    previous = share;
  }
}

TEST_CASE("spread grows with the bolus volume at equal dose (Tangen 2017)",
          "[validation][physiology]") {
  double previous_far = 0.0;
  double previous_tip = 1e300;
  for (const double volume : {0.2, 1.0, 3.0, 10.0}) {
    const std::vector<std::string> set{
        "injections=[{at: 0 h, duration: 1 min, volume: " + std::to_string(volume) +
            " mL, dose: {morphine: 500 ug}}]",
        "duration=1 h"};
    const Scenario s = load_scenario(data("morphine_bolus_1d.yaml"), set, models_directory());
    const RunRecord r = run_scenario(s, {});
    const double far = share_beyond(r, s, 10.0);
    const double tip = r.trajectory.drugs.at(0).summary.tip_peak_ug_per_mL;
    INFO(volume << " mL: share beyond 10 cm at 1 h " << far << ", tip peak " << tip);
    CHECK(far > previous_far);
    CHECK(tip < previous_tip);
    previous_far = far;
    previous_tip = tip;
  }
}

TEST_CASE("four-region and 1D models agree within 2-fold on lumbar, cervical and cranial exposure",
          "[validation][physiology]") {
  const RunRecord boxes = run("morphine_infusion_four_region.yaml");
  const Scenario line_scenario =
      load_scenario(data("morphine_infusion_1d.yaml"), {}, models_directory());
  const RunRecord line = run_scenario(line_scenario, {});
  const auto box_mean = [&](const std::string& site) {
    const auto& sites = boxes.trajectory.sites;
    const auto row =
        static_cast<Eigen::Index>(std::find(sites.begin(), sites.end(), site) - sites.begin());
    REQUIRE(row < static_cast<Eigen::Index>(sites.size()));
    return boxes.trajectory.drugs.at(0).concentration_ug_per_mL.row(row).mean();
  };
  const double cranial_1d = line.trajectory.drugs.at(0).concentration_ug_per_mL.row(0).mean();
  const struct {
    const char* name;
    double box;
    double line;
  } regions[] = {{"lumbar", box_mean("lumbar"), region_mean(line, line_scenario, 0.0, 22.5)},
                 {"thoracic", box_mean("thoracic"), region_mean(line, line_scenario, 22.5, 50.25)},
                 {"cervical", box_mean("cervical"), region_mean(line, line_scenario, 50.25, 60.0)},
                 {"cranial", box_mean("cranial"), cranial_1d}};
  for (const auto& region : regions) {
    INFO(region.name << ": four-region mean " << region.box << " ug/mL, 1D mean " << region.line);
    CHECK(region.box / region.line < 2.0);
    CHECK(region.box / region.line > 0.5);
  }
}
