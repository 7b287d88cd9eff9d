// Times reference problems P1 (nominal patient, both solver paths) and P2 (N = 50 … 3200) and
// prints the figures; writes them as JSON to the path given as the first argument
// (default bench/results/reference_problems.json). Wall-clock medians over repeats.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/run/pipeline.hpp"
#include "csfpk/version.hpp"

using namespace csfpk;

namespace {

double median_seconds(const Scenario& scenario, int repeats) {
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const RunRecord record = run_scenario(scenario, {});
    const auto stop = std::chrono::steady_clock::now();
    if (record.trajectory.drugs.empty()) throw std::runtime_error("empty result");
    times.push_back(std::chrono::duration<double>(stop - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string out =
      argc > 1 ? argv[1] : std::string(CSFPK_SOURCE_DIR) + "/bench/results/reference_problems.json";
  const std::string root = CSFPK_SOURCE_DIR;
  std::ofstream json(out);
  json << "{\n  \"csfpk_version\": \"" << kVersion << "\",\n  \"results\": [\n";
  bool first = true;
  const auto emit = [&](const std::string& name, double seconds) {
    std::cout << name << ": " << seconds * 1000.0 << " ms\n";
    json << (first ? "" : ",\n") << "    {\"case\": \"" << name << "\", \"seconds\": " << seconds
         << "}";
    first = false;
  };
  Scenario p1 = load_scenario(root + "/scenarios/reference/p1.yaml", {}, models_directory());
  p1.solver.method = SolverMethod::kCvode;
  emit("P1 nominal, cvode (4 drugs, 28 days, 2689 outputs)", median_seconds(p1, 5));
  p1.solver.method = SolverMethod::kExact;
  emit("P1 nominal, exact", median_seconds(p1, 5));
  for (const int cells : {50, 100, 200, 400, 800, 1600, 3200}) {
    const Scenario p2 =
        load_scenario(root + "/scenarios/reference/p2.yaml",
                      {"model.grid.cells=" + std::to_string(cells)}, models_directory());
    emit("P2 N=" + std::to_string(cells) + ", cvode rtol 1e-6",
         median_seconds(p2, cells > 800 ? 1 : 3));
  }
  json << "\n  ]\n}\n";
  std::cout << "wrote " << out << "\n";
  return 0;
}
