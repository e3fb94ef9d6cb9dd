// I2_S matmul on the AVX-512 path: a 512-bit VNNI decode kernel for one
// token and VNNI tiles for prefill.
//
// Both use vpdpbusd, which fuses the u8 x s8 products and the four-way sum
// that vpmaddubsw + vpmaddwd take two instructions (and a 16-bit add chain)
// for. The accumulators stay int32 for the whole row: I2_S has one scale
// per tensor, so the row's sum(code * q) - sum(q) is converted once.
//
// Decode (one token) streams every weight from DRAM once: the kernel keeps
// its arithmetic well under the memory time (1.5x the AVX2 kernel in cache)
// and prefetches the stream (internal/prefetch.h). Prefill (two or more
// tokens) is bound by arithmetic: each 64-byte group (256 codes, four 2-bit
// planes, high bits first) is decoded once and multiplied into every token
// of a tile.
//
// Overflow: decode masks planes in place, so a code enters as at most
// 3 * 64 = 192 (code 3: no quantizer writes it, a file may hold it) and one
// vpdpbusd adds at most 4 * 192 * 127 = 97536 to a lane, once per 256
// weights; prefill adds at most 4 * 3 * 127 = 1524 to a lane up to 8 times
// per 256 weights. ValidateShape caps rows at kMaxCols = 2^22 columns, so
// lanes stay below 16384 * 97536 < 2^31.
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's own header (activations_avx512.cc)
#include <immintrin.h>

#include "kernels/avx512/avx512_kernels.h"
#include "kernels/internal/fp16.h"
#include "kernels/internal/layouts.h"
#include "kernels/internal/prefetch.h"
#include "kernels/internal/token_tiles.h"

