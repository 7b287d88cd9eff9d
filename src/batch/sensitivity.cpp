#include "csfpk/batch/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "csfpk/batch/random.hpp"

namespace csfpk::batch {
namespace {

struct PointEstimate {
  std::vector<double> first, total;
  double mean = 0.0, variance = 0.0;
};

// The estimators over the base samples listed in `rows` (with repetition for a bootstrap).
PointEstimate estimate(const std::vector<double>& f_a, const std::vector<double>& f_b,
                       const std::vector<std::vector<double>>& f_ab,
                       const std::vector<std::size_t>& rows) {
  const auto n = static_cast<double>(rows.size());
  PointEstimate e;
  double sum = 0.0;
  for (std::size_t j : rows) sum += f_a[j] + f_b[j];
  e.mean = sum / (2.0 * n);
  double squares = 0.0;
  for (std::size_t j : rows) {
    squares += (f_a[j] - e.mean) * (f_a[j] - e.mean) + (f_b[j] - e.mean) * (f_b[j] - e.mean);
  }
  e.variance = squares / (2.0 * n - 1.0);
  for (const auto& f_i : f_ab) {
    double first = 0.0;
    double total = 0.0;
    for (std::size_t j : rows) {
      // Centred f_B: the same expectation (f_ABi − f_A has mean zero), far less variance when
      // the output's mean is large next to its spread.
      first += (f_b[j] - e.mean) * (f_i[j] - f_a[j]);
      total += (f_a[j] - f_i[j]) * (f_a[j] - f_i[j]);
    }
    e.first.push_back(first / n / e.variance);
    e.total.push_back(total / (2.0 * n) / e.variance);
  }
  return e;
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  // Linear interpolation between order statistics (type 7, as numpy's default).
  const double h = p * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (h - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

}  // namespace

SobolEstimate estimate_sobol(const std::vector<double>& f_a, const std::vector<double>& f_b,
                             const std::vector<std::vector<double>>& f_ab, int bootstrap,
                             std::uint64_t seed, double confidence) {
  const std::size_t n = f_a.size();
  if (f_b.size() != n) throw std::invalid_argument("Sobol estimate: f_A and f_B differ in size");
  for (const auto& f_i : f_ab) {
    if (f_i.size() != n) throw std::invalid_argument("Sobol estimate: f_AB differs in size");
  }
  if (n < 2) throw std::invalid_argument("Sobol estimate: needs at least two base samples");
  if (!(confidence > 0.0 && confidence < 1.0)) {
    throw std::invalid_argument("Sobol estimate: confidence must lie in (0, 1)");
  }
  std::vector<std::size_t> rows(n);
  for (std::size_t j = 0; j < n; ++j) rows[j] = j;
  const PointEstimate point = estimate(f_a, f_b, f_ab, rows);
  if (!(point.variance > 0.0) || !std::isfinite(point.variance)) {
    throw std::invalid_argument(
        "Sobol estimate: the output does not vary (zero variance), so it has no indices");
  }
  SobolEstimate out;
  out.mean = point.mean;
  out.variance = point.variance;
  out.samples = n;
  const std::size_t k = f_ab.size();
  std::vector<std::vector<double>> first(k), total(k);
  for (int b = 0; b < bootstrap; ++b) {
    for (std::size_t j = 0; j < n; ++j) {
      const double u = uniform(seed, static_cast<std::uint64_t>(b), j);
      rows[j] = std::min(n - 1, static_cast<std::size_t>(u * static_cast<double>(n)));
    }
    const PointEstimate e = estimate(f_a, f_b, f_ab, rows);
    if (!(e.variance > 0.0)) continue;  // a degenerate resample carries no information
    for (std::size_t i = 0; i < k; ++i) {
      first[i].push_back(e.first[i]);
      total[i].push_back(e.total[i]);
    }
  }
  const double tail = 0.5 * (1.0 - confidence);
  for (std::size_t i = 0; i < k; ++i) {
    SobolIndex index;
    index.first = point.first[i];
    index.total = point.total[i];
    if (first[i].empty()) {
      index.first_low = index.first_high = index.first;
      index.total_low = index.total_high = index.total;
    } else {
      index.first_low = percentile(first[i], tail);
      index.first_high = percentile(first[i], 1.0 - tail);
      index.total_low = percentile(total[i], tail);
      index.total_high = percentile(total[i], 1.0 - tail);
    }
    out.factors.push_back(index);
  }
  return out;
}

}  // namespace csfpk::batch
