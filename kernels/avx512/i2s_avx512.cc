// AVX-512 VNNI kernels of I2S (ours): 32-element blocks with an f16 scale.
//
// A 256-element group is 64 code bytes whose plane p holds elements
// 64p..64p+63, i.e. two whole blocks: after vpdpbusd, int32 lanes 0-7 belong
// to block 2p and lanes 8-15 to block 2p+1, so one multiply by a per-lane
// scale vector [d(2p) x8, d(2p+1) x8] applies the block scales without any
// horizontal reduction. The sum(q) correction per block is a separate
// 8-wide dot of the scales with the activation block sums. A final group of
// fewer than 256 elements (cols % 256 != 0) runs the scalar rule.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/avx512/avx512_kernels.h"
#include "kernels/internal/fp16.h"
#include "kernels/internal/layouts.h"
#include "kernels/internal/prefetch.h"
#include "kernels/ref/ref_kernels.h"

namespace bitgate::kernels::internal {
namespace {

// Scalar contribution of a partial final group (g elements) of one row.
float I2STailGroup(const uint8_t* codes, const uint8_t* scales, int64_t g, const int8_t* q,
                   const int32_t* bsum) {
  float acc = 0.0f;
  for (int64_t b = 0; b < g / kI2SBlock; ++b) {
    int32_t isum = 0;
    for (int64_t e = b * kI2SBlock; e < (b + 1) * kI2SBlock; ++e) {
      int64_t byte;
      int shift;
      I2SCodePosition(e, g, &byte, &shift);
      isum += ((codes[byte] >> shift) & 3) * q[e];
    }
    acc += HalfToFloatScalar(LoadU16(scales + 2 * b)) * static_cast<float>(isum - bsum[b]);
  }
  return acc;
}


}  // namespace

// Plane p of a group (64 code bytes, bits 2p..2p+1) is blocks 2p and 2p+1,
// so one 512-bit vpdpbusd gives block 2p in int32 lanes 0-7 and block 2p+1
// in lanes 8-15, scaled by one vpermps-spread vector [d(2p) x8, d(2p+1) x8].
// The codes are masked in place, not shifted down: plane p's codes enter
// vpdpbusd as code * 4^p (at most 2 * 64 = 128, still a u8), and each
// plane's accumulator is scaled by 4^-p once per row. Powers of two are
// exact, so every term equals d * sum(code * q) as the reference computes
// it. Per-plane accumulators are independent FMA chains, and the scales
// are spread by permutes (a stored vector re-read as broadcasts stalls on
// store forwarding).
void MatmulI2SAvx512(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y,
                     int64_t ldy, int64_t r0, int64_t r1) {
  const int64_t row_bytes = cols / 4 + cols / 16;
  const int64_t full = cols / kI2SGroup * kI2SGroup;
  __m512i spread[4];
  for (int p = 0; p < 4; ++p) {  // lanes 0-7 take scale 2p, lanes 8-15 scale 2p + 1
    spread[p] = _mm512_mask_blend_epi32(0xff00, _mm512_set1_epi32(2 * p), _mm512_set1_epi32(2 * p + 1));
  }
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const int8_t* q = x.q(t);
    const int32_t* bsum = x.bsum32(t);
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* codes = w + r * row_bytes;
      const uint8_t* scales = codes + cols / 4;
      __m512 acc[4];
      for (auto& a : acc) a = _mm512_setzero_ps();
      __m256 corr = _mm256_setzero_ps();
      for (int64_t g = 0; g < full; g += kI2SGroup) {
        PrefetchSpan(codes + g / 4, 64);  // from DRAM: 10.4-13.8 -> 14.8 GB/s (x16)
        PrefetchSpan(scales + g / 16, 16);
        const __m256 d8 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + g / 16)));
        const __m512 d16 = _mm512_zextps256_ps512(d8);
        const __m512i v = _mm512_loadu_si512(codes + g / 4);
        const int8_t* qg = q + g;
        for (int p = 0; p < 4; ++p) {
          const __m512i c = _mm512_and_si512(v, _mm512_set1_epi8(static_cast<char>(3 << (2 * p))));
          const __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), c, _mm512_loadu_si512(qg + 64 * p));
          acc[p] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_permutexvar_ps(spread[p], d16), acc[p]);
        }
        const __m256 bs = _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bsum + g / 32)));
        corr = _mm256_fmadd_ps(d8, bs, corr);
      }
      __m512 sum = _mm512_add_ps(acc[0], _mm512_mul_ps(acc[1], _mm512_set1_ps(1.0f / 4)));
      sum = _mm512_add_ps(sum, _mm512_mul_ps(acc[2], _mm512_set1_ps(1.0f / 16)));
      sum = _mm512_add_ps(sum, _mm512_mul_ps(acc[3], _mm512_set1_ps(1.0f / 64)));
      const __m256 half = _mm256_add_ps(_mm512_castps512_ps256(sum), _mm512_extractf32x8_ps(sum, 1));
      const __m256 diff = _mm256_sub_ps(half, corr);
      __m128 h = _mm_add_ps(_mm256_castps256_ps128(diff), _mm256_extractf128_ps(diff, 1));
      h = _mm_add_ps(h, _mm_movehl_ps(h, h));
      h = _mm_add_ss(h, _mm_movehdup_ps(h));
      float total = _mm_cvtss_f32(h);
      if (full < cols) {
        total += I2STailGroup(codes + full / 4, scales + full / 16, cols - full, q + full, bsum + full / 32);
      }
      y[t * ldy + r] = total / x.scale(t);
    }
  }
}

void DequantizeI2SAvx512(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  const int64_t row_bytes = cols / 4 + cols / 16;
  const int64_t full = cols / kI2SGroup * kI2SGroup;
  const __m512i m3 = _mm512_set1_epi8(3);
  const __m512 signs = _mm512_set_ps(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, -1);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* codes = src + r * row_bytes;
    const uint8_t* scales = codes + cols / 4;
    float* out = dst + r * cols;
    for (int64_t g = 0; g < full; g += kI2SGroup) {
      const __m512i v = _mm512_loadu_si512(codes + g / 4);
      alignas(32) float d[8];  // the group's 8 block scales
      _mm256_store_ps(d, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + g / 16))));
      for (int p = 0; p < 4; ++p) {
        const __m512i c = _mm512_and_si512(p ? _mm512_srli_epi16(v, 2 * p) : v, m3);
        const __m512 tables[2] = {_mm512_mul_ps(signs, _mm512_set1_ps(d[2 * p])),
                                  _mm512_mul_ps(signs, _mm512_set1_ps(d[2 * p + 1]))};
        for (int qq = 0; qq < 4; ++qq) {
          const __m512 table = tables[qq / 2];
          const __m512i idx = _mm512_cvtepu8_epi32(Lane128(c, qq));
          _mm512_storeu_ps(out + g + 64 * p + 16 * qq, _mm512_permutexvar_ps(idx, table));
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
      __m512i out = planes[0];
      for (int p = 1; p < 4; ++p) out = _mm512_or_si512(out, _mm512_slli_epi16(planes[p], 2 * p));
      _mm512_storeu_si512(codes + g / 4, out);
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
