// Clinical limits, device profiles, planners and flags (models/clinical/, models/devices/).
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>

#include "csfpk/core/errors.hpp"
#include "csfpk/io/model_library.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/run/clinical_checks.hpp"
#include "csfpk/run/pipeline.hpp"
#include "csfpk/run/planners.hpp"

using namespace csfpk;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

const std::string kModels = std::string(CSFPK_SOURCE_DIR) + "/models";
const std::string kData = std::string(CSFPK_SOURCE_DIR) + "/tests/unit/data";

std::shared_ptr<const ModelLibrary> library() {
  static const auto shared = std::make_shared<const ModelLibrary>(kModels);
  return shared;
}

Scenario scenario(const std::string& text) {
  return ScenarioTemplate::from_text(text, "test.yaml", kData, {}, library()).base();
}

std::vector<ClinicalFinding> findings(const Scenario& s) {
  return clinical_findings(s, compile_schedule(s.program, s.duration_h));
}

std::string all_text(const std::vector<ClinicalFinding>& list) {
  std::string out;
  for (const ClinicalFinding& f : list) out += to_string(f.kind) + " | " + f.text() + "\n";
  return out;
}

bool any_of_kind(const std::vector<ClinicalFinding>& list, FindingKind kind) {
  return std::any_of(list.begin(), list.end(),
                     [&](const ClinicalFinding& f) { return f.kind == kind; });
}

}  // namespace

TEST_CASE("a refill at double the concentration with half the rate is not a higher dose") {
  // 10 mg/mL at 1 mL/day (10 mg/day), then 20 mg/mL at 0.5 mL/day: still 10 mg/day.
  const Scenario s = scenario(R"(
name: concentration change
duration: 60 day
model: {compartments: four_region}
pump:
  reservoir: {capacity: 40 mL, volume: 40 mL, blend: {morphine: 10 mg/mL}}
  basal: 1 mL/day
  basal_changes: [{at: 30 day, basal: 0.5 mL/day}]
  refills: [{at: 30 day, volume: 40 mL, blend: {morphine: 20 mg/mL}}]
output: {interval: 6 h}
)");
  const auto list = findings(s);
  INFO(all_text(list));
  CHECK(list.empty());
  const double daily =
      largest_daily_dose_ug(s, compile_schedule(s.program, s.duration_h), "morphine");
  CHECK(daily == Approx(10000.0).epsilon(0.01));
}

TEST_CASE("a 20 mg intrathecal morphine injection breaks the label's single-dose maximum") {
  const Scenario s = scenario(R"(
name: lumbar puncture
duration: 1 day
model: {compartments: four_region}
injections:
  - {at: 0 h, site: lumbar, dose: {morphine: 20 mg}}
output: {interval: 1 h}
)");
  const auto list = findings(s);
  INFO(all_text(list));
  REQUIRE(any_of_kind(list, FindingKind::kLabelMaximum));
  CHECK_THAT(all_text(list), Contains("injection of 20 mg at 0 h is above the label maximum for a "
                                      "single intrathecal dose, 1 mg"));
  const auto strict = std::find_if(list.begin(), list.end(),
                                   [](const ClinicalFinding& f) { return f.refused_by_strict(); });
  REQUIRE(strict != list.end());
  CHECK(strict->field == "injections");
}

TEST_CASE("ziconotide doses are reported in micrograms") {
  const Scenario s = scenario(R"(
name: ziconotide too fast
duration: 3 day
model: {compartments: four_region}
pump:
  reservoir: {capacity: 20 mL, volume: 20 mL, blend: {ziconotide: 25 ug/mL}}
  basal: 1 mL/day
output: {interval: 1 h}
)");
  const std::string text = all_text(findings(s));
  INFO(text);
  CHECK_THAT(text,
             Contains("delivered 25 ug/day") && Contains("above the label maximum 19.2 ug/day"));
  CHECK_THAT(text, !Contains(" mg/day"));
}

