// Sweep runs made from a base parsed once (direct setters and patched YAML) against the
// scenario `csfpk run --set` would load, and P1's population against tight CVODE.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>

#include "csfpk/batch/executor.hpp"
#include "csfpk/batch/run_plan.hpp"
#include "csfpk/core/errors.hpp"
#include "csfpk/io/data_paths.hpp"
#include "csfpk/run/pipeline.hpp"

using namespace csfpk;
using namespace csfpk::batch;

namespace {

const std::string kP1 = std::string(CSFPK_SOURCE_DIR) + "/scenarios/reference/p1.yaml";

std::string write_sweep(const std::string& name, const std::string& body) {
  const std::string path = std::string(CSFPK_BINARY_DIR) + "/" + name + ".yaml";
  std::ofstream(path) << "base: " << kP1 << "\n" << body;
  return path;
}

double worst_relative_difference(const Trajectory& a, const Trajectory& b, double floor) {
  REQUIRE(a.drugs.size() == b.drugs.size());
  double worst = 0.0;
  for (std::size_t d = 0; d < a.drugs.size(); ++d) {
    const Eigen::MatrixXd& x = a.drugs[d].concentration_ug_per_mL;
    const Eigen::MatrixXd& y = b.drugs[d].concentration_ug_per_mL;
    REQUIRE(x.rows() == y.rows());
    REQUIRE(x.cols() == y.cols());
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      if (std::abs(y.data()[i]) <= floor) continue;
      worst = std::max(worst, std::abs(x.data()[i] - y.data()[i]) / std::abs(y.data()[i]));
    }
  }
  return worst;
}

}  // namespace

TEST_CASE("run maker: direct and YAML factors give the scenario load_scenario gives",
          "[batch][pipeline]") {
  // Volume and a library drug parameter go through direct setters, the basal rate through the
  // patched YAML: each run must equal loading the base with that run's overrides.
  const SweepSpec spec = load_sweep(write_sweep("run_maker_mixed", R"(
seed: 7
design: {type: monte_carlo, runs: 6}
factors:
  - {name: volume, path: variability.csf_volume_factor, lognormal: {median: 1, sigma: 0.3}}
  - {name: clearance, path: drugs.morphine.plasma_clearance, unit: mL/h,
     uniform: {min: 30000, max: 90000}}
  - {name: zico_v, path: drugs.ziconotide.plasma_volume, unit: mL, uniform: {min: 5000, max: 20000}}
)"),
                                    {});
  const RunPlan plan(spec);
  const auto library = std::make_shared<const ModelLibrary>(models_directory());
  const ScenarioTemplate base(spec.base_path, spec.base_overrides, library);
  const RunMaker make_run(plan, base);
  for (std::uint64_t run = 0; run < plan.size(); ++run) {
    const Scenario made = make_run(run);
    const Scenario loaded = load_scenario(spec.base_path, plan.overrides(run), models_directory());
    CHECK(made.variability.csf_volume_factor == loaded.variability.csf_volume_factor);
    CHECK(made.drugs.at("morphine").plasma_clearance_mL_per_h ==
          loaded.drugs.at("morphine").plasma_clearance_mL_per_h);
    CHECK(made.drugs.at("ziconotide").plasma_volume_mL ==
          loaded.drugs.at("ziconotide").plasma_volume_mL);
    CHECK(made.variability.csf_volume_factor != 1.0);
    // Bit for bit: the same numbers in, the same arithmetic.
    const Trajectory a = solve_trajectory(make_run.problem(run));
    const Trajectory b = run_scenario(loaded, {}).trajectory;
    CHECK(worst_relative_difference(a, b, 0.0) == 0.0);
  }
}

TEST_CASE("run maker: a value the direct path refuses fails as --set does", "[batch][pipeline]") {
  // 0.001 is below the variability range: the run must fail with the loader's own message.
  const SweepSpec spec = load_sweep(write_sweep("run_maker_range", R"(
seed: 1
design: {type: grid}
factors:
  - {name: volume, path: variability.csf_volume_factor, values: [1, 0.001]}
)"),
                                    {});
  const RunPlan plan(spec);
  const ScenarioTemplate base(spec.base_path, spec.base_overrides,
                              std::make_shared<const ModelLibrary>(models_directory()));
  const RunMaker make_run(plan, base);
  CHECK(make_run(0).variability.csf_volume_factor == 1.0);
  std::string direct_error;
  std::string loader_error;
  try {
    (void)make_run(1);
  } catch (const InputError& e) {
    direct_error = e.what();
  }
  try {
    (void)load_scenario(spec.base_path, plan.overrides(1), models_directory());
  } catch (const InputError& e) {
    loader_error = e.what();
  }
  CHECK_FALSE(loader_error.empty());
  CHECK(direct_error == loader_error);
  CHECK_THAT(direct_error, Catch::Contains("between 0.01 and 100"));
}

TEST_CASE("P1 population: the automatic method agrees with tight CVODE to 1e-6",
          "[batch][pipeline][P1]") {
  // A sample of the population sweep's patients (scenarios/sweeps/p1_population.yaml, whose
  // runs the automatic choice solves by exact propagation) against CVODE at rtol 1e-10.
  const std::string sweep = std::string(CSFPK_SOURCE_DIR) + "/scenarios/sweeps/p1_population.yaml";
  const SweepSpec spec = load_sweep(sweep, {});
  const RunPlan plan(spec);
  const ScenarioTemplate base(spec.base_path, spec.base_overrides,
                              std::make_shared<const ModelLibrary>(models_directory()));
  REQUIRE(base.base().solver.method == SolverMethod::kAuto);
  const RunMaker make_run(plan, base);
  for (const std::uint64_t run : {0ULL, 1234ULL, 9999ULL}) {
    const Trajectory fast = solve_trajectory(make_run.problem(run));
    for (const DrugTrajectory& drug : fast.drugs) CHECK(drug.solver.method == "auto: exact");
    Scenario tight = make_run(run);
    tight.solver.method = SolverMethod::kCvode;
    tight.solver.relative_tolerance = 1e-10;
    tight.solver.absolute_tolerance_ug_per_mL = 1e-14;
    const Trajectory reference = run_scenario(tight, {}).trajectory;
    for (const DrugTrajectory& drug : reference.drugs) {
      CHECK(drug.solver.method == "cvode (dense LU)");
      CHECK(drug.solver.steps > 0);
      CHECK(drug.solver.rhs_evaluations >= drug.solver.steps);
    }
    // Above 1e-6 µg/mL, as P1's accuracy target reads outputs.
    CHECK(worst_relative_difference(fast, reference, 1e-6) < 1e-6);
  }
}
