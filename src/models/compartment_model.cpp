#include "csfpk/models/compartment_model.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "csfpk/core/errors.hpp"

namespace csfpk {

const CompartmentSpec* CompartmentModelSpec::find(const std::string& wanted) const {
  for (const auto& c : compartments) {
    if (c.name == wanted) return &c;
  }
  return nullptr;
}

const CompartmentSpec* CompartmentModelSpec::compartment_at_level(int level_index) const {
  for (const auto& c : compartments) {
    if (c.top_level && c.bottom_level && *c.top_level <= level_index &&
        level_index <= *c.bottom_level) {
      return &c;
    }
  }
  return nullptr;
}

namespace {
[[noreturn]] void model_error(const CompartmentModelSpec& spec, const std::string& message) {
  throw InputError("compartment model '" + spec.name + "': " + message);
}
bool positive_finite(double v) {
  return std::isfinite(v) && v > 0.0;
}
}  // namespace

void validate(const CompartmentModelSpec& spec) {
  if (spec.compartments.empty()) model_error(spec, "has no compartments");
  std::set<std::string> names;
  for (const auto& c : spec.compartments) {
    if (c.name == "plasma") model_error(spec, "'plasma' is reserved for the plasma compartment");
    if (!names.insert(c.name).second) model_error(spec, "compartment '" + c.name + "' twice");
    if (!positive_finite(c.volume_mL)) {
      model_error(spec, "compartment '" + c.name + "' needs a positive volume");
    }
  }
  const auto known = [&](const std::string& n) { return names.count(n) > 0; };
  for (const auto& e : spec.exchanges) {
    if (!known(e.a) || !known(e.b) || e.a == e.b) {
      model_error(spec, "exchange between '" + e.a + "' and '" + e.b +
                            "' must join two different compartments");
    }
    if (!(e.clearance_mL_per_h >= 0.0) || !std::isfinite(e.clearance_mL_per_h)) {
      model_error(spec, "exchange clearance must be zero or positive");
    }
  }
  for (const auto& f : spec.flows) {
    if (!known(f.from) || (!known(f.to) && f.to != "plasma") || f.from == f.to) {
      model_error(spec, "flow from '" + f.from + "' to '" + f.to +
                            "' must leave a compartment for another one or for plasma");
    }
    if (!(f.flow_mL_per_h >= 0.0) || !std::isfinite(f.flow_mL_per_h)) {
      model_error(spec, "flow must be zero or positive");
    }
  }
  for (const auto& l : spec.losses) {
    if (!known(l.from)) model_error(spec, "loss from unknown compartment '" + l.from + "'");
    if (l.rate_per_h && (!(*l.rate_per_h >= 0.0) || !std::isfinite(*l.rate_per_h))) {
      model_error(spec, "loss rate must be zero or positive");
    }
  }
  for (const auto& c : spec.compartments) {
    if (!(c.meningeal_area_cm2 >= 0.0) || !std::isfinite(c.meningeal_area_cm2)) {
      model_error(spec, "compartment '" + c.name + "' needs a meningeal area of zero or more");
    }
  }
  if (spec.fluid) {
    std::set<std::string> in_chain;
    for (const auto& name : spec.fluid->chain) {
      if (!known(name)) model_error(spec, "fluid chain names unknown compartment '" + name + "'");
      if (!in_chain.insert(name).second)
        model_error(spec, "fluid chain lists '" + name + "' twice");
    }
    if (spec.fluid->chain.size() < 2)
      model_error(spec, "a fluid chain needs at least two compartments");
    if (!spec.flows.empty() || !spec.losses.empty()) {
      model_error(spec,
                  "a fluid chain sets the bulk flows and the drug leaves across the meningeal "
                  "areas; explicit flows and lumped losses belong to models without one");
    }
    if (in_chain.count(spec.catheter_compartment) == 0) {
      model_error(spec, "the catheter compartment '" + spec.catheter_compartment +
                            "' is not on the fluid chain");
    }
    double shares = 0.0;
    for (const auto& c : spec.compartments) {
      if (!(c.spinal_absorption_share >= 0.0 && c.spinal_absorption_share <= 1.0)) {
        model_error(spec, "compartment '" + c.name + "': spinal absorption share must be 0 to 1");
      }
      if (c.spinal_absorption_share > 0.0 &&
          (in_chain.count(c.name) == 0 || c.name == spec.fluid->chain.back())) {
        model_error(spec, "compartment '" + c.name +
                              "' absorbs spinal CSF but is not a spinal link of the fluid chain");
      }
      shares += c.spinal_absorption_share;
    }
    if (std::abs(shares - 1.0) > 1e-9) {
      model_error(spec, "spinal absorption shares must add up to 1, they add up to " +
                            std::to_string(shares));
    }
  }
  if (!known(spec.catheter_compartment)) {
    model_error(spec, "catheter compartment '" + spec.catheter_compartment + "' is not defined");
  }
}

LinearSystem build_compartment_system(const CompartmentModelSpec& spec, const Drug& drug,
                                      const std::string& catheter_compartment) {
  LinearSystem sys;
  sys.drug = drug.name;
  std::map<std::string, int> index;
  for (const auto& c : spec.compartments) index[c.name] = sys.add_state(c.name, c.volume_mL);
  const DispositionStates disposition = add_disposition_states(sys, drug);
  index["plasma"] = sys.plasma_state;

  const auto it = index.find(catheter_compartment);
  if (it == index.end() || it->second == sys.plasma_state) {
    throw InputError("catheter compartment '" + catheter_compartment +
                     "' is not a CSF compartment");
  }
  sys.catheter_input = {{it->second}, {1.0}};

  RateMatrixBuilder rates;
  const auto transfer = [&](int from, int to, double per_hour) {
    rates.transfer(from, to, per_hour);
  };
  const auto volume = [&](int s) { return sys.volume_mL[static_cast<std::size_t>(s)]; };
  for (const auto& e : spec.exchanges) {
    const int a = index.at(e.a);
    const int b = index.at(e.b);
    transfer(a, b, e.clearance_mL_per_h / volume(a));
    transfer(b, a, e.clearance_mL_per_h / volume(b));
  }
  for (const auto& f : spec.flows) {
    const int from = index.at(f.from);
    transfer(from, index.at(f.to), f.flow_mL_per_h / volume(from));
  }
  for (const auto& l : spec.losses) {
    if (!l.rate_per_h && !drug.csf_elimination_rate_per_h) {
      throw InputError("compartment model '" + spec.name +
                       "' needs the lumped csf_elimination_rate of '" + drug.name +
                       "', which it does not have: give it under drugs." + drug.name);
    }
    transfer(index.at(l.from), sys.plasma_state,
             l.rate_per_h.value_or(drug.csf_elimination_rate_per_h.value_or(0.0)));
  }
  for (const auto& c : spec.compartments) {
    const int s = index.at(c.name);
    add_meningeal_loss(rates, sys, drug, disposition, s,
                       drug.meningeal_permeability_cm_per_h * c.meningeal_area_cm2 / volume(s));
  }
  if (spec.fluid) {
    // CSF made in the head flows down the chain to where it is absorbed: the flow into link i
    // from link i + 1 replaces what links 0 … i absorb. The tip inflow q climbs from the
    // catheter's link to the head and leaves with the cranial absorption.
    RateMatrixBuilder flow_rates;        // K_q, per mL/h of tip inflow
    RateMatrixBuilder production_rates;  // K_P, what CSF production drives (also in K)
    const auto both = [&](int from, int to, double per_hour) {
      transfer(from, to, per_hour);
      production_rates.transfer(from, to, per_hour);
    };
    const auto& chain = spec.fluid->chain;
    const double spinal = spec.fluid->physiology.spinal_absorption_mL_per_h();
    double absorbed_below = 0.0;
    const auto catheter_in_chain = std::find(chain.begin(), chain.end(), catheter_compartment);
    if (catheter_in_chain == chain.end()) {
      throw InputError("catheter compartment '" + catheter_compartment +
                       "' is not on the fluid chain of '" + spec.name + "'");
    }
    const auto catheter_link = static_cast<std::size_t>(catheter_in_chain - chain.begin());
    for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
      const int link = index.at(chain[i]);
      const int next = index.at(chain[i + 1]);
      const double absorbed = spinal * spec.find(chain[i])->spinal_absorption_share;
      both(link, sys.plasma_state, absorbed / volume(link));
      absorbed_below += absorbed;
      both(next, link, absorbed_below / volume(next));
      if (i >= catheter_link) flow_rates.transfer(link, next, 1.0 / volume(link));
    }
    const int head = index.at(chain.back());
    both(head, sys.plasma_state,
         spec.fluid->physiology.cranial_absorption_mL_per_h() / volume(head));
    flow_rates.transfer(head, sys.plasma_state, 1.0 / volume(head));
    sys.tip_flow_rates = flow_rates.build(sys.size());
    sys.production_rates = production_rates.build(sys.size());
    sys.circadian = spec.fluid->physiology.circadian;
  }
  add_disposition_transfers(rates, sys, drug, disposition);
  sys.rates = rates.build(sys.size());

  for (const auto& c : spec.compartments) {
    sys.site_states.push_back(index.at(c.name));
    sys.site_names.push_back(c.name);
    sys.site_inputs[c.name] = {{index.at(c.name)}, {1.0}};
  }
  sys.site_states.push_back(sys.plasma_state);
  sys.site_names.emplace_back("plasma");
  return sys;
}

}  // namespace csfpk
