#include "csfpk/io/scenario_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <sstream>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/text.hpp"
#include "csfpk/domain/vertebral_level.hpp"
#include "csfpk/io/drug_library.hpp"
#include "csfpk/io/model_library.hpp"
#include "csfpk/io/nmtran.hpp"
#include "csfpk/run/model_type.hpp"
#include "io/drug_parsing.hpp"
#include "io/model_loader.hpp"
#include "io/yaml_node.hpp"

namespace csfpk {
namespace {

namespace fs = std::filesystem;
using namespace units;

// Beyond this many output samples per drug and site the result file grows past what a single
// run needs; sweeps choose a coarser resolution.
// More output times than this cannot be indexed or allocated, forced or not.
constexpr double kMostOutputSamples = 1e9;
// Beyond a century no pump program is meaningful, and daily programs stay bounded.
constexpr double kLongestRun_h = 876000.0;
// Periodic boluses or refills generated over a run (a 1-minute bolus every minute for a year is
// 5e5).
constexpr double kMostEvents = 1e7;

std::string format_count(double n) {
  std::ostringstream out;
  out << std::setprecision(3) << n;
  return out.str();
}

std::string read_text(const std::string& path) {
  return read_text_file(path, "scenario file");
}

class ScenarioReader {
 public:
  // `file` names the scenario in results; relative paths in it are resolved against `folder`.
  ScenarioReader(const YamlNode& root, const ModelLibrary& library, const std::string& file,
                 const std::string& folder, const LoadLimits& limits)
      : root_(root),
        models_(library),
        library_(library.drugs()),
        file_(file),
        folder_(folder),
        limits_(limits) {}

  Scenario read() {
    root_.allow_only({"name", "description", "duration", "model", "drugs", "pump", "catheter",
                      "injections", "dosing", "output", "solver", "variability", "flags",
                      "indication"});
    Scenario s;
    s.file = file_;
    s.name = root_.at("name").text();
    if (const auto d = root_.find("description")) s.description = d->text();
    duration_node_ = std::make_unique<YamlNode>(root_.at("duration"));
    s.duration_h = duration_node_->positive_quantity(kTime);
    // Every daily program, request list and output grid is expanded over the run: bound the run
    // before anything is expanded.
    if (s.duration_h > kLongestRun_h) {
      duration_node_->fail("is longer than 100 years (876 000 h); no pump program runs that long");
    }
    read_model(s);
    read_inline_drugs();
    const auto dosing = root_.find("dosing");
    if (dosing) {
      for (const char* other : {"pump", "injections"}) {
        if (const auto clash = root_.find(other)) {
          clash->fail(
              std::string("a scenario takes its delivery from 'dosing' (an event table) "
                          "or from 'pump' and 'injections', not both"));
        }
      }
    }
    if (const auto pump = root_.find("pump")) {
      read_pump(*pump, s.program);
      s.device = device_;
    } else {
      // No pump yet (e.g. a screening bolus by lumbar puncture): only injections deliver drug.
      s.program.reservoir = {0.0, 0.0, {}, 0.0, {}};
      if (!root_.find("injections") && !dosing) {
        root_.fail("a scenario needs a pump, injections or dosing (an NM-TRAN event table)");
      }
    }
    read_catheter(s);
    if (const auto injections = root_.find("injections")) read_injections(*injections, s);
    if (dosing) read_dosing(*dosing, s);
    collect_drugs(s);
    if (const auto indication = root_.find("indication")) apply_indication(*indication, s);
    check_pocket_fills(s);
    check_lumped_rates(s);
    if (const auto variability = root_.find("variability")) read_variability(*variability, s);
    read_output(s);
    if (const auto solver = root_.find("solver")) read_solver(*solver, s.solver);
    if (const auto flags = root_.find("flags")) {
      flags->allow_only({"tip_concentration", "cranial_exposure_ratio"});
      if (const auto tip = flags->find("tip_concentration")) {
        s.flags.tip_concentration_ug_per_mL = tip->positive_quantity(kConcentration);
      }
      if (const auto ratio = flags->find("cranial_exposure_ratio")) {
        s.flags.cranial_exposure_ratio = ratio->positive_quantity(kDimensionless);
      }
    }
    return s;
  }

 private:
  void read_model(Scenario& s) {
    const YamlNode model = root_.at("model");
    if (!model.is_map()) {
      model.fail(
          "expected a mapping: {type: compartmental, compartments: NAME} or {type: "
          "spinal_1d, anatomy: NAME, …}" +
          (model.is_scalar() ? ", got '" + model.text() + "'" : std::string()) +
          "; see docs/scenario-reference.md");
    }
    const std::string type = model.find("type") ? model.at("type").text() : "compartmental";
    if (type == "spinal_1d") {
      read_spinal(model, s);
      return;
    }
    if (type != "compartmental") {
      model.at("type").fail("expected compartmental or spinal_1d, got '" + type + "'");
    }
    model.allow_only({"type", "compartments", "physiology"});
    const YamlNode compartments = model.at("compartments");
    s.model = models_.compartment_model(
        model_file(compartments.text(), compartments, "compartments").string());
    s.catheter_compartment = s.model.catheter_compartment;
    if (s.model.fluid) {
      s.model.fluid->physiology = physiology(model);
    } else if (const auto p = model.find("physiology")) {
      p->fail("compartment model '" + s.model.name + "' has no fluid balance to apply it to");
    }
  }

  // A named model in models/<folder>/<name>.yaml, or a .yaml path relative to the scenario.
  fs::path model_file(const std::string& name, const YamlNode& node,
                      const std::string& folder) const {
    fs::path path = name;
    if (path.extension() == ".yaml") {
      if (path.is_relative()) path = fs::path(folder_) / path;
    } else {
      path = fs::path(models_.directory()) / folder / (name + ".yaml");
    }
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      std::vector<std::string> known;
      for (const auto& entry : fs::directory_iterator(fs::path(models_.directory()) / folder, ec)) {
        known.push_back(entry.path().stem().string());
      }
      std::sort(known.begin(), known.end());
      const std::string hint = closest_match(name, known);
      const std::string noun = folder == "compartments" ? "compartment model"
                               : folder == "devices"    ? "device"
                                                        : folder;
      node.fail("no " + noun + " '" + name + "'" +
                (hint.empty() ? "; available: " + join_alternatives(known)
                              : "; did you mean '" + hint + "'?"));
    }
    return path;
  }

  // The default CSF physiology (models/physiology/csf.yaml) with the scenario's changes.
  CsfPhysiology physiology(const YamlNode& model) const {
    CsfPhysiology p =
        models_.physiology((fs::path(models_.directory()) / "physiology" / "csf.yaml").string());
    if (const auto changes = model.find("physiology")) apply_physiology_overrides(*changes, p);
    return p;
  }

