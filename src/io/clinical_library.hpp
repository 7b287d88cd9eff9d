#pragma once
// Parsing of models/clinical/<drug>.yaml (limits, titration and stability rules) and
// models/devices/<name>.yaml (pump profiles). Every value must come with its source.
#include "csfpk/domain/clinical_rules.hpp"
#include "csfpk/domain/device.hpp"
#include "io/yaml_node.hpp"

namespace csfpk {

ClinicalRules parse_clinical_rules(const YamlNode& root);
DeviceProfile parse_device(const YamlNode& root);

}  // namespace csfpk
