// AVX-512 table-lookup GEMV/GEMM for TL1 and TL2: the vpshufb kernel, for
// AVX-512 cores without VBMI/BITALG (Skylake-SP, Cascade Lake); cores with
// them run tl_vbmi_avx512.cc (the entries at the end choose).
//
// Layouts: kernels/internal/tl_layout.h. Specification: MatmulTl in
// kernels/ref/tl_ref.cc; the integer sums here are bit-exact with it and the
// float epilogue is the same expression, so outputs are bit-identical.
//
// A 64-byte weight chunk is 4 lanes x 16 rows of index bytes (two 4-bit
// indices each). The chunk's 256-byte LUT block holds, per lane, a 16-entry
// table of the low bytes and one of the high bytes of the exact int16
// partial sums, so one vpshufb looks up 64 rows x lanes at once and
// unpacklo/unpackhi_epi8 re-pair the bytes into int16: unpacklo yields rows
// 0..7 of each 128-bit lane, unpackhi rows 8..15.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/avx512/avx512_kernels.h"
#include "kernels/internal/prefetch.h"
#include "kernels/internal/tl_driver.h"
#include "kernels/internal/tl_layout.h"

namespace bitgate::kernels::internal {
namespace {

// Chunks accumulated in int16 between flushes to int32. Each int16 lane gets
// two looked-up values per chunk (low and high nibble), |value| <= 384 for
// TL2 (3 x 128) and <= 256 for TL1, so 32 chunks stay within
// 32 * 2 * 384 = 24576 < 32767.
constexpr int64_t kFlushChunks = 32;

// Row tiles computed together so each chunk's four LUT vectors are loaded
// once for all of them. Per 16-row tile the LUT block (256 bytes) is 4x the
// weight chunk (64 bytes) and a token's LUT (16 * cols bytes) outgrows L1
// for model shapes, so sharing it cuts the dominant load traffic. Measured
// on 2560x2560 / 6912x2560 / 2560x6912 (one core): 1 -> 2 tiles +20% for
// TL1, 2 -> 4 another ~5%; the int32 totals of 4 tiles spill, but they are
// only touched once per flush.
constexpr int kTileBlock = 4;

struct TileSums {
  __m512i r07, r815;  // int16 partial sums: rows 0..7 / 8..15 of each lane
  __m512i r07_even, r07_odd, r815_even, r815_odd;  // int32 totals by row parity
};

inline void Zero(TileSums& s) {
  s.r07 = s.r815 = _mm512_setzero_si512();
  s.r07_even = s.r07_odd = s.r815_even = s.r815_odd = _mm512_setzero_si512();
}

// Moves the int16 sums into the int32 totals: even int16 elements (even
// rows) sign-extended in place, odd ones shifted down.
inline void Flush(TileSums& s) {
  s.r07_even = _mm512_add_epi32(s.r07_even, _mm512_srai_epi32(_mm512_slli_epi32(s.r07, 16), 16));
  s.r07_odd = _mm512_add_epi32(s.r07_odd, _mm512_srai_epi32(s.r07, 16));
  s.r815_even = _mm512_add_epi32(s.r815_even, _mm512_srai_epi32(_mm512_slli_epi32(s.r815, 16), 16));
  s.r815_odd = _mm512_add_epi32(s.r815_odd, _mm512_srai_epi32(s.r815, 16));
  s.r07 = s.r815 = _mm512_setzero_si512();
}

inline __mmask32 LoadMask(const uint8_t* p) {
  uint32_t m;
  std::memcpy(&m, p, 4);
  return _cvtu32_mask32(m);
}

// One chunk (TL1, or TL2 when kSigned) of NT consecutive tiles, the first at
// `w`, the others `tile_bytes` apart.
template <int NT, bool kSigned>
inline void Chunk(const uint8_t* w, int64_t tile_bytes, int64_t ahead, const uint8_t* lut,
                  TileSums* s) {
  const __m512i nibble = _mm512_set1_epi8(0x0F);
  const __m512i lo_l = _mm512_loadu_si512(lut);        // low bytes, low-nibble groups
  const __m512i lo_h = _mm512_loadu_si512(lut + 64);   // low bytes, high-nibble groups
  const __m512i hi_l = _mm512_loadu_si512(lut + 128);  // high bytes, low-nibble groups
  const __m512i hi_h = _mm512_loadu_si512(lut + 192);  // high bytes, high-nibble groups
  for (int n = 0; n < NT; ++n) {
    const uint8_t* c = w + n * tile_bytes;
    // From DRAM the hardware prefetchers lose the NT interleaved streams
    // (gemv tl1 6912x2560x16: 12.8 GB/s). A chunk's first and last lines
    // are all the lines it touches; they are asked for in the next tile
    // block, `ahead` bytes on (internal/prefetch.h).
    if (ahead != 0) {
      PrefetchAhead(c, ahead);
      PrefetchAhead(c + (kSigned ? kTl2ChunkBytes : kTl1ChunkBytes) - 1, ahead);
    }
    const __m512i idx = _mm512_loadu_si512(c);
    const __m512i il = _mm512_and_si512(idx, nibble);
    const __m512i ih = _mm512_and_si512(_mm512_srli_epi16(idx, 4), nibble);
    const __m512i l_lo = _mm512_shuffle_epi8(lo_l, il);
    const __m512i l_hi = _mm512_shuffle_epi8(hi_l, il);
    const __m512i h_lo = _mm512_shuffle_epi8(lo_h, ih);
    const __m512i h_hi = _mm512_shuffle_epi8(hi_h, ih);
    __m512i l07 = _mm512_unpacklo_epi8(l_lo, l_hi);
    __m512i l815 = _mm512_unpackhi_epi8(l_lo, l_hi);
    __m512i h07 = _mm512_unpacklo_epi8(h_lo, h_hi);
    __m512i h815 = _mm512_unpackhi_epi8(h_lo, h_hi);
    if constexpr (kSigned) {
      // Mask bit L*8 + j is lane L, row j (+8 in M1/M3): exactly int16
      // element L*8 + j of the unpacked vectors.
      const __m512i zero = _mm512_setzero_si512();
      l07 = _mm512_mask_sub_epi16(l07, LoadMask(c + 64), zero, l07);
      l815 = _mm512_mask_sub_epi16(l815, LoadMask(c + 68), zero, l815);
      h07 = _mm512_mask_sub_epi16(h07, LoadMask(c + 72), zero, h07);
      h815 = _mm512_mask_sub_epi16(h815, LoadMask(c + 76), zero, h815);
    }
    s[n].r07 = _mm512_add_epi16(s[n].r07, _mm512_add_epi16(l07, h07));
    s[n].r815 = _mm512_add_epi16(s[n].r815, _mm512_add_epi16(l815, h815));
  }
}

// Runs `count` chunks of one kind starting at chunk pointer `w` / LUT `lut`,
// flushing every kFlushChunks. Advances both pointers.
template <int NT, bool kSigned>
inline void Chunks(int64_t count, int64_t chunk_bytes, int64_t tile_bytes, int64_t ahead,
                   const uint8_t*& w, const uint8_t*& lut, TileSums* s) {
  for (int64_t c = 0; c < count;) {
    const int64_t end = std::min(count, c + kFlushChunks);
    for (; c < end; ++c, w += chunk_bytes, lut += kTlLutChunkBytes)
      Chunk<NT, kSigned>(w, tile_bytes, ahead, lut, s);
    for (int n = 0; n < NT; ++n) Flush(s[n]);
  }
}

inline __m128i SumLanes(__m512i v) {
  const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
  return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

// Exact integer sums of NT tiles (16 * NT rows) against one token's LUT.
template <int NT>
void TileBlock(Format f, const uint8_t* w, int64_t tile_bytes, int64_t ahead, int64_t cols,
               const uint8_t* lut, int32_t* isum) {
  TileSums s[NT];
  for (int n = 0; n < NT; ++n) Zero(s[n]);
  const int64_t k3 = f == Format::kTL2 ? Tl2TripleCols(cols) : 0;
  Chunks<NT, true>(k3 / kTl2ChunkCols, kTl2ChunkBytes, tile_bytes, ahead, w, lut, s);
  Chunks<NT, false>((cols - k3) / kTl1ChunkCols, kTl1ChunkBytes, tile_bytes, ahead, w, lut, s);
  for (int n = 0; n < NT; ++n) {
    // Sum the 4 lanes, then interleave even/odd rows back into row order.
    const __m128i e07 = SumLanes(s[n].r07_even), o07 = SumLanes(s[n].r07_odd);
    const __m128i e815 = SumLanes(s[n].r815_even), o815 = SumLanes(s[n].r815_odd);
    int32_t* out = isum + 16 * n;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_unpacklo_epi32(e07, o07));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 4), _mm_unpackhi_epi32(e07, o07));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 8), _mm_unpacklo_epi32(e815, o815));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 12), _mm_unpackhi_epi32(e815, o815));
  }
}

