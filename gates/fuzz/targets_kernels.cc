// Kernel fuzz targets: shape arithmetic (TensorBytes against an independent
// 128-bit formula) and quantize/dequantize on random shapes, values and
// formats, every SIMD path against the scalar reference.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "gates/fuzz/fuzz_target.h"
#include "kernels/cpu.h"
#include "kernels/dispatch.h"
#include "kernels/format.h"
#include "kernels/patterns.h"
#include "kernels/quant.h"

namespace bitgate::gates::fuzz {
namespace {

// 128-bit arithmetic checks 64-bit size computations without overflowing
// itself (__extension__: a GCC/Clang type outside ISO C++).
__extension__ typedef __int128 Int128;

using kernels::Format;
using kernels::Isa;

// Little-endian fields read from the input, zero past its end (so every
// input means something and truncation is a mutation like any other).
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}
  uint8_t U8() { return pos_ < in_.size() ? in_[pos_++] : (pos_++, 0); }
  uint64_t U64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(U8()) << (8 * i);
    return v;
  }
  std::span<const uint8_t> Rest() const { return pos_ < in_.size() ? in_.subspan(pos_) : std::span<const uint8_t>(); }

 private:
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
};

// The byte size of a [rows][cols] tensor as FORMATS.md defines it, computed
// in 128 bits; nullopt when the shape is illegal or the size leaves int64.
std::optional<int64_t> ExpectedBytes(Format f, int64_t rows, int64_t cols) {
  const auto& info = kernels::Info(f);
  if (rows <= 0 || cols <= 0 || cols > kernels::kMaxCols || cols % info.col_multiple != 0) return std::nullopt;
  const Int128 elems = static_cast<Int128>(rows) * cols;
  if (elems > std::numeric_limits<int64_t>::max()) return std::nullopt;
  constexpr Int128 kTail = 32;  // I2_S / TL1 / TL2 per-tensor scale block
  Int128 bytes = 0;
  switch (f) {
    case Format::kI2_S:
      bytes = elems / 4 + kTail;
      break;
    case Format::kTL1:
    case Format::kTL2: {
      const Int128 padded_rows = (static_cast<Int128>(rows) + 15) / 16 * 16;
      // TL1: 64 bytes per 16x16 chunk; TL2: 80 bytes per 16x24 chunk over
      // the first 48*floor(cols/48) columns, TL1 chunks for the rest.
      const Int128 k3 = f == Format::kTL2 ? cols / 48 * 48 : 0;
      bytes = padded_rows / 16 * (k3 / 24 * 80 + (cols - k3) / 16 * 64) + kTail;
      break;
    }
    default:
      bytes = elems / info.block_elems * info.block_bytes;
  }
  if (bytes > std::numeric_limits<int64_t>::max()) return std::nullopt;
  return static_cast<int64_t>(bytes);
}

void RunShape(std::span<const uint8_t> input, FuzzOutcome* out) {
  Reader r(input);
  const auto f = static_cast<Format>(r.U8() % kernels::kFormatCount);
  const auto rows = static_cast<int64_t>(r.U64());
  const auto cols = static_cast<int64_t>(r.U64());
  const auto got = kernels::TensorBytes(f, rows, cols);
  const auto want = ExpectedBytes(f, rows, cols);
  const std::string shape = std::string(kernels::FormatName(f)) + " [" + std::to_string(rows) + ", " +
                            std::to_string(cols) + "]";
  if (got.ok() != want.has_value()) {
    out->failure = "TensorBytes(" + shape + ") is " + (got.ok() ? std::to_string(*got) : got.status().message()) +
                   " but the formula says " + (want ? std::to_string(*want) : "illegal");
    return;
  }
  if (got.ok() && *got != *want) {
    out->failure = "TensorBytes(" + shape + ") = " + std::to_string(*got) + ", formula " + std::to_string(*want);
    return;
  }
  if (kernels::ValidateShape(f, rows, cols).ok() !=
      (rows > 0 && cols > 0 && cols <= kernels::kMaxCols && cols % kernels::Info(f).col_multiple == 0)) {
    out->failure = "ValidateShape(" + shape + ") disagrees with the format's constraints";
    return;
  }
  out->feature = HashMix(static_cast<uint64_t>(f), StatusFeature(got.ok() ? Status::Ok() : got.status()));
}

