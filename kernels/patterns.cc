#include "kernels/patterns.h"

#include <cmath>

namespace bitgate::kernels {

double SplitMix64::Normal() {
  // Box-Muller; u1 in (0, 1] so the log is finite.
  const double u1 = 1.0 - Uniform();
  const double u2 = Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

const char* PatternName(Pattern p) {
  switch (p) {
    case Pattern::kSequential: return "sequential";
    case Pattern::kSine: return "sine";
    case Pattern::kGaussian: return "gaussian";
    case Pattern::kSparse: return "sparse";
    case Pattern::kOutliers: return "outliers";
  }
  return "?";
}

std::optional<Pattern> PatternFromName(std::string_view name) {
  for (Pattern p : kAllPatterns)
    if (name == PatternName(p)) return p;
  return std::nullopt;
}

std::vector<float> MakePattern(Pattern p, int64_t n, uint64_t seed) {
  std::vector<float> v(static_cast<size_t>(n));
  SplitMix64 rng(seed);
  for (int64_t i = 0; i < n; ++i) {
    double x = 0.0;
    switch (p) {
      case Pattern::kSequential: x = n > 1 ? -1.0 + 2.0 * static_cast<double>(i) / (n - 1) : 0.0; break;
      case Pattern::kSine: x = std::sin(0.1 * static_cast<double>(i)) * static_cast<double>(1 + i / 256); break;
      case Pattern::kGaussian: x = rng.Normal(); break;
      case Pattern::kSparse: x = rng.Uniform() < 0.9 ? 0.0 : rng.Normal(); break;
      case Pattern::kOutliers: x = rng.Normal() * (rng.Uniform() < 0.01 ? 20.0 : 1.0); break;
    }
    v[static_cast<size_t>(i)] = static_cast<float>(x);
  }
  return v;
}

}  // namespace bitgate::kernels
