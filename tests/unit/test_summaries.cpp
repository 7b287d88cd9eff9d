#include <catch2/catch.hpp>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "csfpk/solve/summaries.hpp"

using namespace csfpk;
using Catch::Matchers::Contains;

namespace {

// Seven cells of 2 cm from the sacral end: faces 0, 2, …, 14; centres 1, 3, …, 13.
// Sites: cranial_pool, plasma. Times 0, 1, 2, 4 h. Levels at 0.5 (below the first centre),
// 4 (between centres), 13.5 (beyond the last centre). Two segments.
Trajectory make_1d() {
  Trajectory trajectory;
  trajectory.times_h = {0.0, 1.0, 2.0, 4.0};
  trajectory.sites = {"cranial_pool", "plasma"};
  for (int i = 0; i < 7; ++i) trajectory.positions_cm.push_back(1.0 + 2.0 * i);
  for (int i = 0; i <= 7; ++i) trajectory.cell_faces_cm.push_back(2.0 * i);
  trajectory.levels = {"S1", "L3", "T12"};
  trajectory.level_positions_cm = {0.5, 4.0, 13.5};
  trajectory.segments = {"L1", "T10"};
  trajectory.dermatomes = {"inguinal ligament", "umbilicus"};
  trajectory.catheter_tip_cm = 6.0;

  DrugTrajectory drug;
  drug.drug = "morphine";
  // c(x, t) = (t + 1) · x at the centres: linear in x, so interpolation is exact inside.
  drug.csf_profile_ug_per_mL.resize(7, 4);
  for (int i = 0; i < 7; ++i) {
    for (int t = 0; t < 4; ++t) {
      drug.csf_profile_ug_per_mL(i, t) = (trajectory.times_h[static_cast<std::size_t>(t)] + 1.0) *
                                         trajectory.positions_cm[static_cast<std::size_t>(i)];
    }
  }
  drug.concentration_ug_per_mL.resize(2, 4);
  drug.concentration_ug_per_mL << 0.0, 2.0, 2.0, 0.0,  // pool: ∫ = 1 + 2 + 2 = 5
      0.1, 0.1, 0.1, 0.1;
  // Tissue: segment L1 steps from 0 to 4 between t = 1 and t = 2; T10 stays at 1.
  drug.tissue_ug_per_mL.resize(2, 4);
  drug.tissue_ug_per_mL << 0.0, 0.0, 4.0, 4.0,  //
      1.0, 1.0, 1.0, 1.0;
  trajectory.drugs.push_back(drug);
  return trajectory;
}

SummarySettings settings_for_morphine() {
  return SummarySettings{.spread_threshold_ug_per_mL = 10.0,
                         .effective_concentration_ug_per_mL = 1.0,
                         .cord_partition_coefficient = 2.0,
                         .pool_site = 0};
}

// Trapezoidal mean of (t + 1) over the times 0, 1, 2, 4: (1.5 + 2.5 + 8) / 4 = 3.
constexpr double kMeanFactor = 3.0;
constexpr double kPeakFactor = 5.0;

}  // namespace

TEST_CASE("summaries: level peak and mean interpolate between cell centres", "[summaries]") {
  Trajectory trajectory = make_1d();
  summarize(trajectory, {settings_for_morphine()});
  const DrugSummary& s = trajectory.drugs[0].summary;
  REQUIRE(s.level_peak_ug_per_mL.size() == 3);
  REQUIRE(s.level_mean_ug_per_mL.size() == 3);
  // Beyond the end centres the profile is constant: the first (x = 1) and last (x = 13) cells.
  CHECK(s.level_peak_ug_per_mL[0] == Approx(kPeakFactor * 1.0));
  CHECK(s.level_peak_ug_per_mL[1] == Approx(kPeakFactor * 4.0));
  CHECK(s.level_peak_ug_per_mL[2] == Approx(kPeakFactor * 13.0));
  CHECK(s.level_mean_ug_per_mL[0] == Approx(kMeanFactor * 1.0));
  CHECK(s.level_mean_ug_per_mL[1] == Approx(kMeanFactor * 4.0));
  CHECK(s.level_mean_ug_per_mL[2] == Approx(kMeanFactor * 13.0));
}

TEST_CASE("summaries: catheter tip concentration is interpolated like the levels", "[summaries]") {
  Trajectory trajectory = make_1d();
  summarize(trajectory, {settings_for_morphine()});
  const DrugSummary& s = trajectory.drugs[0].summary;
  CHECK(s.tip_peak_ug_per_mL == Approx(kPeakFactor * 6.0));
  CHECK(s.tip_mean_ug_per_mL == Approx(kMeanFactor * 6.0));

  SECTION("a tip on a cell centre takes that cell's value") {
    trajectory.catheter_tip_cm = 7.0;
    summarize(trajectory, {settings_for_morphine()});
    CHECK(trajectory.drugs[0].summary.tip_peak_ug_per_mL == kPeakFactor * 7.0);
  }
}

