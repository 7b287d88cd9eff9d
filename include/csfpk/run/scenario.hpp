#pragma once
// A scenario as the pipeline sees it: validated, in internal units, with no YAML in it. How it
// is read from a file lives in io/scenario_loader.hpp; how it becomes a solved run, in
// run/pipeline.hpp.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "csfpk/domain/device.hpp"
#include "csfpk/domain/drug.hpp"
#include "csfpk/domain/event_table.hpp"
#include "csfpk/domain/pump_program.hpp"
#include "csfpk/models/compartment_model.hpp"
#include "csfpk/models/spinal_1d.hpp"
#include "csfpk/solve/solver_options.hpp"

namespace csfpk {

// Between-patient multipliers (virtual populations), applied when the scenario is compiled:
// every CSF volume (and the meningeal areas with it), every drug's loss across the meninges
// (meningeal permeability, or the lumped rate and the 1D uptake where a model uses them) and,
// in the 1D model, the dispersion. Kept apart from the specs they scale so that a sweep can set
// them on a loaded scenario without reloading it.
struct Variability {
  double csf_volume_factor = 1.0;
  double csf_elimination_factor = 1.0;
  double dispersion_factor = 1.0;  // spinal_1d only
  static constexpr double kLeast = 0.01;
  static constexpr double kMost = 100.0;
};

// Thresholds the user sets for exposure flags on results (`flags:`); unset: no flag.
struct ExposureFlags {
  // CSF at the catheter tip above this (granuloma risk with opioids), µg/mL.
  std::optional<double> tip_concentration_ug_per_mL;
  // Mean cranial concentration over that of the same program with the catheter tip at a
  // lumbar reference (L2): respiratory-depression risk with opioids.
  std::optional<double> cranial_exposure_ratio;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string file;
  std::string text;  // the YAML after --set overrides, for provenance (empty for sweep runs)
  double duration_h = 0.0;
  // Exactly one model: compartmental (`model`, fed at `catheter_compartment`) or the 1D spinal
  // model (`spinal`, fed at `catheter_tip_cm`).
  CompartmentModelSpec model;
  std::string catheter_compartment;
  std::optional<Spinal1DSpec> spinal;
  double catheter_tip_cm = 0.0;
  std::optional<double> spread_threshold_ug_per_mL;
  std::map<std::string, Drug> drugs;  // every drug delivered, with scenario overrides applied
  Variability variability;
  PumpProgram program;
  // `dosing: {nmtran: FILE}`: the delivery given as an event table instead of a pump program
  // (then `program` delivers nothing).
  std::optional<EventTable> dosing;
  std::optional<DeviceProfile> device;  // `pump.device`: the implanted pump's profile
  ExposureFlags flags;
  // The patient's indication when a drug's titration rules depend on it (`indication:`, e.g.
  // cerebral_spasticity); empty: each drug's default rules.
  std::string indication;
  std::vector<double> output_times_h;
  SolverOptions solver;
};

// The scenario with its variability multipliers folded into the model and drug parameters (and
// the multipliers reset to 1): what the systems are built from.
Scenario apply_variability(Scenario scenario);

// What the scenario delivers over its run: its event table (`dosing`) or its compiled pump
// program.
InfusionSchedule delivery_schedule(const Scenario& scenario);

}  // namespace csfpk
