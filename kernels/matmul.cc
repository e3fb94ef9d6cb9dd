#include "kernels/matmul.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "kernels/dispatch.h"
#include "kernels/internal/activation_kernels.h"
#include "kernels/internal/counters_impl.h"
#include "kernels/internal/kernel_table.h"
#include "kernels/internal/layouts.h"
#include "kernels/internal/tl_layout.h"

namespace bitgate::kernels {

namespace internal {

float AbsMaxFiniteScalar(const float* x, int64_t k) {
  float m = 0.0f;
  for (int64_t i = 0; i < k; ++i) {
    const float a = std::fabs(x[i]);
    if (a <= std::numeric_limits<float>::max()) m = std::max(m, a);
  }
  return m;
}

void QuantizeRowScalar(const float* x, int64_t k, float s, int8_t* q) {
  for (int64_t i = 0; i < k; ++i) q[i] = QuantizeActivationScalar(x[i], s);
}

ActivationKernels ActivationKernelsFor(Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return {AbsMaxFiniteAvx512, QuantizeRowAvx512};
    case Isa::kAvx2: return {AbsMaxFiniteAvx2, QuantizeRowAvx2};
    default: return {AbsMaxFiniteScalar, QuantizeRowScalar};
  }
}

}  // namespace internal

void Activations::Quantize(const float* x, int64_t tokens, int64_t k, int64_t ldx) {
  Reset(tokens, k);
  QuantizeRows(x, ldx, 0, tokens);
}

void Activations::Reset(int64_t tokens, int64_t k) {
  BITGATE_CHECK(tokens >= 0 && k >= 0 && k <= kMaxCols);
  const int64_t stride = (k + 63) / 64 * 64;
  BITGATE_CHECK(tokens <= std::numeric_limits<int64_t>::max() / 4 / std::max<int64_t>(stride, 1));
  tokens_ = tokens;
  k_ = k;
  stride_ = stride;
  // The float side described the previous input: nothing of it may be read.
  f_.clear();
  ldf_ = 0;
  n_bsum32_ = (k + 31) / 32;
  n_bsum256_ = (k + 255) / 256;
  prepared_ = 0;
  q_.assign(static_cast<size_t>(tokens * stride_), 0);
  scale_.resize(static_cast<size_t>(tokens));
  bsum32_.assign(static_cast<size_t>(tokens * n_bsum32_), 0);
  bsum256_.assign(static_cast<size_t>(tokens * n_bsum256_), 0);
  row_sum_.assign(static_cast<size_t>(tokens), 0);
}

void Activations::QuantizeRows(const float* x, int64_t ldx, int64_t t0, int64_t t1) {
  // Every path writes the same bytes, so with a bad BITGATE_FORCE_ISA (which
  // ValidateWeights and Matmul refuse) the scalar rule is still the answer.
  auto isa = SelectedIsa();
  QuantizeRowsWith(isa.ok() ? *isa : Isa::kScalar, x, ldx, t0, t1);
}

void Activations::QuantizeRowsWith(Isa isa, const float* x, int64_t ldx, int64_t t0, int64_t t1) {
  BITGATE_CHECK(0 <= t0 && t0 <= t1 && t1 <= tokens_);
  // After SetFloat changed the shape there are no int8 buffers to fill.
  BITGATE_CHECK(static_cast<int64_t>(scale_.size()) == tokens_ && "Reset before quantizing after SetFloat");
  // What Prepare built describes the previous values: quantizing again
  // needs Reset first (a stale reordered copy or LUT is silently wrong).
  BITGATE_CHECK(prepared_ == 0 && "Reset before quantizing again");
  BITGATE_CHECK(IsaSupported(isa));
  const internal::ActivationKernels kern = internal::ActivationKernelsFor(isa);
  const int64_t k = k_;
  for (int64_t t = t0; t < t1; ++t) {
    const float* xr = x + t * ldx;
    // Non-finite inputs (a poisoned model file) are defined, not undefined:
    // the scale comes from the finite values, NaN quantizes to 0 and +-Inf
    // to +-127 (internal/activation_kernels.h).
    const float m = std::max(kern.absmax(xr, k), 1e-5f);
    const float s = 127.0f / m;
    scale_[t] = s;
    int8_t* qr = q_.data() + t * stride_;
    kern.quantize_row(xr, k, s, qr);
    int32_t* b32 = bsum32_.data() + t * n_bsum32_;
    int32_t* b256 = bsum256_.data() + t * n_bsum256_;
    std::fill(b256, b256 + n_bsum256_, 0);  // summed into below: a row quantized twice counts once
    int32_t total = 0;
    for (int64_t b = 0; b < n_bsum32_; ++b) {
      const int64_t end = std::min(k, 32 * b + 32);
      int32_t sum = 0;
      for (int64_t i = 32 * b; i < end; ++i) sum += qr[i];
      b32[b] = sum;
      b256[b / 8] += sum;
      total += sum;
    }
    row_sum_[t] = total;
  }
}

