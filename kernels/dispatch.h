// Explicit kernel-path selection, for tests and benchmarks.
//
// Normal callers use quant.h / matmul.h, which run the path SelectedIsa()
// picks (BITGATE_FORCE_ISA or the best the CPU has). These entry points run
// a given path instead, so one process can compare every path against the
// scalar reference. A format without an implementation for the requested
// ISA runs the next lower one; ImplementedIsa() says which.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/base/status.h"
#include "kernels/cpu.h"
#include "kernels/format.h"
#include "kernels/matmul.h"

namespace bitgate::kernels {

enum class KernelOp : uint8_t { kQuantize = 0, kDequantize, kGemv, kGemm };
inline constexpr int kKernelOpCount = 4;

// The ISA whose code runs for (op, f) when `requested` is asked for.
Isa ImplementedIsa(KernelOp op, Format f, Isa requested);

// As Quantize / Dequantize / Matmul, on the given path (which must be
// supported by this CPU: see IsaSupported).
Status QuantizeWith(Isa isa, Format f, const float* src, int64_t rows, int64_t cols,
                    std::span<uint8_t> dst);
Status DequantizeWith(Isa isa, Format f, std::span<const uint8_t> src, int64_t rows, int64_t cols,
                      float* dst);
void MatmulWith(Isa isa, Format f, const void* w, int64_t rows, int64_t cols,
                const Activations& x, float* y, int64_t ldy, int64_t row_begin, int64_t row_end);

}  // namespace bitgate::kernels
