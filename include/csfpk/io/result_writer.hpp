#pragma once
// Writes one run to a NetCDF-4 style HDF5 file that xarray opens directly:
//
//   xr.open_dataset(path, engine="h5netcdf")
//
// Layout (dimension scales, CF `units`/`long_name` on every numeric variable):
//   coordinates  time(time) float64 hours since 2000-01-01 (nominal start, CF) · drug(drug) str · site(site) str · event(event) int64
//   variables    concentration(drug, site, time) ug/mL   (chunked, shuffle + deflate 4)
//                delivered, in_body, eliminated(drug, time) ug
//                peak, mean(drug, site) ug/mL · auc(drug, site) ug h/mL
//                mass_balance_relative_error(drug) 1
//                (the per-drug figures come from run/summary_table.hpp, shared with sweep files)
//                reservoir_volume(time) mL               (NaN when the schedule has no reservoir)
//                site_volume(drug, site) mL · unobserved_amount(drug, time) ug (mass in states
//                no concentration shows): with them `csfpk verify` recomputes the mass balance
//                event_time(event) hours since 2000-01-01 · event_kind(event) str · event_detail(event) str
//   root attrs   title, Conventions, csfpk_version, scenario_file, scenario, command_line,
//                created, status, warnings (one per line), solver (one line per drug: the
//                method used and its work counters, see solver_report.hpp), reservoir_plan
//                (each fill's alarm and empty days, each refill's residual check; one per line)
//
// 1D runs (Trajectory::positions_cm non-empty) add, along the canal coordinate x (cm from the
// sacral end):
//   coordinates  position(position) float64 cm (cell centres) · level(level) str ·
//                segment(segment) str
//   coordinate   face(face) cm (the N + 1 cell faces)
//   variables    cell_face(face) cm · level_position(level) cm · dermatome(segment) str
//                csf_concentration(drug, position, time) ug/mL   (chunked as concentration)
//                tissue_concentration(drug, segment, time) ug/mL (cord tissue)
//                level_peak, level_mean(drug, level) ug/mL
//                spread(drug) cm · spread_threshold(drug) ug/mL · cranial_auc(drug) ug h/mL
//                tip_peak, tip_mean(drug) ug/mL
//                dermatome_coverage(drug, segment) 1 · effective_concentration(drug) ug/mL
//                cell_volume(drug, position) mL · tissue_volume(drug, segment) mL
//   root attrs   catheter_tip_cm (float64)
// Strings (str above) are fixed-length UTF-8 tagged `_Encoding = utf-8`, never variable-length:
// see h5_file.hpp. The level and segment dimensions, and every variable on them, are left out when
// the run has no levels / no cord segments. Summaries not computed or not requested are NaN (see
// solve/summaries.hpp).
#include <string>
#include <vector>

#include "csfpk/io/output_file.hpp"
#include "csfpk/run/run_record.hpp"

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
inline constexpr const char* kSiteVolume = "site_volume";
inline constexpr const char* kCellVolume = "cell_volume";
inline constexpr const char* kTissueVolume = "tissue_volume";
inline constexpr const char* kUnobservedAmount = "unobserved_amount";
inline constexpr const char* kEventTime = "event_time";
inline constexpr const char* kEventKind = "event_kind";
inline constexpr const char* kEventDetail = "event_detail";
// 1D runs only.
inline constexpr const char* kPosition = "position";
inline constexpr const char* kFace = "face";
inline constexpr const char* kLevel = "level";
inline constexpr const char* kSegment = "segment";
inline constexpr const char* kCellFace = "cell_face";
inline constexpr const char* kLevelPosition = "level_position";
inline constexpr const char* kDermatome = "dermatome";
inline constexpr const char* kCsfConcentration = "csf_concentration";
inline constexpr const char* kTissueConcentration = "tissue_concentration";
inline constexpr const char* kLevelPeak = "level_peak";
inline constexpr const char* kLevelMean = "level_mean";
inline constexpr const char* kSpread = "spread";
inline constexpr const char* kSpreadThreshold = "spread_threshold";
inline constexpr const char* kCranialAuc = "cranial_auc";
inline constexpr const char* kTipPeak = "tip_peak";
inline constexpr const char* kTipMean = "tip_mean";
inline constexpr const char* kDermatomeCoverage = "dermatome_coverage";
inline constexpr const char* kEffectiveConcentration = "effective_concentration";
inline constexpr const char* kCatheterTipAttribute = "catheter_tip_cm";
// Site names the CSV export gives the CSF profile and cord tissue ("tissue:T10").
inline constexpr const char* kCsvCsfSite = "csf";
inline constexpr const char* kCsvTissueSitePrefix = "tissue:";

// CF time: hours since the scenario's start. t = 0 is 00:00 of the scenario's first day (the
// clock times of flex steps and daily boluses count from it); scenarios carry no calendar date,
// so the day is a nominal 2000-01-01, said so in the file's `time_origin` attribute.
inline constexpr const char* kCfTimeUnits = "hours since 2000-01-01 00:00:00";
inline constexpr const char* kTimeOrigin =
    "2000-01-01T00:00:00, nominal: 00:00 of the scenario's first day (t = 0)";
}  // namespace result_names

// Writes to a temporary of the claim and moves it onto the output only once the file is complete,
// closed and synced, so an interrupted or failed run never leaves a complete-looking result (the
// previous file, if any, stays until then); the temporary is removed on failure. Throws IoError
// (naming the file and object) on any failure, including a record whose arrays disagree with its
// times/sites.
void write_result(OutputClaim& output, const RunRecord& record);
// The same, claiming `path` (overwriting an existing file) for the time of the write.
void write_result(const std::string& path, const RunRecord& record);

// The same file, written in memory (no disk, no temporary file) and returned as its bytes: what
// the Python binding hands to xarray. Throws IoError like write_result.
std::vector<unsigned char> result_image(const RunRecord& record);

}  // namespace csfpk
