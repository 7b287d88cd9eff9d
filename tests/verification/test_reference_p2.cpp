// Reference problem P2 (shared/benchmarks/reference-problems.md): scenarios/reference/p2.yaml
// solved by CVODE at rtol 1e-6 against an independent solution of the same semi-discrete system
// by the matrix exponential between breakpoints (exact up to round-off).
#include <catch2/catch.hpp>
#include <cmath>

#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/run/pipeline.hpp"

using namespace csfpk;

namespace {
const std::string kP2 = std::string(CSFPK_SOURCE_DIR) + "/scenarios/reference/p2.yaml";

// Every output of one drug: the CSF profile, then pool and plasma.
std::vector<double> all_outputs(const DrugTrajectory& d) {
  std::vector<double> out(d.csf_profile_ug_per_mL.data(),
                          d.csf_profile_ug_per_mL.data() + d.csf_profile_ug_per_mL.size());
  out.insert(out.end(), d.concentration_ug_per_mL.data(),
             d.concentration_ug_per_mL.data() + d.concentration_ug_per_mL.size());
  return out;
}
}  // namespace

TEST_CASE("P2 expresses the reference system", "[verification][P2]") {
  const Scenario s = load_scenario(kP2, {}, models_directory());
  REQUIRE(s.spinal);
  const Spinal1DSpec& spec = *s.spinal;
  CHECK(spec.grid.cells == 200);
  CHECK(!spec.grid.graded);
  CHECK(spec.scheme == AdvectionScheme::kUpwind);
  CHECK(!spec.cord_tissue);
  CHECK(s.catheter_tip_cm == 12.0);
  CHECK(s.output_times_h.size() == 169);
  const SpinalSystem sys = build_spinal_system(spec, s.drugs.at("morphine"), s.catheter_tip_cm);
  CHECK(sys.system.size() == 203);  // 200 cells, pool, plasma, elimination sink
  CHECK(sys.grid.centres_cm[0] == Approx(0.15));
  CHECK(sys.system.volume_mL[0] == Approx(spec.anatomy.csf_area_cm2(0.15) * 0.3));
  // Source weights ∝ exp(−(x_i − 12)²/(2·0.5²)), normalised.
  double total = 0.0, centre = 0.0;
  for (std::size_t k = 0; k < sys.system.catheter_input.states.size(); ++k) {
    total += sys.system.catheter_input.weights[k];
    centre += sys.system.catheter_input.weights[k] *
              sys.grid.centres_cm[static_cast<std::size_t>(sys.system.catheter_input.states[k])];
  }
  CHECK(total == Approx(1.0).epsilon(1e-14));
  CHECK(centre == Approx(12.0).epsilon(1e-12));
  // The rate matrix conserves mass: every column sums to zero.
  const Eigen::VectorXd column_sums =
      Eigen::RowVectorXd::Ones(sys.system.size()) * sys.system.rates;
  CHECK(column_sums.cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("P2 at N = 200 agrees with the exact solution to 1e-4 and conserves mass to 1e-8",
          "[verification][P2]") {
  Scenario cvode_scenario = load_scenario(kP2, {}, models_directory());
  cvode_scenario.solver.method = SolverMethod::kCvode;
  Scenario exact_scenario = cvode_scenario;
  exact_scenario.solver.method = SolverMethod::kExact;
  const RunRecord cvode = run_scenario(cvode_scenario, {});
  const RunRecord exact = run_scenario(exact_scenario, {});
  CHECK(cvode.trajectory.drugs.at(0).solver.method == "cvode (KLU)");
  const auto a = all_outputs(cvode.trajectory.drugs.at(0));
  const auto b = all_outputs(exact.trajectory.drugs.at(0));
  REQUIRE(a.size() == (200 + 2) * 169);
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  std::size_t compared = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::abs(b[i]) <= 1e-6) continue;
    worst = std::max(worst, std::abs(a[i] - b[i]) / std::abs(b[i]));
    ++compared;
  }
  INFO("max relative difference " << worst << " over " << compared << " outputs");
  CHECK(compared > 30000);
  CHECK(worst < 1e-4);
  CHECK(cvode.trajectory.drugs[0].mass_balance_relative_error < 1e-8);
  CHECK(exact.trajectory.drugs[0].mass_balance_relative_error < 1e-8);
  // Infused over the week: 0.5 mL/day × 7 days + 27 completed boluses of 0.05 mL, × 10 mg/mL.
  CHECK(cvode.trajectory.drugs[0].delivered_ug.back() == Approx((3.5 + 27 * 0.05) * 10000.0));
}

TEST_CASE(
    "P2 under auto: exact propagation on a uniform 10-minute step, equal to the dense "
    "exact solution",
    "[verification][P2]") {
  // Every step of P2 (hourly outputs, 10-minute boluses every 6 h) is a whole number of 10-minute
  // steps: one exponential of size 203 + 2 inputs replaces CVODE.
  const Scenario automatic = load_scenario(kP2, {}, models_directory());
  REQUIRE(automatic.solver.method == SolverMethod::kAuto);
  Scenario exact_scenario = automatic;
  exact_scenario.solver.method = SolverMethod::kExact;
  const RunRecord fast = run_scenario(automatic, {});
  const RunRecord exact = run_scenario(exact_scenario, {});
  const DrugTrajectory& drug = fast.trajectory.drugs.at(0);
  CHECK(drug.solver.method == "auto: exact (uniform steps)");
  CHECK(drug.solver.matrix_exponentials == 1);
  CHECK(drug.solver.steps == 168 * 6);
  const auto a = all_outputs(drug);
  const auto b = all_outputs(exact.trajectory.drugs.at(0));
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::abs(b[i]) <= 1e-6) continue;
    worst = std::max(worst, std::abs(a[i] - b[i]) / std::abs(b[i]));
  }
  INFO("max relative difference " << worst);
  CHECK(worst < 1e-9);
  CHECK(drug.mass_balance_relative_error < 1e-10);
  // Twice the cells: the exponential would cost 8x, and CVODE is kept.
  const Scenario finer = load_scenario(kP2, {"model.grid.cells=400"}, models_directory());
  const RunRecord cvode = run_scenario(finer, {});
  CHECK(cvode.trajectory.drugs.at(0).solver.method == "auto: cvode (KLU)");
}
