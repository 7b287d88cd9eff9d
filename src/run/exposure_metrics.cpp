#include "csfpk/run/exposure_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "csfpk/core/errors.hpp"

namespace csfpk {
namespace {

// The series at time t, linear between samples (t within the sampled range).
double value_at(std::span<const double> times, std::span<const double> values, double t) {
  const auto upper = std::upper_bound(times.begin(), times.end(), t);
  if (upper == times.begin()) return values.front();
  if (upper == times.end()) return values.back();
  const auto i = static_cast<std::size_t>(upper - times.begin());
  const double t0 = times[i - 1];
  const double t1 = times[i];
  const double w = t1 > t0 ? (t - t0) / (t1 - t0) : 1.0;
  return values[i - 1] + w * (values[i] - values[i - 1]);
}

std::string hours(double t) {
  std::ostringstream out;
  out << t << " h";
  return out.str();
}

// The samples inside [from, to] with the interpolated end points added.
void window_points(std::span<const double> times, std::span<const double> values, double from,
                   double to, std::vector<double>& ts, std::vector<double>& cs) {
  ts.clear();
  cs.clear();
  ts.push_back(from);
  cs.push_back(value_at(times, values, from));
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (times[i] > from && times[i] < to) {
      ts.push_back(times[i]);
      cs.push_back(values[i]);
    }
  }
  if (to > from) {
    ts.push_back(to);
    cs.push_back(value_at(times, values, to));
  }
}

double trapezoid(const std::vector<double>& ts, const std::vector<double>& cs) {
  double area = 0.0;
  for (std::size_t i = 1; i < ts.size(); ++i)
    area += 0.5 * (cs[i] + cs[i - 1]) * (ts[i] - ts[i - 1]);
  return area;
}

}  // namespace

WindowMetrics window_metrics(std::span<const double> times_h, std::span<const double> values,
                             const TimeWindow& window) {
  if (times_h.empty() || times_h.size() != values.size()) {
    throw Error("window_metrics: times and values differ in length or are empty");
  }
  const double first = times_h.front();
  const double last = times_h.back();
  const double from = window.from_h;
  const double to = window.to_h.value_or(last);
  const std::string label =
      "window '" + window.name + "' (" + hours(from) + " to " + hours(to) + ")";
  if (to < from) throw InputError("--window", 0, window.name, label + " ends before it starts");
  if (from < first - 1e-9 || to > last + 1e-9) {
    throw InputError(
        "--window", 0, window.name,
        label + " is outside the run's output times, " + hours(first) + " to " + hours(last));
  }
  std::vector<double> ts;
  std::vector<double> cs;
  window_points(times_h, values, from, to, ts, cs);
  WindowMetrics m;
  const auto peak = std::max_element(cs.begin(), cs.end());
  m.cmax = *peak;
  m.tmax_h = ts[static_cast<std::size_t>(peak - cs.begin())];
  m.cmin = *std::min_element(cs.begin(), cs.end());
  m.auc = trapezoid(ts, cs);
  m.cavg = to > from ? m.auc / (to - from) : cs.front();
  return m;
}

std::optional<double> steady_state_start(std::span<const double> times_h,
                                         std::span<const double> values, double period_h,
                                         double relative_tolerance) {
  if (times_h.size() < 2 || !(period_h > 0.0)) return std::nullopt;
  const double first = times_h.front();
  const double last = times_h.back();
  const auto periods = static_cast<long>(std::floor((last - first) / period_h + 1e-9));
  if (periods < 2) return std::nullopt;
  std::vector<double> ts;
  std::vector<double> cs;
  const auto mean_over = [&](long k) {  // the k-th period counted back from the end (1 = final)
    const double to = last - static_cast<double>(k - 1) * period_h;
    window_points(times_h, values, to - period_h, to, ts, cs);
    return trapezoid(ts, cs) / period_h;
  };
  const double final_mean = mean_over(1);
  if (!(final_mean > 0.0) || !std::isfinite(final_mean)) return std::nullopt;
  long agreeing = 1;
  while (agreeing < periods &&
         std::abs(mean_over(agreeing + 1) - final_mean) <= relative_tolerance * final_mean) {
    ++agreeing;
  }
  if (agreeing < 2) return std::nullopt;
  return last - static_cast<double>(agreeing) * period_h;
}

double quantile(std::vector<double> values, double p) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double rank = p * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(rank));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  const double w = rank - static_cast<double>(below);
  const double a = values[below];
  const double b = values[above];
  // numpy's lerp: from the nearer neighbour, so p = 1 gives the maximum exactly.
  return w >= 0.5 ? b - (b - a) * (1.0 - w) : a + (b - a) * w;
}

}  // namespace csfpk
