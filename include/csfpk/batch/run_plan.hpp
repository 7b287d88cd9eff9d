#pragma once
// Run index → factor values → scenario overrides.
//
// Every value of run i is a pure function of (seed, i) and the sweep file: the uniforms come
// from a counter-based hash (Monte Carlo), the Sobol point of index i (Sobol, optionally
// digitally shifted by the seed) or a stratum permutation fixed up front from the seed (Latin
// hypercube). So thread count, rank count and completion order never change a run.
#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "csfpk/batch/sobol_sequence.hpp"
#include "csfpk/batch/sweep_spec.hpp"

namespace csfpk::batch {

struct FactorValue {
  double number = 0.0;  // numeric factors (NaN for categorical ones)
  std::string text;     // the override value, unit included ("0.4 mL/day", "T10")
};

// Saltelli's layout of a Sobol design: base sample j owns runs j·(k+2) … j·(k+2)+k+1, holding
// f(A_j), f(B_j), f(A_B^(1)_j), …, f(A_B^(k)_j).
struct SaltelliRole {
  std::uint64_t base_sample = 0;
  int role = 0;  // 0: A, 1: B, 2+f: A with factor f taken from B
};

class RunPlan {
 public:
  // Throws InputError when the design is too large to index.
  explicit RunPlan(const SweepSpec& spec);

  std::uint64_t size() const { return runs_; }
  const SweepSpec& spec() const { return spec_; }

  // The uniforms in (0, 1) behind run i, one per design dimension (before correlation).
  std::vector<double> unit_sample(std::uint64_t run) const;
  std::vector<FactorValue> values(std::uint64_t run) const;
  // The base `set:` entries followed by "path=value" for every factor.
  std::vector<std::string> overrides(std::uint64_t run) const;
  // Only the "path=value" of every factor (the base `set:` entries already applied).
  std::vector<std::string> overrides_without_base(std::uint64_t run) const;

  static SaltelliRole saltelli_role(std::uint64_t run, std::size_t factors) {
    const std::uint64_t block = factors + 2;
    return {run / block, static_cast<int>(run % block)};
  }

 private:
  SweepSpec spec_;
  std::uint64_t runs_ = 0;
  std::vector<std::uint64_t> grid_strides_;
  std::vector<std::vector<std::uint32_t>> lhs_strata_;  // [factor][run] → stratum
  SobolSequence sobol_{1};
  std::vector<std::uint32_t> sobol_shift_;
  Eigen::MatrixXd cholesky_;  // lower factor of the correlation matrix
};

// Quantile transform of one uniform u (and its normal score z = Φ⁻¹(u), used directly by the
// normal-based distributions for accuracy in the tails).
FactorValue transform(const Factor& factor, double u, double z);

}  // namespace csfpk::batch
