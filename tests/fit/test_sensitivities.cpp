// Verification of the fit's derivatives: the sensitivity equations against central differences
// of whole solutions, on the reference problems P1 and P2 and a physiological 1D scenario, for
// every kind of parameter a fit can reach (drug, anatomy/variability, model, catheter, pump).
#include <catch2/catch.hpp>
#include <memory>

#include "csfpk/fit/model_evaluator.hpp"
#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/model_library.hpp"
#include "csfpk/io/scenario_loader.hpp"

namespace {

using csfpk::EstimatedParameter;
using csfpk::GradientMethod;
using csfpk::ModelEvaluator;
using csfpk::Observation;
using csfpk::ObservationSet;

std::string source(const std::string& relative) {
  return std::string(CSFPK_SOURCE_DIR) + "/" + relative;
}

ObservationSet samples(const std::string& drug, const std::vector<std::string>& sites,
                       const std::vector<double>& times_h) {
  ObservationSet set;
  set.file = "synthetic";
  for (const auto& site : sites) {
    for (const double t : times_h) {
      Observation o;
      o.subject = "1";
      o.time_h = t;
      o.drug = drug;
      o.site = site;
      o.value_ug_per_mL = 1.0;  // not used: only predictions and derivatives are compared
      set.rows.push_back(o);
    }
  }
  return set;
}

EstimatedParameter parameter(const std::string& text) {
  return csfpk::parse_estimate(text);
}

// Every column of the sensitivity Jacobian against central differences of exact solutions
// (step 1e-4 in the fitted scale: truncation ~1e-8, rounding ~1e-12 of the column's scale). The
// error is measured against the largest derivative of the column, as a derivative that
// crosses zero has no relative error of its own.
void check_against_differences(const std::string& scenario_path,
                               const std::vector<std::string>& overrides,
                               const std::vector<std::string>& reference_overrides,
                               const std::vector<EstimatedParameter>& parameters,
                               const ObservationSet& observations, double tolerance) {
  const auto library = std::make_shared<const csfpk::ModelLibrary>(csfpk::models_directory());
  const csfpk::ScenarioTemplate scenario(scenario_path, overrides, library);
  ModelEvaluator evaluator(scenario, parameters, observations);
  std::vector<double> initial;
  for (const auto& p : parameters) initial.push_back(p.initial);
  const Eigen::VectorXd u = evaluator.to_fitted(initial);
  Eigen::VectorXd f;
  const Eigen::MatrixXd j = evaluator.jacobian(u, GradientMethod::kSensitivity, f);
  for (const auto& note : evaluator.gradient_notes()) CHECK(note.empty());

  const csfpk::ScenarioTemplate reference_scenario(scenario_path, reference_overrides, library);
  ModelEvaluator reference(reference_scenario, parameters, observations);
  const Eigen::VectorXd f_reference = reference.predict(u);
  CHECK((f - f_reference).cwiseAbs().maxCoeff() <= 1e-6 * f_reference.cwiseAbs().maxCoeff());
  for (Eigen::Index k = 0; k < u.size(); ++k) {
    const double h =
        parameters[static_cast<std::size_t>(k)].log_scale ? 1e-4 : 1e-4 * std::abs(u[k]);
    Eigen::VectorXd up = u;
    Eigen::VectorXd down = u;
    up[k] += h;
    down[k] -= h;
    const Eigen::VectorXd difference = (reference.predict(up) - reference.predict(down)) / (2 * h);
    const double scale = difference.cwiseAbs().maxCoeff();
    const double error = (j.col(k) - difference).cwiseAbs().maxCoeff();
    INFO(parameters[static_cast<std::size_t>(k)].path << ": largest derivative " << scale
                                                      << ", largest error " << error);
    CHECK(scale > 0.0);
    CHECK(error <= tolerance * scale);
  }
}

}  // namespace

TEST_CASE("sensitivities equal central differences on P1 (exact method)", "[fit]") {
  const std::vector<EstimatedParameter> parameters = {
      parameter("drugs.morphine.csf_elimination_rate=0.36 1/h"),  // drug
      parameter("drugs.morphine.plasma_volume=250000 mL"),        // drug (plasma)
      parameter("variability.csf_volume_factor=1.1"),             // anatomy (volumes)
      parameter("variability.csf_elimination_factor=0.9"),        // physiology
      parameter("pump.reservoir.blend.morphine=10000 ug/mL"),     // pump (inputs, doses)
      parameter("pump.periodic_boluses.0.volume=0.01 mL"),        // pump (bolus dose)
  };
  const ObservationSet observations =
      samples("morphine", {"lumbar", "thoracic", "cranial", "plasma"},
              {0.25, 3.0, 9.0, 9.05, 14.5, 30.0, 100.0, 300.0, 672.0});
  check_against_differences(source("scenarios/reference/p1.yaml"), {}, {}, parameters, observations,
                            1e-5);
}

