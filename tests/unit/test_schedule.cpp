#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "csfpk/core/errors.hpp"
#include "csfpk/domain/infusion_schedule.hpp"

using namespace csfpk;
using Catch::Matchers::Contains;

namespace {

constexpr double kMorphine = 1000.0;  // µg/mL

// A 20 mL pump with one drug and a constant basal rate.
PumpProgram constant_program(double rate_mL_per_h, double volume_mL = 20.0) {
  PumpProgram program;
  program.basal.steps = {{0.0, rate_mL_per_h}};
  program.reservoir.capacity_mL = 20.0;
  program.reservoir.initial_volume_mL = volume_mL;
  program.reservoir.blend = {{"morphine", kMorphine}};
  program.reservoir.low_alarm_mL = 2.0;
  return program;
}

std::vector<Event> events_of(const InfusionSchedule& schedule, EventKind kind) {
  std::vector<Event> found;
  std::copy_if(schedule.events.begin(), schedule.events.end(), std::back_inserter(found),
               [kind](const Event& e) { return e.kind == kind; });
  return found;
}

// Total mass rate of `drug` on `route` at a time strictly inside a breakpoint interval.
double rate_at(const InfusionSchedule& schedule, const std::string& drug, const Route& route,
               double t) {
  double rate = 0.0;
  for (const RatePiece& piece : schedule.pieces) {
    if (piece.drug == drug && piece.route == route && piece.start_h <= t && t < piece.end_h) {
      rate += piece.mass_rate_ug_per_h;
    }
  }
  return rate;
}

bool has_breakpoint(const InfusionSchedule& schedule, double t) {
  return std::any_of(schedule.breakpoints_h.begin(), schedule.breakpoints_h.end(),
                     [t](double b) { return std::abs(b - t) <= 1e-12 * std::max(1.0, t); });
}

const Route kTip{RouteKind::kCatheterTip, {}};
const Route kPlasma{RouteKind::kPlasma, {}};

PatientBolusProgram patient_program(double lockout_h, int max_per_day,
                                    std::vector<double> requests) {
  PatientBolusProgram patient;
  patient.volume_mL = 0.05;
  patient.duration_h = 0.0;
  patient.lockout_h = lockout_h;
  patient.max_per_day = max_per_day;
  patient.request_times_h = std::move(requests);
  return patient;
}

}  // namespace

TEST_CASE("schedule: patient requests within the lockout are denied", "[schedule]") {
  PumpProgram program = constant_program(0.0);
  program.patient_boluses = patient_program(1.0, 10, {1.0, 1.5, 2.0, 2.9, 3.0});
  const InfusionSchedule schedule = compile_schedule(program, 10.0);

  const auto given = events_of(schedule, EventKind::kBolusGiven);
  const auto denied = events_of(schedule, EventKind::kBolusDenied);
  REQUIRE(given.size() == 3);
  CHECK(given[0].time_h == 1.0);
  CHECK(given[1].time_h == 2.0);  // exactly one lockout later is allowed
  CHECK(given[2].time_h == 3.0);
  CHECK_THAT(given[0].detail, Contains("patient bolus"));
  REQUIRE(denied.size() == 2);
  CHECK(denied[0].time_h == 1.5);
  CHECK(denied[0].detail == "lockout");
  CHECK(denied[1].time_h == 2.9);
  CHECK(denied[1].detail == "lockout");
  REQUIRE(schedule.impulses.size() == 3);
  CHECK(schedule.impulses[0].mass_ug == Approx(0.05 * kMorphine));
  CHECK(schedule.reservoir_mL_at(10.0) == Approx(20.0 - 3 * 0.05));
}

TEST_CASE("schedule: the daily maximum counts granted boluses in a rolling 24 h window",
          "[schedule]") {
  PumpProgram program = constant_program(0.0);
  program.patient_boluses = patient_program(0.0, 2, {0.5, 1.0, 2.0, 24.5, 24.6, 25.5});
  const InfusionSchedule schedule = compile_schedule(program, 48.0);

  std::vector<double> given_times;
  for (const Event& e : events_of(schedule, EventKind::kBolusGiven))
    given_times.push_back(e.time_h);
  // 24.5 h: the bolus at 0.5 h is exactly 24 h old and no longer counts; 24.6 h: 1.0 and 24.5
  // are in the window; 25.5 h: only 24.5 is.
  CHECK(given_times == std::vector<double>{0.5, 1.0, 24.5, 25.5});
  const auto denied = events_of(schedule, EventKind::kBolusDenied);
  REQUIRE(denied.size() == 2);
  CHECK(denied[0].time_h == 2.0);
  CHECK(denied[1].time_h == 24.6);
  CHECK(denied[0].detail == "daily maximum");
  CHECK(denied[1].detail == "daily maximum");
}

