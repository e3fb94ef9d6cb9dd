// Q8_0 quantization (the output head's repack) on every SIMD path: the
// reference's bytes, including its round-half-away-from-zero codes, which
// no vector rounding mode gives directly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/dispatch.h"
#include "kernels/format.h"
#include "kernels/patterns.h"
#include "tests/kernels/test_util.h"

namespace bitgate::kernels {
namespace {

void ExpectSameBytes(const std::vector<float>& x, int64_t rows, int64_t cols, const std::string& what) {
  const auto bytes = *TensorBytes(Format::kQ8_0, rows, cols);
  std::vector<uint8_t> ref(static_cast<size_t>(bytes)), got(ref.size());
  ASSERT_TRUE(QuantizeWith(Isa::kScalar, Format::kQ8_0, x.data(), rows, cols, ref).ok());
  for (Isa isa : testing::SupportedSimdIsas()) {
    std::fill(got.begin(), got.end(), 0xAA);
    ASSERT_TRUE(QuantizeWith(isa, Format::kQ8_0, x.data(), rows, cols, got).ok());
    EXPECT_EQ(ref, got) << what << " " << IsaName(isa);
  }
}

TEST(Q8_0Quantize, HalfwayValuesRoundAwayFromZeroOnEveryPath) {
  // max |x| = 127 gives d = 1 and codes x itself: every .5 is a tie.
  std::vector<float> x(64);
  for (int i = 0; i < 64; ++i) x[i] = (i % 2 ? -1.0f : 1.0f) * (0.5f + static_cast<float>(i % 9));
  x[0] = 127.0f;
  x[33] = -127.0f;
  x[5] = 0.49999997f;   // just below a half: rounds to 0, not 1
  x[7] = -0.49999997f;
  ExpectSameBytes(x, 1, 64, "halfway");
  std::vector<uint8_t> q(static_cast<size_t>(*TensorBytes(Format::kQ8_0, 1, 64)));
  ASSERT_TRUE(QuantizeWith(Isa::kScalar, Format::kQ8_0, x.data(), 1, 64, q).ok());
  const auto* codes = reinterpret_cast<const int8_t*>(q.data() + 2);  // after the f16 scale
  EXPECT_EQ(codes[2], 3);    // 2.5 -> 3
  EXPECT_EQ(codes[1], -2);   // -1.5 -> -2
  EXPECT_EQ(codes[5], 0);
}

TEST(Q8_0Quantize, SimdEqualsScalarOnPatternsAndExtremes) {
  for (Pattern p : kAllPatterns) {
    auto x = MakePattern(p, 8 * 256, 17);
    ExpectSameBytes(x, 8, 256, PatternName(p));
  }
  std::vector<float> z(96, 0.0f);  // all-zero blocks: d = 0, codes 0
  z[40] = 1e-40f;                  // a subnormal block maximum: 1 / d overflows
  z[70] = 8.0e6f;                   // a large one (d near the f16 maximum)
  ExpectSameBytes(z, 1, 96, "zero, subnormal and huge blocks");
}

TEST(Q8_0Quantize, Avx512KernelRunsOnItsPath) {
  if (!IsaSupported(Isa::kAvx512)) GTEST_SKIP() << "no AVX-512 VNNI path on this CPU";
  EXPECT_EQ(ImplementedIsa(KernelOp::kQuantize, Format::kQ8_0, Isa::kAvx512), Isa::kAvx512);
}

}  // namespace
}  // namespace bitgate::kernels
