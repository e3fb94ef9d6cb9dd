#include "kernels/avx512/avx512_kernels.h"

namespace bitgate::kernels::internal {

// Indexed by Format; a null entry falls back to the AVX2 / scalar kernel.
const KernelSet kAvx512Kernels[kFormatCount] = {
    /* f32   */ {nullptr, nullptr, MatmulF32Avx512},
    /* f16   */ {nullptr, nullptr, MatmulF16Avx512},
    /* bf16  */ {nullptr, nullptr, MatmulBF16Avx512},
    /* i2s   */ {QuantizeI2SAvx512, DequantizeI2SAvx512, MatmulI2SAvx512},
    /* tq1_0 */ {nullptr, nullptr, MatmulTQ1_0Avx512},
    /* tq2_0 */ {QuantizeTQ2_0Avx512, DequantizeTQ2_0Avx512, MatmulTQ2_0Avx512},
    /* i2_s  */ {nullptr, DequantizeI2_SAvx512, MatmulI2_SAvx512},
    /* tl1   */ {nullptr, nullptr, MatmulTL1Avx512},
    /* tl2   */ {nullptr, nullptr, MatmulTL2Avx512},
    /* q8_0  */ {nullptr, nullptr, MatmulQ8_0Avx512},
};

}  // namespace bitgate::kernels::internal