TEST_CASE("a 20 mL reservoir at 0.5 mL/day with a 2 mL alarm: alarm on day 36, empty on day 40") {
  const Scenario s = scenario(R"(
name: refill forecast
duration: 10 day
model: {compartments: four_region}
pump:
  reservoir: {capacity: 20 mL, volume: 20 mL, low_alarm: 2 mL, blend: {baclofen: 500 ug/mL}}
  basal: 0.5 mL/day
output: {interval: 6 h}
)");
  const std::vector<FillForecast> fills = reservoir_forecast(s);
  REQUIRE(fills.size() == 1);
  REQUIRE(fills[0].alarm_h);
  REQUIRE(fills[0].empty_h);
  CHECK(*fills[0].alarm_h / 24.0 == Approx(36.0).margin(1e-9));
  CHECK(*fills[0].empty_h / 24.0 == Approx(40.0).margin(1e-9));
  CHECK(fills[0].last);
}

TEST_CASE("ziconotide titration rules: start, step size and spacing each warn") {
  const auto titration_findings = [](const std::string& program) {
    const Scenario s = scenario(R"(
name: ziconotide titration
duration: 22 day
model: {compartments: four_region}
pump:
  reservoir: {capacity: 20 mL, volume: 20 mL, blend: {ziconotide: 25 ug/mL}}
)" + program + R"(
output: {interval: 6 h}
)");
    std::vector<ClinicalFinding> out;
    for (const ClinicalFinding& f : findings(s)) {
      if (f.kind == FindingKind::kTitration) out.push_back(f);
    }
    return out;
  };
  SECTION("start above 2.4 ug/day") {
    const auto list = titration_findings("  basal: 0.144 mL/day\n");  // 3.6 ug/day
    INFO(all_text(list));
    REQUIRE(list.size() == 1);
    CHECK_THAT(list[0].text(), Contains("starts at 3.6 ug/day") && Contains("Prialt"));
  }
  SECTION("a step above 2.4 ug/day") {
    // 2.4 → 6 ug/day three days later.
    const auto list = titration_findings(
        "  basal: 0.096 mL/day\n  basal_changes: [{at: 3 day, basal: 0.24 mL/day}]\n");
    INFO(all_text(list));
    REQUIRE(list.size() == 1);
    CHECK_THAT(list[0].text(), Contains("steps from 2.4 ug/day to 6 ug/day at day 3") &&
                                   Contains("more than the 2.4 ug/day one step may add"));
  }
  SECTION("steps less than 24 h apart") {
    // 2.4 → 4.8 on day 1, → 7.2 twelve hours later.
    const auto list = titration_findings(
        "  basal: 0.096 mL/day\n  basal_changes: [{at: 1 day, basal: 0.192 mL/day}, "
        "{at: 36 h, basal: 0.288 mL/day}]\n");
    INFO(all_text(list));
    REQUIRE(list.size() == 1);
    CHECK_THAT(list[0].text(), Contains("12 h after the previous increase"));
  }
  SECTION("a schedule from the planner breaks none of them") {
    const ClinicalRules& rules = *library()->drugs().get("ziconotide").clinical;
    const std::vector<TitrationStep> plan = plan_titration(rules, 2.4, 19.2);
    std::string program = "  basal: 0.096 mL/day\n  basal_changes:\n";
    for (std::size_t i = 1; i < plan.size(); ++i) {
      program += "    - {at: " + std::to_string(plan[i].time_h) +
                 " h, basal: " + std::to_string(plan[i].dose_ug_per_day / 25.0) + " mL/day}\n";
    }
    const auto list = titration_findings(program);
    INFO(all_text(list));
    CHECK(list.empty());
  }
}

TEST_CASE(
    "the ziconotide titration planner stays within the label: at most 19.2 ug/day by day 21") {
  const ClinicalRules& rules = *library()->drugs().get("ziconotide").clinical;
  const std::vector<TitrationStep> plan = plan_titration(rules, 2.4, 19.2);
  REQUIRE(plan.size() >= 2);
  CHECK(plan.front().dose_ug_per_day == Approx(2.4));
  CHECK(plan.back().dose_ug_per_day == Approx(19.2));
  for (std::size_t i = 0; i < plan.size(); ++i) {
    CHECK(plan[i].dose_ug_per_day <= 19.2 + 1e-9);
    if (plan[i].time_h < 21.0 * 24.0 - 1e-9) CHECK(plan[i].dose_ug_per_day < 19.2 - 1e-9);
    if (i == 0) continue;
    CHECK(plan[i].dose_ug_per_day - plan[i - 1].dose_ug_per_day <= 2.4 + 1e-9);
    CHECK(plan[i].time_h - plan[i - 1].time_h >= 24.0 - 1e-9);
  }
  CHECK_THROWS_WITH(plan_titration(rules, 3.6, 19.2), Contains("above the largest starting dose"));
  CHECK_THROWS_WITH(plan_titration(rules, 2.4, 24.0), Contains("above the titration maximum"));
}

