#include "csfpk/io/model_loader.hpp"

#include "csfpk/core/errors.hpp"
#include "csfpk/domain/vertebral_level.hpp"
#include "csfpk/io/yaml_node.hpp"

namespace csfpk {
namespace {

// "L1-S5": the top (cranial) and bottom (caudal) vertebral levels of a region.
void parse_levels(const YamlNode& node, CompartmentSpec& compartment) {
  const std::string text = node.text();
  const auto dash = text.find('-');
  const auto top = vertebral_level_index(text.substr(0, dash));
  const auto bottom = dash == std::string::npos ? top : vertebral_level_index(text.substr(dash + 1));
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
  root.allow_only({"name", "description", "compartments", "exchange", "flows", "losses", "catheter"});
  CompartmentModelSpec spec;
  spec.name = root.at("name").text();
  if (const auto d = root.find("description")) spec.description = d->text();
  for (const auto& item : root.at("compartments").items()) {
    item.allow_only({"name", "volume", "levels"});
    CompartmentSpec compartment;
    compartment.name = item.at("name").text();
    compartment.volume_mL = item.at("volume").positive_quantity(units::kVolume);
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
  spec.catheter_compartment = root.at("catheter").text();
  try {
    validate(spec);
  } catch (const InputError& e) {
    throw InputError(path, 0, "", e.what());
  }
  return spec;
}

}  // namespace csfpk
