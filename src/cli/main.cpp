// csfpk command line: run, check, drugs, export, verify, sweep, merge, sobol. Every error is caught
// here once and mapped to an exit code: 2 input, 3 solver, 4 file I/O, 5 result content (verify),
// 64 usage, 70 internal.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "csfpk/batch/executor.hpp"
#include "csfpk/batch/sweep_file.hpp"
#include "csfpk/core/errors.hpp"
#include "csfpk/core/text.hpp"
#include "csfpk/io/csv_export.hpp"
#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/drug_library.hpp"
#include "csfpk/io/nmtran.hpp"
#include "csfpk/io/result_writer.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/run/clinical_checks.hpp"
#include "csfpk/run/pipeline.hpp"
#include "csfpk/run/site_summaries.hpp"
#include "csfpk/run/solver_report.hpp"
#include "csfpk/version.hpp"
#include "docs_command.hpp"
#include "io/yaml_node.hpp"
#include "plan_command.hpp"
#include "summary_command.hpp"
#include "fit_command.hpp"
#include "sweep_commands.hpp"
#include "verify_command.hpp"

namespace {

using namespace csfpk;

enum ExitCode : int {
  kOk = 0,
  kInputFailure = 2,
  kSolverFailure = 3,
  kIoFailure = 4,
  kUsage = 64,
  kInternal = 70
};

std::string joined_command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) line += ' ';
    line += argv[i];
  }
  return line;
}

std::string format_concentration(double ug_per_mL) {
  std::ostringstream out;
  out << std::setprecision(4);
  if (ug_per_mL >= 1.0) {
    out << ug_per_mL << " ug/mL";
  } else {
    out << ug_per_mL * 1000.0 << " ng/mL";
  }
  return out.str();
}

void print_schedule_summary(const InfusionSchedule& schedule) {
  std::map<std::string, int> counts;
  for (const auto& e : schedule.events) ++counts[to_string(e.kind)];
  std::cout << "delivery events:";
  if (counts.empty()) std::cout << " none";
  for (const auto& [kind, n] : counts) std::cout << "  " << kind << " " << n;
  std::cout << "\n";
  for (const auto& e : schedule.events) {
    if (e.kind == EventKind::kReservoirEmpty || e.kind == EventKind::kCatheterFault) {
      std::cout << "  ! " << to_string(e.kind) << " at " << e.time_h << " h: " << e.detail << "\n";
    }
  }
}

std::string fixed(double value, int decimals) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(decimals) << value;
  return out.str();
}

std::string day_cell(const std::optional<double>& t_h) {
  if (!t_h) return "-";
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << *t_h / 24.0;
  return out.str();
}

// When each fill reaches the low alarm and runs dry (past the run if need be), and what each
// refill finds against what the program should have left.
void print_reservoir_forecast(const Scenario& scenario, const InfusionSchedule& schedule) {
  const std::vector<FillForecast> fills = reservoir_forecast(scenario);
  if (fills.empty()) return;
  std::cout << "reservoir (" << scenario.program.reservoir.capacity_mL << " mL"
            << (scenario.device ? ", " + scenario.device->name : std::string()) << ", alarm at "
            << scenario.program.reservoir.low_alarm_mL << " mL): fill day, volume, alarm day, "
            << "empty day\n";
  for (const FillForecast& fill : fills) {
    std::cout << "  " << std::setw(8) << day_cell(fill.fill_h) << std::setw(8)
              << std::setprecision(4) << fill.volume_mL << " mL" << std::setw(10)
              << day_cell(fill.alarm_h) << std::setw(10) << day_cell(fill.empty_h)
              << (fill.last && fill.empty_h && *fill.empty_h > scenario.duration_h
                      ? "  (after the end of the run, if the program goes on)"
                      : "")
              << "\n";
  }
  for (const RefillCheck& check : refill_checks(scenario, schedule)) {
    std::cout << "  refill at day " << day_cell(check.time_h) << ": expected residual "
              << std::setprecision(3) << check.expected_mL << " mL, found " << check.found_mL
              << " mL (" << (check.found_mL >= check.expected_mL ? "+" : "")
              << check.found_mL - check.expected_mL << " mL"
              << (check.tolerance_mL ? ", tolerance ±" + fixed(*check.tolerance_mL, 2) + " mL"
                                     : std::string())
              << ")" << (check.flagged ? "  ! beyond the pump's accuracy" : "") << "\n";
  }
}

