// Activation quantization (Activations::Quantize) on every SIMD path equals
// the scalar rule byte for byte: codes, scales and block sums, on random
// rows of odd lengths, rows with NaN and +-Inf, all-zero rows, values that
// round exactly at .5, and values far beyond the clamp.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/matmul.h"
#include "kernels/dispatch.h"
#include "kernels/patterns.h"
#include "kernels/quant.h"
#include "tests/kernels/test_util.h"

namespace bitgate::kernels {
namespace {

void ExpectSameActivations(const Activations& a, const Activations& b, const std::string& what) {
  ASSERT_EQ(a.tokens(), b.tokens());
  for (int64_t t = 0; t < a.tokens(); ++t) {
    EXPECT_EQ(0, std::memcmp(a.q(t), b.q(t), static_cast<size_t>(a.stride()))) << what << " token " << t;
    EXPECT_EQ(std::bit_cast<uint32_t>(a.scale(t)), std::bit_cast<uint32_t>(b.scale(t))) << what << " token " << t;
    EXPECT_EQ(a.row_sum(t), b.row_sum(t)) << what << " token " << t;
    for (int64_t i = 0; i < (a.k() + 31) / 32; ++i) EXPECT_EQ(a.bsum32(t)[i], b.bsum32(t)[i]) << what;
    for (int64_t i = 0; i < (a.k() + 255) / 256; ++i) EXPECT_EQ(a.bsum256(t)[i], b.bsum256(t)[i]) << what;
  }
}

void CheckAllPaths(const std::vector<float>& x, int64_t tokens, int64_t k, const std::string& what) {
  Activations ref;
  ref.Reset(tokens, k);
  ref.QuantizeRowsWith(Isa::kScalar, x.data(), k, 0, tokens);
  for (Isa isa : testing::SupportedSimdIsas()) {
    Activations got;
    got.Reset(tokens, k);
    // In two ranges, as threads do.
    got.QuantizeRowsWith(isa, x.data(), k, 0, tokens / 2);
    got.QuantizeRowsWith(isa, x.data(), k, tokens / 2, tokens);
    ExpectSameActivations(ref, got, what + " " + IsaName(isa));
  }
}

TEST(ActivationQuantize, SimdEqualsScalarOnRandomRowsOfEveryLength) {
  for (int64_t k : {1, 7, 15, 16, 17, 31, 33, 255, 256, 257, 2560, 6912 + 5}) {
    const int64_t tokens = 3;
    auto x = MakePattern(Pattern::kGaussian, tokens * k, static_cast<uint64_t>(k));
    CheckAllPaths(x, tokens, k, "gaussian k=" + std::to_string(k));
    auto o = MakePattern(Pattern::kOutliers, tokens * k, static_cast<uint64_t>(k) + 1);
    CheckAllPaths(o, tokens, k, "outlier k=" + std::to_string(k));
  }
}

TEST(ActivationQuantize, NonFiniteZeroAndHalfwayValues) {
  const int64_t k = 75;  // 4 full AVX2 steps of 16 and a tail
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> x(4 * k, 0.0f);  // row 0: all zero
  for (int64_t i = 0; i < k; ++i) {
    // row 1: absmax 127 exactly, so x * s hits .5 boundaries: round half to even
    x[k + i] = static_cast<float>(i % 2 == 0 ? 127 : -1) * (i < 64 ? 1.0f : 0.5f) + (i % 3 == 0 ? 0.5f : 0.0f);
    // row 2: NaN and +-Inf among finite values
    x[2 * k + i] = i % 5 == 0 ? nan : i % 7 == 0 ? inf : i % 11 == 0 ? -inf : static_cast<float>(i) - 40.0f;
    // row 3: nothing finite but NaN and +-Inf
    x[3 * k + i] = i % 2 ? nan : (i % 4 ? inf : -inf);
  }
  x[k] = 127.0f;
  CheckAllPaths(x, 4, k, "special values");
  Activations a;
  a.Quantize(x.data(), 4, k, k);
  EXPECT_EQ(a.q(0)[0], 0);
  EXPECT_EQ(a.q(2)[0], 0);      // NaN -> 0
  EXPECT_EQ(a.q(2)[7], 127);    // +Inf -> 127
  EXPECT_EQ(a.q(2)[11], -127);  // -Inf -> -127
  EXPECT_EQ(a.q(3)[1], 0);
  EXPECT_EQ(a.q(3)[2], 127);
}

// The SIMD kernels read activation rows in 64-byte pieces; rows that start
// off a cache line split three loads in four (docs/KERNELS.md). Every row of
// every buffer a kernel reads starts on a 64-byte boundary, for any k.
TEST(ActivationQuantize, RowsStartOnCacheLines) {
  auto aligned = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 64 == 0; };
  for (int64_t k : {1, 33, 2560, 6912 + 128}) {
    const int64_t tokens = 3;
    const std::vector<float> x = MakePattern(Pattern::kGaussian, tokens * k, 3);
    Activations a;
    a.Quantize(x.data(), tokens, k, k);
    a.Prepare(Format::kTQ2_0);
    a.Prepare(Format::kI2S);
    const bool tl = k % 256 == 0;  // a TL-legal width: the lookup tables too
    if (tl) {
      a.Prepare(Format::kTL1);
      a.Prepare(Format::kTL2);
      a.Prepare(Format::kTQ1_0);
    }
    for (int64_t t = 0; t < tokens; ++t) {
      EXPECT_TRUE(aligned(a.q(t))) << "k=" << k << " token " << t;
      EXPECT_TRUE(aligned(a.q_interleaved(t))) << "k=" << k << " token " << t;
      EXPECT_TRUE(aligned(a.q_i2s(t))) << "k=" << k << " token " << t;
      if (tl) {
        EXPECT_TRUE(aligned(a.lut(Format::kTL1, t)) && aligned(a.lut(Format::kTL2, t))) << "k=" << k;
        EXPECT_TRUE(aligned(a.q_tq1_quads(t))) << "k=" << k;  // the kernel's aligned 64-byte loads
      }
    }
  }
}

// Quantizing rows again (a decode loop that keeps one Activations) counts
// each row once; after Prepare it needs Reset, since the reordered copies
// and LUTs would describe the old values.
TEST(ActivationQuantize, QuantizingAgainCountsOnceAndNeedsResetAfterPrepare) {
  const int64_t k = 768;
  const std::vector<float> x = MakePattern(Pattern::kGaussian, k, 5);
  Activations once, twice;
  once.Quantize(x.data(), 1, k, k);
  twice.Reset(1, k);
  twice.QuantizeRows(x.data(), k, 0, 1);
  twice.QuantizeRows(x.data(), k, 0, 1);
  ExpectSameActivations(once, twice, "quantized twice");
  once.Prepare(Format::kTQ2_0);
  EXPECT_DEATH(once.QuantizeRows(x.data(), k, 0, 1), "Reset before quantizing again");
  once.Reset(1, k);
  once.QuantizeRows(x.data(), k, 0, 1);  // fine after Reset
  ExpectSameActivations(once, twice, "after Reset");
}

// Misuse that used to read or write out of bounds is a check failure:
// a TL LUT for a row that is not whole 16-column chunks, integer layouts
// from float activations (SetFloat), rows past kMaxCols.
TEST(ActivationQuantize, MisuseIsACheckFailureNotAnOverflow) {
  const std::vector<float> x = MakePattern(Pattern::kGaussian, 4 * 256, 6);
  Activations a;
  a.Quantize(x.data(), 1, 24, 24);
  EXPECT_DEATH(a.Prepare(Format::kTL1), "col_multiple");
  Activations f;
  f.Quantize(x.data(), 1, 256, 256);
  f.SetFloat(x.data(), 4, 256, 256);  // another shape: the int8 side is gone
  EXPECT_EQ(f.stride(), 0);
  EXPECT_DEATH(f.Prepare(Format::kTQ2_0), "stride_ > 0");
  // QuantizeRows after that shape change wrote the scales past an empty
  // vector (review finding).
  EXPECT_DEATH(f.QuantizeRows(x.data(), 256, 0, 4), "Reset before quantizing after SetFloat");
  Activations big;
  EXPECT_DEATH(big.Reset(1, kMaxCols + 1), "kMaxCols");
  EXPECT_DEATH(big.Reset(int64_t{1} << 60, 256), "tokens <= std::numeric_limits");
  EXPECT_DEATH(big.SetFloat(x.data(), 1, 256, 128), "ldx >= k");
  EXPECT_DEATH(big.SetFloat(x.data(), -1, 256, 256), "tokens >= 0");
}

// Reset forgets the float side too: a float matmul after quantizing a new
// input read the old floats (past their buffer for more tokens).
TEST(ActivationQuantize, ResetDropsTheFloatInput) {
  const std::vector<float> x = MakePattern(Pattern::kGaussian, 8 * 256, 7);
  const std::vector<float> w(256 * 16, 0.5f);
  std::vector<float> y(8 * 16);
  Activations a;
  a.SetFloat(x.data(), 1, 256, 256);
  EXPECT_EQ(a.float_stride(), 256);
  a.Quantize(x.data(), 8, 256, 256);
  EXPECT_EQ(a.float_stride(), 0);
  EXPECT_DEATH(Matmul(Format::kF32, w.data(), 16, 256, a, y.data(), 16, 0, 16), "float_stride");
}

// Matmul's row range, tile alignment and output stride are checked in
// release builds too (they were debug-only checks).
TEST(ActivationQuantize, MatmulRangesAreCheckedInRelease) {
  const std::vector<float> x = MakePattern(Pattern::kGaussian, 2 * 256, 8);
  std::vector<uint8_t> w(static_cast<size_t>(*TensorBytes(Format::kTQ2_0, 32, 256)));
  ASSERT_TRUE(Quantize(Format::kTQ2_0, MakePattern(Pattern::kGaussian, 32 * 256, 9).data(), 32, 256, w).ok());
  Activations a;
  a.Quantize(x.data(), 2, 256, 256);
  a.Prepare(Format::kTQ2_0);
  std::vector<float> y(2 * 64);
  EXPECT_DEATH(Matmul(Format::kTQ2_0, w.data(), 32, 256, a, y.data(), 32, 0, 64), "row_end <= rows");
  EXPECT_DEATH(Matmul(Format::kTQ2_0, w.data(), 32, 256, a, y.data(), 16, 0, 32), "ldy >= row_end");
  EXPECT_DEATH(Matmul(Format::kTQ2_0, w.data(), 32, 200, a, y.data(), 32, 0, 32), "x.k.. == cols");
  Matmul(Format::kTQ2_0, w.data(), 32, 256, a, y.data(), 32, 0, 32);  // the valid call
}

// A path this CPU lacks is an error from the Status-returning entry points
// (it would die on an illegal instruction).
TEST(ActivationQuantize, UnsupportedPathIsAnError) {
  Isa missing = Isa::kScalar;
  for (Isa isa : {Isa::kAvx512, Isa::kAvx2})
    if (!IsaSupported(isa)) missing = isa;
  if (missing == Isa::kScalar) GTEST_SKIP() << "this CPU has every path";
  std::vector<uint8_t> out(static_cast<size_t>(*TensorBytes(Format::kTQ2_0, 1, 256)));
  const std::vector<float> x(256, 1.0f);
  const Status s = QuantizeWith(missing, Format::kTQ2_0, x.data(), 1, 256, out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("path needs CPU features this machine lacks"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace bitgate::kernels
