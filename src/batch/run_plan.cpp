#include "csfpk/batch/run_plan.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <limits>

#include "csfpk/batch/random.hpp"
#include "csfpk/core/errors.hpp"

namespace csfpk::batch {
namespace {

// Streams of the counter-based generator: factor draws use the run index as stream and the
// dimension as counter; the Latin-hypercube permutations use their own streams.
constexpr std::uint64_t kLhsPermutationStream = 0x4c48530000000000ULL;
constexpr std::uint64_t kMaxRuns = std::uint64_t{1} << 32;

std::size_t level_of(double u, std::size_t levels) {
  return std::min(levels - 1, static_cast<std::size_t>(u * static_cast<double>(levels)));
}

}  // namespace

FactorValue transform(const Factor& factor, double u, double z) {
  const Distribution& d = factor.distribution;
  FactorValue v;
  switch (d.kind) {
    case DistributionKind::kValues: {
      const std::size_t i = level_of(u, d.levels.size());
      v.number = d.numeric ? d.numbers[i] : std::numeric_limits<double>::quiet_NaN();
      v.text = d.levels[i];
      if (!factor.unit.empty()) v.text += " " + factor.unit;
      return v;
    }
    case DistributionKind::kUniform:
      v.number = d.min + u * (d.max - d.min);
      break;
    case DistributionKind::kNormal:
      v.number = d.mean + d.sd * z;
      break;
    case DistributionKind::kLognormal:
      v.number = d.median * std::exp(d.sigma * z);
      break;
    case DistributionKind::kTruncatedNormal: {
      // Inverse CDF of the normal restricted to [min, max]: u maps into [Φ(a), Φ(b)].
      const double lo = normal_cdf((d.min - d.mean) / d.sd);
      const double hi = normal_cdf((d.max - d.mean) / d.sd);
      const double x = d.mean + d.sd * normal_quantile(lo + u * (hi - lo));
      v.number = std::clamp(x, d.min, d.max);
      break;
    }
  }
  v.text = format_number(v.number);
  if (!factor.unit.empty()) v.text += " " + factor.unit;
  return v;
}

RunPlan::RunPlan(const SweepSpec& spec) : spec_(spec) {
  const std::size_t k = spec.factors.size();
  switch (spec.design) {
    case DesignType::kGrid: {
      grid_strides_.assign(k, 1);
      std::uint64_t total = 1;
      // C order: the last factor varies fastest.
      for (std::size_t f = k; f-- > 0;) {
        grid_strides_[f] = total;
        total *= spec.factors[f].distribution.levels.size();
        if (total > kMaxRuns) throw InputError(spec.file, 0, "factors", "the grid is too large");
      }
      runs_ = spec.runs > 0 ? std::min(spec.runs, total) : total;
      break;
    }
    case DesignType::kMonteCarlo:
      runs_ = spec.runs;
      break;
    case DesignType::kLatinHypercube: {
      runs_ = spec.runs;
      if (runs_ > kMaxRuns) throw InputError(spec.file, 0, "design.runs", "too many runs");
      // The stratum permutations are held in memory (4 bytes per run and factor).
      constexpr double kMostStrataBytes = 2e9;
      const double bytes = 4.0 * static_cast<double>(runs_) * static_cast<double>(k);
      if (bytes > kMostStrataBytes) {
        throw InputError(spec.file, 0, "design.runs",
                         "a Latin hypercube of " + std::to_string(runs_) + " runs over " +
                             std::to_string(k) + " factor(s) needs " +
                             std::to_string(static_cast<long long>(bytes / 1e9)) +
                             " GB for its strata, more than 2 GB; use monte_carlo or sobol, or "
                             "fewer runs");
      }
      // One random permutation of the N strata per factor (Fisher–Yates, counter-based draws):
      // run i sits in stratum π_f(i) of factor f.
      lhs_strata_.assign(k, std::vector<std::uint32_t>(runs_));
      for (std::size_t f = 0; f < k; ++f) {
        auto& strata = lhs_strata_[f];
        for (std::uint64_t i = 0; i < runs_; ++i) strata[i] = static_cast<std::uint32_t>(i);
        for (std::uint64_t i = runs_; i > 1; --i) {
          const double u = uniform(spec.seed, kLhsPermutationStream + f, i);
          const auto j = static_cast<std::uint64_t>(u * static_cast<double>(i));
          std::swap(strata[i - 1], strata[std::min(j, i - 1)]);
        }
      }
      break;
    }
    case DesignType::kSobol: {
      runs_ = spec.runs * (k + 2);
      if (spec.runs > kMaxRuns / (k + 2)) {
        throw InputError(spec.file, 0, "design.runs", "too many Sobol base samples");
      }
      sobol_ = SobolSequence(static_cast<int>(2 * k));
      sobol_shift_ = sobol_.shift_for_seed(spec.seed);
      break;
    }
  }
  if (runs_ > kMaxRuns) throw InputError(spec.file, 0, "design.runs", "too many runs");
  if (!spec.correlated.empty()) {
    cholesky_ = Eigen::LLT<Eigen::MatrixXd>(spec.correlation).matrixL();
  }
}

std::vector<double> RunPlan::unit_sample(std::uint64_t run) const {
  const std::size_t k = spec_.factors.size();
  std::vector<double> u(k);
  switch (spec_.design) {
    case DesignType::kGrid:
      for (std::size_t f = 0; f < k; ++f) {
        const std::uint64_t n = spec_.factors[f].distribution.levels.size();
        const std::uint64_t level = (run / grid_strides_[f]) % n;
        u[f] = (static_cast<double>(level) + 0.5) / static_cast<double>(n);
      }
      break;
    case DesignType::kMonteCarlo:
      for (std::size_t f = 0; f < k; ++f) u[f] = uniform(spec_.seed, run, f);
      break;
    case DesignType::kLatinHypercube:
      for (std::size_t f = 0; f < k; ++f) {
        // Uniform within the stratum; N ≤ 2^32 keeps (stratum + u)/N well inside (0, 1).
        u[f] = (static_cast<double>(lhs_strata_[f][run]) + uniform(spec_.seed, run, f)) /
               static_cast<double>(runs_);
      }
      break;
    case DesignType::kSobol: {
      const SaltelliRole role = saltelli_role(run, k);
      const std::vector<double> p = sobol_.point(role.base_sample, sobol_shift_);
      for (std::size_t f = 0; f < k; ++f) {
        const bool from_b = role.role == 1 || role.role == static_cast<int>(2 + f);
        u[f] = p[from_b ? k + f : f];
      }
      break;
    }
  }
  return u;
}

std::vector<FactorValue> RunPlan::values(std::uint64_t run) const {
  const std::vector<double> u = unit_sample(run);
  const std::size_t k = u.size();
  std::vector<double> z(k);
  for (std::size_t f = 0; f < k; ++f) z[f] = normal_quantile(u[f]);
  std::vector<double> uc = u;
  if (!spec_.correlated.empty()) {
    // Gaussian copula: correlate the normal scores, then map back to uniforms so any marginal
    // can be applied.
    const auto n = static_cast<Eigen::Index>(spec_.correlated.size());
    Eigen::VectorXd scores(n);
    for (Eigen::Index i = 0; i < n; ++i)
      scores[i] = z[spec_.correlated[static_cast<std::size_t>(i)]];
    const Eigen::VectorXd mixed = cholesky_ * scores;
    for (Eigen::Index i = 0; i < n; ++i) {
      const std::size_t f = spec_.correlated[static_cast<std::size_t>(i)];
      z[f] = mixed[i];
      uc[f] = normal_cdf(mixed[i]);
    }
  }
  std::vector<FactorValue> out;
  out.reserve(k);
  for (std::size_t f = 0; f < k; ++f) out.push_back(transform(spec_.factors[f], uc[f], z[f]));
  return out;
}

std::vector<std::string> RunPlan::overrides(std::uint64_t run) const {
  std::vector<std::string> out = spec_.base_overrides;
  for (std::string& o : overrides_without_base(run)) out.push_back(std::move(o));
  return out;
}

std::vector<std::string> RunPlan::overrides_without_base(std::uint64_t run) const {
  std::vector<std::string> out;
  const std::vector<FactorValue> v = values(run);
  for (std::size_t f = 0; f < v.size(); ++f) out.push_back(spec_.factors[f].path + "=" + v[f].text);
  return out;
}

}  // namespace csfpk::batch
