// AVX-512 VNNI matmul of TQ1_0 (llama.cpp's base-3 format, 5 trits a byte).
//
// Trit n of a byte b is t_n = (c_n * 3) >> 8 with c_n = (uint8_t)(b * 3^n).
// Since c_{n+1} = 3 c_n mod 256, 3 c_n - c_{n+1} = 256 t_n exactly, so
//   sum_m t_n[m] q[m] = (3 * sum c_n[m] q[m] - sum c_{n+1}[m] q[m]) / 256:
// two vpdpbusd of the multiplied bytes themselves (unsigned, as vpdpbusd
// wants them) and no per-trit extraction at all. The byte multiplies by 3
// are two byte additions; the division by 256 is applied once per row (a
// power of two: exact).
//
// Each 32-byte source vector meets 32 consecutive activations (layouts.h):
//   qs[0..31] x 3^n            elements 32n .. 32n+31      (n = 0..4)
//   [qs[32..47] x 3^n, x 3^n+1] elements 160 + 32k ..      (n = 2k, k = 0, 1)
//   [qs[32..47] x 81, qh x (1, 3, 9, 27)] elements 224 .. 255
// Four blocks are decoded together, each with its own accumulator pair:
// their chains of dependent multiplies are independent, which the
// out-of-order window overlaps (two blocks with split accumulators ran at
// about 5/6 the speed).
//
// Exactness: per block an int32 lane holds at most 4 x 8 x 4 x 255 x 127
// plus 256 x |bsum| <= 256 x 256 x 127, about 12.5M < 2^24, so the
// conversion to float is exact.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "kernels/avx512/avx512_kernels.h"
#include "kernels/internal/fp16.h"
#include "kernels/internal/layouts.h"

namespace bitgate::kernels::internal {
namespace {

inline __m256i Mul3(__m256i v) { return _mm256_add_epi8(v, _mm256_add_epi8(v, v)); }

// Blocks per call of BlockSums in the row loop.
constexpr int kUnroll = 4;

// qh bytes x (1, 3, 9, 27) in 4-byte groups (elements 240 + 4n + j) of
// two blocks at once (lower / upper 128-bit half): 16-bit multiplies, even
// bytes from one (their low bytes are exact) and odd bytes from the other
// (low bytes masked off first, so no carry reaches them).
inline __m256i QhPair(const BlockTQ1_0& b0, const BlockTQ1_0& b1) {
  uint32_t h0, h1;
  std::memcpy(&h0, b0.qh, 4);
  std::memcpy(&h1, b1.qh, 4);
  const __m256i h = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_set1_epi32(static_cast<int>(h0))),
                                            _mm_set1_epi32(static_cast<int>(h1)), 1);
  const __m256i k = _mm256_setr_epi16(1, 1, 3, 3, 9, 9, 27, 27, 1, 1, 3, 3, 9, 9, 27, 27);
  const __m256i even = _mm256_mullo_epi16(h, k);
  const __m256i odd = _mm256_mullo_epi16(_mm256_and_si256(h, _mm256_set1_epi16(static_cast<short>(0xFF00))), k);
  return _mm256_mask_blend_epi8(0xAAAAAAAA, even, odd);
}

// S = 3 sum(c_n q) - sum(c_{n+1} q) - 256 bsum = 256 * sum((t - 1) q), as
// 8 int32 lanes, for U (even) consecutive blocks (activations 256 apart).
// One accumulator pair per block: the blocks' chains are independent, and
// the out-of-order window overlaps them with the next call's.
template <int U>
inline void BlockSums(const BlockTQ1_0* blk, const int8_t* q, const int32_t* bsum, __m256i* s) {
  static_assert(U % 2 == 0);
  __m256i a[U], b[U], c[U], r[U], h[U / 2];
  for (int u = 0; u < U; ++u) {
    a[u] = _mm256_setzero_si256();
    b[u] = _mm256_zextsi128_si256(_mm_cvtsi32_si128(bsum[u] * 256));
    c[u] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[u].qs));
    const __m256i q1 = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[u].qs + 32)));
    r[u] = _mm256_blend_epi32(q1, Mul3(q1), 0xF0);  // [qs[32..47], x 3]
  }
  for (int u = 0; u < U; u += 2) h[u / 2] = QhPair(blk[u], blk[u + 1]);
  auto dot = [&](int u, int i, __m256i cur, __m256i next) {
    const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 256 * u + 32 * i));
    a[u] = _mm256_dpbusd_epi32(a[u], cur, av);
    b[u] = _mm256_dpbusd_epi32(b[u], next, av);
  };
  for (int n = 0; n < 5; ++n) {
    for (int u = 0; u < U; ++u) {
      const __m256i next = Mul3(c[u]);
      dot(u, n, c[u], next);
      c[u] = next;
    }
  }
  for (int i = 5; i < 7; ++i) {
    for (int u = 0; u < U; ++u) {
      const __m256i next = Mul3(r[u]);
      dot(u, i, r[u], next);
      r[u] = Mul3(next);
    }
  }
  // Plane 7: upper half the qh trits instead of qs[32..47] x 243.
  for (int u = 0; u < U; u += 2) {
    const __m256i h3 = Mul3(h[u / 2]), r3a = Mul3(r[u]), r3b = Mul3(r[u + 1]);
    dot(u, 7, _mm256_permute2x128_si256(r[u], h[u / 2], 0x20), _mm256_permute2x128_si256(r3a, h3, 0x20));
    dot(u + 1, 7, _mm256_permute2x128_si256(r[u + 1], h[u / 2], 0x30), _mm256_permute2x128_si256(r3b, h3, 0x30));
  }
  for (int u = 0; u < U; ++u) {
    s[u] = _mm256_sub_epi32(_mm256_add_epi32(a[u], _mm256_add_epi32(a[u], a[u])), b[u]);
  }
}

