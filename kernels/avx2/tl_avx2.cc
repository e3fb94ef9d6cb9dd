// AVX2 table-lookup GEMV/GEMM for TL1 and TL2.
//
// Layouts: kernels/internal/tl_layout.h. Specification: MatmulTl in
// kernels/ref/tl_ref.cc; the integer sums here are bit-exact with it and the
// float epilogue is the same expression, so outputs are bit-identical.
//
// Same scheme as the AVX-512 twin (avx512/tl_avx512.cc), with each 64-byte
// chunk processed as two 32-byte halves: lanes 0-1, then lanes 2-3, each
// against the matching 32-byte halves of the chunk's four 64-byte table
// blocks. vpshufb looks the nibbles up in per-lane 16-entry tables of the
// low and high bytes of the int16 partial sums; unpacklo/unpackhi_epi8
// re-pair the bytes into int16 (rows 0..7 / 8..15 of each 128-bit lane).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/avx2/avx2_kernels.h"
#include "kernels/internal/prefetch.h"
#include "kernels/internal/tl_driver.h"
#include "kernels/internal/tl_layout.h"

namespace bitgate::kernels::internal {
namespace {

// Chunks accumulated in int16 between flushes to int32. Both halves of a
// chunk add into the same accumulators, so each int16 lane gets four
// looked-up values per chunk, |value| <= 385 for TL2 (3 x 128, or its
// complement ~v = -v - 1 for a negative triple) and <= 256 for TL1, and the
// negative counts add at most 4 per chunk (each below 256 as a byte):
// 16 chunks stay within 16 * 4 * 386 = 24704 < 32767.
constexpr int64_t kFlushChunks = 16;

// Row tiles computed together so each chunk's LUT vectors are loaded once
// for both (the LUT block is 4x the weight bytes of a tile). 1 -> 2 tiles
// measured +15-20% for TL1; 4 was within noise and, with 16 ymm registers,
// spills the int16 accumulators.
constexpr int kTileBlock = 2;

struct TileSums {
  __m256i r07, r815;  // int16 partial sums: rows 0..7 / 8..15 of each lane
  __m256i neg;        // TL2: negative triples counted per byte (lane, row)
  __m256i r07_even, r07_odd, r815_even, r815_odd;  // int32 totals by row parity
};

inline void Zero(TileSums& s) {
  s.r07 = s.r815 = s.neg = _mm256_setzero_si256();
  s.r07_even = s.r07_odd = s.r815_even = s.r815_odd = _mm256_setzero_si256();
}

// Moves the int16 sums into the int32 totals: even int16 elements (even
// rows) sign-extended in place, odd ones shifted down. The negative counts
// (the +1 of -v = ~v + 1, see Chunk) join the int16 sums first: byte b of
// `neg` is row b % 16 of its lane, as in the lookups before unpacking.
inline void Flush(TileSums& s) {
  const __m256i zero = _mm256_setzero_si256();
  s.r07 = _mm256_add_epi16(s.r07, _mm256_unpacklo_epi8(s.neg, zero));
  s.r815 = _mm256_add_epi16(s.r815, _mm256_unpackhi_epi8(s.neg, zero));
  s.neg = zero;
  s.r07_even = _mm256_add_epi32(s.r07_even, _mm256_srai_epi32(_mm256_slli_epi32(s.r07, 16), 16));
  s.r07_odd = _mm256_add_epi32(s.r07_odd, _mm256_srai_epi32(s.r07, 16));
  s.r815_even = _mm256_add_epi32(s.r815_even, _mm256_srai_epi32(_mm256_slli_epi32(s.r815, 16), 16));
  s.r815_odd = _mm256_add_epi32(s.r815_odd, _mm256_srai_epi32(s.r815, 16));
  s.r07 = s.r815 = _mm256_setzero_si256();
}

// TL2 sign masks as bytes: 0xFF where the triple of that lookup byte is
// negative. `m` is the chunk's 16 mask bytes (M0..M3, tl_layout.h) in both
// 128-bit lanes. Half h of a chunk holds lanes 2h and 2h+1 (one per 128-bit
// lane s); lookup byte i of lane L is row i, whose sign is bit i % 8 of
// mask byte L (rows 0-7) or 4 + L (rows 8-15), in M0/M1 for the low-nibble
// triples and M2/M3 (8 bytes on) for the high-nibble ones.
template <int kFirstByte>
inline __m256i SignBytes(__m256i m, int h) {
  const __m256i pick = _mm256_add_epi8(
      _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, 5, 5, 5, 5, 5, 5, 5, 5),
      _mm256_set1_epi8(static_cast<char>(kFirstByte + 2 * h)));
  const __m256i bit = _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16,
                                       32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  return _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(m, pick), bit), bit);
}

