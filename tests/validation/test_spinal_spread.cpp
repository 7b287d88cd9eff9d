// Validation of rostral spread along the human canal against Kroin et al. 1993 (Neurosurgery
// 33:226): after 72 h of lumbar infusion of a hydrophilic tracer, the concentration at T2 was
// 43 % of that at T12. Scenario: tests/validation/data/kroin1993_tracer.yaml.
#include <catch2/catch.hpp>

#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/run.hpp"

using namespace csfpk;

namespace {

double t2_over_t12(const std::vector<std::string>& overrides) {
  const Scenario s = load_scenario(
      std::string(CSFPK_SOURCE_DIR) + "/tests/validation/data/kroin1993_tracer.yaml", overrides,
      models_directory());
  const RunRecord r = run_scenario(s, {});
  const DrugSummary& summary = r.trajectory.drugs.at(0).summary;
  const auto& levels = r.trajectory.levels;
  const auto at = [&](const std::string& level) {
    const auto i = static_cast<std::size_t>(std::find(levels.begin(), levels.end(), level) - levels.begin());
    REQUIRE(i < levels.size());
    // Concentration at the last output (72 h), interpolated to the level.
    const auto& profile = r.trajectory.drugs.at(0).csf_profile_ug_per_mL;
    const auto& x = r.trajectory.positions_cm;
    const double xl = r.trajectory.level_positions_cm[i];
    const auto hi = static_cast<std::size_t>(std::upper_bound(x.begin(), x.end(), xl) - x.begin());
    const double w = (xl - x[hi - 1]) / (x[hi] - x[hi - 1]);
    const Eigen::Index last = profile.cols() - 1;
    return (1 - w) * profile(static_cast<Eigen::Index>(hi - 1), last) +
           w * profile(static_cast<Eigen::Index>(hi), last);
  };
  CHECK(summary.level_peak_ug_per_mL.size() == levels.size());
  return at("T2") / at("T12");
}

}  // namespace

TEST_CASE("rostral spread with the default apparent transport (Kroin 1993)",
          "[validation][spinal]") {
  // The default transport (the apparent D(x), u(x) of reference problem P2) underpredicts human
  // rostral spread: T2/T12 ≈ 0.2 against 0.43 observed. The band pins that known deviation: the
  // test fails if spread collapses (< 0.1) or if the default ever exceeds the observation.
  const double ratio = t2_over_t12({});
  CHECK(ratio > 0.1);
  CHECK(ratio < 0.43);
}

TEST_CASE("dispersion scale 5 reproduces the observed T2/T12 ratio (Kroin 1993)",
          "[validation][spinal]") {
  // The calibration docs/model.md recommends for ambulant adults: the apparent dispersion ×5
  // gives T2/T12 within ±0.07 of the observed 0.43 (4 of 5 patients).
  const double ratio = t2_over_t12(
      {"model.dispersion={table: {x: [0 cm, 10 cm, 20 cm, 30 cm, 40 cm, 50 cm, 60 cm], value: "
       "[7.2 cm^2/h, 18 cm^2/h, 32.4 cm^2/h, 50.4 cm^2/h, 72 cm^2/h, 93.6 cm^2/h, 108 cm^2/h]}, "
       "scale: 5}"});
  CHECK(ratio > 0.43 - 0.07);
  CHECK(ratio < 0.43 + 0.07);
}