TEST_CASE("schedule: an empty reservoir stops delivery until the next refill", "[schedule]") {
  PumpProgram program = constant_program(0.5, 2.0);
  program.reservoir.refills = {{10.0, 5.0, std::nullopt}};
  program.patient_boluses = patient_program(0.0, 10, {6.0});
  const InfusionSchedule schedule = compile_schedule(program, 14.0);

  const auto empty = events_of(schedule, EventKind::kReservoirEmpty);
  REQUIRE(empty.size() == 1);
  CHECK(empty[0].time_h == 4.0);
  CHECK(has_breakpoint(schedule, 4.0));
  CHECK(rate_at(schedule, "morphine", kTip, 3.0) == Approx(0.5 * kMorphine));
  CHECK(rate_at(schedule, "morphine", kTip, 7.0) == 0.0);
  CHECK(rate_at(schedule, "morphine", kTip, 11.0) == Approx(0.5 * kMorphine));
  CHECK(schedule.delivered_ug("morphine", 10.0) == Approx(2.0 * kMorphine));
  CHECK(schedule.reservoir_mL_at(7.0) == 0.0);
  CHECK(schedule.reservoir_mL_at(10.0) == Approx(5.0));
  CHECK(schedule.reservoir_mL_at(12.0) == Approx(4.0));
  // Interpolation must not smear the refill jump into the empty interval before it.
  CHECK(schedule.reservoir_mL_at(9.999) == Approx(0.0).margin(1e-12));

  const auto denied = events_of(schedule, EventKind::kBolusDenied);
  REQUIRE(denied.size() == 1);
  CHECK(denied[0].detail == "reservoir empty");
  const auto refills = events_of(schedule, EventKind::kRefill);
  REQUIRE(refills.size() == 1);
  CHECK_THAT(refills[0].detail, Contains("residual 0 mL") && Contains("5 mL"));
}

TEST_CASE("schedule: inconsistent reservoir programs are rejected", "[schedule]") {
  PumpProgram program = constant_program(0.5);
  program.reservoir.refills = {{672.0, 25.0, std::nullopt}};
  CHECK_THROWS_AS(compile_schedule(program, 1000.0), InputError);
  CHECK_THROWS_WITH(compile_schedule(program, 1000.0),
                    "refill at 672 h: fill volume 25 mL exceeds the reservoir capacity 20 mL");

  PumpProgram overfull = constant_program(0.5, 21.0);
  CHECK_THROWS_WITH(compile_schedule(overfull, 10.0), Contains("initial reservoir volume 21 mL"));

  PumpProgram negative = constant_program(-0.5);
  CHECK_THROWS_AS(compile_schedule(negative, 10.0), InputError);
}

TEST_CASE("schedule: periodic boluses must be shorter than their interval", "[schedule]") {
  PumpProgram program = constant_program(0.5);
  program.periodic_boluses = {{0.01, 0.5, 1.0 / 3.0, 0.0, std::nullopt}};
  CHECK_THROWS_WITH(compile_schedule(program, 24.0),
                    "bolus duration 30 min is not shorter than its interval 20 min");
  program.periodic_boluses = {{0.01, 0.0, 0.0, 0.0, std::nullopt}};
  CHECK_THROWS_AS(compile_schedule(program, 24.0), InputError);
}

TEST_CASE("schedule: the low-reservoir alarm fires once per downward crossing", "[schedule]") {
  PumpProgram program = constant_program(1.0);
  program.reservoir.refills = {{19.0, 20.0, std::nullopt}};
  const InfusionSchedule schedule = compile_schedule(program, 38.0);

  const auto low = events_of(schedule, EventKind::kReservoirLow);
  REQUIRE(low.size() == 2);
  CHECK(low[0].time_h == Approx(18.0).epsilon(1e-14));
  CHECK(low[1].time_h == Approx(37.0).epsilon(1e-14));
  CHECK(events_of(schedule, EventKind::kReservoirEmpty).empty());
}