  void read_spinal(const YamlNode& model, Scenario& s) {
    model.allow_only({"type", "anatomy", "grid", "advection", "dispersion", "velocity", "uptake",
                      "cranial_pool", "cord_tissue", "source_width", "physiology"});
    const auto anatomy_node = model.find("anatomy");
    const AnatomyFile anatomy =
        models_.anatomy(model_file(anatomy_node ? anatomy_node->text() : "adult",
                                   anatomy_node.value_or(model), "anatomy")
                            .string());
    Spinal1DSpec spec;
    spec.anatomy = anatomy.anatomy;
    spec.dispersion = DispersionTable{anatomy.dispersion_cm2_per_h, anatomy.dispersion_scale};
    spec.pool_volume_mL = anatomy.pool_volume_mL;
    if (!model.find("velocity")) spec.physiology = physiology(model);
    if (const auto grid = model.find("grid")) {
      grid->allow_only({"cells", "graded", "refinement", "width"});
      const YamlNode cells = grid->at("cells");
      spec.grid.cells = cells.integer();
      if (spec.grid.cells < 3 || spec.grid.cells > LoadLimits::kMostCells) {
        cells.fail("expected 3 to " + std::to_string(LoadLimits::kMostCells) + " cells, got " +
                   cells.text());
      }
      if (spec.grid.cells > limits_.max_cells) {
        // The estimate the limit stands for: the CSF profile alone is one float64 per cell per
        // output time and drug, and solving time grows at least as fast.
        std::ostringstream message;
        message << std::setprecision(3) << cells.text() << " cells are above the limit of "
                << limits_.max_cells << ": the CSF profile alone takes about "
                << 8.0 * 24.0 * static_cast<double>(spec.grid.cells) / 1e6
                << " MB of results per drug per day of hourly outputs, and solving time and "
                   "memory grow with the grid; pass --force to go ahead";
        cells.fail(message.str());
      }
      if (const auto graded = grid->find("graded")) spec.grid.graded = graded->boolean();
      if (const auto r = grid->find("refinement")) {
        spec.grid.refinement = r->number();
        if (!(spec.grid.refinement >= 1.0 && spec.grid.refinement <= 100.0)) {
          r->fail("expected a refinement ratio between 1 and 100");
        }
      }
      if (const auto w = grid->find("width"))
        spec.grid.refinement_width_cm = w->positive_quantity(kLength);
    }
    if (const auto advection = model.find("advection")) {
      if (advection->text() == "upwind") {
        spec.scheme = AdvectionScheme::kUpwind;
      } else if (advection->text() == "limited") {
        spec.scheme = AdvectionScheme::kLimited;
      } else {
        advection->fail("expected upwind or limited, got '" + advection->text() + "'");
      }
    }
    if (const auto dispersion = model.find("dispersion")) {
      spec.dispersion = read_dispersion(*dispersion, std::get<DispersionTable>(spec.dispersion));
    }
    if (const auto velocity = model.find("velocity")) {
      // A prescribed flow field replaces the fluid balance (reference problem P2).
      spec.velocity_cm_per_h = read_signed_table(*velocity, kVelocity);
      if (model.find("physiology")) {
        model.at("physiology")
            .fail("a prescribed velocity replaces the fluid balance; give one or the other");
      }
    }
    if (const auto uptake = model.find("uptake"))
      spec.uptake_per_h = uptake->non_negative_quantity(kRateConstant);
    const auto pool = model.find("cranial_pool");
    if (pool) {
      pool->allow_only({"volume", "clearance"});
      if (const auto v = pool->find("volume")) spec.pool_volume_mL = v->positive_quantity(kVolume);
      if (const auto c = pool->find("clearance")) {
        if (!spec.velocity_cm_per_h) {
          c->fail(
              "the fluid balance sets the cranial absorption (physiology.production and "
              "spinal_absorption_fraction); a fixed clearance goes with a prescribed velocity");
        }
        spec.pool_clearance_mL_per_h = c->non_negative_quantity(kVolumeRate);
      }
    }
    if (spec.velocity_cm_per_h && !(pool && pool->find("clearance"))) {
      model.at("velocity").fail("a prescribed velocity needs cranial_pool.clearance as well");
    }
    if (const auto tissue = model.find("cord_tissue")) spec.cord_tissue = tissue->boolean();
    if (const auto width = model.find("source_width"))
      spec.source_width_cm = width->positive_quantity(kLength);
    s.spinal = spec;
    s.model.name = "spinal_1d";
  }

  static LinearTable read_signed_table(const YamlNode& node, units::Dimension dimension) {
    node.allow_only({"x", "value"});
    std::vector<double> xs;
    std::vector<double> values;
    for (const auto& x : node.at("x").items()) xs.push_back(x.non_negative_quantity(kLength));
    for (const auto& v : node.at("value").items()) values.push_back(v.quantity(dimension));
    if (xs.empty() || xs.size() != values.size() || !std::is_sorted(xs.begin(), xs.end()) ||
        std::adjacent_find(xs.begin(), xs.end()) != xs.end()) {
      node.fail("expected as many values as strictly increasing positions");
    }
    return LinearTable(xs, values);
  }

  // A table, an oscillation law, or only a scale of the anatomy's (calibrated) default.
  DispersionModel read_dispersion(const YamlNode& node, const DispersionTable& anatomy_default) {
    node.allow_only({"table", "oscillation", "scale"});
    const double scale =
        node.find("scale") ? node.at("scale").positive_quantity(kDimensionless) : 1.0;
    if (const auto table = node.find("table")) {
      if (node.find("oscillation"))
        node.fail("give either a table or an oscillation law, not both");
      return DispersionTable{read_table(*table, kDiffusivity), scale};
    }
    if (!node.find("oscillation")) {
      if (!node.find("scale")) node.fail("expected a table, an oscillation law or a scale");
      return DispersionTable{anatomy_default.dispersion_cm2_per_h, anatomy_default.scale * scale};
    }
    const YamlNode law_node = node.at("oscillation");
    law_node.allow_only(
        {"heart_rate", "stroke_volume", "half_gap", "respiration", "mixing", "viscosity"});
    OscillationLaw law;
    law.scale = scale;
    const auto angular = [](const YamlNode& rate) {
      return 2.0 * 3.141592653589793 * rate.positive_quantity(kRateConstant);
    };
    law.oscillations.push_back(
        {read_table(law_node.at("stroke_volume"), kVolume), angular(law_node.at("heart_rate"))});
    if (const auto breathing = law_node.find("respiration")) {
      breathing->allow_only({"rate", "stroke_volume"});
      law.oscillations.push_back(
          {read_table(breathing->at("stroke_volume"), kVolume), angular(breathing->at("rate"))});
    }
    law.half_gap_cm = read_table(law_node.at("half_gap"), kLength);
    for (const double h : law.half_gap_cm.ys()) {
      if (!(h > 0.0)) law_node.at("half_gap").fail("half-gap widths must be positive");
    }
    if (const auto mixing = law_node.find("mixing"))
      law.mixing_cm2_per_h = mixing->non_negative_quantity(kDiffusivity);
    if (const auto nu = law_node.find("viscosity"))
      law.kinematic_viscosity_cm2_per_h = nu->positive_quantity(kDiffusivity);
    return law;
  }

  // Blend: drug name → concentration; every drug must be in the library.
  Blend read_blend(const YamlNode& node) {
    Blend blend;
    for (const auto& [drug, value] : node.entries()) {
      require_known_drug(drug, value);
      blend[drug] = value.non_negative_quantity(kConcentration);
      // 1 g/mL is already denser than any drug dissolves; beyond it a typo (1e300) would only
      // surface as a solver failure.
      constexpr double kMostConcentration = 1e6;  // µg/mL
      if (blend[drug] > kMostConcentration) {
        value.fail("is above 1 g/mL (1e6 ug/mL), more than any drug dissolves");
      }
    }
    if (blend.empty()) node.fail("a blend needs at least one drug");
    return blend;
  }

