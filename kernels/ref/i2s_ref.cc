// I2S (ours) scalar reference: 32-element blocks with an f16 scale each,
// absmean recipe per block, exact for already-ternary blocks (layouts.h).
#include <cmath>
#include <cstring>

#include "kernels/internal/fp16.h"
#include "kernels/internal/layouts.h"
#include "kernels/ref/ref_kernels.h"

namespace bitgate::kernels::internal {

// The f16 scale of one 32-element block: 0 for an all-zero block, the common
// magnitude when every nonzero |x| is equal (exact ternary input), else the
// block's mean |x| (tree-summed, AbsSumTree32).
uint16_t I2SBlockScale(const float* x) {
  const float amax = AbsMax(x, kI2SBlock);
  if (amax == 0.0f) return 0;
  bool ternary = true;
  for (int i = 0; i < kI2SBlock; ++i) {
    const float a = std::fabs(x[i]);
    ternary = ternary && (a == 0.0f || a == amax);
  }
  return FloatToHalfScalar(ternary ? amax : AbsSumTree32(x) * (1.0f / 32.0f));
}

void QuantizeI2SRef(const float* src, int64_t rows, int64_t cols, float /*scale*/,
                    uint8_t* dst) {
  const int64_t row_bytes = cols / 4 + cols / 16;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = src + r * cols;
    uint8_t* codes = dst + r * row_bytes;
    uint8_t* scales = codes + cols / 4;
    std::memset(codes, 0, static_cast<size_t>(cols / 4));
    for (int64_t b = 0; b < cols / kI2SBlock; ++b) {
      const uint16_t d16 = I2SBlockScale(x + b * kI2SBlock);
      StoreU16(scales + 2 * b, d16);
      const float d = HalfToFloatScalar(d16);
      const float inv = d != 0.0f ? 1.0f / d : 0.0f;
      for (int64_t j = b * kI2SBlock; j < (b + 1) * kI2SBlock; ++j) {
        const int64_t group = j / kI2SGroup;
        const int64_t g = std::min<int64_t>(kI2SGroup, cols - group * kI2SGroup);
        int64_t byte;
        int shift;
        I2SCodePosition(j % kI2SGroup, g, &byte, &shift);
        codes[group * 64 + byte] |= static_cast<uint8_t>(TernaryCodeHalfEven(x[j], inv) << shift);
      }
    }
  }
}

float I2SRowOutput(float full_groups, const uint8_t* row, int64_t cols, const Activations& x, int64_t t) {
  const int64_t full = cols / kI2SGroup * kI2SGroup, g = cols - full;
  const uint8_t* codes = row + full / 4;
  const uint8_t* scales = row + cols / 4 + full / 16;
  const int8_t* q = x.q(t) + full;
  const int32_t* bsum = x.bsum32(t) + full / 32;
  float acc = full_groups;
  for (int64_t b = 0; b < g / kI2SBlock; ++b) {
    int32_t isum = 0;
    for (int64_t e = b * kI2SBlock; e < (b + 1) * kI2SBlock; ++e) {
      int64_t byte;
      int shift;
      I2SCodePosition(e, g, &byte, &shift);
      isum += ((codes[byte] >> shift) & 3) * q[e];
    }
    acc += HalfToFloatScalar(LoadU16(scales + 2 * b)) * static_cast<float>(isum - bsum[b]);
  }
  return acc / x.scale(t);
}

namespace {
inline int I2SCode(const uint8_t* codes, int64_t cols, int64_t j) {
  const int64_t group = j / kI2SGroup;
  const int64_t g = std::min<int64_t>(kI2SGroup, cols - group * kI2SGroup);
  int64_t byte;
  int shift;
  I2SCodePosition(j % kI2SGroup, g, &byte, &shift);
  return (codes[group * 64 + byte] >> shift) & 3;
}
}  // namespace

void DequantizeI2SRef(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  const int64_t row_bytes = cols / 4 + cols / 16;
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* codes = src + r * row_bytes;
    const uint8_t* scales = codes + cols / 4;
    for (int64_t j = 0; j < cols; ++j) {
      const float d = HalfToFloatScalar(LoadU16(scales + 2 * (j / kI2SBlock)));
      dst[r * cols + j] = static_cast<float>(I2SCode(codes, cols, j) - 1) * d;
    }
  }
}

void MatmulI2SRef(const uint8_t* w, int64_t /*rows*/, int64_t cols, const Activations& x,
                  float* y, int64_t ldy, int64_t r0, int64_t r1) {
  const int64_t row_bytes = cols / 4 + cols / 16;
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const int8_t* q = x.q(t);
    const int32_t* bsum = x.bsum32(t);
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* codes = w + r * row_bytes;
      const uint8_t* scales = codes + cols / 4;
      float acc = 0.0f;
      for (int64_t b = 0; b < cols / kI2SBlock; ++b) {
        int32_t isum = 0;
        for (int64_t j = b * kI2SBlock; j < (b + 1) * kI2SBlock; ++j)
          isum += I2SCode(codes, cols, j) * q[j];
        acc += HalfToFloatScalar(LoadU16(scales + 2 * b)) * static_cast<float>(isum - bsum[b]);
      }
      y[t * ldy + r] = acc / x.scale(t);
    }
  }
}

}  // namespace bitgate::kernels::internal
