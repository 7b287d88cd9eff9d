#include "csfpk/domain/event_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "csfpk/core/errors.hpp"

namespace csfpk {
namespace {

bool same(double a, double b) {
  return std::abs(a - b) <= 1e-12 * std::max(std::abs(a), std::abs(b));
}
bool same_time(double a, double b) {
  return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(a));
}

std::tuple<int, std::string, std::string> route_key(const DoseRecord& d) {
  return {static_cast<int>(d.route.kind), d.route.site, d.drug};
}

// Pieces of one drug and route merged where one ends as the next starts at the same rate.
std::vector<DoseRecord> infusions(const InfusionSchedule& schedule) {
  std::vector<RatePiece> pieces = schedule.pieces;
  const auto order = [](const RatePiece& p) {
    return std::make_tuple(static_cast<int>(p.route.kind), p.route.site, p.drug, p.start_h);
  };
  std::sort(pieces.begin(), pieces.end(),
            [&](const RatePiece& a, const RatePiece& b) { return order(a) < order(b); });
  std::vector<DoseRecord> doses;
  struct Open {
    double start, end, rate;
  };
  std::vector<std::pair<RatePiece, Open>> merged;
  for (const RatePiece& p : pieces) {
    if (!merged.empty()) {
      auto& [first, open] = merged.back();
      if (first.drug == p.drug && first.route == p.route && same_time(open.end, p.start_h) &&
          same(open.rate, p.mass_rate_ug_per_h)) {
        open.end = p.end_h;
        continue;
      }
    }
    merged.push_back({p, {p.start_h, p.end_h, p.mass_rate_ug_per_h}});
  }
  for (const auto& [p, open] : merged) {
    doses.push_back({open.start, p.drug, p.route, open.rate * (open.end - open.start), open.rate});
  }
  return doses;
}

double to_digits(double v, int digits = 10) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*g", digits, v);
  return std::strtod(buffer, nullptr);
}

// Identical doses folded into II/ADDL chains: from the earliest dose not yet in a chain, the
// spacing (to one of the next few identical doses) that covers the most doses wins, so three
// daily boluses fold into three chains of II 24 h rather than runs of their gaps.
std::vector<DoseRecord> fold_repeats(const std::vector<DoseRecord>& doses) {
  constexpr std::size_t kCandidates = 64;
  std::map<std::tuple<int, std::string, std::string, double, double>, std::vector<DoseRecord>>
      groups;
  for (const DoseRecord& d : doses) {
    const auto [kind, site, drug] = route_key(d);
    // Amounts of pieces cut between breakpoints differ in the last bits (t1 − t0 at different
    // magnitudes of t): 10 significant digits decide what counts as identical.
    groups[std::make_tuple(kind, site, drug, to_digits(d.amount_ug), to_digits(d.rate_ug_per_h))]
        .push_back(d);
  }
  std::vector<DoseRecord> chains;
  for (auto& entry : groups) {
    std::vector<DoseRecord>& group = entry.second;
    std::sort(group.begin(), group.end(),
              [](const DoseRecord& a, const DoseRecord& b) { return a.time_h < b.time_h; });
    std::vector<bool> used(group.size(), false);
    // The unused dose at time t after index `from`, if any.
    const auto find = [&](double t, std::size_t from) -> std::optional<std::size_t> {
      for (std::size_t j = from; j < group.size() && group[j].time_h <= t + 1.0; ++j) {
        if (!used[j] && same_time(group[j].time_h, t)) return j;
      }
      return std::nullopt;
    };
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (used[i]) continue;
      used[i] = true;
      DoseRecord chain = group[i];
      std::vector<std::size_t> best;
      std::size_t tried = 0;
      for (std::size_t j = i + 1; j < group.size() && tried < kCandidates; ++j) {
        if (used[j] || same_time(group[j].time_h, chain.time_h)) continue;
        ++tried;
        const double interval = group[j].time_h - chain.time_h;
        std::vector<std::size_t> members{j};
        while (const auto next =
                   find(chain.time_h + static_cast<double>(members.size() + 1) * interval,
                        members.back() + 1)) {
          members.push_back(*next);
        }
        if (members.size() > best.size()) {
          best = std::move(members);
          chain.interval_h = interval;
        }
      }
      for (const std::size_t j : best) used[j] = true;
      chain.additional = static_cast<int>(best.size());
      // The mean spacing, to 12 digits: 24 h rather than 24.000000000000004 h.
      chain.interval_h = best.empty() ? 0.0
                                      : to_digits((group[best.back()].time_h - chain.time_h) /
                                                      static_cast<double>(best.size()),
                                                  12);
      chains.push_back(chain);
    }
  }
  return chains;
}

}  // namespace

