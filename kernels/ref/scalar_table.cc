#include "kernels/ref/ref_kernels.h"

namespace bitgate::kernels::internal {

#define BITGATE_REF_ENTRY(Name) {Quantize##Name##Ref, Dequantize##Name##Ref, Matmul##Name##Ref}

// Indexed by Format (order checked by format.cc's registry).
const KernelSet kScalarKernels[kFormatCount] = {
    BITGATE_REF_ENTRY(F32),   BITGATE_REF_ENTRY(F16),   BITGATE_REF_ENTRY(BF16),
    BITGATE_REF_ENTRY(I2S),   BITGATE_REF_ENTRY(TQ1_0), BITGATE_REF_ENTRY(TQ2_0),
    BITGATE_REF_ENTRY(I2_S),  BITGATE_REF_ENTRY(TL1),   BITGATE_REF_ENTRY(TL2),
    BITGATE_REF_ENTRY(Q8_0),
};

}  // namespace bitgate::kernels::internal
