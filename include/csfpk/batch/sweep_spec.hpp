#pragma once
// A sweep file: a base scenario, the factors that vary and how, the design that picks the
// runs, and what each run keeps. See docs/sweeps.md for the format.
#include <Eigen/Core>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace csfpk::batch {

enum class DesignType { kGrid, kLatinHypercube, kMonteCarlo, kSobol };
std::string to_string(DesignType type);

enum class DistributionKind { kValues, kUniform, kNormal, kLognormal, kTruncatedNormal };

// Parameters are plain numbers in the factor's `unit` (if any).
struct Distribution {
  DistributionKind kind = DistributionKind::kValues;
  // kValues: the levels, as override text ("T10", "0.4"); numeric when every level is a plain
  // number, and then `numbers` holds them.
  std::vector<std::string> levels;
  std::vector<double> numbers;
  bool numeric = true;
  // kUniform: min, max. kNormal: mean, sd. kLognormal: median, sigma (of the log).
  // kTruncatedNormal: mean, sd, min, max.
  double mean = 0.0, sd = 1.0, min = 0.0, max = 1.0, median = 1.0, sigma = 1.0;

  std::string describe() const;  // "lognormal(median=1, sigma=0.3)", for file attributes
};

struct Factor {
  std::string name;        // [A-Za-z0-9_]+: becomes the dataset factor_<name>
  std::string path;        // dotted scenario path, as for `csfpk run --set`
  int path_line = 0;       // where `path` is in the sweep file, for messages
  std::string path_field;  // its field name there ("factors.0.path")
  std::string unit;        // appended to numeric values ("mL/day"); empty for none
  Distribution distribution;
  bool numeric() const {
    return distribution.kind != DistributionKind::kValues || distribution.numeric;
  }
};

struct OutputSpec {
  bool summaries = true;
  bool time_series = false;
  double interval_h = 1.0;  // time-series resolution
  bool float32 = false;     // time-series precision
  // 1D sweeps: also the CSF concentration at these vertebral levels (interpolated between cell
  // centres), on the same time grid.
  std::vector<std::string> levels;
};

struct SweepSpec {
  std::string file;       // the sweep file as given
  std::string text;       // its YAML after --set overrides: provenance, and the resume check
  std::string base_path;  // the base scenario, resolved against the sweep file's folder
  std::vector<std::string> base_overrides;  // `set:` entries, "path=value", applied to every run
  // Files the factors were read from (a `from_fit:` fit file): digested with the other inputs,
  // so that --resume refuses a sweep whose fit changed.
  std::vector<std::string> factor_files;
  std::uint64_t seed = 0;
  DesignType design = DesignType::kMonteCarlo;
  // Monte Carlo / Latin hypercube: runs. Sobol: base samples N (runs = N·(k+2)). Grid: at most
  // this many grid points (0: the whole grid).
  std::uint64_t runs = 0;
  std::vector<Factor> factors;
  // Gaussian-copula correlation between the factors listed (indices into `factors`), applied to
  // their normal scores; empty when independent.
  std::vector<std::size_t> correlated;
  Eigen::MatrixXd correlation;
  OutputSpec outputs;

  std::size_t factor_index(const std::string& name) const;  // npos when absent
};

// Loads and validates a sweep file; `overrides` are "dotted.path=YAML value" applied to the
// sweep file itself (e.g. "design.runs=16"). InputError with file, line and field otherwise.
SweepSpec load_sweep(const std::string& path, const std::vector<std::string>& overrides = {});
// Same, from text (used to re-read the sweep stored in a result file); `file` names it in
// messages and anchors a relative `base:`.
SweepSpec parse_sweep(const std::string& text, const std::string& file);

// Applies "a.b.0.c=value" to a YAML text; returns the new text. Exposed for tests.
std::string apply_overrides(const std::string& text, const std::vector<std::string>& overrides,
                            const std::string& file);

// Shortest text that reads back as exactly `value` (what run overrides and messages print).
std::string format_number(double value);

}  // namespace csfpk::batch
