#pragma once
// Long-format CSV for spreadsheets and R, from a result file written by write_result.
#include <string>

#include "csfpk/io/output_file.hpp"

namespace csfpk {

// Writes the header
//   run,drug,site,position_cm,time_h,concentration_ug_per_mL
// then one row per (drug, site, time) in that nesting order. `run` is 0 for a single-run file.
// Sites are those of the file's `site` coordinate (compartments, cranial pool, plasma), with an
// empty `position_cm`; a 1D run adds, per drug after them, site `csf` once per cell with the
// cell centre in `position_cm`, then site `tissue:<segment>` per cord segment with an empty
// `position_cm`. Numbers use the shortest text that reads back to the same double. Throws IoError
// if the result file cannot be read or the CSV cannot be written (an incomplete CSV is removed).
void export_csv(const std::string& h5_path, OutputClaim& csv);
// The same, claiming `csv_path` (overwriting an existing file) for the time of the export.
void export_csv(const std::string& h5_path, const std::string& csv_path);

// The delivery events of a single-run result (bolus given or denied, refill, alarms, faults …):
//   time_h,kind,detail
// one row per event in time order.
void export_events_csv(const std::string& h5_path, OutputClaim& csv);

}  // namespace csfpk
