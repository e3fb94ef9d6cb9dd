// Matrix-vector (decode) and small-batch matrix-matrix (prefill) products.
//
//   y[t][r] = sum_k W[r][k] * x[t][k]     for rows r in [row_begin, row_end)
//
// Ternary formats take int8 activations quantized per token row by absmax
// (formats.md, "I8_S"): m = max(1e-5, max|x|), s = 127 / m,
// q = round_half_even(x * s) clamped to [-127, 127] (symmetric: the Q8_0 sign trick
// needs -128 never to occur; NaN quantizes to 0). The integer dot product
// is exact; the result is (sum code*q scaled per block or tensor) / s.
// Float formats (F32, F16, BF16) take the float activations directly.
//
// Row ranges let callers split rows across threads: row_begin and row_end
// must be multiples of Info(f).row_tile (row_end may also equal rows), and
// with more than one token ldy >= row_end. These, the shape and the path
// are checked on every call (a check failure, not an error: a caller's
// bug); the weight bytes are the caller's to check (ValidateWeights).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/base/aligned_vector.h"
#include "kernels/base/status.h"
#include "kernels/cpu.h"
#include "kernels/format.h"

namespace bitgate::kernels {

// A batch of activation rows (tokens), quantized once and reused for every
// weight matrix with the same input.
//
// Usage: x.Quantize(...) (or SetFloat for float formats), then x.Prepare(f)
// for each weight format it will meet, then Matmul from any number of
// threads (Prepare is not thread-safe; Matmul only reads).
class Activations {
 public:
  // Quantizes x[tokens][k] (row stride ldx floats) to int8, per token row.
  void Quantize(const float* x, int64_t tokens, int64_t k, int64_t ldx);
  // Quantize in two steps, so rows can be quantized in parallel: Reset
  // sizes the buffers for [tokens][k] (k <= kMaxCols) and forgets what
  // Prepare built and any float input (SetFloat again for a float format); QuantizeRows fills rows [t0, t1) (disjoint ranges may run
  // concurrently; a row quantized again replaces its values). After Prepare,
  // quantizing again needs Reset first (checked). QuantizeRowsWith runs a
  // given path (tests); every path gives the same bytes.
  void Reset(int64_t tokens, int64_t k);
  void QuantizeRows(const float* x, int64_t ldx, int64_t t0, int64_t t1);
  void QuantizeRowsWith(Isa isa, const float* x, int64_t ldx, int64_t t0, int64_t t1);
  // Float activations, for F32/F16/BF16 weights. A new shape drops the
  // int8 side (Quantize again before an integer format's Matmul).
  void SetFloat(const float* x, int64_t tokens, int64_t k, int64_t ldx);
  // Builds what format f's kernels read besides q (a reordered copy of q,
  // lookup tables). Idempotent until the next Quantize.
  void Prepare(Format f);
  bool prepared(Format f) const { return (prepared_ >> static_cast<int>(f)) & 1u; }

  int64_t tokens() const { return tokens_; }
  int64_t k() const { return k_; }
  // Row stride of q in bytes, a multiple of 64; bytes past k are zero.
  int64_t stride() const { return stride_; }
  const int8_t* q(int64_t t) const { return q_.data() + t * stride_; }
  float scale(int64_t t) const { return scale_[t]; }  // s = 127 / m
  // Sums of q over each 32- and 256-element block of row t (blocks past k
  // are partial sums of what is there).
  const int32_t* bsum32(int64_t t) const { return bsum32_.data() + t * n_bsum32_; }
  const int32_t* bsum256(int64_t t) const { return bsum256_.data() + t * n_bsum256_; }
  int32_t row_sum(int64_t t) const { return row_sum_[t]; }
  // q reordered per 256-element group as the 2-bit SIMD kernels consume it:
  // group elements [32l, 32l+32) then [128+32l, 128+32l+32) for l = 0..3
  // (a trailing 128-element group keeps its order). Built by Prepare.
  const int8_t* q_interleaved(int64_t t) const { return qi_.data() + t * stride_; }
  // q as the AVX-512 TQ1_0 kernel reads it, four blocks side by side,
  // kTQ1QuadBytes a quad (internal/layouts.h). Built by Prepare(kTQ1_0).
  const int8_t* q_tq1_quads(int64_t t) const { return tq1_.data() + t * tq1_stride_; }
  // q reordered into the code planes of I2S groups, full groups in pairs
  // (internal/layouts.h, I2SActivationOffset). Built by Prepare(kI2S).
  const int8_t* q_i2s(int64_t t) const { return qs_.data() + t * stride_; }
  // Per-row lookup tables of table-lookup formats (TL1, TL2), built by Prepare.
  const uint8_t* lut(Format f, int64_t t) const;
  const float* f(int64_t t) const { return f_.data() + t * ldf_; }
  int64_t float_stride() const { return ldf_; }

 private:
  int64_t tokens_ = 0, k_ = 0, stride_ = 0, n_bsum32_ = 0, n_bsum256_ = 0, ldf_ = 0;
  uint32_t prepared_ = 0;
  AlignedVector<int8_t> q_, qi_, qs_, tq1_;  // rows start on 64-byte boundaries (strides too)
  int64_t tq1_stride_ = 0;
  std::vector<float> scale_;
  std::vector<int32_t> bsum32_, bsum256_, row_sum_;
  AlignedVector<float> f_;
  AlignedVector<uint8_t> lut_[2];  // TL1, TL2
  int64_t lut_stride_[2] = {0, 0};
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
