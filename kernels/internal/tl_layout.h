// Internal: the table-lookup formats TL1 and TL2 (our layouts; prose in
// docs/FORMATS.md).
//
// Both store weights in tiles of 16 rows, so one 16-byte `pshufb` table (the
// partial sums of one activation group) serves 16 rows at once: the lookup
// index bytes of one SIMD lane are 16 different rows at the same column
// group. Padding rows (rows not a multiple of 16) hold zero weights.
//
// TL1: 2 weights (w0 at column 2p, w1 at 2p+1) -> index 3*w0 + w1 + 4 (0..8).
//   A tile is cols/16 chunks of 64 bytes; chunk c covers pairs 8c..8c+7.
//   Chunk byte b: lane L = b / 16, row i = b % 16; low nibble = pair 8c+L,
//   high nibble = pair 8c+4+L.
// TL2: 3 weights (a, b, c) -> v = 9a + 3b + c in [-13, 13]; stored as the
//   magnitude |v| (4 bits, 0..13) and a sign bit (v < 0). The first
//   K3 = 48 * floor(cols / 48) columns are triples; the rest (0, 16 or 32
//   columns) use TL1 chunks. A tile is K3/24 chunks of 80 bytes then
//   (cols-K3)/16 TL1 chunks. TL2 chunk c covers triples 8c..8c+7: bytes
//   0..63 as TL1 (low nibble triple 8c+L, high nibble 8c+4+L), bytes 64..79
//   four little-endian 32-bit sign masks M0..M3: M0 low nibbles rows 0-7,
//   M1 low nibbles rows 8-15, M2 high nibbles rows 0-7, M3 high nibbles
//   rows 8-15; bit L*8 + j is lane L, row j (+8 for M1, M3).
// Both end with a 32-byte tail holding the f32 tensor scale.
//
// Activation lookup tables (per token): values are exact int16 partial sums
// (|sum| <= 384), split into a low-byte and a high-byte 16-entry table so
// the lookups stay byte shuffles. For each chunk, 256 bytes:
//   [lo tables, groups 8c..8c+3][lo, 8c+4..8c+7][hi, 8c..8c+3][hi, 8c+4..8c+7]
// each 64 bytes = 4 groups x 16 entries (entries past 8 / 13 are zero).
#pragma once

#include <cstdint>

#include "kernels/format.h"

namespace bitgate::kernels::internal {

inline constexpr int64_t kTlTile = 16;
// The largest index a quantizer writes: TL1 3a + b + 4 (two weights), TL2
// the magnitude 9|a| + ... of three (the sign apart). Larger nibbles (a
// damaged or hostile file) decode as zero weights on every path.
inline constexpr int kTl1MaxIndex = 8, kTl2MaxIndex = 13;
inline constexpr int64_t kTl1ChunkCols = 16, kTl1ChunkBytes = 64;
inline constexpr int64_t kTl2ChunkCols = 24, kTl2ChunkBytes = 80;
inline constexpr int64_t kTlLutChunkBytes = 256;

inline int64_t Tl2TripleCols(int64_t cols) { return cols / 48 * 48; }

// Bytes of one 16-row tile.
inline int64_t TlTileBytes(Format f, int64_t cols) {
  if (f == Format::kTL1) return cols / kTl1ChunkCols * kTl1ChunkBytes;
  const int64_t k3 = Tl2TripleCols(cols);
  return k3 / kTl2ChunkCols * kTl2ChunkBytes + (cols - k3) / kTl1ChunkCols * kTl1ChunkBytes;
}

// LUT bytes per token.
inline int64_t TlLutBytes(Format f, int64_t cols) {
  if (f == Format::kTL1) return cols / kTl1ChunkCols * kTlLutChunkBytes;
  const int64_t k3 = Tl2TripleCols(cols);
  return (k3 / kTl2ChunkCols + (cols - k3) / kTl1ChunkCols) * kTlLutChunkBytes;
}

// Builds the per-token lookup tables of format f from int8 activations.
void BuildTlLut(Format f, const int8_t* q, int64_t cols, uint8_t* lut);

// Decoded weight (-1, 0, +1) at (row, col) of a TL tensor: the reference
// decoder, used by dequantize and the scalar matmul.
int TlWeight(Format f, const uint8_t* data, int64_t cols, int64_t row, int64_t col);

inline bool NeedsPrepare(Format f) {
  return f == Format::kTQ2_0 || f == Format::kI2_S || f == Format::kI2S || f == Format::kTQ1_0 || f == Format::kTL1 ||
         f == Format::kTL2;
}

}  // namespace bitgate::kernels::internal
