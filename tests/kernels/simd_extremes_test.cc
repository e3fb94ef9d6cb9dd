// SIMD kernels at the edges of their integer ranges, against the scalar
// reference, bit-exact. simd_equivalence_test covers random data; this file
// drives what the newer kernels' tricks depend on:
//   - the AVX2 I2S kernel sums 4 vpmaddubsw of codes x 4 in int16: all +1
//     weights against all -127 activations reach its bound 4*2*8*127;
//   - the AVX2 I2_S decode keeps its int16 sums over 512 weights: the
//     same inputs take the x4 planes to 4*2*2*8*127 = 16256, and code 3
//     (ArbitraryCodesMatmul: rows of 0xFF bytes) to 4*2*2*12*127 = 24384;
//   - TQ1_0 kernels decode trits arithmetically from the stored bytes, so
//     every byte value 0..255 must decode as the reference does, including
//     the 13 values the quantizer never writes (a GGUF file may hold them);
//   - all-zero blocks (I2S scale 0), constant weights, constant activations.
#include <gtest/gtest.h>

#include <cmath>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/dispatch.h"
#include "kernels/matmul.h"
#include "kernels/patterns.h"
#include "kernels/quant.h"
#include "test_util.h"

namespace bitgate::kernels {
namespace {

// Token t of 4: all +1, all -1, alternating, random; each row's absmax is 1
// (or 127 with an outlier for the random one) so q reaches +-127.
std::vector<float> EdgeInputs(int64_t tokens, int64_t cols, uint64_t seed) {
  std::vector<float> x(static_cast<size_t>(tokens * cols));
  SplitMix64 rng(seed);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t k = 0; k < cols; ++k) {
      float& v = x[static_cast<size_t>(t * cols + k)];
      switch (t % 4) {
        case 0: v = 1.0f; break;
        case 1: v = -1.0f; break;
        case 2: v = k % 2 ? 1.0f : -1.0f; break;
        default: v = k == 0 ? 127.0f : static_cast<float>(static_cast<int>(rng.Next() % 255) - 127); break;
      }
    }
  return x;
}

void ExpectSimdEqualsScalar(Format f, const std::vector<uint8_t>& packed, int64_t rows, int64_t cols,
                            const Activations& acts, const std::string& what) {
  const int64_t tokens = acts.tokens();
  std::vector<float> ref(static_cast<size_t>(tokens * rows)), got(ref.size());
  MatmulWith(Isa::kScalar, f, packed.data(), rows, cols, acts, ref.data(), rows, 0, rows);
  for (Isa isa : testing::SupportedSimdIsas()) {
    std::fill(got.begin(), got.end(), -7.0f);
    MatmulWith(isa, f, packed.data(), rows, cols, acts, got.data(), rows, 0, rows);
    for (size_t i = 0; i < ref.size(); ++i) {
      ASSERT_EQ(ref[i], got[i]) << what << " " << FormatName(f) << " " << IsaName(isa) << " cols " << cols
                                << " t " << i / static_cast<size_t>(rows) << " r " << i % static_cast<size_t>(rows);
    }
  }
}

// Matmul of `packed` against EdgeInputs(4, cols, seed): each token in
// `alone` by itself (the one-token decode kernels), then all four (the
// prefill tiles).
void ExpectSimdEqualsScalarOnEdgeTokens(Format f, const std::vector<uint8_t>& packed, int64_t rows, int64_t cols,
                                        uint64_t seed, std::initializer_list<int64_t> alone, const std::string& what) {
  const auto x = EdgeInputs(4, cols, seed);
  for (int64_t t : alone) {
    Activations one;
    one.Quantize(x.data() + t * cols, 1, cols, cols);
    one.Prepare(f);
    ExpectSimdEqualsScalar(f, packed, rows, cols, one, what + ", token " + std::to_string(t) + " alone");
  }
  Activations all;
  all.Quantize(x.data(), 4, cols, cols);
  all.Prepare(f);
  ExpectSimdEqualsScalar(f, packed, rows, cols, all, what + ", four tokens");
}

class SimdExtremes : public ::testing::TestWithParam<Format> {};

// Constant ternary weights (all -1, all 0, all +1, and rows mixing them)
// against constant +-1 activations: every product at its bound.
TEST_P(SimdExtremes, ConstantWeightsAndActivations) {
  const Format f = GetParam();
  const int64_t step = std::max<int64_t>(Info(f).col_multiple, 256);
  for (int64_t cols : {step, 6912 / step * step, 6912 / step * step + Info(f).col_multiple}) {
    if (!ValidateShape(f, 32, cols).ok()) continue;
    const int64_t rows = 32, tokens = 4;
    std::vector<float> w(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < cols; ++k) {
        const int kind = static_cast<int>(r % 4);  // -1, 0, +1, blocks of 32 alternating
        float v = kind == 0 ? -1.0f : kind == 1 ? 0.0f : kind == 2 ? 1.0f : ((k / 32) % 3 == 0 ? 0.0f : 1.0f);
        w[static_cast<size_t>(r * cols + k)] = v;
      }
    std::vector<uint8_t> packed(static_cast<size_t>(*TensorBytes(f, rows, cols)));
    ASSERT_TRUE(QuantizeWith(Isa::kScalar, f, w.data(), rows, cols, packed).ok());
    const auto x = EdgeInputs(tokens, cols, 3);
    Activations acts;
    acts.Quantize(x.data(), tokens, cols, cols);
    ASSERT_EQ(acts.q(0)[0], 127);
    ASSERT_EQ(acts.q(1)[0], -127);
    acts.Prepare(f);
    ExpectSimdEqualsScalar(f, packed, rows, cols, acts, "constant");
    Activations one;  // the one-token (decode) kernels
    one.Quantize(x.data(), 1, cols, cols);
    one.Prepare(f);
    ExpectSimdEqualsScalar(f, packed, rows, cols, one, "constant, one token");
    // closed form: row 2 (all +1, scale 1) against all +1 / all -1 tokens
    std::vector<float> y(static_cast<size_t>(tokens * rows));
    for (Isa isa : testing::SupportedSimdIsas()) {
      MatmulWith(isa, f, packed.data(), rows, cols, acts, y.data(), rows, 0, rows);
      EXPECT_EQ(y[2], static_cast<float>(127 * cols) / acts.scale(0)) << FormatName(f) << " " << IsaName(isa);
      EXPECT_EQ(y[rows + 2], static_cast<float>(-127 * cols) / acts.scale(1)) << FormatName(f) << " " << IsaName(isa);
      EXPECT_EQ(y[1], 0.0f) << FormatName(f) << " " << IsaName(isa);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ternary, SimdExtremes,
                         ::testing::Values(Format::kI2S, Format::kTQ1_0, Format::kTQ2_0, Format::kI2_S,
                                           Format::kTL1, Format::kTL2),
                         [](const ::testing::TestParamInfo<Format>& p) { return std::string(FormatName(p.param)); });

// The 2-bit formats' matmul on arbitrary bytes: code 3, which no quantizer
// writes but a GGUF file may hold, enters the products as 3 (the
// reference's rule). Rows of random bytes and rows of all 0xFF (code 3
// everywhere: the largest sums the int16 paths meet), against tokens of
// all +127, all -127 and random values, one token (decode) and four. The
// scales are powers of two, so every float step is exact and the SIMD
// lane order cannot differ from the scalar sum: any difference is an
// integer one.
TEST(SimdExtremes2Bit, ArbitraryCodesMatmul) {
  for (Format f : {Format::kI2S, Format::kTQ2_0, Format::kI2_S}) {
    const int64_t col_tail = f == Format::kI2S ? 96 : f == Format::kI2_S ? 128 : 0;
    for (int64_t cols : {int64_t{2560}, 6912 + col_tail}) {
      const int64_t rows = 6;
      std::vector<uint8_t> packed(static_cast<size_t>(*TensorBytes(f, rows, cols)));
      SplitMix64 rng(31);
      for (auto& b : packed) b = static_cast<uint8_t>(rng.Next() >> 24);
      // rows 1 and 4 all 0xFF; finite scales wherever the format keeps them
      if (f == Format::kTQ2_0) {
        const int64_t nb = cols / 256;
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t b = 0; b < nb; ++b) {
            uint8_t* blk = packed.data() + (r * nb + b) * 66;
            if (r % 3 == 1) std::memset(blk, 0xFF, 64);
            const uint16_t d = b % 2 ? 0x3800 : 0xc000;  // 0.5, -2
            std::memcpy(blk + 64, &d, 2);
          }
      } else if (f == Format::kI2S) {
        const int64_t row_bytes = cols / 4 + cols / 16;
        for (int64_t r = 0; r < rows; ++r) {
          uint8_t* row = packed.data() + r * row_bytes;
          if (r % 3 == 1) std::memset(row, 0xFF, static_cast<size_t>(cols / 4));
          for (int64_t b = 0; b < cols / 32; ++b) {
            const uint16_t d = b % 2 ? 0x3800 : 0x3c00;  // 0.5, 1
            std::memcpy(row + cols / 4 + 2 * b, &d, 2);
          }
        }
      } else {
        for (int64_t r = 0; r < rows; ++r)
          if (r % 3 == 1) std::memset(packed.data() + r * cols / 4, 0xFF, static_cast<size_t>(cols / 4));
        const float scale = 0.75f;
        std::memcpy(packed.data() + rows * cols / 4, &scale, 4);
      }
      ExpectSimdEqualsScalarOnEdgeTokens(f, packed, rows, cols, 17, {0, 1, 2, 3}, "code 3");
    }
  }
}

// I2_S with the largest finite tensor scale (a file may hold it) against a
// token whose activation scale is below 1: every path computes the
// reference's sum / scale x wscale, so a row whose sum is 0 gives 0 (the
// AVX-512 decode had folded wscale / scale into Inf, and 0 x Inf = NaN) and
// the others overflow alike.
TEST(SimdExtremes2Bit, I2_SExtremeTensorScale) {
  const int64_t rows = 4, cols = 2560;
  std::vector<uint8_t> packed(static_cast<size_t>(*TensorBytes(Format::kI2_S, rows, cols)));
  SplitMix64 rng(5);
  for (auto& b : packed) b = static_cast<uint8_t>(rng.Next() >> 24);
  std::memset(packed.data(), 0x55, static_cast<size_t>(cols / 4));  // row 0: every code 1 (weight 0)
  const float wscale = std::numeric_limits<float>::max();
  std::memcpy(packed.data() + rows * cols / 4, &wscale, 4);
  std::vector<float> x(static_cast<size_t>(cols));
  for (int64_t k = 0; k < cols; ++k) x[static_cast<size_t>(k)] = static_cast<float>(static_cast<int>(rng.Next() % 2001) - 1000);
  Activations one;
  one.Quantize(x.data(), 1, cols, cols);
  one.Prepare(Format::kI2_S);
  ASSERT_LT(one.scale(0), 1.0f);
  std::vector<float> ref(static_cast<size_t>(rows));
  MatmulWith(Isa::kScalar, Format::kI2_S, packed.data(), rows, cols, one, ref.data(), rows, 0, rows);
  ASSERT_EQ(ref[0], 0.0f);
  ExpectSimdEqualsScalar(Format::kI2_S, packed, rows, cols, one, "tensor scale FLT_MAX");
}

// TL1 / TL2 matmul on arbitrary bytes: index nibbles past the largest a
// quantizer writes (TL1 9..15, TL2 14..15) are zero weights on every path,
// as in Dequantize, so a damaged file gives the same result everywhere.
TEST(SimdExtremesTl, ArbitraryIndicesMatmul) {
  for (Format f : {Format::kTL1, Format::kTL2}) {
    for (int64_t cols : {int64_t{48}, int64_t{96 + 16 * 5}, int64_t{2560}}) {
      const int64_t rows = 16 * 3 + 5;
      std::vector<uint8_t> packed(static_cast<size_t>(*TensorBytes(f, rows, cols)));
      SplitMix64 rng(static_cast<uint64_t>(cols) * 11 + 1);
      for (size_t i = 0; i + 32 < packed.size(); ++i) packed[i] = static_cast<uint8_t>(rng.Next() >> 24);
      for (size_t i = 0; i < std::min<size_t>(64, packed.size() - 32); ++i) packed[i] = 0xFF;  // all 15s
      const float scale = 0.5f;
      std::memcpy(packed.data() + packed.size() - 32, &scale, 4);
      ExpectSimdEqualsScalarOnEdgeTokens(f, packed, rows, cols, 19, {3}, "indices");
    }
  }
}

// TQ1_0 blocks of arbitrary bytes (scale 1.0): every byte value in every
// position of qs and qh, against activations whose scale is exactly 1; rows
// of 2, 3, 7 and 10 blocks (the decode's 128/256-bit tails, whole quads and
// paired tails).
TEST(SimdExtremesTq1, EveryByteValueDecodesAsTheReference) {
  const Format f = Format::kTQ1_0;
 for (int64_t cols : {512, 768, 1792, 2560}) {
  const int64_t rows = 256, nb = cols / 256, block = 54;
  std::vector<uint8_t> packed(static_cast<size_t>(*TensorBytes(f, rows, cols)));
  ASSERT_EQ(static_cast<int64_t>(packed.size()), rows * nb * block);
  SplitMix64 rng(5);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t b = 0; b < nb; ++b) {
      uint8_t* p = packed.data() + (r * nb + b) * block;
      for (int i = 0; i < 52; ++i) {
        // row r puts byte value r in position (b * 52 + i) % 52 == r % 52,
        // random bytes elsewhere: every value reaches every position.
        p[i] = i == r % 52 ? static_cast<uint8_t>(r) : static_cast<uint8_t>(rng.Next());
      }
      p[52] = 0x00;  // f16 1.0
      p[53] = 0x3c;
    }
  const auto x = EdgeInputs(4, cols, 9);
  Activations acts;
  acts.Quantize(x.data() + 3 * cols, 1, cols, cols);  // the random token: scale 1
  ASSERT_EQ(acts.scale(0), 1.0f);
  acts.Prepare(f);
  ExpectSimdEqualsScalar(f, packed, rows, cols, acts, "bytes");
  Activations all;
  all.Quantize(x.data(), 4, cols, cols);
  all.Prepare(f);
  ExpectSimdEqualsScalar(f, packed, rows, cols, all, "bytes, edge tokens");
 }
}

// Dequantized floats, bit-exact: TQ1_0 blocks and TL1 / TL2 tiles of
// arbitrary bytes (positive, negative and zero scales), and every F16 / BF16 bit pattern (NaN payloads
// and signaling NaNs included: vcvtph2ps would quiet them).
TEST(SimdExtremesDequantize, ArbitraryBytesAndEveryHalf) {
  auto expect_same = [](Format f, const std::vector<uint8_t>& packed, int64_t rows, int64_t cols) {
    std::vector<float> ref(static_cast<size_t>(rows * cols)), got(ref.size());
    ASSERT_TRUE(DequantizeWith(Isa::kScalar, f, packed, rows, cols, ref.data()).ok());
    for (Isa isa : testing::SupportedSimdIsas()) {
      std::fill(got.begin(), got.end(), -7.0f);
      ASSERT_TRUE(DequantizeWith(isa, f, packed, rows, cols, got.data()).ok());
      for (size_t i = 0; i < ref.size(); ++i) {
        uint32_t a, b;
        std::memcpy(&a, &ref[i], 4);
        std::memcpy(&b, &got[i], 4);
        ASSERT_EQ(a, b) << FormatName(f) << " " << IsaName(isa) << " element " << i;
      }
    }
  };
  {
    const int64_t rows = 3, cols = 256 * 86;  // 258 blocks: each byte value in each position
    std::vector<uint8_t> packed(static_cast<size_t>(*TensorBytes(Format::kTQ1_0, rows, cols)));
    SplitMix64 rng(11);
    for (size_t b = 0; b < packed.size() / 54; ++b) {
      uint8_t* p = packed.data() + 54 * b;
      for (int i = 0; i < 52; ++i) p[i] = static_cast<uint8_t>(b + 7 * i + (rng.Next() & 1));
      const uint16_t d = b % 3 == 0 ? 0x3c00 : b % 3 == 1 ? 0xb555 : 0x0000;  // 1, -0.333, 0
      std::memcpy(p + 52, &d, 2);
    }
    expect_same(Format::kTQ1_0, packed, rows, cols);
  }
  // The 2-bit formats' arbitrary bytes: code 3, which no quantizer writes
  // but a file may hold, decodes as +2 d like the reference; I2S with a
  // partial final group (2560 + 96 columns).
  for (Format f : {Format::kI2S, Format::kTQ2_0, Format::kI2_S}) {
    const int64_t rows = 3, cols = f == Format::kI2S ? 2560 + 96 : 2560;
    std::vector<uint8_t> packed(static_cast<size_t>(*TensorBytes(f, rows, cols)));
    SplitMix64 rng(23);
    for (auto& b : packed) b = static_cast<uint8_t>(rng.Next() >> 24);
    if (f == Format::kTQ2_0) {  // f16 block scales: finite ones
      for (size_t b = 0; b < packed.size() / 66; ++b) {
        const uint16_t d = b % 2 ? 0x3555 : 0xbc00;  // 0.333, -1
        std::memcpy(packed.data() + 66 * b + 64, &d, 2);
      }
    } else if (f == Format::kI2S) {
      const int64_t row_bytes = cols / 4 + cols / 16;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t b = 0; b < cols / 32; ++b) {
          const uint16_t d = b % 2 ? 0x2e66 : 0x3c00;  // 0.1, 1
          std::memcpy(packed.data() + r * row_bytes + cols / 4 + 2 * b, &d, 2);
        }
    } else {
      const float scale = 0.75f;
      std::memcpy(packed.data() + rows * cols / 4, &scale, 4);
    }
    expect_same(f, packed, rows, cols);
  }
  // TL1 / TL2 tiles of arbitrary bytes (index nibbles 9..15 and 14..15 too,
  // any sign bits), padding rows included, all three TL2 tail widths; the
  // tensor scale positive, negative (signed zeros) and zero.
  for (Format f : {Format::kTL1, Format::kTL2}) {
    for (int64_t cols : {16, 32, 48, 80, 96 + 16 * 5}) {
      for (float scale : {0.75f, -1.5f, 0.0f}) {
        const int64_t rows = 16 * 5 + 3;
        std::vector<uint8_t> packed(static_cast<size_t>(*TensorBytes(f, rows, cols)));
        SplitMix64 rng(static_cast<uint64_t>(cols) * 7 + 3);
        for (size_t i = 0; i + 32 < packed.size(); ++i) packed[i] = static_cast<uint8_t>(rng.Next() >> 24);
        std::memcpy(packed.data() + packed.size() - 32, &scale, 4);
        expect_same(f, packed, rows, cols);
      }
    }
  }
  for (Format f : {Format::kF16, Format::kBF16}) {
    const int64_t rows = 1, cols = 65536 + 5;  // every pattern, then a tail
    std::vector<uint8_t> packed(static_cast<size_t>(2 * cols));
    for (int64_t i = 0; i < cols; ++i) {
      const auto h = static_cast<uint16_t>(i);
      std::memcpy(packed.data() + 2 * i, &h, 2);
    }
    expect_same(f, packed, rows, cols);
  }
}

