// Compiled schedules against integrals worked out by hand from the program.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "csfpk/domain/infusion_schedule.hpp"

using namespace csfpk;

namespace {

constexpr double kRelative = 1e-12;
const Route kTip{RouteKind::kCatheterTip, {}};

PumpProgram one_drug_program(double concentration_ug_per_mL) {
  PumpProgram program;
  program.reservoir.capacity_mL = 20.0;
  program.reservoir.initial_volume_mL = 20.0;
  program.reservoir.blend = {{"morphine", concentration_ug_per_mL}};
  program.reservoir.low_alarm_mL = 2.0;
  return program;
}

double rate_at(const InfusionSchedule& schedule, double t) {
  double rate = 0.0;
  for (const RatePiece& piece : schedule.pieces) {
    if (piece.route == kTip && piece.start_h <= t && t < piece.end_h) {
      rate += piece.mass_rate_ug_per_h;
    }
  }
  return rate;
}

std::vector<Event> events_of(const InfusionSchedule& schedule, EventKind kind) {
  std::vector<Event> found;
  std::copy_if(schedule.events.begin(), schedule.events.end(), std::back_inserter(found),
               [kind](const Event& e) { return e.kind == kind; });
  return found;
}

}  // namespace

TEST_CASE("schedule: flex program with periodic boluses delivers its analytic integral",
          "[schedule]") {
  const double concentration = 1000.0;
  PumpProgram program = one_drug_program(concentration);
  program.basal.steps = {{7.0, 0.6 / 24.0}, {22.0, 0.3 / 24.0}};
  // 01:00, 09:00, 17:00 every day: three boluses a day.
  program.periodic_boluses = {{0.01, 5.0 / 60.0, 8.0, 1.0, std::nullopt}};
  const double horizon = 28.0 * 24.0;

  // Per day: 15 h at 0.6/24 mL/h (07–22) + 9 h at 0.3/24 mL/h (22–07) = 0.4875 mL; the last
  // bolus starts at 665 h and ends well before 672 h, so all 84 are complete.
  const double basal_per_day = 15.0 * 0.6 / 24.0 + 9.0 * 0.3 / 24.0;
  const double expected_mL = 28.0 * basal_per_day + 84.0 * 0.01;
  REQUIRE(expected_mL == Approx(14.49));

  SECTION("exact pump") {
    const InfusionSchedule schedule = compile_schedule(program, horizon);
    CHECK(schedule.delivered_ug("morphine", horizon) ==
          Approx(expected_mL * concentration).epsilon(kRelative));
    CHECK(schedule.reservoir.back().pumped_mL == Approx(expected_mL).epsilon(kRelative));
    CHECK(schedule.reservoir_mL_at(horizon) == Approx(20.0 - expected_mL).epsilon(kRelative));
    CHECK(events_of(schedule, EventKind::kBolusGiven).size() == 84);
    // Part way: day 1 in full, 00:00–06:00 of day 2 at the night rate, boluses at 1, 9, 17, 25 h.
    const double at_30h = basal_per_day + 6.0 * 0.3 / 24.0 + 4.0 * 0.01;
    CHECK(schedule.delivered_ug("morphine", 30.0) ==
          Approx(at_30h * concentration).epsilon(kRelative));
    // Inside a bolus: basal (day) + 0.01 mL / 5 min.
    CHECK(rate_at(schedule, 9.0 + 1.0 / 60.0) ==
          Approx((0.6 / 24.0 + 0.01 * 12.0) * concentration).epsilon(kRelative));
    // The one-pass query over many times agrees with the single-time one everywhere, inside
    // boluses and at breakpoints included.
    std::vector<double> times;
    for (double t = 0.0; t <= horizon; t += 1.0 / 12.0) times.push_back(t);
    const std::vector<double> many = schedule.delivered_ug("morphine", times);
    REQUIRE(many.size() == times.size());
    for (std::size_t i = 0; i < times.size(); ++i) {
      CHECK(many[i] == Approx(schedule.delivered_ug("morphine", times[i])).epsilon(kRelative));
    }
    CHECK(schedule.delivered_ug("clonidine", times).back() == 0.0);
  }
  SECTION("pump rate error scales everything") {
    program.rate_multiplier = 1.03;
    const InfusionSchedule schedule = compile_schedule(program, horizon);
    CHECK(schedule.delivered_ug("morphine", horizon) ==
          Approx(1.03 * expected_mL * concentration).epsilon(kRelative));
  }
}

