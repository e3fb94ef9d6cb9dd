// AVX-512 VNNI kernels of I2S (ours): 32-element blocks with an f16 scale.
//
// A full group is 64 code bytes whose 4-byte lane L holds 16 elements of
// block L % 8 (internal/layouts.h). Two groups' code bytes, their 256-bit
// halves swapped across, make two vectors whose lane L holds block L of the
// pair's 16 (first halves, then second halves), and the activations come
// laid out to match (Activations::q_i2s), so the four code planes of both
// go through vpdpbusd into the same int32 lanes, and one conversion and one
// FMA per pair apply the 16 block scales in their stored order. A group
// without a partner sums its blocks' halves in lanes k and k + 8; a final
// group of fewer than 256 elements (cols % 256 != 0) runs the scalar rule.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's own header (activations_avx512.cc)
#endif
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/avx512/avx512_kernels.h"
#include "kernels/internal/fp16.h"
#include "kernels/internal/layouts.h"
#include "kernels/internal/prefetch.h"
#include "kernels/internal/token_tiles.h"
#include "kernels/ref/ref_kernels.h"

namespace bitgate::kernels::internal {
namespace {

// The four code planes of 64 code bytes: 0 and 2 shifted down (code), 1
// and 3 masked in place (code x 4).
struct I2SPlanes {
  __m512i c[4];
  explicit I2SPlanes(__m512i v) {
    const __m512i m03 = _mm512_set1_epi8(0x03), m0c = _mm512_set1_epi8(0x0C);
    const __m512i hi = _mm512_srli_epi16(v, 4);
    c[0] = _mm512_and_si512(v, m03);
    c[1] = _mm512_and_si512(v, m0c);
    c[2] = _mm512_and_si512(hi, m03);
    c[3] = _mm512_and_si512(hi, m0c);
  }
  // Planes 0 and 2 into a, the x4 planes into b, against the 4 activation
  // vectors at q (64 bytes a plane).
  void Accumulate(const int8_t* q, __m512i* a, __m512i* b) const {
    *a = _mm512_dpbusd_epi32(*a, c[0], _mm512_load_si512(q));
    *b = _mm512_dpbusd_epi32(*b, c[1], _mm512_load_si512(q + 64));
    *a = _mm512_dpbusd_epi32(*a, c[2], _mm512_load_si512(q + 128));
    *b = _mm512_dpbusd_epi32(*b, c[3], _mm512_load_si512(q + 192));
  }
};

// a + b / 4: b is a sum of codes x 4, so a multiple of 4 (exact).
inline __m512i Combine(__m512i a, __m512i b) { return _mm512_add_epi32(a, _mm512_srai_epi32(b, 2)); }

// A pair of full groups (512 weights, 16 blocks) as two vectors: the first
// halves of all 16 blocks, then the second halves, so int32 lane L of a
// sum is block L of the pair (the activations come laid out to match:
// internal/layouts.h, I2SActivationOffset).
struct I2SPair {
  I2SPlanes half[2];
  static __m512i Half(const uint8_t* codes, int h) {
    const __m512i v0 = _mm512_loadu_si512(codes), v1 = _mm512_loadu_si512(codes + 64);
    return _mm512_shuffle_i64x2(v0, v1, h == 0 ? 0x44 : 0xEE);  // [v0 | v1] 256-bit halves h
  }
  explicit I2SPair(const uint8_t* codes) : half{I2SPlanes(Half(codes, 0)), I2SPlanes(Half(codes, 1))} {}
  // The 16 block sums against one token's pair of activations qp, minus
  // the activation block sums (codes are t + 1).
  __m512i Sums(const int8_t* qp, const int32_t* bsum) const {
    __m512i a = _mm512_setzero_si512(), b = _mm512_setzero_si512();
    half[0].Accumulate(qp, &a, &b);
    half[1].Accumulate(qp + 256, &a, &b);
    return _mm512_sub_epi32(Combine(a, b), _mm512_loadu_si512(bsum));
  }
};

inline __m512 PairScales(const uint8_t* scales) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(scales)));
}

