// TQ2_0 scalar reference: the specification of the format's kernels,
// byte-identical to ggml's quantize_row_tq2_0_ref / dequantize_row_tq2_0.
#include <cmath>
#include <cstring>

#include "kernels/internal/fp16.h"
#include "kernels/internal/layouts.h"
#include "kernels/ref/ref_kernels.h"

namespace bitgate::kernels::internal {

void QuantizeTQ2_0Ref(const float* src, int64_t rows, int64_t cols, float /*scale*/,
                      uint8_t* dst) {
  auto* out = reinterpret_cast<BlockTQ2_0*>(dst);
  const int64_t nb = rows * cols / 256;
  for (int64_t b = 0; b < nb; ++b) {
    const float* x = src + b * 256;
    const float d = AbsMax(x, 256);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockTQ2_0& blk = out[b];
    blk.d = FloatToHalfScalar(d);
    for (int j = 0; j < 64; j += 32) {
      for (int m = 0; m < 32; ++m) {
        uint8_t q = 0;
        for (int l = 0; l < 4; ++l) {
          const float v = x[j * 4 + l * 32 + m] * id;
          // lroundf (half away from zero); |v| <= 1 here. A non-finite id
          // (absmax below ~3e-39) encodes zeros.
          const long code = std::isfinite(v) ? std::lroundf(v) + 1 : 1;
          q = static_cast<uint8_t>(q | ((code & 3) << (2 * l)));
        }
        blk.qs[j + m] = q;
      }
    }
  }
}

void DequantizeTQ2_0Ref(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  const auto* in = reinterpret_cast<const BlockTQ2_0*>(src);
  const int64_t nb = rows * cols / 256;
  for (int64_t b = 0; b < nb; ++b) {
    const float d = HalfToFloatScalar(in[b].d);
    float* y = dst + b * 256;
    for (int j = 0; j < 64; j += 32)
      for (int l = 0; l < 4; ++l)
        for (int m = 0; m < 32; ++m) {
          const int code = (in[b].qs[j + m] >> (2 * l)) & 3;
          y[j * 4 + l * 32 + m] = static_cast<float>(code - 1) * d;
        }
  }
}

// y = (sum_b d_b * (sum_e code_e q_e - bsum_b)) / s
void MatmulTQ2_0Ref(const uint8_t* w, int64_t /*rows*/, int64_t cols, const Activations& x,
                    float* y, int64_t ldy, int64_t r0, int64_t r1) {
  const int64_t nb = cols / 256;
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const int8_t* q = x.q(t);
    const int32_t* bsum = x.bsum256(t);
    for (int64_t r = r0; r < r1; ++r) {
      const auto* blk = reinterpret_cast<const BlockTQ2_0*>(w) + r * nb;
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        int32_t isum = 0;
        const int8_t* qb = q + b * 256;
        for (int j = 0; j < 64; j += 32)
          for (int l = 0; l < 4; ++l)
            for (int m = 0; m < 32; ++m)
              isum += ((blk[b].qs[j + m] >> (2 * l)) & 3) * qb[j * 4 + l * 32 + m];
        acc += HalfToFloatScalar(blk[b].d) * static_cast<float>(isum - bsum[b]);
      }
      y[t * ldy + r] = acc / x.scale(t);
    }
  }
}

}  // namespace bitgate::kernels::internal
