#include "kernels/internal/kernel_table.h"

namespace bitgate::kernels::internal {
const KernelSet kAvx512Kernels[kFormatCount] = {};
}  // namespace bitgate::kernels::internal
