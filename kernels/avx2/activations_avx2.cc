// AVX2 activation quantization (Activations::Quantize), bit-exact with the
// scalar rule in matmul.cc: the largest finite |x|; codes
// clamp(round_half_even(x * s), -127, 127) with NaN -> 0. Clamping before
// rounding gives the same codes (anything beyond +-127 rounds to at least
// 127 in magnitude) and keeps +-Inf out of vcvtps2dq, whose overflow value
// would be INT_MIN.
#include <immintrin.h>

#include <cfloat>

#include "kernels/internal/activation_kernels.h"

namespace bitgate::kernels::internal {

float AbsMaxFiniteAvx2(const float* x, int64_t k) {
  const __m256 sign = _mm256_set1_ps(-0.0f), fmax = _mm256_set1_ps(FLT_MAX);
  __m256 m0 = _mm256_setzero_ps(), m1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const __m256 a0 = _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i));
    const __m256 a1 = _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i + 8));
    // NaN and Inf compare false: masked to 0, which never wins a max.
    m0 = _mm256_max_ps(m0, _mm256_and_ps(a0, _mm256_cmp_ps(a0, fmax, _CMP_LE_OQ)));
    m1 = _mm256_max_ps(m1, _mm256_and_ps(a1, _mm256_cmp_ps(a1, fmax, _CMP_LE_OQ)));
  }
  m0 = _mm256_max_ps(m0, m1);
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m0), _mm256_extractf128_ps(m0, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  h = _mm_max_ss(h, _mm_movehdup_ps(h));
  float m = _mm_cvtss_f32(h);
  for (; i < k; ++i) {
    const float a = x[i] < 0 ? -x[i] : x[i];
    if (a <= FLT_MAX && a > m) m = a;
  }
  return m;
}

void QuantizeRowAvx2(const float* x, int64_t k, float s, int8_t* q) {
  const __m256 vs = _mm256_set1_ps(s), lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f);
  int64_t i = 0;
  for (; i + 16 <= k; i += 16) {
    __m256i c[2];
    for (int h = 0; h < 2; ++h) {
      const __m256 v = _mm256_loadu_ps(x + i + 8 * h);
      __m256 y = _mm256_mul_ps(v, vs);
      y = _mm256_andnot_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q), y);  // NaN -> 0
      y = _mm256_min_ps(_mm256_max_ps(y, lo), hi);
      c[h] = _mm256_cvtps_epi32(y);  // MXCSR: round half to even
    }
    // 16 int32 -> 16 int8 (in range already): packs work per 128-bit lane.
    const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(c[0], c[1]), 0xd8);
    const __m128i b8 = _mm_packs_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), b8);
  }
  for (; i < k; ++i) q[i] = QuantizeActivationScalar(x[i], s);
}

}  // namespace bitgate::kernels::internal
