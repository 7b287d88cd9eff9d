#pragma once
// Measured concentrations to fit a scenario to: one row per sample, read from a CSV file with
// the same unit rules as scenarios (every time and value carries its unit; none is guessed).
//
//   # any comment lines (the source of the data belongs here)
//   subject,time,drug,site,value,unit,weight
//   1,30 min,morphine,lumbar,12.5,ug/mL,1
//
// `subject` and `weight` are optional columns (default subject "1", weight 1). `site` names a
// model site (a compartment, cranial_pool, plasma) or, for the 1D model, a vertebral level (L2)
// or a position along the canal with its unit (12 cm, from the sacral end).
//
// An NM-TRAN table (header with TIME, DV and ID or EVID; `csfpk export --nmtran` writes one) is
// read as well: its EVID 0 records with a DV, ID as the subject, CMT named by its '# CMT:' line
// as the site, and the units of its '# units:' line (docs/interop.md).
#include <string>
#include <vector>

namespace csfpk {

struct Observation {
  std::string subject;
  double time_h = 0.0;
  std::string drug;
  std::string site;
  double value_ug_per_mL = 0.0;
  double weight = 1.0;  // relative weight of the squared residual (e.g. a mean of several)
  int line = 0;         // in the file, for messages
};

struct ObservationSet {
  std::string file;
  std::vector<Observation> rows;
  // Subjects in order of first appearance.
  std::vector<std::string> subjects() const;
  // The rows of one subject, in file order.
  ObservationSet of_subject(const std::string& subject) const;
};

// Throws InputError naming the file, line and column for a missing or unknown column, a value
// without a valid unit, a negative value or weight, or a file without rows.
ObservationSet read_observations(const std::string& path);

}  // namespace csfpk
