// AVX-512 VNNI kernels of the 2-bit ternary formats TQ2_0 and I2_S
// (I2_S matmul is in i2_s_avx512.cc).
//
// Both pack 128 weights in 32 bytes as four 2-bit planes with codes
// {0, 1, 2} = {-1, 0, +1}; they differ in plane order (TQ2_0 low bits first,
// I2_S high bits first) and scales (f16 per 256-block vs f32 per tensor).
// Codes are unsigned, so vpdpbusd (u8 x s8, four products summed into each
// int32 lane) applies directly; sum(code * q) - sum(q) restores the signs.
// One 64-byte load yields 256 codes; the activations were reordered once per
// token (Activations::q_interleaved) so each plane meets 64 contiguous bytes.
//
// Overflow: the int32 sums restart every 256-weight block (each block meets
// its own scale), and a block adds at most 8 * 4 * 12 * 127 = 48768 to a
// lane (code 3 included): no row length can overflow them.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "kernels/avx512/avx512_kernels.h"
#include "kernels/internal/fp16.h"
#include "kernels/internal/layouts.h"
#include "kernels/internal/prefetch.h"
#include "kernels/internal/token_tiles.h"

namespace bitgate::kernels::internal {
namespace {

// The four code planes of 64 packed bytes, in element order.
template <bool kHighBitsFirst>
inline void DecodePlanes(const uint8_t* p, __m512i c[4]) {
  const __m512i m3 = _mm512_set1_epi8(3);
  const __m512i v = _mm512_loadu_si512(p);
  const __m512i p0 = _mm512_and_si512(v, m3);
  const __m512i p1 = _mm512_and_si512(_mm512_srli_epi16(v, 2), m3);
  const __m512i p2 = _mm512_and_si512(_mm512_srli_epi16(v, 4), m3);
  const __m512i p3 = _mm512_and_si512(_mm512_srli_epi16(v, 6), m3);
  if (kHighBitsFirst) {
    c[0] = p3, c[1] = p2, c[2] = p1, c[3] = p0;
  } else {
    c[0] = p0, c[1] = p1, c[2] = p2, c[3] = p3;
  }
}

// TQ2_0 runs on 256-bit VNNI: the 66-byte block stride splits every 64-byte
// load across cache lines, and on cores that execute 512-bit operations as
// two halves (Zen 4) the narrower form measured faster (docs/KERNELS.md).
template <int T>
void TQ2_0Tile(const uint8_t* w, int64_t cols, const Activations& x, int64_t t0, float* y,
               int64_t ldy, int64_t r0, int64_t r1) {
  const int64_t nb = cols / 256;
  const int8_t* a[T];
  const int32_t* bsum[T];
  for (int t = 0; t < T; ++t) {
    a[t] = x.q_interleaved(t0 + t);
    bsum[t] = x.bsum256(t0 + t);
  }
  const __m256i m3 = _mm256_set1_epi8(3);
  for (int64_t r = r0; r < r1; ++r) {
    const auto* blk = reinterpret_cast<const BlockTQ2_0*>(w) + r * nb;
    __m256 acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[b].qs));
      const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[b].qs + 32));
      __m256i c0[4], c1[4];
      for (int l = 0; l < 4; ++l) {
        c0[l] = _mm256_and_si256(l ? _mm256_srli_epi16(v0, 2 * l) : v0, m3);
        c1[l] = _mm256_and_si256(l ? _mm256_srli_epi16(v1, 2 * l) : v1, m3);
      }
      const __m256 d = _mm256_set1_ps(_cvtsh_ss(blk[b].d));
      for (int t = 0; t < T; ++t) {
        const int8_t* ab = a[t] + b * 256;
        // Start from -bsum in lane 0: the block's lanes then sum to sum(t * q).
        __m256i s = _mm256_zextsi128_si256(_mm_cvtsi32_si128(-bsum[t][b]));
        __m256i s2 = _mm256_setzero_si256();
        for (int l = 0; l < 4; ++l) {
          // half j = 0 meets interleaved positions 64l, half j = 32 meets 64l + 32
          s = _mm256_dpbusd_epi32(s, c0[l], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab + 64 * l)));
          s2 = _mm256_dpbusd_epi32(s2, c1[l], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab + 64 * l + 32)));
        }
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(s, s2)), d, acc[t]);
      }
    }
    for (int t = 0; t < T; ++t) {
      __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc[t]), _mm256_extractf128_ps(acc[t], 1));
      h = _mm_add_ps(h, _mm_movehl_ps(h, h));
      h = _mm_add_ss(h, _mm_movehdup_ps(h));
      y[(t0 + t) * ldy + r] = _mm_cvtss_f32(h) / x.scale(t0 + t);
    }
  }
}

