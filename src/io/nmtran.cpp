#include "csfpk/io/nmtran.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <set>
#include <sstream>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/text.hpp"
#include "csfpk/core/units.hpp"
#include "csfpk/io/data_paths.hpp"
#include "csfpk/io/model_library.hpp"
#include "csfpk/io/result_reader.hpp"
#include "csfpk/io/scenario_loader.hpp"
#include "csfpk/version.hpp"
#include "io/yaml_node.hpp"

namespace csfpk {
namespace {

namespace fs = std::filesystem;

constexpr const char* kColumns = "ID,TIME,EVID,AMT,RATE,II,ADDL,CMT,DRUG,DV,MDV,FLOW";

std::string num(double v) {
  return round_trip_number(v);
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

std::vector<std::string> split(std::string_view line, char sep) {
  std::vector<std::string> cells;
  std::size_t start = 0;
  while (true) {
    const auto end = line.find(sep, start);
    cells.push_back(
        trim(line.substr(start, end == std::string_view::npos ? line.npos : end - start)));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return cells;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Compartment numbers for the names a result uses, in order of first appearance.
class CompartmentNumbers {
 public:
  int of(const Route& route) {
    switch (route.kind) {
      case RouteKind::kCatheterTip:
        return kCatheterTipCompartment;
      case RouteKind::kPlasma:
        return kPlasmaCompartment;
      case RouteKind::kSubcutaneous:
        return kSubcutaneousCompartment;
      case RouteKind::kSite:
        break;
    }
    return of_site(route.site);
  }
  int of_site(const std::string& site) {
    if (site == "plasma") return kPlasmaCompartment;
    const auto found = std::find(named_.begin(), named_.end(), site);
    if (found != named_.end())
      return kFirstNamedCompartment + static_cast<int>(found - named_.begin());
    named_.push_back(site);
    return kFirstNamedCompartment + static_cast<int>(named_.size() - 1);
  }
  std::string legend() const {
    std::string text = std::to_string(kCatheterTipCompartment) + " catheter_tip, " +
                       std::to_string(kPlasmaCompartment) + " plasma, " +
                       std::to_string(kSubcutaneousCompartment) + " subcutaneous";
    for (std::size_t i = 0; i < named_.size(); ++i) {
      text += ", " + std::to_string(kFirstNamedCompartment + static_cast<int>(i)) + " " + named_[i];
    }
    return text;
  }

 private:
  std::vector<std::string> named_;
};

double flow_at(const std::vector<FlowRecord>& flows, double t) {
  double rate = 0.0;
  for (const FlowRecord& f : flows) {
    if (f.time_h > t) break;
    rate = f.volume_rate_mL_per_h;
  }
  return rate;
}

// A unit for one column: the factor to internal units, checked against the dimension.
double unit_factor(const std::string& unit, units::Dimension dimension, const std::string& column,
                   const std::string& file, int line, const std::string& field) {
  try {
    return units::parse_as("1 " + unit, dimension);
  } catch (const UnitError& e) {
    throw InputError(file, line, field, "unit '" + unit + "' for " + column + ": " + e.what());
  }
}

}  // namespace

void export_nmtran(const std::string& h5_path, OutputClaim& csv) {
  const ResultFile result = read_result(h5_path);
  const RunRecord& record = result.record;
  const Provenance& provenance = record.provenance;
  if (provenance.scenario_text.empty()) {
    throw IoError(h5_path + ": holds no scenario text, so its delivery cannot be rebuilt");
  }
  const std::string folder = fs::path(provenance.scenario_file).parent_path().string();
  const ScenarioTemplate scenario = ScenarioTemplate::from_text(
      provenance.scenario_text, provenance.scenario_file, folder, {},
      std::make_shared<const ModelLibrary>(models_directory()), LoadLimits::forced());
  const InfusionSchedule schedule = delivery_schedule(scenario.base());
  const Trajectory& traj = record.trajectory;
  // The rebuilt delivery must be the one that ran.
  if (!traj.times_h.empty()) {
    for (const DrugTrajectory& drug : traj.drugs) {
      if (drug.delivered_ug.empty()) continue;
      const double stored = drug.delivered_ug.back();
      const double rebuilt = schedule.delivered_ug(drug.drug, traj.times_h.back());
      if (std::abs(rebuilt - stored) > 1e-9 * std::max(std::abs(stored), 1.0)) {
        throw IoError(h5_path + ": the delivery rebuilt from its scenario gives " + num(rebuilt) +
                      " ug of " + drug.drug + " by the end, the file records " + num(stored) +
                      " ug; the scenario's data files have changed since it was run");
      }
    }
  }
  const EventTable table = event_table(schedule);

  CompartmentNumbers numbers;
  for (const std::string& site : traj.sites) numbers.of_site(site);
  struct Line {
    double time;
    int order;  // at one time: flow changes, then doses, then observations
    std::string text;
  };
  std::vector<Line> lines;
  const auto row = [&](double t, int evid, double amt, double rate, double ii, int addl, int cmt,
                       const std::string& drug, double dv, int mdv) {
    std::string text = "1," + num(t) + "," + std::to_string(evid) + "," + num(amt) + "," +
                       num(rate) + "," + num(ii) + "," + std::to_string(addl) + "," +
                       std::to_string(cmt) + "," + drug + "," + num(dv) + "," +
                       std::to_string(mdv) + "," + num(flow_at(table.flows, t));
    lines.push_back({t, evid == 2 ? 0 : evid == 1 ? 1 : 2, std::move(text)});
  };
  for (const FlowRecord& f : table.flows)
    row(f.time_h, 2, 0, 0, 0, 0, kCatheterTipCompartment, "", 0, 1);
  for (const DoseRecord& d : table.doses) {
    row(d.time_h, 1, d.amount_ug, d.rate_ug_per_h, d.interval_h, d.additional, numbers.of(d.route),
        d.drug, 0, 1);
  }
  for (const DrugTrajectory& drug : traj.drugs) {
    for (std::size_t s = 0; s < traj.sites.size(); ++s) {
      const int cmt = numbers.of_site(traj.sites[s]);
      for (std::size_t t = 0; t < traj.times_h.size(); ++t) {
        row(traj.times_h[t], 0, 0, 0, 0, 0, cmt, drug.drug,
            drug.concentration_ug_per_mL(static_cast<Eigen::Index>(s),
                                         static_cast<Eigen::Index>(t)),
            0);
      }
    }
  }
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    return a.time < b.time || (a.time == b.time && a.order < b.order);
  });

  const std::string partial = csv.create_temporary();
  {
    std::ofstream out(partial, std::ios::trunc);
    out << "# csfpk NM-TRAN event table: csfpk " << kVersion << ", from " << h5_path
        << " (scenario " << provenance.scenario_file << ")\n"
        << "# units: TIME h, AMT ug, RATE ug/h, II h, DV ug/mL, FLOW mL/h\n"
        << "# CMT: " << numbers.legend() << "\n"
        << "# EVID 1 dose (RATE 0: bolus; II, ADDL: repeats), EVID 0 observation of DV at CMT, "
           "EVID 2 change of the catheter-tip FLOW\n"
        << kColumns << "\n";
    for (const Line& line : lines) out << line.text << "\n";
    out.flush();
    if (!out) throw IoError(csv.path() + ": could not write the NM-TRAN table");
  }
  csv.commit(partial);
}

NmtranDosing read_nmtran(const std::string& path, const NmtranOptions& options) {
  const std::string text = read_text_file(path, "NM-TRAN table");
  std::istringstream in(text);
  std::string raw;
  int line_no = 0;
  std::map<std::string, std::string> file_units;  // column → unit
  std::map<int, std::string> compartments;
  std::vector<std::string> header;
  int header_line = 0;
  struct Cells {
    std::vector<std::string> cells;
    int line;
  };
  std::vector<Cells> rows;
  while (std::getline(in, raw)) {
    ++line_no;
    const std::string line = trim(raw);
    if (line.empty()) continue;
    if (line[0] == '#' || line[0] == '@') {
      const std::string body = trim(std::string_view(line).substr(1));
      if (body.rfind("units:", 0) == 0) {
        for (const std::string& item : split(body.substr(6), ',')) {
          const auto space = item.find(' ');
          if (space == std::string::npos) {
            throw InputError(path, line_no, "units", "expected 'COLUMN unit', got '" + item + "'");
          }
          file_units[upper(item.substr(0, space))] = trim(item.substr(space + 1));
        }
      } else if (body.rfind("CMT:", 0) == 0) {
        for (const std::string& item : split(body.substr(4), ',')) {
          const auto space = item.find(' ');
          int number = 0;
          const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), number);
          if (space == std::string::npos || ec != std::errc() || end != item.data() + space) {
            throw InputError(path, line_no, "CMT", "expected 'NUMBER name', got '" + item + "'");
          }
          compartments[number] = trim(item.substr(space + 1));
        }
      }
      continue;
    }
    if (header.empty()) {
      for (const std::string& name : split(line, ',')) header.push_back(upper(name));
      header_line = line_no;
      continue;
    }
    rows.push_back({split(line, ','), line_no});
  }
  if (header.empty())
    throw InputError(path, 0, "", "no header line (e.g. ID,TIME,EVID,AMT,RATE,CMT,DRUG)");
  const auto column = [&](const std::string& name) -> std::optional<std::size_t> {
    const auto found = std::find(header.begin(), header.end(), name);
    if (found == header.end()) return std::nullopt;
    return static_cast<std::size_t>(found - header.begin());
  };
  for (const char* needed : {"TIME", options.observations ? "DV" : "AMT"}) {
    if (!column(needed)) {
      throw InputError(path, header_line, needed,
                       std::string("the table has no ") + needed + " column; it has " +
                           join_alternatives(header));
    }
  }
  if (!column("CMT") && options.compartments.size() != 1 && !options.observations) {
    throw InputError(path, header_line, "CMT",
                     "the table has no CMT column; give dosing.compartments with the one "
                     "compartment every dose goes to");
  }
  if (!column("DRUG") && !options.drug && !options.observations) {
    throw InputError(path, header_line, "DRUG",
                     "the table has no DRUG column; give dosing.drug (e.g. morphine)");
  }
  for (const auto& [number, name] : options.compartments) compartments[number] = name;
  if (compartments.empty()) {
    compartments = {{kCatheterTipCompartment, "catheter_tip"},
                    {kPlasmaCompartment, "plasma"},
                    {kSubcutaneousCompartment, "subcutaneous"}};
  }

