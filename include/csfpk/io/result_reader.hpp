#pragma once
// Reads back a result file written by write_result (see result_writer.hpp for the layout),
// including, for 1D runs, the canal geometry, CSF and tissue profiles and the drug summaries.
#include <string>
#include <vector>

#include "csfpk/run/run_record.hpp"

namespace csfpk {

// A result file holds outputs, not the compiled delivery: of the schedule only the events come
// back, and the reservoir is known only at the output times.
struct ResultFile {
  RunRecord record;                         // record.schedule holds only `events`
  std::vector<double> reservoir_volume_mL;  // at record.trajectory.times_h; NaN without a pump
};

// Throws IoError for a missing file, a file that is not HDF5, and for an HDF5 file that lacks a
// dataset or attribute csfpk writes or whose shapes disagree
// ("OUT.h5 is not a csfpk result file: missing dataset 'concentration'").
ResultFile read_result(const std::string& path);

}  // namespace csfpk
