#include "kernels/avx512/avx512_kernels.h"

namespace bitgate::kernels::internal {

// Indexed by Format; a null entry falls back to the AVX2 / scalar kernel.
// F16 matmul deliberately runs the AVX2 kernel: on Zen 4 (which executes
// 512-bit operations as two halves) it measured faster (bitgate-bench-kernels,
// quiet machine: gemv f16 6912x2560x16 22.0 vs 15.6 GB/s), so the AVX-512
// variant was removed rather than kept unused.
const KernelSet kAvx512Kernels[kFormatCount] = {
    /* f32   */ {nullptr, nullptr, MatmulF32Avx512},
    /* f16   */ {nullptr, nullptr, nullptr},  // AVX2 kernel (see above)
    /* bf16  */ {nullptr, nullptr, MatmulBF16Avx512},
    /* i2s   */ {QuantizeI2SAvx512, DequantizeI2SAvx512, MatmulI2SAvx512},
    /* tq1_0 */ {QuantizeTQ1_0Avx512, nullptr, MatmulTQ1_0Avx512},
    /* tq2_0 */ {QuantizeTQ2_0Avx512, DequantizeTQ2_0Avx512, MatmulTQ2_0Avx512},
    /* i2_s  */ {nullptr, DequantizeI2_SAvx512, MatmulI2_SAvx512},
    /* tl1   */ {nullptr, nullptr, MatmulTL1Avx512},
    /* tl2   */ {nullptr, nullptr, MatmulTL2Avx512},
    /* q8_0  */ {QuantizeQ8_0Avx512, nullptr, MatmulQ8_0Avx512},
};

}  // namespace bitgate::kernels::internal
