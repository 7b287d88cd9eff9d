#pragma once
// The 1D advection–dispersion model of the spinal CSF (design.md, "Physics in one place"):
//
//   ∂(A c)/∂t + ∂/∂x [Q c − A D ∂c/∂x] = − q_abs c − P_m p c − P_t (c − c_t/K_p) + s(x, t)
//
// by finite volumes (method of lines) on a uniform or tip-graded grid, with a well-mixed cranial
// pool at x = L, one cord-tissue compartment per cord segment, and plasma. The net flow Q(x)
// follows from the CSF fluid balance dQ/dx = q_in − q_abs (production in the head, absorption
// split between the head and the canal, the pump's fluid entering at the tip), and D includes
// the mixing an injection causes around the tip. Every loss ends in plasma; plasma clears to the
// elimination sink. A prescribed velocity u(x) and uniform uptake k_b replace the fluid balance
// and the meningeal loss for reference problem P2.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "csfpk/core/table.hpp"
#include "csfpk/domain/anatomy.hpp"
#include "csfpk/domain/csf_physiology.hpp"
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
  double scale = 1.0;             // calibration multiplier of the shear term
  double mixing_cm2_per_h = 0.0;  // D_mix: roots, posture, respiration (calibrated)
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
  CsfPhysiology physiology;  // fluid balance, cranial absorption, injection mixing
  // Prescribed mean velocity u(x) (+ towards the head) instead of the fluid balance; the pool is
  // then cleared at `pool_clearance_mL_per_h` and the tip inflow moves no fluid.
  std::optional<LinearTable> velocity_cm_per_h;
  double pool_clearance_mL_per_h = 21.0;
  // Uniform first-order uptake k_b to plasma in every cell instead of the drug's meningeal
  // permeability (reference problem P2); the absorbed-CSF loss of the fluid balance stays.
  std::optional<double> uptake_per_h;
  double pool_volume_mL = 70.0;
  bool cord_tissue = true;
  double source_width_cm = 0.5;  // standard deviation of the Gaussian source at the tip
};

// D(x) for one drug (the oscillation law depends on its molecular diffusivity).
double dispersion_at(const DispersionModel& model, const Anatomy& anatomy, const Drug& drug,
                     double x_cm);

struct SpinalGrid {
  std::vector<double> faces_cm;    // N + 1
  std::vector<double> centres_cm;  // N
};

SpinalGrid make_grid(const Spinal1DSpec& spec, double tip_cm);

// Gaussian weights over cell centres (∝ exp(−(x_i − centre)²/(2σ²))·width_i), summing to 1.
InputTarget gaussian_input(const SpinalGrid& grid, double centre_cm, double sigma_cm,
                           int first_state);

// The cycle-averaged CSF flow on the grid, mL/h, as the sum of a part independent of the tip
// inflow q and a part per mL/h of q; + towards the head. Faces 0 … N (N opens into the pool).
struct FluidBalance {
  std::vector<double> face_flow;               // at q = 0
  std::vector<double> face_flow_per_tip_flow;  // ∂Q/∂q
  std::vector<double> absorption;              // spinal absorption per cell
  std::vector<double> tip_share;               // share of q entering each cell (sums to 1)
  double production = 0.0;                     // into the pool
  double cranial_absorption = 0.0;             // out of the pool at q = 0 (plus q itself)
  bool prescribed = false;                     // a prescribed u(x): no balance to close
};

struct SpinalSystem {
  LinearSystem system;
  SpinalGrid grid;
  FluidBalance fluid;
  std::vector<const CordSegment*> tissue_segments;  // those with a tissue compartment
};

// The flow field on `grid` for a tip inflow distributed like `tip` (mL/h): from the fluid
// balance, or from the prescribed velocity.
FluidBalance fluid_balance(const Spinal1DSpec& spec, const SpinalGrid& grid,
                           const InputTarget& tip);

// Wetted perimeter of the dural sac at x (cm): the circle holding the CSF and the cord.
double dural_perimeter_cm(const Anatomy& anatomy, double x_cm);

// Throws InputError for an inconsistent specification (tip outside the canal, too few cells).
SpinalSystem build_spinal_system(const Spinal1DSpec& spec, const Drug& drug, double tip_cm);

}  // namespace csfpk
