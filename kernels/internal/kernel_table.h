// Internal: the per-format, per-ISA function table behind quant.h and
// matmul.h. Each ISA's translation units fill their row of the table; the
// dispatcher picks a row once (SelectedIsa) and falls back to the next lower
// ISA where a format has no implementation for the selected one.
#pragma once

#include <cstdint>

#include "kernels/cpu.h"
#include "kernels/format.h"
#include "kernels/matmul.h"

namespace bitgate::kernels::internal {

// Shapes are validated and NaN/Inf screened before these run.
// `scale` is the per-tensor scale for I2_S / TL1 / TL2 (ignored otherwise).
using QuantizeFn = void (*)(const float* src, int64_t rows, int64_t cols, float scale,
                            uint8_t* dst);
using DequantizeFn = void (*)(const uint8_t* src, int64_t rows, int64_t cols, float* dst);
// Rows [r0, r1) for every token of x; y[t * ldy + r].
using MatmulFn = void (*)(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x,
                          float* y, int64_t ldy, int64_t r0, int64_t r1);

struct KernelSet {
  QuantizeFn quantize = nullptr;
  DequantizeFn dequantize = nullptr;
  MatmulFn matmul = nullptr;
};

// Per-ISA tables, defined in ref/, avx2/, avx512/ (entries may be null).
extern const KernelSet kScalarKernels[kFormatCount];
extern const KernelSet kAvx2Kernels[kFormatCount];
extern const KernelSet kAvx512Kernels[kFormatCount];

// The implementation actually used for (op, f) when `isa` is requested:
// the highest ISA <= isa that implements it. `used` receives that ISA.
QuantizeFn FindQuantize(Format f, Isa isa, Isa* used);
DequantizeFn FindDequantize(Format f, Isa isa, Isa* used);
MatmulFn FindMatmul(Format f, Isa isa, Isa* used);

}  // namespace bitgate::kernels::internal
