#include "csfpk/batch/sweep_file.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <span>
#include <sstream>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/text.hpp"
#include "csfpk/core/units.hpp"
#include "csfpk/io/result_writer.hpp"
#include "csfpk/run/summary_table.hpp"
#include "sweep_writer.hpp"

namespace csfpk::batch {
namespace {

namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Rows handled at once when writing factor columns or merging: bounds memory whatever the
// number of runs.
constexpr std::size_t kBlockBytes = std::size_t{32} << 20;

// What a sweep must record for a variable to exist in its file.
enum class Needs { kSummaries, kSpinalSummaries, kTimeSeries, kLevelSeries };

// summary_row of the time series, which come from RunResult::series and ::level_series.
constexpr int kSiteSeriesRow = -1;
constexpr int kLevelSeriesRow = -2;

bool is_series(Needs needs) {
  return needs == Needs::kTimeSeries || needs == Needs::kLevelSeries;
}

struct VariableSpec {
  std::string name;
  int summary_row;  // row of summary_variables(); -1 for the time series
  std::string long_name;
  std::string units;
  Needs needs;
  // Dimensions after `run`, each a dimension scale of that name. Readers take them from here,
  // not from DIMENSION_LIST: that attribute is variable-length data, read through HDF5's global
  // heap, which a damaged file can send into an endless loop.
  std::vector<std::string_view> axes;
  std::vector<std::pair<std::string, std::string>> attributes;
};

// Every per-run float variable a sweep can hold, in file order: the summary table shared with
// single-run files (run/summary_table.hpp), then the resampled time series.
const std::vector<VariableSpec>& variable_specs() {
  static const std::vector<VariableSpec> specs = [] {
    std::vector<VariableSpec> out;
    const std::vector<SummaryVariable>& table = summary_variables();
    for (std::size_t row = 0; row < table.size(); ++row) {
      const SummaryVariable& v = table[row];
      std::vector<std::string_view> axes{"drug"};
      if (v.axis != SummaryAxis::kNone) axes.emplace_back(axis_name(v.axis));
      out.push_back({v.name, static_cast<int>(row), v.long_name, v.units,
                     v.canal_only ? Needs::kSpinalSummaries : Needs::kSummaries, axes,
                     v.attributes});
    }
    out.push_back({"concentration",
                   kSiteSeriesRow,
                   "drug concentration",
                   std::string(units::kConcentrationUnit),
                   Needs::kTimeSeries,
                   {"drug", "site", "time"},
                   {}});
    out.push_back({"level_concentration",
                   kLevelSeriesRow,
                   "drug concentration in CSF at vertebral levels",
                   std::string(units::kConcentrationUnit),
                   Needs::kLevelSeries,
                   {"drug", "series_level", "time"},
                   {}});
    return out;
  }();
  return specs;
}

hsize_t extent(std::size_t n) {
  return static_cast<hsize_t>(n);
}

std::size_t product(const std::vector<hsize_t>& dims, std::size_t from) {
  std::size_t n = 1;
  for (std::size_t i = from; i < dims.size(); ++i) n *= static_cast<std::size_t>(dims[i]);
  return n;
}

// Contiguous, allocated and filled at creation: the metadata of the file never changes again.
h5::Dataset create_preallocated(hid_t root, const std::string& name, hid_t type,
                                const std::vector<hsize_t>& dims, hid_t fill_type,
                                const void* fill) {
  const char* action = "create dataset";
  h5::Dataspace space = h5::simple_space(dims);
  h5::PropertyList dcpl(h5::check(H5Pcreate(H5P_DATASET_CREATE), root, name, action));
  constexpr unsigned kOrder = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  h5::check(H5Pset_attr_creation_order(dcpl.get(), kOrder), root, name, action);
  // No modification times: the same sweep writes the same bytes.
  h5::check(H5Pset_obj_track_times(dcpl.get(), false), root, name, action);
  h5::check(H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY), root, name, action);
  if (fill != nullptr) {
    h5::check(H5Pset_fill_value(dcpl.get(), fill_type, fill), root, name, action);
    h5::check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_ALLOC), root, name, action);
  } else {
    // Space reserved, nothing written: the file stays sparse until runs land (a shard of a
    // time-series sweep only occupies its own runs on disk). Unwritten rows read as zeros;
    // `done` says which rows hold results.
    h5::check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), root, name, action);
  }
  return h5::Dataset(h5::check(
      H5Dcreate2(root, name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), root,
      name, action));
}

void describe(hid_t dataset, std::string_view long_name, std::string_view units) {
  h5::set_attribute(dataset, "long_name", long_name);
  if (!units.empty()) h5::set_attribute(dataset, "units", units);
}

void make_dimension(hid_t dataset, const char* name, std::int32_t netcdf_dim_id) {
  h5::check(H5DSset_scale(dataset, name), dataset, name, "make dimension scale");
  h5::set_attribute(dataset, "_Netcdf4Dimid", netcdf_dim_id);
}

void attach(hid_t dataset, const std::string& name, const std::vector<hid_t>& scales) {
  unsigned axis = 0;
  for (hid_t scale : scales) {
    h5::check(H5DSattach_scale(dataset, scale, axis++), dataset, name, "attach dimensions to");
  }
}

