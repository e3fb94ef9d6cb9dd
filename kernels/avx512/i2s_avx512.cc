// AVX-512 VNNI kernels of I2S (ours): 32-element blocks with an f16 scale.
//
// A full group is 64 code bytes whose 4-byte lane L holds 16 elements of
// block L % 8 (internal/layouts.h), and the activations come reordered to
// match (Activations::q_i2s), so the four code planes go through vpdpbusd
// into the same int32 lanes: lane k + lane k + 8 is block k's sum, and one
// conversion and one FMA per group apply the 8 block scales in their
// stored order. A final group of fewer than 256 elements (cols % 256 != 0)
// runs the scalar rule.
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

// A group's four code planes: 0 and 2 shifted down (code), 1 and 3 masked
// in place (code x 4).
struct I2SPlanes {
  __m512i c[4];
  explicit I2SPlanes(const uint8_t* codes) {
    const __m512i m03 = _mm512_set1_epi8(0x03), m0c = _mm512_set1_epi8(0x0C);
    const __m512i v = _mm512_loadu_si512(codes), hi = _mm512_srli_epi16(v, 4);
    c[0] = _mm512_and_si512(v, m03);
    c[1] = _mm512_and_si512(v, m0c);
    c[2] = _mm512_and_si512(hi, m03);
    c[3] = _mm512_and_si512(hi, m0c);
  }
  // Half-block sums against one token's reordered activations qp: planes 0
  // and 2 in one sum, the x4 planes in another, shifted back (a multiple of
  // 4: exact). Lanes k and k + 8 are block k's halves.
  __m512i Sums(const int8_t* qp) const {
    __m512i a = _mm512_dpbusd_epi32(_mm512_setzero_si512(), c[0], _mm512_load_si512(qp));
    __m512i b = _mm512_dpbusd_epi32(_mm512_setzero_si512(), c[1], _mm512_load_si512(qp + 64));
    a = _mm512_dpbusd_epi32(a, c[2], _mm512_load_si512(qp + 128));
    b = _mm512_dpbusd_epi32(b, c[3], _mm512_load_si512(qp + 192));
    return _mm512_add_epi32(a, _mm512_srai_epi32(b, 2));
  }
};

// One group of one token: the block sums minus the activation block sums,
// scaled by the group's 8 f16 scales in one FMA.
inline __m256 I2SGroup(const uint8_t* codes, const uint8_t* scales, const int8_t* qp, const int32_t* bsum,
                       __m256 acc) {
  const __m512i s = I2SPlanes(codes).Sums(qp);
  __m256i s8 = _mm256_add_epi32(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
  s8 = _mm256_sub_epi32(s8, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bsum)));
  const __m256 d8 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)));
  return _mm256_fmadd_ps(_mm256_cvtepi32_ps(s8), d8, acc);
}

// One token (decode): two groups per step, each with its own accumulator.
// Exactness: a lane of a or b holds at most 2 x 4 x 2 x 4 x 127 (b's factor
// 4 included), far inside int32 and below 2^24: the conversions are exact.
void I2SDecode(const uint8_t* w, int64_t cols, const Activations& x, float* y, int64_t ldy, int64_t r0,
               int64_t r1) {
  const int64_t row_bytes = cols / 4 + cols / 16;
  const int64_t full = cols / kI2SGroup * kI2SGroup;
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const int8_t* qp = x.q_i2s(t);
    const int32_t* bsum = x.bsum32(t);
    const float scale = x.scale(t);  // I2SRowOutput's division, inline when there is no partial group
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* codes = w + r * row_bytes;
      const uint8_t* scales = codes + cols / 4;
      __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
      int64_t g = 0;
      for (; g + 2 * kI2SGroup <= full; g += 2 * kI2SGroup) {
        PrefetchSpan(codes + g / 4, 128);  // from DRAM (internal/prefetch.h)
        PrefetchSpan(scales + g / 16, 32);
        acc0 = I2SGroup(codes + g / 4, scales + g / 16, qp + g, bsum + g / 32, acc0);
        acc1 = I2SGroup(codes + g / 4 + 64, scales + g / 16 + 16, qp + g + 256, bsum + g / 32 + 8, acc1);
      }
      if (g < full) {
        PrefetchSpan(codes + g / 4, 64);
        PrefetchSpan(scales + g / 16, 16);
        acc0 = I2SGroup(codes + g / 4, scales + g / 16, qp + g, bsum + g / 32, acc0);
      }
      if (full < cols) {  // the partial group's lines (I2SRowOutput reads them)
        PrefetchSpan(codes + full / 4, (cols - full) / 4);
        PrefetchSpan(scales + full / 16, (cols - full) / 16);
      }
      const __m256 sum = _mm256_add_ps(acc0, acc1);
      __m128 h = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
      h = _mm_add_ps(h, _mm_movehl_ps(h, h));
      h = _mm_add_ss(h, _mm_movehdup_ps(h));
      y[t * ldy + r] = full == cols ? _mm_cvtss_f32(h) / scale : I2SRowOutput(_mm_cvtss_f32(h), codes, cols, x, t);
    }
  }
}

// Prefill: NT tokens at a time, each group decoded once for all of them.
// A token pays four vpdpbusd, and its epilogue stays 512 bits wide: the
// block sums minus the activation sums (lanes 0-7; lanes 8-15 hold the
// blocks' second halves) convert and meet the scales [d0..d7, d0..d7].
template <int NT>
void I2STokenTile(const uint8_t* w, int64_t cols, const Activations& x, int64_t t0, float* y, int64_t ldy,
                  int64_t r0, int64_t r1) {
  const int64_t row_bytes = cols / 4 + cols / 16;
  const int64_t full = cols / kI2SGroup * kI2SGroup;
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* codes = w + r * row_bytes;
    const uint8_t* scales = codes + cols / 4;
    __m512 acc[NT];
    for (auto& a : acc) a = _mm512_setzero_ps();
    for (int64_t g = 0; g < full; g += kI2SGroup) {
      PrefetchSpan(codes + g / 4, 64);
      PrefetchSpan(scales + g / 16, 16);
      const I2SPlanes planes(codes + g / 4);
      const __m256 d8 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + g / 16)));
      const __m512 d16 = _mm512_insertf32x8(_mm512_castps256_ps512(d8), d8, 1);
      for (int t = 0; t < NT; ++t) {
        const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.bsum32(t0 + t) + g / 32));
        const __m512i s = _mm512_sub_epi32(planes.Sums(x.q_i2s(t0 + t) + g), _mm512_zextsi256_si512(bs));
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
