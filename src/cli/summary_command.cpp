#include "summary_command.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "csfpk/batch/sweep_file.hpp"
#include "csfpk/core/errors.hpp"
#include "csfpk/core/units.hpp"
#include "csfpk/io/output_file.hpp"
#include "csfpk/run/exposure_metrics.hpp"
#include "csfpk/run/summary_table.hpp"
#include "io/h5_file.hpp"

namespace csfpk::cli {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One concentration–time series per run (a site, or a vertebral level of a 1D run).
struct Series {
  std::string drug;
  std::string where;
  std::vector<std::vector<double>> per_run;  // [run][time]
};

// A figure the file stores, one value per run.
struct Stored {
  std::string figure;
  std::string drug;
  std::string where;
  std::string unit;
  std::vector<double> per_run;
};

struct Population {
  bool sweep = false;
  std::size_t runs = 1;
  std::vector<bool> usable;  // finished and ok
  std::vector<double> times_h;
  std::vector<Series> series;
  std::vector<Stored> stored;
};

// One output row: a figure of a series or a stored one, with its values over the runs.
struct Row {
  std::string drug;
  std::string where;
  std::string window;
  std::string figure;
  std::string unit;
  std::vector<double> per_run;
};

std::vector<double> read_all(hid_t root, const std::string& name) {
  h5::Dataset d = h5::open_dataset_if_exists(root, name);
  if (!d) return {};
  return h5::read_doubles(d.get());
}

std::vector<std::string> read_labels(hid_t root, const std::string& name) {
  h5::Dataset d = h5::open_dataset_if_exists(root, name);
  if (!d) return {};
  return h5::read_strings(d.get());
}

std::vector<hsize_t> dims_of(hid_t root, const std::string& name) {
  h5::Dataset d = h5::open_dataset_if_exists(root, name);
  return d ? h5::shape(d.get()) : std::vector<hsize_t>{};
}

[[noreturn]] void not_result(const std::string& path, const std::string& why) {
  throw IoError(path + " is not a csfpk result or sweep file: " + why);
}

// Linear interpolation of one time column of a canal profile at `x` (cell centres ascending).
double at_position(const std::vector<double>& centres, const std::vector<double>& profile,
                   std::size_t stride, std::size_t offset, double x) {
  const auto upper = std::upper_bound(centres.begin(), centres.end(), x);
  if (upper == centres.begin()) return profile[offset];
  const auto i = static_cast<std::size_t>(upper - centres.begin());
  if (i == centres.size()) return profile[(i - 1) * stride + offset];
  const double w = (x - centres[i - 1]) / (centres[i] - centres[i - 1]);
  return profile[(i - 1) * stride + offset] +
         w * (profile[i * stride + offset] - profile[(i - 1) * stride + offset]);
}

Population read_population(const std::string& path) {
  h5::File file = h5::open_file(path);
  const hid_t root = file.get();
  Population pop;
  const std::vector<std::string> drugs = read_labels(root, "drug");
  const std::vector<std::string> sites = read_labels(root, "site");
  if (drugs.empty()) not_result(path, "it has no 'drug' dimension");
  pop.sweep = static_cast<bool>(h5::open_dataset_if_exists(root, "done"));
  if (pop.sweep) {
    const batch::SweepFileInfo info = batch::read_sweep_info(path);  // checks row checksums
    pop.runs = info.runs;
    for (std::size_t r = 0; r < pop.runs; ++r) {
      pop.usable.push_back(info.done[r] != 0 && info.status[r] == "ok");
    }
  } else {
    h5::Dataset status = h5::open_dataset_if_exists(root, "concentration");
    if (!status) not_result(path, "it has no 'concentration'");
    pop.usable = {!h5::has_attribute(root, "status") ||
                  h5::read_string_attribute(root, "status") == "ok"};
  }
  const std::size_t lead = pop.sweep ? 1 : 0;  // the run dimension of a sweep comes first

  // Concentration series by site.
  const std::vector<hsize_t> cdims = dims_of(root, "concentration");
  if (cdims.size() == lead + 3) {
    pop.times_h = read_all(root, "time");
    const std::vector<double> c = read_all(root, "concentration");
    const std::size_t nt = pop.times_h.size();
    if (cdims[lead] != drugs.size() || cdims[lead + 1] != sites.size() || cdims[lead + 2] != nt) {
      not_result(path, "'concentration' does not match its drug, site and time dimensions");
    }
    for (std::size_t d = 0; d < drugs.size(); ++d) {
      for (std::size_t s = 0; s < sites.size(); ++s) {
        Series series{drugs[d], sites[s], {}};
        for (std::size_t r = 0; r < pop.runs; ++r) {
          const std::size_t base = ((r * drugs.size() + d) * sites.size() + s) * nt;
          series.per_run.emplace_back(c.begin() + static_cast<std::ptrdiff_t>(base),
                                      c.begin() + static_cast<std::ptrdiff_t>(base + nt));
        }
        pop.series.push_back(std::move(series));
      }
    }
    // A 1D sweep may keep series at chosen vertebral levels.
    const std::vector<hsize_t> ldims = dims_of(root, "level_concentration");
    if (pop.sweep && ldims.size() == 4) {
      const std::vector<std::string> series_levels = read_labels(root, "series_level");
      if (ldims[1] != drugs.size() || ldims[2] != series_levels.size() || ldims[3] != nt) {
        not_result(path, "'level_concentration' does not match its dimensions");
      }
      const std::vector<double> lc = read_all(root, "level_concentration");
      for (std::size_t d = 0; d < drugs.size(); ++d) {
        for (std::size_t l = 0; l < series_levels.size(); ++l) {
          Series series{drugs[d], series_levels[l], {}};
          for (std::size_t r = 0; r < pop.runs; ++r) {
            const std::size_t base = ((r * drugs.size() + d) * series_levels.size() + l) * nt;
            series.per_run.emplace_back(lc.begin() + static_cast<std::ptrdiff_t>(base),
                                        lc.begin() + static_cast<std::ptrdiff_t>(base + nt));
          }
          pop.series.push_back(std::move(series));
        }
      }
    }
    // A single 1D run keeps the whole canal profile: series at every vertebral level.
    const std::vector<hsize_t> pdims = dims_of(root, "csf_concentration");
    const std::vector<std::string> levels = read_labels(root, "level");
    const std::vector<double> level_x = read_all(root, "level_position");
    const std::vector<double> centres = read_all(root, "position");
    if (!pop.sweep && pdims.size() == 3 && !levels.empty() && level_x.size() == levels.size() &&
        pdims[1] == centres.size() && pdims[2] == nt && centres.size() >= 2) {
      const std::vector<double> profile = read_all(root, "csf_concentration");
      for (std::size_t d = 0; d < drugs.size(); ++d) {
        const std::vector<double> drug_profile(
            profile.begin() + static_cast<std::ptrdiff_t>(d * centres.size() * nt),
            profile.begin() + static_cast<std::ptrdiff_t>((d + 1) * centres.size() * nt));
        for (std::size_t l = 0; l < levels.size(); ++l) {
          std::vector<double> values(nt);
          for (std::size_t t = 0; t < nt; ++t) {
            values[t] = at_position(centres, drug_profile, nt, t, level_x[l]);
          }
          pop.series.push_back({drugs[d], levels[l], {std::move(values)}});
        }
      }
    }
  }

  // The summaries stored with the result (run/summary_table.hpp).
  for (const SummaryVariable& v : summary_variables()) {
    const std::vector<hsize_t> dims = dims_of(root, v.name);
    if (dims.empty()) continue;
    const bool has_axis = v.axis != SummaryAxis::kNone;
    const std::vector<std::string> labels =
        has_axis ? read_labels(root, axis_name(v.axis)) : std::vector<std::string>{""};
    if (dims.size() != lead + 1 + (has_axis ? 1 : 0) || dims[lead] != drugs.size() ||
        (has_axis && dims[lead + 1] != labels.size()) || (pop.sweep && dims[0] != pop.runs)) {
      not_result(path, "'" + v.name + "' does not match its dimensions");
    }
    const std::vector<double> values = read_all(root, v.name);
    for (std::size_t d = 0; d < drugs.size(); ++d) {
      for (std::size_t a = 0; a < labels.size(); ++a) {
        Stored figure{v.name, drugs[d], labels[a], v.units, {}};
        for (std::size_t r = 0; r < pop.runs; ++r) {
          figure.per_run.push_back(values[(r * drugs.size() + d) * labels.size() + a]);
        }
        pop.stored.push_back(std::move(figure));
      }
    }
  }
  return pop;
}

TimeWindow parse_window(const std::string& text) {
  const auto eq = text.find('=');
  const auto dots = text.find("..");
  const char* example = " (e.g. --window steady=13d..14d, or after=30d..end)";
  if (eq == std::string::npos || eq == 0 || dots == std::string::npos || dots < eq) {
    throw InputError("--window", 0, "", "'" + text + "' is not NAME=FROM..TO" + example);
  }
  TimeWindow window;
  window.name = text.substr(0, eq);
  for (const char ch : window.name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-') {
      throw InputError("--window", 0, "",
                       "window name '" + window.name + "': use letters, digits, _ and -" + example);
    }
  }
  const std::string from = text.substr(eq + 1, dots - eq - 1);
  const std::string to = text.substr(dots + 2);
  try {
    window.from_h = units::parse_as(from, units::kTime);
    if (to != "end") window.to_h = units::parse_as(to, units::kTime);
  } catch (const UnitError& e) {
    throw InputError("--window", 0, window.name,
                     "'" + text.substr(eq + 1) + "': " + e.what() + example);
  }
  return window;
}