void set_u64_attribute(hid_t object, const std::string& name, std::uint64_t value) {
  const char* action = "write attribute";
  h5::Dataspace space(h5::check(H5Screate(H5S_SCALAR), object, name, action));
  h5::Attribute attribute(h5::check(
      H5Acreate2(object, name.c_str(), H5T_STD_U64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
      object, name, action));
  h5::check(H5Awrite(attribute.get(), H5T_NATIVE_UINT64, &value), object, name, action);
}

// Selects rows [first, first + count) of a dataset whose first dimension is the run.
struct RowSelection {
  h5::Dataspace file_space;
  h5::Dataspace memory_space;
};
RowSelection select_rows(hid_t dataset, std::uint64_t first, std::uint64_t count) {
  const std::vector<hsize_t> dims = h5::shape(dataset);
  RowSelection s{h5::Dataspace(h5::check(H5Dget_space(dataset), dataset, "", "select rows of")),
                 {}};
  std::vector<hsize_t> start(dims.size(), 0);
  std::vector<hsize_t> counts = dims;
  start[0] = first;
  counts[0] = count;
  h5::check(H5Sselect_hyperslab(s.file_space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                counts.data(), nullptr),
            dataset, "", "select rows of");
  s.memory_space = h5::simple_space(counts);
  return s;
}

void write_rows(hid_t dataset, hid_t memory_type, std::uint64_t first, std::uint64_t count,
                const void* data) {
  const RowSelection s = select_rows(dataset, first, count);
  h5::check(
      H5Dwrite(dataset, memory_type, s.memory_space.get(), s.file_space.get(), H5P_DEFAULT, data),
      dataset, "", "write rows of");
}

void read_rows(hid_t dataset, hid_t memory_type, std::uint64_t first, std::uint64_t count,
               void* data) {
  const RowSelection s = select_rows(dataset, first, count);
  h5::check(
      H5Dread(dataset, memory_type, s.memory_space.get(), s.file_space.get(), H5P_DEFAULT, data),
      dataset, "", "read rows of");
}

// Cuts `text` to at most `width` bytes without splitting a UTF-8 sequence.
std::string fit(const std::string& text, std::size_t width) {
  if (text.size() <= width) return text;
  std::size_t cut = width;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

std::string attribute_or(hid_t object, const std::string& name, const std::string& fallback) {
  return h5::has_attribute(object, name) ? h5::read_string_attribute(object, name) : fallback;
}

h5::File open_read_write(const std::string& path) {
  h5::silence_error_printing();
  if (!fs::exists(path)) throw IoError(path + ": cannot open: no such file");
  return h5::File(
      h5::check(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), path, "", "open for writing"));
}

// A count stored as a float64 attribute (netCDF has no unsigned 64-bit attributes in every
// reader); anything but a whole number that a double holds exactly means a damaged file.
std::uint64_t read_u64(hid_t object, const std::string& name) {
  constexpr double kLargestExact = 9007199254740992.0;  // 2^53
  const double value = h5::read_double_attribute(object, name);
  if (!(value >= 0.0 && value <= kLargestExact && std::floor(value) == value)) {
    throw IoError(h5::file_name(object) + ": attribute '" + name +
                  "' is not a whole number of runs; the file is damaged");
  }
  return static_cast<std::uint64_t>(value);
}

// Checks the marks of a sweep file and returns its run count, which every per-run dataset
// (here: done) must match before anything is allocated from it.
std::uint64_t sweep_runs(hid_t file, const std::string& path) {
  if (!h5::has_attribute(file, "sweep_text") || !h5::open_dataset_if_exists(file, "done")) {
    throw IoError(path + " is not a csfpk sweep file (no sweep_text attribute or done variable)");
  }
  const std::uint64_t runs = read_u64(file, "runs");
  const h5::Dataset done = h5::open_dataset_if_exists(file, "done");
  if (h5::shape(done.get()) != std::vector<hsize_t>{runs}) {
    throw IoError(path + ": 'done' does not have one entry per run (" + std::to_string(runs) +
                  "); the file is damaged");
  }
  return runs;
}

// The attributes every reader computes with (what the sweep is, its run count, design and
// factors, its inputs) in one digest, so that an edit to any of them is detected.
std::string header_digest(hid_t root) {
  std::string text;
  for (const char* name :
       {"sweep_text", "base_scenario_text", "design", "factors", "input_files"}) {
    text += name;
    text += '\0';
    text += attribute_or(root, name, "");
    text += '\0';
  }
  for (const char* name : {"runs", "seed", "sobol_base_samples"}) {
    if (!h5::has_attribute(root, name)) continue;
    char number[64];
    std::snprintf(number, sizeof number, "%s=%.17g", name, h5::read_double_attribute(root, name));
    text += number;
    text += '\0';
  }
  return sha256_hex(text);
}

// Files written before the digest existed are read as they are.
void require_header_digest(hid_t root, const std::string& path) {
  if (!h5::has_attribute(root, "header_sha256")) return;
  if (h5::read_string_attribute(root, "header_sha256") != header_digest(root)) {
    throw IoError(path +
                  ": its header attributes (sweep text, design, factors, runs, inputs) do not "
                  "match their checksum; the file was edited or damaged");
  }
}

// The first 64 bits of the SHA-256 of a run's stored bytes (never 0, which marks "none").
std::uint64_t row_checksum(const std::string& bytes) {
  const std::uint64_t value = std::stoull(sha256_hex(bytes).substr(0, 16), nullptr, 16);
  return value == 0 ? 1 : value;
}

// Values as the file stores them: little-endian float64, or float32 for reduced precision
// (the conversion HDF5 makes, round to nearest).
void append_stored(std::string& row, const std::vector<double>& values, bool float32) {
  for (const double v : values) {
    if (float32) {
      const float f = static_cast<float>(v);
      row.append(reinterpret_cast<const char*>(&f), sizeof f);
    } else {
      row.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
  }
}

void require_fixed_size(hid_t dataset, const std::string& path, const std::string& name);

std::vector<std::int8_t> read_done_flags(hid_t root, std::uint64_t runs) {
  std::vector<std::int8_t> done(runs);
  const h5::Dataset dataset = h5::open_dataset_if_exists(root, "done");
  if (runs > 0 && dataset) read_rows(dataset.get(), H5T_NATIVE_INT8, 0, runs, done.data());
  return done;
}

// Recomputes every done run's checksum from the file's own rows; a mismatch means a byte of
// that run changed after it was written. Files without checksums (older csfpk) pass as they are.
void verify_row_checksums(hid_t root, const std::string& path,
                          const std::vector<std::int8_t>& done) {
  h5::Dataset checksums = h5::open_dataset_if_exists(root, "row_checksum");
  if (!checksums) return;
  const std::uint64_t runs = done.size();
  struct Column {
    h5::Dataset dataset;
    h5::Datatype type;
    std::size_t row_bytes;
  };
  std::vector<Column> columns;
  const auto add = [&](const std::string& name) {
    h5::Dataset dataset = h5::open_dataset_if_exists(root, name);
    if (!dataset) return;
    require_fixed_size(dataset.get(), path, name);
    h5::Datatype type(h5::check(H5Dget_type(dataset.get()), root, name, "get type of"));
    const std::size_t row_bytes = H5Tget_size(type.get()) * product(h5::shape(dataset.get()), 1);
    columns.push_back({std::move(dataset), std::move(type), row_bytes});
  };
  for (const VariableSpec& v : variable_specs()) add(v.name);
  add("status");
  std::size_t row_bytes = 1;
  for (const Column& c : columns) row_bytes += c.row_bytes;
  const std::uint64_t block = std::max<std::uint64_t>(1, kBlockBytes / row_bytes);
  std::vector<std::uint64_t> stored;
  std::vector<std::vector<char>> data(columns.size());
  for (std::uint64_t first = 0; first < runs; first += block) {
    const std::uint64_t count = std::min(block, runs - first);
    if (std::none_of(done.begin() + static_cast<std::ptrdiff_t>(first),
                     done.begin() + static_cast<std::ptrdiff_t>(first + count),
                     [](std::int8_t d) { return d == 1; })) {
      continue;
    }
    stored.resize(count);
    read_rows(checksums.get(), H5T_NATIVE_UINT64, first, count, stored.data());
    for (std::size_t c = 0; c < columns.size(); ++c) {
      data[c].resize(count * columns[c].row_bytes);
      read_rows(columns[c].dataset.get(), columns[c].type.get(), first, count, data[c].data());
    }
    std::string row;
    for (std::uint64_t r = 0; r < count; ++r) {
      if (done[first + r] != 1) continue;
      row.clear();
      for (std::size_t c = 0; c < columns.size(); ++c) {
        row.append(data[c].data() + r * columns[c].row_bytes, columns[c].row_bytes);
      }
      if (row_checksum(row) != stored[r]) {
        throw IoError(path + ": run " + std::to_string(first + r) +
                      ": its data do not match their checksum; the file is damaged");
      }
    }
  }
}

std::string short_digest(const std::string& sha256) {
  return sha256.substr(0, 12) + "…";
}

std::vector<InputFile> stored_inputs(hid_t file, const std::string& path) {
  if (!h5::has_attribute(file, "input_files")) {
    throw InputError(path, 0, "",
                     "was written without input digests (by an older csfpk), so its inputs "
                     "cannot be checked; start it again with --overwrite");
  }
  return parse_input_files(h5::read_string_attribute(file, "input_files"), path);
}

// Resuming is only sound with the very inputs the sweep started from: the sweep and base
// scenario files and every model file read. Names the first file that differs.
void require_same_inputs(hid_t file, const std::string& path) {
  for (const InputFile& input : stored_inputs(file, path)) {
    std::string now;
    try {
      now = file_sha256(input.path);
    } catch (const IoError&) {
      throw InputError(input.path, 0, "",
                       "was an input of " + path +
                           " and cannot be read any more; --resume needs the same inputs (or "
                           "start again with --overwrite)");
    }
    if (now != input.sha256) {
      throw InputError(input.path, 0, "",
                       "has changed since " + path + " was started (sha256 " +
                           short_digest(input.sha256) + " then, " + short_digest(now) +
                           " now); --resume needs the same inputs (or start again with "
                           "--overwrite)");
    }
  }
}

// Shards merge only when they were computed from identical inputs; names the file that differs.
void require_same_inputs_as(hid_t file, const std::string& path, hid_t first,
                            const std::string& first_path) {
  const std::vector<InputFile> mine = stored_inputs(file, path);
  const std::vector<InputFile> theirs = stored_inputs(first, first_path);
  for (const InputFile& input : mine) {
    const auto match = std::find_if(theirs.begin(), theirs.end(),
                                    [&](const InputFile& f) { return f.path == input.path; });
    if (match == theirs.end() || match->sha256 != input.sha256) {
      throw InputError(
          path, 0, "",
          "was computed from another " + input.path + " than " + first_path +
              (match == theirs.end() ? std::string(" (which did not read it)")
                                     : " (sha256 " + short_digest(input.sha256) + " against " +
                                           short_digest(match->sha256) + ")") +
              "; only shards of one sweep with the same inputs can be merged");
    }
  }
  if (mine.size() != theirs.size()) {
    throw InputError(path, 0, "",
                     "was computed from other input files than " + first_path +
                         "; only shards of one sweep with the same inputs can be merged");
  }
}

// Per-run datasets are copied in their own file type; only fixed-size numbers and strings are
// csfpk's, and only those can be copied without going through HDF5's global heap.
void require_fixed_size(hid_t dataset, const std::string& path, const std::string& name) {
  const h5::Datatype type(h5::check(H5Dget_type(dataset), dataset, name, "get type of"));
  const H5T_class_t type_class = H5Tget_class(type.get());
  const bool fixed = type_class == H5T_FLOAT || type_class == H5T_INTEGER ||
                     (type_class == H5T_STRING && H5Tis_variable_str(type.get()) == 0);
  if (!fixed) {
    throw IoError(path + ": '" + name +
                  "' is not a fixed-size number or string column, as csfpk writes them");
  }
}

}  // namespace

double estimate_file_bytes(const SweepSpec& spec, const SweepShape& shape, std::uint64_t runs) {
  const double d = static_cast<double>(shape.drugs.size());
  const double s = static_cast<double>(shape.sites.size());
  double per_run = 8.0 + static_cast<double>(kStatusWidth) + 1.0;
  for (const Factor& f : spec.factors) {
    std::size_t width = 8;
    if (!f.numeric()) {
      for (const auto& level : f.distribution.levels) width = std::max(width, level.size());
    }
    per_run += static_cast<double>(width);
  }
  if (shape.outputs.summaries) {
    per_run += 8.0 * (3.0 * d * s + d);
    if (shape.spinal) {
      per_run += 8.0 * d *
                 (4.0 + 2.0 * static_cast<double>(shape.levels.size()) +
                  static_cast<double>(shape.segments.size()));
    }
  }
  if (shape.outputs.time_series) {
    per_run += (shape.outputs.float32 ? 4.0 : 8.0) * d *
               (s + static_cast<double>(shape.series_levels.size())) *
               static_cast<double>(shape.times_h.size());
  }
  return static_cast<double>(runs) * per_run + 64.0 * 1024.0;
}

void SweepFile::create(const std::string& path, const RunPlan& plan, const SweepShape& shape,
                       const SweepProvenance& provenance, std::optional<Shard> shard) {
  const SweepSpec& spec = plan.spec();
  const std::string& part = path;
  {
    h5::File file = h5::create_new_file(part);
    const hid_t root = file.get();
    h5::set_attribute(root, "Conventions", std::string_view("CF-1.8"));
    h5::set_attribute(root, "time_origin", std::string_view(result_names::kTimeOrigin));
    h5::set_attribute(root, "title", std::string_view("csfpk sweep"));
    h5::set_attribute(root, "csfpk_version", std::string_view(provenance.csfpk_version));
    h5::set_attribute(root, "command_line", std::string_view(provenance.command_line));
    h5::set_attribute(root, "created_utc", std::string_view(provenance.created_utc));
    h5::set_attribute(root, "sweep_file", std::string_view(spec.file));
    h5::set_attribute(root, "sweep_text", std::string_view(spec.text));
    h5::set_attribute(root, "base_scenario_file", std::string_view(spec.base_path));
    h5::set_attribute(root, "base_scenario_text", std::string_view(provenance.base_text));
    h5::set_attribute(root, "input_files",
                      std::string_view(format_input_files(provenance.input_files)));
    set_u64_attribute(root, "seed", spec.seed);
    h5::set_attribute(root, "design", std::string_view(to_string(spec.design)));
    set_u64_attribute(root, "runs", plan.size());
    if (spec.design == DesignType::kSobol) {
      set_u64_attribute(root, "sobol_base_samples", spec.runs);
      h5::set_attribute(root, "sobol_layout",
                        std::string_view("Saltelli: base sample j owns runs j*(k+2)+r, r = 0: A, "
                                         "1: B, 2+i: A with factor i from B"));
    }
    std::string factor_list;
    for (const Factor& f : spec.factors) factor_list += (factor_list.empty() ? "" : ",") + f.name;
    h5::set_attribute(root, "factors", std::string_view(factor_list));
    if (shard) h5::set_attribute(root, "shard", std::string_view(shard->label()));
    h5::set_attribute(root, "header_sha256", std::string_view(header_digest(root)));

    const hsize_t n = plan.size();
    std::int32_t dim_id = 0;

    // run: the coordinate, written whole in blocks.
    const std::int64_t no_run = -1;
    h5::Dataset run =
        create_preallocated(root, "run", H5T_STD_I64LE, {n}, H5T_NATIVE_INT64, &no_run);
    {
      const std::uint64_t block = kBlockBytes / 8;
      std::vector<std::int64_t> index;
      for (std::uint64_t first = 0; first < n; first += block) {
        const std::uint64_t count = std::min<std::uint64_t>(block, n - first);
        index.resize(count);
        std::iota(index.begin(), index.end(), static_cast<std::int64_t>(first));
        write_rows(run.get(), H5T_NATIVE_INT64, first, count, index.data());
      }
    }
    make_dimension(run.get(), "run", dim_id++);
    describe(run.get(), "run index", "");

    const auto label_scale = [&](const char* name, const std::vector<std::string>& labels,
                                 const char* long_name) {
      h5::Dataset scale = h5::create_string_dataset(root, name, labels);
      make_dimension(scale.get(), name, dim_id++);
      describe(scale.get(), long_name, "");
      return scale;
    };
    h5::Dataset drug = label_scale("drug", shape.drugs, "drug");
    h5::Dataset site = label_scale("site", shape.sites, "sampling site");
    h5::Dataset time;
    if (shape.outputs.time_series) {
      time = h5::create_dataset(root, "time", H5T_IEEE_F64LE,
                                std::array{extent(shape.times_h.size())});
      h5::write(time.get(), shape.times_h);
      make_dimension(time.get(), "time", dim_id++);
      h5::describe_cf_time(time.get(), "time since the start of the scenario",
                           result_names::kCfTimeUnits, true);
    }
    h5::Dataset series_level;
    if (shape.outputs.time_series && !shape.series_levels.empty()) {
      series_level = label_scale("series_level", shape.series_levels,
                                 "vertebral level of the stored CSF time series");
    }
    h5::Dataset level;
    h5::Dataset segment;
    if (shape.spinal && shape.outputs.summaries) {
      level = label_scale("level", shape.levels, "vertebral level");
      segment = label_scale("segment", shape.segments, "cord segment");
    }

    // Factors: known for every run before any run is solved, so written now.
    for (std::size_t f = 0; f < spec.factors.size(); ++f) {
      const Factor& factor = spec.factors[f];
      const std::string name = "factor_" + factor.name;
      h5::Dataset dataset;
      h5::Datatype string_type;
      std::size_t width = 0;
      if (factor.numeric()) {
        dataset = create_preallocated(root, name, H5T_IEEE_F64LE, {n}, H5T_NATIVE_DOUBLE, &kNaN);
      } else {
        for (const auto& l : factor.distribution.levels) width = std::max(width, l.size());
        string_type = h5::utf8_string(width);
        width = H5Tget_size(string_type.get());
        dataset =
            create_preallocated(root, name, string_type.get(), {n}, string_type.get(), nullptr);
        h5::set_attribute(dataset.get(), "_Encoding", std::string_view("utf-8"));
      }
      const std::uint64_t block = 4096;
      std::vector<double> numbers;
      std::vector<char> strings;
      for (std::uint64_t first = 0; first < n; first += block) {
        const std::uint64_t count = std::min<std::uint64_t>(block, n - first);
        numbers.assign(count, kNaN);
        strings.assign(count * std::max<std::size_t>(1, width), '\0');
        for (std::uint64_t i = 0; i < count; ++i) {
          const FactorValue v = plan.values(first + i)[f];
          if (factor.numeric()) {
            numbers[i] = v.number;
          } else {
            // Categorical factors carry no unit, so the override text is the level itself.
            std::memcpy(strings.data() + i * width, v.text.data(), std::min(width, v.text.size()));
          }
        }
        if (factor.numeric()) {
          write_rows(dataset.get(), H5T_NATIVE_DOUBLE, first, count, numbers.data());
        } else {
          write_rows(dataset.get(), string_type.get(), first, count, strings.data());
        }
      }
      attach(dataset.get(), name, {run.get()});
      describe(dataset.get(), "factor " + factor.name + " (" + factor.path + ")", factor.unit);
      h5::set_attribute(dataset.get(), "path", std::string_view(factor.path));
      h5::set_attribute(dataset.get(), "distribution",
                        std::string_view(factor.distribution.describe()));
    }

    h5::Datatype status_type = h5::utf8_string(kStatusWidth);
    h5::Dataset status =
        create_preallocated(root, "status", status_type.get(), {n}, status_type.get(), nullptr);
    h5::set_attribute(status.get(), "_Encoding", std::string_view("utf-8"));
    attach(status.get(), "status", {run.get()});
    describe(status.get(), "ok, or why the run failed (empty: not run yet)", "");

    const std::int8_t not_done = 0;
    h5::Dataset done =
        create_preallocated(root, "done", H5T_STD_I8LE, {n}, H5T_NATIVE_INT8, &not_done);
    attach(done.get(), "done", {run.get()});
    describe(done.get(), "1 when the run's results are in the file", "");

    const std::uint64_t no_checksum = 0;
    h5::Dataset checksum = create_preallocated(root, "row_checksum", H5T_STD_U64LE, {n},
                                               H5T_NATIVE_UINT64, &no_checksum);
    attach(checksum.get(), "row_checksum", {run.get()});
    describe(checksum.get(),
             "first 64 bits of the SHA-256 of the run's row in every per-run variable and its "
             "status, as stored; readers recompute it",
             "");

    const hsize_t d = extent(shape.drugs.size());
    const hsize_t s = extent(shape.sites.size());
    struct Axis {
      hsize_t extent;
      hid_t scale;
    };
    const std::map<std::string_view, Axis> axes{
        {"drug", {d, drug.get()}},
        {"site", {s, site.get()}},
        {"time", {extent(shape.times_h.size()), time.get()}},
        {"level", {extent(shape.levels.size()), level.get()}},
        {"segment", {extent(shape.segments.size()), segment.get()}},
        {"series_level", {extent(shape.series_levels.size()), series_level.get()}},
    };
    for (const VariableSpec& v : variable_specs()) {
      const std::string name = v.name;
      const bool wanted = v.needs == Needs::kTimeSeries ? shape.outputs.time_series
                          : v.needs == Needs::kLevelSeries
                              ? shape.outputs.time_series && !shape.series_levels.empty()
                          : v.needs == Needs::kSummaries ? shape.outputs.summaries
                                                         : shape.outputs.summaries && shape.spinal;
      if (!wanted) continue;
      std::vector<hsize_t> dims{n};
      std::vector<hid_t> scales{run.get()};
      for (const std::string_view axis : v.axes) {
        dims.push_back(axes.at(axis).extent);
        scales.push_back(axes.at(axis).scale);
      }
      const hid_t file_type =
          is_series(v.needs) && shape.outputs.float32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
      h5::Datatype type(h5::check(H5Tcopy(file_type), root, name, "copy type for"));
      const bool big = is_series(v.needs);
      h5::Dataset dataset = create_preallocated(root, name, type.get(), dims, H5T_NATIVE_DOUBLE,
                                                big ? nullptr : &kNaN);
      attach(dataset.get(), name, scales);
      describe(dataset.get(), v.long_name, v.units);
      for (const auto& [key, text] : v.attributes) h5::set_attribute(dataset.get(), key, text);
    }
    h5::check(H5Fflush(root, H5F_SCOPE_GLOBAL), part, "", "flush");
    h5::close_file(file, part);
  }
}

SweepFile SweepFile::open(const std::string& path) {
  SweepFile out;
  out.path_ = path;
  out.file_ = open_read_write(path);
  out.open_datasets();
  return out;
}

SweepFile SweepFile::reopen(const std::string& path, const SweepSpec& spec,
                            std::optional<Shard> shard) {
  SweepFile out;
  out.path_ = path;
  out.file_ = open_read_write(path);
  const hid_t root = out.file_.get();
  (void)sweep_runs(root, path);
  if (h5::read_string_attribute(root, "sweep_text") != spec.text) {
    throw InputError(spec.file, 0, "",
                     "differs from the sweep that " + path +
                         " was started with; --resume needs the same sweep file and --set "
                         "options (or use --overwrite to start again)");
  }
  require_header_digest(root, path);
  require_same_inputs(root, path);
  verify_row_checksums(root, path, read_done_flags(root, sweep_runs(root, path)));
  const std::string had = attribute_or(root, "shard", "");
  const std::string wants = shard ? shard->label() : "";
  if (had != wants) {
    throw InputError("--shard", 0, "",
                     path + " holds " + (had.empty() ? "a whole sweep" : "shard " + had) +
                         ", not " + (wants.empty() ? "a whole sweep" : "shard " + wants));
  }
  out.open_datasets();
  return out;
}

void SweepFile::open_datasets() {
  const hid_t root = file_.get();
  runs_ = read_u64(root, "runs");
  for (const VariableSpec& v : variable_specs()) {
    h5::Dataset dataset = h5::open_dataset_if_exists(root, v.name);
    if (dataset) {
      const h5::Datatype type(h5::check(H5Dget_type(dataset.get()), root, v.name, "get type of"));
      const bool float32 = H5Tget_size(type.get()) == 4;
      variables_.push_back(Variable{std::move(dataset), v.summary_row, float32});
    }
  }
  status_ = h5::open_dataset_if_exists(root, "status");
  done_ = h5::open_dataset_if_exists(root, "done");
  row_checksum_ = h5::open_dataset_if_exists(root, "row_checksum");
  if (!status_ || !done_) throw IoError(path_ + " is not a csfpk sweep file");
  status_type_ = h5::utf8_string(kStatusWidth);
}

SweepFile::~SweepFile() {
  // On the way out of an error the runs written so far are still worth keeping for --resume;
  // a destructor cannot report a failure, so it only tries.
  try {
    if (file_) flush();
  } catch (...) {
  }
}

std::vector<std::int8_t> SweepFile::read_done() const {
  std::vector<std::int8_t> done(runs_);
  if (runs_ > 0) read_rows(done_.get(), H5T_NATIVE_INT8, 0, runs_, done.data());
  return done;
}

void SweepFile::write(const RunResult& result) {
  if (result.run >= runs_) {
    throw IoError(path_ + ": run " + std::to_string(result.run) + " is outside the sweep's " +
                  std::to_string(runs_) + " runs");
  }
  std::string row;  // the run's bytes as stored, for its checksum
  for (const Variable& v : variables_) {
    const std::vector<double>& values =
        v.summary_row >= 0 ? result.summaries.at(static_cast<std::size_t>(v.summary_row))
        : v.summary_row == kLevelSeriesRow ? result.level_series
                                           : result.series;
    const std::vector<hsize_t> dims = h5::shape(v.dataset.get());
    if (values.size() != product(dims, 1)) {
      throw Error("internal: run " + std::to_string(result.run) + " has " +
                  std::to_string(values.size()) + " values for a row of " +
                  std::to_string(product(dims, 1)));
    }
    write_rows(v.dataset.get(), H5T_NATIVE_DOUBLE, result.run, 1, values.data());
    append_stored(row, values, v.float32);
  }
  std::array<char, kStatusWidth> status{};
  const std::string text = fit(result.status, kStatusWidth);
  std::memcpy(status.data(), text.data(), text.size());
  write_rows(status_.get(), status_type_.get(), result.run, 1, status.data());
  if (row_checksum_) {
    row.append(status.data(), status.size());
    const std::uint64_t checksum = row_checksum(row);
    write_rows(row_checksum_.get(), H5T_NATIVE_UINT64, result.run, 1, &checksum);
  }
  pending_done_.push_back(result.run);
}

void SweepFile::flush() {
  if (!file_) return;
  // Data first, flags after: a kill between the two flushes loses flags, never data.
  h5::check(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), path_, "", "flush");
  if (pending_done_.empty()) return;
  const std::int8_t one = 1;
  for (std::uint64_t run : pending_done_) write_rows(done_.get(), H5T_NATIVE_INT8, run, 1, &one);
  pending_done_.clear();
  h5::check(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), path_, "", "flush");
}

