#pragma once
// Drug files and scenario drug entries from YAML (internal to the io layer and its tests).
#include "csfpk/domain/drug.hpp"
#include "io/yaml_node.hpp"

namespace csfpk {

// Reads one drug file; used by the library and by tests.
Drug parse_drug(const YamlNode& root);

// A drug defined in a scenario (a tracer, a new compound): the same fields as a drug file's
// parameters, values with units and no sources; the required ones must all be given.
Drug parse_inline_drug(const std::string& name, const YamlNode& values);

// Applies a scenario's `drugs.<name>` overrides (same field names as the drug files, values
// without sources).
void apply_drug_overrides(Drug& drug, const YamlNode& overrides);

}  // namespace csfpk
