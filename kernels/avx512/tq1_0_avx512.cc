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
// One token (dot, decode): per block, qs[0..31] x 3^n (n = 0..4) meets 32
// consecutive activations, elements 32n .. 32n+31. The 16-byte part and
// the qh trits of two blocks share vectors instead: [qs[32..47] of block
// 2p | of block 2p+1] x 3^n meets elements 160 + 16n of each, and the two
// blocks' qh trits (qh x (1, 3, 9, 27) in 4-byte groups) elements 240..255,
// read from activations laid out for it once per token (q_tq1_pairs,
// kTQ1PairBytes). Both this and one block per vector (the 16-byte part as
// [x 3^n | x 3^n+1] halves, the qh trits beside x 81) take 16 vpdpbusd a
// block, but the pairs need about 7 other operations a block instead of
// 16 (the byte multiplies that step two powers of 3, the lane shuffles):
// dot 58-62 against 54-60 G weights/s in alternating runs. Four blocks (two pairs) are decoded together, each chain with its
// own accumulators, so the out-of-order window overlaps their dependent
// multiplies; one loop over both parts spilled registers and was slower.
//
// Prefill (two or more tokens) decodes each block once for a tile of
// tokens, one block per vector as above, from the natural activation order.
//
// Exactness: an int32 lane holds at most 6 x 4 x 255 x 127 x 4 (3a - b)
// plus 256 x |bsum| <= 256 x 256 x 127, about 11M < 2^24, so the
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

inline __m256 Scale(const BlockTQ1_0& blk) { return _mm256_set1_ps(_cvtsh_ss(blk.d)); }



inline float HorizontalSum(__m256 v) {
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h);
}

// 256 x sum((t - 1) q) over the 160 elements of qs[0..31] (planes 0..4)
// of U consecutive blocks, minus 256 x bsum in lane 0, so that adding the
// block's pair part (which holds no bsum) gives the block total. The blocks'
// chains are interleaved plane by plane for the out-of-order window.
template <int U>
inline void Block32Sums(const BlockTQ1_0* blk, const int8_t* q, const int32_t* bsum, __m256i* s) {
  __m256i c[U], a[U], b[U];
  for (int u = 0; u < U; ++u) {
    c[u] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[u].qs));
    a[u] = _mm256_setzero_si256();
    b[u] = _mm256_zextsi128_si256(_mm_cvtsi32_si128(bsum[u] * 256));
  }
  for (int n = 0; n < 5; ++n) {
    for (int u = 0; u < U; ++u) {
      const __m256i next = Mul3(c[u]);
      const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 256 * u + 32 * n));
      a[u] = _mm256_dpbusd_epi32(a[u], c[u], av);
      b[u] = _mm256_dpbusd_epi32(b[u], next, av);
      c[u] = next;
    }
  }
  for (int u = 0; u < U; ++u) s[u] = _mm256_sub_epi32(_mm256_add_epi32(a[u], _mm256_add_epi32(a[u], a[u])), b[u]);
}

// 256 x sum(t q) over the other 96 elements of P block pairs: each pair's
// qs[32..47] side by side (planes 0..4), then their qh trits, against the
// pair layout (q_tq1_pairs). Lanes 0-3 belong to the first block of a pair,
// lanes 4-7 to the second.
template <int P>
inline void PairSums(const BlockTQ1_0* blk, const int8_t* qp, __m256i* s) {
  __m256i c[P], a[P], b[P];
  for (int p = 0; p < P; ++p) {
    c[p] = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[2 * p].qs + 32))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[2 * p + 1].qs + 32)), 1);
    a[p] = b[p] = _mm256_setzero_si256();
  }
  for (int n = 0; n < 6; ++n) {
    for (int p = 0; p < P; ++p) {
      if (n == 5) c[p] = QhPair(blk[2 * p], blk[2 * p + 1]);
      const __m256i next = Mul3(c[p]);
      const __m256i av = _mm256_load_si256(reinterpret_cast<const __m256i*>(qp + kTQ1PairBytes * p + 32 * n));
      a[p] = _mm256_dpbusd_epi32(a[p], c[p], av);
      b[p] = _mm256_dpbusd_epi32(b[p], next, av);
      c[p] = next;
    }
  }
  for (int p = 0; p < P; ++p) s[p] = _mm256_sub_epi32(_mm256_add_epi32(a[p], _mm256_add_epi32(a[p], a[p])), b[p]);
}

// One token: four blocks (two pairs) per step, their 32-byte parts one
// block per chain and their 16-byte parts and qh trits a pair per chain.
float RowDotPairs(const BlockTQ1_0* blk, int64_t nb, const int8_t* q, const int8_t* qp, const int32_t* bsum) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t u = 0;
  for (; u + 4 <= nb; u += 4) {
    __m256i s[4], sp[2];
    Block32Sums<4>(blk + u, q + 256 * u, bsum + u, s);
    PairSums<2>(blk + u, qp + u / 2 * kTQ1PairBytes, sp);
    __m256 d[4];
    for (int i = 0; i < 4; ++i) d[i] = Scale(blk[u + i]);
    acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[0]), d[0], acc0);
    acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[1]), d[1], acc1);
    acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[2]), d[2], acc0);
    acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[3]), d[3], acc1);
    acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sp[0]), _mm256_blend_ps(d[0], d[1], 0xF0), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sp[1]), _mm256_blend_ps(d[2], d[3], 0xF0), acc1);
  }
  for (; u + 2 <= nb; u += 2) {
    __m256i s[2], sp[1];
    Block32Sums<2>(blk + u, q + 256 * u, bsum + u, s);
    PairSums<1>(blk + u, qp + u / 2 * kTQ1PairBytes, sp);
    const __m256 d0 = Scale(blk[u]), d1 = Scale(blk[u + 1]);
    acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[0]), d0, acc0);
    acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[1]), d1, acc1);
    acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sp[0]), _mm256_blend_ps(d0, d1, 0xF0), acc0);
  }
  if (u < nb) {  // a last block alone: its pair slot's second half is zeros
    const BlockTQ1_0 pair[2] = {blk[u], blk[u]};
    __m256i s[1], sp[1];
    Block32Sums<1>(blk + u, q + 256 * u, bsum + u, s);
    PairSums<1>(pair, qp + u / 2 * kTQ1PairBytes, sp);
    const __m256 d0 = Scale(blk[u]);
    acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[0]), d0, acc0);
    acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sp[0]), d0, acc1);  // upper lanes are zero
  }
  return HorizontalSum(_mm256_add_ps(acc0, acc1));
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
    for (int64_t r = r0; r < r1; ++r) {
      const auto* blk = reinterpret_cast<const BlockTQ1_0*>(w) + r * nb;
      // The sums are 256 x the reference's: scaled once here (a power of two, exact).
      y[t * ldy + r] = RowDotPairs(blk, nb, x.q(t), x.q_tq1_pairs(t), x.bsum256(t)) * (1.0f / 256) / x.scale(t);
    }
  }
}

}  // namespace bitgate::kernels::internal