void SweepFile::close() {
  flush();
  variables_.clear();
  status_ = h5::Dataset();
  done_ = h5::Dataset();
  h5::close_file(file_, path_);
}

std::uint64_t merge_shards(const std::string& output, const std::vector<std::string>& shards,
                           const std::string& command_line) {
  OutputRequest request{.path = output, .overwrite = true, .what = "merged file"};
  for (const std::string& shard : shards) request.inputs.push_back({shard, "shard file"});
  OutputClaim claim = OutputClaim::acquire(request);
  return merge_shards(claim, shards, command_line);
}

std::uint64_t merge_shards(OutputClaim& claim, const std::vector<std::string>& shards,
                           const std::string& command_line) {
  if (shards.empty()) throw InputError("merge", 0, "", "no shard files given");
  std::string sweep_text;
  std::uint64_t runs = 0;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    h5::File shard = h5::open_file(shards[i]);
    const std::uint64_t n = sweep_runs(shard.get(), shards[i]);
    require_header_digest(shard.get(), shards[i]);
    verify_row_checksums(shard.get(), shards[i], read_done_flags(shard.get(), n));
    const std::string text = h5::read_string_attribute(shard.get(), "sweep_text");
    if (i == 0) {
      sweep_text = text;
      runs = n;
    } else if (text != sweep_text || n != runs) {
      throw InputError(shards[i], 0, "",
                       "comes from another sweep than " + shards[0] +
                           " (sweep text or run "
                           "count differ); only shards of one sweep can be merged");
    }
    if (i > 0)
      require_same_inputs_as(shard.get(), shards[i], h5::open_file(shards[0]).get(), shards[0]);
  }
  // copy_options::none creates the copy exclusively: never through a symlink or onto a file.
  const std::string part = claim.temporary_name();
  std::error_code ec;
  fs::copy_file(shards[0], part, fs::copy_options::none, ec);
  if (ec) throw IoError(part + ": cannot create: " + ec.message());
  std::uint64_t missing = 0;
  {
    h5::File out = open_read_write(part);
    const hid_t root = out.get();
    if (h5::has_attribute(root, "shard")) {
      h5::check(H5Adelete(root, "shard"), root, "shard", "delete attribute");
    }
    h5::set_attribute(root, "command_line", std::string_view(command_line));

    // The per-run columns csfpk writes, found by name: listing the file's links instead would
    // trust its link storage, which on a damaged file can crash HDF5 1.10 itself.
    std::vector<std::string> columns{"status", "row_checksum"};
    std::stringstream factors(h5::read_string_attribute(root, "factors"));
    for (std::string name; std::getline(factors, name, ',');) columns.push_back("factor_" + name);
    for (const VariableSpec& v : variable_specs()) columns.emplace_back(v.name);
    std::vector<h5::Dataset> variables;
    for (const std::string& name : columns) {
      h5::Dataset dataset = h5::open_dataset_if_exists(root, name);
      if (!dataset) continue;
      const std::vector<hsize_t> dims = h5::shape(dataset.get());
      if (dims.empty() || dims[0] != runs) {
        throw IoError(shards[0] + ": '" + name + "' does not have one row per run (" +
                      std::to_string(runs) + "); the file is damaged");
      }
      require_fixed_size(dataset.get(), shards[0], name);
      variables.push_back(std::move(dataset));
    }
    h5::Dataset out_done = h5::open_dataset_if_exists(root, "done");
    std::vector<std::int8_t> done(runs);
    if (runs > 0) read_rows(out_done.get(), H5T_NATIVE_INT8, 0, runs, done.data());

    for (std::size_t i = 1; i < shards.size(); ++i) {
      h5::File shard = h5::open_file(shards[i]);
      h5::Dataset shard_done = h5::open_dataset_if_exists(shard.get(), "done");
      std::vector<std::int8_t> theirs(runs);
      if (runs > 0) read_rows(shard_done.get(), H5T_NATIVE_INT8, 0, runs, theirs.data());
      for (const h5::Dataset& variable : variables) {
        const std::string name = [&] {
          const ssize_t length = H5Iget_name(variable.get(), nullptr, 0);
          std::string s(static_cast<std::size_t>(std::max<ssize_t>(length, 0)) + 1, '\0');
          H5Iget_name(variable.get(), s.data(), s.size());
          s.resize(static_cast<std::size_t>(std::max<ssize_t>(length, 0)));
          return s;
        }();
        h5::Dataset source = h5::open_dataset_if_exists(shard.get(), name);
        if (!source) throw IoError(shards[i] + ": has no variable '" + name + "'");
        require_fixed_size(source.get(), shards[i], name);
        if (h5::shape(source.get()) != h5::shape(variable.get())) {
          throw IoError(shards[i] + ": '" + name + "' has another shape than in " + shards[0]);
        }
        h5::Datatype type(h5::check(H5Dget_type(variable.get()), root, name, "get type of"));
        const std::size_t row_bytes =
            H5Tget_size(type.get()) * product(h5::shape(variable.get()), 1);
        const std::uint64_t block =
            std::max<std::size_t>(1, kBlockBytes / std::max<std::size_t>(1, row_bytes));
        std::vector<char> mine;
        std::vector<char> copy;
        for (std::uint64_t first = 0; first < runs; first += block) {
          const std::uint64_t count = std::min<std::uint64_t>(block, runs - first);
          bool any = false;
          for (std::uint64_t r = first; r < first + count; ++r)
            any |= theirs[r] == 1 && done[r] != 1;
          if (!any) continue;
          mine.resize(count * row_bytes);
          copy.resize(count * row_bytes);
          // Raw bytes in the file's own type: a copy, not a conversion.
          read_rows(variable.get(), type.get(), first, count, mine.data());
          read_rows(source.get(), type.get(), first, count, copy.data());
          for (std::uint64_t r = first; r < first + count; ++r) {
            if (theirs[r] == 1 && done[r] != 1) {
              std::memcpy(mine.data() + (r - first) * row_bytes,
                          copy.data() + (r - first) * row_bytes, row_bytes);
            }
          }
          write_rows(variable.get(), type.get(), first, count, mine.data());
        }
      }
      for (std::uint64_t r = 0; r < runs; ++r) {
        if (theirs[r] == 1) done[r] = 1;
      }
    }
    if (runs > 0) write_rows(out_done.get(), H5T_NATIVE_INT8, 0, runs, done.data());
    missing = static_cast<std::uint64_t>(std::count(done.begin(), done.end(), std::int8_t{0}));
    // Flushed while the datasets are open: a failed write of their cached data is reported
    // here, where closing them in a destructor could not.
    h5::check(H5Fflush(root, H5F_SCOPE_GLOBAL), part, "", "flush");
    variables.clear();
    out_done = h5::Dataset();
    h5::close_file(out, part);
  }
  claim.commit(part);
  return missing;
}