  // Units: the scenario's, else the table's; none is guessed.
  const auto unit_of = [&](const std::string& col, const std::optional<std::string>& given,
                           const char* field, units::Dimension dimension,
                           const char* example) -> double {
    if (given)
      return unit_factor(*given, dimension, col, options.scenario_file, options.scenario_line,
                         field);
    const auto stated = file_units.find(col);
    if (stated != file_units.end()) {
      return unit_factor(stated->second, dimension, col, path, 0, "units");
    }
    throw InputError(path, header_line, col,
                     "the table does not say in what unit " + col + " is; give " + field +
                         " (e.g. " + example + ") in the scenario's dosing, or a '# units: " + col +
                         " " + example + "' line in the table");
  };
  const double time_factor =
      unit_of("TIME", options.time_unit, "dosing.units.time", units::kTime, "h");
  // An observation table needs no dose or flow units: its dose records are not read.
  const double amount_factor =
      options.observations
          ? 1.0
          : unit_of("AMT", options.amount_unit, "dosing.units.amount", units::kMass, "ug");
  double rate_factor = amount_factor / time_factor;
  if (!options.amount_unit && !options.time_unit && file_units.count("RATE") &&
      !options.observations) {
    rate_factor = unit_factor(file_units["RATE"], units::kMassRate, "RATE", path, 0, "units");
  }
  double flow_factor = 1.0;
  if (column("FLOW") && !options.observations) {
    flow_factor =
        unit_of("FLOW", options.flow_unit, "dosing.units.flow", units::kVolumeRate, "mL/h");
  }

