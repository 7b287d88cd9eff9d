#include "io/model_loader.hpp"

#include <algorithm>

#include "csfpk/core/errors.hpp"
#include "csfpk/domain/vertebral_level.hpp"
#include "io/yaml_node.hpp"

namespace csfpk {
namespace {

// "L1-S5": the top (cranial) and bottom (caudal) vertebral levels of a region.
void parse_levels(const YamlNode& node, CompartmentSpec& compartment) {
  const std::string text = node.text();
  const auto dash = text.find('-');
  const auto top = vertebral_level_index(text.substr(0, dash));
  const auto bottom =
      dash == std::string::npos ? top : vertebral_level_index(text.substr(dash + 1));
  if (!top || !bottom || *top > *bottom) {
    node.fail("expected a vertebral level range from head to tail such as 'T1-T12', got '" + text +
              "'");
  }
  compartment.top_level = top;
  compartment.bottom_level = bottom;
}

std::vector<std::string> names_in(const YamlNode& node) {
  std::vector<std::string> names;
  if (node.is_sequence()) {
    for (const auto& item : node.items()) names.push_back(item.text());
  } else {
    names.push_back(node.text());
  }
  return names;
}

}  // namespace

CompartmentModelSpec load_compartment_model(const std::string& path) {
  const YamlNode root = YamlNode::load_file(path);
  root.allow_only(
      {"name", "description", "compartments", "exchange", "flows", "losses", "fluid", "catheter"});
  CompartmentModelSpec spec;
  spec.name = root.at("name").text();
  if (const auto d = root.find("description")) spec.description = d->text();
  for (const auto& item : root.at("compartments").items()) {
    item.allow_only({"name", "volume", "levels", "meningeal_area", "spinal_absorption"});
    CompartmentSpec compartment;
    compartment.name = item.at("name").text();
    compartment.volume_mL = item.at("volume").positive_quantity(units::kVolume);
    if (const auto area = item.find("meningeal_area")) {
      compartment.meningeal_area_cm2 = area->non_negative_quantity(units::kArea);
    }
    if (const auto share = item.find("spinal_absorption")) {
      compartment.spinal_absorption_share = share->non_negative_quantity(units::kDimensionless);
      if (compartment.spinal_absorption_share > 1.0) share->fail("expected a share from 0 to 1");
    }
    if (const auto levels = item.find("levels")) parse_levels(*levels, compartment);
    spec.compartments.push_back(compartment);
  }
  if (const auto exchange = root.find("exchange")) {
    for (const auto& item : exchange->items()) {
      item.allow_only({"between", "clearance"});
      const auto pair = item.at("between").items();
      if (pair.size() != 2) item.at("between").fail("expected two compartment names");
      spec.exchanges.push_back({pair[0].text(), pair[1].text(),
                                item.at("clearance").non_negative_quantity(units::kVolumeRate)});
    }
  }
  if (const auto flows = root.find("flows")) {
    for (const auto& item : flows->items()) {
      item.allow_only({"from", "to", "rate"});
      spec.flows.push_back({item.at("from").text(), item.at("to").text(),
                            item.at("rate").non_negative_quantity(units::kVolumeRate)});
    }
  }
  if (const auto losses = root.find("losses")) {
    for (const auto& item : losses->items()) {
      item.allow_only({"from", "rate"});
      const YamlNode rate = item.at("rate");
      std::optional<double> fixed;
      if (rate.text() != "drug") fixed = rate.non_negative_quantity(units::kRateConstant);
      for (const auto& from : names_in(item.at("from"))) spec.losses.push_back({from, fixed});
    }
  }
  if (const auto fluid = root.find("fluid")) {
    fluid->allow_only({"chain"});
    FluidChain chain;
    chain.chain = names_in(fluid->at("chain"));
    spec.fluid = chain;
  }
  spec.catheter_compartment = root.at("catheter").text();
  try {
    validate(spec);
  } catch (const InputError& e) {
    throw InputError(path, 0, "", e.what());
  }
  return spec;
}

}  // namespace csfpk

