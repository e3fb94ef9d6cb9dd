// AVX-512 VNNI matmul of TQ1_0 (llama.cpp's base-3 format, 5 trits a byte).
//
// Trit n of a byte b is t_n = (c_n * 3) >> 8 with c_n = (uint8_t)(b * 3^n).
// Since c_{n+1} = 3 c_n mod 256, 3 c_n - c_{n+1} = 256 t_n exactly, so
//   sum_m t_n[m] q[m] = (3 * sum c_n[m] q[m] - sum c_{n+1}[m] q[m]) / 256:
// two vpdpbusd of the multiplied bytes themselves (unsigned, as vpdpbusd
// wants them) and no per-trit extraction at all. The byte multiplies by 3
// are two byte additions; the division by 256 is folded into the f16 scale
// (a power of two: every block term equals the reference's d * isum).
//
// Each 32-byte source vector meets 32 consecutive activations (layouts.h):
//   qs[0..31] x 3^n            elements 32n .. 32n+31      (n = 0..4)
//   [qs[32..47] x 3^n, x 3^n+1] elements 160 + 32k ..      (n = 2k, k = 0, 1)
//   [qs[32..47] x 81, qh x (1, 3, 9, 27)] elements 224 .. 255
// Two blocks are decoded together: their chains of dependent multiplies are
// independent, which the out-of-order window overlaps.
//
// Exactness: per block an int32 lane holds at most 8 x 2 x 4 x 255 x 127
// plus 256 x |bsum| <= 256 x 256 x 127, about 12.5M < 2^24, so the
// conversion to float is exact.
#include <immintrin.h>

#include <cstring>

#include "kernels/avx512/avx512_kernels.h"
#include "kernels/internal/layouts.h"

namespace bitgate::kernels::internal {
namespace {

inline __m256i Mul3(__m256i v) { return _mm256_add_epi8(v, _mm256_add_epi8(v, v)); }

// qh bytes x (1, 3, 9, 27) in 4-byte groups (elements 240 + 4n + j): 16-bit
// multiplies, even bytes from one (their low bytes are exact) and odd bytes
// from the other (low bytes masked off first, so no carry reaches them).
inline __m128i QhVector(const BlockTQ1_0& blk) {
  uint32_t qh;
  std::memcpy(&qh, blk.qh, 4);
  const __m128i h = _mm_set1_epi32(static_cast<int>(qh));
  const __m128i k = _mm_setr_epi16(1, 1, 3, 3, 9, 9, 27, 27);
  const __m128i even = _mm_mullo_epi16(h, k);
  const __m128i odd = _mm_mullo_epi16(_mm_and_si128(h, _mm_set1_epi16(static_cast<short>(0xFF00))), k);
  return _mm_mask_blend_epi8(0xAAAA, even, odd);
}

// S = 3 sum(c_n q) - sum(c_{n+1} q) - 256 bsum = 256 * sum((t - 1) q), as
// 8 int32 lanes, for U consecutive blocks (activations 256 apart).
template <int U>
inline void BlockSums(const BlockTQ1_0* blk, const int8_t* q, const int32_t* bsum, __m256i* s) {
  __m256i a0[U], a1[U], b0[U], b1[U], c[U], r[U];
  for (int u = 0; u < U; ++u) {
    a0[u] = a1[u] = b1[u] = _mm256_setzero_si256();
    b0[u] = _mm256_zextsi128_si256(_mm_cvtsi32_si128(bsum[u] * 256));
    c[u] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[u].qs));
    const __m256i q1 = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[u].qs + 32)));
    r[u] = _mm256_blend_epi32(q1, Mul3(q1), 0xF0);  // [qs[32..47], x 3]
  }
  auto dot = [&](int u, int i, __m256i cur, __m256i next) {
    const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 256 * u + 32 * i));
    if (i & 1) {
      a1[u] = _mm256_dpbusd_epi32(a1[u], cur, av);
      b1[u] = _mm256_dpbusd_epi32(b1[u], next, av);
    } else {
      a0[u] = _mm256_dpbusd_epi32(a0[u], cur, av);
      b0[u] = _mm256_dpbusd_epi32(b0[u], next, av);
    }
  };
  for (int n = 0; n < 5; ++n) {
    for (int u = 0; u < U; ++u) {
      const __m256i next = Mul3(c[u]);
      dot(u, n, c[u], next);
      c[u] = next;
    }
  }
  for (int i = 5; i < 8; ++i) {
    for (int u = 0; u < U; ++u) {
      __m256i cur = r[u], next = Mul3(r[u]);
      if (i == 7) {  // upper half: the qh trits instead of qs[32..47] x 243
        const __m128i h = QhVector(blk[u]);
        cur = _mm256_inserti128_si256(cur, h, 1);
        next = _mm256_inserti128_si256(next, _mm_add_epi8(h, _mm_add_epi8(h, h)), 1);
      }
      dot(u, i, cur, next);
      r[u] = Mul3(next);
    }
  }
  for (int u = 0; u < U; ++u) {
    const __m256i a = _mm256_add_epi32(a0[u], a1[u]);
    s[u] = _mm256_sub_epi32(_mm256_add_epi32(a, _mm256_add_epi32(a, a)), _mm256_add_epi32(b0[u], b1[u]));
  }
}

inline __m256 Scale256(const BlockTQ1_0& blk) { return _mm256_set1_ps(_cvtsh_ss(blk.d) * (1.0f / 256)); }

}  // namespace

void MatmulTQ1_0Avx512(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y,
                       int64_t ldy, int64_t r0, int64_t r1) {
  const int64_t nb = cols / 256;
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const int8_t* q = x.q(t);
    const int32_t* bsum = x.bsum256(t);
    for (int64_t r = r0; r < r1; ++r) {
      const auto* blk = reinterpret_cast<const BlockTQ1_0*>(w) + r * nb;
      __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
      int64_t b = 0;
      for (; b + 2 <= nb; b += 2) {
        __m256i s[2];
        BlockSums<2>(blk + b, q + 256 * b, bsum + b, s);
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[0]), Scale256(blk[b]), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[1]), Scale256(blk[b + 1]), acc1);
      }
      if (b < nb) {
        __m256i s[1];
        BlockSums<1>(blk + b, q + 256 * b, bsum + b, s);
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[0]), Scale256(blk[b]), acc0);
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
