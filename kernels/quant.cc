#include "kernels/quant.h"

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <string>

#include "kernels/dispatch.h"
#include "kernels/internal/counters_impl.h"
#include "kernels/internal/fp16.h"
#include "kernels/internal/kernel_table.h"
#include "kernels/internal/layouts.h"
#include "kernels/ref/ref_common.h"

namespace bitgate::kernels {
namespace {

constexpr float kHalfMax = 65504.0f;

bool HasHalfScales(Format f) {
  return f == Format::kI2S || f == Format::kTQ1_0 || f == Format::kTQ2_0 || f == Format::kQ8_0;
}

std::string Where(int64_t i, int64_t cols) {
  return "element " + std::to_string(i) + " (row " + std::to_string(i / cols) + ", col " +
         std::to_string(i % cols) + ")";
}

// Rejects input no encoding of format f represents. One pass; the common
// case (all finite and in range) costs one compare per element.
Status ScreenInput(Format f, const float* src, int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  // Q8_0's f16 scale is absmax / 127, so its inputs may reach 127 x 65504.
  const float limit = f == Format::kQ8_0   ? kHalfMax * 127.0f
                      : HasHalfScales(f)   ? kHalfMax
                      : Info(f).ternary    ? std::numeric_limits<float>::max()
                                           : std::numeric_limits<float>::infinity();
  // On the bits: for a non-negative limit, |x| <= limit exactly when the
  // magnitude bits of x compare <= the limit's (NaN bits exceed +Inf's).
  // Integer compares and ORs vectorize without ISA flags; the float form
  // did not, and made screening most of the cost of quantizing.
  const auto limit_bits = static_cast<int32_t>(std::bit_cast<uint32_t>(limit));
  int32_t bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, src + i, sizeof(bits));
    bad |= static_cast<int32_t>(bits & 0x7fffffffu) > limit_bits;
  }
  if (bad == 0) return Status::Ok();
  for (int64_t i = 0; i < n; ++i) {
    const float v = src[i];
    if (std::isnan(v)) return Status::Error(std::string(FormatName(f)) + ": input " + Where(i, cols) + " is NaN");
    if (std::isinf(v)) {
      return Status::Error(std::string(FormatName(f)) + ": input " + Where(i, cols) +
                           " is infinite; a finite scale cannot represent it");
    }
    if (!(std::fabs(v) <= limit)) {
      return Status::Error(std::string(FormatName(f)) + ": input " + Where(i, cols) + " = " +
                           std::to_string(v) + " exceeds the range of the format's f16 scale");
    }
  }
  return Status::Ok();
}

Status CheckSpan(Format f, int64_t rows, int64_t cols, size_t have, const char* what) {
  auto bytes = TensorBytes(f, rows, cols);
  if (!bytes.ok()) return bytes.status();
  if (have != static_cast<size_t>(*bytes)) {
    return Status::Error(std::string(FormatName(f)) + " [" + std::to_string(rows) + ", " +
                         std::to_string(cols) + "] needs " + std::to_string(*bytes) + " bytes, " +
                         what + " holds " + std::to_string(have));
  }
  return Status::Ok();
}

// A path this CPU cannot run would die on an illegal instruction.
Status CheckIsa(Isa isa, const char* what) {
  if (IsaSupported(isa)) return Status::Ok();
  return Status::Error(std::string(what) + ": the " + IsaName(isa) + " path needs CPU features this machine lacks (" +
                       CpuFlagsString() + ")");
}

}  // namespace

Status QuantizeWith(Isa isa, Format f, const float* src, int64_t rows, int64_t cols,
                    std::span<uint8_t> dst) {
  BITGATE_RETURN_IF_ERROR(CheckIsa(isa, "quantize"));
  BITGATE_RETURN_IF_ERROR(CheckSpan(f, rows, cols, dst.size(), "destination"));
  if (src == nullptr) return Status::Error("quantize: null source");
  BITGATE_RETURN_IF_ERROR(ScreenInput(f, src, rows, cols));
  const float scale = HasTensorScale(f) ? internal::TernaryTensorScale(src, rows * cols) : 0.0f;
  Isa used;
  auto fn = internal::FindQuantize(f, isa, &used);
  internal::CountKernel(KernelOp::kQuantize, f, used);
  fn(src, rows, cols, scale, dst.data());
  return Status::Ok();
}

