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
// One token (dot, decode): four blocks per 512-bit vector, one per 128-bit
// lane, so every int32 lane belongs to one block and one conversion and
// FMA per four blocks apply their scales. Three vectors hold the blocks'
// 16-byte pieces qs[0..15], qs[16..31], qs[32..47] (trits n = 0..4 each)
// and a fourth their qh trits as qh x (1, 3, 9, 27); the activations come
// laid out to match once per token (q_tq1_quads, kTQ1QuadBytes), with
// 256 x each block's activation sum in the lane that starts the "b" sum.
// Against the earlier 256-bit kernel (one block's 32-byte part per vector,
// the 16-byte parts and qh in pairs, four scale FMAs per four blocks) this
// takes half the instructions, but on Zen 4 a 512-bit operation costs two
// 256-bit ones, so it gained 5-9% (alternating runs: dot 61.7-62.8 ->
// 64.5-68.2 G weights/s, gemv 6912x2560 51-52 -> 55). What bounds it is the
// FP pipes: 8 vpdpbusd and 8 byte additions per block, at two 512-bit
// operations a cycle, are 8 cycles a block (116 G weights/s at 3.6 GHz)
// before any overhead. A row's last one to three blocks run the same code
// on 256- and 128-bit vectors, or, for rows of 4Q + 2 blocks, two rows'
// last two blocks share a quad (RowPairDotQuads).
//
// Prefill (two or more tokens) decodes each block once for a tile of
// tokens, one block (its 32-byte part, then the 16-byte part and the qh
// trits) per 256-bit vector, from the natural activation order.
//
// Exactness: 3a - b is exactly 256 x sum((t - 1) q) over a lane's elements
// (one decode: 64 trits of one block, 4 bytes x 5 trits of each of the
// three pieces and 4 qh trits, with that block's 256-element activation sum
// in its first lane), so |3a - b| <= 256 x 127 x 256 (about 8.3M) < 2^24:
// the conversion to float is exact. The sums on the way stay far inside
// int32 (|a| <= 64 x 255 x 127).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's own header (activations_avx512.cc)
#endif
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "kernels/avx512/avx512_kernels.h"
#include "kernels/internal/fp16.h"
#include "kernels/internal/layouts.h"
#include "kernels/internal/prefetch.h"