  // Drugs under `drugs:` that the library does not have are defined by the scenario (tracers,
  // new compounds): every required parameter must be there.
  void read_inline_drugs() {
    const auto drugs = root_.find("drugs");
    if (!drugs) return;
    for (const auto& [name, values] : drugs->entries()) {
      if (library_.contains(name)) {
        if (values.is_map() && values.find("file")) {
          values.at("file").fail("'" + name +
                                 "' is a library drug; a drug file defines a drug under a "
                                 "name of its own");
        }
        continue;
      }
      if (!values.is_map()) {
        values.fail("expected the parameters of drug '" + name + "' as a mapping");
      }
      if (const auto file = values.find("file")) {
        // A drug file of the library's format (values with sources), relative to the scenario.
        values.allow_only({"file"});
        fs::path path = file->text();
        if (path.is_relative()) path = fs::path(folder_) / path;
        std::error_code ec;
        if (!fs::is_regular_file(path, ec))
          file->fail("drug file '" + path.string() + "' not found");
        const YamlNode drug_root = YamlNode::load_file(path.string());
        Drug drug = parse_drug(drug_root);
        if (drug.name != name) {
          drug_root.at("name").fail("names the drug '" + drug.name +
                                    "', but the scenario calls it '" + name + "'");
        }
        inline_drugs_.emplace(name, std::move(drug));
        continue;
      }
      const std::string hint = closest_match(name, library_.names());
      if (!hint.empty() && !values.find("plasma_volume")) {
        values.fail("unknown drug '" + name + "'; did you mean '" + hint +
                    "'? (a drug the library does not have must be defined with all its "
                    "parameters)");
      }
      inline_drugs_.emplace(name, parse_inline_drug(name, values));
    }
  }

  void require_known_drug(const std::string& drug, const YamlNode& where) {
    if (library_.contains(drug) || inline_drugs_.count(drug) > 0) return;
    const std::string hint = closest_match(drug, library_.names());
    where.fail("unknown drug '" + drug + "'" +
               (hint.empty() ? "; the library has " + join_alternatives(library_.names())
                             : "; did you mean '" + hint + "'?"));
  }

  double time_within_run(const YamlNode& node) {
    const double t = node.non_negative_quantity(kTime);
    if (t > duration_h()) node.fail("is after the end of the run (" + duration_node_->text() + ")");
    return t;
  }
  double duration_h() const { return duration_node_->quantity(kTime); }

  void read_pump(const YamlNode& pump, PumpProgram& program) {
    pump.allow_only({"device", "reservoir", "basal", "basal_changes", "periodic_boluses", "boluses",
                     "patient_boluses", "refills", "rate_multiplier", "mri"});
    if (const auto device = pump.find("device")) {
      device_ = models_.device(model_file(device->text(), *device, "devices").string());
    }
    read_reservoir(pump.at("reservoir"), program.reservoir);
    // Refills first: a basal given as a dose is converted with the blend in force at its time.
    if (const auto refills = pump.find("refills")) read_refills(*refills, program.reservoir);
    reservoir_ = &program.reservoir;
    if (const auto basal = pump.find("basal")) read_basal(*basal, program.basal, 0.0);
    if (const auto changes = pump.find("basal_changes")) {
      for (const auto& item : changes->items()) {
        item.allow_only({"at", "basal"});
        BasalChange change;
        const YamlNode at = item.at("at");
        change.time_h = time_within_run(at);
        if (change.time_h <=
            (program.basal_changes.empty() ? 0.0 : program.basal_changes.back().time_h)) {
          at.fail("basal changes must be listed in time order, after the start of the run");
        }
        read_basal(item.at("basal"), change.basal, change.time_h);
        program.basal_changes.push_back(change);
      }
    }
    keep_doses_across_refills(pump, program);
    if (const auto periodic = pump.find("periodic_boluses")) {
      for (const auto& item : periodic->items()) read_periodic(item, program.periodic_boluses);
    }
    if (const auto boluses = pump.find("boluses")) {
      for (const auto& item : boluses->items()) {
        item.allow_only({"at", "volume", "duration"});
        OneOffBolus bolus;
        bolus.time_h = time_within_run(item.at("at"));
        bolus.volume_mL = item.at("volume").positive_quantity(kVolume);
        if (const auto d = item.find("duration"))
          bolus.duration_h = d->non_negative_quantity(kTime);
        program.one_off_boluses.push_back(bolus);
      }
    }
    if (const auto patient = pump.find("patient_boluses")) {
      program.patient_boluses = read_patient_boluses(*patient);
    }
    if (const auto scans = pump.find("mri")) read_mri(*scans, program);
    if (const auto multiplier = pump.find("rate_multiplier")) {
      program.rate_multiplier = multiplier->number();
      if (!(program.rate_multiplier > 0.0) || program.rate_multiplier > 2.0) {
        multiplier->fail("expected a multiplier of the programmed rate between 0 and 2 (e.g. " +
                         std::string("1.025 for a pump running 2.5 % fast), got '") +
                         multiplier->text() + "'");
      }
    }
  }

  void read_reservoir(const YamlNode& node, Reservoir& reservoir) {
    node.allow_only({"capacity", "volume", "low_alarm", "blend"});
    // A device sets the capacity and the default alarm; a capacity given with it must match.
    if (device_) {
      reservoir.capacity_mL = device_->capacity_mL;
      reservoir.low_alarm_mL = device_->low_alarm_mL;
      if (const auto capacity = node.find("capacity")) {
        const double given = capacity->positive_quantity(kVolume);
        if (std::abs(given - device_->capacity_mL) > 1e-9 * device_->capacity_mL) {
          capacity->fail("a " + device_->name + " holds " + format_count(device_->capacity_mL) +
                         " mL, not " + capacity->text() + " (" + device_->sources["capacity"] +
                         "); leave capacity out or choose another device");
        }
      }
    } else {
      reservoir.capacity_mL = node.at("capacity").positive_quantity(kVolume);
    }
    const std::string capacity_text = node.find("capacity")
                                          ? node.at("capacity").text()
                                          : format_count(reservoir.capacity_mL) + " mL";
    const YamlNode volume = node.at("volume");
    reservoir.initial_volume_mL = volume.non_negative_quantity(kVolume);
    if (reservoir.initial_volume_mL > reservoir.capacity_mL) {
      volume.fail("is above the reservoir capacity (" + capacity_text + ")");
    }
    if (const auto alarm = node.find("low_alarm")) {
      reservoir.low_alarm_mL = alarm->non_negative_quantity(kVolume);
      if (reservoir.low_alarm_mL >= reservoir.capacity_mL) {
        alarm->fail("the low-reservoir alarm must be below the capacity (" + capacity_text + ")");
      }
    }
    reservoir.blend = read_blend(node.at("blend"));
  }

  // The blend in the reservoir at `t_h`: the initial one, or that of the last refill with one.
  const Blend& blend_at(double t_h) const {
    const Blend* blend = &reservoir_->blend;
    for (const Refill& refill : reservoir_->refills) {
      if (refill.time_h > t_h) break;
      if (refill.blend) blend = &*refill.blend;
    }
    return *blend;
  }

