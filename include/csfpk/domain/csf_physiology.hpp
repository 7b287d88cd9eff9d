#pragma once
// Cycle-averaged CSF fluid balance shared by every model (design.md, "Physics in one place"):
// CSF is produced in the head, absorbed partly in the head (arachnoid granulations) and partly
// along the spinal canal (nerve-root sleeves); the pump and injections add volume at the
// catheter tip. Values: models/physiology/csf.yaml, each with its source.
#include <cmath>
#include <numbers>
#include <optional>

namespace csfpk {

// Daily swing of CSF production, P(t) = P̄·(1 + a·cos(2π(t − t_peak)/24 h)), t in hours from
// midnight of day 0. The solvers hold P constant between breakpoints (every hour at least) at its
// exact mean over the interval.
struct Circadian {
  double amplitude = 0.0;  // a, 0 … 1
  double peak_h = 2.0;     // time of day of the maximum

  // Mean of P/P̄ over [t0, t1].
  double mean_factor(double t0_h, double t1_h) const {
    const double w = 2.0 * std::numbers::pi / 24.0;
    if (!(t1_h > t0_h)) return 1.0 + amplitude * std::cos(w * (t0_h - peak_h));
    return 1.0 + amplitude * (std::sin(w * (t1_h - peak_h)) - std::sin(w * (t0_h - peak_h))) /
                     (w * (t1_h - t0_h));
  }
};

struct CsfPhysiology {
  double production_mL_per_h = 21.0;         // choroid plexus and other cranial sources
  double spinal_absorption_fraction = 0.25;  // share of production absorbed along the canal
  // Injection-driven mixing: fluid entering at rate q through a catheter or needle stirs the
  // CSF around the tip, adding a dispersion D_inj = (q / A_tip)·ℓ·exp(−(x − tip)²/(2ℓ²)) while
  // it flows (docs/model.md). ℓ is the mixing length.
  double injection_mixing_length_cm = 3.0;
  std::optional<Circadian> circadian;  // unset: constant production

  double spinal_absorption_mL_per_h() const {
    return production_mL_per_h * spinal_absorption_fraction;
  }
  double cranial_absorption_mL_per_h() const {
    return production_mL_per_h - spinal_absorption_mL_per_h();
  }
};

}  // namespace csfpk
