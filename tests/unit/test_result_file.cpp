#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "csfpk/core/errors.hpp"
#include "csfpk/io/csv_export.hpp"
#include "csfpk/io/result_reader.hpp"
#include "csfpk/io/result_writer.hpp"
#include "csfpk/solve/summaries.hpp"
#include "io/h5_file.hpp"

using namespace csfpk;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// ctest runs each test case in its own process, possibly in parallel: one file name per case.
std::string scratch(const std::string& name) {
  const fs::path dir = fs::path(CSFPK_BINARY_DIR) / "test_output" / "io";
  fs::create_directories(dir);
  const fs::path path = dir / name;
  fs::remove_all(path);
  fs::remove(path.string() + ".partial");
  return path.string();
}

// Values chosen to need all 17 significant digits, so "exact" really means bit-exact.
double concentration(int drug, int site, int time) {
  return ((drug + 1) * 100 + (site + 1) * 10 + time) / 3.0;
}

RunRecord make_record(bool with_events) {
  RunRecord record;
  Trajectory& trajectory = record.trajectory;
  trajectory.times_h = {0.0, 0.5, 1.0, 2.0, 24.0};
  trajectory.sites = {"lumbar", "thoracic", "plasma"};
  const std::vector<std::string> drugs = {"morphine", "bupivacaine"};
  for (int d = 0; d < 2; ++d) {
    DrugTrajectory drug;
    drug.drug = drugs[static_cast<std::size_t>(d)];
    drug.concentration_ug_per_mL.resize(3, 5);
    for (int s = 0; s < 3; ++s) {
      for (int t = 0; t < 5; ++t) drug.concentration_ug_per_mL(s, t) = concentration(d, s, t);
    }
    for (int t = 0; t < 5; ++t) {
      drug.delivered_ug.push_back(0.1 * t * (d + 1));
      drug.in_body_ug.push_back(0.07 * t * (d + 1));
      drug.eliminated_ug.push_back(0.03 * t * (d + 1) + 1e-300);
    }
    drug.mass_balance_relative_error = 2.5e-13 * (d + 1);
    trajectory.drugs.push_back(std::move(drug));
  }
  record.schedule.reservoir = {{0.0, 20.0, 0.0}, {24.0, 8.0, 12.0}};
  if (with_events) {
    record.schedule.events = {
        {1.0, EventKind::kRefill, "aspirated 1.5 mL, filled 20 mL"},
        {2.0, EventKind::kBolusGiven, "50 µg over 10 min"},
    };
  }
  record.provenance = {.csfpk_version = "0.1.0",
                       .scenario_file = "scenarios/blend.yaml",
                       .scenario_text = "patient:\n  weight: 70 kg\ndrugs: [morphine, µ]\n",
                       .command_line = "csfpk run scenarios/blend.yaml -o out.h5",
                       .created_utc = "2024-05-01T12:00:00Z"};
  record.status = "ok";
  record.warnings = {"morphine above consensus maximum at lumbar", "second warning"};
  return record;
}

