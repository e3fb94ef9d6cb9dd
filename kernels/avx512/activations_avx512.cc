// AVX-512 activation quantization; the rules are those of
// avx2/activations_avx2.cc (bit-exact with the scalar reference). Tails use
// masked loads and stores instead of a scalar loop.
// GCC 12's avx512fintrin.h builds some intrinsics on _mm512_undefined_*()
// and then warns about its own uninitialized value (-Wuninitialized, an
// error under -Werror) once they are inlined into a loop like the masked
// tail below; the warning is about the header, not this file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include <cfloat>

#include "kernels/internal/activation_kernels.h"

namespace bitgate::kernels::internal {

float AbsMaxFiniteAvx512(const float* x, int64_t k) {
  const __m512 fmax = _mm512_set1_ps(FLT_MAX);
  __m512 m0 = _mm512_setzero_ps(), m1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= k; i += 32) {
    const __m512 a0 = _mm512_abs_ps(_mm512_loadu_ps(x + i));
    const __m512 a1 = _mm512_abs_ps(_mm512_loadu_ps(x + i + 16));
    // NaN and Inf compare false and are left out.
    m0 = _mm512_mask_max_ps(m0, _mm512_cmp_ps_mask(a0, fmax, _CMP_LE_OQ), m0, a0);
    m1 = _mm512_mask_max_ps(m1, _mm512_cmp_ps_mask(a1, fmax, _CMP_LE_OQ), m1, a1);
  }
  for (; i < k; i += 16) {
    const __mmask16 in = k - i >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (k - i)) - 1);
    const __m512 a = _mm512_abs_ps(_mm512_maskz_loadu_ps(in, x + i));
    m0 = _mm512_mask_max_ps(m0, _mm512_cmp_ps_mask(a, fmax, _CMP_LE_OQ), m0, a);
  }
  return _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
}

void QuantizeRowAvx512(const float* x, int64_t k, float s, int8_t* q) {
  const __m512 vs = _mm512_set1_ps(s), lo = _mm512_set1_ps(-127.0f), hi = _mm512_set1_ps(127.0f);
  for (int64_t i = 0; i < k; i += 16) {
    const __mmask16 in = k - i >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (k - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(in, x + i);
    // NaN -> 0, then clamp, then round half to even (MXCSR).
    __m512 y = _mm512_maskz_mul_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v, vs);
    y = _mm512_min_ps(_mm512_max_ps(y, lo), hi);
    _mm512_mask_cvtepi32_storeu_epi8(q + i, in, _mm512_cvtps_epi32(y));
  }
}

}  // namespace bitgate::kernels::internal
