#include "csfpk/io/result_writer.hpp"

#include <fcntl.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numeric>
#include <sstream>
#include <vector>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/units.hpp"
#include "csfpk/run/solver_report.hpp"
#include "csfpk/run/summary_table.hpp"
#include "io/h5_file.hpp"

namespace csfpk {
namespace {

namespace names = result_names;

// Half the default 1 MiB chunk cache, so reading one drug's whole curve decompresses each chunk
// once.
constexpr std::size_t kChunkElements = 65536;
constexpr int kDeflateLevel = 4;
constexpr hsize_t kEventChunk = 1024;

hsize_t extent(std::size_t n) {
  return static_cast<hsize_t>(n);
}

// Chunks hold one drug (the leading dimension) whole across the remaining dimensions, with the
// trailing (time) dimension cut to the element budget. A zero-length dimension cannot be
// chunked (chunks must be non-empty and fit a fixed extent), so empty variables stay contiguous.
h5::Layout compressed_layout(const std::vector<hsize_t>& dims) {
  if (std::any_of(dims.begin(), dims.end(), [](hsize_t d) { return d == 0; })) return {};
  std::vector<hsize_t> chunk = dims;
  if (chunk.size() > 1) chunk.front() = 1;
  const hsize_t middle =
      std::accumulate(chunk.begin(), chunk.end() - 1, hsize_t{1}, std::multiplies<hsize_t>());
  const hsize_t budget = std::max<hsize_t>(1, kChunkElements / std::max<hsize_t>(1, middle));
  chunk.back() = std::min(chunk.back(), budget);
  return h5::Layout{.chunk = chunk, .deflate_level = kDeflateLevel, .shuffle = true};
}

// netCDF-4 makes a zero-length dimension unlimited; doing the same for events keeps files with
// no events readable by netCDF-C, and unlimited extents require a chunked layout.
h5::Layout event_layout(std::size_t count) {
  return h5::Layout{.chunk = {std::clamp<hsize_t>(extent(count), 1, kEventChunk)},
                    .first_dim_unlimited = true};
}

void describe(hid_t dataset, std::string_view long_name, std::string_view units) {
  h5::set_attribute(dataset, "long_name", long_name);
  if (!units.empty()) h5::set_attribute(dataset, "units", units);
}

// Makes `dataset` the dimension scale for the dimension of the same name. _Netcdf4Dimid fixes
// the dimension order netCDF-C reports; h5netcdf hides it.
void make_dimension(hid_t dataset, const char* name, std::int32_t netcdf_dim_id) {
  h5::check(H5DSset_scale(dataset, name), dataset, name, "make dimension scale");
  h5::set_attribute(dataset, "_Netcdf4Dimid", netcdf_dim_id);
}

void attach_dimensions(hid_t dataset, std::string_view name,
                       std::initializer_list<hid_t> dimension_scales) {
  unsigned axis = 0;
  for (hid_t scale : dimension_scales) {
    h5::check(H5DSattach_scale(dataset, scale, axis), dataset, name, "attach dimensions to");
    ++axis;
  }
}

std::string matrix_shape(const Eigen::MatrixXd& m) {
  return std::to_string(m.rows()) + "x" + std::to_string(m.cols());
}

// The 1D arrays of a trajectory against its cells, faces, levels, segments and times. Summary
// vectors may be empty (not computed: written as NaN) but not of another length.
void check_canal_consistent(const std::string& path, const Trajectory& trajectory) {
  const std::size_t n_cells = trajectory.positions_cm.size();
  const std::size_t n_levels = trajectory.levels.size();
  const std::size_t n_segments = trajectory.segments.size();
  const auto n_times = static_cast<Eigen::Index>(trajectory.times_h.size());
  auto fail = [&](const std::string& what) {
    throw IoError(path + ": cannot write result: " + what + ", but the trajectory has " +
                  std::to_string(n_cells) + " cells, " + std::to_string(n_levels) + " levels, " +
                  std::to_string(n_segments) + " cord segments and " + std::to_string(n_times) +
                  " times");
  };
  if (trajectory.cell_faces_cm.size() != n_cells + 1) {
    fail("there are " + std::to_string(trajectory.cell_faces_cm.size()) + " cell faces");
  }
  if (trajectory.level_positions_cm.size() != n_levels) {
    fail("there are " + std::to_string(trajectory.level_positions_cm.size()) + " level positions");
  }
  if (trajectory.dermatomes.size() != n_segments) {
    fail("there are " + std::to_string(trajectory.dermatomes.size()) + " dermatomes");
  }
  for (const DrugTrajectory& drug : trajectory.drugs) {
    const std::string name = "drug '" + drug.drug + "' has ";
    if (drug.csf_profile_ug_per_mL.rows() != static_cast<Eigen::Index>(n_cells) ||
        drug.csf_profile_ug_per_mL.cols() != n_times) {
      fail(name + "a " + matrix_shape(drug.csf_profile_ug_per_mL) + " CSF profile");
    }
    if (drug.tissue_ug_per_mL.rows() != static_cast<Eigen::Index>(n_segments) ||
        drug.tissue_ug_per_mL.cols() != n_times) {
      fail(name + "a " + matrix_shape(drug.tissue_ug_per_mL) + " cord tissue matrix");
    }
    const DrugSummary& summary = drug.summary;
    for (const auto* per_level : {&summary.level_peak_ug_per_mL, &summary.level_mean_ug_per_mL}) {
      if (!per_level->empty() && per_level->size() != n_levels) {
        fail(name + std::to_string(per_level->size()) + " level summaries");
      }
    }
    if (!summary.dermatome_coverage.empty() && summary.dermatome_coverage.size() != n_segments) {
      fail(name + std::to_string(summary.dermatome_coverage.size()) + " dermatome coverages");
    }
  }
}

void check_consistent(const std::string& path, const Trajectory& trajectory) {
  const std::size_t n_sites = trajectory.sites.size();
  const std::size_t n_times = trajectory.times_h.size();
  auto fail = [&](const std::string& drug, const std::string& what) {
    std::ostringstream message;
    message << path << ": cannot write result: drug '" << drug << "' has " << what
            << ", but the trajectory has " << n_sites << " sites and " << n_times << " times";
    throw IoError(message.str());
  };
  for (const DrugTrajectory& drug : trajectory.drugs) {
    const auto& c = drug.concentration_ug_per_mL;
    if (static_cast<std::size_t>(c.rows()) != n_sites ||
        static_cast<std::size_t>(c.cols()) != n_times) {
      fail(drug.drug, "a " + std::to_string(c.rows()) + "x" + std::to_string(c.cols()) +
                          " concentration matrix");
    }
    for (const auto* series : {&drug.delivered_ug, &drug.in_body_ug, &drug.eliminated_ug}) {
      if (series->size() != n_times) {
        fail(drug.drug, std::to_string(series->size()) + " mass-balance samples");
      }
    }
  }
  if (!trajectory.positions_cm.empty()) check_canal_consistent(path, trajectory);
}

// One (drug, time) variable from a member of DrugTrajectory, in C order.
std::vector<double> per_drug_series(const Trajectory& trajectory,
                                    std::vector<double> DrugTrajectory::*member) {
  std::vector<double> values;
  values.reserve(trajectory.drugs.size() * trajectory.times_h.size());
  for (const DrugTrajectory& drug : trajectory.drugs) {
    const std::vector<double>& series = drug.*member;
    values.insert(values.end(), series.begin(), series.end());
  }
  return values;
}

// Whether every drug carries `member` with `size` values (records built by hand may not).
bool every_drug_has(const Trajectory& trajectory, std::vector<double> DrugTrajectory::*member,
                    std::size_t size) {
  return std::all_of(trajectory.drugs.begin(), trajectory.drugs.end(),
                     [&](const DrugTrajectory& drug) { return (drug.*member).size() == size; });
}

// A (drug, row, time) variable from a rows × times matrix member, in C order.
std::vector<double> per_drug_matrix(const Trajectory& trajectory,
                                    Eigen::MatrixXd DrugTrajectory::*member) {
  std::vector<double> values;
  for (const DrugTrajectory& drug : trajectory.drugs) {
    const Eigen::MatrixXd& m = drug.*member;
    for (Eigen::Index r = 0; r < m.rows(); ++r) {
      for (Eigen::Index t = 0; t < m.cols(); ++t) values.push_back(m(r, t));
    }
  }
  return values;
}

// A float64 variable over the dimensions whose scales are given, written whole; compressed and
// chunked when it has more than one dimension.
h5::Dataset write_variable(hid_t root, const char* name, std::initializer_list<hid_t> scales,
                           const std::vector<double>& values, std::string_view long_name,
                           std::string_view units) {
  std::vector<hsize_t> dims;
  for (hid_t scale : scales) dims.push_back(h5::shape(scale).front());
  h5::Dataset variable = h5::create_dataset(
      root, name, H5T_IEEE_F64LE, dims, dims.size() > 1 ? compressed_layout(dims) : h5::Layout{});
  h5::write(variable.get(), values);
  attach_dimensions(variable.get(), name, scales);
  describe(variable.get(), long_name, units);
  return variable;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string joined;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) joined += '\n';
    joined += lines[i];
  }
  return joined;
}

