// AVX-512 VNNI matmul of Q8_0 weights (the output head) with int8
// activations. vpdpbusd multiplies unsigned by signed bytes, so the signed
// weights go in as |w| and their signs move onto the activations
// (vpsignb). Activations never hold -128 (|q| <= 127 by construction of the
// absmax quantizer), so the sign flip cannot overflow; |w| = 128 from a
// weight of -128 is a valid unsigned byte.
#include <immintrin.h>

#include "kernels/avx512/avx512_kernels.h"
#include "kernels/internal/layouts.h"

namespace bitgate::kernels::internal {

void MatmulQ8_0Avx512(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y, int64_t ldy,
                      int64_t r0, int64_t r1) {
  const int64_t nb = cols / 32;
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const int8_t* q = x.q(t);
    for (int64_t r = r0; r < r1; ++r) {
      const auto* blk = reinterpret_cast<const BlockQ8_0*>(w) + r * nb;
      __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
      int64_t b = 0;
      for (; b + 2 <= nb; b += 2) {
        const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[b].qs));
        const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[b + 1].qs));
        const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32 * b));
        const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32 * b + 32));
        const __m256i s0 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(w0), _mm256_sign_epi8(a0, w0));
        const __m256i s1 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(w1), _mm256_sign_epi8(a1, w1));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s0), _mm256_set1_ps(_cvtsh_ss(blk[b].d)), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s1), _mm256_set1_ps(_cvtsh_ss(blk[b + 1].d)), acc1);
      }
      if (b < nb) {
        const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[b].qs));
        const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32 * b));
        const __m256i s0 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(w0), _mm256_sign_epi8(a0, w0));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s0), _mm256_set1_ps(_cvtsh_ss(blk[b].d)), acc0);
      }
      const __m256 acc = _mm256_add_ps(acc0, acc1);
      __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
      h = _mm_add_ps(h, _mm_movehl_ps(h, h));
      h = _mm_add_ss(h, _mm_movehdup_ps(h));
      y[t * ldy + r] = _mm_cvtss_f32(h) / x.scale(t);
    }
  }
}

}  // namespace bitgate::kernels::internal