// One token (decode): R rows per pass, so each activation load feeds R
// rows, and the weight stream prefetched (internal/prefetch.h). A block is
// 66 bytes and starts at an even offset within its cache line (tensors are
// at least 32-byte aligned), so the lines holding its bytes 0 and 65 are
// all the lines it touches: prefetching only one line per block skipped
// one line in 32, and each skipped line then stalled the loop for a full
// DRAM latency (10 GB/s against 15 without any prefetch).
//
// Decoding takes one shift per 32 bytes: v & 3 and (v >> 4) & 3 are planes
// 0 and 2, while planes 1 and 3 are masked in place (v & 12, (v >> 4) & 12)
// and enter as 4 x code in an accumulator of their own, shifted back once
// per block (its sum is a multiple of 4: exact). Three shifts a half, one
// per plane, made the loop bound by vector operations, not by memory: in
// cache 26.3 GB/s, below a quiet host's `membw/read` (29-30).
template <int R>
void TQ2_0DecodeRows(const BlockTQ2_0* w, int64_t nb, const int8_t* a, const int32_t* bsum, float inv,
                     float* y, int64_t r) {
  const __m256i m3 = _mm256_set1_epi8(3), m12 = _mm256_set1_epi8(12);
  const BlockTQ2_0* blk[R];
  __m256 acc[R];
  for (int i = 0; i < R; ++i) {
    blk[i] = w + (r + i) * nb;
    acc[i] = _mm256_setzero_ps();
  }
  for (int64_t b = 0; b < nb; ++b) {
    __m256i lo[R][2], hi[R][2], even[R], odd[R];
    for (int i = 0; i < R; ++i) {
      PrefetchStream(blk[i][b].qs);
      PrefetchStream(blk[i][b].qs + 65);
      for (int h = 0; h < 2; ++h) {
        lo[i][h] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[i][b].qs + 32 * h));
        hi[i][h] = _mm256_srli_epi16(lo[i][h], 4);
      }
      // Start from -bsum in lane 0: the block's lanes then sum to sum(t * q).
      even[i] = _mm256_zextsi128_si256(_mm_cvtsi32_si128(-bsum[b]));
      odd[i] = _mm256_setzero_si256();
    }
    const int8_t* ab = a + b * 256;
    for (int h = 0; h < 2; ++h) {
      // plane l of half h meets interleaved positions 64 l + 32 h
      const auto act = [&](int l) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab + 64 * l + 32 * h)); };
      const __m256i a0 = act(0), a1 = act(1), a2 = act(2), a3 = act(3);
      for (int i = 0; i < R; ++i) {
        even[i] = _mm256_dpbusd_epi32(even[i], _mm256_and_si256(lo[i][h], m3), a0);
        odd[i] = _mm256_dpbusd_epi32(odd[i], _mm256_and_si256(lo[i][h], m12), a1);
        even[i] = _mm256_dpbusd_epi32(even[i], _mm256_and_si256(hi[i][h], m3), a2);
        odd[i] = _mm256_dpbusd_epi32(odd[i], _mm256_and_si256(hi[i][h], m12), a3);
      }
    }
    for (int i = 0; i < R; ++i) {
      const __m256 d = _mm256_set1_ps(_cvtsh_ss(blk[i][b].d));
      const __m256i sum = _mm256_add_epi32(even[i], _mm256_srai_epi32(odd[i], 2));
      acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), d, acc[i]);
    }
  }
  for (int i = 0; i < R; ++i) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc[i]), _mm256_extractf128_ps(acc[i], 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    y[r + i] = _mm_cvtss_f32(h) * inv;
  }
}

// Pairs of rows: from DRAM (gemv 6912x2560x16) 21-22 GB/s against 15-18
// for one row at a time; three and four rows measured slower.
void TQ2_0Decode(const uint8_t* w, int64_t cols, const Activations& x, float* y, int64_t r0, int64_t r1) {
  const auto* blk = reinterpret_cast<const BlockTQ2_0*>(w);
  const int64_t nb = cols / 256;
  const float inv = 1.0f / x.scale(0);
  int64_t r = r0;
  for (; r + 2 <= r1; r += 2) TQ2_0DecodeRows<2>(blk, nb, x.q_interleaved(0), x.bsum256(0), inv, y, r);
  if (r < r1) TQ2_0DecodeRows<1>(blk, nb, x.q_interleaved(0), x.bsum256(0), inv, y, r);
}