void write_root_attributes(hid_t file, const RunRecord& record) {
  const Provenance& p = record.provenance;
  h5::set_attribute(file, "title",
                    p.scenario_file.empty() ? std::string("csfpk simulation")
                                            : "csfpk simulation of " + p.scenario_file);
  h5::set_attribute(file, "Conventions", "CF-1.8");
  h5::set_attribute(file, "time_origin", names::kTimeOrigin);
  h5::set_attribute(file, "csfpk_version", p.csfpk_version);
  h5::set_attribute(file, "scenario_file", p.scenario_file);
  h5::set_attribute(file, "scenario", p.scenario_text);
  h5::set_attribute(file, "command_line", p.command_line);
  h5::set_attribute(file, "created", p.created_utc);
  h5::set_attribute(file, "status", record.status);
  h5::set_attribute(file, "warnings", join_lines(record.warnings));
  if (!record.reservoir_plan.empty()) {
    h5::set_attribute(file, "reservoir_plan", join_lines(record.reservoir_plan));
  }
  std::vector<std::string> solver;
  for (const DrugTrajectory& d : record.trajectory.drugs) solver.push_back(describe(d));
  h5::set_attribute(file, "solver", join_lines(solver));
}

// The level and segment dimension scales of a 1D file (closed, absent, in other files).
struct CanalScales {
  h5::Dataset level;
  h5::Dataset segment;
};

