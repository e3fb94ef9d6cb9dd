// Internal: bumping the kernel counters (see kernels/counters.h).
#pragma once

#include "kernels/cpu.h"
#include "kernels/dispatch.h"
#include "kernels/format.h"

namespace bitgate::kernels::internal {

// One relaxed atomic increment per call (per matrix, not per row).
void CountKernel(KernelOp op, Format f, Isa isa);

}  // namespace bitgate::kernels::internal
