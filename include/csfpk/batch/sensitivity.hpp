#pragma once
// Variance-based (Sobol') sensitivity indices from a Saltelli design, as pure functions of the
// model outputs, so they can be checked on analytic functions.
//
// With f_A, f_B the outputs at the two independent base matrices and f_ABi the outputs at A
// with column i taken from B (N rows each), and V the variance of f_A ∪ f_B:
//   first order  S_i  = mean((f_B − f̄) · (f_ABi − f_A)) / V       (Saltelli et al. 2010, (b))
//   total        ST_i = mean((f_A − f_ABi)²) / (2 V)               (Jansen 1999)
// f̄ is the mean of f_A ∪ f_B; centring does not change the estimator's expectation (f_ABi − f_A
// has mean zero) but removes the variance a large output mean would add.
// Confidence intervals: percentile bootstrap over the N base samples (each resample redraws
// whole rows j, keeping A_j, B_j and every AB_ij together).
#include <cstdint>
#include <vector>

namespace csfpk::batch {

struct SobolIndex {
  double first = 0.0, first_low = 0.0, first_high = 0.0;
  double total = 0.0, total_low = 0.0, total_high = 0.0;
};

struct SobolEstimate {
  std::vector<SobolIndex> factors;
  double mean = 0.0;
  double variance = 0.0;
  std::size_t samples = 0;  // N base samples used
};

// f_ab[i] holds f_ABi. Throws std::invalid_argument on inconsistent sizes, N < 2 or zero
// variance. `bootstrap` resamples (0: no intervals, bounds equal the estimate); the resampling
// draws come from `seed` through the counter-based generator, so results are reproducible.
SobolEstimate estimate_sobol(const std::vector<double>& f_a, const std::vector<double>& f_b,
                             const std::vector<std::vector<double>>& f_ab, int bootstrap = 1000,
                             std::uint64_t seed = 0, double confidence = 0.95);

}  // namespace csfpk::batch
