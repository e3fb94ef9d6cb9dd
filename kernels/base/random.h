// Deterministic pseudo-random numbers, identical on every platform (no
// <random> distributions, whose output is implementation-defined). Used
// for the kernels' test patterns, the engine's sampler and the bootstrap
// resampling of the statistics.
#pragma once

#include <cstdint>

namespace bitgate {

// splitmix64 (Vigna): advances *state by the golden-ratio increment and
// returns the mixed value. Good for seeding and for short streams.
inline uint64_t SplitMix64Next(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman and Vigna), its state filled by splitmix64(seed).
class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed = 0) { Seed(seed); }

  void Seed(uint64_t seed) {
    for (auto& s : s_) s = SplitMix64Next(&seed);
  }

  uint64_t NextU64() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double NextDouble() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

  // Uniform in [0, n) by Lemire's multiply-shift on 32 random bits
  // (bias < n / 2^32).
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(((NextU64() >> 32) * n) >> 32); }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace bitgate
