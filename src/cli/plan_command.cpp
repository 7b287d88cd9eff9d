#include "plan_command.hpp"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/units.hpp"
#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/model_library.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/run/clinical_checks.hpp"
#include "csfpk/run/planners.hpp"

namespace csfpk::cli {
namespace {

namespace fs = std::filesystem;

// A quantity given on the command line, in internal units; InputError names the option.
double option_quantity(const std::string& option, const std::string& text,
                       units::Dimension dimension) {
  try {
    const double value = units::parse_as(text, dimension);
    if (!(value > 0.0)) throw UnitError("must be positive");
    return value;
  } catch (const UnitError& e) {
    throw InputError(option, 0, "", e.what());
  }
}

std::string days(double t_h) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << t_h / 24.0;
  return out.str();
}

class Plan final : public PlanCommand {
 public:
  explicit Plan(CLI::App& app) {
    plan_ = app.add_subcommand("plan", "refill, fill, titration and trial-to-pump planners");
    plan_->require_subcommand(1);

    refill_ = plan_->add_subcommand(
        "refill", "alarm, empty and refill-due day of each fill of a scenario's reservoir");
    refill_->add_option("scenario", scenario_, "scenario file")->required();
    refill_->add_option("--margin", margin_,
                        "refill this long before the reservoir runs dry (e.g. 3 day); "
                        "default: at the low-reservoir alarm");
    refill_->add_option("--set", sets_, "override a scenario value, PATH=VALUE");

    fill_ = plan_->add_subcommand(
        "fill", "concentration and rate that deliver a daily dose for a number of days");
    fill_->add_option("--drug", drug_, "drug of the library")->required();
    fill_->add_option("--dose", dose_, "daily dose, e.g. 500 ug/day")->required();
    fill_->add_option("--days", days_, "number of days between refills, e.g. 42")->required();
    fill_->add_option("--device", device_, "pump model (models/devices/), e.g. synchromed_ii_20");
    fill_->add_option("--capacity", capacity_, "reservoir capacity without --device, e.g. 20 mL");
    fill_->add_option("--alarm", alarm_, "low-reservoir alarm volume, e.g. 2 mL");

    titration_ = plan_->add_subcommand(
        "titration", "a titration schedule within the drug's rules (models/clinical/)");
    titration_->add_option("--drug", drug_, "drug of the library")->required();
    titration_->add_option("--start", start_, "starting daily dose, e.g. 2.4 ug/day")->required();
    titration_->add_option("--target", target_, "target daily dose, e.g. 19.2 ug/day")->required();
    titration_->add_option("--indication", indication_,
                           "indication with rules of its own, e.g. cerebral_spasticity");
    titration_->add_option("--concentration", concentration_,
                           "reservoir concentration, to print the program as pump rates");

    trial_ = plan_->add_subcommand("trial", "starting pump dose from an effective screening bolus");
    trial_->add_option("--drug", drug_, "drug of the library")->required();
    trial_->add_option("--bolus", bolus_, "effective screening bolus, e.g. 50 ug")->required();
    trial_->add_option("--effect", effect_, "how long its effect lasted, e.g. 6 h")->required();
  }

  std::optional<int> run() override {
    if (!*plan_) return std::nullopt;
    if (*refill_) return plan_refill();
    const ModelLibrary library(models_directory());
    const ClinicalRules& rules = rules_of(library);
    if (*fill_) return plan_fill_command(library, rules);
    if (*titration_) {
      return plan_titration_command(indication_.empty() ? rules
                                                        : rules.for_indication(indication_));
    }
    return plan_trial(rules);
  }

 private:
  const ClinicalRules& rules_of(const ModelLibrary& library) const {
    const auto names = library.drugs().names();
    if (std::find(names.begin(), names.end(), drug_) == names.end()) {
      throw InputError("--drug", 0, "", "no drug '" + drug_ + "' in the library");
    }
    const Drug& drug = library.drugs().get(drug_);
    if (!drug.clinical) {
      throw InputError("--drug", 0, "", drug_ + " has no clinical rules (models/clinical/)");
    }
    return *drug.clinical;
  }

  int plan_refill() const {
    const Scenario scenario = load_scenario(scenario_, sets_, models_directory());
    // Negative: no margin given, so the refill is due at the alarm.
    const double margin =
        margin_.empty() ? -1.0 : option_quantity("--margin", margin_, units::kTime);
    const std::vector<FillForecast> fills = reservoir_forecast(scenario);
    if (fills.empty()) throw InputError(scenario_, 0, "pump", "the scenario has no pump reservoir");
    std::cout << scenario.name << ": " << scenario.program.reservoir.capacity_mL << " mL reservoir"
              << (scenario.device ? " (" + scenario.device->name + ")" : std::string())
              << ", low-reservoir alarm at " << scenario.program.reservoir.low_alarm_mL << " mL\n"
              << "refill due: "
              << (margin >= 0.0 ? "the day it runs dry less " + days(margin) + " days"
                                : std::string("the low-reservoir alarm"))
              << "\n\n"
              << std::setw(10) << "fill day" << std::setw(12) << "volume mL" << std::setw(12)
              << "alarm day" << std::setw(12) << "empty day" << std::setw(14) << "refill due"
              << "\n";
    for (const FillForecast& fill : fills) {
      std::optional<double> due = fill.alarm_h;
      if (margin >= 0.0 && fill.empty_h) due = std::max(fill.fill_h, *fill.empty_h - margin);
      const auto cell = [](const std::optional<double>& t) { return t ? days(*t) : "-"; };
      std::cout << std::setw(10) << days(fill.fill_h) << std::setw(12) << fill.volume_mL
                << std::setw(12) << cell(fill.alarm_h) << std::setw(12) << cell(fill.empty_h)
                << std::setw(14) << cell(due) << "\n";
    }
    std::cout << "\n(days from the start of the scenario; the last fill is followed past the end "
                 "of the run if it lasts longer)\n";
    return 0;
  }

