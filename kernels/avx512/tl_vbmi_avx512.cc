// AVX-512 TL1/TL2 GEMV/GEMM for cores with VBMI and BITALG (Ice Lake,
// Zen 4 and later): the same tiles, LUT and integer results as the vpshufb
// kernel in tl_avx512.cc, with the bytes summed by vpdpbusd instead of
// re-paired into int16. Compiled with -mavx512vbmi -mavx512bitalg
// (kernels/CMakeLists.txt) and called only when the CPU has both
// (Avx512VbmiTlSupported, cpu.h).
//
// The vpshufb kernel spends 8 of its 15 (TL1) / 19 (TL2) operations per
// chunk re-pairing the looked-up low and high bytes into int16 sums and
// adding them. Here:
//
// - One vpermb turns the chunk's 64 index bytes from lane-major (byte
//   16 L + i: lane L, row i) into row-major order (byte 4 i + L), so the
//   four bytes vpdpbusd sums into an int32 lane are the four lanes of one
//   row: int32 lane i is row i, and no lane sums are left at the end.
// - The lookups are vpermb against the same 64-byte tables (4 lanes x 16
//   entries), the lane folded into the index (nibble | 16 L, one vpternlogd).
// - The low bytes (0..255) enter vpdpbusd as its unsigned operand against
//   +1 (TL2: -1 for a negative triple), the high bytes (TL1 -1..0, TL2
//   -2..1, negated for a negative triple) as its signed operand against 1,
//   after the two nibble kinds' high bytes are added (|sum| <= 4). A row is
//   then sum(lo) + 256 sum(hi), exactly the int16 partial sums' total.
// - TL2's sign masks (lane-major bits, tl_layout.h) are put into row-major
//   order by one vpshufbitqmb per nibble kind.
//
// int32 sums need no flushes: a chunk of 16 or 24 columns adds at most
// 8 x 255 to a row's low sum, so kMaxCols (2^22, format.h) columns stay
// within 2^29.
//
// Measured in alternating runs against the vpshufb kernel: see
// docs/KERNELS.md (TL on AVX-512 with VBMI).
#include <immintrin.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "kernels/avx512/avx512_kernels.h"
#include "kernels/internal/prefetch.h"
#include "kernels/internal/tl_driver.h"
#include "kernels/internal/tl_layout.h"