void MatmulTlAvx512(Format f, const uint8_t* w, int64_t rows, int64_t cols, const Activations& x,
                    float* y, int64_t ldy, int64_t r0, int64_t r1) {
  MatmulTlTiles<kTileBlock>(
      f, w, rows, cols, x, y, ldy, r0, r1,
      [&](auto nt, const uint8_t* wt, int64_t tile_bytes, int64_t ahead, const uint8_t* lut, int32_t* isum) {
        TileBlock<decltype(nt)::value>(f, wt, tile_bytes, ahead, cols, lut, isum);
      });
}

}  // namespace

void MatmulTL1Avx512Shuffle(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                            int64_t ldy, int64_t r0, int64_t r1) {
  MatmulTlAvx512(Format::kTL1, w, rows, cols, x, y, ldy, r0, r1);
}

void MatmulTL2Avx512Shuffle(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                            int64_t ldy, int64_t r0, int64_t r1) {
  MatmulTlAvx512(Format::kTL2, w, rows, cols, x, y, ldy, r0, r1);
}

MatmulFn Avx512TlKernel(Format f) {
  const bool vbmi = Avx512VbmiTlSupported();
  if (f == Format::kTL1) return vbmi ? MatmulTL1Avx512Vbmi : MatmulTL1Avx512Shuffle;
  return vbmi ? MatmulTL2Avx512Vbmi : MatmulTL2Avx512Shuffle;
}

// The AVX-512 path's entries.
void MatmulTL1Avx512(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                     int64_t ldy, int64_t r0, int64_t r1) {
  static const MatmulFn kernel = Avx512TlKernel(Format::kTL1);
  kernel(w, rows, cols, x, y, ldy, r0, r1);
}

void MatmulTL2Avx512(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                     int64_t ldy, int64_t r0, int64_t r1) {
  static const MatmulFn kernel = Avx512TlKernel(Format::kTL2);
  kernel(w, rows, cols, x, y, ldy, r0, r1);
}

}  // namespace bitgate::kernels::internal