// A group without a partner: its 8 blocks' halves in lanes k and k + 8,
// the activations plane by plane (64 bytes each).
inline __m512i SingleGroupSums(const I2SPlanes& planes, const int8_t* qp, const int32_t* bsum) {
  __m512i a = _mm512_setzero_si512(), b = _mm512_setzero_si512();
  planes.Accumulate(qp, &a, &b);
  return _mm512_sub_epi32(Combine(a, b), _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bsum))));
}
// Its 8 scales against lanes [k, k + 8]: [d0..d7, d0..d7].
inline __m512 SingleGroupScales(const uint8_t* scales) {
  const __m256 d8 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)));
  return _mm512_insertf32x8(_mm512_castps256_ps512(d8), d8, 1);
}

// One token (decode): a pair of groups a step, one conversion and one FMA
// for its 16 block scales. Against one group a step (its two halves of a
// block in lanes k and k + 8, added across before the scales): gemv i2s
// 6912x2560 in L3 +10% in alternating runs. Exactness: a lane of b sums
// 2 vectors x 2 planes x 4 bytes of codes x 4 (at most 12, code 3 included,
// which a file may hold) x 127 = 24384, a lane of a a quarter of that: far
// inside int32 and below 2^24, so the conversions are exact.
void I2SDecode(const uint8_t* w, int64_t cols, const Activations& x, float* y, int64_t ldy, int64_t r0,
               int64_t r1) {
  const int64_t row_bytes = cols / 4 + cols / 16;
  const int64_t full = cols / kI2SGroup * kI2SGroup, paired = full / (2 * kI2SGroup) * (2 * kI2SGroup);
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const int8_t* qp = x.q_i2s(t);
    const int32_t* bsum = x.bsum32(t);
    const float scale = x.scale(t);  // I2SRowOutput's division, inline when there is no partial group
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* codes = w + r * row_bytes;
      const uint8_t* scales = codes + cols / 4;
      __m512 acc = _mm512_setzero_ps();
      int64_t g = 0;
      for (; g < paired; g += 2 * kI2SGroup) {
        PrefetchSpan(codes + g / 4, 128);  // from DRAM (internal/prefetch.h)
        PrefetchSpan(scales + g / 16, 32);
        const __m512i s = I2SPair(codes + g / 4).Sums(qp + g, bsum + g / 32);
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), PairScales(scales + g / 16), acc);
      }
      if (g < full) {
        PrefetchSpan(codes + g / 4, 64);
        PrefetchSpan(scales + g / 16, 16);
        const __m512i s = SingleGroupSums(I2SPlanes(_mm512_loadu_si512(codes + g / 4)), qp + g, bsum + g / 32);
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), SingleGroupScales(scales + g / 16), acc);
      }
      if (full < cols) {  // the partial group's lines (I2SRowOutput reads them)
        PrefetchSpan(codes + full / 4, (cols - full) / 4);
        PrefetchSpan(scales + full / 16, (cols - full) / 16);
      }
      const float sum = _mm512_reduce_add_ps(acc);
      y[t * ldy + r] = full == cols ? sum / scale : I2SRowOutput(sum, codes, cols, x, t);
    }
  }
}

// Prefill: NT tokens at a time, each pair (or lone group) decoded once for
// all of them; a token pays its vpdpbusd and one conversion and FMA.
template <int NT>
void I2STokenTile(const uint8_t* w, int64_t cols, const Activations& x, int64_t t0, float* y, int64_t ldy,
                  int64_t r0, int64_t r1) {
  const int64_t row_bytes = cols / 4 + cols / 16;
  const int64_t full = cols / kI2SGroup * kI2SGroup, paired = full / (2 * kI2SGroup) * (2 * kI2SGroup);
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* codes = w + r * row_bytes;
    const uint8_t* scales = codes + cols / 4;
    __m512 acc[NT];
    for (auto& a : acc) a = _mm512_setzero_ps();
    int64_t g = 0;
    for (; g < paired; g += 2 * kI2SGroup) {
      PrefetchSpan(codes + g / 4, 128);
      PrefetchSpan(scales + g / 16, 32);
      const I2SPair pair(codes + g / 4);
      const __m512 d16 = PairScales(scales + g / 16);
      for (int t = 0; t < NT; ++t) {
        const __m512i s = pair.Sums(x.q_i2s(t0 + t) + g, x.bsum32(t0 + t) + g / 32);
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), d16, acc[t]);
      }
    }
    if (g < full) {
      PrefetchSpan(codes + g / 4, 64);
      PrefetchSpan(scales + g / 16, 16);
      const I2SPlanes planes(_mm512_loadu_si512(codes + g / 4));
      const __m512 d16 = SingleGroupScales(scales + g / 16);
      for (int t = 0; t < NT; ++t) {
        const __m512i s = SingleGroupSums(planes, x.q_i2s(t0 + t) + g, x.bsum32(t0 + t) + g / 32);
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), d16, acc[t]);
      }
    }
    for (int t = 0; t < NT; ++t) y[(t0 + t) * ldy + r] = I2SRowOutput(_mm512_reduce_add_ps(acc[t]), codes, cols, x, t0 + t);
  }
}

}  // namespace