TEST_CASE("schedule: an occluded catheter delivers nothing and does not deplete the reservoir",
          "[schedule]") {
  PumpProgram program = constant_program(0.5);
  program.faults = {{FaultKind::kOcclusion, 2.0, 5.0}};
  program.one_off_boluses = {{3.0, 0.2, 0.0}};
  program.patient_boluses = patient_program(0.0, 10, {4.0});
  const InfusionSchedule schedule = compile_schedule(program, 8.0);

  CHECK(rate_at(schedule, "morphine", kTip, 3.5) == 0.0);
  CHECK(schedule.delivered_ug("morphine", 5.0) == Approx(schedule.delivered_ug("morphine", 2.0)));
  CHECK(schedule.reservoir_mL_at(5.0) == Approx(schedule.reservoir_mL_at(2.0)));
  CHECK(schedule.reservoir_mL_at(8.0) == Approx(20.0 - 0.5 * 5.0));
  CHECK(schedule.impulses.empty());  // the one-off bolus at 3 h could not leave the pump

  const auto fault = events_of(schedule, EventKind::kCatheterFault);
  const auto restored = events_of(schedule, EventKind::kCatheterRestored);
  REQUIRE(fault.size() == 1);
  REQUIRE(restored.size() == 1);
  CHECK(fault[0].time_h == 2.0);
  CHECK(restored[0].time_h == 5.0);
  const auto denied = events_of(schedule, EventKind::kBolusDenied);
  REQUIRE(denied.size() == 1);
  CHECK(denied[0].detail == "catheter occluded");
}

TEST_CASE("schedule: a disconnected catheter sends the pumped drug to plasma", "[schedule]") {
  PumpProgram program = constant_program(0.5);
  program.faults = {{FaultKind::kDisconnection, 2.0, 5.0}};
  program.one_off_boluses = {{3.0, 0.2, 0.0}};
  const InfusionSchedule schedule = compile_schedule(program, 8.0);

  CHECK(rate_at(schedule, "morphine", kTip, 3.5) == 0.0);
  CHECK(rate_at(schedule, "morphine", kPlasma, 3.5) == Approx(0.5 * kMorphine));
  CHECK(rate_at(schedule, "morphine", kTip, 6.0) == Approx(0.5 * kMorphine));
  CHECK(schedule.delivered_ug("morphine", kPlasma, 8.0) == Approx((1.5 + 0.2) * kMorphine));
  CHECK(schedule.delivered_ug("morphine", kTip, 8.0) == Approx(2.5 * kMorphine));
  REQUIRE(schedule.impulses.size() == 1);
  CHECK(schedule.impulses[0].route == kPlasma);
  CHECK(schedule.reservoir_mL_at(8.0) == Approx(20.0 - 4.0 - 0.2));
}

TEST_CASE("schedule: a zero-duration bolus is an exact impulse", "[schedule]") {
  PumpProgram program = constant_program(0.5);
  program.one_off_boluses = {{3.25, 0.2, 0.0}};
  const InfusionSchedule schedule = compile_schedule(program, 6.0);

  REQUIRE(schedule.impulses.size() == 1);
  CHECK(schedule.impulses[0].time_h == 3.25);
  CHECK(schedule.impulses[0].route == kTip);
  CHECK(schedule.impulses[0].mass_ug == Approx(0.2 * kMorphine));
  CHECK(has_breakpoint(schedule, 3.25));
  // Piecewise rates are unchanged by it; the jump is in delivered mass and in the reservoir.
  CHECK(rate_at(schedule, "morphine", kTip, 3.3) == Approx(0.5 * kMorphine));
  CHECK(schedule.delivered_ug("morphine", 3.25) - schedule.delivered_ug("morphine", 3.25 - 1e-9) ==
        Approx(0.2 * kMorphine));
  const auto sample = std::find_if(schedule.reservoir.begin(), schedule.reservoir.end(),
                                   [](const ReservoirSample& s) { return s.time_h == 3.25; });
  REQUIRE(sample != schedule.reservoir.end());
  CHECK(sample->reservoir_before_mL - sample->reservoir_mL == Approx(0.2));
  CHECK(schedule.reservoir_mL_at(3.25) == Approx(20.0 - 0.5 * 3.25 - 0.2));
  const auto given = events_of(schedule, EventKind::kBolusGiven);
  REQUIRE(given.size() == 1);
  CHECK_THAT(given[0].detail, Contains("one-off bolus 0.2 mL"));
}

