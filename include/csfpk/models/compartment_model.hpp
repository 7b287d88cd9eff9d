#pragma once
// A compartmental CSF model as data (models/compartments/*.yaml): compartments with volumes,
// symmetric exchange clearances, and which compartment the catheter feeds; the bulk flows come
// from a CSF fluid balance along a chain of compartments (production in the cranial one,
// absorption shared along the spinal ones, the pump's fluid from the catheter to the head) and
// the drug leaves across each compartment's meningeal area. Explicit directed flows and lumped
// first-order losses remain for reference problem P1. Plasma disposition comes from each drug.
#include <optional>
#include <string>
#include <vector>

#include "csfpk/domain/csf_physiology.hpp"
#include "csfpk/domain/drug.hpp"
#include "csfpk/models/linear_system.hpp"

namespace csfpk {

struct CompartmentSpec {
  std::string name;
  double volume_mL = 0.0;
  // Vertebral level range the compartment spans (indices of vertebral_level_index, top ≤ bottom),
  // used to map a catheter tip level to a compartment; unset for e.g. the cranial pool.
  std::optional<int> top_level;
  std::optional<int> bottom_level;
  double meningeal_area_cm2 = 0.0;       // wetted arachnoid/dura through which drugs leave
  double spinal_absorption_share = 0.0;  // of the CSF absorbed along the canal
};

// The fluid balance: `chain` lists compartments from the sacral end to the head; CSF is made
// in the last one and flows down the chain to replace what each spinal compartment absorbs.
struct FluidChain {
  std::vector<std::string> chain;
  CsfPhysiology physiology;
};

// Symmetric exchange: flux CL·(c_a − c_b) from a to b.
struct ExchangeSpec {
  std::string a;
  std::string b;
  double clearance_mL_per_h = 0.0;
};

// Directed bulk flow carrying concentration: flux Q·c_from into `to` ("plasma" or a compartment).
struct FlowSpec {
  std::string from;
  std::string to;
  double flow_mL_per_h = 0.0;
};

// First-order loss k·V·c from a compartment to plasma; k is the drug's lumped CSF elimination
// rate (which it must then have) unless `rate_per_h` fixes it.
struct LossSpec {
  std::string from;
  std::optional<double> rate_per_h;
};

struct CompartmentModelSpec {
  std::string name;
  std::string description;
  std::vector<CompartmentSpec> compartments;
  std::vector<ExchangeSpec> exchanges;
  std::vector<FlowSpec> flows;
  std::vector<LossSpec> losses;
  std::optional<FluidChain> fluid;
  std::string catheter_compartment;

  const CompartmentSpec* find(const std::string& name) const;
  // The compartment spanning a vertebral level index, if any.
  const CompartmentSpec* compartment_at_level(int level_index) const;
};

// Checks names and values; throws InputError naming the model and the offending entry.
void validate(const CompartmentModelSpec& spec);

// One system per drug: the CSF compartments, plasma (one or two compartments from the drug)
// and the elimination sink; the catheter feeds `catheter_compartment`.
LinearSystem build_compartment_system(const CompartmentModelSpec& spec, const Drug& drug,
                                      const std::string& catheter_compartment);

}  // namespace csfpk
