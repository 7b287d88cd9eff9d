#pragma once
// The delivery a pump program produces, compiled once before solving: a piecewise-constant
// mass rate per drug and route with exact breakpoints, instantaneous doses (exact jumps), the
// reservoir trace and the event list. Depends only on the program, never on the drug's
// distribution in the body.
#include <string>
#include <vector>

#include "csfpk/domain/pump_program.hpp"

namespace csfpk {

// Where a dose enters the body. kCatheterTip, kPlasma and kSubcutaneous (the pump pocket, after a
// pocket fill) need no name; kSite names a model site (compartment or vertebral level) for
// direct injections such as a lumbar puncture.
enum class RouteKind { kCatheterTip, kPlasma, kSite, kSubcutaneous };

struct Route {
  RouteKind kind = RouteKind::kCatheterTip;
  std::string site;  // only for kSite
  friend bool operator==(const Route&, const Route&) = default;
};

// On [start_h, end_h): `volume_rate_mL_per_h` of fluid leaves the catheter (or the broken
// catheter, when disconnected) and each drug arrives at `mass_rate_ug_per_h[drug]` along `route`.
struct RatePiece {
  double start_h = 0.0;
  double end_h = 0.0;
  Route route;
  std::string drug;
  double mass_rate_ug_per_h = 0.0;
};

// Fluid entering the CSF at the catheter tip on [start_h, end_h): pump fluid (unless the
// catheter is disconnected) and injections given with a volume. Drives the CSF flow and the
// injection mixing of the physiological models.
struct FlowPiece {
  double start_h = 0.0;
  double end_h = 0.0;
  double volume_rate_mL_per_h = 0.0;
};

struct Impulse {
  double time_h = 0.0;
  Route route;
  std::string drug;
  double mass_ug = 0.0;
};

enum class EventKind {
  kBolusGiven,        // periodic, one-off or granted patient bolus started
  kBolusDenied,       // patient request refused (detail says why)
  kRefill,            // detail: residual aspirated and fill volume
  kReservoirLow,      // crossed the low-reservoir alarm threshold
  kReservoirEmpty,    // delivery stops until the next refill
  kCatheterFault,     // occlusion or disconnection begins
  kCatheterRestored,  // fault ends
  kNewBlendAtTip,     // the first fluid of a new blend reaches the catheter tip
  kDirectInjection,   // e.g. lumbar-puncture trial bolus
};

struct Event {
  double time_h = 0.0;
  EventKind kind = EventKind::kBolusGiven;
  std::string detail;
};

// Reservoir volume and cumulative pumped volume at a breakpoint (both linear in between).
struct ReservoirSample {
  double time_h = 0.0;
  double reservoir_mL = 0.0;
  double pumped_mL = 0.0;  // cumulative volume that has left the reservoir
  // The two values just before any jump at time_h (refill, instantaneous bolus); the two above
  // are just after it. Needed to interpolate linearly up to a jump without smearing it.
  double reservoir_before_mL = 0.0;
  double pumped_before_mL = 0.0;
};

struct InfusionSchedule {
  double horizon_h = 0.0;
  // Sorted, unique; includes 0 and horizon_h. No rate changes between consecutive breakpoints,
  // and every impulse time is a breakpoint.
  std::vector<double> breakpoints_h;
  std::vector<RatePiece> pieces;           // non-zero rates only; each lies between two breakpoints
  std::vector<FlowPiece> tip_flows;        // non-zero flows only, sorted, between two breakpoints
  std::vector<Impulse> impulses;           // sorted by time
  std::vector<Event> events;               // sorted by time
  std::vector<ReservoirSample> reservoir;  // at every breakpoint (and event time), sorted
  std::vector<std::string> drugs;  // every drug that appears in any blend or injection, sorted

  // Total mass of `drug` delivered along any route in [0, t_h] (pieces integrated + impulses).
  double delivered_ug(const std::string& drug, double t_h) const;
  // Same, restricted to one route.
  double delivered_ug(const std::string& drug, const Route& route, double t_h) const;
  // delivered_ug(drug, t) at every time of `sorted_times_h` (non-decreasing), in one pass over
  // the pieces instead of one per time.
  std::vector<double> delivered_ug(const std::string& drug,
                                   const std::vector<double>& sorted_times_h) const;
  // Reservoir volume at t_h by linear interpolation of `reservoir`; at a sample time, the value
  // after any jump there.
  double reservoir_mL_at(double t_h) const;
};

std::string to_string(EventKind kind);

// Compiles a program over [0, horizon_h]. Throws InputError (no file/line; the loader has
// checked ranges already) for an inconsistent program, e.g. a refill above capacity.
InfusionSchedule compile_schedule(const PumpProgram& program, double horizon_h);

}  // namespace csfpk
