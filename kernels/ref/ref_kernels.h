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
// One row's partial final I2S group of g < 256 elements (the SIMD kernels'
// tail): sum over its blocks of d x (sum(code x q) - bsum), codes at
// `codes`, f16 scales at `scales`, activations q and block sums bsum.
float I2SPartialGroupRef(const uint8_t* codes, const uint8_t* scales, int64_t g, const int8_t* q,
                         const int32_t* bsum);

}  // namespace bitgate::kernels::internal
