// Round-trip accuracy of every format on the standard data patterns, with
// floors that a broken kernel cannot meet. The floors sit below what each
// format achieves (printed by this test and by the accuracy gate); ternary
// formats are lossy by design, so their floors are far from 1.
#include <gtest/gtest.h>

#include <cmath>

#include <cstdio>

#include "kernels/accuracy.h"
#include "kernels/patterns.h"
#include "kernels/quant.h"

namespace bitgate::kernels {
namespace {

// Minimum cosine similarity per (format, pattern), about 0.05 below what
// each format achieves on this data (n = 65536, seed 42; the test prints the
// measured table). f16/bf16 keep > 0.9999 everywhere. Ternary formats are
// lossy by design: absmax-scaled TQ formats round most gaussian values to 0;
// per-tensor scales (i2_s, tl1, tl2) suffer most from outliers.
double CosineFloor(Format f, Pattern p) {
  if (!Info(f).ternary) return 0.999;
  //                        sequential sine  gaussian sparse outliers
  static const double kI2S[] = {0.99, 0.90, 0.84, 0.51, 0.47};
  static const double kTQ[] = {0.99, 0.90, 0.66, 0.79, 0.80};
  static const double kTensor[] = {0.88, 0.84, 0.83, 0.76, 0.41};
  const int i = static_cast<int>(p);
  switch (f) {
    case Format::kI2S: return kI2S[i];
    case Format::kTQ1_0:
    case Format::kTQ2_0: return kTQ[i];
    default: return kTensor[i];
  }
}

TEST(QuantAccuracy, EveryFormatOnEveryPattern) {
  const int64_t rows = 64, cols = 1024;
  for (int i = 0; i < kFormatCount; ++i) {
    const auto f = static_cast<Format>(i);
    for (Pattern p : kAllPatterns) {
      const auto x = MakePattern(p, rows * cols, 42);
      std::vector<uint8_t> packed(*TensorBytes(f, rows, cols));
      ASSERT_TRUE(Quantize(f, x.data(), rows, cols, packed).ok());
      std::vector<float> y(x.size());
      ASSERT_TRUE(Dequantize(f, packed, rows, cols, y.data()).ok());
      const ErrorStats s = CompareSignals(x.data(), y.data(), static_cast<int64_t>(x.size()));
      std::printf("%-6s %-10s cos %.4f relL2 %.4f snr %6.2f dB acc %5.1f%%\n", FormatName(f), PatternName(p),
                  s.cosine, s.rel_l2, s.snr_db, s.accuracy_pct);
      EXPECT_GE(s.cosine, CosineFloor(f, p)) << FormatName(f) << " " << PatternName(p);
      if (!Info(f).ternary) {
        // Q8_0: 8 bits per value with a per-32 absmax scale, ~38-42 dB
        EXPECT_GE(s.snr_db, f == Format::kF32 ? 199.0 : f == Format::kQ8_0 ? 30.0 : 40.0);
      }
    }
  }
}

TEST(QuantAccuracy, CompareSignalsOnKnownValues) {
  const float a[] = {1, 0, 0}, b[] = {0, 1, 0}, c[] = {2, 0, 0};
  EXPECT_DOUBLE_EQ(CompareSignals(a, a, 3).cosine, 1.0);
  EXPECT_DOUBLE_EQ(CompareSignals(a, b, 3).cosine, 0.0);
  EXPECT_DOUBLE_EQ(CompareSignals(a, c, 3).rel_l2, 1.0);
  EXPECT_DOUBLE_EQ(CompareSignals(a, c, 3).snr_db, 0.0);
  EXPECT_DOUBLE_EQ(CompareSignals(a, c, 3).accuracy_pct, 0.0);
  EXPECT_DOUBLE_EQ(CompareSignals(a, a, 3).snr_db, 200.0);
  // A NaN reconstruction has no SNR: std::min(200, NaN) had read 200 dB.
  const float n[] = {NAN, 0, 0};
  EXPECT_TRUE(std::isnan(CompareSignals(a, n, 3).snr_db));
}

TEST(Patterns, DeterministicAndDistinct) {
  EXPECT_EQ(MakePattern(Pattern::kGaussian, 100, 5), MakePattern(Pattern::kGaussian, 100, 5));
  EXPECT_NE(MakePattern(Pattern::kGaussian, 100, 5), MakePattern(Pattern::kGaussian, 100, 6));
  const auto s = MakePattern(Pattern::kSparse, 10000, 1);
  int zeros = 0;
  for (float v : s) zeros += v == 0.0f;
  EXPECT_NEAR(zeros, 9000, 300);
}

}  // namespace
}  // namespace bitgate::kernels
