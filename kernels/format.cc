#include "kernels/format.h"

#include <string>

#include "kernels/base/checked_math.h"

namespace bitgate::kernels {
namespace {

// GGUF type ids of our own layouts. They sit far from ggml's ids (0..39 in
// use, the bitnet.cpp fork included) so no other reader mistakes our TL1/TL2
// for the fork's incompatible layouts of the same names.
// The id is the layout's version: a changed byte layout takes a new id,
// and files of the old one are refused by name (RetiredGgmlType).
constexpr int kGgmlTypeI2SV1 = 4096;  // retired: code planes spanning two blocks
constexpr int kGgmlTypeTL1 = 4097;
constexpr int kGgmlTypeTL2 = 4098;
constexpr int kGgmlTypeI2S = 4099;

// Order is tied to the enum (checked below).
constexpr FormatInfo kFormats[kFormatCount] = {
    // format        name     blk  bytes bits    ggml           tile cols tern  int8
    {Format::kF32,   "f32",   1,   4,    32.0,   0,             1,   1,   false, false},
    {Format::kF16,   "f16",   1,   2,    16.0,   1,             1,   1,   false, false},
    {Format::kBF16,  "bf16",  1,   2,    16.0,   30,            1,   1,   false, false},
    {Format::kI2S,   "i2s",   32,  10,   2.5,    kGgmlTypeI2S,  1,   32,  true,  true},
    {Format::kTQ1_0, "tq1_0", 256, 54,   1.6875, 34,            1,   256, true,  true},
    {Format::kTQ2_0, "tq2_0", 256, 66,   2.0625, 35,            1,   256, true,  true},
    // I2_S: 128 elements in 32 bytes, plus a 32-byte tail holding the f32 scale.
    {Format::kI2_S,  "i2_s",  128, 32,   2.0,    36,            1,   128, true,  true},
    // TL1: a 64-byte chunk = 16 rows x 16 cols (8 column pairs, 4-bit index each).
    {Format::kTL1,   "tl1",   16,  0,    2.0,    kGgmlTypeTL1,  16,  16,  true,  true},
    // TL2: an 80-byte chunk = 16 rows x 24 cols (8 triples: 4-bit index + sign).
    {Format::kTL2,   "tl2",   24,  0,    5.0/3,  kGgmlTypeTL2,  16,  16,  true,  true},
    // Q8_0: {f16 d; int8 qs[32]}, d = absmax / 127 (for the output head).
    {Format::kQ8_0,  "q8_0",  32,  34,   8.5,    8,             1,   32,  false, true},
};

constexpr bool RegistryOrderMatchesEnum() {
  for (int i = 0; i < kFormatCount; ++i) {
    if (static_cast<int>(kFormats[i].format) != i) return false;
  }
  return true;
}
static_assert(RegistryOrderMatchesEnum(), "kFormats order must follow enum Format");

// Bytes of the per-tensor tail (f32 scale + padding) of I2_S, TL1, TL2.
constexpr int64_t kTensorTailBytes = 32;

}  // namespace

const FormatInfo& Info(Format f) { return kFormats[static_cast<int>(f)]; }

std::optional<Format> FormatFromName(std::string_view name) {
  for (const auto& info : kFormats) {
    if (name == info.name) return info.format;
  }
  return std::nullopt;
}

std::optional<Format> FormatFromGgmlType(int ggml_type) {
  for (const auto& info : kFormats) {
    if (info.ggml_type == ggml_type) return info.format;
  }
  return std::nullopt;
}

std::optional<std::string> RetiredGgmlType(int ggml_type) {
  if (ggml_type == kGgmlTypeI2SV1) {
    return "bitgate's first I2S layout (type 4096), no longer read: I2S is type 4099 since "
           "its byte layout changed; regenerate the model (bitgate model synth) or convert "
           "the source weights again";
  }
  return std::nullopt;
}

Status ValidateShape(Format f, int64_t rows, int64_t cols) {
  const FormatInfo& info = Info(f);
  if (rows < 0 || cols < 0) {
    return Status::Error(std::string(info.name) + ": negative shape [" + std::to_string(rows) +
                         ", " + std::to_string(cols) + "]");
  }
  if (rows == 0 || cols == 0) {
    return Status::Error(std::string(info.name) + ": empty tensor [" + std::to_string(rows) +
                         ", " + std::to_string(cols) + "]");
  }
  if (cols > kMaxCols) {
    return Status::Error(std::string(info.name) + ": row length " + std::to_string(cols) +
                         " exceeds the kernels' limit of " + std::to_string(kMaxCols) +
                         " (their int32 sums stay exact up to it)");
  }
  if (cols % info.col_multiple != 0) {
    return Status::Error(std::string(info.name) + ": row length " + std::to_string(cols) +
                         " is not a multiple of " + std::to_string(info.col_multiple));
  }
  return Status::Ok();
}

Result<int64_t> TensorBytes(Format f, int64_t rows, int64_t cols) {
  BITGATE_RETURN_IF_ERROR(ValidateShape(f, rows, cols));
  const FormatInfo& info = Info(f);
  auto elems = CheckedMul(rows, cols, "tensor element count");
  if (!elems.ok()) return elems.status();
  switch (f) {
    case Format::kF32:
    case Format::kF16:
    case Format::kBF16:
    case Format::kI2S:
    case Format::kTQ1_0:
    case Format::kTQ2_0:
    case Format::kQ8_0:
      return CheckedMul(*elems / info.block_elems, info.block_bytes, "tensor byte size");
    case Format::kI2_S:
      return CheckedAdd(*elems / 4, kTensorTailBytes, "tensor byte size");
    case Format::kTL1:
    case Format::kTL2: {
      const int64_t padded_rows = (rows + 15) / 16 * 16;  // cannot overflow: rows*cols fits
      int64_t row_bytes = cols / 4;                       // TL1: 4 bits per 2 weights
      if (f == Format::kTL2) {
        const int64_t k3 = cols / 48 * 48;                // triples (internal/tl_layout.h)
        row_bytes = k3 / 24 * 5 + (cols - k3) / 4;        // 5 bytes per 24 weights
      }
      auto body = CheckedMul(padded_rows, row_bytes, "tensor byte size");
      if (!body.ok()) return body.status();
      return CheckedAdd(*body, kTensorTailBytes, "tensor byte size");
    }
  }
  return Status::Error("unknown format");
}

}  // namespace bitgate::kernels
