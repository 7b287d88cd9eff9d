// Fluid conservation of the CSF flow field, in both model types (design.md, "Physics in one
// place": fluid first, then drug). The flow is checked twice: the balance itself, cell by cell,
// and the rate matrix it builds — a drug at the same concentration everywhere must stay so,
// except where drug-free fluid enters (CSF production in the head, injected fluid at the tip).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "csfpk/io/data_paths.hpp"
#include "csfpk/models/compartment_model.hpp"
#include "csfpk/models/spinal_1d.hpp"
#include "csfpk/solve/simulate.hpp"
#include "io/model_loader.hpp"

using namespace csfpk;

namespace {

Drug inert() {
  Drug d;
  d.name = "inert";
  d.plasma_volume_mL = 5000.0;
  d.plasma_clearance_mL_per_h = 1000.0;
  return d;  // no meningeal or tissue loss: only the fluid moves it
}

CsfPhysiology default_physiology() {
  return load_physiology(models_directory() + "/physiology/csf.yaml");
}

// K(q, f)·x for x = c0·V in the CSF states.
Eigen::VectorXd rate_of_uniform(const LinearSystem& system, const std::vector<int>& csf_states,
                                double q, double f = 1.0) {
  Eigen::VectorXd x = Eigen::VectorXd::Zero(system.size());
  for (const int s : csf_states) x[s] = system.volume_mL[static_cast<std::size_t>(s)];  // c0 = 1
  return system.rates_at(q, f) * x;
}

}  // namespace

TEST_CASE("1D: the CSF flow closes the fluid balance in every cell and the pool to 1e-12",
          "[verification][fluid]") {
  const AnatomyFile file = load_anatomy(models_directory() + "/anatomy/adult.yaml");
  for (const bool graded : {false, true}) {
    Spinal1DSpec spec;
    spec.anatomy = file.anatomy;
    spec.physiology = default_physiology();
    spec.grid.cells = 180;
    spec.grid.graded = graded;
    spec.cord_tissue = false;
    spec.dispersion = DispersionTable{file.dispersion_cm2_per_h, file.dispersion_scale};
    const SpinalSystem model = build_spinal_system(spec, inert(), 18.0);
    const FluidBalance& f = model.fluid;
    REQUIRE(!f.prescribed);
    const double scale = spec.physiology.production_mL_per_h;
    for (const double q : {0.0, 0.5 / 24.0, 1.0, 60.0}) {  // none, pump, fast infusion, bolus
      const auto flow = [&](std::size_t j) {
        return f.face_flow[j] + q * f.face_flow_per_tip_flow[j];
      };
      double worst = 0.0;
      for (std::size_t i = 0; i < f.absorption.size(); ++i) {
        const double net = flow(i) - flow(i + 1) + q * f.tip_share[i] - f.absorption[i];
        worst = std::max(worst, std::abs(net));
      }
      const double pool = f.production + flow(f.absorption.size()) - (f.cranial_absorption + q);
      INFO((graded ? "graded" : "uniform") << " grid, q = " << q << " mL/h");
      CHECK(worst <= 1e-12 * scale);
      CHECK(std::abs(pool) <= 1e-12 * scale);
      CHECK(flow(0) == 0.0);  // closed sacral end
      // Spinal absorption is a quarter of production and comes down from the head.
      CHECK(flow(f.absorption.size()) ==
            Approx(q - 0.25 * spec.physiology.production_mL_per_h).epsilon(1e-12));

      const Eigen::VectorXd rate = rate_of_uniform(
          model.system,
          [&] {
            std::vector<int> states = model.system.profile_states;
            states.push_back(model.system.site_states.front());  // cranial pool
            return states;
          }(),
          q);
      double cells = 0.0;
      for (std::size_t i = 0; i < f.tip_share.size(); ++i) {
        cells = std::max(cells, std::abs(rate[static_cast<Eigen::Index>(i)] + q * f.tip_share[i]));
      }
      CHECK(cells <= 1e-12 * scale);
      CHECK(rate[model.system.site_states.front()] == Approx(-f.production).epsilon(1e-12));
    }
  }
}

TEST_CASE("four regions: the fluid chain closes the balance in every region to 1e-12",
          "[verification][fluid]") {
  CompartmentModelSpec spec =
      load_compartment_model(models_directory() + "/compartments/four_region.yaml");
  REQUIRE(spec.fluid);
  spec.fluid->physiology = default_physiology();
  const double production = spec.fluid->physiology.production_mL_per_h;
  for (const std::string catheter : {"lumbar", "thoracic", "cervical"}) {
    const LinearSystem system = build_compartment_system(spec, inert(), catheter);
    std::vector<int> csf(spec.compartments.size());
    for (std::size_t i = 0; i < csf.size(); ++i) csf[i] = static_cast<int>(i);
    for (const double q : {0.0, 0.5 / 24.0, 60.0}) {
      const Eigen::VectorXd rate = rate_of_uniform(system, csf, q);
      INFO("catheter in " << catheter << ", q = " << q << " mL/h");
      for (std::size_t i = 0; i + 1 < csf.size(); ++i) {
        const double dilution = spec.compartments[i].name == catheter ? -q : 0.0;
        CHECK(std::abs(rate[static_cast<Eigen::Index>(i)] - dilution) <= 1e-12 * production);
      }
      CHECK(rate[static_cast<Eigen::Index>(csf.size() - 1)] == Approx(-production).epsilon(1e-12));
    }
  }
}

