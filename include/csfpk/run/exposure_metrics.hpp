#pragma once
// Exposure figures of a concentration–time series over a chosen window, as non-compartmental
// analysis reports them (Cmax, Tmax, Cmin, AUC, Cavg), steady-state detection, and quantiles
// across a population. The series is taken as linear between its samples, so a window may start
// or end between two output times.
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace csfpk {

struct TimeWindow {
  std::string name;  // "run", or the user's label ("steady", "after_refill")
  double from_h = 0.0;
  std::optional<double> to_h;  // nullopt: the end of the run
};

struct WindowMetrics {
  double cmax = 0.0;    // µg/mL
  double tmax_h = 0.0;  // time of the first maximum, from the scenario start
  double cmin = 0.0;    // µg/mL (a trough when the window spans a dosing interval)
  double auc = 0.0;     // µg·h/mL, trapezoidal
  double cavg = 0.0;    // auc / window length; the value itself for a zero-length window
};

// Throws InputError (field "--window") when the window is empty, reversed or outside
// [times.front(), times.back()]. `times_h` ascending, same length as `values`, at least one.
WindowMetrics window_metrics(std::span<const double> times_h, std::span<const double> values,
                             const TimeWindow& window);

// The start of steady state: the earliest t = T − k·period (T the last output time, k ≥ 2) such
// that the mean over each of the k last periods is within `relative_tolerance` of the mean over
// the final one. nullopt when the last two periods already differ, the run is shorter than two
// periods or the final mean is zero. Periodic dosing (day/night steps, daily boluses) reaches a
// steady state by this test when `period` is its cycle.
std::optional<double> steady_state_start(std::span<const double> times_h,
                                         std::span<const double> values, double period_h,
                                         double relative_tolerance);

// Hyndman & Fan's definition 7 (numpy.percentile's default "linear"): with the n values sorted,
// the value at rank (n − 1)·p, interpolated between neighbours. NaN for an empty sample; `p` in
// [0, 1].
double quantile(std::vector<double> values, double p);

}  // namespace csfpk