SweepFileInfo read_sweep_info(const std::string& path) {
  h5::File file = h5::open_file(path);
  const hid_t root = file.get();
  SweepFileInfo info;
  info.runs = sweep_runs(root, path);
  require_header_digest(root, path);
  info.design = h5::read_string_attribute(root, "design");
  info.sweep_text = h5::read_string_attribute(root, "sweep_text");
  info.sweep_file = attribute_or(root, "sweep_file", "");
  std::stringstream names(h5::read_string_attribute(root, "factors"));
  for (std::string name; std::getline(names, name, ',');) info.factors.push_back(name);
  if (h5::has_attribute(root, "sobol_base_samples")) {
    info.sobol_base_samples = read_u64(root, "sobol_base_samples");
  }
  h5::Dataset done = h5::open_dataset_if_exists(root, "done");
  info.done.resize(info.runs);
  if (info.runs > 0) read_rows(done.get(), H5T_NATIVE_INT8, 0, info.runs, info.done.data());
  h5::Dataset status = h5::open_dataset_if_exists(root, "status");
  if (!status) throw IoError(path + " is not a csfpk sweep file (no status variable)");
  info.status = h5::read_strings(status.get());
  if (info.status.size() != info.runs) {
    throw IoError(path + ": 'status' does not have one entry per run (" +
                  std::to_string(info.runs) + "); the file is damaged");
  }
  verify_row_checksums(root, path, info.done);
  return info;
}