  // A basal rate as a volume rate, or as a dose rate ("500 ug/day") of the reservoir's one drug,
  // converted through its concentration at `t_h` (as a pump programmed in dose units does);
  // the dose is remembered in `dose` so that a later refill at another concentration keeps it.
  double basal_rate(const YamlNode& node, double t_h, std::optional<std::string>& dose_drug,
                    double& dose_ug_per_h) const {
    units::Quantity q;
    try {
      q = units::parse_quantity(node.text());
    } catch (const UnitError&) {
      return node.non_negative_quantity(kVolumeRate);  // fails with the loader's own message
    }
    if (q.dimension != kMassRate) {
      try {
        (void)units::parse_as(node.text(), kVolumeRate);
      } catch (const UnitError& e) {
        std::string message = e.what();
        const std::string expected = "expected a volume rate (e.g. 0.5 mL/day)";
        if (message.rfind(expected, 0) == 0) {
          message.insert(expected.size(),
                         " or a dose rate of the reservoir's drug (e.g. 500 ug/day)");
        }
        node.fail(message);
      }
      return device_rate(node, node.non_negative_quantity(kVolumeRate));
    }
    if (q.value < 0.0) node.fail("must not be negative, got '" + node.text() + "'");
    const Blend& blend = blend_at(t_h);
    if (blend.size() != 1) {
      std::string names;
      for (const auto& [drug, c] : blend) names += (names.empty() ? "" : " and ") + drug;
      node.fail(
          "a dose rate needs a reservoir of one drug to convert it to mL/day; this one holds " +
          (names.empty() ? std::string("none") : names) + ": give the rate in mL/day");
    }
    const auto& [drug, concentration] = *blend.begin();
    if (!(concentration > 0.0)) node.fail("the reservoir holds no " + drug + " to dose");
    if (dose_drug && *dose_drug != drug) {
      node.fail("the other steps of this program dose " + *dose_drug + ", not " + drug);
    }
    dose_drug = drug;
    dose_ug_per_h = q.value;
    return device_rate(node, q.value / concentration);
  }

  // MRI scans: a pump whose motor stalls in the field (SynchroMed II) delivers nothing from the
  // start of the scan until it resumes (`recovery` after the scan); a pump that must be emptied
  // first (Prometra) is modelled with refills to 0 mL before and back after the scan.
  void read_mri(const YamlNode& scans, PumpProgram& program) {
    if (!device_ || !device_->mri) {
      scans.fail(
          "an MRI scan needs the pump's device profile (pump.device) to know what the "
          "field does to it");
    }
    if (*device_->mri == MriBehaviour::kEmptyFirst) {
      scans.fail("a " + device_->name + " must be emptied before an MRI scan (" +
                 device_->sources["mri"] +
                 "): model it as a refill to 0 mL before the scan and one after it");
    }
    for (const auto& scan : scans.items()) {
      scan.allow_only({"at", "duration", "recovery"});
      CatheterFault stall;
      stall.kind = FaultKind::kOcclusion;
      stall.start_h = time_within_run(scan.at("at"));
      double end = stall.start_h + scan.at("duration").positive_quantity(kTime);
      if (const auto recovery = scan.find("recovery"))
        end += recovery->non_negative_quantity(kTime);
      stall.end_h = end;
      program.faults.push_back(stall);
    }
  }

  // A basal rate the device can be programmed to (0 stops the pump, which any device can).
  double device_rate(const YamlNode& node, double rate) const {
    if (!device_ || rate == 0.0) return rate;
    const auto per_day = [](double mL_per_h) { return format_count(mL_per_h * 24.0) + " mL/day"; };
    // A dose rate is named with the volume rate it comes to.
    const std::string given = units::parse_quantity(node.text()).dimension == kMassRate
                                  ? node.text() + " (" + per_day(rate) + ")"
                                  : node.text();
    if (device_->min_rate_mL_per_h && rate < *device_->min_rate_mL_per_h * (1.0 - 1e-9)) {
      node.fail(given + " is below the lowest rate a " + device_->name + " can be programmed to, " +
                per_day(*device_->min_rate_mL_per_h) + " (" + device_->sources["min_rate"] + ")");
    }
    if (device_->max_rate_mL_per_h && rate > *device_->max_rate_mL_per_h * (1.0 + 1e-9)) {
      node.fail(given + " is above the highest rate a " + device_->name +
                " can be programmed to, " + per_day(*device_->max_rate_mL_per_h) + " (" +
                device_->sources["max_rate"] + ")");
    }
    return rate;
  }

  void read_basal(const YamlNode& node, BasalProgram& basal, double t_h) {
    std::optional<std::string> dose_drug;
    std::vector<double> doses;
    const auto step_rate = [&](const YamlNode& rate) {
      double dose = 0.0;
      const double mL_per_h = basal_rate(rate, t_h, dose_drug, dose);
      doses.push_back(dose);
      return mL_per_h;
    };
    if (node.is_scalar()) {
      basal.steps.push_back({0.0, step_rate(node)});
    } else {
      read_flex_steps(node, basal, step_rate);
    }
    if (dose_drug) {
      if (std::find(doses.begin(), doses.end(), 0.0) != doses.end() && doses.size() > 1) {
        node.fail("give every step of a flex program as a dose rate, or none");
      }
      dose_programs_[t_h] = {*dose_drug, doses};
    }
  }

  template <typename StepRate>
  void read_flex_steps(const YamlNode& node, BasalProgram& basal, StepRate step_rate) {
    for (const auto& item : node.items()) {
      item.allow_only({"from", "rate"});
      const YamlNode from = item.at("from");
      const double start = from.clock_time();
      if (!basal.steps.empty() && start <= basal.steps.back().start_of_day_h) {
        from.fail("flex steps must be listed in increasing time of day");
      }
      basal.steps.push_back({start, step_rate(item.at("rate"))});
    }
    if (basal.steps.empty()) node.fail("a flex program needs at least one step");
  }

  // A program given as a dose keeps its dose when a refill changes the concentration, as a pump
  // programmed in dose units does once the new concentration is entered: the rate changes at
  // the refill (unless the scenario reprograms the basal then itself).
  void keep_doses_across_refills(const YamlNode& pump, PumpProgram& program) {
    if (dose_programs_.empty()) return;
    for (std::size_t i = 0; i < program.reservoir.refills.size(); ++i) {
      const Refill& refill = program.reservoir.refills[i];
      if (!refill.blend) continue;
      auto& changes = program.basal_changes;
      const auto at_or_after =
          std::lower_bound(changes.begin(), changes.end(), refill.time_h,
                           [](const BasalChange& c, double t) { return c.time_h < t; });
      if (at_or_after != changes.end() && at_or_after->time_h == refill.time_h) continue;
      // The program in force: the last change before the refill, or the initial basal.
      const double since = at_or_after == changes.begin() ? 0.0 : std::prev(at_or_after)->time_h;
      const auto dose = dose_programs_.find(since);
      if (dose == dose_programs_.end()) continue;
      const auto concentration = refill.blend->find(dose->second.drug);
      if (concentration == refill.blend->end() || !(concentration->second > 0.0)) {
        pump.at("refills").fail("the basal is programmed as a dose of " + dose->second.drug +
                                ", which the refill at " + format_count(refill.time_h) +
                                " h leaves out of the reservoir; reprogram the basal then");
      }
      BasalChange change{refill.time_h, at_or_after == changes.begin()
                                            ? program.basal
                                            : std::prev(at_or_after)->basal};
      for (std::size_t k = 0; k < change.basal.steps.size(); ++k) {
        change.basal.steps[k].rate_mL_per_h = dose->second.dose_ug_per_h[k] / concentration->second;
      }
      const DoseProgram carried = dose->second;
      changes.insert(at_or_after, change);
      dose_programs_[refill.time_h] = carried;
    }
  }

