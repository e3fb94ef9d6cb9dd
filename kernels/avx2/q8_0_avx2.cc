// AVX2 matmul of Q8_0 weights with int8 activations: |w| x sign(q, w)
// through vpmaddubsw (pairs sum to at most 2 * 128 * 127 = 32512, no
// saturation), widened by vpmaddwd. See the AVX-512 twin for the sign trick.
#include <immintrin.h>

#include "kernels/avx2/avx2_kernels.h"
#include "kernels/internal/layouts.h"

namespace bitgate::kernels::internal {

void MatmulQ8_0Avx2(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y, int64_t ldy,
                    int64_t r0, int64_t r1) {
  const int64_t nb = cols / 32;
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const int8_t* q = x.q(t);
    for (int64_t r = r0; r < r1; ++r) {
      const auto* blk = reinterpret_cast<const BlockQ8_0*>(w) + r * nb;
      __m256 acc = _mm256_setzero_ps();
      for (int64_t b = 0; b < nb; ++b) {
        const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[b].qs));
        const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32 * b));
        const __m256i p = _mm256_maddubs_epi16(_mm256_abs_epi8(wv), _mm256_sign_epi8(av, wv));
        const __m256i s = _mm256_madd_epi16(p, ones);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(_cvtsh_ss(blk[b].d)), acc);
      }
      __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
      h = _mm_add_ps(h, _mm_movehl_ps(h, h));
      h = _mm_add_ss(h, _mm_movehdup_ps(h));
      y[t * ldy + r] = _mm_cvtss_f32(h) / x.scale(t);
    }
  }
}

}  // namespace bitgate::kernels::internal