// A concentration as number and unit in fixed-width columns (µg/mL at or above 1 µg/mL, ng/mL
// below), so that a column of them lines up; "-" for NaN (not computed).
std::string concentration_cell(double ug_per_mL) {
  std::ostringstream out;
  if (std::isnan(ug_per_mL)) {
    out << std::setw(15) << "-";
    return out.str();
  }
  const bool micro = std::abs(ug_per_mL) >= 1.0;
  out << std::setprecision(4) << std::setw(9) << (micro ? ug_per_mL : ug_per_mL * 1000.0)
      << (micro ? " ug/mL" : " ng/mL");
  return out.str();
}

// The figure-ready table of a 1D run for one drug: CSF by vertebral level and cord tissue
// coverage by segment, cranial at the top, then spread, cranial exposure and the catheter tip.
void print_canal_summary(const Trajectory& traj, const DrugTrajectory& drug) {
  const DrugSummary& s = drug.summary;
  const std::size_t n_levels = std::min(traj.levels.size(), traj.level_positions_cm.size());
  if (n_levels > 0 && s.level_peak_ug_per_mL.size() == n_levels &&
      s.level_mean_ug_per_mL.size() == n_levels) {
    // The level nearest the catheter tip is marked.
    std::size_t tip_level = 0;
    for (std::size_t i = 1; i < n_levels; ++i) {
      if (std::abs(traj.level_positions_cm[i] - traj.catheter_tip_cm) <
          std::abs(traj.level_positions_cm[tip_level] - traj.catheter_tip_cm)) {
        tip_level = i;
      }
    }
    std::cout << "    CSF by vertebral level\n"
              << "      level    x (cm)         peak CSF         mean CSF\n";
    for (std::size_t k = n_levels; k-- > 0;) {  // stored caudal to cranial
      std::cout << "      " << std::left << std::setw(6) << traj.levels[k] << std::right
                << std::setw(9) << fixed(traj.level_positions_cm[k], 1) << "  "
                << concentration_cell(s.level_peak_ug_per_mL[k]) << "  "
                << concentration_cell(s.level_mean_ug_per_mL[k])
                << (k == tip_level ? "   <- catheter tip" : "") << "\n";
    }
  }

  const std::size_t n_segments = std::min(traj.segments.size(), traj.dermatomes.size());
  if (n_segments > 0 && s.dermatome_coverage.size() == n_segments) {
    if (s.effective_concentration_ug_per_mL > 0.0) {
      std::size_t width = 9;
      for (std::size_t g = 0; g < n_segments; ++g) {
        width = std::max(width, traj.dermatomes[g].size());
      }
      std::cout << "    cord tissue by segment: time with c_tissue/K_p >= "
                << format_concentration(s.effective_concentration_ug_per_mL) << "\n"
                << "      segment  " << std::left << std::setw(static_cast<int>(width))
                << "dermatome" << std::right << "  coverage\n";
      for (std::size_t g = n_segments; g-- > 0;) {  // stored caudal to cranial
        const double coverage = s.dermatome_coverage[g];
        std::cout << "      " << std::left << std::setw(7) << traj.segments[g] << "  "
                  << std::setw(static_cast<int>(width)) << traj.dermatomes[g] << std::right
                  << std::setw(8) << (std::isnan(coverage) ? "-" : fixed(100.0 * coverage, 1))
                  << " %\n";
      }
    } else {
      std::cout << "    cord tissue by segment: no effective concentration given, no coverage\n";
    }
  }

  std::cout << "    spread:          ";
  if (std::isnan(s.spread_cm) || !(s.spread_threshold_ug_per_mL > 0.0)) {
    std::cout << "- (no threshold given)\n";
  } else {
    std::cout << fixed(s.spread_cm, 1) << " cm of canal at or above "
              << format_concentration(s.spread_threshold_ug_per_mL) << " (largest over the run)\n";
  }
  std::cout << "    cranial AUC:     ";
  if (std::isnan(s.cranial_auc_ug_h_per_mL)) {
    std::cout << "-\n";
  } else {
    std::ostringstream auc;
    auc << std::setprecision(4) << s.cranial_auc_ug_h_per_mL << " ug h/mL";
    std::cout << auc.str() << " in the cranial pool\n";
  }
  std::cout << "    catheter tip:    peak " << format_concentration(s.tip_peak_ug_per_mL)
            << ", mean " << format_concentration(s.tip_mean_ug_per_mL) << " (at "
            << fixed(traj.catheter_tip_cm, 1) << " cm)\n";
}