  void read_periodic(const YamlNode& item, std::vector<PeriodicBolus>& out) {
    item.allow_only({"volume", "duration", "every", "start", "until", "daily_at"});
    PeriodicBolus bolus;
    bolus.volume_mL = item.at("volume").positive_quantity(kVolume);
    if (const auto d = item.find("duration")) bolus.duration_h = d->non_negative_quantity(kTime);
    if (const auto until = item.find("until")) bolus.end_h = time_within_run(*until);
    if (const auto daily = item.find("daily_at")) {
      if (item.find("every") || item.find("start")) {
        daily->fail("give either daily_at or every/start, not both");
      }
      for (const auto& time : daily->items()) {
        PeriodicBolus at = bolus;
        at.interval_h = 24.0;
        at.start_h = time.clock_time();
        check_fits_interval(item, at);
        out.push_back(at);
      }
      return;
    }
    bolus.interval_h = item.at("every").positive_quantity(kTime);
    require_count(item.at("every"), duration_h() / bolus.interval_h, kMostEvents, "boluses");
    if (const auto start = item.find("start")) bolus.start_h = time_within_run(*start);
    if (const auto until = item.find("until");
        until && bolus.end_h && *bolus.end_h < bolus.start_h) {
      until->fail("is before the first bolus (start " +
                  (item.find("start") ? item.at("start").text() : std::string("0 h")) + ")");
    }
    check_fits_interval(item, bolus);
    out.push_back(bolus);
  }

  static void check_fits_interval(const YamlNode& item, const PeriodicBolus& bolus) {
    if (bolus.duration_h >= bolus.interval_h) {
      item.at("duration")
          .fail("a bolus of " + item.at("duration").text() +
                " does not fit in its interval; it must be shorter");
    }
  }

  PatientBolusProgram read_patient_boluses(const YamlNode& node) {
    node.allow_only(
        {"volume", "duration", "lockout", "max_per_day", "requests", "requests_daily_at"});
    PatientBolusProgram p;
    p.volume_mL = node.at("volume").positive_quantity(kVolume);
    if (const auto d = node.find("duration")) p.duration_h = d->non_negative_quantity(kTime);
    const YamlNode lockout = node.at("lockout");
    p.lockout_h = lockout.non_negative_quantity(kTime);
    if (p.lockout_h > 24.0) lockout.fail("a lockout longer than a day (24 h) is not programmable");
    // A lockout shorter than the bolus would let a second bolus start while one still runs.
    if (p.lockout_h <= 0.0 || p.lockout_h < p.duration_h) {
      lockout.fail("must be longer than zero and at least the bolus duration (" +
                   (node.find("duration") ? node.at("duration").text() : std::string("0 min")) +
                   "), got " + lockout.text());
    }
    const YamlNode max = node.at("max_per_day");
    p.max_per_day = max.integer();
    if (p.max_per_day < 1 || p.max_per_day > 96) {
      max.fail("expected 1 to 96 boluses per day, got " + std::to_string(p.max_per_day));
    }
    if (const auto requests = node.find("requests")) {
      for (const auto& r : requests->items()) p.request_times_h.push_back(time_within_run(r));
    }
    if (const auto daily = node.find("requests_daily_at")) {
      for (const auto& r : daily->items()) {
        for (double t = r.clock_time(); t <= duration_h(); t += 24.0)
          p.request_times_h.push_back(t);
      }
    }
    std::sort(p.request_times_h.begin(), p.request_times_h.end());
    return p;
  }

  // Refuses a program that would expand into more than `most` events, with the estimate.
  static void require_count(const YamlNode& where, double count, double most, const char* what) {
    if (count > most) {
      where.fail("gives about " + format_count(count) + " " + what + " over the run, more than " +
                 format_count(most) + "; check the unit");
    }
  }

  void read_refills(const YamlNode& node, Reservoir& reservoir) {
    const auto check_volume = [&](const YamlNode& volume) {
      const double v = volume.positive_quantity(kVolume);
      if (v > reservoir.capacity_mL) {
        volume.fail("refill volume is above the reservoir capacity (" +
                    format_count(reservoir.capacity_mL) + " mL)");
      }
      return v;
    };
    if (node.is_map()) {  // every N days
      node.allow_only({"every", "volume", "blend", "first"});
      const double every = node.at("every").positive_quantity(kTime);
      const double volume = check_volume(node.at("volume"));
      std::optional<Blend> blend;
      if (const auto b = node.find("blend")) blend = read_blend(*b);
      double t = every;
      if (const auto first = node.find("first")) t = time_within_run(*first);
      require_count(node.at("every"), duration_h() / every, kMostEvents, "refills");
      for (; t <= duration_h(); t += every) reservoir.refills.push_back({t, volume, blend});
      return;
    }
    for (const auto& item : node.items()) {
      if (const auto every = item.find("every")) {
        every->fail(
            "a list holds one-off refills, each with 'at'; a repeating refill is the mapping "
            "form 'refills: {every: 28 day, volume: 20 mL}'");
      }
      item.allow_only({"at", "volume", "blend", "pocket_fill"});
      Refill refill;
      refill.time_h = time_within_run(item.at("at"));
      refill.fill_to_mL = check_volume(item.at("volume"));
      if (const auto pocket = item.find("pocket_fill")) {
        refill.pocket_mL = pocket->positive_quantity(kVolume);
        if (refill.pocket_mL > refill.fill_to_mL) {
          pocket->fail("is more than the " + format_count(refill.fill_to_mL) +
                       " mL injected at this refill");
        }
        pocket_fills_.emplace_back(reservoir.refills.size(), *pocket);
      }
      if (const auto b = item.find("blend")) refill.blend = read_blend(*b);
      if (!reservoir.refills.empty() && refill.time_h <= reservoir.refills.back().time_h) {
        item.at("at").fail("refills must be listed in time order");
      }
      reservoir.refills.push_back(refill);
    }
  }

