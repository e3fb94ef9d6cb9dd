// Internal: AVX2 (+FMA, F16C) kernels; defined in avx2/*.cc.
#pragma once

#include "kernels/internal/kernel_table.h"

namespace bitgate::kernels::internal {

void MatmulTQ2_0Avx2(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                     int64_t ldy, int64_t r0, int64_t r1);
void MatmulI2_SAvx2(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                    int64_t ldy, int64_t r0, int64_t r1);
void MatmulI2SAvx2(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                   int64_t ldy, int64_t r0, int64_t r1);
void MatmulF16Avx2(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                   int64_t ldy, int64_t r0, int64_t r1);
void MatmulBF16Avx2(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                    int64_t ldy, int64_t r0, int64_t r1);
void MatmulF32Avx2(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                   int64_t ldy, int64_t r0, int64_t r1);
void MatmulQ8_0Avx2(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                    int64_t ldy, int64_t r0, int64_t r1);
void MatmulTQ1_0Avx2(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                     int64_t ldy, int64_t r0, int64_t r1);
void MatmulTL1Avx2(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                   int64_t ldy, int64_t r0, int64_t r1);
void MatmulTL2Avx2(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                   int64_t ldy, int64_t r0, int64_t r1);

void DequantizeF16Avx2(const uint8_t* src, int64_t rows, int64_t cols, float* dst);
void DequantizeBF16Avx2(const uint8_t* src, int64_t rows, int64_t cols, float* dst);
void DequantizeTQ1_0Avx2(const uint8_t* src, int64_t rows, int64_t cols, float* dst);
void DequantizeTL1Avx2(const uint8_t* src, int64_t rows, int64_t cols, float* dst);
void DequantizeTL2Avx2(const uint8_t* src, int64_t rows, int64_t cols, float* dst);

}  // namespace bitgate::kernels::internal
