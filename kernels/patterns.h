// Deterministic test signals for quantization accuracy: used by the kernel
// tests, the kernel benchmarks and the accuracy gate, so all three measure
// the same data.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "kernels/base/random.h"

namespace bitgate::kernels {

enum class Pattern : uint8_t { kSequential, kSine, kGaussian, kSparse, kOutliers };
inline constexpr Pattern kAllPatterns[] = {Pattern::kSequential, Pattern::kSine, Pattern::kGaussian,
                                           Pattern::kSparse, Pattern::kOutliers};

const char* PatternName(Pattern p);
std::optional<Pattern> PatternFromName(std::string_view name);

// n values of pattern p; the same (p, n, seed) gives the same values on
// every platform (own PRNG, no <random> distributions).
//  sequential: a ramp from -1 to 1
//  sine:       sin(0.1 i) with amplitude growing per 256-block (1, 2, 3, ...)
//  gaussian:   standard normal (Box-Muller on splitmix64)
//  sparse:     90% zeros, the rest standard normal
//  outliers:   standard normal with 1% of values multiplied by 20
std::vector<float> MakePattern(Pattern p, int64_t n, uint64_t seed = 1);

// A deterministic 64-bit generator (splitmix64) for reproducible tests.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return SplitMix64Next(&state_); }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Normal();

 private:
  uint64_t state_;
};

}  // namespace bitgate::kernels