std::vector<double> parse_percentiles(const std::string& text) {
  std::vector<double> result;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    double p = kNaN;
    try {
      p = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !(p >= 0.0 && p <= 100.0)) {
      throw InputError(
          "--quantiles", 0, "",
          "'" + item + "' is not a percentile from 0 to 100 (e.g. --quantiles 5,50,95)");
    }
    result.push_back(p);
  }
  if (result.empty()) {
    throw InputError("--quantiles", 0, "", "give percentiles, e.g. --quantiles 5,50,95");
  }
  return result;
}

// 6 significant digits on screen; the CSV keeps 17 so that nothing is lost in a round trip.
std::string number(double v, int digits) {
  if (std::isnan(v)) return "-";
  std::ostringstream out;
  out << std::setprecision(digits) << v;
  return out.str();
}

std::string percentile_label(double p) {
  std::ostringstream out;
  out << "P" << p;
  return out.str();
}

class SummaryCommandImpl final : public SummaryCommand {
 public:
  explicit SummaryCommandImpl(CLI::App& app) {
    command_ = app.add_subcommand(
        "summary",
        "Cmax, Tmax, Cmin, AUC and Cavg over time windows, steady state and the stored summaries "
        "of a result; quantiles across the runs of a sweep");
    command_->add_option("result", path_, "result or sweep file (.h5)")->required();
    command_->add_option("--window", windows_,
                         "NAME=FROM..TO with time units, TO may be 'end' (repeatable; the whole "
                         "run is always reported as 'run')");
    command_->add_option(
        "--quantiles", quantiles_,
        "percentiles across a sweep's runs, e.g. 5,50,95 (the default for sweeps)");
    command_->add_option("--period", period_,
                         "dosing cycle for the steady-state test (default 24 h)");
    command_->add_option("--steady-tolerance", tolerance_,
                         "relative difference between cycle means still called steady (0.05)");
    command_->add_option("--drug", drugs_, "only this drug (repeatable)");
    command_->add_option("--at", places_, "only this site or vertebral level (repeatable)");
    command_->add_option("--csv", csv_, "also write the table as CSV");
    command_->add_flag("--overwrite", overwrite_, "replace an existing CSV file");
  }