namespace bitgate::kernels::internal {
namespace {

inline __m256i Mul3(__m256i v) { return _mm256_add_epi8(v, _mm256_add_epi8(v, v)); }
inline __m512i Mul3(__m512i v) { return _mm512_add_epi8(v, _mm512_add_epi8(v, v)); }
inline __m128i Mul3(__m128i v) { return _mm_add_epi8(v, _mm_add_epi8(v, v)); }

inline int32_t LoadQh(const BlockTQ1_0& b) {
  int32_t h;
  std::memcpy(&h, b.qh, 4);
  return h;
}

// qh bytes x (1, 3, 9, 27) in 4-byte groups (elements 240 + 4n + j), per
// 128-bit lane (the lane's block qh repeated 4 times): 16-bit multiplies,
// even bytes from one (their low bytes are exact) and odd bytes from the
// other (low bytes masked off first, so no carry reaches them).
constexpr int kQhPow16 = 0x00010001, kQhPow16x3 = 0x00030003, kQhPow16x9 = 0x00090009, kQhPow16x27 = 0x001b001b;
inline __m512i QhPowers(__m512i h) {
  const __m512i k = _mm512_set4_epi32(kQhPow16x27, kQhPow16x9, kQhPow16x3, kQhPow16);
  const __m512i even = _mm512_mullo_epi16(h, k);
  const __m512i odd = _mm512_mullo_epi16(_mm512_and_si512(h, _mm512_set1_epi16(static_cast<short>(0xFF00))), k);
  return _mm512_mask_blend_epi8(0xAAAAAAAAAAAAAAAAull, even, odd);
}
inline __m256i QhPowers(__m256i h) {
  const __m256i k = _mm256_setr_epi32(kQhPow16, kQhPow16x3, kQhPow16x9, kQhPow16x27, kQhPow16, kQhPow16x3,
                                      kQhPow16x9, kQhPow16x27);
  const __m256i even = _mm256_mullo_epi16(h, k);
  const __m256i odd = _mm256_mullo_epi16(_mm256_and_si256(h, _mm256_set1_epi16(static_cast<short>(0xFF00))), k);
  return _mm256_mask_blend_epi8(0xAAAAAAAA, even, odd);
}
inline __m128i QhPowers(__m128i h) {
  const __m128i k = _mm_setr_epi32(kQhPow16, kQhPow16x3, kQhPow16x9, kQhPow16x27);
  const __m128i even = _mm_mullo_epi16(h, k);
  const __m128i odd = _mm_mullo_epi16(_mm_and_si128(h, _mm_set1_epi16(static_cast<short>(0xFF00))), k);
  return _mm_mask_blend_epi8(0xAAAA, even, odd);
}

// The same pair of a block (prefill): [qh x (1, 3, 9, 27) of b0 | of b1].
inline __m256i QhPair(const BlockTQ1_0& b0, const BlockTQ1_0& b1) {
  return QhPowers(_mm256_inserti128_si256(_mm256_castsi128_si256(_mm_set1_epi32(LoadQh(b0))),
                                          _mm_set1_epi32(LoadQh(b1)), 1));
}

inline __m256 Scale(const BlockTQ1_0& blk) { return _mm256_set1_ps(_cvtsh_ss(blk.d)); }

inline float HorizontalSum(__m256 v) {
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h);
}

// W blocks side by side, one per 128-bit lane: the vector operations the
// decode needs, at 512 (W = 4), 256 (2) or 128 (1) bits. The blocks come
// as W pointers: a row's consecutive blocks, or two rows' last two.
using Blocks = const BlockTQ1_0* const*;
template <int W>
struct Lanes;

template <>
struct Lanes<4> {
  using I = __m512i;
  using F = __m512;
  static I Zero() { return _mm512_setzero_si512(); }
  static I Load(const int8_t* p) { return _mm512_load_si512(p); }
  static I Add(I a, I b) { return _mm512_add_epi32(a, b); }
  static I Sub(I a, I b) { return _mm512_sub_epi32(a, b); }
  static I Dot(I acc, I u, I s) { return _mm512_dpbusd_epi32(acc, u, s); }
  // 16 bytes at offset off of each block
  static I Pieces(Blocks b, int off) {
    I v = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[0]->qs + off)));
    v = _mm512_mask_broadcast_i32x4(v, 0x00F0, _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[1]->qs + off)));
    v = _mm512_mask_broadcast_i32x4(v, 0x0F00, _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[2]->qs + off)));
    return _mm512_mask_broadcast_i32x4(v, 0xF000, _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[3]->qs + off)));
  }
  static I Qh(Blocks b) {
    I h = _mm512_set1_epi32(LoadQh(*b[0]));
    h = _mm512_mask_set1_epi32(h, 0x00F0, LoadQh(*b[1]));
    h = _mm512_mask_set1_epi32(h, 0x0F00, LoadQh(*b[2]));
    return QhPowers(_mm512_mask_set1_epi32(h, 0xF000, LoadQh(*b[3])));
  }
  // acc + s x [d(b0) x4, d(b1) x4, ...]
  static F Fma(I s, Blocks b, F acc) {
    const uint64_t d4 = b[0]->d | uint64_t{b[1]->d} << 16 | uint64_t{b[2]->d} << 32 | uint64_t{b[3]->d} << 48;
    const __m512i spread = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    const F d = _mm512_permutexvar_ps(spread, _mm512_zextps128_ps512(_mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(d4)))));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), d, acc);
  }
  static F ZeroF() { return _mm512_setzero_ps(); }
  static float Sum(F v) { return _mm512_reduce_add_ps(v); }
};

template <>
struct Lanes<2> {
  using I = __m256i;
  using F = __m256;
  static I Zero() { return _mm256_setzero_si256(); }
  static I Load(const int8_t* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }
  static I Add(I a, I b) { return _mm256_add_epi32(a, b); }
  static I Sub(I a, I b) { return _mm256_sub_epi32(a, b); }
  static I Dot(I acc, I u, I s) { return _mm256_dpbusd_epi32(acc, u, s); }
  static I Pieces(Blocks b, int off) {
    return _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[0]->qs + off))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[1]->qs + off)), 1);
  }
  static I Qh(Blocks b) { return QhPair(*b[0], *b[1]); }
  static F Fma(I s, Blocks b, F acc) {
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_blend_ps(Scale(*b[0]), Scale(*b[1]), 0xF0), acc);
  }
  static F ZeroF() { return _mm256_setzero_ps(); }
  static float Sum(F v) { return HorizontalSum(v); }
};