TEST_CASE("schedule: the reservoir empties at the exact analytic time", "[schedule]") {
  SECTION("2 mL at 0.5 mL/h empties at 4 h") {
    PumpProgram program = one_drug_program(100.0);
    program.reservoir.initial_volume_mL = 2.0;
    program.basal.steps = {{0.0, 0.5}};
    const InfusionSchedule schedule = compile_schedule(program, 10.0);
    const auto empty = events_of(schedule, EventKind::kReservoirEmpty);
    REQUIRE(empty.size() == 1);
    CHECK(empty[0].time_h == 4.0);
    CHECK(std::count(schedule.breakpoints_h.begin(), schedule.breakpoints_h.end(), 4.0) == 1);
    CHECK(schedule.delivered_ug("morphine", 10.0) == Approx(200.0).epsilon(kRelative));
    CHECK(schedule.reservoir_mL_at(2.0) == Approx(1.0).epsilon(kRelative));
  }
  SECTION("a timed bolus on top of the basal brings the empty time forward") {
    // 0.3 mL/h; a 0.5 mL bolus over [1, 2) h. Volume 0.3 by 1 h, 1.1 by 2 h, then the remaining
    // 0.9 mL at 0.3 mL/h lasts 3 h: empty at 5 h.
    PumpProgram program = one_drug_program(100.0);
    program.reservoir.initial_volume_mL = 2.0;
    program.basal.steps = {{0.0, 0.3}};
    program.one_off_boluses = {{1.0, 0.5, 1.0}};
    const InfusionSchedule schedule = compile_schedule(program, 10.0);
    const auto empty = events_of(schedule, EventKind::kReservoirEmpty);
    REQUIRE(empty.size() == 1);
    CHECK(empty[0].time_h == Approx(5.0).epsilon(kRelative));
    CHECK(schedule.delivered_ug("morphine", 10.0) == Approx(200.0).epsilon(kRelative));
    // Starting at the 2 mL alarm volume is not a downward crossing.
    CHECK(events_of(schedule, EventKind::kReservoirLow).empty());
  }
}

TEST_CASE("schedule: a new blend reaches the tip after the catheter dead volume", "[schedule]") {
  const double old_c = 1000.0;
  const double new_c = 2000.0;
  const double rate = 0.5 / 24.0;  // mL/h
  PumpProgram program = one_drug_program(old_c);
  program.basal.steps = {{0.0, rate}};
  program.catheter.dead_volume_mL = 0.1;
  program.reservoir.refills = {{24.0, 20.0, Blend{{"morphine", new_c}}}};
  const double arrival = 24.0 + 0.1 / rate;
  REQUIRE(arrival == Approx(28.8));

  SECTION("continuous delivery switches concentration exactly at arrival") {
    const InfusionSchedule schedule = compile_schedule(program, 48.0);
    const auto arrived = events_of(schedule, EventKind::kNewBlendAtTip);
    REQUIRE(arrived.size() == 1);
    CHECK(arrived[0].time_h == Approx(arrival).epsilon(kRelative));
    CHECK(std::any_of(schedule.breakpoints_h.begin(), schedule.breakpoints_h.end(),
                      [&](double t) { return std::abs(t - arrival) <= 1e-12 * arrival; }));
    CHECK(rate_at(schedule, 28.79) == Approx(rate * old_c).epsilon(kRelative));
    CHECK(rate_at(schedule, 28.81) == Approx(rate * new_c).epsilon(kRelative));
    const double expected = arrival * rate * old_c + (48.0 - arrival) * rate * new_c;
    CHECK(schedule.delivered_ug("morphine", 48.0) == Approx(expected).epsilon(kRelative));
  }
  SECTION("an instantaneous bolus pushes out the old and the new blend in proportion") {
    // At 26 h: 26 h × rate pumped; the new blend starts at 24 h × rate, the tip is 0.1 mL behind.
    program.one_off_boluses = {{26.0, 0.06, 0.0}};
    const InfusionSchedule schedule = compile_schedule(program, 48.0);
    const double tip = 26.0 * rate - 0.1;
    const double boundary = 24.0 * rate;
    const double expected = (boundary - tip) * old_c + (tip + 0.06 - boundary) * new_c;
    REQUIRE(schedule.impulses.size() == 1);
    CHECK(schedule.impulses[0].mass_ug == Approx(expected).epsilon(kRelative));
    const auto arrived = events_of(schedule, EventKind::kNewBlendAtTip);
    REQUIRE(arrived.size() == 1);
    CHECK(arrived[0].time_h == 26.0);
    CHECK(rate_at(schedule, 26.5) == Approx(rate * new_c).epsilon(kRelative));
  }
  SECTION("an unprimed catheter delivers no drug until the dead volume is pushed out") {
    program.catheter.primed = false;
    program.reservoir.refills.clear();
    const InfusionSchedule schedule = compile_schedule(program, 10.0);
    const double first = 0.1 / rate;
    CHECK(schedule.delivered_ug("morphine", first) == 0.0);
    CHECK(schedule.delivered_ug("morphine", 10.0) ==
          Approx((10.0 - first) * rate * old_c).epsilon(kRelative));
    const auto arrived = events_of(schedule, EventKind::kNewBlendAtTip);
    REQUIRE(arrived.size() == 1);
    CHECK(arrived[0].time_h == Approx(first).epsilon(kRelative));
  }
}
