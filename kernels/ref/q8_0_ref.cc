// Q8_0 scalar reference (llama.cpp's block_q8_0 layout and rounding): used
// to store the output head at 8.5 bits per weight instead of 16.
#include <cmath>

#include "kernels/internal/fp16.h"
#include "kernels/internal/layouts.h"
#include "kernels/ref/ref_kernels.h"

namespace bitgate::kernels::internal {

void QuantizeQ8_0Ref(const float* src, int64_t rows, int64_t cols, float, uint8_t* dst) {
  auto* out = reinterpret_cast<BlockQ8_0*>(dst);
  const int64_t nb = rows * cols / 32;
  for (int64_t b = 0; b < nb; ++b) {
    const float* x = src + 32 * b;
    const float d = AbsMax(x, 32) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = FloatToHalfScalar(d);
    for (int j = 0; j < 32; ++j) {
      const float v = x[j] * id;
      out[b].qs[j] = static_cast<int8_t>(std::isfinite(v) ? std::roundf(v) : 0.0f);
    }
  }
}

void DequantizeQ8_0Ref(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  const auto* in = reinterpret_cast<const BlockQ8_0*>(src);
  const int64_t nb = rows * cols / 32;
  for (int64_t b = 0; b < nb; ++b) {
    const float d = HalfToFloatScalar(in[b].d);
    for (int j = 0; j < 32; ++j) dst[32 * b + j] = static_cast<float>(in[b].qs[j]) * d;
  }
}

// y = (sum_b d_b * sum_j w_j q_j) / s
void MatmulQ8_0Ref(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y, int64_t ldy,
                   int64_t r0, int64_t r1) {
  const int64_t nb = cols / 32;
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const int8_t* q = x.q(t);
    for (int64_t r = r0; r < r1; ++r) {
      const auto* blk = reinterpret_cast<const BlockQ8_0*>(w) + r * nb;
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        int32_t isum = 0;
        for (int j = 0; j < 32; ++j) isum += blk[b].qs[j] * q[32 * b + j];
        acc += HalfToFloatScalar(blk[b].d) * static_cast<float>(isum);
      }
      y[t * ldy + r] = acc / x.scale(t);
    }
  }
}

}  // namespace bitgate::kernels::internal
