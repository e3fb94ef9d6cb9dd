// TQ1_0 scalar reference, byte-identical to ggml's quantize_row_tq1_0_ref /
// dequantize_row_tq1_0.
#include <cmath>

#include "kernels/internal/fp16.h"
#include "kernels/internal/layouts.h"
#include "kernels/ref/ref_kernels.h"

namespace bitgate::kernels::internal {
namespace {

constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};

inline int TritCode(float v) { return std::isfinite(v) ? static_cast<int>(std::lroundf(v)) + 1 : 1; }

// ceil(v * 256 / 243): the byte whose top "digits" read back as v.
inline uint8_t PackBase3(int v) { return static_cast<uint8_t>((v * 256 + 242) / 243); }

inline int DecodeTrit(uint8_t byte, int n) {
  const uint8_t shifted = static_cast<uint8_t>(byte * kPow3[n]);  // wraps mod 256
  return (static_cast<uint16_t>(shifted) * 3) >> 8;
}

// Calls f(element, byte_index_in_block, trit_n) for the 256 elements in order
// of the dequantized output (see layouts.h).
template <typename F>
inline void ForEachTq1Element(F&& f) {
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 32; ++m) f(32 * n + m, m, n);
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 16; ++m) f(160 + 16 * n + m, 32 + m, n);
  for (int n = 0; n < 4; ++n)
    for (int j = 0; j < 4; ++j) f(240 + 4 * n + j, 48 + j, n);
}

}  // namespace

void QuantizeTQ1_0Ref(const float* src, int64_t rows, int64_t cols, float /*scale*/,
                      uint8_t* dst) {
  auto* out = reinterpret_cast<BlockTQ1_0*>(dst);
  const int64_t nb = rows * cols / 256;
  for (int64_t b = 0; b < nb; ++b) {
    const float* x = src + b * 256;
    const float d = AbsMax(x, 256);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockTQ1_0& blk = out[b];
    blk.d = FloatToHalfScalar(d);
    for (int m = 0; m < 32; ++m) {
      int v = 0;
      for (int n = 0; n < 5; ++n) v = v * 3 + TritCode(x[m + 32 * n] * id);
      blk.qs[m] = PackBase3(v);
    }
    for (int m = 0; m < 16; ++m) {
      int v = 0;
      for (int n = 0; n < 5; ++n) v = v * 3 + TritCode(x[160 + m + 16 * n] * id);
      blk.qs[32 + m] = PackBase3(v);
    }
    for (int j = 0; j < 4; ++j) {
      int v = 0;
      for (int n = 0; n < 4; ++n) v = v * 3 + TritCode(x[240 + j + 4 * n] * id);
      blk.qh[j] = PackBase3(v * 3);  // first trit to the most significant digit
    }
  }
}

void DequantizeTQ1_0Ref(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  const auto* in = reinterpret_cast<const BlockTQ1_0*>(src);
  const int64_t nb = rows * cols / 256;
  for (int64_t b = 0; b < nb; ++b) {
    const float d = HalfToFloatScalar(in[b].d);
    const auto* bytes = reinterpret_cast<const uint8_t*>(&in[b]);  // qs[48] then qh[4]
    float* y = dst + b * 256;
    ForEachTq1Element([&](int e, int byte, int n) {
      y[e] = static_cast<float>(DecodeTrit(bytes[byte], n) - 1) * d;
    });
  }
}

void MatmulTQ1_0Ref(const uint8_t* w, int64_t /*rows*/, int64_t cols, const Activations& x,
                    float* y, int64_t ldy, int64_t r0, int64_t r1) {
  const int64_t nb = cols / 256;
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const int8_t* q = x.q(t);
    const int32_t* bsum = x.bsum256(t);
    for (int64_t r = r0; r < r1; ++r) {
      const auto* blk = reinterpret_cast<const BlockTQ1_0*>(w) + r * nb;
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        int32_t isum = 0;
        const int8_t* qb = q + b * 256;
        const auto* bytes = reinterpret_cast<const uint8_t*>(&blk[b]);
        ForEachTq1Element([&](int e, int byte, int n) { isum += DecodeTrit(bytes[byte], n) * qb[e]; });
        acc += HalfToFloatScalar(blk[b].d) * static_cast<float>(isum - bsum[b]);
      }
      y[t * ldy + r] = acc / x.scale(t);
    }
  }
}

}  // namespace bitgate::kernels::internal
