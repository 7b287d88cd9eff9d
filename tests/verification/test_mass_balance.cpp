// Mass balance, delivered = in body + eliminated, for every compartment model in models/ and
// every drug in the library, under a program that exercises boluses, refills and faults.
#include <catch2/catch.hpp>
#include <filesystem>

#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/drug_library.hpp"
#include "csfpk/solve/simulate.hpp"
#include "io/model_loader.hpp"

using namespace csfpk;

TEST_CASE("mass balance closes to 1e-9 in every model for every drug",
          "[verification][mass-balance]") {
  const DrugLibrary library = DrugLibrary::load(models_directory());
  std::vector<std::string> model_files;
  for (const auto& e : std::filesystem::directory_iterator(models_directory() + "/compartments")) {
    model_files.push_back(e.path().string());
  }
  REQUIRE(!model_files.empty());
  std::vector<double> times;
  for (double t = 0; t <= 240.0; t += 0.5) times.push_back(t);
  for (const auto& file : model_files) {
    const CompartmentModelSpec spec = load_compartment_model(file);
    for (const auto& [name, library_drug] : library.all()) {
      Drug drug = library_drug;
      // Reference problem P1's model asks for a lumped loss rate, which the library drugs no
      // longer carry (it is a fit to lumbar samples, not a mechanism).
      if (!drug.csf_elimination_rate_per_h) drug.csf_elimination_rate_per_h = 0.3;
      PumpProgram p;
      p.basal.steps = {{0.0, 0.02}, {8.0, 0.03}};
      p.periodic_boluses.push_back({0.05, 0.25, 12.0, 1.0, std::nullopt});
      p.one_off_boluses.push_back({30.0, 0.1, 0.0});
      p.reservoir = {5.0, 3.0, {{name, 100.0}}, 1.0, {{150.0, 5.0, Blend{{name, 50.0}}}}};
      p.catheter.dead_volume_mL = 0.1;
      p.faults.push_back({FaultKind::kDisconnection, 200.0, 210.0});
      p.direct_injections.push_back({5.0, 0.0, {{name, 40.0}}, spec.compartments.back().name});
      const InfusionSchedule schedule = compile_schedule(p, 240.0);
      const LinearSystem system = build_compartment_system(spec, drug, spec.catheter_compartment);
      for (const auto method : {SolverMethod::kCvode, SolverMethod::kExact}) {
        SolverOptions options;
        options.method = method;
        const DrugTrajectory result = simulate(system, schedule, times, options);
        INFO(spec.name << " / " << name << " / method " << static_cast<int>(method));
        CHECK(result.delivered_ug.back() > 0.0);
        CHECK(result.mass_balance_relative_error < 1e-9);
      }
    }
  }
}
