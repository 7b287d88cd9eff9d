// The estimator: synthetic recovery with confidence-interval coverage, an unidentifiable pair
// flagged by its collinearity index, and the published-data example converging from several
// starts.
#include <catch2/catch.hpp>
#include <memory>
#include <random>

#include "csfpk/fit/estimation.hpp"
#include "csfpk/fit/model_evaluator.hpp"
#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/model_library.hpp"
#include "csfpk/io/scenario_loader.hpp"

namespace {

using namespace csfpk;

std::string source(const std::string& relative) {
  return std::string(CSFPK_SOURCE_DIR) + "/" + relative;
}

ScenarioTemplate nordberg_scenario() {
  return ScenarioTemplate(source("scenarios/fitting/nordberg1984_morphine.yaml"), {},
                          std::make_shared<const ModelLibrary>(models_directory()));
}

ObservationSet design(const std::vector<std::string>& sites, const std::vector<double>& times) {
  ObservationSet set;
  set.file = "synthetic";
  for (const auto& site : sites) {
    for (const double t : times) {
      Observation o;
      o.subject = "1";
      o.time_h = t;
      o.drug = "morphine";
      o.site = site;
      set.rows.push_back(o);
    }
  }
  return set;
}

}  // namespace

// 300 replicates rather than the 100 the criterion names: the same 90 % floor with a third of the
// binomial spread (a 1000-replicate run gave 96.2 % and 95.0 % coverage, docs/fitting.md).
TEST_CASE("synthetic recovery: 95% intervals cover the truth in at least 90% of 300 fits",
          "[fit]") {
  const ScenarioTemplate scenario = nordberg_scenario();
  const std::vector<EstimatedParameter> parameters = {
      parse_estimate("drugs.morphine.meningeal_permeability=0.02 cm/h,0.0001 cm/h,1 cm/h"),
      parse_estimate("variability.csf_volume_factor=1,0.2,5")};
  const std::vector<double> truth = {0.02, 1.0};
  ObservationSet observations = design({"lumbar", "cranial"}, {0.5, 1, 2, 3, 4, 6, 8, 10, 12});
  ModelEvaluator simulator(scenario, parameters, observations);
  const Eigen::VectorXd exact = simulator.predict(simulator.to_fitted(truth));

  FitOptions options;
  options.error = parse_error_model("proportional");
  std::mt19937_64 random(20261205);
  std::normal_distribution<double> noise(0.0, 0.10);
  std::vector<int> covered(parameters.size(), 0);
  int converged = 0;
  constexpr int kReplicates = 300;
  for (int replicate = 0; replicate < kReplicates; ++replicate) {
    for (std::size_t i = 0; i < observations.rows.size(); ++i) {
      observations.rows[i].value_ug_per_mL =
          exact[static_cast<Eigen::Index>(i)] * (1.0 + noise(random));
    }
    // Each replicate starts away from the truth (×2 and ×0.7).
    const FitResult result = fit_from(scenario, parameters, {0.04, 0.7}, observations, options);
    if (result.converged) ++converged;
    for (std::size_t k = 0; k < parameters.size(); ++k) {
      const ParameterEstimate& e = result.parameters[k];
      if (truth[k] >= e.ci_lower && truth[k] <= e.ci_upper) ++covered[k];
    }
  }
  INFO("coverage: permeability " << covered[0] << ", volume " << covered[1] << "; converged "
                                 << converged);
  CHECK(converged == kReplicates);
  CHECK(covered[0] >= 9 * kReplicates / 10);
  CHECK(covered[1] >= 9 * kReplicates / 10);
}

TEST_CASE("a pair the data cannot tell apart is flagged by its collinearity index", "[fit]") {
  const ScenarioTemplate scenario = nordberg_scenario();
  ObservationSet observations = design({"lumbar"}, {1, 2, 4, 6, 8, 12});
  // Meningeal permeability and the CSF elimination multiplier enter the model only as their
  // product: not identifiable. Permeability and the CSF volume are.
  const std::vector<EstimatedParameter> confounded = {
      parse_estimate("drugs.morphine.meningeal_permeability=0.02 cm/h,0.0001 cm/h,1 cm/h"),
      parse_estimate("variability.csf_elimination_factor=1,0.2,5")};
  const std::vector<EstimatedParameter> distinct = {
      parse_estimate("drugs.morphine.meningeal_permeability=0.02 cm/h,0.0001 cm/h,1 cm/h"),
      parse_estimate("variability.csf_volume_factor=1,0.2,5")};
  ModelEvaluator simulator(scenario, distinct, observations);
  const Eigen::VectorXd exact = simulator.predict(simulator.to_fitted({0.02, 1.0}));
  std::mt19937_64 random(7);
  std::normal_distribution<double> noise(0.0, 0.05);
  for (std::size_t i = 0; i < observations.rows.size(); ++i) {
    observations.rows[i].value_ug_per_mL =
        exact[static_cast<Eigen::Index>(i)] * (1.0 + noise(random));
  }
  FitOptions options;
  const FitResult bad = fit(scenario, confounded, observations, options);
  REQUIRE(bad.collinearity.size() == 1);
  CHECK(bad.collinearity[0].index > kCollinearityLimit);
  const FitResult good = fit(scenario, distinct, observations, options);
  REQUIRE(good.collinearity.size() == 1);
  CHECK(good.collinearity[0].index < 5.0);
  CHECK(good.converged);
}

TEST_CASE("the published morphine example converges to one optimum from three starts", "[fit]") {
  const ScenarioTemplate scenario = nordberg_scenario();
  const ObservationSet observations =
      read_observations(source("scenarios/fitting/nordberg1984_morphine_csf.csv"));
  const std::vector<EstimatedParameter> parameters = {
      parse_estimate("drugs.morphine.meningeal_permeability=0.012 cm/h,0.0001 cm/h,1 cm/h"),
      parse_estimate("variability.csf_volume_factor=1,0.2,5")};
  const std::vector<SubjectScenario> subjects = {
      parse_subject_override("0.25mg:injections.0.dose.morphine=250 ug")};
  FitOptions options;
  std::vector<FitResult> fits;
  for (const std::vector<double>& start :
       {std::vector<double>{0.012, 1.0}, {0.002, 3.0}, {0.1, 0.4}}) {
    fits.push_back(fit_from(scenario, parameters, start, observations, options, subjects));
  }
  for (const FitResult& f : fits) {
    CHECK(f.converged);
    for (std::size_t k = 0; k < parameters.size(); ++k) {
      CHECK(f.parameters[k].estimate == Approx(fits.front().parameters[k].estimate).epsilon(1e-5));
    }
    CHECK(f.weighted_rss == Approx(fits.front().weighted_rss).epsilon(1e-6));
  }
  // Every observation of both dose groups was used, each group with its own dose.
  CHECK(fits.front().observations.rows.size() == 12);
  CHECK(fits.front().parameters[0].rse_percent < 50.0);
}
