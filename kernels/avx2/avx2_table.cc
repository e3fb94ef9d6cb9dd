#include "kernels/avx2/avx2_kernels.h"

namespace bitgate::kernels::internal {

// Indexed by Format; a null entry falls back to the scalar reference.
const KernelSet kAvx2Kernels[kFormatCount] = {
    /* f32   */ {nullptr, nullptr, MatmulF32Avx2},
    /* f16   */ {nullptr, DequantizeF16Avx2, MatmulF16Avx2},
    /* bf16  */ {nullptr, DequantizeBF16Avx2, MatmulBF16Avx2},
    /* i2s   */ {nullptr, nullptr, MatmulI2SAvx2},
    /* tq1_0 */ {nullptr, DequantizeTQ1_0Avx2, MatmulTQ1_0Avx2},
    /* tq2_0 */ {nullptr, nullptr, MatmulTQ2_0Avx2},
    /* i2_s  */ {nullptr, nullptr, MatmulI2_SAvx2},
    /* tl1   */ {nullptr, DequantizeTL1Avx2, MatmulTL1Avx2},
    /* tl2   */ {nullptr, DequantizeTL2Avx2, MatmulTL2Avx2},
    /* q8_0  */ {nullptr, nullptr, MatmulQ8_0Avx2},
};

}  // namespace bitgate::kernels::internal
