#pragma once
// Writes one run to a NetCDF-4 style HDF5 file that xarray opens directly:
//
//   xr.open_dataset(path, engine="h5netcdf")
//
// Layout (dimension scales, CF `units`/`long_name` on every numeric variable):
//   coordinates  time(time) float64 h · drug(drug) str · site(site) str · event(event) int64
//   variables    concentration(drug, site, time) ug/mL   (chunked, shuffle + deflate 4)
//                delivered, in_body, eliminated(drug, time) ug
//                mass_balance_relative_error(drug) 1
//                reservoir_volume(time) mL               (NaN when the schedule has no reservoir)
//                event_time(event) h · event_kind(event) str · event_detail(event) str
//   root attrs   title, Conventions, csfpk_version, scenario_file, scenario, command_line,
//                created, status, warnings (one per line)
#include <string>

#include "csfpk/io/run_record.hpp"

namespace csfpk {

// Names shared by the writer, the reader and the CSV export: the file's public vocabulary.
namespace result_names {
inline constexpr const char* kTime = "time";
inline constexpr const char* kDrug = "drug";
inline constexpr const char* kSite = "site";
inline constexpr const char* kEvent = "event";
inline constexpr const char* kConcentration = "concentration";
inline constexpr const char* kDelivered = "delivered";
inline constexpr const char* kInBody = "in_body";
inline constexpr const char* kEliminated = "eliminated";
inline constexpr const char* kMassBalance = "mass_balance_relative_error";
inline constexpr const char* kReservoirVolume = "reservoir_volume";
inline constexpr const char* kEventTime = "event_time";
inline constexpr const char* kEventKind = "event_kind";
inline constexpr const char* kEventDetail = "event_detail";
}  // namespace result_names

// Writes to `path + ".partial"` and renames it over `path` only once the file is complete and
// closed, so an interrupted or failed run never leaves a complete-looking result; the partial
// file is removed on failure. Throws IoError (naming the file and object) on any failure,
// including a record whose arrays disagree with its times/sites.
void write_result(const std::string& path, const RunRecord& record);

}  // namespace csfpk