TEST_CASE("schedule: an impulse larger than the residual delivers only what is left",
          "[schedule]") {
  PumpProgram program = constant_program(0.0, 0.15);
  program.one_off_boluses = {{1.0, 0.2, 0.0}};
  const InfusionSchedule schedule = compile_schedule(program, 2.0);
  REQUIRE(schedule.impulses.size() == 1);
  CHECK(schedule.impulses[0].mass_ug == Approx(0.15 * kMorphine));
  const auto empty = events_of(schedule, EventKind::kReservoirEmpty);
  REQUIRE(empty.size() == 1);
  CHECK(empty[0].time_h == 1.0);
}

TEST_CASE("schedule: flex steps wrap at midnight", "[schedule]") {
  PumpProgram program = constant_program(0.0);
  program.basal.steps = {{7.0, 0.6 / 24.0}, {22.0, 0.3 / 24.0}};
  const InfusionSchedule schedule = compile_schedule(program, 48.0);

  // 01:00 belongs to the step that began at 22:00 the day before.
  CHECK(rate_at(schedule, "morphine", kTip, 1.0) == Approx(0.3 / 24.0 * kMorphine));
  CHECK(rate_at(schedule, "morphine", kTip, 12.0) == Approx(0.6 / 24.0 * kMorphine));
  CHECK(rate_at(schedule, "morphine", kTip, 23.0) == Approx(0.3 / 24.0 * kMorphine));
  CHECK(rate_at(schedule, "morphine", kTip, 25.0) == Approx(0.3 / 24.0 * kMorphine));
  CHECK(rate_at(schedule, "morphine", kTip, 31.5) == Approx(0.6 / 24.0 * kMorphine));
  CHECK(schedule.breakpoints_h == std::vector<double>{0.0, 7.0, 22.0, 31.0, 46.0, 48.0});
}

TEST_CASE("schedule: a direct injection goes to its named site", "[schedule]") {
  PumpProgram program = constant_program(0.0);
  DirectInjection lumbar;
  lumbar.time_h = 2.0;
  lumbar.duration_h = 0.5;
  lumbar.dose_ug = {{"bupivacaine", 50.0}};
  lumbar.site = "L3";
  DirectInjection at_tip;
  at_tip.time_h = 4.0;
  at_tip.dose_ug = {{"morphine", 25.0}};
  program.direct_injections = {lumbar, at_tip};
  const InfusionSchedule schedule = compile_schedule(program, 6.0);

  const Route l3{RouteKind::kSite, "L3"};
  CHECK(rate_at(schedule, "bupivacaine", l3, 2.25) == Approx(100.0));
  CHECK(rate_at(schedule, "bupivacaine", kTip, 2.25) == 0.0);
  CHECK(schedule.delivered_ug("bupivacaine", l3, 6.0) == Approx(50.0));
  REQUIRE(schedule.impulses.size() == 1);
  CHECK(schedule.impulses[0].route == kTip);
  CHECK(schedule.impulses[0].mass_ug == 25.0);
  CHECK(schedule.reservoir_mL_at(6.0) == 20.0);  // not from the reservoir
  const auto injections = events_of(schedule, EventKind::kDirectInjection);
  REQUIRE(injections.size() == 2);
  CHECK_THAT(injections[0].detail, Contains("L3"));
  CHECK(schedule.drugs == std::vector<std::string>{"bupivacaine", "morphine"});
}