// Dequantizes 64 packed bytes (256 weights) whose plane l, byte half h holds
// elements base_h + 32 l + m; `table` maps code -> float.
template <bool kHighBitsFirst>
inline void DequantizePlanes(const uint8_t* p, __m512 table, float* out) {
  __m512i c[4];
  DecodePlanes<kHighBitsFirst>(p, c);
  for (int l = 0; l < 4; ++l) {
    for (int qq = 0; qq < 4; ++qq) {
      const __m512i idx = _mm512_cvtepu8_epi32(Lane128(c[l], qq));
      float* dst = out + (qq < 2 ? 32 * l + 16 * qq : 128 + 32 * l + 16 * (qq - 2));
      _mm512_storeu_ps(dst, _mm512_permutexvar_ps(idx, table));
    }
  }
}

// code -> (code - 1) * d, computed exactly as the reference does (code 3,
// which no quantizer writes but a file may hold, is +2 d there too).
inline __m512 CodeTable(float d) {
  return _mm512_mul_ps(_mm512_set_ps(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, -1),
                       _mm512_set1_ps(d));
}

}  // namespace

void MatmulTQ2_0Avx512(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y,
                       int64_t ldy, int64_t r0, int64_t r1) {
  if (x.tokens() == 1) return TQ2_0Decode(w, cols, x, y, r0, r1);
  ForTokenTiles(x.tokens(), [&](auto tile, int64_t t0) {
    TQ2_0Tile<decltype(tile)::value>(w, cols, x, t0, y, ldy, r0, r1);
  });
}

void DequantizeTQ2_0Avx512(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  const auto* blk = reinterpret_cast<const BlockTQ2_0*>(src);
  const int64_t nb = rows * cols / 256;
  for (int64_t b = 0; b < nb; ++b)
    DequantizePlanes<false>(blk[b].qs, CodeTable(_cvtsh_ss(blk[b].d)), dst + 256 * b);
}

void DequantizeI2_SAvx512(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  const int64_t n = rows * cols;
  const __m512 table = CodeTable(LoadF32(src + n / 4));
  int64_t i = 0;
  for (; i + 256 <= n; i += 256) DequantizePlanes<true>(src + i / 4, table, dst + i);
  if (i < n) {  // one 128-block: planes of 32 elements
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i / 4));
    for (int g = 0; g < 4; ++g) {
      const __m256i c = _mm256_and_si256(_mm256_srli_epi16(v, 6 - 2 * g), _mm256_set1_epi8(3));
      for (int h = 0; h < 2; ++h) {
        const __m512i idx = _mm512_cvtepu8_epi32(h ? _mm256_extracti128_si256(c, 1) : _mm256_castsi256_si128(c));
        _mm512_storeu_ps(dst + i + 32 * g + 16 * h, _mm512_permutexvar_ps(idx, table));
      }
    }
  }
}

void QuantizeTQ2_0Avx512(const float* src, int64_t rows, int64_t cols, float, uint8_t* dst) {
  auto* out = reinterpret_cast<BlockTQ2_0*>(dst);
  const int64_t nb = rows * cols / 256;
  for (int64_t b = 0; b < nb; ++b) {
    const float* x = src + b * 256;
    const float d = AbsMax256(x);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = FloatToHalfScalar(d);
    if (!std::isfinite(id)) {  // as the reference: non-finite x * id encodes 0
      std::memset(out[b].qs, 0x55, 64);
      continue;
    }
    const __m512 vid = _mm512_set1_ps(id);
    for (int j = 0; j < 64; j += 32) {
      for (int h = 0; h < 32; h += 16) {
        __m128i bytes = _mm_setzero_si128();
        for (int l = 0; l < 4; ++l) {
          const __m512i code = TernaryCodes16(x + j * 4 + l * 32 + h, vid);
          bytes = _mm_or_si128(bytes, _mm_slli_epi16(_mm512_cvtepi32_epi8(code), 2 * l));
        }
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out[b].qs + j + h), bytes);
      }
    }
  }
}

}  // namespace bitgate::kernels::internal
