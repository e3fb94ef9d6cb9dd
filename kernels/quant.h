// Quantize (float -> format) and dequantize (format -> float) whole tensors.
//
// A tensor is row-major [rows][cols] (GGUF: ne0 = cols varies fastest, one
// row is one output feature). The destination holds exactly
// TensorBytes(f, rows, cols) bytes.
//
// Recipes (see docs/FORMATS.md):
//  - TQ1_0, TQ2_0: llama.cpp's reference: d = block absmax (f16),
//    code = lroundf(x / d) + 1; byte-identical to ggml.
//  - I2_S, TL1, TL2: one scale per tensor. Already-ternary input (every
//    nonzero |x| equal) keeps that magnitude exactly; other input uses the
//    BitNet b1.58 absmean recipe s = mean|x|, q = clamp(round(x / s), -1, 1).
//  - I2S: the same rule per 32-element block, scale stored as f16.
//  - F16/BF16: round to nearest even.
// NaN input is an error (it names the first offending index); +-Inf is an
// error for the ternary formats (no finite scale represents it).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "kernels/base/status.h"
#include "kernels/format.h"

namespace bitgate::kernels {

Status Quantize(Format f, const float* src, int64_t rows, int64_t cols, std::span<uint8_t> dst);
Status Dequantize(Format f, std::span<const uint8_t> src, int64_t rows, int64_t cols, float* dst);

// Whether data of format f ends with one f32 scale for the whole tensor
// (I2_S, TL1, TL2), and that scale (error for other formats).
bool HasTensorScale(Format f);
Result<float> TensorScale(Format f, std::span<const uint8_t> src, int64_t rows, int64_t cols);

// Formats with an f16 scale per block (TQ1_0, TQ2_0, I2S, Q8_0): the byte
// offset in `src` of the first block scale that is Inf or NaN, if any
// (nullopt for other formats). Such a scale turns a block's products into
// Inf/NaN, and the SIMD paths (per-lane scaling) and the scalar one (one
// multiply per block) then differ in which; a loader refuses it instead.
Result<std::optional<int64_t>> FirstNonFiniteBlockScale(Format f, std::span<const uint8_t> src, int64_t rows,
                                                        int64_t cols);

// Half-precision conversions (round to nearest even; NaN kept as NaN).
uint16_t FloatToHalf(float f);
float HalfToFloat(uint16_t h);
uint16_t FloatToBf16(float f);
float Bf16ToFloat(uint16_t h);

}  // namespace bitgate::kernels