void require_same(const RunRecord& written, const ResultFile& read) {
  const Trajectory& a = written.trajectory;
  const Trajectory& b = read.record.trajectory;
  CHECK(b.times_h == a.times_h);
  CHECK(b.sites == a.sites);
  REQUIRE(b.drugs.size() == a.drugs.size());
  for (std::size_t d = 0; d < a.drugs.size(); ++d) {
    CHECK(b.drugs[d].drug == a.drugs[d].drug);
    CHECK(b.drugs[d].concentration_ug_per_mL == a.drugs[d].concentration_ug_per_mL);
    CHECK(b.drugs[d].delivered_ug == a.drugs[d].delivered_ug);
    CHECK(b.drugs[d].in_body_ug == a.drugs[d].in_body_ug);
    CHECK(b.drugs[d].eliminated_ug == a.drugs[d].eliminated_ug);
    CHECK(b.drugs[d].mass_balance_relative_error == a.drugs[d].mass_balance_relative_error);
  }
  const auto& events = read.record.schedule.events;
  REQUIRE(events.size() == written.schedule.events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].time_h == written.schedule.events[i].time_h);
    CHECK(events[i].kind == written.schedule.events[i].kind);
    CHECK(events[i].detail == written.schedule.events[i].detail);
  }
  REQUIRE(read.reservoir_volume_mL.size() == a.times_h.size());
  for (std::size_t t = 0; t < a.times_h.size(); ++t) {
    CHECK(read.reservoir_volume_mL[t] == written.schedule.reservoir_mL_at(a.times_h[t]));
  }
  const Provenance& p = read.record.provenance;
  CHECK(p.csfpk_version == written.provenance.csfpk_version);
  CHECK(p.scenario_file == written.provenance.scenario_file);
  CHECK(p.scenario_text == written.provenance.scenario_text);
  CHECK(p.command_line == written.provenance.command_line);
  CHECK(p.created_utc == written.provenance.created_utc);
  CHECK(read.record.status == written.status);
  CHECK(read.record.warnings == written.warnings);
}

// A 1D run: 2 drugs, 7 cells, 3 levels, 2 cord segments, 4 times; summaries from summarize().
RunRecord make_1d_record() {
  RunRecord record = make_record(false);
  Trajectory& trajectory = record.trajectory;
  trajectory.times_h = {0.0, 1.0, 6.0, 24.0};
  trajectory.sites = {"cranial_pool", "plasma"};
  for (int i = 0; i < 7; ++i) trajectory.positions_cm.push_back(5.0 + 10.0 * i);
  for (int i = 0; i <= 7; ++i) trajectory.cell_faces_cm.push_back(10.0 * i);
  trajectory.levels = {"L2", "T10", "C1"};
  trajectory.level_positions_cm = {12.5, 31.0, 68.0};
  trajectory.segments = {"L1", "T10"};
  trajectory.dermatomes = {"inguinal ligament", "umbilicus, \"belly button\""};
  trajectory.catheter_tip_cm = 12.5;
  for (int d = 0; d < 2; ++d) {
    DrugTrajectory& drug = trajectory.drugs[static_cast<std::size_t>(d)];
    drug.concentration_ug_per_mL.resize(2, 4);
    drug.csf_profile_ug_per_mL.resize(7, 4);
    drug.tissue_ug_per_mL.resize(2, 4);
    for (int t = 0; t < 4; ++t) {
      for (int s = 0; s < 2; ++s) drug.concentration_ug_per_mL(s, t) = concentration(d, s, t);
      for (int i = 0; i < 7; ++i) {
        drug.csf_profile_ug_per_mL(i, t) = concentration(d, i, t) / (1.0 + i * i);
      }
      for (int g = 0; g < 2; ++g) drug.tissue_ug_per_mL(g, t) = concentration(d, g + 3, t) / 7.0;
    }
    drug.delivered_ug.resize(4);
    drug.in_body_ug.resize(4);
    drug.eliminated_ug.resize(4);
  }
  // The second drug has no effective concentration: its coverages are NaN.
  summarize(trajectory, {SummarySettings{.spread_threshold_ug_per_mL = 10.0,
                                         .effective_concentration_ug_per_mL = 4.8,
                                         .cord_partition_coefficient = 1.5,
                                         .pool_site = 0},
                         SummarySettings{.spread_threshold_ug_per_mL = 20.0, .pool_site = 0}});
  return record;
}

bool same_number(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

bool same_numbers(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same_number(a[i], b[i])) return false;
  }
  return true;
}