void print_run_summary(const Scenario& scenario, const RunRecord& record) {
  const auto& traj = record.trajectory;
  std::size_t site_width = 10;
  for (const auto& site : traj.sites) site_width = std::max(site_width, site.size());
  std::cout << "\nper drug: peak and time-averaged concentration by site\n";
  for (const auto& drug : traj.drugs) {
    const double delivered = drug.delivered_ug.empty() ? 0.0 : drug.delivered_ug.back();
    const auto known = scenario.drugs.find(drug.drug);
    const ClinicalRules* rules = known != scenario.drugs.end() && known->second.clinical
                                     ? &*known->second.clinical
                                     : nullptr;
    std::cout << "  " << drug.drug << "  (delivered " << format_dose(rules, delivered, "", 6)
              << ", mass balance error " << std::setprecision(2) << drug.mass_balance_relative_error
              << ")\n";
    std::cout << "    solved by " << describe(drug).substr(drug.drug.size() + 2) << "\n";
    const SiteSummaries figures = site_summaries(traj.times_h, drug.concentration_ug_per_mL);
    for (std::size_t s = 0; s < traj.sites.size(); ++s) {
      const auto i = static_cast<Eigen::Index>(s);
      std::cout << "    " << std::left << std::setw(static_cast<int>(site_width)) << traj.sites[s]
                << std::right << " peak " << std::setw(14)
                << format_concentration(figures.peak_ug_per_mL[i]) << "   mean " << std::setw(14)
                << format_concentration(figures.mean_ug_per_mL[i]) << "\n";
    }
    if (!traj.positions_cm.empty()) print_canal_summary(traj, drug);
  }
  for (const auto& w : record.warnings) std::cout << "warning: " << w << "\n";
}

// What `run` and `check` were asked for on the command line.
struct ScenarioRequest {
  std::string scenario_path;
  std::string output;
  bool output_given = false;  // -o given, even as ""
  std::vector<std::string> overrides;
  bool overwrite = false;
  bool strict = false;
  bool force = false;  // lift the size limits (LoadLimits)
};

Scenario load(const ScenarioRequest& request) {
  return load_scenario(request.scenario_path, request.overrides, models_directory(),
                       request.force ? LoadLimits::forced() : LoadLimits{});
}

int run_command(const ScenarioRequest& request, const std::string& command_line) {
  const std::string& scenario_path = request.scenario_path;
  if (request.output_given && request.output.empty()) {
    throw IoError("-o: the output file name is empty");
  }
  const Scenario scenario = load(request);
  std::string output = request.output;
  if (output.empty()) output = std::filesystem::path(scenario_path).stem().string() + ".h5";
  OutputClaim claim = OutputClaim::acquire(
      {.path = output, .overwrite = request.overwrite, .inputs = {{scenario_path, "scenario"}}});
  if (request.strict) {
    // Known from the pump program alone: refused before solving. Only label maxima are
    // refused; consensus, titration and stability advice stay warnings.
    const auto findings = clinical_findings(scenario, delivery_schedule(scenario));
    for (const ClinicalFinding& finding : findings) {
      if (!finding.refused_by_strict()) continue;
      throw InputError(scenario_path, 0, finding.field,
                       finding.text() + " (--strict refuses what exceeds a label maximum)");
    }
  }
  Provenance provenance{kVersion, scenario_path, scenario.text, command_line, utc_now_iso8601()};
  RunRecord record = run_scenario(scenario, provenance);
  write_result(claim, record);
  std::cout << "csfpk " << kVersion << ": " << scenario.name << " (" << scenario.duration_h
            << " h, " << record.trajectory.drugs.size() << " drug(s), "
            << record.trajectory.times_h.size() << " output times)\n";
  print_schedule_summary(record.schedule);
  print_reservoir_forecast(scenario, record.schedule);
  print_run_summary(scenario, record);
  std::cout << "\nresult: " << std::filesystem::absolute(output).string() << "\n";
  return kOk;
}