TEST_CASE("baclofen titration keeps each step within 30 %") {
  const ClinicalRules& rules = *library()->drugs().get("baclofen").clinical;
  const std::vector<TitrationStep> plan = plan_titration(rules, 100.0, 400.0);
  for (std::size_t i = 1; i < plan.size(); ++i) {
    CHECK(plan[i].dose_ug_per_day <= plan[i - 1].dose_ug_per_day * 1.3 + 1e-9);
    CHECK(plan[i].time_h - plan[i - 1].time_h >= 24.0 - 1e-9);
  }
  CHECK(plan.back().dose_ug_per_day == Approx(400.0));
}

TEST_CASE("a device profile sets the reservoir and refuses what the pump cannot hold or run") {
  const auto with = [](const std::string& pump) {
    return scenario("name: device\nduration: 1 day\nmodel: {compartments: four_region}\npump:\n" +
                    pump + "output: {interval: 1 h}\n");
  };
  const Scenario s = with(
      "  device: synchromed_ii_40\n  reservoir: {volume: 30 mL, blend: {morphine: 10 mg/mL}}\n"
      "  basal: 0.5 mL/day\n");
  REQUIRE(s.device);
  CHECK(s.program.reservoir.capacity_mL == 40.0);
  CHECK(s.program.reservoir.low_alarm_mL == 2.0);
  CHECK_THROWS_WITH(
      with("  device: synchromed_ii_40\n  reservoir: {capacity: 60 mL, volume: 30 mL, blend: "
           "{morphine: 10 mg/mL}}\n  basal: 0.5 mL/day\n"),
      Contains("pump.reservoir.capacity: a synchromed_ii_40 holds 40 mL, not 60 mL"));
  CHECK_THROWS_WITH(
      with("  device: synchromed_ii_20\n  reservoir: {volume: 20 mL, blend: {morphine: 10 "
           "mg/mL}}\n  basal: 30 mL/day\n"),
      Contains("30 mL/day is above the highest rate a synchromed_ii_20 can be programmed to"));
}

TEST_CASE("time for tip CSF to halve after the reservoir runs dry matches ln 2 / k") {
  // One compartment with a lumped loss k = 0.5 1/h: C halves ln 2 / k = 1.386 h after the
  // pump stops (the catheter has no dead volume, so delivery stops at once).
  const Scenario s = load_scenario(kData + "/dry_baclofen.yaml", {}, kModels);
  const RunRecord record = run_scenario(s, {});
  const auto flags = withdrawal_flags(s, record.schedule, record.trajectory);
  REQUIRE(flags.size() == 1);
  CHECK(flags[0].empty_h == Approx(240.0));
  REQUIRE(flags[0].below_half_h);
  const double analytic = std::log(2.0) / 0.5;
  CHECK(*flags[0].below_half_h - flags[0].empty_h == Approx(analytic).epsilon(0.05));
  CHECK(std::find_if(record.warnings.begin(), record.warnings.end(), [](const std::string& w) {
          return w.find("fell below half its level") != std::string::npos;
        }) != record.warnings.end());
}