// The 1D part of the file (see result_writer.hpp) without its summaries; `drug` and `time` are
// the dimension scales.
CanalScales write_canal(hid_t root, const Trajectory& trajectory, hid_t drug, hid_t time) {
  using units::kConcentrationUnit, units::kLengthUnit, units::kVolumeUnit;
  const hsize_t n_cells = extent(trajectory.positions_cm.size());
  const bool has_levels = !trajectory.levels.empty();
  const bool has_segments = !trajectory.segments.empty();
  std::int32_t next_dim_id = 4;  // after time, drug, site, event

  h5::set_attribute(root, names::kCatheterTipAttribute, trajectory.catheter_tip_cm);

  h5::Dataset position =
      h5::create_dataset(root, names::kPosition, H5T_IEEE_F64LE, std::array{n_cells});
  h5::write(position.get(), trajectory.positions_cm);
  make_dimension(position.get(), names::kPosition, next_dim_id++);
  describe(position.get(), "cell centre along the spinal canal, from the sacral end", kLengthUnit);
  h5::set_attribute(position.get(), "axis", "X");

  // Every dimension is a coordinate (CF): `face` holds the face positions, as does cell_face,
  // which older readers use.
  h5::Dataset face =
      h5::create_dataset(root, names::kFace, H5T_IEEE_F64LE, std::array{n_cells + 1});
  h5::write(face.get(), trajectory.cell_faces_cm);
  make_dimension(face.get(), names::kFace, next_dim_id++);
  describe(face.get(), "cell face along the spinal canal, from the sacral end", kLengthUnit);

  h5::Dataset level;
  if (has_levels) {
    level = h5::create_string_dataset(root, names::kLevel, trajectory.levels);
    make_dimension(level.get(), names::kLevel, next_dim_id++);
    describe(level.get(), "vertebral level, caudal to cranial", "");
  }
  h5::Dataset segment;
  if (has_segments) {
    segment = h5::create_string_dataset(root, names::kSegment, trajectory.segments);
    make_dimension(segment.get(), names::kSegment, next_dim_id++);
    describe(segment.get(), "spinal cord segment with a tissue compartment", "");
  }

  write_variable(root, names::kCellFace, {face.get()}, trajectory.cell_faces_cm,
                 "cell face along the spinal canal, from the sacral end", kLengthUnit);
  if (has_levels) {
    write_variable(root, names::kLevelPosition, {level.get()}, trajectory.level_positions_cm,
                   "position of the vertebral level along the spinal canal", kLengthUnit);
  }
  if (has_segments) {
    h5::Dataset dermatome =
        h5::create_string_dataset(root, names::kDermatome, trajectory.dermatomes);
    attach_dimensions(dermatome.get(), names::kDermatome, {segment.get()});
    describe(dermatome.get(), "landmark of the dermatome the cord segment serves", "");
  }

  write_variable(root, names::kCsfConcentration, {drug, position.get(), time},
                 per_drug_matrix(trajectory, &DrugTrajectory::csf_profile_ug_per_mL),
                 "drug concentration in spinal CSF", kConcentrationUnit);
  if (has_segments) {
    write_variable(root, names::kTissueConcentration, {drug, segment.get(), time},
                   per_drug_matrix(trajectory, &DrugTrajectory::tissue_ug_per_mL),
                   "drug concentration in spinal cord tissue", kConcentrationUnit);
  }

  if (every_drug_has(trajectory, &DrugTrajectory::profile_volume_mL,
                     trajectory.positions_cm.size())) {
    write_variable(root, names::kCellVolume, {drug, position.get()},
                   per_drug_series(trajectory, &DrugTrajectory::profile_volume_mL),
                   "CSF volume of the cell", kVolumeUnit);
  }
  if (has_segments &&
      every_drug_has(trajectory, &DrugTrajectory::tissue_volume_mL, trajectory.segments.size())) {
    write_variable(root, names::kTissueVolume, {drug, segment.get()},
                   per_drug_series(trajectory, &DrugTrajectory::tissue_volume_mL),
                   "volume of the cord tissue compartment", kVolumeUnit);
  }
  return CanalScales{std::move(level), std::move(segment)};
}

