#include "csfpk/batch/sobol_sequence.hpp"

#include <array>
#include <bit>
#include <stdexcept>
#include <string>

#include "csfpk/batch/random.hpp"

namespace csfpk::batch {
namespace {

constexpr int kBits = 32;

// One row of new-joe-kuo-6.21201: degree s of the primitive polynomial, its coefficients a
// (interior bits) and the initial direction numbers m_1 … m_s.
struct JoeKuo {
  int s;
  std::uint32_t a;
  std::array<std::uint32_t, 7> m;
};

// Dimensions 2–32 (dimension 1 needs no data).
constexpr std::array<JoeKuo, 31> kJoeKuo{{
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}},
    {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},
    {7, 7, {1, 1, 3, 13, 7, 35, 63}},
    {7, 8, {1, 3, 5, 9, 1, 25, 53}},
    {7, 14, {1, 3, 1, 13, 9, 35, 107}},
    {7, 19, {1, 3, 1, 5, 27, 61, 31}},
    {7, 21, {1, 1, 5, 11, 19, 41, 61}},
    {7, 28, {1, 3, 5, 3, 3, 13, 69}},
    {7, 31, {1, 1, 7, 13, 1, 19, 1}},
    {7, 32, {1, 3, 7, 5, 13, 19, 59}},
    {7, 37, {1, 1, 3, 9, 25, 29, 41}},
    {7, 41, {1, 3, 5, 13, 23, 1, 55}},
    {7, 42, {1, 3, 7, 3, 13, 59, 17}},
}};

}  // namespace

SobolSequence::SobolSequence(int dimensions) : dimensions_(dimensions) {
  if (dimensions < 1 || dimensions > kMaxDimensions) {
    throw std::invalid_argument("Sobol sequence: " + std::to_string(dimensions) +
                                " dimensions requested, 1 to " + std::to_string(kMaxDimensions) +
                                " available");
  }
  direction_.assign(static_cast<std::size_t>(dimensions), std::vector<std::uint32_t>(kBits));
  // Dimension 1: v_b = 2^(32-b), the van der Corput sequence.
  for (int b = 0; b < kBits; ++b) direction_[0][static_cast<std::size_t>(b)] = 1U << (31 - b);
  for (int d = 1; d < dimensions; ++d) {
    const JoeKuo& row = kJoeKuo[static_cast<std::size_t>(d - 1)];
    auto& v = direction_[static_cast<std::size_t>(d)];
    const int s = row.s;
    for (int b = 0; b < s && b < kBits; ++b) {
      v[static_cast<std::size_t>(b)] = row.m[static_cast<std::size_t>(b)] << (31 - b);
    }
    // Bratley & Fox recurrence: v_b = v_{b-s} ⊕ (v_{b-s} >> s) ⊕ ⊕_k a_k v_{b-k}.
    for (int b = s; b < kBits; ++b) {
      std::uint32_t value =
          v[static_cast<std::size_t>(b - s)] ^ (v[static_cast<std::size_t>(b - s)] >> s);
      for (int k = 1; k < s; ++k) {
        if ((row.a >> (s - 1 - k)) & 1U) value ^= v[static_cast<std::size_t>(b - k)];
      }
      v[static_cast<std::size_t>(b)] = value;
    }
  }
}

std::vector<std::uint32_t> SobolSequence::raw(std::uint64_t index) const {
  if (index >= (std::uint64_t{1} << kBits)) {
    throw std::invalid_argument("Sobol sequence: point " + std::to_string(index) +
                                " is beyond the 2^32 points of 32-bit direction numbers");
  }
  // Gray-code order: point n is the XOR of the direction numbers of the set bits of n ⊕ (n>>1),
  // which equals the usual recursive generator, but needs no previous point.
  const std::uint64_t gray = index ^ (index >> 1);
  std::vector<std::uint32_t> x(static_cast<std::size_t>(dimensions_), 0U);
  for (int b = 0; b < kBits; ++b) {
    if (((gray >> b) & 1U) == 0U) continue;
    for (std::size_t d = 0; d < x.size(); ++d) x[d] ^= direction_[d][static_cast<std::size_t>(b)];
  }
  return x;
}

std::vector<double> SobolSequence::point(std::uint64_t index) const {
  std::vector<double> out;
  for (std::uint32_t word : raw(index)) out.push_back(static_cast<double>(word) * 0x1.0p-32);
  return out;
}

std::vector<double> SobolSequence::point(std::uint64_t index,
                                         const std::vector<std::uint32_t>& shift) const {
  std::vector<double> out;
  const std::vector<std::uint32_t> words = raw(index);
  for (std::size_t d = 0; d < words.size(); ++d) {
    const std::uint32_t shifted = words[d] ^ (d < shift.size() ? shift[d] : 0U);
    out.push_back((static_cast<double>(shifted) + 0.5) * 0x1.0p-32);
  }
  return out;
}

std::vector<std::uint32_t> SobolSequence::shift_for_seed(std::uint64_t seed) const {
  std::vector<std::uint32_t> shift;
  constexpr std::uint64_t kShiftStream = 0x50b01ULL;  // distinct from the runs' streams
  for (int d = 0; d < dimensions_; ++d) {
    shift.push_back(static_cast<std::uint32_t>(
        hash_bits(seed, kShiftStream, static_cast<std::uint64_t>(d)) >> 32));
  }
  return shift;
}

}  // namespace csfpk::batch
