// I2_S scalar reference: bitnet.cpp's x86 layout (layouts.h), one f32
// scale per tensor stored after the codes.
#include <cstring>

#include "kernels/internal/fp16.h"
#include "kernels/internal/layouts.h"
#include "kernels/ref/ref_kernels.h"

namespace bitgate::kernels::internal {

void QuantizeI2_SRef(const float* src, int64_t rows, int64_t cols, float scale, uint8_t* dst) {
  const int64_t n = rows * cols;
  const float inv = scale != 0.0f ? 1.0f / scale : 0.0f;
  std::memset(dst, 0, static_cast<size_t>(n / 4 + 32));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t block = i / kI2_SBlock, j = i % kI2_SBlock;
    const uint8_t code = TernaryCodeHalfEven(src[i], inv);
    dst[block * 32 + j % 32] |= static_cast<uint8_t>(code << (6 - 2 * (j / 32)));
  }
  StoreF32(dst + n / 4, scale);
}

void DequantizeI2_SRef(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  const int64_t n = rows * cols;
  const float scale = LoadF32(src + n / 4);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t block = i / kI2_SBlock, j = i % kI2_SBlock;
    const int code = (src[block * 32 + j % 32] >> (6 - 2 * (j / 32))) & 3;
    dst[i] = static_cast<float>(code - 1) * scale;
  }
}

// y = (sum code*q - row_sum) / s * scale   (formats.md, I8_S activations)
void MatmulI2_SRef(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                   int64_t ldy, int64_t r0, int64_t r1) {
  const float scale = LoadF32(w + rows * cols / 4);
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const int8_t* q = x.q(t);
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* row = w + r * cols / 4;
      int64_t isum = 0;
      for (int64_t k = 0; k < cols; ++k) {
        const int64_t block = k / kI2_SBlock, j = k % kI2_SBlock;
        isum += ((row[block * 32 + j % 32] >> (6 - 2 * (j / 32))) & 3) * q[k];
      }
      y[t * ldy + r] = static_cast<float>(isum - x.row_sum(t)) / x.scale(t) * scale;
    }
  }
}

}  // namespace bitgate::kernels::internal