TEST_CASE("refill checks: an occlusion leaves more than expected, a fast pump is flagged") {
  const auto run_to_refill = [](const std::string& extra, const std::string& catheter) {
    return scenario(R"(
name: refill check
duration: 31 day
model: {compartments: four_region}
pump:
  device: synchromed_ii_20
  reservoir: {volume: 20 mL, blend: {baclofen: 500 ug/mL}}
  basal: 0.5 mL/day
  refills: [{at: 30 day, volume: 20 mL}]
)" + extra + catheter +
                    "output: {interval: 6 h}\n");
  };
  SECTION("24 h of occlusion: +0.5 mL at 0.5 mL/day, within the pump's accuracy") {
    const Scenario s =
        run_to_refill("", "catheter:\n  faults: [{type: occlusion, from: 5 day, until: 6 day}]\n");
    const auto checks = refill_checks(s, compile_schedule(s.program, s.duration_h));
    REQUIRE(checks.size() == 1);
    CHECK(checks[0].expected_mL == Approx(5.0));
    CHECK(checks[0].found_mL - checks[0].expected_mL == Approx(0.5).margin(1e-9));
    CHECK_FALSE(checks[0].flagged);
  }
  SECTION("a pump 15 % fast for 30 days: flagged at the refill") {
    const Scenario s = run_to_refill("  rate_multiplier: 1.15\n", "");
    const auto checks = refill_checks(s, compile_schedule(s.program, s.duration_h));
    REQUIRE(checks.size() == 1);
    CHECK(checks[0].found_mL - checks[0].expected_mL == Approx(-2.25).margin(1e-9));
    CHECK(checks[0].flagged);
    const auto list = findings(s);
    INFO(all_text(list));
    CHECK(any_of_kind(list, FindingKind::kRefill));
    // The same table goes into the result file (attribute reservoir_plan).
    const RunRecord record = run_scenario(s, {});
    REQUIRE(record.reservoir_plan.size() == 3);
    CHECK(record.reservoir_plan[0] ==
          "fill day 0: 20 mL; alarm not before the next refill; "
          "empty not before the next refill");
    CHECK(record.reservoir_plan[2] ==
          "refill day 30: expected residual 5 mL, found 2.75 mL (-2.25 mL; tolerance 2.17 mL; "
          "flagged)");
  }
}

TEST_CASE("every limit, rule and device value in models/ carries a source") {
  const ModelLibrary& lib = *library();
  std::size_t limits = 0;
  for (const std::string& name : lib.drugs().names()) {
    const Drug& drug = lib.drugs().get(name);
    if (!drug.clinical) continue;
    for (const DoseLimit& limit : drug.clinical->limits) {
      INFO(name << " " << to_string(limit.kind));
      CHECK(limit.source.size() > 10);
      ++limits;
    }
    const TitrationRules& t = drug.clinical->titration;
    for (const auto* rule : {&t.start_max_ug_per_day, &t.step_max_ug_per_day, &t.step_max_fraction,
                             &t.step_min_interval_h, &t.target_max_ug_per_day, &t.target_earliest_h,
                             &drug.clinical->stability_h}) {
      if (*rule) CHECK((*rule)->source.size() > 10);
    }
    if (drug.clinical->trial) CHECK(drug.clinical->trial->source.size() > 10);
  }
  CHECK(limits >= 10);
  std::size_t devices = 0;
  for (const auto& entry : fs::directory_iterator(kModels + "/devices")) {
    const DeviceProfile device = lib.device(entry.path().string());
    INFO(device.name);
    CHECK(device.sources.count("capacity") == 1);
    for (const auto& [field, source] : device.sources) CHECK(source.size() > 10);
    ++devices;
  }
  CHECK(devices >= 4);
}

TEST_CASE("a basal given as a dose is converted from the reservoir concentration, and kept") {
  const Scenario s = scenario(R"(
name: dose-based program
duration: 20 day
model: {compartments: four_region}
pump:
  reservoir: {capacity: 20 mL, volume: 20 mL, blend: {baclofen: 500 ug/mL}}
  basal: 500 ug/day
  refills: [{at: 10 day, volume: 20 mL, blend: {baclofen: 1000 ug/mL}}]
output: {interval: 6 h}
)");
  REQUIRE(s.program.basal.steps.size() == 1);
  CHECK(s.program.basal.steps[0].rate_mL_per_h * 24.0 == Approx(1.0));
  // The refill doubles the concentration: the pump halves its rate to keep 500 ug/day.
  REQUIRE(s.program.basal_changes.size() == 1);
  CHECK(s.program.basal_changes[0].time_h == Approx(240.0));
  CHECK(s.program.basal_changes[0].basal.steps[0].rate_mL_per_h * 24.0 == Approx(0.5));
  const InfusionSchedule schedule = compile_schedule(s.program, s.duration_h);
  CHECK(largest_daily_dose_ug(s, schedule, "baclofen") == Approx(500.0).epsilon(0.01));

  SECTION("flex steps as doses") {
    const Scenario flex = scenario(R"(
name: dose-based flex
duration: 2 day
model: {compartments: four_region}
pump:
  reservoir: {capacity: 20 mL, volume: 20 mL, blend: {baclofen: 2000 ug/mL}}
  basal: [{from: "07:00", rate: 400 ug/day}, {from: "22:00", rate: 800 ug/day}]
output: {interval: 1 h}
)");
    REQUIRE(flex.program.basal.steps.size() == 2);
    CHECK(flex.program.basal.steps[0].rate_mL_per_h * 24.0 == Approx(0.2));
    CHECK(flex.program.basal.steps[1].rate_mL_per_h * 24.0 == Approx(0.4));
  }
  SECTION("a blend of two drugs cannot take a dose") {
    CHECK_THROWS_WITH(scenario(R"(
name: blend dose
duration: 2 day
model: {compartments: four_region}
pump:
  reservoir: {capacity: 20 mL, volume: 20 mL, blend: {morphine: 10 mg/mL, clonidine: 100 ug/mL}}
  basal: 5 mg/day
output: {interval: 1 h}
)"),
                      Contains("pump.basal: a dose rate needs a reservoir of one drug") &&
                          Contains("clonidine and morphine"));
  }
}

