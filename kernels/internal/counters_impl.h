// Internal: bumping the kernel counters (see kernels/counters.h).
#pragma once

#include "kernels/cpu.h"
#include "kernels/format.h"

namespace bitgate::kernels::internal {

enum class KernelOp : uint8_t { kQuantize = 0, kDequantize, kGemv, kGemm };
inline constexpr int kKernelOpCount = 4;

// One relaxed atomic increment per call (per matrix, not per row).
void CountKernel(KernelOp op, Format f, Isa isa);

}  // namespace bitgate::kernels::internal