inline __m256i Load256(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// One chunk (TL1, or TL2 when kSigned) of NT consecutive tiles, the first
// at `w`, the others `tile_bytes` apart.
template <int NT, bool kSigned>
inline void Chunk(const uint8_t* w, int64_t tile_bytes, int64_t ahead, const uint8_t* lut,
                  TileSums* s) {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  // From DRAM the hardware prefetchers lose the NT interleaved streams
  // (gemv tl1 6912x2560x16: 8.0 GB/s; tl2 6.8-7.2). A chunk's first and
  // last lines are all it touches; they are asked for in the next tile
  // block, `ahead` bytes on (internal/prefetch.h).
  if (ahead != 0) {
    for (int n = 0; n < NT; ++n) {
      PrefetchAhead(w + n * tile_bytes, ahead);
      PrefetchAhead(w + n * tile_bytes + (kSigned ? kTl2ChunkBytes : kTl1ChunkBytes) - 1, ahead);
    }
  }
  for (int h = 0; h < 2; ++h) {
    const uint8_t* tab = lut + 32 * h;
    const __m256i lo_l = Load256(tab);        // low bytes, low-nibble groups
    const __m256i lo_h = Load256(tab + 64);   // low bytes, high-nibble groups
    const __m256i hi_l = Load256(tab + 128);  // high bytes, low-nibble groups
    const __m256i hi_h = Load256(tab + 192);  // high bytes, high-nibble groups
    for (int n = 0; n < NT; ++n) {
      const uint8_t* c = w + n * tile_bytes;
      const __m256i idx = Load256(c + 32 * h);
      const __m256i il = _mm256_and_si256(idx, nibble);
      const __m256i ih = _mm256_and_si256(_mm256_srli_epi16(idx, 4), nibble);
      __m256i l_lo = _mm256_shuffle_epi8(lo_l, il);
      __m256i l_hi = _mm256_shuffle_epi8(hi_l, il);
      __m256i h_lo = _mm256_shuffle_epi8(lo_h, ih);
      __m256i h_hi = _mm256_shuffle_epi8(hi_h, ih);
      if constexpr (kSigned) {
        // A negative triple's int16 partial sum v becomes ~v = -v - 1 by
        // complementing both of its bytes; the +1s are counted in `neg` and
        // added at the flush. Bit by bit this is 13 vector operations a
        // half chunk against 20 for vpsignw with per-element sign vectors.
        const __m256i m = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c + 64)));
        const __m256i sl = SignBytes<0>(m, h), sh = SignBytes<8>(m, h);
        l_lo = _mm256_xor_si256(l_lo, sl);
        l_hi = _mm256_xor_si256(l_hi, sl);
        h_lo = _mm256_xor_si256(h_lo, sh);
        h_hi = _mm256_xor_si256(h_hi, sh);
        s[n].neg = _mm256_sub_epi8(_mm256_sub_epi8(s[n].neg, sl), sh);
      }
      const __m256i l07 = _mm256_unpacklo_epi8(l_lo, l_hi);
      const __m256i l815 = _mm256_unpackhi_epi8(l_lo, l_hi);
      const __m256i h07 = _mm256_unpacklo_epi8(h_lo, h_hi);
      const __m256i h815 = _mm256_unpackhi_epi8(h_lo, h_hi);
      s[n].r07 = _mm256_add_epi16(s[n].r07, _mm256_add_epi16(l07, h07));
      s[n].r815 = _mm256_add_epi16(s[n].r815, _mm256_add_epi16(l815, h815));
    }
  }
}

// Runs `count` chunks of one kind, flushing every kFlushChunks. Advances
// the weight and LUT pointers.
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

inline __m128i SumLanes(__m256i v) {
  return _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
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
    // Sum the 2 lanes, then interleave even/odd rows back into row order.
    const __m128i e07 = SumLanes(s[n].r07_even), o07 = SumLanes(s[n].r07_odd);
    const __m128i e815 = SumLanes(s[n].r815_even), o815 = SumLanes(s[n].r815_odd);
    int32_t* out = isum + 16 * n;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_unpacklo_epi32(e07, o07));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 4), _mm_unpackhi_epi32(e07, o07));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 8), _mm_unpacklo_epi32(e815, o815));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 12), _mm_unpackhi_epi32(e815, o815));
  }
}

void MatmulTlAvx2(Format f, const uint8_t* w, int64_t rows, int64_t cols, const Activations& x,
                  float* y, int64_t ldy, int64_t r0, int64_t r1) {
  MatmulTlTiles<kTileBlock>(
      f, w, rows, cols, x, y, ldy, r0, r1,
      [&](auto nt, const uint8_t* wt, int64_t tile_bytes, int64_t ahead, const uint8_t* lut, int32_t* isum) {
        TileBlock<decltype(nt)::value>(f, wt, tile_bytes, ahead, cols, lut, isum);
      });
}

}  // namespace

void MatmulTL1Avx2(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                   int64_t ldy, int64_t r0, int64_t r1) {
  MatmulTlAvx2(Format::kTL1, w, rows, cols, x, y, ldy, r0, r1);
}

void MatmulTL2Avx2(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                   int64_t ldy, int64_t r0, int64_t r1) {
  MatmulTlAvx2(Format::kTL2, w, rows, cols, x, y, ldy, r0, r1);
}

}  // namespace bitgate::kernels::internal
