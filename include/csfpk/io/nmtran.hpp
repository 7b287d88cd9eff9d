#pragma once
// NM-TRAN event tables (the data-set layout of NONMEM, read by mrgsolve and rxode2/nlmixr2):
// csfpk writes a result's delivery and observations as one, and a scenario can take its dosing
// from one (`dosing: {nmtran: FILE}`).
//
// Layout written (comment lines start with '#'; read them with IGNORE=# in NONMEM, comment="#"
// in pandas/R):
//   # csfpk NM-TRAN event table …
//   # units: TIME h, AMT ug, RATE ug/h, II h, DV ug/mL, FLOW mL/h
//   # CMT: 1 catheter_tip, 2 plasma, 3 subcutaneous, 11 lumbar, …
//   ID,TIME,EVID,AMT,RATE,II,ADDL,CMT,DRUG,DV,MDV,FLOW
// EVID 1 doses (RATE 0 a bolus, otherwise an infusion of AMT at RATE; II/ADDL repeat it),
// EVID 0 observations (DV at CMT, MDV 0), EVID 2 changes of the fluid flow at the catheter tip.
// FLOW, the flow in force, is on every record.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "csfpk/domain/event_table.hpp"
#include "csfpk/io/output_file.hpp"

namespace csfpk {

// The compartment numbers csfpk writes for its routes; sites observed or dosed by name follow
// from kFirstNamedCompartment in the order they appear.
inline constexpr int kCatheterTipCompartment = 1;
inline constexpr int kPlasmaCompartment = 2;
inline constexpr int kSubcutaneousCompartment = 3;
inline constexpr int kFirstNamedCompartment = 11;

// Writes the table of a single-run result file. The delivery is compiled again from the
// scenario text stored in the file (with the models csfpk finds now) and checked against the
// delivered mass the file records; IoError when they differ (the models or a dosing table
// changed since) or the file cannot be read; InputError when the stored scenario no longer loads.
void export_nmtran(const std::string& h5_path, OutputClaim& csv);

// How to read a table that does not state its own units and compartments (a table from another
// tool); what the table's '# units:' and '# CMT:' lines say is used otherwise.
struct NmtranOptions {
  std::optional<std::string> time_unit;     // e.g. "h", "day"
  std::optional<std::string> amount_unit;   // e.g. "ug", "mg"; RATE is amount per time
  std::optional<std::string> flow_unit;     // e.g. "mL/h"
  std::map<int, std::string> compartments;  // CMT → catheter_tip, plasma, subcutaneous or a site
  std::optional<std::string> drug;          // for a table without a DRUG column
  std::optional<std::string> id;            // which ID, when the table has several
  std::string scenario_file;                // where the options were given, for messages
  int scenario_line = 0;
  // Read the observation records (EVID 0 with a DV) of every ID instead of one ID's doses: the
  // table is data for `csfpk fit`, and dose records are then optional.
  bool observations = false;
};

// A parsed table: dose and flow records with compartment names still unresolved.
struct NmtranDosing {
  struct Dose {
    DoseRecord record;        // route left default; resolved by the caller from `compartment`
    std::string compartment;  // the name its CMT maps to
    int line = 0;
  };
  std::vector<Dose> doses;
  std::vector<FlowRecord> flows;
  std::vector<std::string> drugs;  // sorted, unique
  // With NmtranOptions::observations: every EVID 0 record with a DV (MDV not 1), in file order.
  struct Sample {
    std::string id;
    double time_h = 0.0;
    std::string drug;
    std::string compartment;  // the name its CMT maps to
    double value_ug_per_mL = 0.0;
    int line = 0;
  };
  std::vector<Sample> observations;
};

// Reads `path`: InputError naming the file, line and column for every problem (unknown column
// values, negative amounts, SS or reset records, modelled rates, units missing or of the wrong
// dimension, a CMT with no name).
NmtranDosing read_nmtran(const std::string& path, const NmtranOptions& options);

}  // namespace csfpk