// One block (odd block counts): the pair kernel with the block twice and
// the second result dropped.
inline __m256i BlockSum1(const BlockTQ1_0* blk, const int8_t* q, const int32_t* bsum) {
  const BlockTQ1_0 pair[2] = {blk[0], blk[0]};
  alignas(32) int8_t qq[512];
  std::memcpy(qq, q, 256);
  std::memcpy(qq + 256, q, 256);
  const int32_t bs[2] = {bsum[0], bsum[0]};
  __m256i s[2];
  BlockSums<2>(pair, qq, bs, s);
  return s[0];
}

inline __m256 Scale(const BlockTQ1_0& blk) { return _mm256_set1_ps(_cvtsh_ss(blk.d)); }

inline float HorizontalSum(__m256 v) {
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h);
}

// Prefill: one block decoded once (cur / next vectors of its 8 planes, as
// in BlockSums) for a tile of NT tokens, so the byte multiplies and the qh
// construction are shared and each token pays only its vpdpbusd.
template <int NT>
void RowTokenTile(const BlockTQ1_0* blk, int64_t nb, const Activations& x, int64_t t0, float* y,
                  int64_t ldy, int64_t r) {
  const int8_t* q[NT];
  const int32_t* bsum[NT];
  __m256 acc[NT];
  for (int t = 0; t < NT; ++t) {
    q[t] = x.q(t0 + t);
    bsum[t] = x.bsum256(t0 + t);
    acc[t] = _mm256_setzero_ps();
  }
  for (int64_t b = 0; b < nb; ++b) {
    __m256i cur[8], next[8];
    cur[0] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[b].qs));
    for (int n = 0; n < 5; ++n) next[n] = cur[n + 1 < 5 ? n + 1 : 5] = Mul3(cur[n]);
    const __m256i q1 = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[b].qs + 32)));
    cur[5] = _mm256_blend_epi32(q1, Mul3(q1), 0xF0);  // [qs[32..47], x 3]
    next[5] = Mul3(cur[5]);
    cur[6] = Mul3(next[5]);
    next[6] = Mul3(cur[6]);
    const __m256i r7 = Mul3(next[6]), h = QhPair(blk[b], blk[b]);
    cur[7] = _mm256_permute2x128_si256(r7, h, 0x20);  // upper half: the qh trits
    next[7] = Mul3(cur[7]);
    const __m256 d = Scale(blk[b]);
    for (int t = 0; t < NT; ++t) {
      const int8_t* qb = q[t] + 256 * b;
      __m256i a = _mm256_setzero_si256(), c = _mm256_zextsi128_si256(_mm_cvtsi32_si128(bsum[t][b] * 256));
      for (int i = 0; i < 8; ++i) {
        const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qb + 32 * i));
        a = _mm256_dpbusd_epi32(a, cur[i], av);
        c = _mm256_dpbusd_epi32(c, next[i], av);
      }
      const __m256i sum = _mm256_sub_epi32(_mm256_add_epi32(a, _mm256_add_epi32(a, a)), c);
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), d, acc[t]);
    }
  }
  for (int t = 0; t < NT; ++t) y[(t0 + t) * ldy + r] = HorizontalSum(acc[t]) * (1.0f / 256) / x.scale(t0 + t);
}

constexpr int kTokenTile = 4;

inline __m512i Times3(__m512i v) { return _mm512_add_epi32(v, _mm512_add_epi32(v, v)); }
// Base-3 numbers v (0..242) of the 5 trits at p + stride n, first trit most
// significant.
inline __m512i Base3(const float* p, int stride, __m512 vid) {
  __m512i v = TernaryCodes16(p, vid);
  for (int n = 1; n < 5; ++n) v = _mm512_add_epi32(Times3(v), TernaryCodes16(p + stride * n, vid));
  return v;
}
// ceil(v * 256 / 243) = (256 v + 242) / 243, as (N * 69043) >> 24: exact for
// N <= 62194 (error N * 0.96 / 2^24 < 1/243) and the product fits in 32 bits.
inline __m512i PackBase3(__m512i v) {
  const __m512i n = _mm512_add_epi32(_mm512_slli_epi32(v, 8), _mm512_set1_epi32(242));
  return _mm512_srli_epi32(_mm512_mullo_epi32(n, _mm512_set1_epi32(69043)), 24);
}

}  // namespace

