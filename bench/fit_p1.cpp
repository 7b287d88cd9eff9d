// A two-parameter fit of reference problem P1 (nominal patient) to its own outputs: morphine in
// the four CSF regions and plasma, hourly over 28 days, noise-free, from starts 1.5x and 0.7x
// the truth. Reports wall time (median of repeats), model solves, iterations and the recovered
// values for the sensitivity and the finite-difference gradients, plus one plain P1 solve for
// scale; writes JSON to the first argument (default bench/results/fit_p1.json), naming the
// machine given as the second. Not a test.
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
  const std::string machine = argc > 2 ? argv[2] : "unnamed machine";
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
  // What every model evaluation of a fit pays before solving: the scenario with the parameters'
  // overrides (YAML) and its compiled delivery and systems.
  const double one_assembly =
      median_seconds(21, [&] { (void)compile(scenario.with({parameters[0].override_text(0.4)})); });
  std::cout << "assembly (overrides + compile): " << one_assembly * 1e3 << " ms\n";

  std::ofstream json(out);
  json << "{\n  \"csfpk_version\": \"" << kVersion
       << "\",\n  \"observations\": " << data.rows.size()
       << ",\n  \"one_p1_run_seconds\": " << one_solve
       << ",\n  \"one_assembly_seconds\": " << one_assembly << ",\n  \"machine\": \"" << machine
       << "\",\n  \"results\": [\n";
  std::cout << "P1 run (4 drugs, 28 days): " << one_solve * 1e3 << " ms\n";
  bool first = true;
  const auto fit_both_ways = [&](const std::string& problem, const ScenarioTemplate& base,
                                 const std::vector<EstimatedParameter>& estimated,
                                 const std::vector<double>& start, const ObservationSet& obs,
                                 const std::vector<double>& expected, int repeats) {
    for (const GradientMethod gradient :
         {GradientMethod::kSensitivity, GradientMethod::kFiniteDifference}) {
      FitOptions options;
      options.gradient = gradient;
      FitResult result;
      const double seconds =
          median_seconds(repeats, [&] { result = fit_from(base, estimated, start, obs, options); });
      double worst = 0.0;
      for (std::size_t k = 0; k < expected.size(); ++k) {
        worst = std::max(worst, std::abs(result.parameters[k].estimate / expected[k] - 1.0));
      }
      const std::string name =
          gradient == GradientMethod::kSensitivity ? "sensitivity equations" : "finite differences";
      std::cout << problem << " fit, " << name << ": " << seconds << " s, " << result.solves
                << " solves, " << result.iterations << " iterations, largest relative error "
                << worst << (result.converged ? "" : " (NOT converged)") << "\n";
      json << (first ? "" : ",\n") << "    {\"problem\": \"" << problem << "\", \"gradient\": \""
           << name << "\", \"seconds\": " << seconds << ", \"solves\": " << result.solves
           << ", \"iterations\": " << result.iterations << ", \"largest_relative_error\": " << worst
           << ", \"converged\": " << (result.converged ? "true" : "false") << "}";
      first = false;
    }
  };
  fit_both_ways("P1 nominal, exact method, 2 parameters", scenario, parameters, {0.54, 0.7}, data,
                truth, 3);

  // The same on P2's first two days (200 cells, CVODES at the file's rtol 1e-6): uptake and the
  // dispersion multiplier from L2, T10 and C5 hourly, noise-free.
  const ScenarioTemplate p2(root + "/scenarios/reference/p2.yaml", {"duration=48 h"},
                            std::make_shared<const ModelLibrary>(models_directory()));
  const std::vector<EstimatedParameter> p2_parameters = {
      parse_estimate("model.uptake=0.36 1/h,0.01 1/h,10 1/h"),
      parse_estimate("variability.dispersion_factor=1,0.2,5")};
  ObservationSet p2_data;
  p2_data.file = "P2 outputs";
  for (const std::string site : {"L2", "T10", "C5"}) {
    for (int hour = 1; hour <= 48; ++hour) {
      Observation o;
      o.subject = "1";
      o.time_h = hour;
      o.drug = "morphine";
      o.site = site;
      p2_data.rows.push_back(o);
    }
  }
  ModelEvaluator p2_simulator(p2, p2_parameters, p2_data);
  const Eigen::VectorXd p2_exact = p2_simulator.predict(p2_simulator.to_fitted({0.36, 1.0}));
  for (std::size_t i = 0; i < p2_data.rows.size(); ++i) {
    p2_data.rows[i].value_ug_per_mL = p2_exact[static_cast<Eigen::Index>(i)];
  }
  fit_both_ways("P2 first 48 h, CVODES, 2 parameters", p2, p2_parameters, {0.5, 1.3}, p2_data,
                {0.36, 1.0}, 1);
  json << "\n  ]\n}\n";
  return 0;
}
