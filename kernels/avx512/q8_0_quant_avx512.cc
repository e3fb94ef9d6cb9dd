// AVX-512 Q8_0 quantization (the output head's repack at load), bytes
// identical to the scalar reference (llama.cpp's rounding):
//   d = max|x| / 127, id = 1 / d (0 when d is 0), q = roundf(x * id),
//   a non-finite x * id (d subnormal) -> 0; d stored as f16.
// roundf rounds halves away from zero, which no vector rounding mode does:
// t = trunc(v) and the exact remainder v - t give it (adding 0.5 first
// would round 0.49999997 up).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's own header (activations_avx512.cc)
#endif
#include <immintrin.h>

#include <cfloat>

#include "kernels/avx512/avx512_kernels.h"
#include "kernels/internal/fp16.h"
#include "kernels/internal/layouts.h"

namespace bitgate::kernels::internal {
namespace {

inline __m128i RoundAwayToInt8(__m512 v) {
  const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m512 frac = _mm512_abs_ps(_mm512_sub_ps(v, t));
  const __mmask16 up = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
  // +-1 with v's sign where the remainder reaches one half.
  const __m512 one = _mm512_or_ps(_mm512_set1_ps(1.0f), _mm512_and_ps(v, _mm512_set1_ps(-0.0f)));
  __m512 r = _mm512_mask_add_ps(t, up, t, one);
  // Non-finite products encode 0, as in the reference.
  r = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_abs_ps(v), _mm512_set1_ps(FLT_MAX), _CMP_LE_OQ), r);
  return _mm512_cvtsepi32_epi8(_mm512_cvttps_epi32(r));
}

}  // namespace

void QuantizeQ8_0Avx512(const float* src, int64_t rows, int64_t cols, float, uint8_t* dst) {
  auto* out = reinterpret_cast<BlockQ8_0*>(dst);
  const int64_t nb = rows * cols / 32;
  for (int64_t b = 0; b < nb; ++b) {
    const float* x = src + 32 * b;
    const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = FloatToHalfScalar(d);
    const __m512 vid = _mm512_set1_ps(id);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[b].qs), RoundAwayToInt8(_mm512_mul_ps(x0, vid)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[b].qs + 16), RoundAwayToInt8(_mm512_mul_ps(x1, vid)));
  }
}

}  // namespace bitgate::kernels::internal