TEST_CASE("exposure flags: tip concentration and cranial exposure against a lumbar tip") {
  const auto run_with = [](const std::string& tip, const std::string& flags) {
    const Scenario s = scenario(R"(
name: opioid flags
duration: 3 day
model: {compartments: four_region}
pump:
  reservoir: {capacity: 20 mL, volume: 20 mL, blend: {morphine: 10 mg/mL}}
  basal: 0.5 mL/day
catheter: {tip: )" + tip + R"(}
flags: )" + flags + R"(
output: {interval: 1 h}
)");
    return exposure_flags(s, run_scenario(s, {}).trajectory);
  };
  SECTION("a thoracic tip puts more morphine in the head than a lumbar one") {
    const auto flags = run_with("T10", "{cranial_exposure_ratio: 1.05}");
    REQUIRE(flags.size() == 1);
    CHECK_THAT(flags[0], Contains("x that of the same program with the catheter tip at L2"));
    CHECK(run_with("T10", "{cranial_exposure_ratio: 100}").empty());
  }
  SECTION("the lumbar reference itself is not flagged") {
    CHECK(run_with("L2", "{cranial_exposure_ratio: 1.0}").empty());
  }
  SECTION("tip concentration above the threshold") {
    const auto flags = run_with("L2", "{tip_concentration: 0.1 ug/mL}");
    REQUIRE(flags.size() == 1);
    CHECK_THAT(flags[0], Contains("CSF at the catheter tip (lumbar) reaches") &&
                             Contains("above the flag threshold 0.1 ug/mL"));
    CHECK(run_with("L2", "{tip_concentration: 1000 ug/mL}").empty());
  }
}

TEST_CASE("partial occlusion, leak to the epidural space and an MRI stall") {
  const auto with = [](const std::string& pump_extra, const std::string& faults) {
    return scenario(R"(
name: malfunctions
duration: 11 day
model: {compartments: four_region}
pump:
  device: synchromed_ii_20
  reservoir: {volume: 20 mL, blend: {baclofen: 500 ug/mL}}
  basal: 0.5 mL/day
  refills: [{at: 10 day, volume: 20 mL}]
)" + pump_extra + "catheter:\n  tip: T10\n" +
                    faults + "output: {interval: 6 h}\n");
  };
  const auto residual_excess = [](const Scenario& s) {
    const auto checks = refill_checks(s, compile_schedule(s.program, s.duration_h));
    REQUIRE(checks.size() == 1);
    return checks[0].found_mL - checks[0].expected_mL;
  };
  SECTION("half the flow passes for a day: +0.25 mL at the refill") {
    const Scenario s = with(
        "", "  faults: [{type: partial_occlusion, fraction: 0.5, from: 2 day, until: 3 day}]\n");
    CHECK(residual_excess(s) == Approx(0.25).margin(1e-9));
  }
  SECTION("a 30 % leak sends 30 % of the drug to the blood, none of the volume stays behind") {
    const Scenario s = with("", "  faults: [{type: leak, fraction: 0.3, from: 0 h}]\n");
    const InfusionSchedule schedule = compile_schedule(s.program, s.duration_h);
    const double total = schedule.delivered_ug("baclofen", s.duration_h);
    const double to_plasma =
        schedule.delivered_ug("baclofen", Route{RouteKind::kPlasma, ""}, s.duration_h);
    CHECK(to_plasma == Approx(0.3 * total).epsilon(1e-9));
    CHECK(residual_excess(s) == Approx(0.0).margin(1e-9));
  }
  SECTION("an MRI scan stalls a SynchroMed II for the scan and its recovery") {
    const Scenario s = with("  mri: [{at: 5 day, duration: 1 h, recovery: 1 h}]\n", "");
    CHECK(residual_excess(s) == Approx(0.5 * 2.0 / 24.0).margin(1e-9));
  }
  SECTION("a Prometra must be emptied first") {
    CHECK_THROWS_WITH(scenario(R"(
name: prometra mri
duration: 2 day
model: {compartments: four_region}
pump:
  device: prometra_ii_20
  reservoir: {volume: 20 mL, blend: {morphine: 10 mg/mL}}
  basal: 0.5 mL/day
  mri: [{at: 1 day, duration: 1 h}]
output: {interval: 1 h}
)"),
                      Contains("must be emptied before an MRI scan"));
  }
}

