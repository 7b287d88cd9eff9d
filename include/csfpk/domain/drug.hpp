#pragma once
// A drug's transport and disposition parameters in internal units. Values come from
// models/drugs/<name>.yaml, each with its literature source, and may be overridden per scenario.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "csfpk/domain/clinical_rules.hpp"
#include "csfpk/domain/pump_program.hpp"

namespace csfpk {

// Peripheral compartment of a two-compartment plasma disposition.
struct PeripheralCompartment {
  double volume_mL = 0.0;
  double intercompartmental_clearance_mL_per_h = 0.0;
};

// What the epidural fat holds of the drug that crosses the meninges, released to blood slowly:
// the slow absorption phase of a lipophilic drug (bupivacaine: Burm 1988).
struct EpiduralDepot {
  double retained_fraction = 0.0;  // of the trans-meningeal flux, 0 to 1
  double release_per_h = 0.0;
};

struct Drug {
  std::string name;
  std::string description;
  // Lumped first-order loss from CSF to blood, 1/h: a one-compartment fit to lumbar samples
  // that already contains CSF turnover and upward transport. Only compartment models that ask
  // for it (`losses: rate: drug`, reference problem P1) use it; the physiological models never do.
  std::optional<double> csf_elimination_rate_per_h;
  // Trans-meningeal permeability (arachnoid, dura) from CSF into the epidural space and blood,
  // cm/h: the drug-specific loss across the wetted wall of the subarachnoid space.
  double meningeal_permeability_cm_per_h = 0.0;
  double plasma_volume_mL = 0.0;
  double plasma_clearance_mL_per_h = 0.0;
  std::optional<PeripheralCompartment> peripheral;
  // Unset: all that crosses the meninges reaches blood at once.
  std::optional<EpiduralDepot> epidural_depot;
  // First-order absorption into blood of drug injected under the skin (a pocket fill), 1/h;
  // unset when no source gives one, and a pocket fill of the drug is then refused.
  std::optional<double> subcutaneous_absorption_per_h;
  double molecular_diffusivity_cm2_per_h = 0.0;
  // Label and consensus limits, titration and stability rules (models/clinical/<name>.yaml);
  // unset for a drug without such a file (e.g. one defined in a scenario).
  std::optional<ClinicalRules> clinical;
  // Cord tissue exchange in the 1D model: permeability of the pia/cord surface (cm/h), the
  // tissue:CSF partition coefficient K_p, and first-order clearance from tissue to blood (1/h).
  double cord_permeability_cm_per_h = 0.0;
  double cord_partition = 1.0;
  double cord_clearance_per_h = 0.0;
  // CSF-equivalent concentration at which the drug acts on a cord segment (dermatome coverage).
  std::optional<double> effective_concentration_ug_per_mL;
  // Parameter name → literature source, for provenance and `csfpk drugs`.
  std::map<std::string, std::string> sources;
};

}  // namespace csfpk