  void read_catheter(Scenario& s) {
    const auto catheter = root_.find("catheter");
    if (!catheter) return;
    catheter->allow_only({"tip", "dead_volume", "implanted_length", "primed", "faults"});
    if (const auto tip = catheter->find("tip")) {
      if (s.spinal) {
        s.catheter_tip_cm = spinal_position(*tip, *s.spinal);
      } else {
        s.catheter_compartment = compartment_for(*tip, s.model);
        const auto& fluid = s.model.fluid;
        if (fluid && std::find(fluid->chain.begin(), fluid->chain.end(), s.catheter_compartment) ==
                         fluid->chain.end()) {
          tip->fail("the catheter feeds '" + s.catheter_compartment +
                    "', which is not on the fluid chain of '" + s.model.name + "'");
        }
      }
    } else if (s.spinal) {
      catheter->at("tip");  // the 1D model needs to know where the tip is
    }
    if (const auto dead = catheter->find("dead_volume")) {
      s.program.catheter.dead_volume_mL = dead->non_negative_quantity(kVolume);
    }
    if (const auto length = catheter->find("implanted_length")) {
      // The dead volume from the implanted length and the device's catheter volume per cm.
      if (catheter->find("dead_volume")) {
        length->fail("give either dead_volume or implanted_length, not both");
      }
      if (!device_ || !device_->catheter_volume_mL_per_cm) {
        length->fail(std::string(device_ ? "the " + device_->name + " profile has"
                                         : "without "
                                           "pump.device there is") +
                     " no catheter volume per cm; give catheter.dead_volume (mL) instead");
      }
      s.program.catheter.dead_volume_mL =
          length->non_negative_quantity(kLength) * *device_->catheter_volume_mL_per_cm;
    }
    if (const auto primed = catheter->find("primed")) s.program.catheter.primed = primed->boolean();
    if (const auto faults = catheter->find("faults")) {
      for (const auto& item : faults->items()) {
        item.allow_only({"type", "from", "until", "fraction"});
        CatheterFault fault;
        const YamlNode type = item.at("type");
        if (type.text() == "occlusion") {
          fault.kind = FaultKind::kOcclusion;
        } else if (type.text() == "disconnection") {
          fault.kind = FaultKind::kDisconnection;
        } else if (type.text() == "partial_occlusion") {
          fault.kind = FaultKind::kPartialOcclusion;
        } else if (type.text() == "leak") {
          fault.kind = FaultKind::kLeak;
        } else {
          type.fail("expected occlusion, partial_occlusion, leak or disconnection, got '" +
                    type.text() + "'");
        }
        const bool fractional =
            fault.kind == FaultKind::kPartialOcclusion || fault.kind == FaultKind::kLeak;
        if (const auto fraction = item.find("fraction"); fraction && !fractional) {
          fraction->fail("only a partial_occlusion or a leak has a fraction");
        }
        if (fractional) {
          const YamlNode fraction = item.at("fraction");
          fault.fraction = fraction.number();
          if (!(fault.fraction > 0.0 && fault.fraction < 1.0)) {
            fraction.fail(std::string(fault.kind == FaultKind::kLeak
                                          ? "the fraction of the delivered fluid that leaks"
                                          : "the fraction of the programmed flow that passes") +
                          " must lie strictly between 0 and 1, got " + fraction.text());
          }
        }
        fault.start_h = time_within_run(item.at("from"));
        if (const auto until = item.find("until")) {
          fault.end_h = time_within_run(*until);
          if (*fault.end_h <= fault.start_h) until->fail("must be after 'from'");
        }
        s.program.faults.push_back(fault);
      }
    }
  }

  // A vertebral level or a compartment name, for the compartmental model.
  static std::string compartment_for(const YamlNode& node, const CompartmentModelSpec& model) {
    const std::string text = node.text();
    if (const auto level = vertebral_level_index(text)) {
      const CompartmentSpec* c = model.compartment_at_level(*level);
      if (c == nullptr) node.fail("level " + text + " lies in no compartment of the model");
      return c->name;
    }
    if (model.find(text) != nullptr) return text;
    node.fail(
        "expected a vertebral level (C1–C7, T1–T12, L1–L5, S1–S5) or a compartment of "
        "the model, got '" +
        text + "'");
  }

  // A vertebral level placed by the anatomy, or a distance from the sacral end ("12 cm").
  static double spinal_position(const YamlNode& node, const Spinal1DSpec& spec) {
    const std::string text = node.text();
    if (vertebral_level_index(text)) {
      const auto x = spec.anatomy.level_position(text);
      if (!x) node.fail("the anatomy '" + spec.anatomy.name + "' does not place level " + text);
      return *x;
    }
    if (!text.empty() &&
        (std::isdigit(static_cast<unsigned char>(text[0])) != 0 || text[0] == '-')) {
      const double x = node.quantity(kLength);
      if (x < 0.0 || x > spec.anatomy.canal_length_cm) {
        node.fail("'" + text + "' is outside the canal, which runs from 0 cm (sacral end) to " +
                  std::to_string(static_cast<int>(spec.anatomy.canal_length_cm)) +
                  " cm (foramen magnum)");
      }
      return x;
    }
    node.fail(
        "expected a vertebral level (C1–C7, T1–T12, L1–L5, S1–S2) or a distance from the "
        "sacral end such as '25 cm', got '" +
        text + "'");
  }

  // `dosing: {nmtran: FILE, units: {time, amount, flow}, compartments: {N: name}, drug, id}`:
  // the delivery from an NM-TRAN event table (io/nmtran.hpp).
  void read_dosing(const YamlNode& node, Scenario& s) {
    node.allow_only({"nmtran", "units", "compartments", "drug", "id"});
    const YamlNode file_node = node.at("nmtran");
    fs::path path = file_node.text();
    if (path.is_relative()) path = fs::path(folder_) / path;
    NmtranOptions options;
    options.scenario_file = file_;
    options.scenario_line = node.line();
    if (const auto u = node.find("units")) {
      u->allow_only({"time", "amount", "flow"});
      if (const auto t = u->find("time")) options.time_unit = t->text();
      if (const auto a = u->find("amount")) options.amount_unit = a->text();
      if (const auto f = u->find("flow")) options.flow_unit = f->text();
    }
    if (const auto c = node.find("compartments")) {
      for (const auto& [number, name] : c->entries()) {
        int n = 0;
        const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
        if (ec != std::errc() || end != number.data() + number.size()) {
          name.fail("expected a compartment number (CMT) as the key, got '" + number + "'");
        }
        options.compartments[n] = name.text();
      }
    }
    if (const auto d = node.find("drug")) {
      require_known_drug(d->text(), *d);
      options.drug = d->text();
    }
    if (const auto id = node.find("id")) options.id = id->text();
    const NmtranDosing table = read_nmtran(path.string(), options);
    EventTable events;
    events.flows = table.flows;
    for (const NmtranDosing::Dose& dose : table.doses) {
      if (!library_.contains(dose.record.drug) && inline_drugs_.count(dose.record.drug) == 0) {
        const std::string hint = closest_match(dose.record.drug, library_.names());
        throw InputError(
            path.string(), dose.line, "DRUG",
            "unknown drug '" + dose.record.drug + "'" +
                (hint.empty() ? "; the library has " + join_alternatives(library_.names())
                              : "; did you mean '" + hint + "'?"));
      }
      DoseRecord record = dose.record;
      record.route = dosing_route(dose.compartment, s, path.string(), dose.line);
      if (record.route.kind == RouteKind::kSubcutaneous) {
        subcutaneous_drugs_.try_emplace(record.drug, path.string(), dose.line);
      }
      if (record.time_h > duration_h()) continue;  // after the run: never given
      events.doses.push_back(std::move(record));
    }
    std::stable_sort(events.doses.begin(), events.doses.end(),
                     [](const DoseRecord& a, const DoseRecord& b) { return a.time_h < b.time_h; });
    s.dosing = std::move(events);
  }

  // catheter_tip, plasma, subcutaneous, or a site of the model (a compartment or vertebral level;
  // in the 1D model a vertebral level or cranial_pool).
  static Route dosing_route(const std::string& name, const Scenario& s, const std::string& file,
                            int line) {
    if (name == "catheter_tip") return {RouteKind::kCatheterTip, ""};
    if (name == "plasma") return {RouteKind::kPlasma, ""};
    if (name == "subcutaneous") return {RouteKind::kSubcutaneous, ""};
    if (s.spinal) {
      if (name == "cranial_pool" || vertebral_level_index(name)) return {RouteKind::kSite, name};
    } else {
      if (s.model.find(name) != nullptr) return {RouteKind::kSite, name};
      if (const auto level = vertebral_level_index(name)) {
        if (const CompartmentSpec* c = s.model.compartment_at_level(*level)) {
          return {RouteKind::kSite, c->name};
        }
      }
    }
    throw InputError(file, line, "CMT",
                     "compartment '" + name +
                         "' is not catheter_tip, plasma, subcutaneous or a site of this model" +
                         (s.spinal ? " (a vertebral level or cranial_pool)"
                                   : " (a compartment or vertebral level)"));
  }

