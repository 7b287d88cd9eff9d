#pragma once
// Cycle-averaged CSF fluid balance shared by every model (design.md, "Physics in one place"):
// CSF is produced in the head, absorbed partly in the head (arachnoid granulations) and partly
// along the spinal canal (nerve-root sleeves); the pump and injections add volume at the
// catheter tip. Values: models/physiology/csf.yaml, each with its source.
namespace csfpk {

struct CsfPhysiology {
  double production_mL_per_h = 21.0;         // choroid plexus and other cranial sources
  double spinal_absorption_fraction = 0.25;  // share of production absorbed along the canal
  // Injection-driven mixing: fluid entering at rate q through a catheter or needle stirs the
  // CSF around the tip, adding a dispersion D_inj = (q / A_tip)·ℓ·exp(−(x − tip)²/(2ℓ²)) while
  // it flows (docs/model.md). ℓ is the mixing length.
  double injection_mixing_length_cm = 3.0;

  double spinal_absorption_mL_per_h() const {
    return production_mL_per_h * spinal_absorption_fraction;
  }
  double cranial_absorption_mL_per_h() const {
    return production_mL_per_h - spinal_absorption_mL_per_h();
  }
};

}  // namespace csfpk