void require_same_canal(const RunRecord& written, const ResultFile& read) {
  const Trajectory& a = written.trajectory;
  const Trajectory& b = read.record.trajectory;
  CHECK(b.positions_cm == a.positions_cm);
  CHECK(b.cell_faces_cm == a.cell_faces_cm);
  CHECK(b.levels == a.levels);
  CHECK(b.level_positions_cm == a.level_positions_cm);
  CHECK(b.segments == a.segments);
  CHECK(b.dermatomes == a.dermatomes);
  CHECK(b.catheter_tip_cm == a.catheter_tip_cm);
  REQUIRE(b.drugs.size() == a.drugs.size());
  for (std::size_t d = 0; d < a.drugs.size(); ++d) {
    const DrugTrajectory& x = a.drugs[d];
    const DrugTrajectory& y = b.drugs[d];
    CHECK(y.csf_profile_ug_per_mL == x.csf_profile_ug_per_mL);
    CHECK(y.tissue_ug_per_mL.rows() == x.tissue_ug_per_mL.rows());
    CHECK(y.tissue_ug_per_mL.cols() == x.tissue_ug_per_mL.cols());
    CHECK(y.tissue_ug_per_mL == x.tissue_ug_per_mL);
    CHECK(same_numbers(y.summary.level_peak_ug_per_mL, x.summary.level_peak_ug_per_mL));
    CHECK(same_numbers(y.summary.level_mean_ug_per_mL, x.summary.level_mean_ug_per_mL));
    CHECK(same_numbers(y.summary.dermatome_coverage, x.summary.dermatome_coverage));
    CHECK(same_number(y.summary.spread_cm, x.summary.spread_cm));
    CHECK(y.summary.spread_threshold_ug_per_mL == x.summary.spread_threshold_ug_per_mL);
    CHECK(same_number(y.summary.cranial_auc_ug_h_per_mL, x.summary.cranial_auc_ug_h_per_mL));
    CHECK(same_number(y.summary.tip_peak_ug_per_mL, x.summary.tip_peak_ug_per_mL));
    CHECK(same_number(y.summary.tip_mean_ug_per_mL, x.summary.tip_mean_ug_per_mL));
    CHECK(y.summary.effective_concentration_ug_per_mL ==
          x.summary.effective_concentration_ug_per_mL);
  }
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("a result file reads back exactly what was written", "[io]") {
  const std::string path = scratch("roundtrip.h5");
  const RunRecord record = make_record(true);
  write_result(path, record);
  CHECK_FALSE(fs::exists(path + ".partial"));
  require_same(record, read_result(path));

  SECTION("writing again replaces the file") {
    RunRecord failed = make_record(false);
    failed.status = "solver failed for drug 'morphine' at t = 3 h";
    failed.warnings.clear();
    write_result(path, failed);
    require_same(failed, read_result(path));
  }
}

TEST_CASE("a result file without events has an empty event dimension", "[io]") {
  const std::string path = scratch("no_events.h5");
  const RunRecord record = make_record(false);
  write_result(path, record);
  const ResultFile read = read_result(path);
  CHECK(read.record.schedule.events.empty());
  require_same(record, read);
}

TEST_CASE("a result file for a schedule without a reservoir has NaN reservoir volumes", "[io]") {
  const std::string path = scratch("no_reservoir.h5");
  RunRecord record = make_record(true);
  record.schedule.reservoir.clear();
  write_result(path, record);
  const ResultFile read = read_result(path);
  REQUIRE(read.reservoir_volume_mL.size() == 5);
  for (double v : read.reservoir_volume_mL) CHECK(std::isnan(v));
}

TEST_CASE("reading something that is not a result file names the problem", "[io]") {
  SECTION("missing file") {
    const std::string path = scratch("does_not_exist.h5");
    CHECK_THROWS_MATCHES(read_result(path), IoError,
                         Catch::Message(path + ": cannot open: no such file"));
  }
  SECTION("text file") {
    const std::string path = scratch("text.h5");
    std::ofstream(path) << "time,concentration\n0,1\n";
    CHECK_THROWS_MATCHES(read_result(path), IoError, Catch::Message(path + " is not an HDF5 file"));
  }
  SECTION("HDF5 file lacking a variable") {
    const std::string path = scratch("incomplete.h5");
    write_result(path, make_record(true));
    {
      h5::File file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
      REQUIRE(file);
      REQUIRE(H5Ldelete(file.get(), "concentration", H5P_DEFAULT) >= 0);
    }
    CHECK_THROWS_MATCHES(
        read_result(path), IoError,
        Catch::Message(path + " is not a csfpk result file: missing dataset 'concentration'"));
  }
  SECTION("empty HDF5 file") {
    const std::string path = scratch("empty.h5");
    { h5::File file = h5::create_file(path); }
    CHECK_THROWS_WITH(read_result(path), Contains("is not a csfpk result file: missing dataset"));
  }
}

namespace {

// Every string-typed dataset and attribute of `path` that is variable-length, by name.
std::vector<std::string> variable_length_strings(const std::string& path) {
  std::vector<std::string> found;
  h5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  const auto is_variable = [](hid_t type) {
    return H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) > 0;
  };
  const auto check_attributes = [&](hid_t object, const std::string& owner) {
    const int n = H5Aget_num_attrs(object);
    for (int i = 0; i < n; ++i) {
      h5::Attribute attribute(H5Aopen_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC,
                                             static_cast<hsize_t>(i), H5P_DEFAULT, H5P_DEFAULT));
      h5::Datatype type(H5Aget_type(attribute.get()));
      char name[256] = {};
      H5Aget_name(attribute.get(), sizeof name, name);
      if (is_variable(type.get())) found.push_back(owner + "@" + name);
    }
  };
  check_attributes(file.get(), "/");
  H5G_info_t info;
  H5Gget_info(file.get(), &info);
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    char name[256] = {};
    H5Lget_name_by_idx(file.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name,
                       H5P_DEFAULT);
    h5::Dataset dataset(H5Dopen2(file.get(), name, H5P_DEFAULT));
    h5::Datatype type(H5Dget_type(dataset.get()));
    if (is_variable(type.get())) found.push_back(name);
    check_attributes(dataset.get(), name);
  }
  return found;
}

}  // namespace

