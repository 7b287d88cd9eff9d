#pragma once
// Long-format CSV for spreadsheets and R, from a result file written by write_result.
#include <string>

namespace csfpk {

// Writes the header
//   run,drug,site,position_cm,time_h,concentration_ug_per_mL
// then one row per (drug, site, time) in that nesting order. `run` is 0 for a single-run file;
// `position_cm` is empty for sites without a position along the canal; numbers use the
// shortest text that reads back to the same double. Throws IoError if the result file cannot
// be read or the CSV cannot be written (an incomplete CSV is removed).
void export_csv(const std::string& h5_path, const std::string& csv_path);

}  // namespace csfpk
