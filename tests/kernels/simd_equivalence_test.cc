// Every SIMD path against the scalar reference, on every path this machine
// has: quantize bytes and dequantize floats bit-exact; matmul integer sums
// bit-exact (checked with scales that make the float epilogue exact) and
// float outputs within a stated tolerance otherwise.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "kernels/dispatch.h"
#include "kernels/patterns.h"
#include "kernels/quant.h"
#include "test_util.h"

namespace bitgate::kernels {
namespace {

constexpr Format kFormats[] = {Format::kF32,   Format::kF16,   Format::kBF16, Format::kI2S, Format::kTQ1_0,
                               Format::kTQ2_0, Format::kI2_S, Format::kTL1,  Format::kTL2, Format::kQ8_0};

// Column counts per format: the smallest legal, odd multiples, tails.
std::vector<int64_t> ColsFor(Format f) {
  switch (Info(f).col_multiple) {
    case 1: return {1, 7, 33, 255, 1024, 2560};
    case 16: return {16, 48, 64, 80, 112, 2560, 6912};  // TL: all three TL2 tail cases (80: 32)
    case 32: return {32, 96, 224, 256, 288, 768, 2560};  // I2S: 768 = a pair of groups and one more
    case 128: return {128, 384, 2560};
    // TQ1_0 blocks 1, 2, 3, 4, 5, 7, 10: each tail (1-3 blocks) after 0 or
    // more whole quads, and rows of 4Q + 2 blocks paired with Q = 0 and 2
    default: return {256, 512, 768, 1024, 1280, 1792, 2560};
  }
}

std::vector<float> Weights(Format f, int64_t rows, int64_t cols, uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<float> w(static_cast<size_t>(rows * cols));
  for (auto& v : w) {
    const double u = rng.Uniform();
    v = Info(f).ternary ? static_cast<float>(u < 0.3 ? -1 : u < 0.7 ? 0 : 1) * 0.75f
                        : static_cast<float>(rng.Normal());
  }
  // A few extreme and all-zero stretches.
  if (cols >= 64) {
    for (int64_t k = 0; k < 32; ++k) w[static_cast<size_t>(k)] = 0.0f;  // all-zero block, row 0
    if (rows > 1) w[static_cast<size_t>(cols + 5)] = Info(f).ternary ? 0.75f : 3e4f;
  }
  return w;
}

std::vector<float> Inputs(int64_t tokens, int64_t cols, uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<float> x(static_cast<size_t>(tokens * cols));
  for (auto& v : x) v = static_cast<float>(rng.Normal());
  if (cols > 8) x[3] = 40.0f;  // an outlier sets the row's activation scale
  return x;
}

class SimdVsScalar : public ::testing::TestWithParam<Format> {};

TEST_P(SimdVsScalar, QuantizeBytesEqual) {
  const Format f = GetParam();
  for (int64_t cols : ColsFor(f)) {
    for (int64_t rows : {1, 3, 17}) {
      auto w = Weights(f, rows, cols, 7);
      if (!Info(f).ternary) {
        // exercise the general float path with non-ternary data too
      } else {
        auto g = MakePattern(Pattern::kGaussian, rows * cols, 3);
        for (size_t i = 0; i < g.size(); i += 3) w[i] = g[i];
      }
      const int64_t bytes = *TensorBytes(f, rows, cols);
      std::vector<uint8_t> ref(bytes), got(bytes);
      ASSERT_TRUE(QuantizeWith(Isa::kScalar, f, w.data(), rows, cols, ref).ok());
      for (Isa isa : testing::SupportedSimdIsas()) {
        ASSERT_TRUE(QuantizeWith(isa, f, w.data(), rows, cols, got).ok());
        EXPECT_EQ(ref, got) << FormatName(f) << " [" << rows << "x" << cols << "] " << IsaName(isa);
      }
    }
  }
}

TEST_P(SimdVsScalar, DequantizeFloatsEqual) {
  const Format f = GetParam();
  for (int64_t cols : ColsFor(f)) {
    for (int64_t rows : {5, 16 * 3 + 7}) {  // TL: one partial tile; three tiles and a partial one
      auto w = Weights(f, rows, cols, 11);
      const int64_t bytes = *TensorBytes(f, rows, cols);
      std::vector<uint8_t> packed(bytes);
      ASSERT_TRUE(QuantizeWith(Isa::kScalar, f, w.data(), rows, cols, packed).ok());
      std::vector<float> ref(rows * cols), got(rows * cols);
      ASSERT_TRUE(DequantizeWith(Isa::kScalar, f, packed, rows, cols, ref.data()).ok());
      for (Isa isa : testing::SupportedSimdIsas()) {
        ASSERT_TRUE(DequantizeWith(isa, f, packed, rows, cols, got.data()).ok());
        EXPECT_EQ(0, std::memcmp(ref.data(), got.data(), ref.size() * 4))
            << FormatName(f) << " [" << rows << "x" << cols << "] " << IsaName(isa);
      }
    }
  }
}

// Float outputs: both paths must be within 1e-5 of sum |w x| (plus 1e-6)
// of the exact product of the dequantized weights and activations.
TEST_P(SimdVsScalar, MatmulWithinTolerance) {
  const Format f = GetParam();
  for (int64_t cols : ColsFor(f)) {
    // 5, 9 and 19: full 4-token prefill tiles plus a remainder of 1-3.
    for (int64_t tokens : {1, 3, 5, 9, 19}) {
      const int64_t rows = Info(f).row_tile > 1 ? 37 : 19;
      auto w = Weights(f, rows, cols, 21);
      const int64_t bytes = *TensorBytes(f, rows, cols);
      std::vector<uint8_t> packed(bytes);
      ASSERT_TRUE(QuantizeWith(Isa::kScalar, f, w.data(), rows, cols, packed).ok());
      std::vector<float> wd(rows * cols);
      ASSERT_TRUE(DequantizeWith(Isa::kScalar, f, packed, rows, cols, wd.data()).ok());
      auto x = Inputs(tokens, cols, 5);
      Activations acts;
      if (Info(f).integer_activations) {
        acts.Quantize(x.data(), tokens, cols, cols);
      } else {
        acts.SetFloat(x.data(), tokens, cols, cols);
      }
      acts.Prepare(f);
      std::vector<float> ref(tokens * rows), got(tokens * rows);
      MatmulWith(Isa::kScalar, f, packed.data(), rows, cols, acts, ref.data(), rows, 0, rows);
      for (Isa isa : testing::SupportedSimdIsas()) {
        std::fill(got.begin(), got.end(), -1.0f);
        MatmulWith(isa, f, packed.data(), rows, cols, acts, got.data(), rows, 0, rows);
        for (int64_t t = 0; t < tokens; ++t)
          for (int64_t r = 0; r < rows; ++r) {
            double exact = 0, mag = 0;
            for (int64_t k = 0; k < cols; ++k) {
              const double xv = Info(f).integer_activations ? acts.q(t)[k] / static_cast<double>(acts.scale(t))
                                                            : x[t * cols + k];
              exact += wd[r * cols + k] * xv;
              mag += std::fabs(wd[r * cols + k] * xv);
            }
            const double tol = 1e-5 * mag + 1e-6;
            ASSERT_NEAR(ref[t * rows + r], exact, tol) << "scalar " << FormatName(f) << " cols " << cols;
            ASSERT_NEAR(got[t * rows + r], exact, tol)
                << FormatName(f) << " " << IsaName(isa) << " cols " << cols << " t " << t << " r " << r;
          }
      }
    }
  }
}

// Integer results bit-exact: weights of magnitude 1 (scale 1.0, exact in
// f16) and activations whose absmax is 127 (activation scale s = 1) make
// every float operation after the integer dot product exact.
TEST_P(SimdVsScalar, MatmulIntegerSumsBitExact) {
  const Format f = GetParam();
  if (!Info(f).integer_activations) GTEST_SKIP() << "float format";
  const bool q8 = f == Format::kQ8_0;  // int8 weights: absmax 127 per block makes d = 1
  for (int64_t cols : ColsFor(f)) {
   for (int64_t tokens : {1, 11}) {  // decode kernels; 4-token tiles and a remainder of 3
    const int64_t rows = 33;
    SplitMix64 rng(99);
    std::vector<float> w(rows * cols);
    for (auto& v : w) v = static_cast<float>(q8 ? static_cast<int>(rng.Next() % 255) - 127 : static_cast<int>(rng.Next() % 3) - 1);
    for (int64_t r = 0; r < rows; ++r) {
      if (q8) {
        for (int64_t b = 0; b < cols; b += 32) w[r * cols + b] = 127.0f;
      } else {
        w[r * cols] = 1.0f;  // no all-zero scale blocks
      }
    }
    std::vector<float> x(tokens * cols);
    for (auto& v : x) v = static_cast<float>(static_cast<int>(rng.Next() % 256) - 128);
    for (int64_t t = 0; t < tokens; ++t) x[t * cols] = 127.0f;  // absmax 127 -> s = 1
    for (auto& v : x) v = std::max(v, -127.0f);
    std::vector<uint8_t> packed(*TensorBytes(f, rows, cols));
    ASSERT_TRUE(QuantizeWith(Isa::kScalar, f, w.data(), rows, cols, packed).ok());
    Activations acts;
    acts.Quantize(x.data(), tokens, cols, cols);
    ASSERT_EQ(acts.scale(0), 1.0f);
    acts.Prepare(f);
    std::vector<float> ref(tokens * rows), got(tokens * rows);
    MatmulWith(Isa::kScalar, f, packed.data(), rows, cols, acts, ref.data(), rows, 0, rows);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t r = 0; r < rows; ++r) {
        double exact = 0;
        for (int64_t k = 0; k < cols; ++k) exact += w[r * cols + k] * x[t * cols + k];
        ASSERT_EQ(ref[t * rows + r], static_cast<float>(exact)) << FormatName(f) << " cols " << cols;
      }
    for (Isa isa : testing::SupportedSimdIsas()) {
      MatmulWith(isa, f, packed.data(), rows, cols, acts, got.data(), rows, 0, rows);
      EXPECT_EQ(ref, got) << FormatName(f) << " " << IsaName(isa) << " cols " << cols << " tokens " << tokens;
    }
   }
  }
}

// Row ranges (thread splits) compute exactly the rows asked for, bit for
// bit: a row's output must not depend on which rows share its pass, for
// one token (decode) and a batch (prefill); an odd split for untiled
// formats. Block scales that are not powers of two, activations that use
// the int8 range and long rows make the float sums round, so sums taken in
// another order would differ (with one scale for all blocks, or small
// activations, every partial sum is exact and any order agrees).
TEST_P(SimdVsScalar, RowRangesMatchWholeMatrix) {
  const Format f = GetParam();
  // 42 blocks of 256 (TQ1_0: 4Q + 2, the paired tails), long enough that
  // a lane's float sum rounds
  const int64_t cols = 42 * 256, rows = 64, tile = Info(f).row_tile;
  auto w = Weights(f, rows, cols, 3);
  SplitMix64 rng(17);
  for (int64_t b = 0; b < rows * cols; b += 32) {
    const auto m = static_cast<float>(std::exp(-5.0 + 7.0 * rng.Uniform()));  // e^-5 .. e^2
    for (int64_t k = b; k < b + 32 && k < rows * cols; ++k) w[static_cast<size_t>(k)] *= m;
  }
  std::vector<uint8_t> packed(*TensorBytes(f, rows, cols));
  ASSERT_TRUE(QuantizeWith(Isa::kScalar, f, w.data(), rows, cols, packed).ok());
  for (int64_t tokens : {1, 10}) {
    std::vector<float> x(static_cast<size_t>(tokens * cols));  // no outlier: int8 activations use their range
    for (auto& v : x) v = static_cast<float>(rng.Normal());
    Activations acts;
    if (Info(f).integer_activations) acts.Quantize(x.data(), tokens, cols, cols);
    else acts.SetFloat(x.data(), tokens, cols, cols);
    acts.Prepare(f);
    std::vector<Isa> isas = {Isa::kScalar};
    for (Isa i : testing::SupportedSimdIsas()) isas.push_back(i);  // every path, not only the best
    for (Isa isa : isas) {
      // Output rows ldy = rows + 3 apart, pre-filled: a range must write its
      // own rows only (a kernel that takes rows in pairs must not write, or
      // read, one past an odd range end), nothing in the padding.
      const int64_t ldy = rows + 3;
      constexpr float kUntouched = -7.0f;
      std::vector<float> whole(tokens * rows), parts(static_cast<size_t>(tokens * ldy), kUntouched);
      MatmulWith(isa, f, packed.data(), rows, cols, acts, whole.data(), rows, 0, rows);
      std::vector<std::pair<int64_t, int64_t>> ranges = {{0, 2 * tile}, {2 * tile, rows}};
      if (tile == 1) ranges = {{0, 5}, {5, rows - 1}, {rows - 1, rows}};  // odd starts, ends and lengths
      int64_t done = 0;
      for (const auto& [r0, r1] : ranges) {
        MatmulWith(isa, f, packed.data(), rows, cols, acts, parts.data(), ldy, r0, r1);
        done = r1;
        for (int64_t t = 0; t < tokens; ++t)
          for (int64_t r = done; r < ldy; ++r)
            ASSERT_EQ(parts[static_cast<size_t>(t * ldy + r)], kUntouched)
                << FormatName(f) << " " << IsaName(isa) << ": rows [" << r0 << ", " << r1 << ") wrote row " << r
                << " of token " << t;
      }
      for (int64_t t = 0; t < tokens; ++t)
        for (int64_t r = 0; r < rows; ++r)
          EXPECT_EQ(whole[static_cast<size_t>(t * rows + r)], parts[static_cast<size_t>(t * ldy + r)])
              << FormatName(f) << " " << IsaName(isa) << " tokens " << tokens << " row " << r;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllFormats, SimdVsScalar, ::testing::ValuesIn(kFormats),
                         [](const ::testing::TestParamInfo<Format>& p) { return std::string(FormatName(p.param)); });

}  // namespace
}  // namespace bitgate::kernels

namespace bitgate::kernels {
namespace {

// The fallback to a lower path must not hide a missing kernel: these
// implementations exist and run on their own path.
TEST(SimdCoverage, ClaimedKernelsRunOnTheirOwnPath) {
  struct Claim {
    KernelOp op;
    Format f;
    Isa isa;
  };
  const Claim claims[] = {
      {KernelOp::kGemv, Format::kTQ2_0, Isa::kAvx512}, {KernelOp::kGemv, Format::kTQ2_0, Isa::kAvx2},
      {KernelOp::kGemv, Format::kI2_S, Isa::kAvx2},    {KernelOp::kGemv, Format::kI2_S, Isa::kAvx512},
      {KernelOp::kGemv, Format::kI2S, Isa::kAvx512},   {KernelOp::kGemv, Format::kI2S, Isa::kAvx2},
      {KernelOp::kGemv, Format::kF16, Isa::kAvx2},
      {KernelOp::kGemv, Format::kF32, Isa::kAvx512},   {KernelOp::kGemv, Format::kF32, Isa::kAvx2},
      {KernelOp::kGemv, Format::kBF16, Isa::kAvx512}, {KernelOp::kGemv, Format::kQ8_0, Isa::kAvx512},
      {KernelOp::kGemv, Format::kQ8_0, Isa::kAvx2}, {KernelOp::kGemv, Format::kTQ1_0, Isa::kAvx512},
      {KernelOp::kGemv, Format::kTQ1_0, Isa::kAvx2},   {KernelOp::kGemv, Format::kBF16, Isa::kAvx2},
      {KernelOp::kDequantize, Format::kTQ1_0, Isa::kAvx2}, {KernelOp::kDequantize, Format::kF16, Isa::kAvx2},
      {KernelOp::kDequantize, Format::kBF16, Isa::kAvx2},
      {KernelOp::kDequantize, Format::kTL1, Isa::kAvx2}, {KernelOp::kDequantize, Format::kTL2, Isa::kAvx2},
      {KernelOp::kQuantize, Format::kTQ2_0, Isa::kAvx512}, {KernelOp::kQuantize, Format::kI2S, Isa::kAvx512},
      {KernelOp::kQuantize, Format::kTQ1_0, Isa::kAvx512},
      {KernelOp::kDequantize, Format::kTQ2_0, Isa::kAvx512}, {KernelOp::kDequantize, Format::kI2_S, Isa::kAvx512},
      {KernelOp::kDequantize, Format::kI2S, Isa::kAvx512},
  };
  for (const Claim& c : claims) {
    EXPECT_EQ(ImplementedIsa(c.op, c.f, c.isa), c.isa) << FormatName(c.f) << " " << IsaName(c.isa);
  }
}

}  // namespace
}  // namespace bitgate::kernels
