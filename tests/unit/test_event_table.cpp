// The delivery as an NM-TRAN-style event table: folding into II/ADDL and back to the same
// schedule (mass rates, impulses, tip flows).
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "csfpk/domain/event_table.hpp"
#include "csfpk/domain/infusion_schedule.hpp"

using namespace csfpk;

namespace {

// Day/night basal with three daily 5-minute boluses and one instantaneous bolus: 6 days.
PumpProgram day_night_program() {
  PumpProgram program;
  program.basal.steps = {{7.0, 0.6 / 24.0}, {22.0, 0.3 / 24.0}};
  for (const double at : {9.0, 14.0, 19.0}) {
    program.periodic_boluses.push_back({0.01, 5.0 / 60.0, 24.0, at, std::nullopt});
  }
  program.one_off_boluses.push_back({50.5, 0.02, 0.0});
  program.reservoir.capacity_mL = 20.0;
  program.reservoir.initial_volume_mL = 20.0;
  program.reservoir.blend = {{"morphine", 10000.0}, {"clonidine", 500.0}};
  program.reservoir.low_alarm_mL = 2.0;
  return program;
}

double flow_at(const InfusionSchedule& s, double t) {
  for (const FlowPiece& f : s.tip_flows) {
    if (f.start_h <= t && t < f.end_h) return f.volume_rate_mL_per_h;
  }
  return 0.0;
}

}  // namespace

TEST_CASE("event table folds a daily program into II/ADDL records") {
  const InfusionSchedule schedule = compile_schedule(day_night_program(), 6 * 24.0);
  const EventTable table = event_table(schedule);
  std::size_t repeated = 0;
  for (const DoseRecord& d : table.doses) {
    if (d.additional > 0) {
      ++repeated;
      CHECK(d.interval_h == 24.0);  // the daily cycle, not the 5 h between boluses
    }
  }
  CHECK(repeated > 0);
  // Per drug: first night piece, night, day, 3 boluses, 3 day pieces after them, the one-off
  // bolus, the last night piece cut by the end: a handful of records for 6 days.
  CHECK(table.doses.size() <= 2 * 12);
}

TEST_CASE("event table back to a schedule delivers the same, everywhere") {
  const InfusionSchedule original = compile_schedule(day_night_program(), 6 * 24.0);
  const InfusionSchedule replayed = schedule_from_events(event_table(original), 6 * 24.0);
  for (const char* drug : {"morphine", "clonidine"}) {
    for (double t = 0.0; t <= 6 * 24.0; t += 0.37) {
      const double a = original.delivered_ug(drug, t);
      CHECK(replayed.delivered_ug(drug, t) == Approx(a).epsilon(1e-10).margin(1e-9));
    }
  }
  CHECK(replayed.impulses.size() == original.impulses.size());
  for (double t = 0.01; t < 6 * 24.0; t += 0.29) {
    CHECK(flow_at(replayed, t) == Approx(flow_at(original, t)).epsilon(1e-12));
  }
  // No two breakpoints closer than the solver can step.
  for (std::size_t i = 1; i < replayed.breakpoints_h.size(); ++i) {
    CHECK(replayed.breakpoints_h[i] - replayed.breakpoints_h[i - 1] > 1e-6);
  }
}

TEST_CASE("event table expansion: ADDL repeats, overlaps add up, the horizon cuts") {
  EventTable table;
  table.doses.push_back({0.0, "morphine", {RouteKind::kCatheterTip, ""}, 10.0, 5.0, 2, 6.0});
  table.doses.push_back({1.0, "morphine", {RouteKind::kCatheterTip, ""}, 4.0, 2.0, 0, 0.0});
  table.doses.push_back({3.0, "morphine", {RouteKind::kPlasma, ""}, 7.0, 0.0, 0, 0.0});
  const InfusionSchedule s = schedule_from_events(table, 13.0);
  // 2 h at 5 ug/h at 0, 6, 12 (the last cut to 1 h) plus 2 h at 2 ug/h from 1 h, plus 7 ug.
  CHECK(s.delivered_ug("morphine", 13.0) == Approx(10.0 + 10.0 + 5.0 + 4.0 + 7.0));
  CHECK(s.delivered_ug("morphine", 1.5) == Approx(7.5 + 1.0));
  REQUIRE(s.impulses.size() == 1);
  CHECK(s.impulses[0].route.kind == RouteKind::kPlasma);
  CHECK(s.drugs == std::vector<std::string>{"morphine"});
}
