// Fluid conservation of the CSF flow field, in both model types (design.md, "Physics in one
// place": fluid first, then drug). The flow is checked twice: the balance itself, cell by cell,
// and the rate matrix it builds — a drug at the same concentration everywhere must stay so,
// except where drug-free fluid enters (CSF production in the head, injected fluid at the tip).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/model_loader.hpp"
#include "csfpk/models/compartment_model.hpp"
#include "csfpk/models/spinal_1d.hpp"

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

// K(q)·x for x = c0·V in the CSF states.
Eigen::VectorXd rate_of_uniform(const LinearSystem& system, const std::vector<int>& csf_states,
                                double q) {
  Eigen::VectorXd x = Eigen::VectorXd::Zero(system.size());
  for (const int s : csf_states) x[s] = system.volume_mL[static_cast<std::size_t>(s)];  // c0 = 1
  return system.rates_at(q) * x;
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
