// Our scalar f16 conversions against the CPU's F16C instructions, exhaustively
// for half -> float and on a dense sweep of floats for float -> half.
#include <gtest/gtest.h>
#include <immintrin.h>

#include <bit>
#include <cmath>

#include "kernels/cpu.h"
#include "kernels/quant.h"

namespace bitgate::kernels {
namespace {

__attribute__((target("f16c"))) float HwHalfToFloat(uint16_t h) { return _cvtsh_ss(h); }
// (the vector form: clang's _cvtss_sh macro is a compound literal, which
// -Wpedantic rejects in C++)
__attribute__((target("f16c"))) uint16_t HwFloatToHalf(float f) {
  return static_cast<uint16_t>(_mm_cvtsi128_si32(_mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT)) & 0xFFFF);
}

TEST(Fp16, HalfToFloatMatchesF16cForAllHalves) {
  if (!GetCpuFeatures().f16c) GTEST_SKIP() << "no F16C";
  for (uint32_t h = 0; h < 65536; ++h) {
    const float a = HalfToFloat(static_cast<uint16_t>(h));
    const float b = HwHalfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(b)) {
      ASSERT_TRUE(std::isnan(a)) << h;
    } else {
      ASSERT_EQ(std::bit_cast<uint32_t>(a), std::bit_cast<uint32_t>(b)) << h;
    }
  }
}

TEST(Fp16, FloatToHalfMatchesF16cOnASweep) {
  if (!GetCpuFeatures().f16c) GTEST_SKIP() << "no F16C";
  // every 97th float bit pattern (covers subnormals, ties, overflow)
  for (uint64_t u = 0; u <= 0xffffffffull; u += 97) {
    const float f = std::bit_cast<float>(static_cast<uint32_t>(u));
    const uint16_t a = FloatToHalf(f), b = HwFloatToHalf(f);
    if (std::isnan(f)) {
      ASSERT_EQ(a & 0x7c00, 0x7c00);
      ASSERT_NE(a & 0x3ff, 0);
    } else {
      ASSERT_EQ(a, b) << std::hex << u;
    }
  }
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(FloatToBf16(1.0f), 0x3f80);
  EXPECT_EQ(Bf16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(FloatToBf16(std::bit_cast<float>(0x3f808000u)), 0x3f80);  // tie -> even
  EXPECT_EQ(FloatToBf16(std::bit_cast<float>(0x3f818000u)), 0x3f82);  // tie -> even
  EXPECT_EQ(FloatToBf16(std::bit_cast<float>(0x3f808001u)), 0x3f81);
  EXPECT_TRUE(std::isnan(Bf16ToFloat(FloatToBf16(NAN))));
}

}  // namespace
}  // namespace bitgate::kernels
