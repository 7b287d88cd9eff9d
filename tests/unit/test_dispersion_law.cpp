// The shear-dispersion law of the oscillating CSF (docs/model.md) against Watson's limits.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include "csfpk/models/spinal_1d.hpp"

using namespace csfpk;

namespace {
Anatomy uniform_canal(double area) {
  Anatomy a;
  a.canal_length_cm = 60.0;
  a.csf_area_cm2 = LinearTable::constant(area);
  a.cord_area_cm2 = LinearTable::constant(0.0);
  return a;
}
}  // namespace

TEST_CASE("dispersion law: parabolic limit 1.5·D_m·(X/h)² for a slow oscillation", "[dispersion]") {
  const Anatomy canal = uniform_canal(1.0);
  Drug drug;
  drug.molecular_diffusivity_cm2_per_h = 0.027;  // morphine, 7.6e-6 cm²/s
  OscillationLaw law;
  const double stroke = 0.4;  // mL peak to peak → X = 0.2 cm
  law.half_gap_cm = LinearTable::constant(0.2);
  // α = h√(ω/ν) = 1e-3: the profile is parabolic.
  const double omega = 1e-6 * law.kinematic_viscosity_cm2_per_h / (0.2 * 0.2);
  law.oscillations.push_back({LinearTable::constant(stroke), omega});
  const double d = dispersion_at(law, canal, drug, 30.0);
  CHECK(d - drug.molecular_diffusivity_cm2_per_h == Approx(1.5 * 0.027 * 1.0).epsilon(1e-3));
}

TEST_CASE("dispersion law: Stokes-layer limit D_m·X²/(2δh) for a fast oscillation",
          "[dispersion]") {
  const Anatomy canal = uniform_canal(1.2);
  Drug drug;
  drug.molecular_diffusivity_cm2_per_h = 0.018;
  OscillationLaw law;
  const double h = 0.25, stroke = 1.2;  // X = 0.5 cm
  law.half_gap_cm = LinearTable::constant(h);
  const double omega = 1e6 * law.kinematic_viscosity_cm2_per_h / (h * h);  // α = 1000
  law.oscillations.push_back({LinearTable::constant(stroke), omega});
  const double x_amp = 0.5 * stroke / 1.2;
  const double delta = std::sqrt(2.0 * law.kinematic_viscosity_cm2_per_h / omega);
  const double expected = drug.molecular_diffusivity_cm2_per_h * x_amp * x_amp / (2.0 * delta * h);
  // The interpolation carries the parabolic term 1.5·D_m(X/h)² along, a relative O(1/α) = 0.4 %.
  CHECK(dispersion_at(law, canal, drug, 10.0) - drug.molecular_diffusivity_cm2_per_h ==
        Approx(expected).epsilon(1e-2));
}

TEST_CASE("dispersion law: scale, mixing and a second (respiratory) oscillation add up",
          "[dispersion]") {
  const Anatomy canal = uniform_canal(1.0);
  Drug drug;
  drug.molecular_diffusivity_cm2_per_h = 0.03;
  OscillationLaw cardiac_only;
  cardiac_only.half_gap_cm = LinearTable::constant(0.2);
  cardiac_only.oscillations.push_back({LinearTable::constant(0.6), 2 * std::numbers::pi * 4200.0});
  const double shear = dispersion_at(cardiac_only, canal, drug, 5.0) - 0.03;
  CHECK(shear > 0.0);
  OscillationLaw both = cardiac_only;
  both.oscillations.push_back({LinearTable::constant(0.6), 2 * std::numbers::pi * 900.0});
  both.scale = 3.0;
  both.mixing_cm2_per_h = 10.0;
  const double with_breathing = dispersion_at(both, canal, drug, 5.0);
  CHECK(with_breathing > 0.03 + 3.0 * shear + 10.0);
  // Table dispersion is scaled as given.
  const DispersionModel table = DispersionTable{LinearTable({0.0, 60.0}, {10.0, 70.0}), 2.0};
  CHECK(dispersion_at(table, canal, drug, 30.0) == Approx(80.0));
}
