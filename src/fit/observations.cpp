#include "csfpk/fit/observations.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/text.hpp"
#include "csfpk/core/units.hpp"
#include "csfpk/io/nmtran.hpp"

namespace csfpk {
namespace {

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t start = 0;
  while (true) {
    const auto end = line.find(',', start);
    cells.push_back(trim(std::string_view(line).substr(
        start, end == std::string::npos ? std::string::npos : end - start)));
    if (end == std::string::npos) return cells;
    start = end + 1;
  }
}

const std::vector<std::string> kRequired = {"time", "drug", "site", "value", "unit"};
const std::vector<std::string> kOptional = {"subject", "weight"};

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// An NM-TRAN table (csfpk export --nmtran, or another tool's) rather than the observations CSV:
// its header has TIME and DV with EVID or ID.
bool is_nmtran(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const std::string text = trim(line);
    if (text.empty() || text.front() == '#' || text.front() == '@') continue;
    std::vector<std::string> header = cells_of(text);
    for (std::string& cell : header) cell = upper(cell);
    const auto has = [&](const char* name) {
      return std::find(header.begin(), header.end(), name) != header.end();
    };
    return has("TIME") && has("DV") && (has("EVID") || has("ID"));
  }
  return false;
}

ObservationSet from_nmtran(const std::string& path) {
  NmtranOptions options;
  options.observations = true;
  const NmtranDosing table = read_nmtran(path, options);
  ObservationSet set;
  set.file = path;
  for (const NmtranDosing::Sample& sample : table.observations) {
    Observation row;
    row.subject = sample.id;
    row.time_h = sample.time_h;
    row.drug = sample.drug;
    row.site = sample.compartment;
    row.value_ug_per_mL = sample.value_ug_per_mL;
    row.line = sample.line;
    if (row.value_ug_per_mL < 0.0) {
      throw InputError(path, row.line, "DV", "a concentration cannot be negative");
    }
    set.rows.push_back(std::move(row));
  }
  return set;
}

}  // namespace

std::vector<std::string> ObservationSet::subjects() const {
  std::vector<std::string> out;
  for (const auto& row : rows) {
    if (std::find(out.begin(), out.end(), row.subject) == out.end()) out.push_back(row.subject);
  }
  return out;
}

ObservationSet ObservationSet::of_subject(const std::string& subject) const {
  ObservationSet out;
  out.file = file;
  for (const auto& row : rows) {
    if (row.subject == subject) out.rows.push_back(row);
  }
  return out;
}

ObservationSet read_observations(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, 0, "", "cannot open the observations file");
  if (is_nmtran(path)) return from_nmtran(path);
  ObservationSet set;
  set.file = path;
  std::map<std::string, std::size_t> column;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    const std::vector<std::string> cells = cells_of(text);
    if (column.empty()) {
      std::vector<std::string> known = kRequired;
      known.insert(known.end(), kOptional.begin(), kOptional.end());
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (std::find(known.begin(), known.end(), cells[i]) == known.end()) {
          const std::string near = closest_match(cells[i], known);
          throw InputError(path, number, cells[i],
                           "unknown column '" + printable_message(cells[i], 80) + "'" +
                               (near.empty() ? "" : "; did you mean '" + near + "'?") +
                               " Columns: subject (optional), time, drug, site, value, unit, "
                               "weight (optional)");
        }
        if (!column.emplace(cells[i], i).second) {
          throw InputError(path, number, cells[i], "column '" + cells[i] + "' appears twice");
        }
      }
      for (const auto& name : kRequired) {
        if (!column.contains(name)) {
          throw InputError(path, number, name,
                           "the header has no '" + name +
                               "' column (expected subject,time,drug,site,value,unit[,weight])");
        }
      }
      continue;
    }
    if (cells.size() != column.size()) {
      throw InputError(path, number, "",
                       "expected " + std::to_string(column.size()) +
                           " comma-separated fields, got " + std::to_string(cells.size()));
    }
    const auto cell = [&](const std::string& name) -> const std::string& {
      return cells[column.at(name)];
    };
    const auto quantity = [&](const std::string& name, const std::string& given,
                              units::Dimension dimension) {
      try {
        return units::parse_as(given, dimension);
      } catch (const UnitError& e) {
        throw InputError(path, number, name, e.what());
      }
    };
    Observation row;
    row.line = number;
    row.subject = column.contains("subject") ? cell("subject") : "1";
    row.drug = cell("drug");
    row.site = cell("site");
    for (const auto& [name, value] :
         {std::pair<std::string, const std::string*>{"subject", &row.subject},
          {"drug", &row.drug},
          {"site", &row.site}}) {
      if (value->empty()) throw InputError(path, number, name, "is empty");
    }
    row.time_h = quantity("time", cell("time"), units::kTime);
    if (row.time_h < 0.0) {
      throw InputError(path, number, "time", "must be at or after the scenario start (0 h)");
    }
    const std::string& unit = cell("unit");
    if (unit.empty()) {
      throw InputError(path, number, "unit", "is empty: give the concentration unit (e.g. ng/mL)");
    }
    // The value and its unit are read as one quantity so that every unit rule of scenarios
    // applies (ng/mL, ug/L, mg/mL, …; molar units are refused there).
    row.value_ug_per_mL = quantity("value", cell("value") + " " + unit, units::kConcentration);
    if (row.value_ug_per_mL < 0.0) {
      throw InputError(path, number, "value", "a concentration cannot be negative");
    }
    if (column.contains("weight")) {
      row.weight = quantity("weight", cell("weight"), units::kDimensionless);
      if (!(row.weight > 0.0)) {
        throw InputError(path, number, "weight", "must be a positive number (relative weight)");
      }
    }
    set.rows.push_back(std::move(row));
  }
  if (column.empty()) throw InputError(path, number, "", "the file has no header line");
  if (set.rows.empty()) throw InputError(path, number, "", "the file has no observations");
  return set;
}

}  // namespace csfpk
