// AVX2 dequantization of TL1 and TL2, bit-exact with the scalar reference
// (DequantizeTl in kernels/ref/tl_ref.cc; layouts in
// kernels/internal/tl_layout.h). The AVX-512 path uses these too.
//
// Per chunk: each 16-byte lane (16 rows of one column group) is broadcast
// to both 128-bit halves, the low nibbles kept in the lower half and the
// high nibbles in the upper one, and vpshufb maps every nibble to its
// weights (TL2: digit tables, then vpsignb with the expanded sign bits).
// Byte unpacks transpose lanes x rows into row-major weight bytes in a
// small buffer, and each 8 weights become floats by a vpermps of the table
// w * scale (index w mod 8: -2..4 fit without collisions), the reference's
// float(w) * scale computed once per value. The lookup tables cover all 16
// nibble values with the reference's own formulas, so arbitrary bytes
// decode exactly as the reference decodes them.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/avx2/avx2_kernels.h"
#include "kernels/internal/fp16.h"
#include "kernels/internal/tl_layout.h"

namespace bitgate::kernels::internal {
namespace {

// Digits (a, b, c) of TernaryDigits in tl_ref.cc for nibble m (0..15).
constexpr int DigitC(int m) { return (m + 1) % 3 - 1; }
constexpr int DigitB(int m) { return ((m - DigitC(m)) / 3 + 1) % 3 - 1; }
constexpr int DigitA(int m) { return ((m - DigitC(m)) / 3 - DigitB(m)) / 3; }

struct NibbleTables {
  alignas(16) int8_t tl1_w0[16], tl1_w1[16], tl2_a[16], tl2_b[16], tl2_c[16];
};
constexpr NibbleTables MakeTables() {
  NibbleTables t{};
  for (int n = 0; n < 16; ++n) {  // past the largest index: zero weights (tl_layout.h)
    t.tl1_w0[n] = static_cast<int8_t>(n > kTl1MaxIndex ? 0 : n / 3 - 1);
    t.tl1_w1[n] = static_cast<int8_t>(n > kTl1MaxIndex ? 0 : n % 3 - 1);
    t.tl2_a[n] = static_cast<int8_t>(n > kTl2MaxIndex ? 0 : DigitA(n));
    t.tl2_b[n] = static_cast<int8_t>(n > kTl2MaxIndex ? 0 : DigitB(n));
    t.tl2_c[n] = static_cast<int8_t>(n > kTl2MaxIndex ? 0 : DigitC(n));
  }
  return t;
}
constexpr NibbleTables kTables = MakeTables();
static_assert(DigitA(13) == 1 && DigitB(13) == 1 && DigitC(13) == 1);
static_assert(DigitA(5) == 1 && DigitB(5) == -1 && DigitC(5) == -1);

inline __m256i Table(const int8_t* t) {
  return _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(t)));
}

// Lane L (16 bytes, rows 0..15) -> low nibbles in the lower half, high
// nibbles in the upper half.
inline __m256i Nibbles(const uint8_t* lane) {
  const __m256i v = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(lane)));
  return _mm256_and_si256(_mm256_srlv_epi32(v, _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4)),
                          _mm256_set1_epi8(0x0F));
}

inline void Store(uint8_t* p, __m256i v) { _mm256_store_si256(reinterpret_cast<__m256i*>(p), v); }