EventTable event_table(const InfusionSchedule& schedule) {
  EventTable table;
  std::vector<DoseRecord> doses = infusions(schedule);
  for (const Impulse& impulse : schedule.impulses) {
    doses.push_back({impulse.time_h, impulse.drug, impulse.route, impulse.mass_ug, 0.0});
  }
  table.doses = fold_repeats(doses);
  std::stable_sort(table.doses.begin(), table.doses.end(),
                   [](const DoseRecord& a, const DoseRecord& b) { return a.time_h < b.time_h; });
  // Flow as steps: a record wherever the rate changes, zero in the gaps.
  const auto add_flow = [&](double t, double rate) {
    if (!table.flows.empty() && same(table.flows.back().volume_rate_mL_per_h, rate)) return;
    if (!table.flows.empty() && same_time(table.flows.back().time_h, t)) {
      table.flows.back().volume_rate_mL_per_h = rate;
      if (table.flows.size() > 1 &&
          same(table.flows[table.flows.size() - 2].volume_rate_mL_per_h, rate)) {
        table.flows.pop_back();
      }
      return;
    }
    table.flows.push_back({t, rate});
  };
  table.flows.push_back({0.0, 0.0});
  for (const FlowPiece& f : schedule.tip_flows) {
    add_flow(f.start_h, f.volume_rate_mL_per_h);
    add_flow(f.end_h, 0.0);
  }
  return table;
}

InfusionSchedule schedule_from_events(const EventTable& table, double horizon_h) {
  InfusionSchedule schedule;
  schedule.horizon_h = horizon_h;
  std::set<double> breakpoints{0.0, horizon_h};
  std::set<std::string> drugs;
  struct Span {
    double start, end, rate;
    Route route;
    std::string drug;
  };
  std::vector<Span> spans;
  for (const DoseRecord& d : table.doses) {
    if (!std::isfinite(d.time_h) || d.time_h < 0.0 || !(d.amount_ug >= 0.0) ||
        !(d.rate_ug_per_h >= 0.0) || d.additional < 0 ||
        (d.additional > 0 && !(d.interval_h > 0.0))) {
      throw InputError("event table: a dose record has a negative, missing or non-finite value");
    }
    drugs.insert(d.drug);
    for (int k = 0; k <= d.additional; ++k) {
      const double start = d.time_h + k * d.interval_h;
      if (start >= horizon_h && !(start == horizon_h && d.rate_ug_per_h == 0.0)) break;
      if (d.rate_ug_per_h == 0.0) {
        if (d.amount_ug > 0.0) schedule.impulses.push_back({start, d.route, d.drug, d.amount_ug});
        breakpoints.insert(start);
        continue;
      }
      const double end = std::min(start + d.amount_ug / d.rate_ug_per_h, horizon_h);
      if (end <= start) continue;
      spans.push_back({start, end, d.rate_ug_per_h, d.route, d.drug});
      breakpoints.insert(start);
      breakpoints.insert(end);
    }
  }
  for (const FlowRecord& f : table.flows) {
    if (!std::isfinite(f.time_h) || f.time_h < 0.0 || !(f.volume_rate_mL_per_h >= 0.0)) {
      throw InputError("event table: a flow record has a negative or non-finite value");
    }
    if (f.time_h < horizon_h) breakpoints.insert(f.time_h);
  }
  // Times that differ in their last bits (a repeat k·II against a piece's end) are one
  // breakpoint: the solver cannot step across a gap of 1e-13 h.
  std::vector<double>& bp = schedule.breakpoints_h;
  for (const double t : breakpoints) {
    if (bp.empty() || !same_time(bp.back(), t)) bp.push_back(t);
  }
  bp.back() = horizon_h;
  const auto snap = [&](double t) {
    auto i = static_cast<std::size_t>(std::lower_bound(bp.begin(), bp.end(), t) - bp.begin());
    if (i == bp.size() || (i > 0 && t - bp[i - 1] < bp[i] - t)) --i;
    return i;
  };
  schedule.drugs.assign(drugs.begin(), drugs.end());
  // Each span cut at every breakpoint inside it; overlapping spans of one drug and route add up.
  std::map<std::tuple<std::size_t, int, std::string, std::string>, double> rates;
  for (const Span& s : spans) {
    for (std::size_t i = snap(s.start); i < snap(s.end); ++i) {
      rates[{i, static_cast<int>(s.route.kind), s.route.site, s.drug}] += s.rate;
    }
  }
  for (const auto& [key, rate] : rates) {
    const auto& [i, kind, site, drug] = key;
    schedule.pieces.push_back(
        {bp[i], bp[i + 1], Route{static_cast<RouteKind>(kind), site}, drug, rate});
  }
  std::sort(schedule.pieces.begin(), schedule.pieces.end(),
            [](const RatePiece& a, const RatePiece& b) { return a.start_h < b.start_h; });
  for (Impulse& impulse : schedule.impulses) impulse.time_h = bp[snap(impulse.time_h)];
  std::stable_sort(schedule.impulses.begin(), schedule.impulses.end(),
                   [](const Impulse& a, const Impulse& b) { return a.time_h < b.time_h; });
  // Flow steps onto the breakpoint intervals.
  std::vector<FlowRecord> flows = table.flows;
  std::stable_sort(flows.begin(), flows.end(),
                   [](const FlowRecord& a, const FlowRecord& b) { return a.time_h < b.time_h; });
  std::size_t next_flow = 0;
  double rate = 0.0;
  for (std::size_t i = 0; i + 1 < bp.size(); ++i) {
    while (next_flow < flows.size() &&
           (flows[next_flow].time_h <= bp[i] || same_time(flows[next_flow].time_h, bp[i]))) {
      rate = flows[next_flow++].volume_rate_mL_per_h;
    }
    if (rate > 0.0) schedule.tip_flows.push_back({bp[i], bp[i + 1], rate});
  }
  return schedule;
}

}  // namespace csfpk
