#include "csfpk/io/csv_export.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <vector>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/text.hpp"
#include "csfpk/io/result_reader.hpp"
#include "csfpk/io/result_writer.hpp"

namespace csfpk {
namespace {

// Shortest round-trip form: full precision without %.17g's noise digits (0.1, not 0.1000…01).
void append_number(std::string& row, double value) {
  row += round_trip_number(value);
}

void append_text(std::string& row, std::string_view text) {
  row += csv_field(text);
}

}  // namespace

void export_csv(const std::string& h5_path, const std::string& csv_path) {
  OutputClaim csv = OutputClaim::acquire({.path = csv_path, .overwrite = true, .what = "CSV file"});
  export_csv(h5_path, csv);
}

void export_csv(const std::string& h5_path, OutputClaim& csv) {
  const std::string& csv_path = csv.path();
  const ResultFile result = read_result(h5_path);
  const Trajectory& trajectory = result.record.trajectory;

  // Written beside the target and moved into place when complete: an interrupted export leaves
  // no CSV that looks finished.
  const std::string partial = csv.create_temporary();
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw IoError(csv_path + ": cannot create CSV file: " + std::strerror(errno));
  }
  out << "run,drug,site,position_cm,time_h,concentration_ug_per_mL\n";

  // A result file holds one run, so `run` is 0 until sweep files carry a run dimension.
  std::string row;
  const auto write_row = [&](const std::string& drug, std::string_view site,
                             const double* position_cm, double time_h, double value) {
    row.assign("0,");
    append_text(row, drug);
    row += ',';
    append_text(row, site);
    row += ',';
    if (position_cm != nullptr) append_number(row, *position_cm);
    row += ',';
    append_number(row, time_h);
    row += ',';
    append_number(row, value);
    row += '\n';
    out.write(row.data(), static_cast<std::streamsize>(row.size()));
  };
  const std::vector<double>& times = trajectory.times_h;
  for (const DrugTrajectory& drug : trajectory.drugs) {
    // Compartments, pool and plasma: no position along the canal.
    for (std::size_t s = 0; s < trajectory.sites.size(); ++s) {
      for (std::size_t t = 0; t < times.size(); ++t) {
        write_row(drug.drug, trajectory.sites[s], nullptr, times[t],
                  drug.concentration_ug_per_mL(static_cast<Eigen::Index>(s),
                                               static_cast<Eigen::Index>(t)));
      }
    }
    // 1D runs: the CSF profile at each cell centre, then cord tissue by segment.
    for (std::size_t i = 0; i < trajectory.positions_cm.size(); ++i) {
      for (std::size_t t = 0; t < times.size(); ++t) {
        write_row(
            drug.drug, result_names::kCsvCsfSite, &trajectory.positions_cm[i], times[t],
            drug.csf_profile_ug_per_mL(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(t)));
      }
    }
    for (std::size_t g = 0; g < trajectory.segments.size(); ++g) {
      const std::string site = result_names::kCsvTissueSitePrefix + trajectory.segments[g];
      for (std::size_t t = 0; t < times.size(); ++t) {
        write_row(
            drug.drug, site, nullptr, times[t],
            drug.tissue_ug_per_mL(static_cast<Eigen::Index>(g), static_cast<Eigen::Index>(t)));
      }
    }
  }
  out.close();
  if (!out) throw IoError(csv_path + ": cannot write CSV file (disk full?)");
  csv.commit(partial);
}

void export_events_csv(const std::string& h5_path, OutputClaim& csv) {
  const ResultFile result = read_result(h5_path);
  const std::string partial = csv.create_temporary();
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) throw IoError(csv.path() + ": cannot create CSV file: " + std::strerror(errno));
  out << "time_h,kind,detail\n";
  std::string row;
  for (const Event& event : result.record.schedule.events) {
    row.clear();
    append_number(row, event.time_h);
    row += ',';
    append_text(row, to_string(event.kind));
    row += ',';
    append_text(row, event.detail);
    row += '\n';
    out.write(row.data(), static_cast<std::streamsize>(row.size()));
  }
  out.close();
  if (!out) throw IoError(csv.path() + ": cannot write CSV file (disk full?)");
  csv.commit(partial);
}

}  // namespace csfpk
