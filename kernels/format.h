// The registry of weight formats: one table, indexed by Format.
//
// Every size computed from a shape goes through TensorBytes(), which checks
// the shape against the format's constraints and for 64-bit overflow.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kernels/base/status.h"

namespace bitgate::kernels {

enum class Format : uint8_t {
  kF32 = 0,
  kF16,
  kBF16,
  kI2S,    // ours: 32-element blocks, f16 scale per block, 2-bit codes
  kTQ1_0,  // llama.cpp, byte-compatible: 256 elements in 54 bytes (base-3)
  kTQ2_0,  // llama.cpp, byte-compatible: 256 elements in 66 bytes (2-bit)
  kI2_S,   // bitnet.cpp x86, byte-compatible: 128-element blocks, f32 tensor scale
  kTL1,    // ours: table lookup, 2 weights per 4-bit index, 16-row tiles
  kTL2,    // ours: table lookup, 3 weights per sign + 4-bit index, 16-row tiles
  kQ8_0,   // llama.cpp layout: 32 int8 values + f16 scale (the output head)
};
inline constexpr int kFormatCount = 10;

struct FormatInfo {
  Format format;
  const char* name;         // lower-case, as on command lines: "tq2_0"
  int64_t block_elems;      // elements per block along a row
  int64_t block_bytes;      // bytes per block (0 for whole-tensor layouts)
  double bits_per_weight;   // storage cost, excluding per-tensor tails
  int ggml_type;            // GGUF tensor type id; -1 when ours only
  int64_t row_tile;         // rows interleaved in one storage tile (1 = row-major)
  int64_t col_multiple;     // cols must be a multiple of this
  bool ternary;             // weights are {-1, 0, +1} x scale
  bool integer_activations; // matmul takes int8 activations (else float)
};

const FormatInfo& Info(Format f);
inline const char* FormatName(Format f) { return Info(f).name; }
std::optional<Format> FormatFromName(std::string_view name);
std::optional<Format> FormatFromGgmlType(int ggml_type);
// What a GGUF type id that bitgate once wrote and no longer reads was, and
// what to do about it (nullopt for any other id).
std::optional<std::string> RetiredGgmlType(int ggml_type);

// The longest row (columns) any kernel takes. The integer kernels sum up
// to 381 x cols in an int32 lane (2-bit code 3 x 127, masked in place) and
// the activation row sums reach 127 x cols, so 2^22 keeps every sum exact;
// model rows are at most tens of thousands.
inline constexpr int64_t kMaxCols = int64_t{1} << 22;

// Checks rows/cols against the format (non-negative, non-empty, cols a
// multiple of col_multiple and at most kMaxCols) and returns the exact byte
// size of a [rows][cols] tensor, or an error naming the problem. Never
// overflows.
Result<int64_t> TensorBytes(Format f, int64_t rows, int64_t cols);
Status ValidateShape(Format f, int64_t rows, int64_t cols);

}  // namespace bitgate::kernels