// Every per-drug figure of the summary table the trajectory carries, over (drug[, axis]).
void write_summaries(hid_t root, const Trajectory& trajectory, hid_t drug, hid_t site,
                     const CanalScales& canal) {
  const std::vector<SummaryVariable>& table = summary_variables();
  const std::vector<std::vector<double>> values = summary_values(trajectory);
  for (std::size_t row = 0; row < table.size(); ++row) {
    const SummaryVariable& v = table[row];
    if (!carries(v, trajectory)) continue;
    hid_t axis = -1;
    switch (v.axis) {
      case SummaryAxis::kNone:
        break;
      case SummaryAxis::kSite:
        axis = site;
        break;
      case SummaryAxis::kLevel:
        axis = canal.level.get();
        break;
      case SummaryAxis::kSegment:
        axis = canal.segment.get();
        break;
    }
    if (v.axis != SummaryAxis::kNone && axis < 0) continue;  // no levels / no segments
    h5::Dataset dataset =
        v.axis == SummaryAxis::kNone
            ? write_variable(root, v.name.c_str(), {drug}, values[row], v.long_name, v.units)
            : write_variable(root, v.name.c_str(), {drug, axis}, values[row], v.long_name, v.units);
    for (const auto& [key, text] : v.attributes) h5::set_attribute(dataset.get(), key, text);
  }
}