  std::optional<int> run() override {
    if (!*command_) return std::nullopt;
    std::vector<TimeWindow> windows{{"run", 0.0, std::nullopt}};
    for (const std::string& w : windows_) windows.push_back(parse_window(w));
    double period_h = 0.0;
    try {
      period_h = units::parse_as(period_, units::kTime);
    } catch (const UnitError& e) {
      throw InputError("--period", 0, "",
                       "'" + period_ + "': " + e.what() + " (e.g. --period 24h)");
    }
    if (!(period_h > 0.0)) throw InputError("--period", 0, "", "the period must be positive");
    if (!(tolerance_ > 0.0 && tolerance_ < 1.0)) {
      throw InputError("--steady-tolerance", 0, "",
                       "expected a fraction between 0 and 1, e.g. 0.05");
    }
    std::optional<OutputClaim> claim;
    if (!csv_.empty()) {
      claim.emplace(OutputClaim::acquire({.path = csv_,
                                          .overwrite = overwrite_,
                                          .inputs = {{path_, "result file"}},
                                          .what = "CSV file"}));
    }
    const Population pop = read_population(path_);
    if (!pop.sweep && !quantiles_.empty()) {
      throw InputError("--quantiles", 0, "",
                       path_ + " holds a single run; quantiles need a sweep file");
    }
    const std::vector<double> percentiles =
        parse_percentiles(quantiles_.empty() ? "5,50,95" : quantiles_);
    if (pop.series.empty() && windows.size() > 1) {
      throw InputError("--window", 0, "",
                       path_ +
                           " holds no concentration series (a sweep run without "
                           "outputs.time_series: true); only its stored summaries can be shown");
    }
    if (!pop.times_h.empty()) windows.front().from_h = pop.times_h.front();

    std::vector<Row> rows = series_rows(pop, windows, period_h);
    for (const Stored& s : pop.stored) {
      if (wanted(s.drug, s.where)) {
        rows.push_back({s.drug, s.where, "stored", s.figure, s.unit, s.per_run});
      }
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return a.drug < b.drug; });
    if (rows.empty()) throw InputError("--drug/--at", 0, "", "nothing in " + path_ + " matches");

