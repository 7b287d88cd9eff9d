// A two-parameter fit of reference problem P1 (nominal patient) to its own outputs: morphine in
// the four CSF regions and plasma, hourly over 28 days, noise-free, from starts 1.5x and 0.7x
// the truth. Reports wall time (median of repeats), model solves, iterations and the recovered
// values for the sensitivity and the finite-difference gradients, plus one plain P1 solve for
// scale; writes JSON to the first argument (default bench/results/fit_p1.json). Not a test.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "csfpk/fit/estimation.hpp"
#include "csfpk/fit/model_evaluator.hpp"
#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/model_library.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/run/pipeline.hpp"
#include "csfpk/version.hpp"

using namespace csfpk;

namespace {

template <typename F>
double median_seconds(int repeats, F&& work) {
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    work();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string root = CSFPK_SOURCE_DIR;
  const std::string out = argc > 1 ? argv[1] : root + "/bench/results/fit_p1.json";
  const ScenarioTemplate scenario(root + "/scenarios/reference/p1.yaml", {},
                                  std::make_shared<const ModelLibrary>(models_directory()));
  const std::vector<EstimatedParameter> parameters = {
      parse_estimate("drugs.morphine.csf_elimination_rate=0.36 1/h,0.01 1/h,10 1/h"),
      parse_estimate("variability.csf_volume_factor=1,0.5,2")};
  const std::vector<double> truth = {0.36, 1.0};
  ObservationSet data;
  data.file = "P1 outputs";
  for (const std::string site : {"lumbar", "thoracic", "cervical", "cranial", "plasma"}) {
    for (int hour = 1; hour <= 672; ++hour) {
      Observation o;
      o.subject = "1";
      o.time_h = hour;
      o.drug = "morphine";
      o.site = site;
      data.rows.push_back(o);
    }
  }
  ModelEvaluator simulator(scenario, parameters, data);
  const Eigen::VectorXd exact = simulator.predict(simulator.to_fitted(truth));
  for (std::size_t i = 0; i < data.rows.size(); ++i) {
    data.rows[i].value_ug_per_mL = exact[static_cast<Eigen::Index>(i)];
  }
  const Scenario p1 = scenario.with({});
  const double one_solve = median_seconds(5, [&] { (void)run_scenario(p1, {}); });

  std::ofstream json(out);
  json << "{\n  \"csfpk_version\": \"" << kVersion
       << "\",\n  \"observations\": " << data.rows.size()
       << ",\n  \"one_p1_run_seconds\": " << one_solve << ",\n  \"results\": [\n";
  std::cout << "P1 run (4 drugs, 28 days): " << one_solve * 1e3 << " ms\n";
  bool first = true;
  for (const GradientMethod gradient :
       {GradientMethod::kSensitivity, GradientMethod::kFiniteDifference}) {
    FitOptions options;
    options.gradient = gradient;
    FitResult result;
    const double seconds = median_seconds(3, [&] {
      result = fit_from(scenario, parameters, {0.54, 0.7}, data, options);
    });
    double worst = 0.0;
    for (std::size_t k = 0; k < truth.size(); ++k) {
      worst = std::max(worst, std::abs(result.parameters[k].estimate / truth[k] - 1.0));
    }
    const std::string name =
        gradient == GradientMethod::kSensitivity ? "sensitivity equations" : "finite differences";
    std::cout << "fit, " << name << ": " << seconds << " s, " << result.solves << " solves, "
              << result.iterations << " iterations, largest relative error " << worst
              << (result.converged ? "" : " (NOT converged)") << "\n";
    json << (first ? "" : ",\n") << "    {\"gradient\": \"" << name
         << "\", \"seconds\": " << seconds << ", \"solves\": " << result.solves
         << ", \"iterations\": " << result.iterations << ", \"largest_relative_error\": " << worst
         << ", \"converged\": " << (result.converged ? "true" : "false") << "}";
    first = false;
  }
  json << "\n  ]\n}\n";
  return 0;
}
