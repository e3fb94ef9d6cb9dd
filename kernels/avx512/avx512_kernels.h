// Internal: AVX-512 (F/BW/VL/VNNI) kernels; defined in avx512/*.cc.
#pragma once

#include "kernels/internal/kernel_table.h"

#ifdef __AVX512F__
#include <immintrin.h>

namespace bitgate::kernels::internal {
// 128-bit lane i (0..3) of v; the intrinsic needs an immediate.
inline __m128i Lane128(__m512i v, int i) {
  switch (i) {
    case 0: return _mm512_castsi512_si128(v);
    case 1: return _mm512_extracti32x4_epi32(v, 1);
    case 2: return _mm512_extracti32x4_epi32(v, 2);
    default: return _mm512_extracti32x4_epi32(v, 3);
  }
}

// max |x| over the 256 floats of a TQ1_0 / TQ2_0 block (its scale).
inline float AbsMax256(const float* x) {
  __m512 m = _mm512_setzero_ps();
  for (int i = 0; i < 16; ++i) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(x + 16 * i)));
  return _mm512_reduce_max_ps(m);
}

// Ternary codes of 16 floats as the llama.cpp quantizers make them:
// lroundf(x * id) + 1 for |x * id| <= 1, i.e. 2 from 0.5 up, 0 from -0.5
// down, else 1 (int32 lanes).
inline __m512i TernaryCodes16(const float* p, __m512 vid) {
  const __m512i one = _mm512_set1_epi32(1);
  const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(p), vid);
  const __m512i code = _mm512_mask_add_epi32(one, _mm512_cmp_ps_mask(v, _mm512_set1_ps(0.5f), _CMP_GE_OQ), one, one);
  return _mm512_mask_sub_epi32(code, _mm512_cmp_ps_mask(v, _mm512_set1_ps(-0.5f), _CMP_LE_OQ), code, one);
}
}  // namespace bitgate::kernels::internal
#endif

namespace bitgate::kernels::internal {

void MatmulTQ2_0Avx512(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                       int64_t ldy, int64_t r0, int64_t r1);
// One token: a 512-bit decode kernel; two or more: VNNI tiles of 4 rows x 4 tokens.
void MatmulI2_SAvx512(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                      int64_t ldy, int64_t r0, int64_t r1);
void MatmulI2SAvx512(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                     int64_t ldy, int64_t r0, int64_t r1);
void MatmulTQ1_0Avx512(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                       int64_t ldy, int64_t r0, int64_t r1);
void MatmulF32Avx512(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                     int64_t ldy, int64_t r0, int64_t r1);
void MatmulBF16Avx512(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                      int64_t ldy, int64_t r0, int64_t r1);
void MatmulTL1Avx512(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                     int64_t ldy, int64_t r0, int64_t r1);
void MatmulTL2Avx512(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                     int64_t ldy, int64_t r0, int64_t r1);
// The two TL kernels behind those entries (which one runs: Avx512VbmiTlSupported).
// Shuffle: vpshufb lookups re-paired into int16 (any AVX-512 VNNI core).
// Vbmi: vpermb lookups summed by vpdpbusd; needs AVX512_VBMI and AVX512_BITALG.
void MatmulTL1Avx512Shuffle(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                            int64_t ldy, int64_t r0, int64_t r1);
void MatmulTL2Avx512Shuffle(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                            int64_t ldy, int64_t r0, int64_t r1);
void MatmulTL1Avx512Vbmi(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                         int64_t ldy, int64_t r0, int64_t r1);
// The kernel the AVX-512 entry of TL1 or TL2 (f) runs on this CPU: Vbmi where
// Avx512VbmiTlSupported(), else Shuffle.
MatmulFn Avx512TlKernel(Format f);
void MatmulTL2Avx512Vbmi(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                         int64_t ldy, int64_t r0, int64_t r1);

void MatmulQ8_0Avx512(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                      int64_t ldy, int64_t r0, int64_t r1);

void DequantizeTQ2_0Avx512(const uint8_t* src, int64_t rows, int64_t cols, float* dst);
void DequantizeI2_SAvx512(const uint8_t* src, int64_t rows, int64_t cols, float* dst);
void DequantizeI2SAvx512(const uint8_t* src, int64_t rows, int64_t cols, float* dst);
void QuantizeTQ2_0Avx512(const float* src, int64_t rows, int64_t cols, float scale, uint8_t* dst);
void QuantizeQ8_0Avx512(const float* src, int64_t rows, int64_t cols, float scale, uint8_t* dst);
void QuantizeI2SAvx512(const float* src, int64_t rows, int64_t cols, float scale, uint8_t* dst);
void QuantizeTQ1_0Avx512(const float* src, int64_t rows, int64_t cols, float scale, uint8_t* dst);

}  // namespace bitgate::kernels::internal
