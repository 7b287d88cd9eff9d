#pragma once
// Factors applied to a loaded scenario in memory, without YAML: the common population factors
// (variability multipliers, library drugs' numeric parameters). Each is resolved once per sweep
// from its path. A setter that cannot apply a value (out of range, wrong unit) returns false and
// the run goes through ScenarioTemplate::with instead, so every error reads exactly as
// `csfpk run --set` gives it.
#include <functional>
#include <optional>
#include <string_view>

#include "csfpk/batch/sweep_spec.hpp"
#include "csfpk/io/scenario_loader.hpp"

namespace csfpk::batch {

// Applies a factor's value (text with its unit, as in an override) to a scenario.
using DirectSetter = std::function<bool(Scenario& scenario, std::string_view value)>;

// The direct setter for `factor` on scenarios made from `base`, or nullopt when its path is not
// one that can be set directly (it then goes through YAML).
std::optional<DirectSetter> direct_setter(const Factor& factor, const ScenarioTemplate& base);

}  // namespace csfpk::batch