  void read_injections(const YamlNode& node, Scenario& s) {
    for (const auto& item : node.items()) {
      item.allow_only({"at", "duration", "site", "dose", "volume"});
      DirectInjection injection;
      injection.time_h = time_within_run(item.at("at"));
      if (const auto d = item.find("duration"))
        injection.duration_h = d->non_negative_quantity(kTime);
      if (const auto v = item.find("volume")) {
        injection.volume_mL = v->positive_quantity(kVolume);
        if (item.find("site")) {
          v->fail(
              "the injected volume is modelled at the catheter tip only: leave out 'site' "
              "and place catheter.tip at the injection level");
        }
        if (!(injection.duration_h > 0.0)) {
          v->fail(
              "an injection with a volume needs a duration (e.g. 'duration: 1 min'): the "
              "volume flows in over it");
        }
        const bool fluid = s.spinal ? !s.spinal->velocity_cm_per_h : s.model.fluid.has_value();
        if (!fluid) {
          v->fail(
              "this model has no CSF fluid balance (a prescribed velocity or explicit flows), "
              "so an injected volume would change nothing; leave it out");
        }
      }
      if (const auto site = item.find("site")) {
        if (s.spinal) {
          injection.site = site->text();
          if (injection.site != "cranial_pool") {
            spinal_position(*site, *s.spinal);
            if (!vertebral_level_index(injection.site)) {
              site->fail("in the 1D model an injection site is a vertebral level or cranial_pool");
            }
          }
        } else {
          injection.site = compartment_for(*site, s.model);
        }
      }
      for (const auto& [drug, dose] : item.at("dose").entries()) {
        require_known_drug(drug, dose);
        injection.dose_ug[drug] = dose.positive_quantity(kMass);
      }
      s.program.direct_injections.push_back(injection);
    }
  }

  // Between-patient multipliers (run/scenario.hpp), applied when the scenario is compiled.
  static void read_variability(const YamlNode& node, Scenario& s) {
    node.allow_only({"csf_volume_factor", "csf_elimination_factor", "dispersion_factor"});
    const auto factor = [&](const char* key) {
      const auto value = node.find(key);
      if (!value) return 1.0;
      const double f = value->positive_quantity(kDimensionless);
      if (f > Variability::kMost || f < Variability::kLeast) {
        value->fail(variability_range_message());
      }
      return f;
    };
    s.variability.csf_volume_factor = factor("csf_volume_factor");
    s.variability.csf_elimination_factor = factor("csf_elimination_factor");
    s.variability.dispersion_factor = factor("dispersion_factor");
    if (!s.spinal && node.find("dispersion_factor")) {
      node.at("dispersion_factor").fail(variability_dispersion_message());
    }
  }

  void collect_drugs(Scenario& s) {
    std::set<std::string> names;
    for (const auto& entry : s.program.reservoir.blend) names.insert(entry.first);
    for (const auto& refill : s.program.reservoir.refills) {
      if (refill.blend) {
        for (const auto& entry : *refill.blend) names.insert(entry.first);
      }
    }
    for (const auto& injection : s.program.direct_injections) {
      for (const auto& entry : injection.dose_ug) names.insert(entry.first);
    }
    if (s.dosing) {
      for (const auto& dose : s.dosing->doses) names.insert(dose.drug);
    }
    for (const auto& name : names) {
      const auto defined = inline_drugs_.find(name);
      s.drugs[name] = defined != inline_drugs_.end() ? defined->second : library_.get(name);
    }
    if (const auto overrides = root_.find("drugs")) {
      for (const auto& [name, values] : overrides->entries()) {
        require_known_drug(name, values);
        if (names.count(name) == 0) {
          values.fail("drug '" + name + "' is not delivered in this scenario");
        }
        if (inline_drugs_.count(name) == 0) apply_drug_overrides(s.drugs[name], values);
      }
    }
  }

  // A pocket fill needs each drug of the blend in the reservoir to have a subcutaneous
  // absorption rate.
  // Without one, the drugs' subcutaneous absorption is dropped, so that no model carries a
  // pocket depot nothing can fill.
  void check_pocket_fills(Scenario& s) const {
    if (s.dosing) {
      for (auto& [name, drug] : s.drugs) {
        const auto under_skin = subcutaneous_drugs_.find(name);
        if (under_skin == subcutaneous_drugs_.end()) {
          drug.subcutaneous_absorption_per_h.reset();
        } else if (!drug.subcutaneous_absorption_per_h) {
          throw InputError(under_skin->second.first, under_skin->second.second, "CMT",
                           "puts " + name +
                               " under the skin, but the drug has no subcutaneous_absorption_rate; "
                               "give one (1/h) under drugs." +
                               name);
        }
      }
      return;
    }
    if (pocket_fills_.empty()) {
      for (auto& entry : s.drugs) entry.second.subcutaneous_absorption_per_h.reset();
      return;
    }
    const Reservoir& reservoir = s.program.reservoir;
    for (const auto& [index, node] : pocket_fills_) {
      Blend blend = reservoir.blend;
      for (std::size_t i = 0; i <= index; ++i) {
        if (reservoir.refills[i].blend) blend = *reservoir.refills[i].blend;
      }
      for (const auto& [name, concentration] : blend) {
        if (concentration <= 0.0 || s.drugs.at(name).subcutaneous_absorption_per_h) continue;
        node.fail("puts " + name +
                  " under the skin, but the drug has no subcutaneous_absorption_rate; give one "
                  "(1/h) under drugs." +
                  name);
      }
    }
  }

  // Every drug with rules for the patient's indication titrates by them; the indication must
  // mean something to at least one drug delivered.
  static void apply_indication(const YamlNode& node, Scenario& s) {
    s.indication = node.text();
    std::set<std::string> known;
    bool used = false;
    for (auto& [name, drug] : s.drugs) {
      if (!drug.clinical) continue;
      for (const auto& entry : drug.clinical->indications) known.insert(entry.first);
      if (drug.clinical->indications.count(s.indication) == 0) continue;
      drug.clinical = drug.clinical->for_indication(s.indication);
      used = true;
    }
    if (used) return;
    node.fail("no drug of this scenario has rules for the indication '" + s.indication + "'" +
              (known.empty() ? std::string("; none has indication-specific rules")
                             : "; expected " + join_alternatives({known.begin(), known.end()})));
  }

  // A model that applies each drug's lumped CSF loss (reference problem P1) needs the rate,
  // which library drugs do not carry: say so before solving.
  void check_lumped_rates(const Scenario& s) const {
    if (s.spinal) return;
    const bool needs_rate = std::any_of(s.model.losses.begin(), s.model.losses.end(),
                                        [](const LossSpec& l) { return !l.rate_per_h; });
    if (!needs_rate) return;
    for (const auto& [name, drug] : s.drugs) {
      if (drug.csf_elimination_rate_per_h) continue;
      root_.at("model")
          .at("compartments")
          .fail("compartment model '" + s.model.name +
                "' applies each drug's lumped csf_elimination_rate, which '" + name +
                "' does not have: give drugs." + name +
                ".csf_elimination_rate, or use a model with a fluid balance such as four_region");
    }
  }