Status DequantizeWith(Isa isa, Format f, std::span<const uint8_t> src, int64_t rows, int64_t cols,
                      float* dst) {
  BITGATE_RETURN_IF_ERROR(CheckIsa(isa, "dequantize"));
  BITGATE_RETURN_IF_ERROR(CheckSpan(f, rows, cols, src.size(), "source"));
  if (dst == nullptr) return Status::Error("dequantize: null destination");
  Isa used;
  auto fn = internal::FindDequantize(f, isa, &used);
  internal::CountKernel(KernelOp::kDequantize, f, used);
  fn(src.data(), rows, cols, dst);
  return Status::Ok();
}

Status Quantize(Format f, const float* src, int64_t rows, int64_t cols, std::span<uint8_t> dst) {
  auto isa = SelectedIsa();
  if (!isa.ok()) return isa.status();
  return QuantizeWith(*isa, f, src, rows, cols, dst);
}

Status Dequantize(Format f, std::span<const uint8_t> src, int64_t rows, int64_t cols, float* dst) {
  auto isa = SelectedIsa();
  if (!isa.ok()) return isa.status();
  return DequantizeWith(*isa, f, src, rows, cols, dst);
}

bool HasTensorScale(Format f) {
  return f == Format::kI2_S || f == Format::kTL1 || f == Format::kTL2;
}

Result<float> TensorScale(Format f, std::span<const uint8_t> src, int64_t rows, int64_t cols) {
  if (!HasTensorScale(f)) {
    return Status::Error(std::string(FormatName(f)) + " has no per-tensor scale");
  }
  BITGATE_RETURN_IF_ERROR(CheckSpan(f, rows, cols, src.size(), "source"));
  return internal::LoadF32(src.data() + src.size() - 32);
}

Result<std::optional<int64_t>> FirstNonFiniteBlockScale(Format f, std::span<const uint8_t> src, int64_t rows,
                                                        int64_t cols) {
  BITGATE_RETURN_IF_ERROR(CheckSpan(f, rows, cols, src.size(), "source"));
  const auto non_finite = [&](int64_t at) {
    uint16_t h;
    std::memcpy(&h, src.data() + at, 2);
    return (h & 0x7C00) == 0x7C00;  // exponent all ones: Inf or NaN
  };
  // (block bytes, offset of the scale in a block) of the row-major block formats
  int64_t block = 0, at = 0;
  switch (f) {
    case Format::kTQ2_0: block = sizeof(internal::BlockTQ2_0), at = offsetof(internal::BlockTQ2_0, d); break;
    case Format::kTQ1_0: block = sizeof(internal::BlockTQ1_0), at = offsetof(internal::BlockTQ1_0, d); break;
    case Format::kQ8_0: block = sizeof(internal::BlockQ8_0), at = offsetof(internal::BlockQ8_0, d); break;
    case Format::kI2S: {  // a row: [codes cols/4][scales cols/32 x f16] (internal/layouts.h)
      const int64_t row_bytes = cols / 4 + cols / 16;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t b = 0; b < cols / 32; ++b) {
          const int64_t off = r * row_bytes + cols / 4 + 2 * b;
          if (non_finite(off)) return std::optional<int64_t>(off);
        }
      return std::optional<int64_t>();
    }
    default: return std::optional<int64_t>();
  }
  const int64_t blocks = rows * (cols / Info(f).block_elems);
  for (int64_t b = 0; b < blocks; ++b)
    if (non_finite(b * block + at)) return std::optional<int64_t>(b * block + at);
  return std::optional<int64_t>();
}

uint16_t FloatToHalf(float f) { return internal::FloatToHalfScalar(f); }
float HalfToFloat(uint16_t h) { return internal::HalfToFloatScalar(h); }
uint16_t FloatToBf16(float f) { return internal::FloatToBf16Scalar(f); }
float Bf16ToFloat(uint16_t h) { return internal::Bf16ToFloatScalar(h); }

}  // namespace bitgate::kernels