// Bytes identical to QuantizeTQ1_0Ref (ggml's quantize_row_tq1_0_ref).
void QuantizeTQ1_0Avx512(const float* src, int64_t rows, int64_t cols, float, uint8_t* dst) {
  auto* out = reinterpret_cast<BlockTQ1_0*>(dst);
  const int64_t nb = rows * cols / 256;
  const __m512i qh_pow = _mm512_setr_epi32(27, 27, 27, 27, 9, 9, 9, 9, 3, 3, 3, 3, 1, 1, 1, 1);
  for (int64_t b = 0; b < nb; ++b) {
    const float* x = src + b * 256;
    const float d = AbsMax256(x);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = FloatToHalfScalar(d);
    // A non-finite id makes every x * id non-finite or NaN, which the
    // reference encodes as 0: the same codes as id = 0 (inputs are finite).
    const __m512 vid = _mm512_set1_ps(std::isfinite(id) ? id : 0.0f);
    for (int h = 0; h < 32; h += 16) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out[b].qs + h),
                       _mm512_cvtepi32_epi8(PackBase3(Base3(x + h, 32, vid))));
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[b].qs + 32),
                     _mm512_cvtepi32_epi8(PackBase3(Base3(x + 160, 16, vid))));
    // qh[j]: trits x[240 + j + 4n], n = 0..3, then one more digit (x 3).
    const __m512i w = _mm512_mullo_epi32(TernaryCodes16(x + 240, vid), qh_pow);
    const __m256i w8 = _mm256_add_epi32(_mm512_castsi512_si256(w), _mm512_extracti64x4_epi64(w, 1));
    const __m128i w4 = _mm_add_epi32(_mm256_castsi256_si128(w8), _mm256_extracti128_si256(w8, 1));
    const __m128i qh = _mm512_cvtepi32_epi8(PackBase3(_mm512_zextsi128_si512(_mm_add_epi32(w4, _mm_add_epi32(w4, w4)))));
    const uint32_t qh4 = static_cast<uint32_t>(_mm_cvtsi128_si32(qh));
    std::memcpy(out[b].qh, &qh4, 4);
  }
}

void MatmulTQ1_0Avx512(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y,
                       int64_t ldy, int64_t r0, int64_t r1) {
  const int64_t nb = cols / 256;
  int64_t t0 = 0;
  if (x.tokens() >= 2) {
    for (; t0 + kTokenTile <= x.tokens(); t0 += kTokenTile) {
      for (int64_t r = r0; r < r1; ++r)
        RowTokenTile<kTokenTile>(reinterpret_cast<const BlockTQ1_0*>(w) + r * nb, nb, x, t0, y, ldy, r);
    }
    for (; t0 + 2 <= x.tokens(); t0 += 2) {
      for (int64_t r = r0; r < r1; ++r)
        RowTokenTile<2>(reinterpret_cast<const BlockTQ1_0*>(w) + r * nb, nb, x, t0, y, ldy, r);
    }
  }
  for (int64_t t = t0; t < x.tokens(); ++t) {
    const int8_t* q = x.q(t);
    const int32_t* bsum = x.bsum256(t);
    for (int64_t r = r0; r < r1; ++r) {
      const auto* blk = reinterpret_cast<const BlockTQ1_0*>(w) + r * nb;
      __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
      int64_t b = 0;
      for (; b + kUnroll <= nb; b += kUnroll) {
        __m256i s[kUnroll];
        BlockSums<kUnroll>(blk + b, q + 256 * b, bsum + b, s);
        for (int u = 0; u < kUnroll; u += 2) {
          acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[u]), Scale(blk[b + u]), acc0);
          acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[u + 1]), Scale(blk[b + u + 1]), acc1);
        }
      }
      for (; b + 2 <= nb; b += 2) {
        __m256i s[2];
        BlockSums<2>(blk + b, q + 256 * b, bsum + b, s);
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[0]), Scale(blk[b]), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[1]), Scale(blk[b + 1]), acc1);
      }
      if (b < nb) acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(BlockSum1(blk + b, q + 256 * b, bsum + b)), Scale(blk[b]), acc0);
      // The sums are 256 x the reference's: scaled once here (a power of two, exact).
      y[t * ldy + r] = HorizontalSum(_mm256_add_ps(acc0, acc1)) * (1.0f / 256) / x.scale(t);
    }
  }
}

}  // namespace bitgate::kernels::internal
