// The format registry, checked shape arithmetic and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <algorithm>
#include <string>
#include <vector>

#include "kernels/base/checked_math.h"
#include "kernels/dispatch.h"
#include "kernels/matmul.h"
#include "kernels/quant.h"
#include "test_util.h"

namespace bitgate::kernels {
namespace {

bool Contains(const Status& s, const std::string& needle) {
  return s.message().find(needle) != std::string::npos;
}

TEST(FormatRegistry, NamesAndGgmlIdsRoundTrip) {
  for (int i = 0; i < kFormatCount; ++i) {
    const auto f = static_cast<Format>(i);
    EXPECT_EQ(Info(f).format, f);
    EXPECT_EQ(FormatFromName(Info(f).name), f);
    EXPECT_EQ(FormatFromGgmlType(Info(f).ggml_type), f);
  }
  EXPECT_EQ(FormatFromGgmlType(35), Format::kTQ2_0);
  EXPECT_EQ(FormatFromGgmlType(34), Format::kTQ1_0);
  EXPECT_EQ(FormatFromGgmlType(36), Format::kI2_S);
  EXPECT_FALSE(FormatFromGgmlType(38).has_value());  // the fork's TL1 is not our TL1
  EXPECT_FALSE(FormatFromName("q4_0").has_value());
}

TEST(FormatRegistry, TensorBytesOfKnownShapes) {
  EXPECT_EQ(*TensorBytes(Format::kTQ2_0, 2560, 2560), 2560 * 10 * 66);
  EXPECT_EQ(*TensorBytes(Format::kTQ1_0, 1, 1024), 216);
  EXPECT_EQ(*TensorBytes(Format::kI2_S, 4, 256), 288);
  EXPECT_EQ(*TensorBytes(Format::kI2S, 3, 64), 3 * 20);
  EXPECT_EQ(*TensorBytes(Format::kF16, 3, 5), 30);
  EXPECT_EQ(*TensorBytes(Format::kTL1, 17, 32), 32 * 8 + 32);  // rows padded to 32
  // TL2: 2560 = 2544 triple columns (106 chunks of 5 bytes per row) + 16 TL1 columns
  EXPECT_EQ(*TensorBytes(Format::kTL2, 16, 2560), 16 * (106 * 5 + 4) + 32);
}

TEST(FormatRegistry, OverflowingShapesAreErrors) {
  const int64_t big = std::numeric_limits<int64_t>::max() / 2;
  auto r = TensorBytes(Format::kF32, big, 4);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "overflow")) << r.status().message();
  r = TensorBytes(Format::kTQ2_0, int64_t{1} << 50, kMaxCols);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "overflow")) << r.status().message();
  // rows longer than the kernels' int32 sums allow
  EXPECT_TRUE(TensorBytes(Format::kTQ2_0, 1, kMaxCols).ok());
  r = TensorBytes(Format::kTQ2_0, 1, kMaxCols + 256);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "exceeds the kernels' limit of 4194304")) << r.status().message();
  EXPECT_FALSE(TensorBytes(Format::kF32, 1, int64_t{1} << 30).ok());
  // element count fits but the byte size does not
  r = TensorBytes(Format::kF32, int64_t{1} << 31, int64_t{1} << 31);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(CheckedProduct({int64_t{1} << 32, int64_t{1} << 32}).ok());
  EXPECT_EQ(*CheckedProduct({2560, 128256}), 2560 * 128256);
}

TEST(FormatRegistry, MisalignedEmptyAndNegativeShapes) {
  auto r = TensorBytes(Format::kTQ2_0, 4, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "not a multiple of 256")) << r.status().message();
  EXPECT_FALSE(TensorBytes(Format::kI2_S, 1, 64).ok());
  EXPECT_FALSE(TensorBytes(Format::kTL1, 16, 8).ok());
  EXPECT_TRUE(Contains(TensorBytes(Format::kF32, 0, 4).status(), "empty tensor"));
  EXPECT_TRUE(Contains(TensorBytes(Format::kF32, -1, 4).status(), "negative"));
}

TEST(QuantizeBadInput, NaNIsAnErrorNamingTheElement) {
  std::vector<float> x(512, 0.5f);
  x[300] = NAN;
  std::vector<uint8_t> out(*TensorBytes(Format::kTQ2_0, 2, 256));
  const Status s = Quantize(Format::kTQ2_0, x.data(), 2, 256, out);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s, "element 300 (row 1, col 44) is NaN")) << s.message();
  std::vector<uint8_t> f16(1024);
  EXPECT_FALSE(Quantize(Format::kF16, x.data(), 2, 256, f16).ok());
}

TEST(QuantizeBadInput, InfinityIsAnErrorForTernaryFormatsOnly) {
  std::vector<float> x(256, 0.5f);
  x[7] = -INFINITY;
  for (Format f : {Format::kTQ2_0, Format::kTQ1_0, Format::kI2S, Format::kI2_S, Format::kTL1, Format::kTL2}) {
    const int64_t rows = Info(f).row_tile > 1 ? 1 : 1;
    std::vector<uint8_t> out(*TensorBytes(f, rows, 256));
    const Status s = Quantize(f, x.data(), rows, 256, out);
    EXPECT_FALSE(s.ok()) << FormatName(f);
    EXPECT_TRUE(Contains(s, "infinite")) << s.message();
  }
  std::vector<uint8_t> f16(512);
  ASSERT_TRUE(Quantize(Format::kF16, x.data(), 1, 256, f16).ok());  // F16 stores -Inf
  std::vector<float> back(256);
  ASSERT_TRUE(Dequantize(Format::kF16, f16, 1, 256, back.data()).ok());
  EXPECT_EQ(back[7], -INFINITY);
}