// Sweep files name a base scenario; scenarios never have a `base` key.
bool is_sweep_file(const std::string& path) {
  try {
    const YamlNode root = YamlNode::load_file(path);
    return root.is_map() && root.find("base").has_value();
  } catch (const InputError&) {
    return false;  // the scenario loader reports what is wrong with the file
  }
}

int check_sweep_command(const std::string& sweep_path, const std::vector<std::string>& overrides) {
  const batch::CheckedSweep sweep = batch::check_sweep(sweep_path, overrides, models_directory());
  std::cout << sweep_path << ": ok — sweep, " << batch::to_string(sweep.spec.design) << " design, "
            << sweep.runs << " runs of " << sweep.spec.base_path << " over "
            << sweep.spec.factors.size() << " factor(s); estimated output "
            << batch::human_bytes(sweep.estimated_bytes) << "\n";
  for (const batch::Factor& f : sweep.spec.factors) {
    std::cout << "  " << f.name << " -> " << f.path << ": " << f.distribution.describe()
              << (f.unit.empty() ? "" : " " + f.unit) << "\n";
  }
  for (const std::string& w : sweep.warnings) std::cout << "warning: " << w << "\n";
  return kOk;
}

int check_command(const ScenarioRequest& request) {
  const std::string& scenario_path = request.scenario_path;
  if (is_sweep_file(scenario_path)) return check_sweep_command(scenario_path, request.overrides);
  const Scenario scenario = load(request);
  const InfusionSchedule schedule = delivery_schedule(scenario);
  std::cout << scenario_path << ": ok — " << scenario.name << ", " << scenario.duration_h
            << " h, model " << scenario.model.name;
  if (scenario.spinal) {
    std::cout << ", " << scenario.spinal->grid.cells << " cells, catheter tip at "
              << scenario.catheter_tip_cm << " cm\n";
  } else {
    std::cout << ", catheter feeds " << scenario.catheter_compartment << "\n";
  }
  for (const auto& [name, drug] : scenario.drugs) {
    std::cout << "  " << name << ": delivered "
              << format_dose(drug.clinical ? &*drug.clinical : nullptr,
                             schedule.delivered_ug(name, scenario.duration_h), "")
              << " over the run\n";
  }
  print_schedule_summary(schedule);
  print_reservoir_forecast(scenario, schedule);
  for (const auto& w : scenario_warnings(scenario, schedule)) std::cout << "warning: " << w << "\n";
  return kOk;
}

int drugs_command() {
  const DrugLibrary library = DrugLibrary::load(models_directory());
  std::cout << std::left << std::setw(15) << "drug" << std::setw(16) << "P_men (cm/h)"
            << std::setw(16) << "plasma V (L)"
            << "plasma CL (L/h)\n";
  for (const auto& [name, d] : library.all()) {
    std::cout << std::left << std::setw(15) << name << std::setw(16)
              << d.meningeal_permeability_cm_per_h << std::setw(16) << d.plasma_volume_mL / 1000.0
              << d.plasma_clearance_mL_per_h / 1000.0 << "\n";
  }
  std::cout << "\nlimits (label and consensus kept apart):\n";
  for (const auto& [name, d] : library.all()) {
    if (!d.clinical) continue;
    for (const DoseLimit& limit : d.clinical->limits) {
      const char* per = limit.kind == LimitKind::kMaxConcentration ? "/mL"
                        : limit.kind == LimitKind::kMaxDailyDose   ? "/day"
                                                                   : "";
      std::cout << "  " << std::setw(14) << name << std::setw(22) << to_string(limit.kind)
                << std::setw(10) << to_string(limit.basis) << std::setw(14)
                << format_dose(&*d.clinical, limit.value, per)
                << (limit.advisory ? "(advisory) " : "") << limit.source << "\n";
    }
  }
  std::cout << "\nsources: " << models_directory() << "/drugs/<drug>.yaml and "
            << models_directory() << "/clinical/<drug>.yaml\n";
  return kOk;
}

