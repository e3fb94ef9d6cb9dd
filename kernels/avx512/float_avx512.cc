// AVX-512 float-weight matrix products (F32, BF16 x float activations; F16
// runs the AVX2 kernel, see avx512_table.cc),
// used for the output head and the F32 golden model. Memory-bound for large
// matrices: each weight is converted once and reused for up to 4 tokens.
#include <immintrin.h>

#include "kernels/avx512/avx512_kernels.h"
#include "kernels/internal/token_tiles.h"

namespace bitgate::kernels::internal {
namespace {

struct LoadF32x16 {
  static __m512 Load(const uint8_t* p) { return _mm512_loadu_ps(reinterpret_cast<const float*>(p)); }
  static __m512 LoadTail(const uint8_t* p, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(p));
  }
  static constexpr int kBytes = 4;
};
struct LoadBF16x16 {
  static __m512 Widen(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  static __m512 Load(const uint8_t* p) { return Widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static __m512 LoadTail(const uint8_t* p, __mmask16 m) { return Widen(_mm256_maskz_loadu_epi16(m, p)); }
  static constexpr int kBytes = 2;
};

template <typename L, int T>
void FloatTile(const uint8_t* w, int64_t cols, const Activations& x, int64_t t0, float* y, int64_t ldy,
               int64_t r0, int64_t r1) {
  const float* xf[T];
  for (int t = 0; t < T; ++t) xf[t] = x.f(t0 + t);
  const int64_t main = cols / 32 * 32;
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w + r * cols * L::kBytes;
    __m512 acc0[T], acc1[T];
    for (int t = 0; t < T; ++t) acc0[t] = acc1[t] = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k < main; k += 32) {
      const __m512 w0 = L::Load(row + k * L::kBytes);
      const __m512 w1 = L::Load(row + (k + 16) * L::kBytes);
      for (int t = 0; t < T; ++t) {
        acc0[t] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(xf[t] + k), acc0[t]);
        acc1[t] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(xf[t] + k + 16), acc1[t]);
      }
    }
    for (; k < cols; k += 16) {
      const int64_t left = cols - k;
      const __mmask16 m = left >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << left) - 1);
      const __m512 wv = L::LoadTail(row + k * L::kBytes, m);
      for (int t = 0; t < T; ++t) acc0[t] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(m, xf[t] + k), acc0[t]);
    }
    for (int t = 0; t < T; ++t) y[(t0 + t) * ldy + r] = _mm512_reduce_add_ps(_mm512_add_ps(acc0[t], acc1[t]));
  }
}

template <typename L>
void FloatMatmul(const uint8_t* w, int64_t cols, const Activations& x, float* y, int64_t ldy, int64_t r0,
                 int64_t r1) {
  ForTokenTiles(x.tokens(), [&](auto tile, int64_t t0) {
    FloatTile<L, decltype(tile)::value>(w, cols, x, t0, y, ldy, r0, r1);
  });
}

}  // namespace

void MatmulF32Avx512(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y, int64_t ldy,
                     int64_t r0, int64_t r1) {
  FloatMatmul<LoadF32x16>(w, cols, x, y, ldy, r0, r1);
}
void MatmulBF16Avx512(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y, int64_t ldy,
                      int64_t r0, int64_t r1) {
  FloatMatmul<LoadBF16x16>(w, cols, x, y, ldy, r0, r1);
}

}  // namespace bitgate::kernels::internal
