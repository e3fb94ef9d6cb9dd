// F32 / F16 / BF16 scalar reference: storage conversions and a float
// matrix-vector product (sequential float accumulation).
#include <cstring>

#include "kernels/internal/fp16.h"
#include "kernels/ref/ref_kernels.h"

namespace bitgate::kernels::internal {

void QuantizeF32Ref(const float* src, int64_t rows, int64_t cols, float, uint8_t* dst) {
  std::memcpy(dst, src, static_cast<size_t>(rows * cols) * sizeof(float));
}
void DequantizeF32Ref(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  std::memcpy(dst, src, static_cast<size_t>(rows * cols) * sizeof(float));
}
void QuantizeF16Ref(const float* src, int64_t rows, int64_t cols, float, uint8_t* dst) {
  for (int64_t i = 0; i < rows * cols; ++i) StoreU16(dst + 2 * i, FloatToHalfScalar(src[i]));
}
void DequantizeF16Ref(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  for (int64_t i = 0; i < rows * cols; ++i) dst[i] = HalfToFloatScalar(LoadU16(src + 2 * i));
}
void QuantizeBF16Ref(const float* src, int64_t rows, int64_t cols, float, uint8_t* dst) {
  for (int64_t i = 0; i < rows * cols; ++i) StoreU16(dst + 2 * i, FloatToBf16Scalar(src[i]));
}
void DequantizeBF16Ref(const uint8_t* src, int64_t rows, int64_t cols, float* dst) {
  for (int64_t i = 0; i < rows * cols; ++i) dst[i] = Bf16ToFloatScalar(LoadU16(src + 2 * i));
}

namespace {
template <float (*Load)(const uint8_t*), int kBytes>
void MatmulFloatRef(const uint8_t* w, int64_t cols, const Activations& x, float* y, int64_t ldy,
                    int64_t r0, int64_t r1) {
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const float* xf = x.f(t);
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* row = w + r * cols * kBytes;
      float acc = 0.0f;
      for (int64_t k = 0; k < cols; ++k) acc += Load(row + k * kBytes) * xf[k];
      y[t * ldy + r] = acc;
    }
  }
}
inline float LoadF16(const uint8_t* p) { return HalfToFloatScalar(LoadU16(p)); }
inline float LoadBF16(const uint8_t* p) { return Bf16ToFloatScalar(LoadU16(p)); }
}  // namespace

void MatmulF32Ref(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y,
                  int64_t ldy, int64_t r0, int64_t r1) {
  MatmulFloatRef<LoadF32, 4>(w, cols, x, y, ldy, r0, r1);
}
void MatmulF16Ref(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y,
                  int64_t ldy, int64_t r0, int64_t r1) {
  MatmulFloatRef<LoadF16, 2>(w, cols, x, y, ldy, r0, r1);
}
void MatmulBF16Ref(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y,
                   int64_t ldy, int64_t r0, int64_t r1) {
  MatmulFloatRef<LoadBF16, 2>(w, cols, x, y, ldy, r0, r1);
}

}  // namespace bitgate::kernels::internal