// After a usage error: the command or option the user probably meant ("did you mean 'run'?"),
// from the words on the command line that name none.
std::optional<std::string> usage_hint(const CLI::App& app, int argc, char** argv) {
  std::vector<std::string> commands;
  for (const CLI::App* sub : csfpk::cli::visible_commands(app)) commands.push_back(sub->get_name());
  const CLI::App* chosen = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--models") {
      ++i;  // its value
      continue;
    }
    if (word.rfind('-', 0) == 0) continue;
    if (chosen == nullptr) {
      const auto found = std::find(commands.begin(), commands.end(), word);
      if (found == commands.end()) {
        const std::string guess = closest_match(word, commands);
        return "csfpk: '" + word + "' is not a command" +
               (guess.empty() ? "; the commands are " + join_alternatives(commands)
                              : "; did you mean 'csfpk " + guess + "'?");
      }
      chosen = app.get_subcommand(word);
      continue;
    }
    // A nested command (plan refill): look for options there.
    for (const CLI::App* nested : chosen->get_subcommands([](const CLI::App*) { return true; })) {
      if (nested->get_name() == word) chosen = nested;
    }
  }
  const CLI::App& scope = chosen != nullptr ? *chosen : app;
  std::vector<std::string> options;
  for (const CLI::Option* option : scope.get_options()) {
    for (const std::string& name : option->get_lnames()) options.push_back("--" + name);
  }
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) != 0 || word == "--") continue;
    word = word.substr(0, word.find('='));
    if (std::find(options.begin(), options.end(), word) != options.end() || word == "--models" ||
        word == "--help" || word == "--version") {
      continue;
    }
    const std::string guess = closest_match(word, options);
    if (!guess.empty()) return "csfpk: did you mean '" + guess + "' for '" + word + "'?";
    return "csfpk: '" + word + "' is not an option of " +
           (chosen != nullptr ? "'csfpk " + chosen->get_name() + "'" : std::string("csfpk")) +
           "; see --help";
  }
  if (chosen == nullptr) {
    return "csfpk: give a command: " + join_alternatives(commands) + " (csfpk --help)";
  }
  return std::nullopt;
}