Status ShapeSeeds(std::vector<Bytes>* seeds) {
  const int64_t shapes[][2] = {{1, 256}, {16, 768}, {2560, 6912}, {128256, 2560}, {-1, 256},
                               {0, 0},   {1, 255},  {INT64_MAX / 256, 256}, {INT64_MAX, INT64_MAX},
                               {1, int64_t{1} << 22}, {1, (int64_t{1} << 22) + 256}};
  for (int f = 0; f < kernels::kFormatCount; ++f) {
    for (const auto& s : shapes) {
      Bytes b{static_cast<uint8_t>(f)};
      for (int64_t v : s)
        for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i)));
      seeds->push_back(std::move(b));
    }
  }
  return Status::Ok();
}

// The largest magnitude format f accepts (docs/FORMATS.md, "Bad input"):
// f16-scaled ternary formats stop at 65504, Q8_0 (scale absmax / 127 in
// f16; documented in kernels/quant.cc) at 127 x 65504, other ternary
// formats at FLT_MAX (no Inf), float formats take anything but NaN.
float InputLimit(Format f) {
  if (f == Format::kI2S || f == Format::kTQ1_0 || f == Format::kTQ2_0) return 65504.0f;
  if (f == Format::kQ8_0) return 65504.0f * 127.0f;
  if (kernels::Info(f).ternary) return std::numeric_limits<float>::max();
  return std::numeric_limits<float>::infinity();
}

// Formats that reproduce {-a, 0, a} exactly when a is a power of two in
// f16 range: ternary ones keep a ternary magnitude, float ones round
// exactly. (Q8_0 stores a / 127, not exact in f16.)
bool ReproducesTernary(Format f) { return f != Format::kQ8_0; }

