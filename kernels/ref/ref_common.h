// Internal: helpers shared by the scalar reference kernels.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace bitgate::kernels::internal {

// Sum of |x[0..32)| in the fixed tree order the SIMD paths use:
// s_i = |x_i| + |x_{i+16}|, then halve the width (16 -> 8 -> 4 -> 2 -> 1)
// adding lane i and lane i + width. Bit-identical across paths.
inline float AbsSumTree32(const float* x) {
  float s[16];
  for (int i = 0; i < 16; ++i) s[i] = std::fabs(x[i]) + std::fabs(x[i + 16]);
  for (int w = 8; w >= 1; w /= 2)
    for (int i = 0; i < w; ++i) s[i] += s[i + w];
  return s[0];
}

inline float AbsMax(const float* x, int64_t n) {
  float m = 0.0f;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

// Ternary code (0, 1, 2 for -1, 0, +1) of x * inv_scale, rounded half to
// even and clamped, as the BitNet absmean recipe (torch.round) does.
inline uint8_t TernaryCodeHalfEven(float x, float inv_scale) {
  const float r = std::nearbyint(x * inv_scale);
  return static_cast<uint8_t>(std::clamp(r, -1.0f, 1.0f) + 1.0f);
}

// The per-tensor scale of I2_S / TL1 / TL2 (see quant.h): the common
// magnitude when every nonzero |x| is equal, else the absmean recipe of the
// BitNet b1.58 converter (mean in double, then s = 1 / mean as float, and
// the stored scale is 1 / s, the magnitude its dequantized weights carry).
float TernaryTensorScale(const float* x, int64_t n);

}  // namespace bitgate::kernels::internal