  int plan_fill_command(const ModelLibrary& library, const ClinicalRules& rules) const {
    std::optional<DeviceProfile> device;
    if (!device_.empty()) {
      const fs::path path = fs::path(library.directory()) / "devices" / (device_ + ".yaml");
      if (!fs::exists(path)) {
        throw InputError("--device", 0, "", "no device '" + device_ + "' in models/devices/");
      }
      device = library.device(path.string());
    }
    if (!device && capacity_.empty()) {
      throw InputError("--capacity", 0, "", "give --device or --capacity");
    }
    const double capacity =
        device ? device->capacity_mL : option_quantity("--capacity", capacity_, units::kVolume);
    const double alarm = !alarm_.empty() ? option_quantity("--alarm", alarm_, units::kVolume)
                         : device        ? device->low_alarm_mL
                                         : 0.0;
    const double dose = option_quantity("--dose", dose_, units::kMassRate) * 24.0;
    const double n_days = option_quantity("--days", days_, units::kDimensionless);
    const FillPlan plan =
        plan_fill(&rules, device ? &*device : nullptr, capacity, alarm, dose, n_days);
    std::cout << drug_ << " " << format_dose(&rules, dose, "/day") << " for " << n_days
              << " days in a " << capacity << " mL reservoir (alarm at " << alarm << " mL):\n"
              << "  concentration  " << format_dose(&rules, plan.concentration_ug_per_mL, "/mL", 4)
              << " (the lowest that lasts " << n_days << " days)\n"
              << "  rate           " << std::setprecision(4) << plan.rate_mL_per_h * 24.0
              << " mL/day\n"
              << "  fill volume    " << plan.fill_volume_mL << " mL\n";
    for (const std::string& problem : plan.problems) std::cout << "warning: " << problem << "\n";
    return 0;
  }

  int plan_titration_command(const ClinicalRules& rules) const {
    const double start = option_quantity("--start", start_, units::kMassRate) * 24.0;
    const double target = option_quantity("--target", target_, units::kMassRate) * 24.0;
    const std::vector<TitrationStep> plan = plan_titration(rules, start, target);
    std::optional<double> concentration;
    if (!concentration_.empty()) {
      concentration = option_quantity("--concentration", concentration_, units::kConcentration);
    }
    std::cout << drug_ << " titration from " << format_dose(&rules, start, "/day") << " to "
              << format_dose(&rules, target, "/day") << ", " << plan.size() - 1 << " step(s):\n\n"
              << std::setw(8) << "day" << std::setw(18) << "daily dose"
              << (concentration ? "        rate mL/day" : "") << "\n";
    for (const TitrationStep& step : plan) {
      std::cout << std::setw(8) << days(step.time_h) << std::setw(18)
                << format_dose(&rules, step.dose_ug_per_day, "/day", 4);
      if (concentration) {
        std::cout << std::setw(19) << std::setprecision(4) << step.dose_ug_per_day / *concentration;
      }
      std::cout << "\n";
    }
    if (concentration) {
      std::cout << "\nas a scenario program (pump.basal and pump.basal_changes):\n"
                << "  basal: " << plan.front().dose_ug_per_day / *concentration << " mL/day\n"
                << "  basal_changes:\n";
      for (std::size_t i = 1; i < plan.size(); ++i) {
        std::cout << "    - {at: " << plan[i].time_h / 24.0
                  << " day, basal: " << plan[i].dose_ug_per_day / *concentration << " mL/day}\n";
      }
    }
    std::cout << "\nrules (models/clinical/" << drug_ << ".yaml):\n";
    const TitrationRules& r = rules.titration;
    for (const auto* rule :
         {&r.start_max_ug_per_day, &r.step_max_ug_per_day, &r.step_max_fraction,
          &r.step_min_interval_h, &r.target_max_ug_per_day, &r.target_earliest_h}) {
      if (*rule) std::cout << "  " << (*rule)->source << "\n";
    }
    return 0;
  }

  int plan_trial(const ClinicalRules& rules) const {
    if (!rules.trial) {
      throw InputError("--drug", 0, "",
                       drug_ + " has no trial-to-pump rule in models/clinical/" + drug_ + ".yaml");
    }
    const double bolus = option_quantity("--bolus", bolus_, units::kMass);
    const double effect = option_quantity("--effect", effect_, units::kTime);
    const TrialRule& rule = *rules.trial;
    const bool shorter = effect < rule.effect_threshold_h;
    const double factor = shorter ? rule.factor_if_shorter : rule.factor_if_longer;
    std::cout << drug_ << ": screening bolus " << format_dose(&rules, bolus, "") << ", effect "
              << effect << " h (" << (shorter ? "shorter" : "not shorter") << " than "
              << rule.effect_threshold_h << " h)\n"
              << "  starting pump dose " << format_dose(&rules, bolus * factor, "/day", 4) << " ("
              << factor << " x the screening dose per day)\n"
              << "  rule: " << rule.source << "\n";
    return 0;
  }

  CLI::App* plan_ = nullptr;
  CLI::App* refill_ = nullptr;
  CLI::App* fill_ = nullptr;
  CLI::App* titration_ = nullptr;
  std::string indication_;
  CLI::App* trial_ = nullptr;
  std::string scenario_, margin_, drug_, dose_, days_, device_, capacity_, alarm_, start_, target_,
      concentration_, bolus_, effect_;
  std::vector<std::string> sets_;
};

}  // namespace

std::unique_ptr<PlanCommand> add_plan_command(CLI::App& app) {
  return std::make_unique<Plan>(app);
}

}  // namespace csfpk::cli
