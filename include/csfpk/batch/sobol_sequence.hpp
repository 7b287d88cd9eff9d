#pragma once
// Sobol' low-discrepancy points, computed point by point from the index (no state), so that a
// sweep's run i gets the same point on any thread or rank.
//
// Direction numbers: Joe & Kuo (2008), file new-joe-kuo-6.21201, dimensions 1–32 embedded as
// data (dimension 1 is van der Corput). 32-bit resolution: up to 2^32 points.
//
// Optionally a random digital shift (an XOR of every coordinate with a word drawn from the
// seed) randomises the sequence: it keeps the net structure of every 2^m-point block, makes
// the seed meaningful, and moves the all-zero first point away from 0, where an unbounded
// distribution's quantile is −inf.
#include <cstdint>
#include <vector>

namespace csfpk::batch {

class SobolSequence {
 public:
  static constexpr int kMaxDimensions = 32;

  // Throws std::invalid_argument if dimensions is not in 1 … kMaxDimensions.
  explicit SobolSequence(int dimensions);

  int dimensions() const { return dimensions_; }

  // Point `index` (0-based, Gray-code order as in Joe & Kuo / Bratley & Fox), each coordinate
  // in [0, 1); with `shift`, XOR-shifted by the per-dimension words of `shift` and centred in
  // its 2^-32 cell, so in (0, 1).
  std::vector<double> point(std::uint64_t index) const;
  std::vector<double> point(std::uint64_t index, const std::vector<std::uint32_t>& shift) const;

  // Per-dimension digital-shift words derived from `seed`.
  std::vector<std::uint32_t> shift_for_seed(std::uint64_t seed) const;

 private:
  std::vector<std::uint32_t> raw(std::uint64_t index) const;

  int dimensions_;
  // direction_[d][b]: direction number v_{b+1} of dimension d, scaled to 32 bits.
  std::vector<std::vector<std::uint32_t>> direction_;
};

}  // namespace csfpk::batch
