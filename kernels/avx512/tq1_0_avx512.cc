// AVX-512 VNNI matmul of TQ1_0 (llama.cpp's base-3 format, 5 trits a byte).
//
// Trit n of a byte b is ((uint8_t)(b * 3^n) * 3) >> 8. Multiplying by 3
// modulo 256 is two byte additions, and ((c * 3) >> 8) for a byte c is
// (c >= 86) + (c >= 171), two saturating subtractions clamped to 1. Each
// trit plane is a run of consecutive elements (layouts.h), so activations
// are read in natural order:
//   qs[0..31]  planes 0,1 | 2,3 in 512-bit halves, plane 4 in 256 bits
//   qs[32..47] five 128-bit planes, elements 160 + 16n
//   qh[0..3]   four 4-byte planes packed into one 128-bit vector
#include <immintrin.h>

#include <cstring>

#include "kernels/avx512/avx512_kernels.h"
#include "kernels/internal/layouts.h"

namespace bitgate::kernels::internal {
namespace {

inline __m512i Mul3(__m512i v) { return _mm512_add_epi8(v, _mm512_add_epi8(v, v)); }
inline __m256i Mul3(__m256i v) { return _mm256_add_epi8(v, _mm256_add_epi8(v, v)); }
inline __m128i Mul3(__m128i v) { return _mm_add_epi8(v, _mm_add_epi8(v, v)); }

inline __m512i Trits(__m512i b) {
  const __m512i one = _mm512_set1_epi8(1);
  return _mm512_add_epi8(_mm512_min_epu8(_mm512_subs_epu8(b, _mm512_set1_epi8(85)), one),
                         _mm512_min_epu8(_mm512_subs_epu8(b, _mm512_set1_epi8(static_cast<char>(170))), one));
}
inline __m256i Trits(__m256i b) {
  const __m256i one = _mm256_set1_epi8(1);
  return _mm256_add_epi8(_mm256_min_epu8(_mm256_subs_epu8(b, _mm256_set1_epi8(85)), one),
                         _mm256_min_epu8(_mm256_subs_epu8(b, _mm256_set1_epi8(static_cast<char>(170))), one));
}
inline __m128i Trits(__m128i b) {
  const __m128i one = _mm_set1_epi8(1);
  return _mm_add_epi8(_mm_min_epu8(_mm_subs_epu8(b, _mm_set1_epi8(85)), one),
                      _mm_min_epu8(_mm_subs_epu8(b, _mm_set1_epi8(static_cast<char>(170))), one));
}

// sum(code * q) - bsum over one block, as 16 int32 lanes.
inline __m512i BlockDot(const BlockTQ1_0& blk, const int8_t* a, int32_t bsum) {
  const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs));
  __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(q0), Mul3(q0), 1);
  __m512i s = _mm512_zextsi128_si512(_mm_cvtsi32_si128(-bsum));
  s = _mm512_dpbusd_epi32(s, Trits(v), _mm512_loadu_si512(a));  // planes 0, 1
  v = Mul3(Mul3(v));
  s = _mm512_dpbusd_epi32(s, Trits(v), _mm512_loadu_si512(a + 64));  // planes 2, 3
  v = Mul3(Mul3(v));
  __m256i s256 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), Trits(_mm512_castsi512_si256(v)),
                                     _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 128)));
  __m128i q1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.qs + 32));
  __m128i s128 = _mm_setzero_si128();
  for (int n = 0; n < 5; ++n) {
    s128 = _mm_dpbusd_epi32(s128, Trits(q1), _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 160 + 16 * n)));
    q1 = Mul3(q1);
  }
  uint32_t qh;
  std::memcpy(&qh, blk.qh, 4);
  const __m128i h0 = _mm_cvtsi32_si128(static_cast<int>(qh));
  const __m128i h1 = Mul3(h0), h2 = Mul3(h1), h3 = Mul3(h2);
  const __m128i h = _mm_unpacklo_epi64(_mm_unpacklo_epi32(h0, h1), _mm_unpacklo_epi32(h2, h3));
  s128 = _mm_dpbusd_epi32(s128, Trits(h), _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 240)));
  s256 = _mm256_add_epi32(s256, _mm256_zextsi128_si256(s128));
  return _mm512_add_epi32(s, _mm512_zextsi256_si512(s256));
}

}  // namespace

void MatmulTQ1_0Avx512(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y,
                       int64_t ldy, int64_t r0, int64_t r1) {
  const int64_t nb = cols / 256;
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const int8_t* q = x.q(t);
    const int32_t* bsum = x.bsum256(t);
    for (int64_t r = r0; r < r1; ++r) {
      const auto* blk = reinterpret_cast<const BlockTQ1_0*>(w) + r * nb;
      __m512 acc = _mm512_setzero_ps();
      for (int64_t b = 0; b < nb; ++b) {
        const __m512i s = BlockDot(blk[b], q + 256 * b, bsum[b]);
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(_cvtsh_ss(blk[b].d)), acc);
      }
      y[t * ldy + r] = _mm512_reduce_add_ps(acc) / x.scale(t);
    }
  }
}

}  // namespace bitgate::kernels::internal