  NmtranDosing dosing;
  std::set<std::string> drugs;
  std::set<std::string> ids;
  std::optional<double> dv_factor;
  for (const Cells& r : rows) {
    if (r.cells.size() != header.size()) {
      throw InputError(path, r.line, "",
                       "has " + std::to_string(r.cells.size()) + " values for " +
                           std::to_string(header.size()) + " columns");
    }
    const auto text_of = [&](const char* name) -> std::optional<std::string> {
      const auto c = column(name);
      if (!c) return std::nullopt;
      return r.cells[*c];
    };
    const auto number = [&](const char* name, double missing) {
      const auto cell = text_of(name);
      if (!cell || cell->empty() || *cell == ".") return missing;
      double v = 0.0;
      const auto [end, ec] = std::from_chars(cell->data(), cell->data() + cell->size(), v);
      if (ec != std::errc() || end != cell->data() + cell->size() || !std::isfinite(v)) {
        throw InputError(path, r.line, name, "expected a number, got '" + *cell + "'");
      }
      return v;
    };
    const auto compartment_name = [&](int line) {
      int cmt = options.compartments.empty() ? 0 : options.compartments.begin()->first;
      if (column("CMT")) {
        const double value = number("CMT", 0.0);
        if (value != std::floor(value) || std::abs(value) > 1e6) {
          throw InputError(path, line, "CMT", "expected a compartment number, got " + num(value));
        }
        cmt = static_cast<int>(value);
      }
      const auto name = compartments.find(cmt);
      if (name == compartments.end()) {
        std::string known;
        for (const auto& [n, label] : compartments)
          known += (known.empty() ? "" : ", ") + std::to_string(n) + " " + label;
        throw InputError(path, line, "CMT",
                         "compartment " + std::to_string(cmt) + " has no name; known: " + known +
                             (options.observations ? " (name it in a '# CMT:' line)"
                                                   : " (name it under dosing.compartments)"));
      }
      return name->second;
    };
    if (const auto id = text_of("ID")) {
      ids.insert(*id);
      if (options.id && *id != *options.id && !options.observations) continue;
    }
    const double amt = number("AMT", 0.0);
    const double evid = number("EVID", amt > 0.0 ? 1.0 : 0.0);
    if (number("SS", 0.0) != 0.0) {
      throw InputError(path, r.line, "SS",
                       "steady-state records are not supported: give the doses before it");
    }
    const double t = number("TIME", 0.0) * time_factor;
    if (t < 0.0) throw InputError(path, r.line, "TIME", "is negative");
    if (column("FLOW") && !options.observations) {
      const double flow = number("FLOW", 0.0) * flow_factor;
      if (flow < 0.0) throw InputError(path, r.line, "FLOW", "is negative");
      if (dosing.flows.empty() || flow != dosing.flows.back().volume_rate_mL_per_h) {
        dosing.flows.push_back({t, flow});
      }
    }
    if (evid == 0.0 && options.observations && number("MDV", 0.0) != 1.0 && text_of("DV") &&
        !text_of("DV")->empty() && *text_of("DV") != ".") {
      NmtranDosing::Sample sample;
      sample.id = text_of("ID").value_or("1");
      sample.time_h = t;
      sample.drug = text_of("DRUG").value_or(options.drug.value_or(""));
      if (sample.drug.empty()) {
        throw InputError(path, r.line, "DRUG", "an observation needs a drug (a DRUG column)");
      }
      sample.compartment = compartment_name(r.line);
      if (!dv_factor) {
        dv_factor = unit_of("DV", std::nullopt, "DV", units::kConcentration, "ug/mL");
      }
      sample.value_ug_per_mL = number("DV", 0.0) * *dv_factor;
      sample.line = r.line;
      dosing.observations.push_back(std::move(sample));
      continue;
    }
    if (evid == 0.0 || evid == 2.0 || options.observations) continue;
    if (evid != 1.0) {
      throw InputError(path, r.line, "EVID",
                       "expected 0 (observation), 1 (dose) or 2 (other), got " + num(evid) +
                           (evid == 3.0 || evid == 4.0 ? "; resets are not supported" : ""));
    }
    NmtranDosing::Dose dose;
    dose.line = r.line;
    DoseRecord& d = dose.record;
    d.time_h = t;
    d.amount_ug = amt * amount_factor;
    if (!(d.amount_ug > 0.0)) throw InputError(path, r.line, "AMT", "a dose needs AMT above 0");
    const double rate = number("RATE", 0.0);
    if (rate < 0.0) {
      throw InputError(
          path, r.line, "RATE",
          "modelled rates or durations (RATE -1, -2) are not supported: give the rate");
    }
    d.rate_ug_per_h = rate * rate_factor;
    const double addl = number("ADDL", 0.0);
    if (addl < 0.0 || addl != std::floor(addl) || addl > 1e6) {
      throw InputError(path, r.line, "ADDL", "expected a whole number from 0, got " + num(addl));
    }
    d.additional = static_cast<int>(addl);
    d.interval_h = number("II", 0.0) * time_factor;
    if (d.additional > 0 && !(d.interval_h > 0.0)) {
      throw InputError(path, r.line, "II", "ADDL repeats a dose: it needs II above 0");
    }
    if (d.rate_ug_per_h > 0.0 && d.additional > 0 &&
        d.interval_h < d.amount_ug / d.rate_ug_per_h * (1.0 - 1e-12)) {
      throw InputError(path, r.line, "II", "is shorter than the infusion it repeats");
    }
    d.drug = text_of("DRUG").value_or(options.drug.value_or(""));
    if (d.drug.empty()) d.drug = options.drug.value_or("");
    if (d.drug.empty()) throw InputError(path, r.line, "DRUG", "a dose needs a drug");
    drugs.insert(d.drug);
    dose.compartment = compartment_name(r.line);
    dosing.doses.push_back(std::move(dose));
  }
  if (options.observations) {
    if (dosing.observations.empty()) {
      throw InputError(path, 0, "", "the table has no observation records (EVID 0 with a DV)");
    }
    return dosing;
  }
  if (ids.size() > 1 && !options.id) {
    throw InputError(
        path, header_line, "ID",
        "the table holds " + std::to_string(ids.size()) + " subjects; choose one with dosing.id");
  }
  if (options.id && ids.count(*options.id) == 0) {
    throw InputError(options.scenario_file, options.scenario_line, "dosing.id",
                     "no ID '" + *options.id + "' in " + path + "; it has " +
                         join_alternatives(std::vector<std::string>(ids.begin(), ids.end())));
  }
  if (dosing.doses.empty()) throw InputError(path, 0, "", "the table has no dose records (EVID 1)");
  dosing.drugs.assign(drugs.begin(), drugs.end());
  std::stable_sort(dosing.flows.begin(), dosing.flows.end(),
                   [](const FlowRecord& a, const FlowRecord& b) { return a.time_h < b.time_h; });
  return dosing;
}

}  // namespace csfpk