// Input: format, rows, column multiple, flags, parameters, then value bytes.
// flags bit 0 makes the row length illegal; bits 1-2 pick how values are
// made: 0 raw float bits (NaN and Inf included), 1 int8 times a power of
// two, 2 a data pattern, 3 ternary values {-a, 0, a} with a an exact f16.
void RunQuant(std::span<const uint8_t> input, FuzzOutcome* out) {
  Reader r(input);
  const auto f = static_cast<Format>(r.U8() % kernels::kFormatCount);
  const auto& info = kernels::Info(f);
  int64_t rows = 1 + r.U8() % 32;
  int64_t cols = info.col_multiple * (1 + r.U8() % 8);
  const uint8_t flags = r.U8();
  const uint8_t p0 = r.U8(), p1 = r.U8();
  if (flags & 1) cols += 1 + p0 % 15;
  rows = std::max<int64_t>(1, std::min<int64_t>(rows, 16384 / cols));  // keep one execution in microseconds
  const int64_t n = rows * cols;
  const int mode = (flags >> 1) & 3;
  std::vector<float> x(static_cast<size_t>(n));
  const auto rest = r.Rest();
  auto byte_at = [&](int64_t i) -> uint8_t { return rest.empty() ? 0 : rest[static_cast<size_t>(i) % rest.size()]; };
  if (mode == 0) {
    for (int64_t i = 0; i < n; ++i) {
      uint32_t bits = 0;
      for (int k = 0; k < 4; ++k) bits |= static_cast<uint32_t>(byte_at(4 * i + k)) << (8 * k);
      std::memcpy(&x[i], &bits, 4);
    }
  } else if (mode == 1) {
    const float scale = std::ldexp(1.0f, p1 % 64 - 32);
    for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(static_cast<int8_t>(byte_at(i))) * scale;
  } else if (mode == 2) {
    x = kernels::MakePattern(kernels::kAllPatterns[p1 % 5], n, byte_at(0) + 1);
  } else {
    const float a = std::ldexp(1.0f, p1 % 30 - 14);  // 2^-14 .. 2^15: exact in f16 and bf16
    for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(byte_at(i) % 3) * a - a;
  }
  bool has_nan = false, has_inf = false, beyond_limit = false;
  float max_abs = 0;
  for (float v : x) {
    has_nan |= std::isnan(v);
    has_inf |= std::isinf(v);
    beyond_limit |= std::fabs(v) > InputLimit(f);
    if (std::isfinite(v)) max_abs = std::max(max_abs, std::fabs(v));
  }
  const bool legal = kernels::ValidateShape(f, rows, cols).ok();
  const bool expect_ok = legal && !has_nan && !beyond_limit;
  const std::string what = std::string(info.name) + " [" + std::to_string(rows) + ", " + std::to_string(cols) +
                           "] values mode " + std::to_string(mode);
  auto size = kernels::TensorBytes(f, rows, cols);
  Bytes q(size.ok() ? static_cast<size_t>(*size) : 64);
  const Status s = kernels::QuantizeWith(Isa::kScalar, f, x.data(), rows, cols, q);
  out->feature = HashMix(HashMix(static_cast<uint64_t>(f), mode), StatusFeature(s));
  if (s.ok() != expect_ok) {
    out->failure = "Quantize(" + what + ") " + (s.ok() ? "accepted" : "rejected: " + s.message()) +
                   " but the documented rule says " + (expect_ok ? "ok" : "error");
    return;
  }
  // Every SIMD path must do exactly what the scalar reference did.
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (!kernels::IsaSupported(isa)) continue;
    Bytes qi(q.size());
    const Status si = kernels::QuantizeWith(isa, f, x.data(), rows, cols, qi);
    if (si.ok() != s.ok() || (s.ok() && qi != q)) {
      out->failure = std::string("Quantize(") + what + ") on " + kernels::IsaName(isa) + " differs from scalar";
      return;
    }
  }
  if (!s.ok()) return;
  std::vector<float> y(static_cast<size_t>(n));
  const Status d = kernels::DequantizeWith(Isa::kScalar, f, q, rows, cols, y.data());
  if (!d.ok()) {
    out->failure = "Dequantize(" + what + ") of its own quantization failed: " + d.message();
    return;
  }
  const bool bf16_range = max_abs <= 3.38e38f;  // above, round-to-nearest-even gives Inf
  const bool must_be_finite = !has_inf && (f != Format::kF16 || max_abs <= 65504.0f) && (f != Format::kBF16 || bf16_range);
  for (int64_t i = 0; i < n; ++i) {
    if (must_be_finite && !std::isfinite(y[i])) {
      out->failure = "Dequantize(Quantize(" + what + ")) element " + std::to_string(i) + " is not finite";
      return;
    }
    if (mode == 3 && ReproducesTernary(f) && y[i] != x[i]) {
      out->failure = "ternary input not reproduced exactly by " + what + " at element " + std::to_string(i) +
                     ": " + std::to_string(x[i]) + " -> " + std::to_string(y[i]);
      return;
    }
  }
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (!kernels::IsaSupported(isa)) continue;
    std::vector<float> yi(static_cast<size_t>(n));
    const Status di = kernels::DequantizeWith(isa, f, q, rows, cols, yi.data());
    if (!di.ok() || std::memcmp(yi.data(), y.data(), y.size() * sizeof(float)) != 0) {
      out->failure = std::string("Dequantize(") + what + ") on " + kernels::IsaName(isa) + " differs from scalar";
      return;
    }
  }
}

Status QuantSeeds(std::vector<Bytes>* seeds) {
  for (uint8_t f = 0; f < kernels::kFormatCount; ++f) {
    for (uint8_t flags : {0, 1, 2, 4, 6}) {
      Bytes b{f, 3, 1, flags, 7, 33};
      for (int i = 0; i < 64; ++i) b.push_back(static_cast<uint8_t>(i * 37 + f));
      seeds->push_back(std::move(b));
    }
  }
  return Status::Ok();
}

}  // namespace

void AddKernelTargets(std::vector<FuzzTarget>* targets) {
  FuzzTarget shape;
  shape.name = "shape";
  shape.description = "TensorBytes/ValidateShape against an independent 128-bit size formula";
  shape.seeds = ShapeSeeds;
  shape.run = RunShape;
  shape.max_input_bytes = 17;
  targets->push_back(std::move(shape));

  FuzzTarget quant;
  quant.name = "quant";
  quant.description = "Quantize/Dequantize on random shapes and values; SIMD paths equal scalar";
  quant.seeds = QuantSeeds;
  quant.run = RunQuant;
  quant.max_input_bytes = 512;
  targets->push_back(std::move(quant));
}

}  // namespace bitgate::gates::fuzz