// `csfpk export`: one of --csv (single runs: every series; sweeps: summaries, or the series
// with --series), --nmtran and --events (single runs only).
int export_command(const std::string& result_path, const std::string& csv_path,
                   const std::string& nmtran_path, const std::string& events_path, bool series,
                   bool overwrite) {
  const std::string& path = !nmtran_path.empty()   ? nmtran_path
                            : !events_path.empty() ? events_path
                                                   : csv_path;
  if (path.empty())
    throw InputError("export", 0, "", "give --csv FILE, --nmtran FILE or --events FILE");
  const bool sweep = batch::is_sweep_file(result_path);
  if (sweep && csv_path.empty()) {
    throw InputError("export", 0, "",
                     result_path +
                         " is a sweep file: it holds no delivery events; export its "
                         "summaries or series with --csv, or run one of its runs alone");
  }
  if (!sweep && series) {
    throw InputError("--series", 0, "",
                     result_path +
                         " holds a single run, whose --csv export has every series "
                         "already; --series is for sweep files");
  }
  OutputClaim claim =
      OutputClaim::acquire({.path = path,
                            .overwrite = overwrite,
                            .inputs = {{result_path, sweep ? "sweep file" : "result file"}},
                            .what = !nmtran_path.empty() ? "NM-TRAN table" : "CSV file"});
  if (sweep) {
    batch::export_sweep_csv(result_path, claim, series);
  } else if (!nmtran_path.empty()) {
    export_nmtran(result_path, claim);
  } else if (!events_path.empty()) {
    export_events_csv(result_path, claim);
  } else {
    export_csv(result_path, claim);
  }
  std::cout << "wrote " << path << "\n";
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "csfpk — intrathecal drug delivery and CSF transport simulator.\n"
      "A research tool, not a dosing device."};
  app.set_version_flag("--version", std::string("csfpk ") + kVersion);
  app.require_subcommand(1);
  std::string models_dir;
  app.add_option("--models", models_dir,
                 "the models/ data folder (default: $CSFPK_MODELS_DIR, else found next to the "
                 "program)");

  ScenarioRequest request;
  const char* force_help = "accept a grid or output size above the limits (estimate shown)";
  auto* run = app.add_subcommand("run", "run a scenario and write an HDF5 result file");
  run->add_option("scenario", request.scenario_path, "scenario YAML file")->required();
  auto* output_option =
      run->add_option("-o,--output", request.output, "result file (default: <scenario>.h5)");
  run->add_option("--set", request.overrides, "override a scenario field: PATH=VALUE (repeatable)");
  run->add_flag("--overwrite", request.overwrite, "replace an existing result file");
  run->add_flag("--strict", request.strict, "refuse a program that exceeds a label maximum");
  run->add_flag("--force", request.force, force_help);

  auto* check = app.add_subcommand(
      "check", "validate a scenario and compile its pump program, or validate a sweep file");
  check->add_option("scenario", request.scenario_path, "scenario or sweep YAML file")->required();
  check->add_option("--set", request.overrides,
                    "override a field of that file: PATH=VALUE (repeatable)");
  check->add_flag("--force", request.force, force_help);

  auto* drugs = app.add_subcommand("drugs", "list the drug library");

  std::string result_path;
  std::string csv_path;
  std::string nmtran_path;
  auto* exporter = app.add_subcommand(
      "export", "export a result file as long-format CSV or as an NM-TRAN event table");
  exporter->add_option("result", result_path, "result HDF5 file")->required();
  auto* csv_option = exporter->add_option("--csv", csv_path, "long-format CSV file to write");
  auto* nmtran_option = exporter->add_option(
      "--nmtran", nmtran_path,
      "NM-TRAN event table to write (doses, observations, tip flow; docs/interop.md)");
  std::string events_path;
  auto* events_option = exporter->add_option("--events", events_path,
                                             "CSV of the delivery events (time_h, kind, detail)");
  bool export_series = false;
  exporter->add_flag("--series", export_series,
                     "sweep files: the stored concentration series instead of the summaries");
  csv_option->excludes(nmtran_option)->excludes(events_option);
  nmtran_option->excludes(events_option);
  bool export_overwrite = false;
  exporter->add_flag("--overwrite", export_overwrite, "replace an existing output file");

  const auto sweep_commands = csfpk::cli::add_sweep_commands(app, joined_command_line(argc, argv));
  const auto verify_command = csfpk::cli::add_verify_command(app);
  const auto plan_command = csfpk::cli::add_plan_command(app);
  const auto summary_command = csfpk::cli::add_summary_command(app);
  const auto docs_command = csfpk::cli::add_docs_command(app);
  const auto fit_command = csfpk::cli::add_fit_command(app, joined_command_line(argc, argv));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    if (code != 0) {
      if (const auto hint = usage_hint(app, argc, argv)) std::cerr << *hint << "\n";
    }
    return code == 0 ? kOk : kUsage;
  }

  try {
    if (!models_dir.empty()) {
      std::error_code ec;
      if (!std::filesystem::is_directory(models_dir, ec)) {
        throw InputError("--models", 0, "", "'" + models_dir + "' is not a folder");
      }
      // Every layer asks models_directory(), which reads the variable first.
      ::setenv("CSFPK_MODELS_DIR", models_dir.c_str(), 1);
    }
    request.output_given = output_option->count() > 0;
    if (*run) return run_command(request, joined_command_line(argc, argv));
    if (*check) return check_command(request);
    if (*drugs) return drugs_command();
    if (const auto code = sweep_commands->run()) return *code;
    if (const auto code = verify_command->run()) return *code;
    if (const auto code = plan_command->run()) return *code;
    if (const auto code = summary_command->run()) return *code;
    if (const auto code = docs_command->run()) return *code;
    if (const auto code = fit_command->run()) return *code;
    if (*exporter)
      return export_command(result_path, csv_path, nmtran_path, events_path, export_series,
                            export_overwrite);
  } catch (const InputError& e) {
    std::cerr << "error: " << printable_message(e.what()) << "\n";
    return kInputFailure;
  } catch (const SolverError& e) {
    std::cerr << "error: " << printable_message(e.what()) << "\n";
    return kSolverFailure;
  } catch (const IoError& e) {
    std::cerr << "error: " << printable_message(e.what()) << "\n";
    return kIoFailure;
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << printable_message(e.what()) << "\n";
    return kInternal;
  }
  return kUsage;
}