TEST_CASE(
    "a pocket fill puts drug under the skin, into the blood, and is found at the next refill") {
  const auto with = [](const std::string& blend, const std::string& pocket) {
    return scenario(R"(
name: pocket fill
duration: 21 day
model: {compartments: four_region}
pump:
  device: synchromed_ii_20
  reservoir: {volume: 20 mL, blend: {)" +
                    blend + R"(}}
  basal: 0.5 mL/day
  refills: [{at: 10 day, volume: 20 mL)" +
                    pocket + R"(}, {at: 20 day, volume: 20 mL}]
output: {interval: 1 h}
)");
  };
  SECTION("4 mL of 500 ug/mL baclofen: 2 mg into the pocket, 4 mL missing at the next refill") {
    const Scenario s = with("baclofen: 500 ug/mL", ", pocket_fill: 4 mL");
    const InfusionSchedule schedule = compile_schedule(s.program, s.duration_h);
    CHECK(schedule.delivered_ug("baclofen", Route{RouteKind::kSubcutaneous, ""}, s.duration_h) ==
          Approx(2000.0));
    const auto checks = refill_checks(s, schedule);
    REQUIRE(checks.size() == 2);
    CHECK_FALSE(checks[0].flagged);
    CHECK(checks[1].found_mL - checks[1].expected_mL == Approx(-4.0).margin(1e-9));
    CHECK(checks[1].flagged);
    // The depot empties into plasma within hours: plasma jumps after the refill.
    const RunRecord record = run_scenario(s, {});
    const DrugTrajectory& d = record.trajectory.drugs.at(0);
    const auto plasma = static_cast<Eigen::Index>(d.concentration_ug_per_mL.rows() - 1);
    const auto hour = [](double h) { return static_cast<Eigen::Index>(std::lround(h)); };
    CHECK(d.concentration_ug_per_mL(plasma, hour(241.0)) >
          5.0 * d.concentration_ug_per_mL(plasma, hour(239.0)));
    CHECK(std::abs(d.unobserved_ug[static_cast<std::size_t>(hour(240.0))]) > 100.0);
    CHECK(std::abs(d.unobserved_ug[static_cast<std::size_t>(hour(260.0))]) < 1.0);
  }
  SECTION("no pocket fill, no pocket depot in the model") {
    const Scenario s = with("baclofen: 500 ug/mL", "");
    CHECK_FALSE(s.drugs.at("baclofen").subcutaneous_absorption_per_h);
  }
  SECTION("a drug with no subcutaneous absorption rate is refused") {
    CHECK_THROWS_WITH(with("ziconotide: 25 ug/mL", ", pocket_fill: 4 mL"),
                      Contains("pocket_fill: puts ziconotide under the skin, but the drug has no "
                               "subcutaneous_absorption_rate"));
  }
  SECTION("more than was injected is refused") {
    CHECK_THROWS_WITH(with("baclofen: 500 ug/mL", ", pocket_fill: 25 mL"),
                      Contains("is more than the 20 mL injected at this refill"));
  }
}

TEST_CASE("baclofen for cerebral spasticity titrates by at most 15 % a day") {
  const ClinicalRules& rules = *library()->drugs().get("baclofen").clinical;
  const ClinicalRules cerebral = rules.for_indication("cerebral_spasticity");
  REQUIRE(cerebral.titration.step_max_fraction);
  CHECK(cerebral.titration.step_max_fraction->value == Approx(0.15));
  CHECK(cerebral.titration.step_min_interval_h->value == Approx(24.0));  // kept from the default
  const std::vector<TitrationStep> plan = plan_titration(cerebral, 100.0, 200.0);
  for (std::size_t i = 1; i < plan.size(); ++i) {
    CHECK(plan[i].dose_ug_per_day <= plan[i - 1].dose_ug_per_day * 1.15 + 1e-9);
  }
  CHECK_THROWS_WITH(rules.for_indication("stroke"),
                    Contains("baclofen has no rules for it; it has rules for cerebral_spasticity"));
  const auto program = [](const std::string& indication) {
    return scenario(
        "name: cerebral\nduration: 3 day\nmodel: {compartments: four_region}\n" + indication +
        "pump:\n  reservoir: {capacity: 20 mL, volume: 20 mL, blend: {baclofen: 500 ug/mL}}\n"
        "  basal: 200 ug/day\n  basal_changes: [{at: 1 day, basal: 240 ug/day}]\n"
        "output: {interval: 6 h}\n");
  };
  // +20 %: within the spinal rule, beyond the cerebral one.
  CHECK_FALSE(any_of_kind(findings(program("")), FindingKind::kTitration));
  const auto list = findings(program("indication: cerebral_spasticity\n"));
  INFO(all_text(list));
  CHECK(any_of_kind(list, FindingKind::kTitration));
  CHECK_THROWS_WITH(program("indication: stroke\n"),
                    Contains("no drug of this scenario has rules for the indication 'stroke'"));
}

TEST_CASE("ziconotide: undiluted fills keep 84 days, diluted ones 40") {
  const ClinicalRules& rules = *library()->drugs().get("ziconotide").clinical;
  CHECK(*rules.stability_at(25.0) == Approx(84.0 * 24.0));
  CHECK(*rules.stability_at(5.0) == Approx(40.0 * 24.0));
}

TEST_CASE("hydromorphone, fentanyl and sufentanil are in the library with consensus limits only") {
  for (const std::string name : {"hydromorphone", "fentanyl", "sufentanil"}) {
    INFO(name);
    const Drug& drug = library()->drugs().get(name);
    REQUIRE(drug.clinical);
    CHECK(drug.plasma_clearance_mL_per_h > 0.0);
    CHECK(!drug.clinical->limits.empty());
    for (const DoseLimit& limit : drug.clinical->limits)
      CHECK(limit.basis == LimitBasis::kConsensus);
    CHECK(drug.clinical->titration.start_max_ug_per_day);
  }
  // Fentanyl and sufentanil are reported in micrograms.
  CHECK(library()->drugs().get("fentanyl").clinical->dose_unit == "ug");
}

TEST_CASE("a catheter's implanted length gives its dead volume from the device profile") {
  const auto with = [](const std::string& device, const std::string& catheter) {
    return scenario(
        "name: catheter\nduration: 1 day\nmodel: {compartments: four_region}\n"
        "pump:\n  device: " +
        device +
        "\n  reservoir: {volume: 20 mL, blend: {morphine: 10 mg/mL}}\n"
        "  basal: 0.5 mL/day\ncatheter: " +
        catheter + "\noutput: {interval: 1 h}\n");
  };
  // Prometra II manual: 0.0026 mL per cm implanted.
  CHECK(with("prometra_ii_20", "{implanted_length: 50 cm}").program.catheter.dead_volume_mL ==
        Approx(0.13));
  CHECK_THROWS_WITH(with("synchromed_ii_20", "{implanted_length: 50 cm}"),
                    Contains("the synchromed_ii_20 profile has no catheter volume per cm; give "
                             "catheter.dead_volume (mL) instead"));
  CHECK_THROWS_WITH(with("prometra_ii_20", "{implanted_length: 50 cm, dead_volume: 0.1 mL}"),
                    Contains("give either dead_volume or implanted_length, not both"));
}

TEST_CASE("every effective concentration is sourced or marked as an estimate") {
  const ModelLibrary& lib = *library();
  for (const std::string& name : lib.drugs().names()) {
    const Drug& drug = lib.drugs().get(name);
    if (!drug.effective_concentration_ug_per_mL) continue;
    const std::string& source = drug.sources.at("effective_concentration");
    INFO(name << ": " << source);
    CHECK((source.find("[E]") != std::string::npos || source.find("[R]") != std::string::npos));
  }
}
