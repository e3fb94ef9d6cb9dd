// AVX2 dequantization of F16, BF16 and TQ1_0, bit-exact with the scalar
// reference (kernels/ref/float_ref.cc, tq1_0_ref.cc). The AVX-512 path uses
// these too (its table entries are empty: the work is conversion and
// stores, which wider vectors do not speed up on the machines we measure).
#include <immintrin.h>

#include <cstring>

#include "kernels/avx2/avx2_kernels.h"
#include "kernels/internal/fp16.h"
#include "kernels/internal/layouts.h"

namespace bitgate::kernels::internal {

void DequantizeF16Avx2(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  const int64_t n = rows * cols;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 f = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * i)));
    _mm256_storeu_ps(dst + i, f);
    // vcvtph2ps quiets signaling NaNs; the reference keeps the bits.
    if (_mm256_movemask_ps(_mm256_cmp_ps(f, f, _CMP_UNORD_Q)) != 0) {
      for (int64_t j = i; j < i + 8; ++j) dst[j] = HalfToFloatScalar(LoadU16(src + 2 * j));
    }
  }
  for (; i < n; ++i) dst[i] = HalfToFloatScalar(LoadU16(src + 2 * i));
}

void DequantizeBF16Avx2(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  const int64_t n = rows * cols;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 2 * i));
    const __m256i lo = _mm256_unpacklo_epi16(_mm256_setzero_si256(), h);  // elements 0-3, 8-11
    const __m256i hi = _mm256_unpackhi_epi16(_mm256_setzero_si256(), h);  // elements 4-7, 12-15
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_permute2x128_si256(lo, hi, 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
  }
  for (; i < n; ++i) dst[i] = Bf16ToFloatScalar(LoadU16(src + 2 * i));
}

namespace {
inline __m256i Mul3(__m256i v) { return _mm256_add_epi8(v, _mm256_add_epi8(v, v)); }
inline __m256i Mul9(__m256i v) {
  return _mm256_add_epi8(v, _mm256_and_si256(_mm256_slli_epi16(v, 3), _mm256_set1_epi8(static_cast<char>(0xF8))));
}
}  // namespace

// Trits as in MatmulTQ1_0Avx2 (offset-domain bytes, two compares), then
// code -> (code - 1) * d through a permute of the 3-entry table, the
// reference's expression.
void DequantizeTQ1_0Avx2(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  const auto* blk = reinterpret_cast<const BlockTQ1_0*>(src);
  const int64_t nb = rows * cols / 256;
  const __m256i offset = _mm256_set1_epi8(static_cast<char>(0x80)), two = _mm256_set1_epi8(2);
  __m256i lt86 = _mm256_set1_epi8(-42), lt171 = _mm256_set1_epi8(43);
  __asm__("" : "+x"(lt86), "+x"(lt171));  // keep each compare one instruction
  const __m128i hk = _mm_setr_epi16(1, 1, 3, 3, 9, 9, 27, 27), hi_mask = _mm_set1_epi16(static_cast<short>(0xFF00));
  for (int64_t b = 0; b < nb; ++b) {
    const __m256 table = _mm256_mul_ps(_mm256_setr_ps(-1, 0, 1, 0, 0, 0, 0, 0), _mm256_set1_ps(_cvtsh_ss(blk[b].d)));
    __m256i s[8];
    s[0] = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[b].qs)), offset);
    for (int n = 1; n < 5; ++n) s[n] = Mul3(s[n - 1]);
    const __m256i q1 = _mm256_xor_si256(
        _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[b].qs + 32))), offset);
    s[5] = _mm256_blend_epi32(q1, Mul3(q1), 0xF0);
    s[6] = Mul9(s[5]);
    uint32_t qh;
    std::memcpy(&qh, blk[b].qh, 4);
    const __m128i h = _mm_xor_si128(_mm_set1_epi32(static_cast<int>(qh)), _mm256_castsi256_si128(offset));
    const __m128i hv = _mm_or_si128(_mm_andnot_si128(hi_mask, _mm_mullo_epi16(h, hk)),
                                    _mm_mullo_epi16(_mm_and_si128(h, hi_mask), hk));
    s[7] = _mm256_inserti128_si256(Mul9(s[6]), hv, 1);
    float* out = dst + 256 * b;
    for (int i = 0; i < 8; ++i) {
      // t = 2 + (-[c < 86]) + (-[c < 171])
      const __m256i t = _mm256_add_epi8(two, _mm256_add_epi8(_mm256_cmpgt_epi8(lt86, s[i]), _mm256_cmpgt_epi8(lt171, s[i])));
      const __m128i lo = _mm256_castsi256_si128(t), hi = _mm256_extracti128_si256(t, 1);
      const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
      for (int k = 0; k < 4; ++k) {
        _mm256_storeu_ps(out + 32 * i + 8 * k, _mm256_permutevar8x32_ps(table, _mm256_cvtepu8_epi32(parts[k])));
      }
    }
  }
}

}  // namespace bitgate::kernels::internal
