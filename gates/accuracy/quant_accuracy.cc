#include "gates/accuracy/quant_accuracy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "kernels/dispatch.h"
#include "kernels/matmul.h"
#include "kernels/quant.h"

namespace bitgate::gates::accuracy {

using kernels::Format;
using kernels::Isa;
using kernels::Pattern;

QuantFloor FloorFor(Format f, Pattern p) {
  const auto& info = kernels::Info(f);
  // Float and 8-bit formats: an ideal quantizer gains ~6 dB per bit; 4 dB
  // per bit (capped at 40 dB) leaves room for block scales and outliers
  // (f16 measures ~74 dB, bf16 ~56 dB on these patterns).
  if (!info.ternary) return {0.999, std::min(40.0, 4.0 * info.bits_per_weight)};
  // Ternary formats are lossy by design. Cosine floors are
  // tests/kernels/accuracy_test.cc's (about 0.05 below what each format
  // achieves); SNR floors sit at about 60% of the measured dB (seeds
  // 1000-1004, 64x1024), far above what garbage (SNR <= 0 dB: zeros give
  // exactly 0, wrong signs less) can reach.
  //                                    sequential sine gaussian sparse outliers
  static constexpr QuantFloor kI2S[] = {{0.99, 40}, {0.90, 6}, {0.84, 3.5}, {0.51, 0.5}, {0.47, 0.7}};
  static constexpr QuantFloor kTQ[] = {{0.99, 25}, {0.90, 5.5}, {0.66, 1.0}, {0.79, 2.4}, {0.80, 3.2}};
  static constexpr QuantFloor kTensor[] = {{0.88, 5}, {0.84, 3.5}, {0.83, 3.5}, {0.76, 0.25}, {0.41, 0.5}};
  const int i = static_cast<int>(p);
  switch (f) {
    case Format::kI2S: return kI2S[i];
    case Format::kTQ1_0:
    case Format::kTQ2_0: return kTQ[i];
    default: return kTensor[i];
  }
}

std::vector<Format> MeasuredFormats() {
  std::vector<Format> out;
  for (int i = 0; i < kernels::kFormatCount; ++i) {
    const auto f = static_cast<Format>(i);
    if (f != Format::kF32) out.push_back(f);
  }
  return out;
}

std::vector<QuantAccuracy> MeasureQuantAccuracy(int seeds, int repetitions, int64_t rows, int64_t cols) {
  std::vector<QuantAccuracy> out;
  const int64_t n = rows * cols;
  for (Format f : MeasuredFormats()) {
    std::vector<uint8_t> packed(static_cast<size_t>(*kernels::TensorBytes(f, rows, cols)));
    std::vector<float> y(static_cast<size_t>(n));
    for (Pattern p : kernels::kAllPatterns) {
      QuantAccuracy qa{f, p, {}, {}, FloorFor(f, p), ""};
      std::vector<std::vector<float>> inputs;
      for (int s = 0; s < seeds; ++s) inputs.push_back(kernels::MakePattern(p, n, 1000 + static_cast<uint64_t>(s)));
      for (int rep = 0; rep < repetitions && qa.failure.empty(); ++rep) {
        kernels::ErrorStats mean;
        for (int s = 0; s < seeds; ++s) {
          Status st = kernels::QuantizeWith(Isa::kScalar, f, inputs[s].data(), rows, cols, packed);
          if (st.ok()) st = kernels::DequantizeWith(Isa::kScalar, f, packed, rows, cols, y.data());
          if (!st.ok()) {
            qa.failure = st.message();
            break;
          }
          const auto stats = kernels::CompareSignals(inputs[s].data(), y.data(), n);
          mean.cosine += stats.cosine / seeds;
          mean.rel_l2 += stats.rel_l2 / seeds;
          mean.snr_db += stats.snr_db / seeds;
          mean.accuracy_pct += stats.accuracy_pct / seeds;
          mean.max_abs_err = std::max(mean.max_abs_err, stats.max_abs_err);
          if (rep > 0) continue;
          qa.per_seed.push_back(stats);
          // Written as !(a >= b) so that NaN fails too.
          if (qa.failure.empty() && (!(stats.cosine >= qa.floor.min_cosine) || !(stats.snr_db >= qa.floor.min_snr_db))) {
            char buf[200];
            std::snprintf(buf, sizeof(buf), "cosine %.4f (floor %.2f), SNR %.2f dB (floor %.2f) on seed %d",
                          stats.cosine, qa.floor.min_cosine, stats.snr_db, qa.floor.min_snr_db, 1000 + s);
            qa.failure = buf;
          }
        }
        if (!qa.failure.empty()) break;
        if (!qa.per_repetition.empty() && std::memcmp(&mean, &qa.per_repetition.front(), sizeof(mean)) != 0)
          qa.failure = "not deterministic: repetition " + std::to_string(rep) + " differs from the first";
        qa.per_repetition.push_back(mean);
      }
      out.push_back(std::move(qa));
    }
  }
  return out;
}

std::vector<SimdCheck> CheckSimdPaths(uint64_t seed) {
  std::vector<SimdCheck> out;
  // 37 rows (not a multiple of the 16-row tiles) and a column count with a
  // short final group exercise the tails; 3 tokens use the gemm kernels.
  constexpr int64_t kRows = 37, kTokens = 3;
  for (Format f : MeasuredFormats()) {
    const auto& info = kernels::Info(f);
    const int64_t cols = std::max<int64_t>(info.col_multiple, 256) * 3 + (info.col_multiple <= 128 ? 128 : 0);
    if (!kernels::ValidateShape(f, kRows, cols).ok()) continue;
    const auto w = kernels::MakePattern(kernels::Pattern::kGaussian, kRows * cols, seed);
    const auto x = kernels::MakePattern(kernels::Pattern::kSine, kTokens * cols, seed + 1);
    const auto bytes = static_cast<size_t>(*kernels::TensorBytes(f, kRows, cols));
    std::vector<uint8_t> ref_q(bytes);
    std::vector<float> ref_w(kRows * cols), exact_w(kRows * cols);
    // The reference failing at this shape (37 rows, tails) is a failure of
    // its own: MeasureQuantAccuracy's shape is another, and skipping the
    // format would drop its SIMD checks without a word.
    Status ref_status = kernels::QuantizeWith(Isa::kScalar, f, w.data(), kRows, cols, ref_q);
    if (ref_status.ok()) ref_status = kernels::DequantizeWith(Isa::kScalar, f, ref_q, kRows, cols, ref_w.data());
    if (!ref_status.ok()) {
      SimdCheck c{f, Isa::kScalar, kernels::ImplementedIsa(kernels::KernelOp::kGemm, f, Isa::kScalar), 0, 0, 0, 0, ""};
      c.failure = "the scalar reference failed at " + std::to_string(kRows) + "x" + std::to_string(cols) + ": " +
                  ref_status.message();
      out.push_back(c);
      continue;
    }
    kernels::Activations acts;
    if (info.integer_activations) {
      acts.Quantize(x.data(), kTokens, cols, cols);
    } else {
      acts.SetFloat(x.data(), kTokens, cols, cols);
    }
    acts.Prepare(f);
    std::vector<float> ref_y(kTokens * kRows);
    kernels::MatmulWith(Isa::kScalar, f, ref_q.data(), kRows, cols, acts, ref_y.data(), kRows, 0, kRows);
    // The scalar row checks the reference itself against the exact product.
    for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
      if (!kernels::IsaSupported(isa)) continue;
      SimdCheck c{f, isa, kernels::ImplementedIsa(kernels::KernelOp::kGemm, f, isa), 0, 0, 0, 0, ""};
      std::vector<uint8_t> q(bytes);
      if (Status s = kernels::QuantizeWith(isa, f, w.data(), kRows, cols, q); !s.ok()) {
        c.failure = "quantize failed: " + s.message();
        out.push_back(c);
        continue;
      }
      for (size_t i = 0; i < bytes; ++i) c.quant_byte_mismatches += q[i] != ref_q[i];
      std::vector<float> wd(kRows * cols);
      if (Status s = kernels::DequantizeWith(isa, f, ref_q, kRows, cols, wd.data()); !s.ok()) {
        c.failure = "dequantize failed: " + s.message();
        out.push_back(c);
        continue;
      }
      // Bit for bit: a NaN (std::max would drop it) differs, and so does a
      // zero of the other sign (counted, and named below).
      int64_t zero_signs = 0;
      for (size_t i = 0; i < wd.size(); ++i) {
        if (std::memcmp(&wd[i], &ref_w[i], sizeof(float)) == 0) continue;
        const double d = std::fabs(double(wd[i]) - ref_w[i]);
        if (d == 0) ++zero_signs;
        c.dequant_max_abs_diff = std::isnan(d) ? INFINITY : std::max(c.dequant_max_abs_diff, d);
      }
      std::vector<float> y(kTokens * kRows, std::nanf(""));
      kernels::MatmulWith(isa, f, ref_q.data(), kRows, cols, acts, y.data(), kRows, 0, kRows);
      for (int64_t t = 0; t < kTokens; ++t) {
        for (int64_t r = 0; r < kRows; ++r) {
          double exact = 0, mag = 0;
          for (int64_t k = 0; k < cols; ++k) {
            const double xv = info.integer_activations ? acts.q(t)[k] / static_cast<double>(acts.scale(t))
                                                       : x[t * cols + k];
            exact += ref_w[r * cols + k] * xv;
            mag += std::fabs(ref_w[r * cols + k] * xv);
          }
          const double got = y[t * kRows + r];
          const double diff = std::fabs(got - ref_y[t * kRows + r]);
          c.matmul_max_abs_diff = std::isnan(diff) ? INFINITY : std::max(c.matmul_max_abs_diff, diff);
          const double ratio = std::fabs(got - exact) / (1e-5 * mag + 1e-6);
          c.matmul_max_tol_ratio = std::isnan(ratio) ? INFINITY : std::max(c.matmul_max_tol_ratio, ratio);
        }
      }
      char buf[320];
      if (c.quant_byte_mismatches > 0 || c.dequant_max_abs_diff > 0 || zero_signs > 0 ||
          !(c.matmul_max_tol_ratio <= 1.0)) {
        std::snprintf(buf, sizeof(buf),
                      "%lld quantized bytes differ from scalar, dequantize max |diff| %.3g (must be 0) and "
                      "%lld zeros of the other sign, matmul error %.3g x tolerance (must be <= 1)",
                      static_cast<long long>(c.quant_byte_mismatches), c.dequant_max_abs_diff,
                      static_cast<long long>(zero_signs), c.matmul_max_tol_ratio);
        c.failure = buf;
      }
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace bitgate::gates::accuracy