TEST_CASE("result files hold only fixed-length strings", "[io]") {
  // Variable-length strings are read through HDF5's global heap, where a damaged file made
  // HDF5 1.10 loop forever; the reader refuses them, so the writer must never produce them.
  const std::string path = scratch("fixed_strings.h5");
  write_result(path, make_record(true));
  CHECK(variable_length_strings(path).empty());
  const std::string canal = scratch("fixed_strings_1d.h5");
  write_result(canal, make_1d_record());
  CHECK(variable_length_strings(canal).empty());

  SECTION("a variable-length string is refused, not read") {
    {
      h5::File file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
      REQUIRE(H5Adelete(file.get(), "status") >= 0);
      h5::Datatype type(H5Tcopy(H5T_C_S1));
      H5Tset_size(type.get(), H5T_VARIABLE);
      h5::Dataspace space(H5Screate(H5S_SCALAR));
      h5::Attribute attribute(
          H5Acreate2(file.get(), "status", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
      const char* text = "ok";
      REQUIRE(H5Awrite(attribute.get(), type.get(), &text) >= 0);
    }
    CHECK_THROWS_MATCHES(read_result(path), IoError,
                         Catch::Message(path + ": 'status' holds variable-length strings, which "
                                               "csfpk does not read (its own files store "
                                               "fixed-length strings); the file was written by "
                                               "another program or is damaged"));
  }
}

TEST_CASE("a dataset claiming more than its file can hold is refused before allocating", "[io]") {
  const std::string path = scratch("claims_too_much.h5");
  write_result(path, make_record(true));
  {
    // A time coordinate of 2^40 elements never written: HDF5 would hand back fill values.
    h5::File file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    REQUIRE(H5Ldelete(file.get(), "time", H5P_DEFAULT) >= 0);
    const hsize_t huge = hsize_t{1} << 40;
    h5::Dataspace space(H5Screate_simple(1, &huge, nullptr));
    h5::PropertyList dcpl(H5Pcreate(H5P_DATASET_CREATE));
    const hsize_t chunk = 1024;
    H5Pset_chunk(dcpl.get(), 1, &chunk);
    h5::Dataset time(H5Dcreate2(file.get(), "time", H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                                dcpl.get(), H5P_DEFAULT));
    REQUIRE(time);
  }
  CHECK_THROWS_WITH(read_result(path), Contains("dataset 'time' claims 8.39e+06 MiB") &&
                                           Contains("the file is damaged"));
}

TEST_CASE("a failed result write throws IoError and leaves no partial file", "[io]") {
  SECTION("unwritable directory") {
    const std::string path = "/nonexistent-dir/x.h5";
    CHECK_THROWS_AS(write_result(path, make_record(true)), IoError);
    CHECK_THROWS_WITH(write_result(path, make_record(true)),
                      Contains("/nonexistent-dir/x.h5") &&
                          Contains("the folder /nonexistent-dir does not exist"));
    CHECK_FALSE(fs::exists(path));
  }
  SECTION("a folder in the way") {
    const std::string path = scratch("in_the_way.h5");
    fs::create_directories(fs::path(path) / "occupied");
    CHECK_THROWS_WITH(write_result(path, make_record(true)), Contains("is a folder"));
    CHECK(fs::is_directory(fs::path(path) / "occupied"));
    fs::remove_all(path);
  }
  SECTION("the previous file is kept when the new one cannot be written") {
    const std::string path = scratch("kept.h5");
    write_result(path, make_record(true));
    const auto before = fs::last_write_time(path);
    const auto size = fs::file_size(path);
    RunRecord record = make_record(true);
    record.trajectory.drugs[1].in_body_ug.pop_back();
    CHECK_THROWS_AS(write_result(path, record), IoError);
    CHECK(fs::last_write_time(path) == before);
    CHECK(fs::file_size(path) == size);
    CHECK_NOTHROW(read_result(path));
  }
  SECTION("inconsistent record") {
    const std::string path = scratch("inconsistent.h5");
    RunRecord record = make_record(true);
    record.trajectory.drugs[1].in_body_ug.pop_back();
    CHECK_THROWS_WITH(write_result(path, record),
                      Contains("drug 'bupivacaine' has 4 mass-balance samples"));
    CHECK_FALSE(fs::exists(path));
  }
  // Nothing is left beside the outputs: no temporary, no lock file.
  const fs::path folder = fs::path(scratch("kept.h5")).parent_path();
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    for (const std::string output : {"kept.h5.", "inconsistent.h5.", "in_the_way.h5."}) {
      INFO(name);
      CHECK(name.rfind(output, 0) != 0);
    }
  }
}

TEST_CASE("CSV export of a result file writes one row per drug, site and time", "[io]") {
  const std::string h5_path = scratch("export.h5");
  const std::string csv_path = scratch("export.csv");
  write_result(h5_path, make_record(true));
  export_csv(h5_path, csv_path);

  const std::vector<std::string> lines = lines_of(csv_path);
  REQUIRE(lines.size() == 1 + 2 * 3 * 5);
  CHECK(lines[0] == "run,drug,site,position_cm,time_h,concentration_ug_per_mL");
  // Drug-major, then site, then time: morphine (0), thoracic (1), t = 1 h (index 2).
  CHECK(lines[1 + 0 * 15 + 1 * 5 + 2] == "0,morphine,thoracic,,1,40.666666666666664");
  CHECK(lines.back() == "0,bupivacaine,plasma,,24,78");

  SECTION("every number reads back to the same double") {
    std::istringstream fields(lines[1 + 1 * 15 + 0 * 5 + 1]);  // bupivacaine, lumbar, 0.5 h
    std::string run, drug, site, position, time, value;
    std::getline(fields, run, ',');
    std::getline(fields, drug, ',');
    std::getline(fields, site, ',');
    std::getline(fields, position, ',');
    std::getline(fields, time, ',');
    std::getline(fields, value, ',');
    CHECK(position.empty());
    CHECK(std::stod(time) == 0.5);
    CHECK(std::stod(value) == concentration(1, 0, 1));
  }
}

TEST_CASE("CSV export of a missing result file throws IoError", "[io]") {
  const std::string csv_path = scratch("never.csv");
  CHECK_THROWS_AS(export_csv(scratch("missing_for_csv.h5"), csv_path), IoError);
  CHECK_FALSE(fs::exists(csv_path));
}

TEST_CASE("a 1D result file reads back profiles, geometry and summaries exactly", "[io]") {
  const std::string path = scratch("roundtrip_1d.h5");
  const RunRecord record = make_1d_record();
  // The hand-built summaries are real ones: spread and coverage are neither zero nor NaN.
  REQUIRE(record.trajectory.drugs[0].summary.spread_cm > 0.0);
  REQUIRE(record.trajectory.drugs[0].summary.dermatome_coverage[1] > 0.0);
  REQUIRE(std::isnan(record.trajectory.drugs[1].summary.dermatome_coverage[0]));
  write_result(path, record);
  const ResultFile read = read_result(path);
  require_same(record, read);
  require_same_canal(record, read);

  SECTION("the profile is chunked one drug, all positions at a time, and compressed") {
    h5::File file = h5::open_file(path);
    h5::Dataset profile = h5::open_dataset_if_exists(file.get(), "csf_concentration");
    REQUIRE(profile);
    CHECK(h5::shape(profile.get()) == std::vector<hsize_t>{2, 7, 4});
    h5::PropertyList dcpl(H5Dget_create_plist(profile.get()));
    REQUIRE(H5Pget_layout(dcpl.get()) == H5D_CHUNKED);
    hsize_t chunk[3] = {0, 0, 0};
    REQUIRE(H5Pget_chunk(dcpl.get(), 3, chunk) == 3);
    CHECK(chunk[0] == 1);
    CHECK(chunk[1] == 7);
    CHECK(chunk[2] == 4);
    CHECK(H5Pget_nfilters(dcpl.get()) == 2);  // shuffle, deflate
    CHECK(h5::read_string_attribute(profile.get(), "units") == "ug/mL");
    CHECK(h5::read_double_attribute(file.get(), "catheter_tip_cm") == 12.5);
  }
}

TEST_CASE("a 1D result file without levels or cord segments leaves those dimensions out", "[io]") {
  const std::string path = scratch("roundtrip_1d_bare.h5");
  RunRecord record = make_1d_record();
  Trajectory& trajectory = record.trajectory;
  trajectory.levels.clear();
  trajectory.level_positions_cm.clear();
  trajectory.segments.clear();
  trajectory.dermatomes.clear();
  for (DrugTrajectory& drug : trajectory.drugs) {
    drug.tissue_ug_per_mL.resize(0, 4);
    drug.summary = DrugSummary{};  // not summarized: written as they are
  }
  write_result(path, record);
  const ResultFile read = read_result(path);
  require_same(record, read);
  require_same_canal(record, read);
  h5::File file = h5::open_file(path);
  for (const char* absent :
       {"level", "segment", "tissue_concentration", "dermatome_coverage", "level_peak"}) {
    CHECK_FALSE(h5::open_dataset_if_exists(file.get(), absent));
  }
  CHECK(h5::open_dataset_if_exists(file.get(), "spread"));
}

TEST_CASE("a compartmental result file has no canal variables", "[io]") {
  const std::string path = scratch("no_canal.h5");
  write_result(path, make_record(true));
  const ResultFile read = read_result(path);
  CHECK(read.record.trajectory.positions_cm.empty());
  CHECK(read.record.trajectory.drugs[0].csf_profile_ug_per_mL.size() == 0);
  h5::File file = h5::open_file(path);
  CHECK_FALSE(h5::open_dataset_if_exists(file.get(), "position"));
  CHECK_FALSE(h5::open_dataset_if_exists(file.get(), "csf_concentration"));
  CHECK_FALSE(h5::has_attribute(file.get(), "catheter_tip_cm"));
}

TEST_CASE("an inconsistent 1D record is not written", "[io]") {
  const std::string path = scratch("inconsistent_1d.h5");
  RunRecord record = make_1d_record();
  SECTION("profile") {
    record.trajectory.drugs[1].csf_profile_ug_per_mL.conservativeResize(6, 4);
    CHECK_THROWS_WITH(write_result(path, record),
                      Contains("drug 'bupivacaine' has a 6x4 CSF profile") &&
                          Contains("7 cells, 3 levels, 2 cord segments and 4 times"));
  }
  SECTION("faces") {
    record.trajectory.cell_faces_cm.pop_back();
    CHECK_THROWS_WITH(write_result(path, record), Contains("there are 7 cell faces"));
  }
  SECTION("summary") {
    record.trajectory.drugs[0].summary.dermatome_coverage.push_back(1.0);
    CHECK_THROWS_WITH(write_result(path, record), Contains("3 dermatome coverages"));
  }
  CHECK_FALSE(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".partial"));
}