// Writes the whole content into an open, empty file.
void write_contents(h5::File& file, const RunRecord& record) {
  using units::kConcentrationUnit, units::kMassUnit, units::kVolumeUnit;
  const Trajectory& trajectory = record.trajectory;
  const std::vector<Event>& events = record.schedule.events;
  const hsize_t n_drugs = extent(trajectory.drugs.size());
  const hsize_t n_times = extent(trajectory.times_h.size());
  const hsize_t n_events = extent(events.size());

  const hid_t root = file.get();
  write_root_attributes(root, record);

  // Coordinates, which double as the dimensions.
  h5::Dataset time = h5::create_dataset(root, names::kTime, H5T_IEEE_F64LE, std::array{n_times});
  h5::write(time.get(), trajectory.times_h);
  make_dimension(time.get(), names::kTime, 0);
  h5::describe_cf_time(time.get(), "time since the start of the scenario", names::kCfTimeUnits,
                       true);

  std::vector<std::string> drug_names;
  for (const DrugTrajectory& drug : trajectory.drugs) drug_names.push_back(drug.drug);
  h5::Dataset drug = h5::create_string_dataset(root, names::kDrug, drug_names);
  make_dimension(drug.get(), names::kDrug, 1);
  describe(drug.get(), "drug", "");

  h5::Dataset site = h5::create_string_dataset(root, names::kSite, trajectory.sites);
  make_dimension(site.get(), names::kSite, 2);
  describe(site.get(), "sampling site (CSF region, tissue or plasma)", "");

  std::vector<std::int64_t> event_index(events.size());
  std::iota(event_index.begin(), event_index.end(), std::int64_t{0});
  h5::Dataset event = h5::create_dataset(root, names::kEvent, H5T_STD_I64LE, std::array{n_events},
                                         event_layout(events.size()));
  h5::write(event.get(), event_index);
  make_dimension(event.get(), names::kEvent, 3);
  describe(event.get(), "event number, in time order", "1");

  // Concentration in C order (drug, site, time); Eigen stores sites × times column-major.
  write_variable(root, names::kConcentration, {drug.get(), site.get(), time.get()},
                 per_drug_matrix(trajectory, &DrugTrajectory::concentration_ug_per_mL),
                 "drug concentration", kConcentrationUnit);

  struct Series {
    const char* name;
    std::vector<double> DrugTrajectory::*member;
    const char* long_name;
  };
  for (const Series& series : {
           Series{names::kDelivered, &DrugTrajectory::delivered_ug,
                  "cumulative mass delivered to the body"},
           Series{names::kInBody, &DrugTrajectory::in_body_ug, "mass in the body"},
           Series{names::kEliminated, &DrugTrajectory::eliminated_ug,
                  "cumulative mass eliminated from the body"},
       }) {
    const std::vector<hsize_t> dims{n_drugs, n_times};
    h5::Dataset variable =
        h5::create_dataset(root, series.name, H5T_IEEE_F64LE, dims, compressed_layout(dims));
    h5::write(variable.get(), per_drug_series(trajectory, series.member));
    attach_dimensions(variable.get(), series.name, {drug.get(), time.get()});
    describe(variable.get(), series.long_name, kMassUnit);
  }

  if (every_drug_has(trajectory, &DrugTrajectory::site_volume_mL, trajectory.sites.size()) &&
      every_drug_has(trajectory, &DrugTrajectory::unobserved_ug, trajectory.times_h.size())) {
    write_variable(root, names::kSiteVolume, {drug.get(), site.get()},
                   per_drug_series(trajectory, &DrugTrajectory::site_volume_mL),
                   "volume behind the site's concentration", kVolumeUnit);
    write_variable(root, names::kUnobservedAmount, {drug.get(), time.get()},
                   per_drug_series(trajectory, &DrugTrajectory::unobserved_ug),
                   "mass in the body that no concentration shows (e.g. peripheral plasma)",
                   kMassUnit);
  }

  {
    // A schedule without reservoir samples (no implanted pump, e.g. only direct injections)
    // has no reservoir volume to report.
    std::vector<double> values(trajectory.times_h.size(), std::numeric_limits<double>::quiet_NaN());
    if (!record.schedule.reservoir.empty()) {
      std::transform(trajectory.times_h.begin(), trajectory.times_h.end(), values.begin(),
                     [&](double t) { return record.schedule.reservoir_mL_at(t); });
    }
    const std::vector<hsize_t> dims{n_times};
    h5::Dataset variable = h5::create_dataset(root, names::kReservoirVolume, H5T_IEEE_F64LE, dims,
                                              compressed_layout(dims));
    h5::write(variable.get(), values);
    attach_dimensions(variable.get(), names::kReservoirVolume, {time.get()});
    describe(variable.get(), "pump reservoir volume", kVolumeUnit);
  }

  {
    std::vector<double> times;
    std::vector<std::string> kinds;
    std::vector<std::string> details;
    for (const Event& e : events) {
      times.push_back(e.time_h);
      kinds.push_back(to_string(e.kind));
      details.push_back(e.detail);
    }
    h5::Dataset event_time = h5::create_dataset(root, names::kEventTime, H5T_IEEE_F64LE,
                                                std::array{n_events}, event_layout(events.size()));
    h5::write(event_time.get(), times);
    attach_dimensions(event_time.get(), names::kEventTime, {event.get()});
    h5::describe_cf_time(event_time.get(), "time of the pump event", names::kCfTimeUnits, false);

    h5::Dataset event_kind =
        h5::create_string_dataset(root, names::kEventKind, kinds, event_layout(events.size()));
    attach_dimensions(event_kind.get(), names::kEventKind, {event.get()});
    describe(event_kind.get(), "kind of pump event", "");

    h5::Dataset event_detail =
        h5::create_string_dataset(root, names::kEventDetail, details, event_layout(events.size()));
    attach_dimensions(event_detail.get(), names::kEventDetail, {event.get()});
    describe(event_detail.get(), "details of the pump event", "");
  }

  CanalScales canal;
  if (!trajectory.positions_cm.empty()) {
    canal = write_canal(root, trajectory, drug.get(), time.get());
  }
  write_summaries(root, trajectory, drug.get(), site.get(), canal);

  // Close every object before the file so that closing it really flushes and reports.
  for (h5::Dataset* d : {&time, &drug, &site, &event}) d->close();
}

}  // namespace

std::vector<unsigned char> result_image(const RunRecord& record) {
  const std::string name = "<memory: " + record.provenance.scenario_file + ">";
  check_consistent(name, record.trajectory);
  h5::File file = h5::create_memory_file(name);
  write_contents(file, record);
  return h5::file_image(file.get());
}

void write_result(OutputClaim& output, const RunRecord& record) {
  check_consistent(output.path(), record.trajectory);
  const std::string temporary = output.temporary_name();
  {
    h5::File file = h5::create_new_file(temporary);
    write_contents(file, record);
    h5::close_file(file, temporary);
  }
  output.commit(temporary);
}

void write_result(const std::string& path, const RunRecord& record) {
  OutputClaim output =
      OutputClaim::acquire({.path = path, .overwrite = true, .what = "result file"});
  write_result(output, record);
}

}  // namespace csfpk