template <>
struct Lanes<1> {
  using I = __m128i;
  using F = __m128;
  static I Zero() { return _mm_setzero_si128(); }
  static I Load(const int8_t* p) { return _mm_load_si128(reinterpret_cast<const __m128i*>(p)); }
  static I Add(I a, I b) { return _mm_add_epi32(a, b); }
  static I Sub(I a, I b) { return _mm_sub_epi32(a, b); }
  static I Dot(I acc, I u, I s) { return _mm_dpbusd_epi32(acc, u, s); }
  static I Pieces(Blocks b, int off) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[0]->qs + off)); }
  static I Qh(Blocks b) { return QhPowers(_mm_set1_epi32(LoadQh(*b[0]))); }
  static F Fma(I s, Blocks b, F acc) {
    return _mm_fmadd_ps(_mm_cvtepi32_ps(s), _mm_set1_ps(_cvtsh_ss(b[0]->d)), acc);
  }
  static F ZeroF() { return _mm_setzero_ps(); }
  static float Sum(F v) {
    v = _mm_add_ps(v, _mm_movehl_ps(v, v));
    return _mm_cvtss_f32(_mm_add_ss(v, _mm_movehdup_ps(v)));
  }
};

// acc + 256 x sum((t - 1) q) x d for W blocks (lanes lane0.. of quad record
// `quad`). Each piece runs trit by trit: c = piece x 3^n as bytes, c' =
// 3c mod 256 the next, and 3 x sum(c q) - sum(c' q) = 256 x sum(t q); the
// "b" sum starts at 256 x the block's activation sum, which turns t into
// t - 1. (always_inline: GCC 12 kept it out of line, a call per quad, 10%
// slower.)
template <int W>
__attribute__((always_inline)) inline typename Lanes<W>::F QuadSums(Blocks b, const int8_t* quad, int lane0, typename Lanes<W>::F acc) {
  using L = Lanes<W>;
  const int8_t* r = quad + 16 * lane0;
  typename L::I c[3] = {L::Pieces(b, 0), L::Pieces(b, 16), L::Pieces(b, 32)};
  typename L::I a0 = L::Zero(), a1 = L::Zero(), b0 = L::Load(r + kTQ1QuadSumOffset), b1 = L::Zero();
  for (int n = 0; n < 5; ++n) {
    const typename L::I next[3] = {Mul3(c[0]), Mul3(c[1]), Mul3(c[2])};
    typename L::I q0 = L::Load(r + 64 * n), q1 = L::Load(r + 64 * (5 + n)), q2 = L::Load(r + 64 * (10 + n));
    // Each activation vector feeds two vpdpbusd. GCC would fold its load
    // into both, and Zen 4 runs every memory operand as a load of its own
    // (a 512-bit load costs about a cycle): keep it in a register.
    asm("" : "+v"(q0), "+v"(q1), "+v"(q2));
    a0 = L::Dot(a0, c[0], q0);
    b0 = L::Dot(b0, next[0], q0);
    a1 = L::Dot(a1, c[1], q1);
    b1 = L::Dot(b1, next[1], q1);
    a0 = L::Dot(a0, c[2], q2);
    b0 = L::Dot(b0, next[2], q2);
    for (int i = 0; i < 3; ++i) c[i] = next[i];
  }
  const typename L::I h = L::Qh(b), qh = L::Load(r + 64 * 15);
  a1 = L::Dot(a1, h, qh);
  b1 = L::Dot(b1, Mul3(h), qh);
  const typename L::I a = L::Add(a0, a1);
  const typename L::I s = L::Sub(L::Add(a, L::Add(a, a)), L::Add(b0, b1));
  return L::Fma(s, b, acc);
}

// The 512-bit sums of a row's whole quads.
inline __m512 WholeQuads(const BlockTQ1_0* blk, int64_t quads, const int8_t* records) {
  __m512 acc = _mm512_setzero_ps();
  for (int64_t u = 0; u < quads; ++u) {
    const BlockTQ1_0* q = blk + 4 * u;
    PrefetchSpan(q, 4 * sizeof(BlockTQ1_0));  // from DRAM (internal/prefetch.h)
    const BlockTQ1_0* const b[4] = {q, q + 1, q + 2, q + 3};
    acc = QuadSums<4>(b, records + u * kTQ1QuadBytes, 0, acc);
  }
  return acc;
}

