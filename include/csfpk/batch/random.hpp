#pragma once
// Counter-based random numbers for sweeps.
//
// A sweep must give the same factor values for run i whether it runs on 1 thread, 16 threads
// or 4 MPI ranks, and whatever order the runs finish in. A stateful generator shared by the
// workers cannot promise that; a hash of (seed, run, dimension) can: every draw is a pure
// function of its coordinates, so no stream has to be advanced, stored or split.
#include <cstdint>

namespace csfpk::batch {

// SplitMix64's finaliser (Steele, Lea & Flood 2014): a bijection on 64-bit words whose output
// passes BigCrush when fed a counter.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// 64 random bits for (seed, stream, counter). Each coordinate goes through its own round of
// mixing so that neighbouring seeds, runs and dimensions give unrelated words.
constexpr std::uint64_t hash_bits(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  return mix64(mix64(mix64(seed) ^ stream) ^ (counter * 0xd1342543de82ef95ULL));
}

// Uniform in the open interval (0, 1): 53 random bits, centred in their cell, so the inverse
// CDF of an unbounded distribution never sees 0 or 1.
constexpr double to_open_unit(std::uint64_t bits) {
  return (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53;
}

constexpr double uniform(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  return to_open_unit(hash_bits(seed, stream, counter));
}

// Standard normal CDF Φ(z), accurate to a few ulp (through erfc).
double normal_cdf(double z);
// Φ⁻¹(p) for p in (0, 1), Wichura's AS 241 (PPND16): relative error about 1e-16. Returns ∓inf
// at p = 0 or 1 and NaN outside [0, 1].
double normal_quantile(double p);

}  // namespace csfpk::batch