    std::size_t usable = 0;
    for (const bool u : pop.usable) usable += u ? 1 : 0;
    std::vector<std::string> header{"drug", "at", "window", "figure", "unit"};
    std::vector<std::vector<std::string>> table;      // on screen, 6 digits
    std::vector<std::vector<std::string>> csv_table;  // every digit
    const auto add = [&](const Row& row, std::vector<std::string> labels,
                         const std::vector<double>& values) {
      std::vector<std::string> cells{row.drug, row.where, row.window, row.figure, row.unit};
      cells.insert(cells.end(), labels.begin(), labels.end());
      std::vector<std::string> csv_cells = cells;
      for (const double v : values) {
        cells.push_back(number(v, 6));
        csv_cells.push_back(number(v, 17));
      }
      table.push_back(std::move(cells));
      csv_table.push_back(std::move(csv_cells));
    };
    if (pop.sweep) {
      header.push_back("n");
      for (const double p : percentiles) header.push_back(percentile_label(p));
      for (const Row& row : rows) {
        std::vector<double> sample;
        for (std::size_t r = 0; r < pop.runs; ++r) {
          if (pop.usable[r] && !std::isnan(row.per_run[r])) sample.push_back(row.per_run[r]);
        }
        std::vector<double> values;
        for (const double p : percentiles) values.push_back(quantile(sample, p / 100.0));
        add(row, {std::to_string(sample.size())}, values);
      }
      std::cout << path_ << ": " << pop.runs << " runs, " << usable << " finished ok"
                << (usable < pop.runs ? " (the others are left out)" : "") << "\n";
    } else {
      header.push_back("value");
      for (const Row& row : rows) add(row, {}, {row.per_run[0]});
      if (!pop.usable[0]) std::cout << path_ << ": this run did not finish ok\n";
    }
    print_table(header, table);
    if (claim) write_csv(*claim, header, csv_table);
    return 0;
  }

 private:
  bool wanted(const std::string& drug, const std::string& where) const {
    const auto in = [](const std::vector<std::string>& list, const std::string& v) {
      return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
    };
    return in(drugs_, drug) && (places_.empty() || in(places_, where));
  }

  std::vector<Row> series_rows(const Population& pop, const std::vector<TimeWindow>& windows,
                               double period_h) const {
    std::vector<Row> rows;
    const std::vector<std::string> figures{"cmax", "tmax", "cmin", "auc", "cavg"};
    const std::vector<std::string> units{"ug/mL", "h", "ug/mL", "ug h/mL", "ug/mL"};
    for (const Series& s : pop.series) {
      if (!wanted(s.drug, s.where)) continue;
      for (const TimeWindow& w : windows) {
        std::vector<Row> block;
        for (std::size_t f = 0; f < figures.size(); ++f) {
          block.push_back({s.drug, s.where, w.name, figures[f], units[f], {}});
        }
        for (std::size_t r = 0; r < s.per_run.size(); ++r) {
          WindowMetrics m{kNaN, kNaN, kNaN, kNaN, kNaN};
          if (pop.usable[r]) m = window_metrics(pop.times_h, s.per_run[r], w);
          const double values[] = {m.cmax, m.tmax_h, m.cmin, m.auc, m.cavg};
          for (std::size_t f = 0; f < figures.size(); ++f) block[f].per_run.push_back(values[f]);
        }
        rows.insert(rows.end(), block.begin(), block.end());
      }
      Row steady{s.drug, s.where, "run", "steady_state_from", "h", {}};
      for (const auto& values : s.per_run) {
        steady.per_run.push_back(
            steady_state_start(pop.times_h, values, period_h, tolerance_).value_or(kNaN));
      }
      rows.push_back(std::move(steady));
    }
    return rows;
  }

  static void print_table(const std::vector<std::string>& header,
                          const std::vector<std::vector<std::string>>& table) {
    std::vector<std::size_t> widths(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) widths[c] = header[c].size();
    for (const auto& row : table) {
      for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
    }
    const auto line = [&](const std::vector<std::string>& cells) {
      for (std::size_t c = 0; c < cells.size(); ++c) {
        std::cout << (c == 0 ? "" : "  ") << std::left
                  << std::setw(c + 1 < cells.size() ? static_cast<int>(widths[c]) : 0) << cells[c];
      }
      std::cout << "\n";
    };
    line(header);
    for (const auto& row : table) line(row);
  }

  void write_csv(OutputClaim& claim, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& table) const {
    const std::string partial = claim.create_temporary();
    {
      std::ofstream out(partial, std::ios::trunc);
      const auto line = [&](const std::vector<std::string>& cells) {
        for (std::size_t c = 0; c < cells.size(); ++c) {
          out << (c == 0 ? "" : ",") << (cells[c] == "-" ? "" : cells[c]);
        }
        out << "\n";
      };
      line(header);
      for (const auto& row : table) line(row);
      out.flush();
      if (!out) throw IoError(csv_ + ": could not write the CSV file");
    }
    claim.commit(partial);
    std::cout << "wrote " << csv_ << "\n";
  }

  CLI::App* command_ = nullptr;
  std::string path_;
  std::vector<std::string> windows_;
  std::string quantiles_;
  std::string period_ = "24 h";
  double tolerance_ = 0.05;
  std::vector<std::string> drugs_;
  std::vector<std::string> places_;
  std::string csv_;
  bool overwrite_ = false;
};

}  // namespace

std::unique_ptr<SummaryCommand> add_summary_command(CLI::App& app) {
  return std::make_unique<SummaryCommandImpl>(app);
}

}  // namespace csfpk::cli