// TL1 chunk -> weight bytes. For q = 0..7 (rows r = 2q, 2q+1), buf[32q..]:
// row r columns 0-7, row r+1 columns 0-7, row r columns 8-15, row r+1
// columns 8-15.
inline void Tl1ChunkWeights(const uint8_t* chunk, uint8_t* buf) {
  const __m256i t0 = Table(kTables.tl1_w0), t1 = Table(kTables.tl1_w1);
  __m256i p07[4], p815[4];  // (w0, w1) int16 per row, rows 0-7 / 8-15; half = nibble
  for (int l = 0; l < 4; ++l) {
    const __m256i nib = Nibbles(chunk + 16 * l);
    const __m256i a = _mm256_shuffle_epi8(t0, nib), b = _mm256_shuffle_epi8(t1, nib);
    p07[l] = _mm256_unpacklo_epi8(a, b);
    p815[l] = _mm256_unpackhi_epi8(a, b);
  }
  for (int g = 0; g < 2; ++g) {
    const __m256i* p = g == 0 ? p07 : p815;
    const __m256i x01l = _mm256_unpacklo_epi16(p[0], p[1]), x01h = _mm256_unpackhi_epi16(p[0], p[1]);
    const __m256i x23l = _mm256_unpacklo_epi16(p[2], p[3]), x23h = _mm256_unpackhi_epi16(p[2], p[3]);
    uint8_t* out = buf + 128 * g;
    Store(out, _mm256_unpacklo_epi32(x01l, x23l));        // rows 8g+0, +1
    Store(out + 32, _mm256_unpackhi_epi32(x01l, x23l));   // rows 8g+2, +3
    Store(out + 64, _mm256_unpacklo_epi32(x01h, x23h));   // rows 8g+4, +5
    Store(out + 96, _mm256_unpackhi_epi32(x01h, x23h));   // rows 8g+6, +7
  }
}

// TL2 chunk -> weight bytes: row i's 24 weights at buf[32 i + 4 ..].
inline void Tl2ChunkWeights(const uint8_t* chunk, uint8_t* buf) {
  const __m256i ta = Table(kTables.tl2_a), tb = Table(kTables.tl2_b), tc = Table(kTables.tl2_c);
  const __m256i masks = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(chunk + 64)));
  const __m256i bits = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  const __m256i one = _mm256_set1_epi8(1), zero = _mm256_setzero_si256();
  __m256i d[4][4];  // [lane][row group of 4]: (a, b, c, 0) per row
  for (int l = 0; l < 4; ++l) {
    const __m256i nib = Nibbles(chunk + 16 * l);
    // Sign byte of (row i, nibble h): bit i % 8 of mask byte 8h + 4 (i >= 8) + l.
    const char b0 = static_cast<char>(l), b1 = static_cast<char>(4 + l), b2 = static_cast<char>(8 + l),
               b3 = static_cast<char>(12 + l);
    const __m256i sel = _mm256_setr_epi8(b0, b0, b0, b0, b0, b0, b0, b0, b1, b1, b1, b1, b1, b1, b1, b1,
                                         b2, b2, b2, b2, b2, b2, b2, b2, b3, b3, b3, b3, b3, b3, b3, b3);
    const __m256i neg = _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(masks, sel), bits), bits);
    const __m256i s = _mm256_or_si256(neg, one);  // -1 or +1
    const __m256i a = _mm256_sign_epi8(_mm256_shuffle_epi8(ta, nib), s);
    const __m256i b = _mm256_sign_epi8(_mm256_shuffle_epi8(tb, nib), s);
    const __m256i c = _mm256_sign_epi8(_mm256_shuffle_epi8(tc, nib), s);
    const __m256i ab07 = _mm256_unpacklo_epi8(a, b), ab815 = _mm256_unpackhi_epi8(a, b);
    const __m256i c07 = _mm256_unpacklo_epi8(c, zero), c815 = _mm256_unpackhi_epi8(c, zero);
    d[l][0] = _mm256_unpacklo_epi16(ab07, c07);
    d[l][1] = _mm256_unpackhi_epi16(ab07, c07);
    d[l][2] = _mm256_unpacklo_epi16(ab815, c815);
    d[l][3] = _mm256_unpackhi_epi16(ab815, c815);
  }
  // Drops the pad byte of each (a, b, c, 0): the lower half's 12 bytes go
  // to bytes 4..15 and the upper half's to 16..27, so a row is contiguous.
  const __m256i compact = _mm256_setr_epi8(-1, -1, -1, -1, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14,  //
                                           0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
  for (int g = 0; g < 4; ++g) {
    const __m256i t0 = _mm256_unpacklo_epi32(d[0][g], d[1][g]), t1 = _mm256_unpackhi_epi32(d[0][g], d[1][g]);
    const __m256i t2 = _mm256_unpacklo_epi32(d[2][g], d[3][g]), t3 = _mm256_unpackhi_epi32(d[2][g], d[3][g]);
    uint8_t* out = buf + 128 * g;
    Store(out, _mm256_shuffle_epi8(_mm256_unpacklo_epi64(t0, t2), compact));
    Store(out + 32, _mm256_shuffle_epi8(_mm256_unpackhi_epi64(t0, t2), compact));
    Store(out + 64, _mm256_shuffle_epi8(_mm256_unpacklo_epi64(t1, t3), compact));
    Store(out + 96, _mm256_shuffle_epi8(_mm256_unpackhi_epi64(t1, t3), compact));
  }
}