void Activations::SetFloat(const float* x, int64_t tokens, int64_t k, int64_t ldx) {
  BITGATE_CHECK(tokens >= 0 && k >= 0 && k <= kMaxCols && ldx >= k);
  BITGATE_CHECK(tokens <= std::numeric_limits<int64_t>::max() / 4 / std::max<int64_t>(k, 1));
  ldf_ = k;
  f_.resize(static_cast<size_t>(tokens * k));
  for (int64_t t = 0; t < tokens; ++t) std::memcpy(f_.data() + t * k, x + t * ldx, k * sizeof(float));
  if (tokens_ != tokens || k_ != k) {
    // The integer side described another shape: nothing of it may be read.
    tokens_ = tokens;
    k_ = k;
    stride_ = 0;
    n_bsum32_ = n_bsum256_ = 0;
    q_.clear();
    scale_.clear();
    bsum32_.clear();
    bsum256_.clear();
    row_sum_.clear();
    prepared_ = 0;
  }
}

void Activations::Prepare(Format f) {
  if (prepared(f)) return;
  // Only quantized rows (float activations from SetFloat have no q), and
  // for TL rows of whole 16-column chunks, which their LUTs are sized for.
  if (Info(f).integer_activations) BITGATE_CHECK(stride_ > 0 && static_cast<int64_t>(q_.size()) == tokens_ * stride_);
  if (f == Format::kTL1 || f == Format::kTL2) BITGATE_CHECK(k_ % Info(f).col_multiple == 0);
  switch (f) {
    case Format::kTQ2_0:
    case Format::kI2_S: {
      if (prepared(Format::kTQ2_0) || prepared(Format::kI2_S)) break;  // shared buffer
      qi_.assign(q_.size(), 0);
      for (int64_t t = 0; t < tokens_; ++t) {
        const int8_t* src = q(t);
        int8_t* dst = qi_.data() + t * stride_;
        int64_t g = 0;
        for (; g + 256 <= k_; g += 256)
          for (int l = 0; l < 4; ++l) {
            std::memcpy(dst + g + 64 * l, src + g + 32 * l, 32);
            std::memcpy(dst + g + 64 * l + 32, src + g + 128 + 32 * l, 32);
          }
        std::memcpy(dst + g, src + g, static_cast<size_t>(k_ - g));
      }
      break;
    }
    case Format::kTQ1_0: {
      const int64_t nb = k_ / 256, quads = (nb + 3) / 4 + (nb % 4 == 2 ? 1 : 0);  // + the pair tail
      tq1_stride_ = quads * internal::kTQ1QuadBytes;  // a multiple of 64
      tq1_.assign(static_cast<size_t>(tokens_ * tq1_stride_), 0);
      for (int64_t t = 0; t < tokens_; ++t) {
        const int8_t* src = q(t);
        int8_t* dst = tq1_.data() + t * tq1_stride_;
        for (int64_t b = 0; b < nb; ++b) {
          const int8_t* blk = src + 256 * b;
          int8_t* quad = dst + (b / 4) * internal::kTQ1QuadBytes + 16 * (b % 4);
          for (int n = 0; n < 5; ++n) {
            std::memcpy(quad + 64 * n, blk + 32 * n, 16);
            std::memcpy(quad + 64 * (5 + n), blk + 16 + 32 * n, 16);
            std::memcpy(quad + 64 * (10 + n), blk + 160 + 16 * n, 16);
          }
          std::memcpy(quad + 64 * 15, blk + 240, 16);
          const int32_t sum256 = bsum256(t)[b] * 256;
          std::memcpy(quad + internal::kTQ1QuadSumOffset, &sum256, 4);
        }
        if (nb % 4 == 2) {  // the last two blocks' slots, twice
          const int8_t* last = dst + (nb / 4) * internal::kTQ1QuadBytes;
          int8_t* pair = dst + (nb / 4 + 1) * internal::kTQ1QuadBytes;
          for (int64_t off = 0; off < internal::kTQ1QuadBytes; off += 64) {
            std::memcpy(pair + off, last + off, 32);
            std::memcpy(pair + off + 32, last + off, 32);
          }
        }
      }
      break;
    }
    case Format::kI2S: {
      qs_.assign(q_.size(), 0);
      for (int64_t t = 0; t < tokens_; ++t) {
        const int8_t* src = q(t);
        int8_t* dst = qs_.data() + t * stride_;
        const int64_t full = k_ / internal::kI2SGroup * internal::kI2SGroup;
        for (int64_t g = 0; g < full; g += internal::kI2SGroup)
          for (int p = 0; p < 4; ++p)
            for (int h = 0; h < 2; ++h) {
              int8_t* out = dst + internal::I2SActivationOffset(g, full, p, h);
              for (int64_t i = 0; i < 32; ++i) out[i] = src[g + internal::I2SPlaneElement(32 * h + i, p)];
            }
        std::memcpy(dst + full, src + full, static_cast<size_t>(k_ - full));
      }
      break;
    }
    case Format::kTL1:
    case Format::kTL2: {
      const int i = f == Format::kTL1 ? 0 : 1;
      lut_stride_[i] = internal::TlLutBytes(f, k_);
      lut_[i].assign(static_cast<size_t>(tokens_ * lut_stride_[i]), 0);
      for (int64_t t = 0; t < tokens_; ++t)
        internal::BuildTlLut(f, q(t), k_, lut_[i].data() + t * lut_stride_[i]);
      break;
    }
    default:
      break;
  }
  prepared_ |= 1u << static_cast<int>(f);
}