namespace bitgate::kernels::internal {
namespace {

// Row tiles per pass, as in the vpshufb kernel: each chunk's four table
// vectors are loaded once for all of them.
constexpr int kTileBlock = 4;

struct Constants {
  __m512i to_rows;   // vpermb index: byte 4 i + L <- byte 16 L + i
  __m512i lane_sel;  // 16 L at byte 4 i + L: the lane's table in a vpermb index
  __m512i sign_bit;  // vpshufbitqmb selector: byte 4 i + L <- sign bit of (L, i)
  __m512i nibble, ones, minus_ones, zero;
  Constants() {
    alignas(64) std::array<uint8_t, 64> perm{}, sel{}, bit{};
    for (int p = 0; p < 64; ++p) {
      const int row = p / 4, lane = p % 4;
      perm[p] = static_cast<uint8_t>(16 * lane + row);
      sel[p] = static_cast<uint8_t>(16 * lane);
      // M0/M2 hold rows 0-7 (bit 8 L + row), M1/M3 rows 8-15, 32 bits on.
      bit[p] = static_cast<uint8_t>(row < 8 ? 8 * lane + row : 32 + 8 * lane + (row - 8));
    }
    to_rows = _mm512_load_si512(perm.data());
    lane_sel = _mm512_load_si512(sel.data());
    sign_bit = _mm512_load_si512(bit.data());
    nibble = _mm512_set1_epi8(0x0F);
    ones = _mm512_set1_epi8(1);
    minus_ones = _mm512_set1_epi8(-1);
    zero = _mm512_setzero_si512();
  }
};

// Row i in int32 lane i. The low-byte sums of the two nibble kinds are kept
// apart so a lone tile (a matrix's last rows) runs two dependency chains,
// not one of two vpdpbusd per chunk.
struct TileSums {
  __m512i lo_l = _mm512_setzero_si512();  // low bytes, low-nibble groups (TL2: signed by triple)
  __m512i lo_h = _mm512_setzero_si512();  // low bytes, high-nibble groups (likewise)
  __m512i hi = _mm512_setzero_si512();    // high bytes, both
};

inline __m512i LoadQword(const uint8_t* p) {
  int64_t v;
  std::memcpy(&v, p, 8);
  return _mm512_set1_epi64(v);
}

// One chunk (TL1, or TL2 when kSigned) of NT consecutive tiles, the first at
// `w`, the others `tile_bytes` apart.
template <int NT, bool kSigned>
inline void Chunk(const Constants& k, const uint8_t* w, int64_t tile_bytes, int64_t ahead, const uint8_t* lut,
                  TileSums* s) {
  const __m512i lo_l = _mm512_loadu_si512(lut);        // low bytes, low-nibble groups
  const __m512i lo_h = _mm512_loadu_si512(lut + 64);   // low bytes, high-nibble groups
  const __m512i hi_l = _mm512_loadu_si512(lut + 128);  // high bytes, low-nibble groups
  const __m512i hi_h = _mm512_loadu_si512(lut + 192);  // high bytes, high-nibble groups
  for (int n = 0; n < NT; ++n) {
    const uint8_t* c = w + n * tile_bytes;
    if (ahead != 0) {  // the next tile block's lines (tl_avx512.cc, prefetch.h)
      PrefetchAhead(c, ahead);
      PrefetchAhead(c + (kSigned ? kTl2ChunkBytes : kTl1ChunkBytes) - 1, ahead);
    }
    const __m512i idx = _mm512_permutexvar_epi8(k.to_rows, _mm512_loadu_si512(c));
    // (x & 0x0F) | 16 L: vpermb reads the low 6 bits of each index byte
    const __m512i il = _mm512_ternarylogic_epi32(idx, k.nibble, k.lane_sel, 0xEA);
    const __m512i ih = _mm512_ternarylogic_epi32(_mm512_srli_epi16(idx, 4), k.nibble, k.lane_sel, 0xEA);
    const __m512i l_lo = _mm512_permutexvar_epi8(il, lo_l);
    const __m512i h_lo = _mm512_permutexvar_epi8(ih, lo_h);
    __m512i l_hi = _mm512_permutexvar_epi8(il, hi_l);
    __m512i h_hi = _mm512_permutexvar_epi8(ih, hi_h);
    if constexpr (kSigned) {
      const __mmask64 neg_l = _mm512_bitshuffle_epi64_mask(LoadQword(c + 64), k.sign_bit);  // M0, M1
      const __mmask64 neg_h = _mm512_bitshuffle_epi64_mask(LoadQword(c + 72), k.sign_bit);  // M2, M3
      s[n].lo_l = _mm512_dpbusd_epi32(s[n].lo_l, l_lo, _mm512_mask_blend_epi8(neg_l, k.ones, k.minus_ones));
      s[n].lo_h = _mm512_dpbusd_epi32(s[n].lo_h, h_lo, _mm512_mask_blend_epi8(neg_h, k.ones, k.minus_ones));
      l_hi = _mm512_mask_sub_epi8(l_hi, neg_l, k.zero, l_hi);
      h_hi = _mm512_mask_sub_epi8(h_hi, neg_h, k.zero, h_hi);
    } else {
      s[n].lo_l = _mm512_dpbusd_epi32(s[n].lo_l, l_lo, k.ones);
      s[n].lo_h = _mm512_dpbusd_epi32(s[n].lo_h, h_lo, k.ones);
    }
    s[n].hi = _mm512_dpbusd_epi32(s[n].hi, k.ones, _mm512_add_epi8(l_hi, h_hi));
  }
}

template <int NT, bool kSigned>
inline void Chunks(const Constants& k, int64_t count, int64_t chunk_bytes, int64_t tile_bytes, int64_t ahead,
                   const uint8_t*& w, const uint8_t*& lut, TileSums* s) {
  for (int64_t c = 0; c < count; ++c, w += chunk_bytes, lut += kTlLutChunkBytes)
    Chunk<NT, kSigned>(k, w, tile_bytes, ahead, lut, s);
}

// Exact integer sums of NT tiles (16 * NT rows) against one token's LUT.
template <int NT>
void TileBlock(Format f, const uint8_t* w, int64_t tile_bytes, int64_t ahead, int64_t cols, const uint8_t* lut,
               int32_t* isum) {
  static const Constants k;
  TileSums s[NT];
  const int64_t k3 = f == Format::kTL2 ? Tl2TripleCols(cols) : 0;
  Chunks<NT, true>(k, k3 / kTl2ChunkCols, kTl2ChunkBytes, tile_bytes, ahead, w, lut, s);
  Chunks<NT, false>(k, (cols - k3) / kTl1ChunkCols, kTl1ChunkBytes, tile_bytes, ahead, w, lut, s);
  for (int n = 0; n < NT; ++n)
    _mm512_storeu_si512(isum + 16 * n,
                        _mm512_add_epi32(_mm512_add_epi32(s[n].lo_l, s[n].lo_h), _mm512_slli_epi32(s[n].hi, 8)));
}

void MatmulTlVbmi(Format f, const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                  int64_t ldy, int64_t r0, int64_t r1) {
  MatmulTlTiles<kTileBlock>(
      f, w, rows, cols, x, y, ldy, r0, r1,
      [&](auto nt, const uint8_t* wt, int64_t tile_bytes, int64_t ahead, const uint8_t* lut, int32_t* isum) {
        TileBlock<decltype(nt)::value>(f, wt, tile_bytes, ahead, cols, lut, isum);
      });
}

}  // namespace

void MatmulTL1Avx512Vbmi(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                         int64_t ldy, int64_t r0, int64_t r1) {
  MatmulTlVbmi(Format::kTL1, w, rows, cols, x, y, ldy, r0, r1);
}

void MatmulTL2Avx512Vbmi(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                         int64_t ldy, int64_t r0, int64_t r1) {
  MatmulTlVbmi(Format::kTL2, w, rows, cols, x, y, ldy, r0, r1);
}

}  // namespace bitgate::kernels::internal
