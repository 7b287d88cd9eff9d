#pragma once
// The 1D advection–dispersion model of the spinal CSF (design.md, "Physics in one place"):
//
//   ∂(A c)/∂t + ∂/∂x [A u c − A D ∂c/∂x] = − A k_b c − P_t (c − c_t/K_p) + s(x, t)
//
// by finite volumes (method of lines) on a uniform or tip-graded grid, with a well-mixed cranial
// pool at x = L drained by bulk absorption, one cord-tissue compartment per cord segment, and
// plasma. Every loss ends in plasma; plasma clears to the elimination sink.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "csfpk/core/table.hpp"
#include "csfpk/domain/anatomy.hpp"
#include "csfpk/domain/drug.hpp"
#include "csfpk/models/linear_system.hpp"

namespace csfpk {

enum class AdvectionScheme {
  kUpwind,   // first order, linear: the exact system of reference problem P2
  kLimited,  // second order, van Leer limited slopes (nonlinear)
};

struct GridSpec {
  int cells = 200;
  // Graded grid: cell density 1 + (refinement − 1)·exp(−(x − tip)²/(2 w²)), w = refinement
  // width, so cells near the tip are up to `refinement` times narrower.
  bool graded = false;
  double refinement = 3.0;
  double refinement_width_cm = 8.0;
};

// Shear dispersion of the oscillating CSF (docs/model.md): with X = V_s/(2A) the displacement
// amplitude of a stroke volume V_s, half-gap h, Womersley number α = h√(ω/ν):
//   D_shear = D_m (X/h)² (1.5 + α/(2√2)),
// which recovers Watson's limits 1.5·D_m(X/h)² for α ≪ 1 and D_m X²/(2δh) for α ≫ 1.
struct Oscillation {
  LinearTable stroke_volume_mL;  // peak-to-peak volume displaced through the section, by x
  double angular_frequency_per_h = 0.0;
};

struct OscillationLaw {
  std::vector<Oscillation> oscillations;  // cardiac, and optionally respiratory
  LinearTable half_gap_cm;                // half the cord–dura gap, by x
  double kinematic_viscosity_cm2_per_h = 0.007 * 3600.0;
  double scale = 1.0;                  // calibration multiplier of the shear term
  double mixing_cm2_per_h = 0.0;       // D_mix: roots, posture, respiration (calibrated)
};

struct DispersionTable {
  LinearTable dispersion_cm2_per_h;
  double scale = 1.0;
};

using DispersionModel = std::variant<DispersionTable, OscillationLaw>;

struct Spinal1DSpec {
  Anatomy anatomy;
  GridSpec grid;
  AdvectionScheme scheme = AdvectionScheme::kUpwind;
  DispersionModel dispersion;
  LinearTable velocity_cm_per_h = LinearTable::constant(0.0);  // u(x), + towards the head
  std::optional<double> uptake_per_h;  // k_b; the drug's CSF elimination rate when unset
  double pool_volume_mL = 70.0;
  double pool_clearance_mL_per_h = 21.0;
  bool cord_tissue = true;
  double source_width_cm = 0.5;  // standard deviation of the Gaussian source at the tip
};

// D(x) for one drug (the oscillation law depends on its molecular diffusivity).
double dispersion_at(const DispersionModel& model, const Anatomy& anatomy, const Drug& drug, double x_cm);

struct SpinalGrid {
  std::vector<double> faces_cm;    // N + 1
  std::vector<double> centres_cm;  // N
};

SpinalGrid make_grid(const Spinal1DSpec& spec, double tip_cm);

// Gaussian weights over cell centres (∝ exp(−(x_i − centre)²/(2σ²))·width_i), summing to 1.
InputTarget gaussian_input(const SpinalGrid& grid, double centre_cm, double sigma_cm,
                           int first_state);

struct SpinalSystem {
  LinearSystem system;
  SpinalGrid grid;
  std::vector<const CordSegment*> tissue_segments;  // those with a tissue compartment
};

// Throws InputError for an inconsistent specification (tip outside the canal, too few cells).
SpinalSystem build_spinal_system(const Spinal1DSpec& spec, const Drug& drug, double tip_cm);

}  // namespace csfpk