// One token, one row: whole quads at 512 bits, then the last 1-3 blocks at
// 256 and 128.
float RowDotQuads(const BlockTQ1_0* blk, int64_t nb, const int8_t* records) {
  const int64_t u = nb / 4 * 4;
  float total = Lanes<4>::Sum(WholeQuads(blk, nb / 4, records));
  if (u == nb) return total;
  PrefetchSpan(blk + u, (nb - u) * static_cast<int64_t>(sizeof(BlockTQ1_0)));
  const int8_t* last = records + u / 4 * kTQ1QuadBytes;
  if (nb - u >= 2) {
    const BlockTQ1_0* const b[2] = {blk + u, blk + u + 1};
    total += Lanes<2>::Sum(QuadSums<2>(b, last, 0, Lanes<2>::ZeroF()));
  }
  if ((nb - u) % 2 == 1) {
    const BlockTQ1_0* const b[1] = {blk + nb - 1};
    total += Lanes<1>::Sum(QuadSums<1>(b, last, static_cast<int>(nb - 1 - u), Lanes<1>::ZeroF()));
  }
  return total;
}

// One token, rows of 4Q + 2 blocks (2560 columns: 10): two rows' last two
// blocks share one 512-bit quad (the pair-tail record), lanes 0-7 for the
// first row and 8-15 for the second, instead of a 256-bit pass each. A row
// without a partner takes a zero block pair there, and the second row's
// lanes are moved down before its sum, so every row goes through the same
// operations in the same order whether it is first, second or alone: its
// output does not depend on how rows are split between threads.
inline const BlockTQ1_0 kZeroBlocks[2] = {};

void RowPairDotQuads(const BlockTQ1_0* blk0, const BlockTQ1_0* blk1, int64_t nb, const int8_t* records,
                     float* y0, float* y1) {
  const int64_t u = nb / 4 * 4;
  __m512 acc0 = WholeQuads(blk0, nb / 4, records);
  __m512 acc1 = blk1 != nullptr ? WholeQuads(blk1, nb / 4, records) : _mm512_setzero_ps();
  const BlockTQ1_0* last1 = blk1 != nullptr ? blk1 + u : kZeroBlocks;
  PrefetchSpan(blk0 + u, 2 * sizeof(BlockTQ1_0));
  PrefetchSpan(last1, 2 * sizeof(BlockTQ1_0));
  const BlockTQ1_0* const b[4] = {blk0 + u, blk0 + u + 1, last1, last1 + 1};
  const __m512 tail = QuadSums<4>(b, records + (nb / 4 + 1) * kTQ1QuadBytes, 0, _mm512_setzero_ps());
  *y0 = _mm512_reduce_add_ps(_mm512_add_ps(acc0, _mm512_maskz_mov_ps(0x00FF, tail)));
  // The second row's tail moves down to lanes 0-7 first: the reduction adds
  // lane i to lane i + 8, so its place in the tree must not depend on
  // which row of a pair a row is.
  const __m512 tail1 = _mm512_shuffle_f32x4(tail, tail, 0x4E);
  if (blk1 != nullptr) *y1 = _mm512_reduce_add_ps(_mm512_add_ps(acc1, _mm512_maskz_mov_ps(0x00FF, tail1)));
}

// Prefill: one block decoded once (cur / next vectors of its 8 planes of
// 32 bytes: qs[0..31] x 3^n, then qs[32..47] and the qh trits two planes to
// a vector) for a tile of NT tokens, so the byte multiplies and the qh
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
  const auto* blk = reinterpret_cast<const BlockTQ1_0*>(w);
  for (int64_t t = t0; t < x.tokens(); ++t) {
    // The sums are 256 x the reference's: scaled once here (a power of two, exact).
    const float inv = (1.0f / 256) / x.scale(t);
    if (nb % 4 == 2) {
      for (int64_t r = r0; r < r1; r += 2) {
        float s0 = 0, s1 = 0;
        RowPairDotQuads(blk + r * nb, r + 1 < r1 ? blk + (r + 1) * nb : nullptr, nb, x.q_tq1_quads(t), &s0, &s1);
        y[t * ldy + r] = s0 * inv;
        if (r + 1 < r1) y[t * ldy + r + 1] = s1 * inv;
      }
    } else {
      for (int64_t r = r0; r < r1; ++r) y[t * ldy + r] = RowDotQuads(blk + r * nb, nb, x.q_tq1_quads(t)) * inv;
    }
  }
}

}  // namespace bitgate::kernels::internal