TEST(QuantizeBadInput, ValuesBeyondHalfRangeAreErrorsForHalfScaledFormats) {
  std::vector<float> x(256, 0.5f);
  x[9] = 1e6f;
  std::vector<uint8_t> out(*TensorBytes(Format::kTQ2_0, 1, 256));
  const Status s = Quantize(Format::kTQ2_0, x.data(), 1, 256, out);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s, "range of the format's f16 scale")) << s.message();
  std::vector<uint8_t> i2(*TensorBytes(Format::kI2_S, 1, 256));
  EXPECT_TRUE(Quantize(Format::kI2_S, x.data(), 1, 256, i2).ok());  // f32 tensor scale
}

TEST(QuantizeBadInput, WrongBufferSizesAreErrors) {
  std::vector<float> x(256, 1.0f);
  std::vector<uint8_t> small(65);
  const Status s = Quantize(Format::kTQ2_0, x.data(), 1, 256, small);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s, "needs 66 bytes")) << s.message();
  std::vector<float> y(256);
  EXPECT_FALSE(Dequantize(Format::kTQ2_0, small, 1, 256, y.data()).ok());
}

TEST(QuantizeEdgeCases, AllZeroAndTinyBlocksDecodeToZero) {
  for (Format f : {Format::kTQ2_0, Format::kTQ1_0, Format::kI2S, Format::kI2_S, Format::kTL1, Format::kTL2}) {
    std::vector<float> x(256, 0.0f);
    x[5] = 1e-40f;  // subnormal: no finite inverse scale in f16
    std::vector<uint8_t> out(*TensorBytes(f, 1, 256));
    ASSERT_TRUE(Quantize(f, x.data(), 1, 256, out).ok()) << FormatName(f);
    std::vector<float> back(256, 1.0f);
    ASSERT_TRUE(Dequantize(f, out, 1, 256, back.data()).ok());
    for (int i = 0; i < 256; ++i) ASSERT_TRUE(std::isfinite(back[i])) << FormatName(f) << " " << i;
    for (int i = 0; i < 256; ++i) ASSERT_LE(std::fabs(back[i]), 1e-30f) << FormatName(f) << " " << i;
  }
}

TEST(ActivationQuantization, NonFiniteInputsAreDefined) {
  // A poisoned model can feed NaN or Inf activations: they quantize to 0
  // and +-127, the scale comes from the finite values, and -128 never occurs.
  const float x[] = {NAN, INFINITY, -INFINITY, 2.0f, -4.0f, 1.0f, -1000.0f * 0.0f, 0.5f};
  Activations a;
  a.Quantize(x, 1, 8, 8);
  EXPECT_FLOAT_EQ(a.scale(0), 127.0f / 4.0f);
  const int8_t want[] = {0, 127, -127, 64, -127, 32, 0, 16};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(a.q(0)[i], want[i]) << i;
}

TEST(QuantizeEdgeCases, ExactTernaryInputRoundTripsExactly) {
  for (Format f : {Format::kI2S, Format::kI2_S, Format::kTL1, Format::kTL2, Format::kTQ2_0, Format::kTQ1_0}) {
    std::vector<float> x(2 * 768);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i * 7 % 3) - 1) * 0.25f;
    std::vector<uint8_t> out(*TensorBytes(f, 2, 768));
    ASSERT_TRUE(Quantize(f, x.data(), 2, 768, out).ok());
    std::vector<float> back(x.size());
    ASSERT_TRUE(Dequantize(f, out, 2, 768, back.data()).ok());
    EXPECT_EQ(x, back) << FormatName(f);
  }
}

// The I2S byte layout as docs/FORMATS.md states it, on every path: in a
// group of g elements, element e = 32k + 16h + 4j + p sits in byte
// h * g/8 + 4k + j at shift 2p. A single +1 among zeros makes its own block
// exactly ternary (scale 1, code 2) and leaves every other code 1 (0x55).
TEST(I2SLayout, EveryElementSitsWhereTheDocsSay) {
  const int64_t cols = 256 + 64;  // a full group and a partial one of 64
  std::vector<Isa> isas = {Isa::kScalar};
  for (Isa i : testing::SupportedSimdIsas()) isas.push_back(i);
  for (int64_t e : {0, 1, 3, 4, 15, 16, 17, 31, 32, 77, 130, 201, 255, 256, 259, 272, 288, 303, 319}) {
    std::vector<float> x(cols, 0.0f);
    x[e] = 1.0f;
    const int64_t g0 = e / 256 * 256, g = std::min<int64_t>(256, cols - g0), el = e - g0;
    const int64_t byte = g0 / 4 + el / 16 % 2 * (g / 8) + el / 32 * 4 + el % 16 / 4;
    const int shift = static_cast<int>(2 * (el % 4));
    for (Isa isa : isas) {
      std::vector<uint8_t> out(static_cast<size_t>(*TensorBytes(Format::kI2S, 1, cols)));
      ASSERT_TRUE(QuantizeWith(isa, Format::kI2S, x.data(), 1, cols, out).ok());
      for (int64_t b = 0; b < cols / 4; ++b) {
        const int expect = b == byte ? 0x55 + (1 << shift) : 0x55;
        ASSERT_EQ(out[b], expect) << "element " << e << ", byte " << b << " on " << IsaName(isa);
      }
    }
  }
}

}  // namespace
}  // namespace bitgate::kernels