TEST_CASE("circadian production: the flow still closes, and the interval means average to 1",
          "[verification][fluid]") {
  CsfPhysiology physiology = default_physiology();
  physiology.circadian = Circadian{0.56, 2.0};
  // Exact interval means: over a day they average to the mean production, and the hourly means
  // bracket the cosine's extremes.
  double day = 0.0;
  for (int h = 0; h < 24; ++h) day += physiology.circadian->mean_factor(h, h + 1);
  CHECK(day / 24.0 == Approx(1.0).epsilon(1e-12));
  CHECK(physiology.circadian->mean_factor(1.5, 2.5) == Approx(1.0 + 0.56 * 0.99714).epsilon(1e-4));
  CHECK(physiology.circadian->mean_factor(0.0, 24.0) == Approx(1.0).epsilon(1e-12));

  CompartmentModelSpec spec =
      load_compartment_model(models_directory() + "/compartments/four_region.yaml");
  spec.fluid->physiology = physiology;
  const LinearSystem system = build_compartment_system(spec, inert(), "lumbar");
  REQUIRE(system.has_circadian());
  std::vector<int> csf(spec.compartments.size());
  for (std::size_t i = 0; i < csf.size(); ++i) csf[i] = static_cast<int>(i);
  const double production = physiology.production_mL_per_h;
  for (const double f : {0.44, 1.0, 1.56}) {
    const Eigen::VectorXd rate = rate_of_uniform(system, csf, 0.5, f);
    INFO("production factor " << f);
    CHECK(std::abs(rate[0] + 0.5) <= 1e-12 * production);  // only the tip inflow dilutes
    for (std::size_t i = 1; i + 1 < csf.size(); ++i) {
      CHECK(std::abs(rate[static_cast<Eigen::Index>(i)]) <= 1e-12 * production);
    }
    CHECK(rate[static_cast<Eigen::Index>(csf.size() - 1)] ==
          Approx(-f * production).epsilon(1e-12));
  }

  const AnatomyFile file = load_anatomy(models_directory() + "/anatomy/adult.yaml");
  Spinal1DSpec line;
  line.anatomy = file.anatomy;
  line.physiology = physiology;
  line.grid.cells = 90;
  line.cord_tissue = false;
  line.dispersion = DispersionTable{file.dispersion_cm2_per_h, file.dispersion_scale};
  const SpinalSystem model = build_spinal_system(line, inert(), 18.0);
  REQUIRE(model.system.has_circadian());
  std::vector<int> states = model.system.profile_states;
  states.push_back(model.system.site_states.front());
  for (const double f : {0.44, 1.56}) {
    const Eigen::VectorXd rate = rate_of_uniform(model.system, states, 0.0, f);
    double cells = 0.0;
    for (const int i : model.system.profile_states) cells = std::max(cells, std::abs(rate[i]));
    CHECK(cells <= 1e-12 * production);
    CHECK(rate[model.system.site_states.front()] == Approx(-f * production).epsilon(1e-12));
  }
}

TEST_CASE("circadian production: CVODE matches the exact propagator and mass balance closes",
          "[verification][fluid]") {
  CompartmentModelSpec spec =
      load_compartment_model(models_directory() + "/compartments/four_region.yaml");
  spec.fluid->physiology = default_physiology();
  spec.fluid->physiology.circadian = Circadian{0.56, 2.0};
  Drug drug = inert();
  drug.meningeal_permeability_cm_per_h = 0.012;
  const LinearSystem system = build_compartment_system(spec, drug, "lumbar");
  PumpProgram program;
  program.basal.steps = {{0.0, 0.5 / 24.0}};
  program.periodic_boluses.push_back({0.05, 0.25, 8.0, 3.5, std::nullopt});  // not on the hour
  program.reservoir = {20.0, 20.0, {{"inert", 1000.0}}, 0.0, {}};
  const InfusionSchedule schedule = compile_schedule(program, 72.0);
  std::vector<double> times;
  for (double t = 0.0; t <= 72.0; t += 0.75) times.push_back(t);
  SolverOptions exact;
  exact.method = SolverMethod::kExact;
  SolverOptions cvode;
  cvode.relative_tolerance = 1e-10;
  cvode.absolute_tolerance_ug_per_mL = 1e-14;
  const DrugTrajectory a = simulate(system, schedule, times, exact);
  const DrugTrajectory b = simulate(system, schedule, times, cvode);
  CHECK(a.mass_balance_relative_error < 1e-9);
  CHECK(b.mass_balance_relative_error < 1e-9);
  const double scale = a.concentration_ug_per_mL.cwiseAbs().maxCoeff();
  CHECK((a.concentration_ug_per_mL - b.concentration_ug_per_mL).cwiseAbs().maxCoeff() <
        1e-6 * scale);
  // The swing is visible: cranial CSF on day 3 differs between 02:00 and 18:00.
  const auto cranial = a.concentration_ug_per_mL.row(3);
  const auto at = [&](double t) { return cranial(static_cast<Eigen::Index>(t / 0.75)); };
  CHECK(std::abs(at(66.0) - at(50.25)) > 0.01 * at(66.0));
}
