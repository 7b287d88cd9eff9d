#include "csfpk/models/compartment_model.hpp"

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
bool positive_finite(double v) { return std::isfinite(v) && v > 0.0; }
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
    throw InputError("catheter compartment '" + catheter_compartment + "' is not a CSF compartment");
  }
  sys.catheter_input = {{it->second}, {1.0}};

  RateMatrixBuilder rates;
  const auto transfer = [&](int from, int to, double per_hour) { rates.transfer(from, to, per_hour); };
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
    transfer(index.at(l.from), sys.plasma_state, l.rate_per_h.value_or(drug.csf_elimination_rate_per_h));
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
