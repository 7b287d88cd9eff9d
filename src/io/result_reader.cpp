#include "csfpk/io/result_reader.hpp"

#include <array>
#include <cstddef>
#include <string_view>

#include "csfpk/core/errors.hpp"
#include "csfpk/io/result_writer.hpp"
#include "io/h5_file.hpp"

namespace csfpk {
namespace {

namespace names = result_names;

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string text = "(";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(dims[i]);
  }
  return text + ")";
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  if (text.empty()) return lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  lines.push_back(text.substr(start));
  return lines;
}

// Reads named parts of one open file, turning anything missing or misshapen into the same
// "is not a csfpk result file" message.
class Reader {
 public:
  Reader(const std::string& path, hid_t root) : path_(path), root_(root) {}

  [[noreturn]] void reject(const std::string& why) const {
    throw IoError(path_ + " is not a csfpk result file: " + why);
  }

  std::vector<double> doubles(const char* name, const std::vector<hsize_t>& expected) const {
    h5::Dataset dataset = require(name, expected);
    return h5::read_doubles(dataset.get());
  }

  std::vector<std::string> strings(const char* name, const std::vector<hsize_t>& expected) const {
    h5::Dataset dataset = require(name, expected);
    return h5::read_strings(dataset.get());
  }

  // A one-dimensional coordinate: its length defines the dimension for everything else.
  h5::Dataset coordinate(const char* name, hsize_t& length) const {
    h5::Dataset dataset = require(name, {});
    const std::vector<hsize_t> dims = h5::shape(dataset.get());
    if (dims.size() != 1) {
      reject("coordinate '" + std::string(name) + "' has shape " + shape_text(dims));
    }
    length = dims.front();
    return dataset;
  }

  bool has_dataset(const char* name) const {
    return static_cast<bool>(h5::open_dataset_if_exists(root_, name));
  }

  double number_attribute(const char* name) const {
    if (!h5::has_attribute(root_, name)) {
      reject("missing attribute '" + std::string(name) + "'");
    }
    return h5::read_double_attribute(root_, name);
  }

  std::string attribute(const char* name) const {
    if (!h5::has_attribute(root_, name)) {
      reject("missing attribute '" + std::string(name) + "'");
    }
    return h5::read_string_attribute(root_, name);
  }

 private:
  // An empty `expected` skips the shape check.
  h5::Dataset require(const char* name, const std::vector<hsize_t>& expected) const {
    h5::Dataset dataset = h5::open_dataset_if_exists(root_, name);
    if (!dataset) reject("missing dataset '" + std::string(name) + "'");
    if (!expected.empty()) {
      const std::vector<hsize_t> dims = h5::shape(dataset.get());
      if (dims != expected) {
        reject("dataset '" + std::string(name) + "' has shape " + shape_text(dims) + ", expected " +
               shape_text(expected) + " from its coordinates");
      }
    }
    return dataset;
  }

  const std::string& path_;
  hid_t root_;
};

EventKind parse_event_kind(const std::string& path, const std::string& text) {
  // Every enumerator, so that to_string stays the single spelling of each kind.
  static constexpr std::array kAll{
      EventKind::kBolusGiven,       EventKind::kBolusDenied,    EventKind::kRefill,
      EventKind::kReservoirLow,     EventKind::kReservoirEmpty, EventKind::kCatheterFault,
      EventKind::kCatheterRestored, EventKind::kNewBlendAtTip,  EventKind::kDirectInjection,
  };
  for (EventKind kind : kAll) {
    if (to_string(kind) == text) return kind;
  }
  throw IoError(path + ": unknown event kind '" + text + "' (written by a newer csfpk?)");
}

// Rows × times matrix `d` of a (drug, row, time) variable in C order.
Eigen::MatrixXd drug_matrix(const std::vector<double>& all, std::size_t d, hsize_t rows,
                            hsize_t times) {
  const auto nr = static_cast<Eigen::Index>(rows);
  const auto nt = static_cast<Eigen::Index>(times);
  Eigen::MatrixXd m(nr, nt);
  const std::size_t base = d * rows * times;
  for (Eigen::Index r = 0; r < nr; ++r) {
    for (Eigen::Index t = 0; t < nt; ++t)
      m(r, t) = all[base + static_cast<std::size_t>(r * nt + t)];
  }
  return m;
}