const uint8_t* Activations::lut(Format f, int64_t t) const {
  const int i = f == Format::kTL1 ? 0 : 1;
  return lut_[i].data() + t * lut_stride_[i];
}

Status ValidateWeights(Format f, int64_t rows, int64_t cols, int64_t bytes) {
  auto need = TensorBytes(f, rows, cols);
  if (!need.ok()) return need.status();
  if (bytes != *need) {
    return Status::Error(std::string(FormatName(f)) + " [" + std::to_string(rows) + ", " +
                         std::to_string(cols) + "] needs " + std::to_string(*need) +
                         " bytes, got " + std::to_string(bytes));
  }
  auto isa = SelectedIsa();
  if (!isa.ok()) return isa.status();
  return Status::Ok();
}

void MatmulWith(Isa isa, Format f, const void* w, int64_t rows, int64_t cols,
                const Activations& x, float* y, int64_t ldy, int64_t row_begin, int64_t row_end) {
  const int64_t tile = Info(f).row_tile;
  BITGATE_CHECK(x.k() == cols);
  BITGATE_CHECK(x.prepared(f) || !internal::NeedsPrepare(f));
  BITGATE_CHECK(!Info(f).integer_activations || x.stride() > 0);
  BITGATE_CHECK(Info(f).integer_activations || x.float_stride() == cols);
  // Once per call (a chunk of rows), so checked in release builds too: a
  // bad range or output stride would read or write past the buffers.
  BITGATE_CHECK(IsaSupported(isa));
  BITGATE_CHECK(ValidateShape(f, rows, cols).ok());
  BITGATE_CHECK(0 <= row_begin && row_begin <= row_end && row_end <= rows);
  BITGATE_CHECK(row_begin % tile == 0 && (row_end % tile == 0 || row_end == rows));
  BITGATE_CHECK(x.tokens() <= 1 || ldy >= row_end);  // token rows of y must not overlap
  if (row_begin >= row_end) return;
  Isa used;
  auto fn = internal::FindMatmul(f, isa, &used);
  internal::CountKernel(x.tokens() == 1 ? KernelOp::kGemv : KernelOp::kGemm, f, used);
  fn(static_cast<const uint8_t*>(w), rows, cols, x, y, ldy, row_begin, row_end);
}

void Matmul(Format f, const void* w, int64_t rows, int64_t cols, const Activations& x, float* y,
            int64_t ldy, int64_t row_begin, int64_t row_end) {
  // ValidateWeights (a precondition) reports a bad BITGATE_FORCE_ISA; a
  // caller that skipped it stops here rather than silently running scalar.
  auto isa = SelectedIsa();
  BITGATE_CHECK(isa.ok());
  MatmulWith(*isa, f, w, rows, cols, x, y, ldy, row_begin, row_end);
}

}  // namespace bitgate::kernels
