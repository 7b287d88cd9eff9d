#pragma once
// The delivery as an event table in the NM-TRAN manner (NONMEM, mrgsolve, rxode2): dose records
// with an amount, a rate (0 for a bolus), a route, and II/ADDL for identical doses repeated at a
// fixed interval, plus the fluid flow at the catheter tip as time-varying records (NM-TRAN has no
// notion of the volume that carries a dose; the physiological models need it). A schedule turned
// into a table and back gives the same delivery: the same mass rates, impulses and tip flows.
#include <string>
#include <vector>

#include "csfpk/domain/infusion_schedule.hpp"

namespace csfpk {

struct DoseRecord {
  double time_h = 0.0;
  std::string drug;
  Route route;
  double amount_ug = 0.0;
  double rate_ug_per_h = 0.0;  // 0: a bolus; otherwise given over amount / rate
  int additional = 0;          // ADDL: further identical doses ...
  double interval_h = 0.0;     // II: ... this far apart
};

// The tip flow from `time_h` until the next record (the last one holds to the end).
struct FlowRecord {
  double time_h = 0.0;
  double volume_rate_mL_per_h = 0.0;
};

struct EventTable {
  std::vector<DoseRecord> doses;  // sorted by time
  std::vector<FlowRecord> flows;  // sorted by time, first at 0
};

// Contiguous pieces of one drug and route at one rate become one infusion; identical doses at a
// constant spacing become one record with II and ADDL.
EventTable event_table(const InfusionSchedule& schedule);

// The delivery of a table over [0, horizon_h]: doses expanded, infusions cut at the horizon.
// Throws InputError (no file; the reader checked each record) for negative or non-finite values.
InfusionSchedule schedule_from_events(const EventTable& table, double horizon_h);

}  // namespace csfpk