TEST_CASE("sensitivities equal central differences on P2 (CVODES)", "[fit]") {
  const std::vector<EstimatedParameter> parameters = {
      parameter("drugs.morphine.plasma_clearance=60000 mL/h"),  // drug
      parameter("model.uptake=0.36 1/h"),                       // model
      parameter("model.cranial_pool.clearance=21 mL/h"),        // model (outlet)
      parameter("variability.dispersion_factor=1.0"),           // anatomy/physiology (D(x))
      parameter("variability.csf_volume_factor=1.0"),           // anatomy (cross-section)
      parameter("catheter.tip=12 cm"),                          // device (where doses land)
      parameter("pump.basal=0.5 mL/day"),                       // pump
  };
  const ObservationSet observations =
      samples("morphine", {"L3", "L1", "T10", "T4", "C5", "30 cm", "cranial_pool", "plasma"},
              {1.0, 6.0, 6.5, 12.0, 24.0, 36.0, 48.0});
  // The sensitivities from CVODES at tight tolerances; the differences from exact solves (the
  // uniform-step matrix exponential `auto` takes for P2: every step here is a multiple of the
  // 10 min bolus).
  // Its first two days (eight boluses) keep the test short.
  check_against_differences(
      source("scenarios/reference/p2.yaml"),
      {"duration=48 h", "solver.method=cvode", "solver.rtol=1e-11", "solver.atol=1e-16 ug/mL"},
      {"duration=48 h", "solver.method=auto"}, parameters, observations, 1e-5);
}

TEST_CASE("sensitivities equal central differences with tip flow and circadian production",
          "[fit]") {
  // The four-region model with a fluid balance: the pump's fluid drives CSF flow (K_q, scaled by
  // the tip flow q, a driver the pump rate changes) and production follows the clock (K_P scaled
  // by f(t), a driver the circadian amplitude changes).
  const std::vector<std::string> overrides = {"model.physiology={circadian: {amplitude: 0.4}}",
                                              "duration=2 day"};
  const std::vector<EstimatedParameter> parameters = {
      parameter("drugs.baclofen.meningeal_permeability=0.01 cm/h"),  // drug
      parameter("model.physiology.production=0.35 mL/min"),          // physiology (K, K_P)
      parameter("model.physiology.circadian.amplitude=0.4"),         // physiology (driver f)
      parameter("variability.csf_volume_factor=1.1"),                // anatomy (K, K_q, K_P)
      parameter("pump.basal.0.rate=0.24 mL/day"),                    // pump (b and driver q)
  };
  const ObservationSet observations =
      samples("baclofen", {"lumbar", "thoracic", "cervical", "cranial", "plasma"},
              {0.5, 6.0, 7.25, 20.0, 21.5, 30.0, 48.0});
  SECTION("exact method") {
    check_against_differences(source("scenarios/baclofen_flex_day_night.yaml"), overrides,
                              overrides, parameters, observations, 1e-5);
  }
  SECTION("CVODES forward sensitivities (derivative matrices change with the drivers)") {
    std::vector<std::string> cvodes = overrides;
    cvodes.insert(cvodes.end(),
                  {"solver.method=cvode", "solver.rtol=1e-11", "solver.atol=1e-16 ug/mL"});
    check_against_differences(source("scenarios/baclofen_flex_day_night.yaml"), cvodes, overrides,
                              parameters, observations, 1e-5);
  }
}

TEST_CASE("finite differences stand in where the sensitivity system does not apply, and say why",
          "[fit]") {
  const auto library = std::make_shared<const csfpk::ModelLibrary>(csfpk::models_directory());
  SECTION("a parameter that moves dose times") {
    const csfpk::ScenarioTemplate scenario(source("scenarios/reference/p1.yaml"),
                                           {"duration=2 day"}, library);
    const std::vector<EstimatedParameter> parameters = {
        parameter("drugs.morphine.csf_elimination_rate=0.36 1/h"),
        parameter("pump.periodic_boluses.0.duration=5 min")};
    ModelEvaluator evaluator(scenario, parameters,
                             samples("morphine", {"lumbar"}, {8.0, 9.5, 20.0, 40.0}));
    Eigen::VectorXd f;
    const Eigen::VectorXd u = evaluator.to_fitted({0.36, 5.0});
    const Eigen::MatrixXd j = evaluator.jacobian(u, GradientMethod::kSensitivity, f);
    CHECK(evaluator.gradient_notes()[0].empty());
    CHECK_THAT(evaluator.gradient_notes()[1],
               Catch::Contains("finite differences") && Catch::Contains("breakpoints"));
    // The stand-in column against differences with a ten times smaller step.
    const double h = 1e-4;
    Eigen::VectorXd up = u;
    Eigen::VectorXd down = u;
    up[1] += h;
    down[1] -= h;
    const Eigen::VectorXd reference = (evaluator.predict(up) - evaluator.predict(down)) / (2 * h);
    CHECK((j.col(1) - reference).cwiseAbs().maxCoeff() <= 1e-4 * reference.cwiseAbs().maxCoeff());
  }
  SECTION("a nonlinear model (limited advection)") {
    const csfpk::ScenarioTemplate scenario(source("scenarios/spinal_morphine_tip_L2.yaml"),
                                           {"duration=6 h", "model.grid={cells: 40}"}, library);
    const std::vector<EstimatedParameter> parameters = {
        parameter("drugs.morphine.meningeal_permeability=0.012 cm/h")};
    ModelEvaluator evaluator(scenario, parameters,
                             samples("morphine", {"L2", "T10", "cranial_pool"}, {1.0, 3.0, 6.0}));
    Eigen::VectorXd f;
    const Eigen::MatrixXd sensitivity =
        evaluator.jacobian(evaluator.to_fitted({0.012}), GradientMethod::kSensitivity, f);
    CHECK_THAT(evaluator.gradient_notes()[0], Catch::Contains("nonlinear"));
    const Eigen::MatrixXd forced =
        evaluator.jacobian(evaluator.to_fitted({0.012}), GradientMethod::kFiniteDifference, f);
    CHECK(evaluator.gradient_notes()[0] == "finite differences (requested)");
    CHECK((sensitivity - forced).cwiseAbs().maxCoeff() == 0.0);
  }
}