TEST_CASE("schedule: outputs are consistent", "[schedule]") {
  PumpProgram program = constant_program(0.02, 3.0);
  program.basal.steps = {{7.0, 0.03}, {22.0, 0.01}};
  program.periodic_boluses = {{0.01, 5.0 / 60.0, 8.0, 1.0, std::nullopt}};
  program.periodic_boluses.push_back({0.02, 0.0, 12.0, 6.0, std::nullopt});
  program.reservoir.refills = {{100.0, 10.0, Blend{{"morphine", 2000.0}}}};
  program.catheter.dead_volume_mL = 0.1;
  program.patient_boluses = patient_program(2.0, 3, {5.0, 6.0, 7.5, 30.0, 31.0, 33.0, 40.0});
  const InfusionSchedule schedule = compile_schedule(program, 240.0);

  const auto& b = schedule.breakpoints_h;
  REQUIRE(b.front() == 0.0);
  REQUIRE(b.back() == 240.0);
  CHECK(std::adjacent_find(b.begin(), b.end(), [](double x, double y) { return y <= x; }) ==
        b.end());
  for (const RatePiece& piece : schedule.pieces) {
    const auto at = std::lower_bound(b.begin(), b.end(), piece.start_h);
    REQUIRE(at != b.end());
    REQUIRE(std::next(at) != b.end());
    CHECK(*at == piece.start_h);
    CHECK(*std::next(at) == piece.end_h);
    CHECK(piece.mass_rate_ug_per_h > 0.0);
  }
  for (const Impulse& impulse : schedule.impulses) CHECK(has_breakpoint(schedule, impulse.time_h));
  CHECK(std::is_sorted(schedule.events.begin(), schedule.events.end(),
                       [](const Event& x, const Event& y) { return x.time_h < y.time_h; }));
  CHECK(schedule.reservoir.size() == b.size());
  CHECK(!events_of(schedule, EventKind::kNewBlendAtTip).empty());
}

TEST_CASE("schedule: event kinds have snake_case names", "[schedule]") {
  CHECK(to_string(EventKind::kBolusGiven) == "bolus_given");
  CHECK(to_string(EventKind::kBolusDenied) == "bolus_denied");
  CHECK(to_string(EventKind::kRefill) == "refill");
  CHECK(to_string(EventKind::kReservoirLow) == "reservoir_low");
  CHECK(to_string(EventKind::kReservoirEmpty) == "reservoir_empty");
  CHECK(to_string(EventKind::kCatheterFault) == "catheter_fault");
  CHECK(to_string(EventKind::kCatheterRestored) == "catheter_restored");
  CHECK(to_string(EventKind::kNewBlendAtTip) == "new_blend_at_tip");
  CHECK(to_string(EventKind::kDirectInjection) == "direct_injection");
}

TEST_CASE("schedule: basal reprogramming switches the program at its time", "[schedule]") {
  PumpProgram p;
  p.reservoir.capacity_mL = 20.0;
  p.reservoir.initial_volume_mL = 20.0;
  p.reservoir.low_alarm_mL = 0.0;
  p.reservoir.blend = {{"ziconotide", 25.0}};
  p.basal.steps = {{0.0, 0.1 / 24.0}};
  // Day 3: a flex program; day 5: constant again, higher.
  p.basal_changes.push_back({72.0, {{{0.0, 0.2 / 24.0}, {12.0, 0.1 / 24.0}}}});
  p.basal_changes.push_back({120.0, {{{0.0, 0.3 / 24.0}}}});
  const InfusionSchedule s = compile_schedule(p, 168.0);
  const auto delivered = [&](double t) { return s.delivered_ug("ziconotide", t); };
  CHECK(delivered(72.0) == Approx(3 * 0.1 * 25.0).epsilon(1e-12));
  CHECK(delivered(84.0) - delivered(72.0) == Approx(0.1 * 25.0).epsilon(1e-12));
  CHECK(delivered(96.0) - delivered(84.0) == Approx(0.05 * 25.0).epsilon(1e-12));
  CHECK(delivered(168.0) - delivered(120.0) == Approx(2 * 0.3 * 25.0).epsilon(1e-12));
  CHECK(std::count(s.breakpoints_h.begin(), s.breakpoints_h.end(), 72.0) == 1);
  CHECK(std::count(s.breakpoints_h.begin(), s.breakpoints_h.end(), 108.0) == 1);
  CHECK(std::count(s.breakpoints_h.begin(), s.breakpoints_h.end(), 132.0) == 0);
  p.basal_changes.push_back({100.0, {}});
  CHECK_THROWS_AS(compile_schedule(p, 168.0), InputError);
}