void MatmulI2SAvx512(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y,
                     int64_t ldy, int64_t r0, int64_t r1) {
  if (x.tokens() == 1) return I2SDecode(w, cols, x, y, ldy, r0, r1);
  ForTokenTiles(x.tokens(), [&](auto tile, int64_t t0) {
    I2STokenTile<decltype(tile)::value>(w, cols, x, t0, y, ldy, r0, r1);
  });
}

// Block k's half h (16 elements) is the 4 bytes at 32h + 4k: each byte's
// dword broadcast, lane 4j + p shifted right by 8j + 2p, and the codes
// looked up in a [-d, 0, +d] table.
void DequantizeI2SAvx512(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  const int64_t row_bytes = cols / 4 + cols / 16;
  const int64_t full = cols / kI2SGroup * kI2SGroup;
  const __m512i m3 = _mm512_set1_epi32(3);
  const __m512i shifts = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  // code - 1 for codes 0..3 (3, never written by a quantizer, is +2 as in the reference)
  const __m512 signs = _mm512_set_ps(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, -1);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* codes = src + r * row_bytes;
    const uint8_t* scales = codes + cols / 4;
    float* out = dst + r * cols;
    for (int64_t g = 0; g < full; g += kI2SGroup) {
      const uint8_t* v = codes + g / 4;
      alignas(32) float d[8];  // the group's 8 block scales
      _mm256_store_ps(d, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + g / 16))));
      for (int k = 0; k < 8; ++k) {
        const __m512 table = _mm512_mul_ps(signs, _mm512_set1_ps(d[k]));
        for (int h = 0; h < 2; ++h) {
          const __m512i lanes = _mm512_set1_epi32(static_cast<int>(LoadU32(v + 32 * h + 4 * k)));
          const __m512i c = _mm512_and_si512(_mm512_srlv_epi32(lanes, shifts), m3);
          _mm512_storeu_ps(out + g + 32 * k + 16 * h, _mm512_permutexvar_ps(c, table));
        }
      }
    }
    const int64_t gsize = cols - full;
    for (int64_t e = 0; e < gsize; ++e) {
      int64_t byte;
      int shift;
      I2SCodePosition(e, gsize, &byte, &shift);
      const float d = HalfToFloatScalar(LoadU16(scales + 2 * ((full + e) / 32)));
      out[full + e] = static_cast<float>(((codes[full / 4 + byte] >> shift) & 3) - 1) * d;
    }
  }
}