// 8 weight bytes at p -> 8 floats at out.
inline void Emit8(__m256 table, const uint8_t* p, float* out) {
  const __m256i idx = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  _mm256_storeu_ps(out, _mm256_permutevar8x32_ps(table, idx));
}

void DequantizeTlAvx2(Format f, const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  const int64_t tiles = (rows + kTlTile - 1) / kTlTile;
  const int64_t tile_bytes = TlTileBytes(f, cols);
  const float scale = LoadF32(src + tiles * tile_bytes);
  alignas(32) float values[8];
  for (int k = 0; k < 8; ++k) values[k] = static_cast<float>(k < 5 ? k : k - 8) * scale;
  const __m256 table = _mm256_load_ps(values);
  const int64_t k3 = f == Format::kTL2 ? Tl2TripleCols(cols) : 0;
  // Chunks decoded before their rows are written: each row then gets a
  // run of kBlock chunks' floats (1 KB / 768 B) instead of one chunk's
  // 64 / 96 bytes, which kept 16 rows' stores in flight at once and ran at
  // half the speed when the row stride is a multiple of 4 KB.
  constexpr int kBlock1 = 16, kBlock2 = 8;
  alignas(32) uint8_t buf[kBlock1 * 256];
  for (int64_t t = 0; t < tiles; ++t) {
    const uint8_t* chunk = src + t * tile_bytes;
    const int nr = static_cast<int>(std::min<int64_t>(kTlTile, rows - t * kTlTile));
    float* out = dst + t * kTlTile * cols;
    int64_t col = 0;
    while (col < k3) {
      const int n = static_cast<int>(std::min<int64_t>(kBlock2, (k3 - col) / kTl2ChunkCols));
      for (int c = 0; c < n; ++c, chunk += kTl2ChunkBytes) Tl2ChunkWeights(chunk, buf + 512 * c);
      for (int i = 0; i < nr; ++i) {
        float* o = out + i * cols + col;
        for (int c = 0; c < n; ++c, o += kTl2ChunkCols) {
          const uint8_t* p = buf + 512 * c + 32 * i + 4;
          Emit8(table, p, o);
          Emit8(table, p + 8, o + 8);
          Emit8(table, p + 16, o + 16);
        }
      }
      col += n * kTl2ChunkCols;
    }
    while (col < cols) {
      const int n = static_cast<int>(std::min<int64_t>(kBlock1, (cols - col) / kTl1ChunkCols));
      for (int c = 0; c < n; ++c, chunk += kTl1ChunkBytes) Tl1ChunkWeights(chunk, buf + 256 * c);
      for (int i = 0; i < nr; ++i) {
        float* o = out + i * cols + col;
        for (int c = 0; c < n; ++c, o += kTl1ChunkCols) {
          const uint8_t* p = buf + 256 * c + 32 * (i / 2) + 8 * (i % 2);
          Emit8(table, p, o);
          Emit8(table, p + 16, o + 8);
        }
      }
      col += n * kTl1ChunkCols;
    }
  }
}

}  // namespace

void DequantizeTL1Avx2(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  DequantizeTlAvx2(Format::kTL1, src, rows, cols, dst);
}
void DequantizeTL2Avx2(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  DequantizeTlAvx2(Format::kTL2, src, rows, cols, dst);
}

}  // namespace bitgate::kernels::internal