std::vector<double> read_summary(const std::string& path, const std::string& variable,
                                 const std::vector<std::string>& labels) {
  h5::File file = h5::open_file(path);
  const hid_t root = file.get();
  const std::uint64_t runs = sweep_runs(root, path);
  std::string available;
  for (const VariableSpec& v : variable_specs()) {
    if (is_series(v.needs)) continue;
    if (h5::open_dataset_if_exists(root, v.name))
      available += (available.empty() ? "" : ", ") + std::string(v.name);
  }
  const auto spec = std::find_if(variable_specs().begin(), variable_specs().end(),
                                 [&](const VariableSpec& v) { return variable == v.name; });
  h5::Dataset dataset = h5::open_dataset_if_exists(root, variable);
  if (!dataset || spec == variable_specs().end() || is_series(spec->needs)) {
    throw InputError("--output", 0, variable,
                     "no summary '" + variable + "' in " + path + "; it holds " + available);
  }
  const std::vector<hsize_t> dims = h5::shape(dataset.get());
  if (dims.size() != spec->axes.size() + 1 || dims[0] != runs) {
    throw IoError(path + ": '" + variable + "' does not have the shape (run, " +
                  std::to_string(spec->axes.size()) + " label dimensions) of a sweep summary");
  }
  std::vector<hsize_t> start(dims.size(), 0);
  std::size_t next_label = 0;
  for (unsigned axis = 1; axis < dims.size(); ++axis) {
    const std::string name(spec->axes[axis - 1]);
    h5::Dataset scale = h5::open_dataset_if_exists(root, name);
    if (!scale) throw IoError(path + ": has no dimension '" + name + "' for '" + variable + "'");
    const std::vector<std::string> values = h5::read_strings(scale.get());
    if (values.size() != dims[axis]) {
      throw IoError(path + ": dimension '" + name + "' has " + std::to_string(values.size()) +
                    " labels but '" + variable + "' has " + std::to_string(dims[axis]));
    }
    std::string choices;
    for (const auto& v : values) choices += (choices.empty() ? "" : ", ") + v;
    if (next_label >= labels.size()) {
      if (values.size() == 1) continue;
      throw InputError("--output", 0, variable,
                       "'" + variable + "' needs a " + name + " (one of " + choices + ")");
    }
    const std::string& label = labels[next_label++];
    const auto it = std::find(values.begin(), values.end(), label);
    if (it == values.end()) {
      throw InputError("--output", 0, variable,
                       "no " + name + " '" + label + "'; expected one of " + choices);
    }
    start[axis] = static_cast<hsize_t>(it - values.begin());
  }
  if (next_label < labels.size()) {
    throw InputError("--output", 0, variable,
                     "too many labels: '" + variable + "' has " + std::to_string(dims.size() - 1) +
                         " dimension(s) besides run");
  }
  std::vector<hsize_t> count(dims.size(), 1);
  count[0] = runs;
  h5::Dataspace file_space(h5::check(H5Dget_space(dataset.get()), root, variable, "read"));
  h5::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                count.data(), nullptr),
            root, variable, "select");
  const std::array<hsize_t, 1> memory_dims{runs};
  h5::Dataspace memory = h5::simple_space(memory_dims);
  std::vector<double> values(runs);
  if (runs > 0) {
    h5::check(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), file_space.get(), H5P_DEFAULT,
                      values.data()),
              root, variable, "read");
  }
  return values;
}

}  // namespace csfpk::batch

