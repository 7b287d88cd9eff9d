#include "io/clinical_library.hpp"

#include "csfpk/core/units.hpp"

namespace csfpk {
namespace {

using namespace units;

// {value: QUANTITY, source: TEXT}: the value in internal units, its source required.
double sourced(const YamlNode& entry, Dimension dimension, std::string& source) {
  entry.allow_only({"value", "source"});
  source = entry.at("source").text();
  if (source.empty()) entry.at("source").fail("every clinical value needs its source");
  return entry.at("value").positive_quantity(dimension);
}

std::optional<TitrationRule> titration_rule(const YamlNode& node, const char* key,
                                            Dimension dimension) {
  const auto entry = node.find(key);
  if (!entry) return std::nullopt;
  TitrationRule rule;
  rule.value = sourced(*entry, dimension, rule.source);
  return rule;
}

TitrationRules parse_titration(const YamlNode& titration) {
  titration.allow_only({"start_max", "step_max", "step_max_fraction", "step_min_interval",
                        "target_max", "target_earliest"});
  TitrationRules t;
  t.start_max_ug_per_day = titration_rule(titration, "start_max", kMassRate);
  t.step_max_ug_per_day = titration_rule(titration, "step_max", kMassRate);
  t.step_max_fraction = titration_rule(titration, "step_max_fraction", kDimensionless);
  t.step_min_interval_h = titration_rule(titration, "step_min_interval", kTime);
  t.target_max_ug_per_day = titration_rule(titration, "target_max", kMassRate);
  t.target_earliest_h = titration_rule(titration, "target_earliest", kTime);
  for (auto* rule : {&t.start_max_ug_per_day, &t.step_max_ug_per_day, &t.target_max_ug_per_day}) {
    if (*rule) (*rule)->value *= 24.0;  // µg/h → µg per day
  }
  return t;
}

}  // namespace

ClinicalRules parse_clinical_rules(const YamlNode& root) {
  root.allow_only(
      {"drug", "dose_unit", "limits", "titration", "indications", "stability", "trial"});
  ClinicalRules rules;
  rules.drug = root.at("drug").text();
  if (const auto unit = root.find("dose_unit")) {
    rules.dose_unit = unit->text();
    if (rules.dose_unit != "mg" && rules.dose_unit != "ug") {
      unit->fail("expected mg or ug, got '" + rules.dose_unit + "'");
    }
  }
  if (const auto limits = root.find("limits")) {
    for (const YamlNode& item : limits->items()) {
      item.allow_only({"rule", "basis", "value", "advisory", "source"});
      DoseLimit limit;
      const YamlNode rule = item.at("rule");
      Dimension dimension = kConcentration;
      if (rule.text() == "max_concentration") {
        limit.kind = LimitKind::kMaxConcentration;
      } else if (rule.text() == "max_daily_dose") {
        limit.kind = LimitKind::kMaxDailyDose;
        dimension = kMassRate;
      } else if (rule.text() == "max_single_injection") {
        limit.kind = LimitKind::kMaxSingleInjection;
        dimension = kMass;
      } else {
        rule.fail("expected max_concentration, max_daily_dose or max_single_injection, got '" +
                  rule.text() + "'");
      }
      const YamlNode basis = item.at("basis");
      if (basis.text() == "label") {
        limit.basis = LimitBasis::kLabel;
      } else if (basis.text() == "consensus") {
        limit.basis = LimitBasis::kConsensus;
      } else {
        basis.fail("expected label or consensus, got '" + basis.text() + "'");
      }
      limit.value = item.at("value").positive_quantity(dimension);
      if (limit.kind == LimitKind::kMaxDailyDose) limit.value *= 24.0;  // µg/h → µg per day
      if (const auto advisory = item.find("advisory")) limit.advisory = advisory->boolean();
      limit.source = item.at("source").text();
      if (limit.source.empty()) item.at("source").fail("every limit needs its source");
      rules.limits.push_back(limit);
    }
  }
  if (const auto titration = root.find("titration")) {
    rules.titration = parse_titration(*titration);
  }
  if (const auto indications = root.find("indications")) {
    for (const auto& [name, variant] : indications->entries()) {
      variant.allow_only({"titration"});
      rules.indications[name] = parse_titration(variant.at("titration"));
    }
  }
  if (const auto stability = root.find("stability")) {
    TitrationRule rule;
    if (const auto undiluted = stability->find("undiluted")) {
      stability->allow_only({"value", "source", "undiluted"});
      undiluted->allow_only({"concentration", "value"});
      rules.undiluted_ug_per_mL = undiluted->at("concentration").positive_quantity(kConcentration);
      rules.undiluted_stability_h = undiluted->at("value").positive_quantity(kTime);
      rule.source = stability->at("source").text();
      if (rule.source.empty())
        stability->at("source").fail("every clinical value needs its source");
      rule.value = stability->at("value").positive_quantity(kTime);
    } else {
      rule.value = sourced(*stability, kTime, rule.source);
    }
    rules.stability_h = rule;
  }
  if (const auto trial = root.find("trial")) {
    trial->allow_only({"effect_threshold", "factor_if_shorter", "factor_if_longer", "source"});
    TrialRule rule;
    rule.effect_threshold_h = trial->at("effect_threshold").positive_quantity(kTime);
    rule.factor_if_shorter = trial->at("factor_if_shorter").positive_quantity(kDimensionless);
    rule.factor_if_longer = trial->at("factor_if_longer").positive_quantity(kDimensionless);
    rule.source = trial->at("source").text();
    if (rule.source.empty()) trial->at("source").fail("every clinical rule needs its source");
    rules.trial = rule;
  }
  return rules;
}

DeviceProfile parse_device(const YamlNode& root) {
  root.allow_only({"name", "description", "capacity", "low_alarm", "min_rate", "max_rate",
                   "accuracy", "mri", "catheter_volume"});
  DeviceProfile device;
  device.name = root.at("name").text();
  if (const auto d = root.find("description")) device.description = d->text();
  const auto read = [&](const char* key, Dimension dimension) -> std::optional<double> {
    const auto entry = root.find(key);
    if (!entry) return std::nullopt;
    return sourced(*entry, dimension, device.sources[key]);
  };
  (void)root.at("capacity");  // required
  device.capacity_mL = *read("capacity", kVolume);
  device.low_alarm_mL = read("low_alarm", kVolume).value_or(0.0);
  device.min_rate_mL_per_h = read("min_rate", kVolumeRate);
  device.max_rate_mL_per_h = read("max_rate", kVolumeRate);
  device.accuracy_fraction = read("accuracy", kDimensionless);
  device.catheter_volume_mL_per_cm = read("catheter_volume", kArea);  // mL/cm
  if (const auto mri = root.find("mri")) {
    mri->allow_only({"value", "source"});
    const YamlNode value = mri->at("value");
    if (value.text() == "stall") {
      device.mri = MriBehaviour::kStall;
    } else if (value.text() == "empty_first") {
      device.mri = MriBehaviour::kEmptyFirst;
    } else {
      value.fail("expected stall or empty_first, got '" + value.text() + "'");
    }
    device.sources["mri"] = mri->at("source").text();
  }
  if (device.low_alarm_mL >= device.capacity_mL) {
    root.at("low_alarm").fail("must be below the capacity");
  }
  return device;
}

}  // namespace csfpk