TEST_CASE("CSV export of a 1D result file adds the CSF profile and cord tissue", "[io]") {
  const std::string h5_path = scratch("export_1d.h5");
  const std::string csv_path = scratch("export_1d.csv");
  write_result(h5_path, make_1d_record());
  export_csv(h5_path, csv_path);

  // Per drug: 2 sites, 7 cells and 2 segments, each at 4 times.
  const std::vector<std::string> lines = lines_of(csv_path);
  constexpr std::size_t kPerDrug = (2 + 7 + 2) * 4;
  REQUIRE(lines.size() == 1 + 2 * kPerDrug);
  CHECK(lines[0] == "run,drug,site,position_cm,time_h,concentration_ug_per_mL");
  CHECK(lines[1] == "0,morphine,cranial_pool,,0,36.666666666666664");
  // morphine, csf, cell 2 (x = 25 cm), t = 6 h (index 2): concentration(0, 2, 2) / 5 = 44 / 5.
  CHECK(lines[1 + 2 * 4 + 2 * 4 + 2] == "0,morphine,csf,25,6,8.8");
  // bupivacaine, tissue T10 (segment 1), t = 24 h: the last row.
  CHECK(lines.back() == "0,bupivacaine,tissue:T10,,24," + [] {
    char buffer[32];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, concentration(1, 4, 3) / 7.0);
    return std::string(buffer, end.ptr);
  }());
}

TEST_CASE("readers refuse external links and files that are not regular", "[io]") {
  const std::string target = scratch("link_target.h5");
  write_result(target, make_record(true));
  const std::string linked = scratch("external_link.h5");
  write_result(linked, make_record(true));
  {
    h5::File file(H5Fopen(linked.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    REQUIRE(file);
    REQUIRE(H5Ldelete(file.get(), "concentration", H5P_DEFAULT) >= 0);
    REQUIRE(H5Lcreate_external(target.c_str(), "concentration", file.get(), "concentration",
                               H5P_DEFAULT, H5P_DEFAULT) >= 0);
  }
  CHECK_THROWS_WITH(read_result(linked), Contains("'concentration' is an external link into "
                                                  "another file"));
  const std::string fifo = scratch("a_fifo.h5");
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH(read_result(fifo), Contains("not a regular file"));
  fs::remove(fifo);
}
