// Runs a scenario with the installed csfpk libraries and the installed models/ folder, and prints
// what a consumer would read from the result.
#include <cstdio>
#include <exception>

#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/run/pipeline.hpp"
#include "csfpk/version.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer SCENARIO\n");
    return 64;
  }
  try {
    const csfpk::Scenario scenario = csfpk::load_scenario(argv[1], {}, CSFPK_MODELS);
    const csfpk::RunRecord record = csfpk::run_scenario(scenario, {});
    const csfpk::DrugTrajectory& drug = record.trajectory.drugs.at(0);
    std::printf("csfpk %s: %s, %zu output times, %s delivered %.6g ug\n", csfpk::kVersion,
                scenario.name.c_str(), record.trajectory.times_h.size(), drug.drug.c_str(),
                drug.delivered_ug.back());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
