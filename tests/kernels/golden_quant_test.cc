// Byte compatibility with the reference engines: our quantizers must write
// exactly the bytes ggml (TQ1_0, TQ2_0) and bitnet.cpp (I2_S) wrote for the
// golden inputs in tests/data/golden/quant, and our dequantizers must decode
// those bytes to exactly the reference floats. Checked on every kernel path.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "kernels/dispatch.h"
#include "kernels/quant.h"
#include "test_util.h"

namespace bitgate::kernels {
namespace {

using testing::GoldenPath;
using testing::ReadF32;
using testing::ReadFileBytes;

std::vector<Isa> AllIsas() {
  std::vector<Isa> v = {Isa::kScalar};
  for (Isa i : testing::SupportedSimdIsas()) v.push_back(i);
  return v;
}

struct TqCase {
  Format format;
  const char* dir;
  const char* pattern;
};

class TqGoldenTest : public ::testing::TestWithParam<TqCase> {};

TEST_P(TqGoldenTest, QuantizeMatchesReferenceBytes) {
  const TqCase c = GetParam();
  const auto input = ReadF32(GoldenPath(std::string("quant/inputs/") + c.pattern + ".f32"));
  const auto expected = ReadFileBytes(GoldenPath(std::string("quant/") + c.dir + "/" + c.pattern + ".q.bin"));
  ASSERT_EQ(input.size(), 1024u);
  for (Isa isa : AllIsas()) {
    std::vector<uint8_t> out(expected.size());
    ASSERT_TRUE(QuantizeWith(isa, c.format, input.data(), 1, 1024, out).ok());
    EXPECT_EQ(out, expected) << FormatName(c.format) << " " << c.pattern << " on " << IsaName(isa);
  }
}

TEST_P(TqGoldenTest, DequantizeMatchesReferenceFloats) {
  const TqCase c = GetParam();
  const auto bytes = ReadFileBytes(GoldenPath(std::string("quant/") + c.dir + "/" + c.pattern + ".q.bin"));
  const auto expected = ReadF32(GoldenPath(std::string("quant/") + c.dir + "/" + c.pattern + ".deq.f32"));
  for (Isa isa : AllIsas()) {
    std::vector<float> out(1024);
    ASSERT_TRUE(DequantizeWith(isa, c.format, bytes, 1, 1024, out.data()).ok());
    EXPECT_EQ(0, std::memcmp(out.data(), expected.data(), 4096))
        << FormatName(c.format) << " " << c.pattern << " on " << IsaName(isa);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Golden, TqGoldenTest,
    ::testing::Values(TqCase{Format::kTQ2_0, "tq2_0", "gaussian"}, TqCase{Format::kTQ2_0, "tq2_0", "sine"},
                      TqCase{Format::kTQ2_0, "tq2_0", "sparse"}, TqCase{Format::kTQ2_0, "tq2_0", "ternary037"},
                      TqCase{Format::kTQ1_0, "tq1_0", "gaussian"}, TqCase{Format::kTQ1_0, "tq1_0", "sine"},
                      TqCase{Format::kTQ1_0, "tq1_0", "sparse"}, TqCase{Format::kTQ1_0, "tq1_0", "ternary037"}),
    [](const ::testing::TestParamInfo<TqCase>& p) { return std::string(p.param.dir) + "_" + p.param.pattern; });

// I2_S: the packed codes and the f32 scale (the first n/4 + 4 bytes) are
// specified; the 28 padding bytes after the scale are not (bitnet.cpp's C
// quantizer leaves them unwritten), and ours writes zeros there.
void ExpectI2SBytes(const std::vector<float>& input, const std::string& golden_bin) {
  const auto expected = ReadFileBytes(GoldenPath("quant/i2_s/" + golden_bin));
  ASSERT_EQ(expected.size(), 288u);
  for (Isa isa : AllIsas()) {
    std::vector<uint8_t> out(288, 0xAA);
    ASSERT_TRUE(QuantizeWith(isa, Format::kI2_S, input.data(), 4, 256, out).ok());
    EXPECT_EQ(0, std::memcmp(out.data(), expected.data(), 260)) << golden_bin << " on " << IsaName(isa);
    for (int i = 260; i < 288; ++i) EXPECT_EQ(out[i], 0) << "padding byte " << i;
  }
}

TEST(I2SGolden, AlreadyTernaryInputKeepsItsScale) {
  ExpectI2SBytes(ReadF32(GoldenPath("quant/i2_s/ternary037_4x256.input.f32")), "ternary037_4x256.i2s.bin");
}

TEST(I2SGolden, AbsmeanTernarizedInput) {
  ExpectI2SBytes(ReadF32(GoldenPath("quant/i2_s/random_4x256.absmean_ternarized.f32")),
                 "random_4x256.i2s.bin");
}

// Quantizing the raw float tensor applies the absmean recipe itself and must
// land on the converter's bytes too.
TEST(I2SGolden, RawInputAppliesTheAbsmeanRecipe) {
  ExpectI2SBytes(ReadF32(GoldenPath("quant/i2_s/random_4x256.input.f32")), "random_4x256.i2s.bin");
}

TEST(I2SGolden, DequantizeMatchesReference) {
  for (const char* name : {"ternary037_4x256", "random_4x256"}) {
    const auto bytes = ReadFileBytes(GoldenPath(std::string("quant/i2_s/") + name + ".i2s.bin"));
    const auto expected = ReadF32(GoldenPath(std::string("quant/i2_s/") + name + ".deq.f32"));
    for (Isa isa : AllIsas()) {
      std::vector<float> out(1024);
      ASSERT_TRUE(DequantizeWith(isa, Format::kI2_S, bytes, 4, 256, out.data()).ok());
      EXPECT_EQ(0, std::memcmp(out.data(), expected.data(), 4096)) << name << " on " << IsaName(isa);
    }
  }
}

}  // namespace
}  // namespace bitgate::kernels