namespace csfpk::batch {
namespace {

// An empty field for a value not computed (a failed or unfinished run).
std::string csv_number(double v) {
  return std::isnan(v) ? std::string() : round_trip_number(v);
}

std::string csv_text(std::string_view text) {
  return csv_field(text);
}

// Each run's factor values as CSV cells, numbers or labels.
std::vector<std::vector<std::string>> factor_cells(hid_t root, const std::string& path,
                                                   const SweepFileInfo& info) {
  std::vector<std::vector<std::string>> cells(info.runs);
  for (const std::string& name : info.factors) {
    const std::string column = "factor_" + name;
    h5::Dataset dataset = h5::open_dataset_if_exists(root, column);
    if (!dataset) throw IoError(path + ": has no '" + column + "' for its factor '" + name + "'");
    require_fixed_size(dataset.get(), path, column);
    const h5::Datatype type(
        h5::check(H5Dget_type(dataset.get()), dataset.get(), column, "get type of"));
    std::vector<std::string> values;
    if (H5Tget_class(type.get()) == H5T_STRING) {
      values = h5::read_strings(dataset.get());
      for (std::string& v : values) v = csv_text(v);
    } else {
      for (const double v : h5::read_doubles(dataset.get())) values.push_back(csv_number(v));
    }
    if (values.size() != info.runs) {
      throw IoError(path + ": '" + column + "' does not have one value per run");
    }
    for (std::size_t r = 0; r < info.runs; ++r) cells[r].push_back(values[r]);
  }
  return cells;
}

}  // namespace

void export_sweep_csv(const std::string& path, OutputClaim& csv, bool series) {
  const SweepFileInfo info = read_sweep_info(path);  // checks header and row checksums
  h5::File file = h5::open_file(path);
  const hid_t root = file.get();
  const std::vector<std::vector<std::string>> factors = factor_cells(root, path, info);
  const auto labels = [&](std::string_view axis) {
    h5::Dataset scale = h5::open_dataset_if_exists(root, std::string(axis));
    if (!scale) throw IoError(path + ": has no dimension '" + std::string(axis) + "'");
    return h5::read_strings(scale.get());
  };
  std::string header = "run,status";
  for (const std::string& name : info.factors) header += ",factor_" + name;
  header += series ? ",drug,site,time_h,concentration_ug_per_mL\n" : ",drug,figure,at,unit,value\n";

  const std::string partial = csv.create_temporary();
  std::ofstream out(partial, std::ios::trunc);
  out << header;
  const auto run_prefix = [&](std::size_t r) {
    std::string text = std::to_string(r) + "," +
                       csv_text(info.done[r] != 0 ? info.status[r] : std::string("not run"));
    for (const std::string& cell : factors[r]) text += "," + cell;
    return text;
  };
  if (series) {
    h5::Dataset dataset = h5::open_dataset_if_exists(root, "concentration");
    if (!dataset) {
      throw InputError("--series", 0, "",
                       path +
                           " holds no time series (the sweep had outputs.time_series off); "
                           "leave out --series to export its summaries");
    }
    const std::vector<std::string> drugs = labels("drug");
    const std::vector<std::string> sites = labels("site");
    std::vector<double> times;
    {
      h5::Dataset time = h5::open_dataset_if_exists(root, "time");
      if (!time) throw IoError(path + ": has no 'time' for its time series");
      times = h5::read_doubles(time.get());
    }
    // The sites' series, then those at vertebral levels (1D sweeps that stored them), in the
    // `site` column; one run at a time, so a population's series need not fit in memory.
    struct Block {
      h5::Dataset dataset;
      std::string name;
      std::vector<std::string> labels;
      std::vector<double> values;
    };
    std::vector<Block> blocks;
    blocks.push_back({std::move(dataset), "concentration", sites, {}});
    if (h5::Dataset levels = h5::open_dataset_if_exists(root, "level_concentration")) {
      blocks.push_back({std::move(levels), "level_concentration", labels("series_level"), {}});
    }
    for (Block& b : blocks) {
      const std::vector<hsize_t> dims = h5::shape(b.dataset.get());
      if (dims.size() != 4 || dims[0] != info.runs || dims[1] != drugs.size() ||
          dims[2] != b.labels.size() || dims[3] != times.size()) {
        throw IoError(path + ": '" + b.name + "' does not match its dimensions");
      }
      b.values.resize(drugs.size() * b.labels.size() * times.size());
    }
    for (std::size_t r = 0; r < info.runs; ++r) {
      const std::string prefix = run_prefix(r);
      const bool done = info.done[r] != 0 && info.status[r] == "ok";
      for (Block& b : blocks) {
        if (done) {
          h5::Dataspace file_space(
              h5::check(H5Dget_space(b.dataset.get()), b.dataset.get(), b.name, "get space of"));
          const hsize_t count[4] = {1, drugs.size(), b.labels.size(), times.size()};
          h5::Dataspace memory = h5::simple_space(std::span<const hsize_t>(&count[1], 3));
          const hsize_t start[4] = {r, 0, 0, 0};
          h5::check(
              H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
              b.dataset.get(), b.name, "select");
          h5::check(H5Dread(b.dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), file_space.get(),
                            H5P_DEFAULT, b.values.data()),
                    b.dataset.get(), b.name, "read");
        }
      }
      for (std::size_t d = 0; d < drugs.size(); ++d) {
        for (const Block& b : blocks) {
          for (std::size_t s = 0; s < b.labels.size(); ++s) {
            for (std::size_t t = 0; t < times.size(); ++t) {
              const double v =
                  done ? b.values[(d * b.labels.size() + s) * times.size() + t] : std::nan("");
              out << prefix << "," << csv_text(drugs[d]) << "," << csv_text(b.labels[s]) << ","
                  << csv_number(times[t]) << "," << csv_number(v) << "\n";
            }
          }
        }
      }
    }
  } else {
    struct Column {
      const VariableSpec* spec;
      std::vector<std::string> axis_labels;  // {""} without an axis
      std::size_t width;                     // values per run
      std::vector<double> values;
    };
    std::vector<Column> columns;
    const std::vector<std::string> drugs = labels("drug");
    for (const VariableSpec& v : variable_specs()) {
      if (is_series(v.needs)) continue;
      h5::Dataset dataset = h5::open_dataset_if_exists(root, v.name);
      if (!dataset) continue;
      Column column{&v, {""}, drugs.size(), {}};
      if (v.axes.size() == 2) column.axis_labels = labels(v.axes[1]);
      column.width = drugs.size() * column.axis_labels.size();
      column.values = h5::read_doubles(dataset.get());
      if (column.values.size() != info.runs * column.width) {
        throw IoError(path + ": '" + v.name + "' does not match its dimensions");
      }
      columns.push_back(std::move(column));
    }
    for (std::size_t r = 0; r < info.runs; ++r) {
      const std::string prefix = run_prefix(r);
      const bool done = info.done[r] != 0;
      for (std::size_t d = 0; d < drugs.size(); ++d) {
        for (const Column& c : columns) {
          for (std::size_t a = 0; a < c.axis_labels.size(); ++a) {
            const double v =
                done ? c.values[r * c.width + d * c.axis_labels.size() + a] : std::nan("");
            out << prefix << "," << csv_text(drugs[d]) << "," << c.spec->name << ","
                << csv_text(c.axis_labels[a]) << "," << csv_text(c.spec->units) << ","
                << csv_number(v) << "\n";
          }
        }
      }
    }
  }
  out.flush();
  if (!out) throw IoError(csv.path() + ": could not write the CSV file");
  out.close();
  csv.commit(partial);
}

}  // namespace csfpk::batch

namespace csfpk::batch {

bool is_sweep_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  if (H5Fis_hdf5(path.c_str()) <= 0) return false;
  h5::File file = h5::open_file(path);
  return h5::has_attribute(file.get(), "sweep_text") &&
         static_cast<bool>(h5::open_dataset_if_exists(file.get(), "done"));
}

}  // namespace csfpk::batch
