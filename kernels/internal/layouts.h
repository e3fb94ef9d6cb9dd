// Internal: byte layouts of the ternary formats, shared by the scalar
// reference and the SIMD kernels. docs/FORMATS.md describes them in prose.
#pragma once

#include <cstdint>

namespace bitgate::kernels::internal {

// ---- TQ2_0 (llama.cpp block_tq2_0), 256 elements ------------------------
// qs[j + m] bits 2l..2l+1 hold element j*4 + l*32 + m  (j in {0, 32});
// codes 0, 1, 2 mean -1, 0, +1; d is the block absmax as f16.
struct BlockTQ2_0 {
  uint8_t qs[64];
  uint16_t d;
};
static_assert(sizeof(BlockTQ2_0) == 66, "block_tq2_0 is 66 bytes");

// ---- TQ1_0 (llama.cpp block_tq1_0), 256 elements ------------------------
// qs[0..31]: 5 trits per byte for elements m + 32n; qs[32..47]: elements
// 160 + m + 16n; qh[0..3]: 4 trits for elements 240 + j + 4n. A byte holds
// ceil(v * 256 / 243) for the base-3 number v (first trit most significant);
// trit n decodes as ((uint8_t)(byte * 3^n) * 3) >> 8.
struct BlockTQ1_0 {
  uint8_t qs[48];
  uint8_t qh[4];
  uint16_t d;
};
static_assert(sizeof(BlockTQ1_0) == 54, "block_tq1_0 is 54 bytes");

// Activations of four TQ1_0 blocks side by side (Activations::q_tq1_quads),
// as the AVX-512 kernel's vectors hold one block per 128-bit lane. Quad Q
// (blocks 4Q..4Q+3) is kTQ1QuadBytes; block l of it owns bytes
// [16l, 16l + 16) of each 64-byte vector v, holding its elements
//   v = n (0..4):      m + 32n         (qs[0..15], trit n)
//   v = 5 + n:         16 + m + 32n    (qs[16..31], trit n)
//   v = 10 + n:        160 + m + 16n   (qs[32..47], trit n)
//   v = 15:            240 + m         (the qh trits x (1, 3, 9, 27))
// for m = 0..15, and bytes [1024 + 16l, 1024 + 16l + 4) hold 256 x the
// block's activation sum as an int32 (the rest of that vector is zero).
// Blocks past the row's end are zeros. A row of 4Q + 2 blocks has one more
// record after its Q + 1: the last two blocks' slots twice (blocks l = 0, 1
// of record Q again as l = 2, 3), so two rows' last two blocks share a quad.
inline constexpr int64_t kTQ1QuadBytes = 1088;
inline constexpr int64_t kTQ1QuadSumOffset = 1024;

// ---- Q8_0 (llama.cpp block_q8_0), 32 elements --------------------------
// d = absmax / 127 as f16, qs = roundf(x / d) (half away from zero).
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[32];
};
static_assert(sizeof(BlockQ8_0) == 34, "block_q8_0 is 34 bytes");

// ---- I2_S (bitnet.cpp x86, ACT_PARALLEL), 128-element blocks ------------
// Flattened row-major; block b = bytes [32b, 32b + 32); element j of a block
// is in byte j % 32 at shift 6 - 2 * (j / 32). Codes 0, 1, 2 = -1, 0, +1.
// One f32 scale at byte ne / 4, then padding to ne / 4 + 32 bytes.
inline constexpr int64_t kI2_SBlock = 128;

// ---- I2S (ours), 32-element blocks, f16 scale per block -----------------
// One row is [codes: cols/4 bytes][scales: cols/32 f16]. Codes come in
// groups of up to 256 elements (g/4 bytes for a group of g). A byte holds 4
// consecutive elements, element 4j + p of its run at shift 2p, and the
// bytes of a group hold first the first halves (elements 0..15) of its
// blocks, 4 bytes a block, then their second halves:
//   element e of a group of g: block k = e / 32, half h = (e / 16) % 2,
//   byte = h * g/8 + 4k + (e % 16) / 4, shift = 2 * (e % 4).
// So in a full group (64 bytes) the 4-byte lane L holds 16 elements of block
// L % 8 only: a vpdpbusd of all four code planes sums each half-block in
// one int32 lane, lanes k and k + 8 being block k's halves. This replaced
// (ggml type 4096 -> 4099) a layout whose code planes each spanned two
// blocks and needed a float conversion and FMA per plane: gemv 6912x2560
// 20.4 -> 27 GB/s in L3, from DRAM 72-75% -> 81-101% of membw/read.
inline constexpr int64_t kI2SBlock = 32;
inline constexpr int64_t kI2SGroup = 256;

// Position of element e (0 <= e < g) of an I2S group of g elements.
inline void I2SCodePosition(int64_t e, int64_t g, int64_t* byte, int* shift) {
  *byte = (e / 16) % 2 * (g / 8) + e / 32 * 4 + e % 16 / 4;
  *shift = static_cast<int>(2 * (e % 4));
}

// The inverse of I2SCodePosition in a full group: code byte i = 32h + 4k + j.
inline int64_t I2SPlaneElement(int64_t i, int p) {
  const int64_t h = i / 32, k = i % 32 / 4, j = i % 4;
  return 32 * k + 16 * h + 4 * j + p;
}

// Activations as the I2S kernels read them (Activations::q_i2s), for code
// plane p and half h (code bytes [32h, 32h + 32), the first or second
// halves of the group's 8 blocks) of the full group starting at element g:
// 32 bytes, byte i the activation of the element in code byte 32h + i at
// shift 2p. Full groups go in pairs: a pair's 512 bytes hold, for h = 0, 1
// and p = 0..3, [group 0's 32 bytes | group 1's 32 bytes], so the 512-bit
// decode reads each pair as two vectors [h-halves of both groups], whose
// int32 lane L sums block L of the pair's 16. A group without a partner (an
// odd count) holds its planes in turn, [h = 0 | h = 1] per plane, and a
// final partial group keeps the natural order (its kernels run the scalar
// rule). `full` is the number of elements in the row's full groups
// (cols / 256 * 256).
inline int64_t I2SActivationOffset(int64_t g, int64_t full, int p, int h) {
  if (g < full / (2 * kI2SGroup) * (2 * kI2SGroup))
    return g / (2 * kI2SGroup) * (2 * kI2SGroup) + 256 * h + 64 * p + 32 * (g / kI2SGroup % 2);
  return g + 64 * p + 32 * h;
}

}  // namespace bitgate::kernels::internal
