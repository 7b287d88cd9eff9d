// Reference problem P1 (shared/benchmarks/reference-problems.md), nominal patient: the CVODE
// result of scenarios/reference/p1.yaml against an independent solution of the same system by
// the matrix exponential between breakpoints (exact up to round-off).
#include <catch2/catch.hpp>
#include <cmath>

#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/run/pipeline.hpp"

using namespace csfpk;

namespace {
const std::string kP1 = std::string(CSFPK_SOURCE_DIR) + "/scenarios/reference/p1.yaml";
}

TEST_CASE("P1 expresses the reference problem exactly", "[verification][P1]") {
  const Scenario s = load_scenario(kP1, {}, models_directory());
  CHECK(s.duration_h == 672.0);
  CHECK(s.output_times_h.size() == 2689);
  CHECK(s.drugs.size() == 4);
  CHECK(s.catheter_compartment == "lumbar");
  CHECK(s.drugs.at("morphine").csf_elimination_rate_per_h == 0.36);
  CHECK(s.drugs.at("ziconotide").plasma_clearance_mL_per_h == 20000.0);
  CHECK(s.program.reservoir.blend.at("clonidine") == 500.0);
  // 0.6 mL/day for 15 h, 0.3 mL/day for 9 h, three 0.01 mL boluses: 0.5175 mL/day.
  const InfusionSchedule schedule = compile_schedule(s.program, s.duration_h);
  CHECK(schedule.delivered_ug("morphine", 672.0) == Approx(0.5175 * 28 * 10000.0).epsilon(1e-12));
}

TEST_CASE("P1 nominal patient agrees with the exact solution to 1e-5", "[verification][P1]") {
  Scenario cvode_scenario = load_scenario(kP1, {}, models_directory());
  cvode_scenario.solver.method = SolverMethod::kCvode;
  Scenario exact_scenario = cvode_scenario;
  exact_scenario.solver.method = SolverMethod::kExact;
  const RunRecord cvode = run_scenario(cvode_scenario, {});
  const RunRecord exact = run_scenario(exact_scenario, {});
  REQUIRE(cvode.trajectory.drugs.size() == exact.trajectory.drugs.size());
  double worst = 0.0;
  std::size_t compared = 0;
  for (std::size_t d = 0; d < cvode.trajectory.drugs.size(); ++d) {
    const auto& a = cvode.trajectory.drugs[d].concentration_ug_per_mL;
    const auto& b = exact.trajectory.drugs[d].concentration_ug_per_mL;
    REQUIRE(a.rows() == 5);
    REQUIRE(a.cols() == 2689);
    for (Eigen::Index i = 0; i < a.size(); ++i) {
      if (std::abs(b.data()[i]) <= 1e-6) continue;
      worst = std::max(worst, std::abs(a.data()[i] - b.data()[i]) / std::abs(b.data()[i]));
      ++compared;
    }
  }
  INFO("max relative difference " << worst << " over " << compared << " outputs");
  CHECK(compared > 40000);
  CHECK(worst < 1e-5);
}