// Quantized bytes of the f16-block ternary formats on edge blocks: all
// zeros, a subnormal absmax (no finite inverse: the reference encodes 0),
// values at exactly +-d/2 (lroundf rounds away from zero) and just inside,
// +-d, negative zeros, and a random block.
TEST(SimdExtremesQuantize, TernaryEdgeBlocksEncodeAsTheReference) {
  constexpr int64_t kBlocks = 6;
  std::vector<float> x(static_cast<size_t>(256 * kBlocks), 0.0f);
  SplitMix64 rng(5);
  for (int i = 0; i < 256; ++i) {
    const float d = 3.0f;
    const float vals[] = {d, -d, d / 2, -d / 2, std::nextafter(d / 2, 0.0f), -std::nextafter(d / 2, 0.0f), -0.0f, 0.0f};
    x[256 * 1 + i] = i % 2 ? 1e-40f : -1e-40f;  // subnormal absmax
    x[256 * 2 + i] = vals[i % 8];
    x[256 * 3 + i] = vals[(i * 5 + 3) % 8] * (i % 3 == 0 ? 1.0f : -1.0f);
    x[256 * 4 + i] = static_cast<float>(rng.Normal());
    x[256 * 5 + i] = i == 77 ? -65504.0f : static_cast<float>(rng.Normal()) * 8000.0f;
  }
  for (Format f : {Format::kTQ1_0, Format::kTQ2_0}) {
    const int64_t bytes = *TensorBytes(f, 1, 256 * kBlocks);
    std::vector<uint8_t> ref(static_cast<size_t>(bytes)), got(ref.size());
    ASSERT_TRUE(QuantizeWith(Isa::kScalar, f, x.data(), 1, 256 * kBlocks, ref).ok());
    for (Isa isa : testing::SupportedSimdIsas()) {
      ASSERT_TRUE(QuantizeWith(isa, f, x.data(), 1, 256 * kBlocks, got).ok());
      EXPECT_EQ(ref, got) << FormatName(f) << " " << IsaName(isa);
    }
  }
}

}  // namespace
}  // namespace bitgate::kernels