namespace bitgate::kernels::internal {
namespace {

inline int32_t HSumEpi32(__m128i s) {
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

inline int32_t HSumEpi32(__m256i v) {
  return HSumEpi32(_mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
}

// A shuffle tree. Storing the 16 lanes and adding them as scalars, as this
// once did, stalled on store forwarding: a 2560-column decode paid about 12
// cycles a row for it (gemv 6912x2560 125.7 -> 132-142 G weights/s with
// the tree, alternating runs; 2560x6912, with 2.7x fewer rows, 152 both).
inline int32_t HSumEpi32(__m512i v) { return _mm512_reduce_add_epi32(v); }

inline __m256i Load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// R rows x T tokens per pass: each row's 64-byte group is decoded plane by
// plane, and each activation load feeds all R rows, so loads per vpdpbusd
// fall to 1/R (a row-at-a-time tile is bound by the activation loads, not
// the multiplies). 4 x 4 measured best of 2x8, 4x4, 4x6 and 8x2
// (gemm i2_s 6912x2560 t32 against tq2_0 in the same run: 1.12 vs
// 0.89-0.98); 16 accumulators leave registers for codes and loads.
template <int R, int T>
void I2_STileVnni(const uint8_t* w, int64_t cols, float wscale, const Activations& x, int64_t t0, float* y,
                  int64_t ldy, int64_t r) {
  const int64_t full = cols / 256 * 256;
  const __m256i m3 = _mm256_set1_epi8(3);
  const int8_t* a[T];
  for (int t = 0; t < T; ++t) a[t] = x.q_interleaved(t0 + t);
  const uint8_t* row[R];
  for (int i = 0; i < R; ++i) row[i] = w + (r + i) * cols / 4;
  __m512i acc512[R][T];
  __m256i acc[R][T];
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < T; ++t) {
      acc512[i][t] = _mm512_setzero_si512();
      acc[i][t] = _mm256_setzero_si256();
    }
  // A 256-group's 64 bytes hold plane l of interleaved positions 64l..64l+63.
  const __m512i m3z = _mm512_set1_epi8(3);
  for (int64_t g = 0; g < full; g += 256) {
    __m512i v[R];
    for (int i = 0; i < R; ++i) v[i] = _mm512_loadu_si512(row[i] + g / 4);
    for (int l = 0; l < 4; ++l) {
      const int shift = 6 - 2 * l;
      __m512i c[R];
      for (int i = 0; i < R; ++i) c[i] = _mm512_and_si512(shift ? _mm512_srli_epi16(v[i], shift) : v[i], m3z);
      for (int t = 0; t < T; ++t) {
        const __m512i q = _mm512_loadu_si512(a[t] + g + 64 * l);
        for (int i = 0; i < R; ++i) acc512[i][t] = _mm512_dpbusd_epi32(acc512[i][t], c[i], q);
      }
    }
  }

  if (full < cols) {  // a final 128-block, natural order: plane l at 32l
    for (int l = 0; l < 4; ++l) {
      const int shift = 6 - 2 * l;
      __m256i c[R];
      for (int i = 0; i < R; ++i) {
        const __m256i v = Load256(row[i] + full / 4);
        c[i] = _mm256_and_si256(shift ? _mm256_srli_epi16(v, shift) : v, m3);
      }
      for (int t = 0; t < T; ++t) {
        const __m256i q = Load256(a[t] + full + 32 * l);
        for (int i = 0; i < R; ++i) acc[i][t] = _mm256_dpbusd_epi32(acc[i][t], c[i], q);
      }
    }
  }
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < T; ++t) {
      const int32_t sum = HSumEpi32(acc512[i][t]) + HSumEpi32(acc[i][t]) - x.row_sum(t0 + t);
      y[(t0 + t) * ldy + r + i] = static_cast<float>(sum) / x.scale(t0 + t) * wscale;
    }
}

// One token (decode), a row at a time. Plane l of a 64-byte group is
// masked in place (3 << (6 - 2l)), not shifted, so it enters the products
// as code x 4^(3-l) <= 128 in an accumulator of its own, scaled back by an
// exact arithmetic shift once per row: per 256 weights one load, four ANDs
// and four vpdpbusd. Tiles of 2 and 4 rows, which share the activation
// loads, were no faster in cache and slower from DRAM.
void I2_SDecode(const uint8_t* w, int64_t cols, float wscale, const Activations& x, float* y, int64_t r0,
                int64_t r1) {
  const int64_t full = cols / 256 * 256;
  const int8_t* a = x.q_interleaved(0);
  const float act_scale = x.scale(0);
  const int32_t qsum = x.row_sum(0);
  const __m512i mask[4] = {_mm512_set1_epi8(static_cast<char>(0xc0)), _mm512_set1_epi8(0x30),
                           _mm512_set1_epi8(0x0c), _mm512_set1_epi8(0x03)};
  const __m256i m3 = _mm256_set1_epi8(3);
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w + r * cols / 4;
    __m512i acc[4];
    for (auto& s : acc) s = _mm512_setzero_si512();
    for (int64_t g = 0; g < full; g += 256) {
      PrefetchStream(row + g / 4);
      const __m512i v = _mm512_loadu_si512(row + g / 4);
      for (int l = 0; l < 4; ++l)
        acc[l] = _mm512_dpbusd_epi32(acc[l], _mm512_and_si512(v, mask[l]), _mm512_loadu_si512(a + g + 64 * l));
    }
    __m512i s = _mm512_add_epi32(_mm512_srai_epi32(acc[0], 6), _mm512_srai_epi32(acc[1], 4));
    s = _mm512_add_epi32(s, _mm512_add_epi32(_mm512_srai_epi32(acc[2], 2), acc[3]));
    if (full < cols) {  // a final 128-block, natural order: plane l at 32l
      const __m256i v = Load256(row + full / 4);
      __m256i t = _mm256_setzero_si256();
      for (int l = 0; l < 4; ++l) {
        const int shift = 6 - 2 * l;
        t = _mm256_dpbusd_epi32(t, _mm256_and_si256(shift ? _mm256_srli_epi16(v, shift) : v, m3),
                                Load256(a + full + 32 * l));
      }
      s = _mm512_add_epi32(s, _mm512_zextsi256_si512(t));
    }
    // The reference's expression, in its order: wscale / scale folded into
    // one factor differed by an ulp, and overflowed to Inf (0 x Inf = NaN)
    // for an extreme but finite tensor scale.
    y[r] = static_cast<float>(HSumEpi32(s) - qsum) / act_scale * wscale;
  }
}

// Rows r0..r1 against tokens t0..t0+T-1, four rows at a time.
template <int T>
void I2_STokens(const uint8_t* w, int64_t cols, float wscale, const Activations& x, int64_t t0, float* y,
                int64_t ldy, int64_t r0, int64_t r1) {
  int64_t r = r0;
  for (; r + 4 <= r1; r += 4) I2_STileVnni<4, T>(w, cols, wscale, x, t0, y, ldy, r);
  for (; r < r1; ++r) I2_STileVnni<1, T>(w, cols, wscale, x, t0, y, ldy, r);
}

}  // namespace

void MatmulI2_SAvx512(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                      int64_t ldy, int64_t r0, int64_t r1) {
  const int64_t tokens = x.tokens();
  const float wscale = LoadF32(w + rows * cols / 4);
  if (tokens == 1) return I2_SDecode(w, cols, wscale, x, y, r0, r1);
  ForTokenTiles(tokens, [&](auto tile, int64_t t0) {
    I2_STokens<decltype(tile)::value>(w, cols, wscale, x, t0, y, ldy, r0, r1);
  });
}

}  // namespace bitgate::kernels::internal