TEST_CASE("summaries: spread interpolates the threshold crossing between centres", "[summaries]") {
  Trajectory trajectory = make_1d();
  SummarySettings settings = settings_for_morphine();

  SECTION("linear profile: crossing inside the canal") {
    // At t = 4 h, c = 5x ≥ 10 for x ≥ 2: from x = 2 to the cranial face at 14, 12 cm. At earlier
    // times the crossing lies further cranially, so 12 cm is the maximum.
    summarize(trajectory, {settings});
    CHECK(trajectory.drugs[0].summary.spread_cm == Approx(12.0));
    CHECK(trajectory.drugs[0].summary.spread_threshold_ug_per_mL == 10.0);
  }
  SECTION("every cell above the threshold spans the canal face to face") {
    settings.spread_threshold_ug_per_mL = 4.0;  // 5 · 1 ≥ 4 at t = 4 h
    summarize(trajectory, {settings});
    CHECK(trajectory.drugs[0].summary.spread_cm == Approx(14.0));
  }
  SECTION("no cell above the threshold") {
    settings.spread_threshold_ug_per_mL = 1000.0;
    summarize(trajectory, {settings});
    CHECK(trajectory.drugs[0].summary.spread_cm == 0.0);
  }
  SECTION("two separate regions add up") {
    // Peaks at cells 1 and 5 (x = 3 and 11); threshold halfway up each flank.
    for (int t = 0; t < 4; ++t) {
      trajectory.drugs[0].csf_profile_ug_per_mL.col(t) << 0, 2, 0, 0, 0, 2, 0;
    }
    settings.spread_threshold_ug_per_mL = 1.0;
    summarize(trajectory, {settings});
    // Each peak is above 1 from 1 cm before to 1 cm after its centre.
    CHECK(trajectory.drugs[0].summary.spread_cm == Approx(4.0));
  }
  SECTION("no threshold: spread is not reported") {
    settings.spread_threshold_ug_per_mL = 0.0;
    summarize(trajectory, {settings});
    CHECK(std::isnan(trajectory.drugs[0].summary.spread_cm));
  }
}

TEST_CASE("summaries: cranial AUC is the trapezoidal integral of the pool", "[summaries]") {
  Trajectory trajectory = make_1d();
  SummarySettings settings = settings_for_morphine();
  summarize(trajectory, {settings});
  CHECK(trajectory.drugs[0].summary.cranial_auc_ug_h_per_mL == Approx(5.0));

  settings.pool_site.reset();
  summarize(trajectory, {settings});
  CHECK(std::isnan(trajectory.drugs[0].summary.cranial_auc_ug_h_per_mL));
}

TEST_CASE("summaries: dermatome coverage weighs time with linear crossings", "[summaries]") {
  Trajectory trajectory = make_1d();
  SummarySettings settings = settings_for_morphine();

  SECTION("a step in time") {
    // L1: c_t / K_p = 0, 0, 2, 2 against 1 µg/mL: above from t = 1.5 h to 4 h, 2.5 of 4 h.
    // T10: c_t / K_p = 0.5 throughout: never.
    summarize(trajectory, {settings});
    const DrugSummary& s = trajectory.drugs[0].summary;
    REQUIRE(s.dermatome_coverage.size() == 2);
    CHECK(s.dermatome_coverage[0] == Approx(2.5 / 4.0));
    CHECK(s.dermatome_coverage[1] == 0.0);
    CHECK(s.effective_concentration_ug_per_mL == 1.0);
  }
  SECTION("at exactly the effective concentration counts as covered") {
    settings.effective_concentration_ug_per_mL = 0.5;
    summarize(trajectory, {settings});
    CHECK(trajectory.drugs[0].summary.dermatome_coverage[1] == 1.0);
  }
  SECTION("no effective concentration: coverage is NaN") {
    settings.effective_concentration_ug_per_mL = 0.0;
    settings.cord_partition_coefficient = 0.0;  // not used, so not checked
    summarize(trajectory, {settings});
    const DrugSummary& s = trajectory.drugs[0].summary;
    REQUIRE(s.dermatome_coverage.size() == 2);
    CHECK(std::isnan(s.dermatome_coverage[0]));
    CHECK(std::isnan(s.dermatome_coverage[1]));
  }
}