void QuantizeI2SAvx512(const float* src, int64_t rows, int64_t cols, float, uint8_t* dst) {
  const int64_t row_bytes = cols / 4 + cols / 16;
  const int64_t full = cols / kI2SGroup * kI2SGroup;
  const __m512 lo = _mm512_set1_ps(-1.0f), hi = _mm512_set1_ps(1.0f);
  const __m512i one = _mm512_set1_epi32(1);
  // code dword 8h + k (block k, half h) is packed dword 2k + h
  const __m512i pack_order = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = src + r * cols;
    uint8_t* codes = dst + r * row_bytes;
    uint8_t* scales = codes + cols / 4;
    for (int64_t g = 0; g < full; g += kI2SGroup) {
      __m512i planes[4];
      for (int b = 0; b < 8; ++b) {
        const float* x = xr + g + 32 * b;
        const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
        const __m512 a0 = _mm512_abs_ps(x0), a1 = _mm512_abs_ps(x1);
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(a0, a1));
        uint16_t d16 = 0;
        if (amax != 0.0f) {
          const __m512 vmax = _mm512_set1_ps(amax), zero = _mm512_setzero_ps();
          const bool ternary =
              (_mm512_cmp_ps_mask(a0, zero, _CMP_EQ_OQ) | _mm512_cmp_ps_mask(a0, vmax, _CMP_EQ_OQ)) == 0xffff &&
              (_mm512_cmp_ps_mask(a1, zero, _CMP_EQ_OQ) | _mm512_cmp_ps_mask(a1, vmax, _CMP_EQ_OQ)) == 0xffff;
          float scale = amax;
          if (!ternary) {  // AbsSumTree32: lane i + lane i+16, then halve the width
            const __m512 s16 = _mm512_add_ps(a0, a1);
            __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(s16), _mm512_extractf32x8_ps(s16, 1));
            __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
            s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
            s4 = _mm_add_ss(s4, _mm_movehdup_ps(s4));
            scale = _mm_cvtss_f32(s4) * (1.0f / 32.0f);
          }
          // vcvtps2ph rounds to nearest even like FloatToHalfScalar; the
          // scale is finite, positive and <= 65504 (inputs are screened).
          d16 = static_cast<uint16_t>(_mm_cvtsi128_si32(_mm_cvtps_ph(_mm_set_ss(scale), _MM_FROUND_TO_NEAREST_INT)));
        }
        StoreU16(scales + (g / 32 + b) * 2, d16);
        const float d = _cvtsh_ss(d16);  // exact, as HalfToFloatScalar (no NaN here)
        const __m512 inv = _mm512_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
        // clamp before rounding: same result as rounding then clamping, and
        // keeps the int conversion in range
        const __m512i c0 = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(x0, inv), lo), hi)), one);
        const __m512i c1 = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(x1, inv), lo), hi)), one);
        const __m256i block = _mm256_set_m128i(_mm512_cvtepi32_epi8(c1), _mm512_cvtepi32_epi8(c0));
        if (b % 2 == 0) {
          planes[b / 2] = _mm512_castsi256_si512(block);
        } else {
          planes[b / 2] = _mm512_inserti64x4(planes[b / 2], block, 1);
        }
      }
      // planes[m] holds the group's codes 64m..64m+63 as bytes. The 4 codes
      // of each dword pack into its top byte (x * 0x01041040 >> 24: no
      // carries, as every code is <= 2), which gives the group's 64 code
      // bytes in element order; one dword permute puts them in place.
      __m128i run[4];
      for (int m = 0; m < 4; ++m) {
        run[m] = _mm512_cvtepi32_epi8(
            _mm512_srli_epi32(_mm512_mullo_epi32(planes[m], _mm512_set1_epi32(0x01041040)), 24));
      }
      const __m512i packed = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set_m128i(run[1], run[0])),
                                                _mm256_set_m128i(run[3], run[2]), 1);
      _mm512_storeu_si512(codes + g / 4, _mm512_permutexvar_epi32(pack_order, packed));
    }
    if (full < cols) {  // partial final group: the scalar rule
      const int64_t gsize = cols - full;
      std::memset(codes + full / 4, 0, static_cast<size_t>(gsize / 4));
      for (int64_t b = 0; b < gsize / 32; ++b) {
        const float* x = xr + full + 32 * b;
        const uint16_t d16 = I2SBlockScale(x);
        StoreU16(scales + (full / 32 + b) * 2, d16);
        const float d = HalfToFloatScalar(d16);
        const float inv = d != 0.0f ? 1.0f / d : 0.0f;
        for (int64_t e = 32 * b; e < 32 * b + 32; ++e) {
          int64_t byte;
          int shift;
          I2SCodePosition(e, gsize, &byte, &shift);
          codes[full / 4 + byte] |= static_cast<uint8_t>(TernaryCodeHalfEven(xr[full + e], inv) << shift);
        }
      }
    }
  }
}

}  // namespace bitgate::kernels::internal
