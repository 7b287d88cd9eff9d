#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "csfpk/core/errors.hpp"
#include "csfpk/io/csv_export.hpp"
#include "csfpk/io/h5_file.hpp"
#include "csfpk/io/result_reader.hpp"
#include "csfpk/io/result_writer.hpp"

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

TEST_CASE("a failed result write throws IoError and leaves no partial file", "[io]") {
  SECTION("unwritable directory") {
    const std::string path = "/nonexistent-dir/x.h5";
    CHECK_THROWS_AS(write_result(path, make_record(true)), IoError);
    CHECK_THROWS_WITH(write_result(path, make_record(true)),
                      Contains("/nonexistent-dir/x.h5") && Contains("cannot create file"));
    CHECK_FALSE(fs::exists(path + ".partial"));
    CHECK_FALSE(fs::exists(path));
  }
  SECTION("failure after the partial file was written") {
    // A non-empty directory in the way makes the final rename fail once the file is complete.
    const std::string path = scratch("in_the_way.h5");
    fs::create_directories(fs::path(path) / "occupied");
    CHECK_THROWS_WITH(write_result(path, make_record(true)), Contains("cannot move finished"));
    CHECK_FALSE(fs::exists(path + ".partial"));
    CHECK(fs::is_directory(path));
    fs::remove_all(path);
  }
  SECTION("inconsistent record") {
    const std::string path = scratch("inconsistent.h5");
    RunRecord record = make_record(true);
    record.trajectory.drugs[1].in_body_ug.pop_back();
    CHECK_THROWS_WITH(write_result(path, record),
                      Contains("drug 'bupivacaine' has 4 mass-balance samples"));
    CHECK_FALSE(fs::exists(path));
    CHECK_FALSE(fs::exists(path + ".partial"));
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