TEST_CASE("summaries: a single output time reports that time's values", "[summaries]") {
  Trajectory trajectory = make_1d();
  trajectory.times_h = {2.0};
  DrugTrajectory& drug = trajectory.drugs[0];
  drug.csf_profile_ug_per_mL = drug.csf_profile_ug_per_mL.col(2).eval();
  drug.concentration_ug_per_mL = drug.concentration_ug_per_mL.col(2).eval();
  drug.tissue_ug_per_mL = drug.tissue_ug_per_mL.col(2).eval();
  summarize(trajectory, {settings_for_morphine()});
  const DrugSummary& s = drug.summary;
  CHECK(s.level_mean_ug_per_mL[1] == Approx(3.0 * 4.0));
  CHECK(s.tip_mean_ug_per_mL == Approx(3.0 * 6.0));
  CHECK(s.cranial_auc_ug_h_per_mL == 0.0);
  CHECK(s.dermatome_coverage[0] == 1.0);
  CHECK(s.dermatome_coverage[1] == 0.0);
}

TEST_CASE("summaries: a run without segments or levels has empty per-segment summaries",
          "[summaries]") {
  Trajectory trajectory = make_1d();
  trajectory.levels.clear();
  trajectory.level_positions_cm.clear();
  trajectory.segments.clear();
  trajectory.dermatomes.clear();
  trajectory.drugs[0].tissue_ug_per_mL.resize(0, 4);
  summarize(trajectory, {settings_for_morphine()});
  const DrugSummary& s = trajectory.drugs[0].summary;
  CHECK(s.level_peak_ug_per_mL.empty());
  CHECK(s.level_mean_ug_per_mL.empty());
  CHECK(s.dermatome_coverage.empty());
  CHECK(s.spread_cm == Approx(12.0));
}

TEST_CASE("summaries: a compartmental trajectory is left untouched", "[summaries]") {
  Trajectory trajectory;
  trajectory.times_h = {0.0, 1.0, 2.0};
  trajectory.sites = {"lumbar", "cisternal", "plasma"};
  DrugTrajectory drug;
  drug.drug = "baclofen";
  drug.concentration_ug_per_mL = Eigen::MatrixXd::Constant(3, 3, 1.5);
  drug.delivered_ug = {0.0, 1.0, 2.0};
  drug.in_body_ug = {0.0, 1.0, 2.0};
  drug.eliminated_ug = {0.0, 0.0, 0.0};
  trajectory.drugs.push_back(drug);

  // Settings are ignored, even ones that would be rejected for a 1D run.
  summarize(trajectory, {});
  summarize(trajectory, {settings_for_morphine(), settings_for_morphine()});

  const DrugSummary& s = trajectory.drugs[0].summary;
  CHECK(s.level_peak_ug_per_mL.empty());
  CHECK(s.level_mean_ug_per_mL.empty());
  CHECK(s.dermatome_coverage.empty());
  CHECK(s.spread_cm == 0.0);
  CHECK(s.spread_threshold_ug_per_mL == 0.0);
  CHECK(s.cranial_auc_ug_h_per_mL == 0.0);
  CHECK(s.tip_peak_ug_per_mL == 0.0);
  CHECK(s.tip_mean_ug_per_mL == 0.0);
  CHECK(s.effective_concentration_ug_per_mL == 0.0);
  CHECK(trajectory.drugs[0].concentration_ug_per_mL == drug.concentration_ug_per_mL);
  CHECK(trajectory.drugs[0].csf_profile_ug_per_mL.size() == 0);
  CHECK(trajectory.positions_cm.empty());
}

TEST_CASE("summaries: inconsistent inputs are rejected", "[summaries]") {
  Trajectory trajectory = make_1d();
  SummarySettings settings = settings_for_morphine();
  SECTION("settings per drug") {
    CHECK_THROWS_WITH(summarize(trajectory, {}), Contains("0 settings for 1 drugs"));
  }
  SECTION("pool site out of range") {
    settings.pool_site = 2;
    CHECK_THROWS_AS(summarize(trajectory, {settings}), std::invalid_argument);
  }
  SECTION("partition coefficient") {
    settings.cord_partition_coefficient = 0.0;
    CHECK_THROWS_WITH(summarize(trajectory, {settings}), Contains("partition coefficient"));
  }
  SECTION("faces") {
    trajectory.cell_faces_cm.pop_back();
    CHECK_THROWS_WITH(summarize(trajectory, {settings}), Contains("7 cell faces for 7 cells"));
  }
  SECTION("profile shape") {
    trajectory.drugs[0].csf_profile_ug_per_mL.conservativeResize(6, 4);
    CHECK_THROWS_WITH(summarize(trajectory, {settings}), Contains("6x4 CSF profile"));
  }
}