  // Refuses output grids that cannot be held, and (unless forced) ones above the size limit,
  // with the estimate.
  void check_output_size(const YamlNode& where, const Scenario& s, double samples) const {
    if (samples > kMostOutputSamples) {
      where.fail("gives about " + format_count(samples) + " output times, more than " +
                 format_count(kMostOutputSamples) + " can be held; choose a longer interval");
    }
    // Every drug has a value per site (compartments and plasma, or the 1D cells, cord segments,
    // pool and plasma) at every output time, as float64.
    const double sites = model_type(s).series_per_drug(s);
    const double bytes = 8.0 * static_cast<double>(std::max<std::size_t>(1, s.drugs.size())) *
                         sites * (samples + 1.0);
    if (bytes > limits_.max_output_bytes) {
      std::ostringstream message;
      message << std::setprecision(3) << "gives about " << format_count(samples)
              << " output times, about " << bytes / 1e9 << " GB of results ("
              << std::max<std::size_t>(1, s.drugs.size()) << " drug(s) x "
              << static_cast<long long>(sites) << " series); the limit is "
              << limits_.max_output_bytes / 1e9 << " GB: choose a longer interval, or pass --force";
      where.fail(message.str());
    }
  }

  void read_output(Scenario& s) {
    double interval = 1.0;
    if (const auto output = root_.find("output")) {
      output->allow_only({"interval", "times", "spread_threshold"});
      if (const auto threshold = output->find("spread_threshold")) {
        s.spread_threshold_ug_per_mL = threshold->positive_quantity(kConcentration);
      }
      if (const auto times = output->find("times")) {
        for (const auto& t : times->items()) s.output_times_h.push_back(time_within_run(t));
        if (s.output_times_h.empty()) times->fail("expected at least one output time");
        check_output_size(*times, s, static_cast<double>(s.output_times_h.size()));
        // Strictly: a repeated time would give two samples at one instant, which every
        // summary (and `csfpk verify`) reads as a zero-length step.
        if (std::adjacent_find(s.output_times_h.begin(), s.output_times_h.end(),
                               std::greater_equal<>()) != s.output_times_h.end()) {
          times->fail("output times must be strictly increasing");
        }
        return;
      }
      if (const auto i = output->find("interval")) {
        interval = i->positive_quantity(kTime);
        check_output_size(*i, s, s.duration_h / interval);
      }
    }
    const auto count = static_cast<std::size_t>(std::floor(s.duration_h / interval * (1 + 1e-12)));
    for (std::size_t i = 0; i <= count; ++i)
      s.output_times_h.push_back(static_cast<double>(i) * interval);
    if (s.output_times_h.back() < s.duration_h * (1 - 1e-12))
      s.output_times_h.push_back(s.duration_h);
  }

  static void read_solver(const YamlNode& node, SolverOptions& options) {
    node.allow_only({"method", "rtol", "atol"});
    if (const auto method = node.find("method")) {
      if (method->text() == "auto") {
        options.method = SolverMethod::kAuto;
      } else if (method->text() == "cvode") {
        options.method = SolverMethod::kCvode;
      } else if (method->text() == "exact") {
        options.method = SolverMethod::kExact;
      } else {
        method->fail("expected auto, cvode or exact, got '" + method->text() + "'");
      }
    }
    if (const auto rtol = node.find("rtol")) {
      options.relative_tolerance = rtol->number();
      if (!(options.relative_tolerance >= 1e-14 && options.relative_tolerance <= 1e-2)) {
        rtol->fail("expected a relative tolerance between 1e-14 and 1e-2, got '" + rtol->text() +
                   "'");
      }
    }
    if (const auto atol = node.find("atol")) {
      options.absolute_tolerance_ug_per_mL = atol->positive_quantity(kConcentration);
    }
  }

  const YamlNode& root_;
  const ModelLibrary& models_;
  const DrugLibrary& library_;
  std::string file_;
  std::string folder_;
  std::map<std::string, Drug> inline_drugs_;
  LoadLimits limits_;
  mutable std::optional<DeviceProfile> device_;  // `pump.device`, read before the reservoir
  const Reservoir* reservoir_ = nullptr;         // read before the basal programs
  // Basal programs given as doses, by start time (0: the initial basal): drug and µg/h per step.
  struct DoseProgram {
    std::string drug;
    std::vector<double> dose_ug_per_h;
  };
  std::map<double, DoseProgram> dose_programs_;
  std::unique_ptr<YamlNode> duration_node_;
  std::vector<std::pair<std::size_t, YamlNode>> pocket_fills_;  // refill index, its pocket_fill
  // Drugs an event table puts under the skin, with the table and line of the first such dose.
  std::map<std::string, std::pair<std::string, int>> subcutaneous_drugs_;
};

}  // namespace

std::string variability_range_message() {
  return "expected a multiplier between 0.01 and 100";
}

std::string variability_dispersion_message() {
  return "applies to the spinal_1d model only";
}

struct ScenarioTemplate::Parsed {
  YAML::Node tree;
  std::shared_ptr<const YamlSource> source;
};

ScenarioTemplate::ScenarioTemplate(const std::string& path,
                                   const std::vector<std::string>& overrides,
                                   std::shared_ptr<const ModelLibrary> library,
                                   const LoadLimits& limits)
    : ScenarioTemplate(read_text(path), path, fs::path(path).parent_path().string(), overrides,
                       std::move(library), limits) {}

ScenarioTemplate ScenarioTemplate::from_text(const std::string& text, const std::string& name,
                                             const std::string& folder,
                                             const std::vector<std::string>& overrides,
                                             std::shared_ptr<const ModelLibrary> library,
                                             const LoadLimits& limits) {
  return ScenarioTemplate(text, name, folder, overrides, std::move(library), limits);
}

ScenarioTemplate::ScenarioTemplate(std::string text, const std::string& path,
                                   const std::string& folder,
                                   const std::vector<std::string>& overrides,
                                   std::shared_ptr<const ModelLibrary> library,
                                   const LoadLimits& limits)
    : library_(std::move(library)), limits_(limits), folder_(folder) {
  auto source = std::make_shared<YamlSource>();
  source->file = path;
  auto parsed = std::make_shared<Parsed>();
  parsed->tree = YamlNode::load_string(text, source).raw();
  if (!overrides.empty()) {
    for (const auto& assignment : overrides) {
      source->overridden_paths.insert(
          apply_yaml_override(parsed->tree, assignment, "pump.basal='0.4 mL/day'"));
    }
    YAML::Emitter out;
    out << parsed->tree;
    text = std::string(out.c_str()) + "\n";
  }
  parsed->source = source;
  parsed_ = parsed;
  // Line numbers still refer to the user's file for fields that were not overridden.
  const YamlNode root(parsed_->tree, parsed_->source, "");
  base_ = ScenarioReader(root, *library_, path, folder_, limits_).read();
  base_.text = std::move(text);
}

Scenario ScenarioTemplate::with(const std::vector<std::string>& overrides) const {
  if (overrides.empty()) {
    Scenario copy = base_;
    copy.text.clear();
    return copy;
  }
  auto source = std::make_shared<YamlSource>(*parsed_->source);
  YAML::Node tree;
  {
    // yaml-cpp does not promise that even reading a node is safe from several threads.
    static std::mutex clone_mutex;
    const std::lock_guard lock(clone_mutex);
    tree = YAML::Clone(parsed_->tree);
  }
  for (const auto& assignment : overrides) {
    source->overridden_paths.insert(
        apply_yaml_override(tree, assignment, "pump.basal='0.4 mL/day'"));
  }
  const YamlNode root(tree, source, "");
  return ScenarioReader(root, *library_, base_.file, folder_, limits_).read();
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides,
                       const std::string& models_dir, const LoadLimits& limits) {
  return ScenarioTemplate(path, overrides, std::make_shared<const ModelLibrary>(models_dir), limits)
      .base();
}

}  // namespace csfpk