// Row `d` of a (drug, item) variable.
std::vector<double> drug_row(const std::vector<double>& all, std::size_t d, hsize_t count) {
  const auto first = all.begin() + static_cast<std::ptrdiff_t>(d * count);
  return std::vector<double>(first, first + static_cast<std::ptrdiff_t>(count));
}

// The 1D part of the file, present when it has a position dimension.
void read_canal(const Reader& in, Trajectory& trajectory) {
  const hsize_t n_drugs = trajectory.drugs.size();
  const hsize_t n_times = trajectory.times_h.size();
  hsize_t n_cells = 0;
  hsize_t n_levels = 0;
  hsize_t n_segments = 0;
  trajectory.positions_cm = h5::read_doubles(in.coordinate(names::kPosition, n_cells).get());
  trajectory.cell_faces_cm = in.doubles(names::kCellFace, {n_cells + 1});
  trajectory.catheter_tip_cm = in.number_attribute(names::kCatheterTipAttribute);
  if (in.has_dataset(names::kLevel)) {
    trajectory.levels = h5::read_strings(in.coordinate(names::kLevel, n_levels).get());
    trajectory.level_positions_cm = in.doubles(names::kLevelPosition, {n_levels});
  }
  if (in.has_dataset(names::kSegment)) {
    trajectory.segments = h5::read_strings(in.coordinate(names::kSegment, n_segments).get());
    trajectory.dermatomes = in.strings(names::kDermatome, {n_segments});
  }

  const std::vector<double> csf = in.doubles(names::kCsfConcentration, {n_drugs, n_cells, n_times});
  std::vector<double> tissue;
  std::vector<double> coverage;
  if (n_segments > 0) {
    tissue = in.doubles(names::kTissueConcentration, {n_drugs, n_segments, n_times});
    coverage = in.doubles(names::kDermatomeCoverage, {n_drugs, n_segments});
  }
  std::vector<double> level_peak;
  std::vector<double> level_mean;
  if (n_levels > 0) {
    level_peak = in.doubles(names::kLevelPeak, {n_drugs, n_levels});
    level_mean = in.doubles(names::kLevelMean, {n_drugs, n_levels});
  }
  const std::vector<double> spread = in.doubles(names::kSpread, {n_drugs});
  const std::vector<double> threshold = in.doubles(names::kSpreadThreshold, {n_drugs});
  const std::vector<double> cranial_auc = in.doubles(names::kCranialAuc, {n_drugs});
  const std::vector<double> tip_peak = in.doubles(names::kTipPeak, {n_drugs});
  const std::vector<double> tip_mean = in.doubles(names::kTipMean, {n_drugs});
  const std::vector<double> effective = in.doubles(names::kEffectiveConcentration, {n_drugs});

  std::vector<double> cell_volumes;
  std::vector<double> tissue_volumes;
  if (in.has_dataset(names::kCellVolume)) {
    cell_volumes = in.doubles(names::kCellVolume, {n_drugs, n_cells});
  }
  if (n_segments > 0 && in.has_dataset(names::kTissueVolume)) {
    tissue_volumes = in.doubles(names::kTissueVolume, {n_drugs, n_segments});
  }
  for (std::size_t d = 0; d < trajectory.drugs.size(); ++d) {
    DrugTrajectory& drug = trajectory.drugs[d];
    if (!cell_volumes.empty()) drug.profile_volume_mL = drug_row(cell_volumes, d, n_cells);
    if (!tissue_volumes.empty()) drug.tissue_volume_mL = drug_row(tissue_volumes, d, n_segments);
    drug.csf_profile_ug_per_mL = drug_matrix(csf, d, n_cells, n_times);
    drug.tissue_ug_per_mL = n_segments > 0 ? drug_matrix(tissue, d, n_segments, n_times)
                                           : Eigen::MatrixXd(0, static_cast<Eigen::Index>(n_times));
    DrugSummary& summary = drug.summary;
    if (n_levels > 0) {
      summary.level_peak_ug_per_mL = drug_row(level_peak, d, n_levels);
      summary.level_mean_ug_per_mL = drug_row(level_mean, d, n_levels);
    }
    if (n_segments > 0) summary.dermatome_coverage = drug_row(coverage, d, n_segments);
    summary.spread_cm = spread[d];
    summary.spread_threshold_ug_per_mL = threshold[d];
    summary.cranial_auc_ug_h_per_mL = cranial_auc[d];
    summary.tip_peak_ug_per_mL = tip_peak[d];
    summary.tip_mean_ug_per_mL = tip_mean[d];
    summary.effective_concentration_ug_per_mL = effective[d];
  }
}

}  // namespace

