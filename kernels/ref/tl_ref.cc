// TL1 / TL2 scalar reference: packing, decoding, the lookup-table builder
// and a direct (no lookup) matmul that specifies what the SIMD table-lookup
// kernels must compute exactly (see kernels/internal/tl_layout.h).
#include <cstring>
#include <vector>

#include "kernels/internal/fp16.h"
#include "kernels/internal/tl_layout.h"
#include "kernels/ref/ref_kernels.h"

namespace bitgate::kernels::internal {
namespace {

// Balanced-ternary digits (a, b, c) with 9a + 3b + c = m, for m in 0..13.
struct Digits {
  int8_t a, b, c;
};
constexpr Digits TernaryDigits(int m) {
  const int c = (m + 1) % 3 - 1;
  const int m1 = (m - c) / 3;
  const int b = (m1 + 1) % 3 - 1;
  const int a = (m1 - b) / 3;
  return {static_cast<int8_t>(a), static_cast<int8_t>(b), static_cast<int8_t>(c)};
}

inline uint32_t LoadU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Row `i` (0..15) of one TL1 chunk -> 16 weights.
void DecodeTl1Chunk(const uint8_t* chunk, int i, int8_t* w) {
  for (int j = 0; j < 8; ++j) {
    const uint8_t byte = chunk[(j % 4) * 16 + i];
    const int idx = j < 4 ? (byte & 15) : (byte >> 4);
    // 9..15, which no quantizer writes, are zero weights: the LUT kernels
    // find zeros there (docs/FORMATS.md)
    w[2 * j] = static_cast<int8_t>(idx > kTl1MaxIndex ? 0 : idx / 3 - 1);
    w[2 * j + 1] = static_cast<int8_t>(idx > kTl1MaxIndex ? 0 : idx % 3 - 1);
  }
}

// Row `i` of one TL2 chunk -> 24 weights.
void DecodeTl2Chunk(const uint8_t* chunk, int i, int8_t* w) {
  for (int j = 0; j < 8; ++j) {
    const int lane = j % 4, nib = j / 4;
    const uint8_t byte = chunk[lane * 16 + i];
    const int m = nib == 0 ? (byte & 15) : (byte >> 4);
    const uint32_t mask = LoadU32(chunk + 64 + 4 * (2 * nib + (i >= 8)));
    const bool negative = (mask >> (lane * 8 + i % 8)) & 1;
    const Digits d = m > kTl2MaxIndex ? Digits{0, 0, 0} : TernaryDigits(m);  // 14, 15: zero weights
    const int s = negative ? -1 : 1;
    w[3 * j] = static_cast<int8_t>(s * d.a);
    w[3 * j + 1] = static_cast<int8_t>(s * d.b);
    w[3 * j + 2] = static_cast<int8_t>(s * d.c);
  }
}

void PackTl1Chunk(const int8_t* w16x16, int64_t ld, uint8_t* chunk) {
  // w16x16: 16 rows x 16 columns of weights in {-1, 0, 1}, row stride ld.
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 8; ++j) {
      const int idx = 3 * w16x16[i * ld + 2 * j] + w16x16[i * ld + 2 * j + 1] + 4;
      uint8_t& byte = chunk[(j % 4) * 16 + i];
      byte = static_cast<uint8_t>(byte | (j < 4 ? idx : idx << 4));
    }
}

void PackTl2Chunk(const int8_t* w16x24, int64_t ld, uint8_t* chunk) {
  uint32_t masks[4] = {0, 0, 0, 0};
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 8; ++j) {
      const int8_t* t = w16x24 + i * ld + 3 * j;
      const int v = 9 * t[0] + 3 * t[1] + t[2];
      const int m = v < 0 ? -v : v;
      const int lane = j % 4, nib = j / 4;
      uint8_t& byte = chunk[lane * 16 + i];
      byte = static_cast<uint8_t>(byte | (nib == 0 ? m : m << 4));
      if (v < 0) masks[2 * nib + (i >= 8)] |= 1u << (lane * 8 + i % 8);
    }
  std::memcpy(chunk + 64, masks, 16);
}

// Decodes one row into weights {-1, 0, 1}.
void DecodeTlRow(Format f, const uint8_t* data, int64_t cols, int64_t row, int8_t* w) {
  const uint8_t* tile = data + row / kTlTile * TlTileBytes(f, cols);
  const int i = static_cast<int>(row % kTlTile);
  int64_t col = 0;
  if (f == Format::kTL2) {
    const int64_t k3 = Tl2TripleCols(cols);
    for (; col < k3; col += kTl2ChunkCols, tile += kTl2ChunkBytes) DecodeTl2Chunk(tile, i, w + col);
  }
  for (; col < cols; col += kTl1ChunkCols, tile += kTl1ChunkBytes) DecodeTl1Chunk(tile, i, w + col);
}