namespace csfpk {

LinearTable read_table(const YamlNode& node, units::Dimension value_dimension) {
  node.allow_only({"x", "value", "source"});
  const YamlNode xs_node = node.at("x");
  const YamlNode values_node = node.at("value");
  std::vector<double> xs;
  std::vector<double> values;
  for (const auto& x : xs_node.items()) {
    xs.push_back(x.non_negative_quantity(units::kLength));
    if (xs.size() > 1 && !(xs.back() > xs[xs.size() - 2])) x.fail("positions must increase");
  }
  for (const auto& v : values_node.items())
    values.push_back(v.non_negative_quantity(value_dimension));
  if (xs.empty()) xs_node.fail("needs at least one position");
  if (values.size() != xs.size()) {
    values_node.fail("has " + std::to_string(values.size()) + " values for " +
                     std::to_string(xs.size()) + " positions");
  }
  return LinearTable(std::move(xs), std::move(values));
}

AnatomyFile load_anatomy(const std::string& path) {
  const YamlNode root = YamlNode::load_file(path);
  root.allow_only({"name", "description", "canal_length", "csf_area", "cord_area", "levels",
                   "cord_segments", "default_transport"});
  AnatomyFile file;
  Anatomy& a = file.anatomy;
  a.name = root.at("name").text();
  const YamlNode length = root.at("canal_length");
  length.allow_only({"value", "source"});
  a.canal_length_cm = length.at("value").positive_quantity(units::kLength);
  a.csf_area_cm2 = read_table(root.at("csf_area"), units::kArea);
  for (const double area : a.csf_area_cm2.ys()) {
    if (!(area > 0.0)) root.at("csf_area").at("value").fail("CSF cross-sections must be positive");
  }
  a.cord_area_cm2 = read_table(root.at("cord_area"), units::kArea);
  const YamlNode levels = root.at("levels");
  levels.allow_only({"positions", "source"});
  for (const auto& [label, x] : levels.at("positions").entries()) {
    if (!vertebral_level_index(label)) x.fail("'" + label + "' is not a vertebral level");
    a.levels.push_back({label, x.non_negative_quantity(units::kLength)});
    if (a.levels.back().x_cm > a.canal_length_cm) x.fail("lies beyond the canal length");
  }
  std::sort(a.levels.begin(), a.levels.end(),
            [](const LevelPosition& l, const LevelPosition& r) { return l.x_cm < r.x_cm; });
  const YamlNode segments = root.at("cord_segments");
  segments.allow_only({"list", "source"});
  for (const auto& item : segments.at("list").items()) {
    item.allow_only({"segment", "from", "to", "dermatome"});
    CordSegment s{item.at("segment").text(), item.at("from").non_negative_quantity(units::kLength),
                  item.at("to").non_negative_quantity(units::kLength), item.at("dermatome").text()};
    if (!(s.top_cm > s.bottom_cm) || s.top_cm > a.canal_length_cm) {
      item.fail("a cord segment needs 'from' below 'to', within the canal");
    }
    a.segments.push_back(s);
  }
  std::sort(a.segments.begin(), a.segments.end(),
            [](const CordSegment& l, const CordSegment& r) { return l.bottom_cm < r.bottom_cm; });
  const YamlNode transport = root.at("default_transport");
  transport.allow_only({"dispersion", "dispersion_scale", "cranial_pool", "source"});
  file.dispersion_cm2_per_h = read_table(transport.at("dispersion"), units::kDiffusivity);
  if (const auto scale = transport.find("dispersion_scale")) {
    scale->allow_only({"value", "source"});
    scale->at("source");
    file.dispersion_scale = scale->at("value").positive_quantity(units::kDimensionless);
  }
  const YamlNode pool = transport.at("cranial_pool");
  pool.allow_only({"volume", "source"});
  file.pool_volume_mL = pool.at("volume").positive_quantity(units::kVolume);
  return file;
}

namespace {
void read_physiology_fields(const YamlNode& node, CsfPhysiology& physiology, bool with_sources) {
  const auto value = [&](const YamlNode& entry) {
    if (!with_sources) return entry;
    entry.allow_only({"value", "source"});
    entry.at("source");
    return entry.at("value");
  };
  if (const auto p = node.find("production")) {
    physiology.production_mL_per_h = value(*p).positive_quantity(units::kVolumeRate);
  }
  if (const auto f = node.find("spinal_absorption_fraction")) {
    const YamlNode v = value(*f);
    physiology.spinal_absorption_fraction = v.non_negative_quantity(units::kDimensionless);
    if (physiology.spinal_absorption_fraction > 1.0) v.fail("expected a fraction from 0 to 1");
  }
  if (const auto l = node.find("injection_mixing_length")) {
    physiology.injection_mixing_length_cm = value(*l).non_negative_quantity(units::kLength);
  }
  if (const auto c = node.find("circadian")) {
    // {amplitude: 0.56, peak: 2 h}: production swings by ±amplitude around its mean, highest at
    // `peak` hours after midnight; amplitude 0 turns the swing off.
    c->allow_only(with_sources ? std::vector<std::string>{"amplitude", "peak", "source"}
                               : std::vector<std::string>{"amplitude", "peak"});
    if (with_sources) c->at("source");
    Circadian circadian;
    const YamlNode amplitude = c->at("amplitude");
    circadian.amplitude = amplitude.non_negative_quantity(units::kDimensionless);
    if (circadian.amplitude > 1.0) amplitude.fail("expected an amplitude from 0 to 1");
    if (const auto peak = c->find("peak")) {
      circadian.peak_h = peak->non_negative_quantity(units::kTime);
      if (circadian.peak_h >= 24.0) peak->fail("expected a time of day, 0 h to 24 h");
    }
    if (circadian.amplitude > 0.0) {
      physiology.circadian = circadian;
    } else {
      physiology.circadian.reset();
    }
  }
}
}  // namespace

CsfPhysiology load_physiology(const std::string& path) {
  const YamlNode root = YamlNode::load_file(path);
  root.allow_only({"name", "description", "production", "spinal_absorption_fraction",
                   "injection_mixing_length", "circadian"});
  for (const char* required :
       {"production", "spinal_absorption_fraction", "injection_mixing_length"}) {
    root.at(required);
  }
  CsfPhysiology physiology;
  read_physiology_fields(root, physiology, true);
  return physiology;
}

void apply_physiology_overrides(const YamlNode& node, CsfPhysiology& physiology) {
  node.allow_only(
      {"production", "spinal_absorption_fraction", "injection_mixing_length", "circadian"});
  read_physiology_fields(node, physiology, false);
}

}  // namespace csfpk
