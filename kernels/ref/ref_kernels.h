// Internal: the scalar reference kernels (the specification every SIMD path
// is tested against). Signatures follow kernel_table.h.
#pragma once

#include "kernels/internal/kernel_table.h"
#include "kernels/ref/ref_common.h"

namespace bitgate::kernels::internal {

#define BITGATE_DECLARE_REF(Name)                                                          \
  void Quantize##Name##Ref(const float* src, int64_t rows, int64_t cols, float scale,      \
                           uint8_t* dst);                                                  \
  void Dequantize##Name##Ref(const uint8_t* src, int64_t rows, int64_t cols, float* dst);  \
  void Matmul##Name##Ref(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, \
                         float* y, int64_t ldy, int64_t r0, int64_t r1);

BITGATE_DECLARE_REF(F32)
BITGATE_DECLARE_REF(F16)
BITGATE_DECLARE_REF(BF16)
BITGATE_DECLARE_REF(I2S)
BITGATE_DECLARE_REF(TQ1_0)
BITGATE_DECLARE_REF(TQ2_0)
BITGATE_DECLARE_REF(I2_S)
BITGATE_DECLARE_REF(TL1)
BITGATE_DECLARE_REF(TL2)
BITGATE_DECLARE_REF(Q8_0)
#undef BITGATE_DECLARE_REF

uint16_t I2SBlockScale(const float* x);
// One I2S row's output for token t, from the SIMD kernels' sum over its
// full 256-element groups: adds a partial final group (cols % 256) by the
// scalar rule and divides by the activation scale. `row` is the row's
// first code byte.
float I2SRowOutput(float full_groups, const uint8_t* row, int64_t cols, const Activations& x, int64_t t);

}  // namespace bitgate::kernels::internal