ResultFile read_result(const std::string& path) {
  h5::File file = h5::open_file(path);
  const Reader in(path, file.get());

  hsize_t n_times = 0;
  hsize_t n_drugs = 0;
  hsize_t n_sites = 0;
  hsize_t n_events = 0;
  std::vector<double> times = h5::read_doubles(in.coordinate(names::kTime, n_times).get());
  std::vector<std::string> drugs = h5::read_strings(in.coordinate(names::kDrug, n_drugs).get());
  std::vector<std::string> sites = h5::read_strings(in.coordinate(names::kSite, n_sites).get());
  in.coordinate(names::kEvent, n_events);

  ResultFile result;
  RunRecord& record = result.record;
  Trajectory& trajectory = record.trajectory;
  trajectory.times_h = std::move(times);
  trajectory.sites = std::move(sites);

  const std::vector<double> concentration =
      in.doubles(names::kConcentration, {n_drugs, n_sites, n_times});
  const std::vector<double> delivered = in.doubles(names::kDelivered, {n_drugs, n_times});
  const std::vector<double> in_body = in.doubles(names::kInBody, {n_drugs, n_times});
  const std::vector<double> eliminated = in.doubles(names::kEliminated, {n_drugs, n_times});
  const std::vector<double> mass_balance = in.doubles(names::kMassBalance, {n_drugs});

  for (std::size_t d = 0; d < drugs.size(); ++d) {
    DrugTrajectory drug;
    drug.drug = drugs[d];
    // The file is C order (drug, site, time); Eigen wants sites × times.
    drug.concentration_ug_per_mL = drug_matrix(concentration, d, n_sites, n_times);
    drug.delivered_ug = drug_row(delivered, d, n_times);
    drug.in_body_ug = drug_row(in_body, d, n_times);
    drug.eliminated_ug = drug_row(eliminated, d, n_times);
    drug.mass_balance_relative_error = mass_balance[d];
    trajectory.drugs.push_back(std::move(drug));
  }
  if (in.has_dataset(names::kSiteVolume) && in.has_dataset(names::kUnobservedAmount)) {
    const std::vector<double> volumes = in.doubles(names::kSiteVolume, {n_drugs, n_sites});
    const std::vector<double> unobserved = in.doubles(names::kUnobservedAmount, {n_drugs, n_times});
    for (std::size_t d = 0; d < trajectory.drugs.size(); ++d) {
      trajectory.drugs[d].site_volume_mL = drug_row(volumes, d, n_sites);
      trajectory.drugs[d].unobserved_ug = drug_row(unobserved, d, n_times);
    }
  }
  if (in.has_dataset(names::kPosition)) read_canal(in, trajectory);

  result.reservoir_volume_mL = in.doubles(names::kReservoirVolume, {n_times});

  const std::vector<double> event_times = in.doubles(names::kEventTime, {n_events});
  const std::vector<std::string> event_kinds = in.strings(names::kEventKind, {n_events});
  std::vector<std::string> event_details = in.strings(names::kEventDetail, {n_events});
  for (std::size_t i = 0; i < event_times.size(); ++i) {
    record.schedule.events.push_back(Event{.time_h = event_times[i],
                                           .kind = parse_event_kind(path, event_kinds[i]),
                                           .detail = std::move(event_details[i])});
  }

  Provenance& provenance = record.provenance;
  provenance.csfpk_version = in.attribute("csfpk_version");
  provenance.scenario_file = in.attribute("scenario_file");
  provenance.scenario_text = in.attribute("scenario");
  provenance.command_line = in.attribute("command_line");
  provenance.created_utc = in.attribute("created");
  record.status = in.attribute("status");
  record.warnings = split_lines(in.attribute("warnings"));
  return result;
}

}  // namespace csfpk