void QuantizeTl(Format f, const float* src, int64_t rows, int64_t cols, float scale,
                uint8_t* dst) {
  const int64_t tiles = (rows + kTlTile - 1) / kTlTile;
  const int64_t tile_bytes = TlTileBytes(f, cols);
  std::memset(dst, 0, static_cast<size_t>(tiles * tile_bytes + 32));
  const float inv = scale != 0.0f ? 1.0f / scale : 0.0f;
  std::vector<int8_t> w(static_cast<size_t>(kTlTile * cols));
  for (int64_t t = 0; t < tiles; ++t) {
    std::fill(w.begin(), w.end(), 0);  // padding rows are zero weights
    for (int64_t i = 0; i < kTlTile && t * kTlTile + i < rows; ++i)
      for (int64_t k = 0; k < cols; ++k)
        w[i * cols + k] = static_cast<int8_t>(TernaryCodeHalfEven(src[(t * kTlTile + i) * cols + k], inv) - 1);
    uint8_t* out = dst + t * tile_bytes;
    int64_t col = 0;
    if (f == Format::kTL2) {
      for (; col < Tl2TripleCols(cols); col += kTl2ChunkCols, out += kTl2ChunkBytes)
        PackTl2Chunk(w.data() + col, cols, out);
    }
    for (; col < cols; col += kTl1ChunkCols, out += kTl1ChunkBytes)
      PackTl1Chunk(w.data() + col, cols, out);
  }
  StoreF32(dst + tiles * tile_bytes, scale);
}

void DequantizeTl(Format f, const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  const int64_t tiles = (rows + kTlTile - 1) / kTlTile;
  const float scale = LoadF32(src + tiles * TlTileBytes(f, cols));
  std::vector<int8_t> w(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    DecodeTlRow(f, src, cols, r, w.data());
    for (int64_t k = 0; k < cols; ++k) dst[r * cols + k] = static_cast<float>(w[k]) * scale;
  }
}

void MatmulTl(Format f, const uint8_t* w, int64_t rows, int64_t cols, const Activations& x,
              float* y, int64_t ldy, int64_t r0, int64_t r1) {
  const int64_t tiles = (rows + kTlTile - 1) / kTlTile;
  const float scale = LoadF32(w + tiles * TlTileBytes(f, cols));
  std::vector<int8_t> wr(static_cast<size_t>(cols));
  for (int64_t r = r0; r < r1; ++r) {
    DecodeTlRow(f, w, cols, r, wr.data());
    for (int64_t t = 0; t < x.tokens(); ++t) {
      const int8_t* q = x.q(t);
      int32_t isum = 0;
      for (int64_t k = 0; k < cols; ++k) isum += wr[k] * q[k];
      y[t * ldy + r] = static_cast<float>(isum) / x.scale(t) * scale;
    }
  }
}

void BuildTl1ChunkLut(const int8_t* q, uint8_t* lut) {
  for (int j = 0; j < 8; ++j) {
    uint8_t* lo = lut + (j < 4 ? 0 : 64) + (j % 4) * 16;
    uint8_t* hi = lo + 128;
    for (int idx = 0; idx <= kTl1MaxIndex; ++idx) {  // 9..15 stay zero: zero weights
      const int v = (idx / 3 - 1) * q[2 * j] + (idx % 3 - 1) * q[2 * j + 1];
      lo[idx] = static_cast<uint8_t>(v & 0xff);
      hi[idx] = static_cast<uint8_t>((v >> 8) & 0xff);
    }
  }
}

void BuildTl2ChunkLut(const int8_t* q, uint8_t* lut) {
  for (int j = 0; j < 8; ++j) {
    uint8_t* lo = lut + (j < 4 ? 0 : 64) + (j % 4) * 16;
    uint8_t* hi = lo + 128;
    for (int m = 0; m <= kTl2MaxIndex; ++m) {  // 14, 15 stay zero: zero weights
      const Digits d = TernaryDigits(m);
      const int v = d.a * q[3 * j] + d.b * q[3 * j + 1] + d.c * q[3 * j + 2];
      lo[m] = static_cast<uint8_t>(v & 0xff);
      hi[m] = static_cast<uint8_t>((v >> 8) & 0xff);
    }
  }
}

}  // namespace

void BuildTlLut(Format f, const int8_t* q, int64_t cols, uint8_t* lut) {
  std::memset(lut, 0, static_cast<size_t>(TlLutBytes(f, cols)));
  int64_t col = 0;
  if (f == Format::kTL2) {
    for (; col < Tl2TripleCols(cols); col += kTl2ChunkCols, lut += kTlLutChunkBytes)
      BuildTl2ChunkLut(q + col, lut);
  }
  for (; col < cols; col += kTl1ChunkCols, lut += kTlLutChunkBytes) BuildTl1ChunkLut(q + col, lut);
}

int TlWeight(Format f, const uint8_t* data, int64_t cols, int64_t row, int64_t col) {
  std::vector<int8_t> w(static_cast<size_t>(cols));
  DecodeTlRow(f, data, cols, row, w.data());
  return w[col];
}

void QuantizeTL1Ref(const float* src, int64_t rows, int64_t cols, float scale, uint8_t* dst) {
  QuantizeTl(Format::kTL1, src, rows, cols, scale, dst);
}
void DequantizeTL1Ref(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  DequantizeTl(Format::kTL1, src, rows, cols, dst);
}
void MatmulTL1Ref(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                  int64_t ldy, int64_t r0, int64_t r1) {
  MatmulTl(Format::kTL1, w, rows, cols, x, y, ldy, r0, r1);
}
void QuantizeTL2Ref(const float* src, int64_t rows, int64_t cols, float scale, uint8_t* dst) {
  QuantizeTl(Format::kTL2, src, rows, cols, scale, dst);
}
void DequantizeTL2Ref(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  DequantizeTl(Format::kTL2, src, rows, cols, dst);
}
void MatmulTL2Ref(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                  int64_t ldy, int64_t r0, int64_t r1) {
  MatmulTl(Format::kTL2, w, rows, cols, x, y, ldy, r0, r1);
}

}  // namespace bitgate::kernels::internal
