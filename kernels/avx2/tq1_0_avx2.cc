// AVX2 matmul of TQ1_0 (llama.cpp's base-3 format, 5 trits a byte).
//
// Trit n of a byte b is t = (c * 3) >> 8 with c = (uint8_t)(b * 3^n), i.e.
// t = [c >= 86] + [c >= 171]. Without VNNI the products go through
// vpmaddubsw, whose unsigned operand must stay small, so the trits are
// extracted: the bytes are kept offset by 128 (c ^ 0x80; multiplying by an
// odd constant keeps the offset, (c + 128) * k = c k + 128 mod 256), so two
// signed compares give [c < 86] and [c < 171] as -1/0 and
//   u = 2 - t = -([c < 86] + [c < 171])  in {0, 1, 2},
//   sum((t - 1) q) = bsum - sum(u q).
// vpmaddubsw pairs are at most 2 * 2 * 127, eight vectors sum to < 4096 in
// int16, and one vpmaddwd widens per block. Source vectors and the
// activations they meet: see the AVX-512 twin (avx512/tq1_0_avx512.cc).
#include <immintrin.h>

#include <cstring>

#include "kernels/avx2/avx2_kernels.h"
#include "kernels/internal/layouts.h"

namespace bitgate::kernels::internal {
namespace {

inline __m256i Mul3(__m256i v) { return _mm256_add_epi8(v, _mm256_add_epi8(v, v)); }
// x 9 = x + 8x; the 16-bit shift's spill into the next byte is masked off.
inline __m256i Mul9(__m256i v) {
  return _mm256_add_epi8(v, _mm256_and_si256(_mm256_slli_epi16(v, 3), _mm256_set1_epi8(static_cast<char>(0xF8))));
}

// qh bytes (offset by 128) x (1, 3, 9, 27) in 4-byte groups: 16-bit
// multiplies, low bytes from one, high bytes from the other (low bytes
// masked off first, so no carry reaches them).
inline __m128i QhVector(const BlockTQ1_0& blk, __m128i offset) {
  uint32_t qh;
  std::memcpy(&qh, blk.qh, 4);
  const __m128i h = _mm_xor_si128(_mm_set1_epi32(static_cast<int>(qh)), offset);
  const __m128i k = _mm_setr_epi16(1, 1, 3, 3, 9, 9, 27, 27);
  const __m128i hi_mask = _mm_set1_epi16(static_cast<short>(0xFF00));
  const __m128i even = _mm_andnot_si128(hi_mask, _mm_mullo_epi16(h, k));
  const __m128i odd = _mm_mullo_epi16(_mm_and_si128(h, hi_mask), k);
  return _mm_or_si128(even, odd);
}

}  // namespace

void MatmulTQ1_0Avx2(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y,
                     int64_t ldy, int64_t r0, int64_t r1) {
  const int64_t nb = cols / 256;
  const __m256i offset = _mm256_set1_epi8(static_cast<char>(0x80)), ones = _mm256_set1_epi16(1);
  // c < 86 <=> (c ^ 0x80) < -42 as int8; c < 171 <=> < 43. The empty asm
  // keeps the compiler from rewriting each compare as min + cmpeq.
  __m256i lt86 = _mm256_set1_epi8(-42), lt171 = _mm256_set1_epi8(43);
  __asm__("" : "+x"(lt86), "+x"(lt171));
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const int8_t* q = x.q(t);
    const int32_t* bsum = x.bsum256(t);
    for (int64_t r = r0; r < r1; ++r) {
      const auto* blk = reinterpret_cast<const BlockTQ1_0*>(w) + r * nb;
      __m256 acc = _mm256_setzero_ps();
      for (int64_t b = 0; b < nb; ++b) {
        const int8_t* a = q + 256 * b;
        __m256i src[8];
        src[0] = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[b].qs)), offset);
        for (int n = 1; n < 5; ++n) src[n] = Mul3(src[n - 1]);
        const __m256i q1 = _mm256_xor_si256(
            _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[b].qs + 32))), offset);
        src[5] = _mm256_blend_epi32(q1, Mul3(q1), 0xF0);  // x 1, x 3
        src[6] = Mul9(src[5]);                            // x 9, x 27
        src[7] = _mm256_inserti128_si256(Mul9(src[6]), QhVector(blk[b], _mm256_castsi256_si128(offset)), 1);
        __m256i s16 = _mm256_setzero_si256();
        for (int i = 0; i < 8; ++i) {
          const __m256i m = _mm256_add_epi8(_mm256_cmpgt_epi8(lt86, src[i]), _mm256_cmpgt_epi8(lt171, src[i]));
          const __m256i u = _mm256_sub_epi8(_mm256_setzero_si256(), m);
          const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 32 * i));
          s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(u, av));
        }
        // lanes sum to sum(u q) - bsum = -sum((t - 1) q)
        const __m256i s = _mm256_sub_epi32(_mm256_madd_epi16(s16, ones),
                                           _mm256_zextsi128_si256(_mm_cvtsi32_si128(bsum[b])));
        acc = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(_cvtsh_ss(blk[b].d)), acc);
      }
      __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
      h = _mm_add_ps(h, _mm_movehl_ps(h, h));
      h = _mm_add_ss(h, _mm_movehdup_ps(h));
      y[t * ldy + r] = _mm_cvtss_f32(h) / x.scale(t);
    }
  }
}

}  // namespace bitgate::kernels::internal
