// Matrix-vector (decode) and small-batch matrix-matrix (prefill) products.
//
//   y[t][r] = sum_k W[r][k] * x[t][k]     for rows r in [row_begin, row_end)
//
// Ternary formats take int8 activations quantized per token row by absmax
// (formats.md, "I8_S"): m = max(1e-5, max|x|), s = 127 / m,
// q = round_half_even(x * s) clamped to [-128, 127]. The integer dot product
// is exact; the result is (sum code*q scaled per block or tensor) / s.
// Float formats (F32, F16, BF16) take the float activations directly.
//
// Row ranges let callers split rows across threads: row_begin and row_end
// must be multiples of Info(f).row_tile (row_end may also equal rows).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/base/status.h"
#include "kernels/format.h"

namespace bitgate::kernels {

// A batch of activation rows (tokens), quantized once and reused for every
// weight matrix with the same input.
class Activations {
 public:
  // Quantizes x[tokens][k] (row stride ldx floats) to int8, per row.
  void Quantize(const float* x, int64_t tokens, int64_t k, int64_t ldx);
  // Keeps the float rows too (for float-weight formats).
  void SetFloat(const float* x, int64_t tokens, int64_t k, int64_t ldx);

  int64_t tokens() const { return tokens_; }
  int64_t k() const { return k_; }
  // Row stride of q, padded to 64 bytes; bytes past k are zero.
  int64_t stride() const { return stride_; }
  const int8_t* q(int64_t t) const { return q_.data() + t * stride_; }
  float scale(int64_t t) const { return scale_[t]; }        // s = 127 / m
  // Sum of q over each 32-element block of row t (k/32 rounded up entries).
  const int32_t* block_sums(int64_t t) const { return bsum_.data() + t * n_bsum_; }
  int32_t row_sum(int64_t t) const { return row_sum_[t]; }
  const float* f(int64_t t) const { return f_.data() + t * k_; }
  bool has_float() const { return !f_.empty(); }

  // Table-lookup formats (TL1, TL2) read per-row lookup tables of partial
  // sums built from q; built on first use for that format.
  const uint8_t* Lut(Format f, int64_t t) const;
  void PrepareLut(Format f) const;

 private:
  int64_t tokens_ = 0, k_ = 0, stride_ = 0, n_bsum_ = 0;
  std::vector<int8_t> q_;
  std::vector<float> scale_;
  std::vector<int32_t> bsum_;
  std::vector<int32_t> row_sum_;
  std::vector<float> f_;
  mutable std::vector<uint8_t> lut_[2];  // TL1, TL2
  mutable int64_t lut_stride_[2] = {0, 0};
};

// Checks that a weight tensor of format f and shape [rows][cols] of
// `bytes` bytes can be used with Matmul (call once, at load time).
Status ValidateWeights(Format f, int64_t rows, int64_t cols, int64_t bytes);

// y[t * ldy + r] for every token t of x and r in [row_begin, row_end).
// Preconditions (checked in debug builds): ValidateWeights passed,
// x.k() == cols, row range aligned to the row tile.
void Matmul(Format f, const void* w, int64_t rows, int64_t cols, const Activations& x, float* y,
            int64_t ldy, int64_t row_begin, int64_t row_end);

}  // namespace bitgate::kernels
