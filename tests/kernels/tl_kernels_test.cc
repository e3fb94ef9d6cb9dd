// TL1 / TL2 table-lookup SIMD kernels against the scalar reference
// (MatmulTl in kernels/ref/tl_ref.cc), bit-exact in every output float.
//
// simd_equivalence_test covers the general shapes; this file adds what
// targets the lookup kernels specifically: that the SIMD paths really are
// implemented (a missing table entry would silently fall back to scalar and
// pass every comparison), activations at the extremes of the quantized range
// (which drive the int16 partial sums to their bounds), K long enough to
// cross many int16 -> int32 flush periods, ragged row counts and row ranges,
// arbitrary bytes; and both AVX-512 TL kernels (vpshufb and VBMI), called
// directly, since the dispatcher runs only one of them on a given core.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "kernels/avx512/avx512_kernels.h"
#include "kernels/dispatch.h"
#include "kernels/patterns.h"
#include "kernels/quant.h"
#include "test_util.h"

namespace bitgate::kernels {
namespace {

constexpr Format kTlFormats[] = {Format::kTL1, Format::kTL2};

std::string Name(const ::testing::TestParamInfo<Format>& p) { return FormatName(p.param); }

class TlKernels : public ::testing::TestWithParam<Format> {};

TEST_P(TlKernels, SimdPathsAreImplemented) {
  const Format f = GetParam();
  for (Isa isa : testing::SupportedSimdIsas()) {
    EXPECT_EQ(ImplementedIsa(KernelOp::kGemv, f, isa), isa) << FormatName(f) << " " << IsaName(isa);
    EXPECT_EQ(ImplementedIsa(KernelOp::kGemm, f, isa), isa) << FormatName(f) << " " << IsaName(isa);
  }
}

std::vector<uint8_t> Pack(Format f, const std::vector<float>& w, int64_t rows, int64_t cols) {
  std::vector<uint8_t> packed(static_cast<size_t>(*TensorBytes(f, rows, cols)));
  EXPECT_TRUE(QuantizeWith(Isa::kScalar, f, w.data(), rows, cols, packed).ok());
  return packed;
}

// Ternary weights: 0 = all -1, 1 = all +1, 2 = pseudo-random {-1, 0, 1}.
std::vector<float> TernaryWeights(int kind, int64_t rows, int64_t cols, uint64_t seed) {
  std::vector<float> w(static_cast<size_t>(rows * cols));
  SplitMix64 rng(seed);
  for (auto& v : w) {
    switch (kind) {
      case 0:
        v = -1.0f;
        break;
      case 1:
        v = 1.0f;
        break;
      default:
        v = static_cast<float>(static_cast<int>(rng.Next() % 3) - 1);
        break;
    }
  }
  return w;
}

// Token t of `tokens`: 0 all +1 (q = 127), 1 all -1 (q = -127), 2 random,
// 3 alternating +-1, 4 random with one outlier. Quantize never yields -128
// (|x| <= absmax maps to |q| <= 127), so +-127 is the extreme it can reach.
std::vector<float> ExtremeInputs(int64_t tokens, int64_t cols) {
  std::vector<float> x(static_cast<size_t>(tokens * cols));
  SplitMix64 rng(17);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t k = 0; k < cols; ++k) {
      float& v = x[static_cast<size_t>(t * cols + k)];
      switch (t % 5) {
        case 0:
          v = 1.0f;
          break;
        case 1:
          v = -1.0f;
          break;
        case 2:
          v = static_cast<float>(rng.Normal());
          break;
        case 3:
          v = k % 2 ? 1.0f : -1.0f;
          break;
        default:
          v = k == 7 ? 50.0f : static_cast<float>(rng.Normal());
          break;
      }
    }
  return x;
}

// The implementations to compare with the scalar reference: every
// supported SIMD path as dispatched, and on AVX-512 both TL kernels (the
// vpshufb one, which the dispatcher runs only on cores without VBMI, and
// the VBMI one where this core has it), called directly so neither goes
// untested on any machine that can run it.
struct Impl {
  std::string name;
  std::function<void(const uint8_t*, int64_t, int64_t, const Activations&, float*, int64_t, int64_t, int64_t)> run;
};

std::vector<Impl> Implementations(Format f) {
  std::vector<Impl> out;
  for (Isa isa : testing::SupportedSimdIsas())
    out.push_back({IsaName(isa), [isa, f](const uint8_t* w, int64_t rows, int64_t cols, const Activations& x,
                                          float* y, int64_t ldy, int64_t r0, int64_t r1) {
                     MatmulWith(isa, f, w, rows, cols, x, y, ldy, r0, r1);
                   }});
  if (IsaSupported(Isa::kAvx512))
    out.push_back({"avx512 vpshufb", f == Format::kTL1 ? internal::MatmulTL1Avx512Shuffle
                                                        : internal::MatmulTL2Avx512Shuffle});
  if (Avx512VbmiTlSupported())
    out.push_back({"avx512 vbmi", f == Format::kTL1 ? internal::MatmulTL1Avx512Vbmi : internal::MatmulTL2Avx512Vbmi});
  return out;
}

// Runs every implementation and the scalar reference over rows [r0, r1)
// and expects identical output floats (and untouched rows outside the
// range). ldy > rows checks the token stride.
void ExpectMatchesScalar(Format f, const std::vector<uint8_t>& packed, int64_t rows, int64_t cols,
                         const Activations& acts, int64_t r0, int64_t r1, const std::string& what) {
  const int64_t tokens = acts.tokens(), ldy = rows + 3;
  std::vector<float> ref(static_cast<size_t>(tokens * ldy), -7.0f);
  MatmulWith(Isa::kScalar, f, packed.data(), rows, cols, acts, ref.data(), ldy, r0, r1);
  for (const Impl& impl : Implementations(f)) {
    std::vector<float> got(ref.size(), -7.0f);
    impl.run(packed.data(), rows, cols, acts, got.data(), ldy, r0, r1);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t r = 0; r < ldy; ++r) {
        const size_t i = static_cast<size_t>(t * ldy + r);
        auto where = [&] {
          return what + " " + FormatName(f) + " " + impl.name + " [" + std::to_string(rows) + "x" +
                 std::to_string(cols) + "] rows " + std::to_string(r0) + ".." + std::to_string(r1) + " t " +
                 std::to_string(t) + " r " + std::to_string(r);
        };
        // Bitwise: outputs are NaN-free, and -0.0 vs 0.0 would be a real difference.
        ASSERT_EQ(ref[i], got[i]) << where();
        ASSERT_EQ(std::signbit(ref[i]), std::signbit(got[i])) << where();
        if (r < r0 || r >= r1) {
          ASSERT_EQ(got[i], -7.0f) << "wrote outside the row range: " << where();
        }
      }
  }
}

TEST_P(TlKernels, ExtremeActivationsAndLongK) {
  const Format f = GetParam();
  // 6912 / 13824: hundreds of chunks, many flush periods; 6912 is also a
  // TL2 shape with no TL1 tail, 13840 one with a 16-column tail, 13856 with
  // a 32-column tail (13824 = 288 * 48).
  for (int64_t cols : {6912, 13824, 13840, 13856}) {
    const int64_t rows = 37, tokens = 5;
    auto x = ExtremeInputs(tokens, cols);
    Activations acts;
    acts.Quantize(x.data(), tokens, cols, cols);
    ASSERT_EQ(acts.q(0)[0], 127);
    ASSERT_EQ(acts.q(1)[0], -127);
    acts.Prepare(f);
    for (int kind : {0, 1, 2}) {
      const auto w = TernaryWeights(kind, rows, cols, 5 + cols);
      const auto packed = Pack(f, w, rows, cols);
      ExpectMatchesScalar(f, packed, rows, cols, acts, 0, rows,
                          "weights kind " + std::to_string(kind));
    }
    // All +1 weights against all +-1 activations: every lookup is at its
    // bound (|v| = 254 TL1, 381 TL2), and the SIMD result must equal the
    // closed form +-127 * cols on its own, not only agree with the reference.
    const auto packed = Pack(f, TernaryWeights(1, rows, cols, 0), rows, cols);
    std::vector<float> wd(static_cast<size_t>(rows * cols));
    ASSERT_TRUE(DequantizeWith(Isa::kScalar, f, packed, rows, cols, wd.data()).ok());
    const float scale = wd[0];  // all-ones weights dequantize to the tensor scale
    std::vector<float> y(static_cast<size_t>(tokens * rows));
    for (const Impl& impl : Implementations(f)) {
      impl.run(packed.data(), rows, cols, acts, y.data(), rows, 0, rows);
      EXPECT_EQ(y[0], static_cast<float>(127 * cols) / acts.scale(0) * scale) << impl.name;
      EXPECT_EQ(y[rows], static_cast<float>(-127 * cols) / acts.scale(1) * scale) << impl.name;
    }
  }
}

TEST_P(TlKernels, SingleTokenGemv) {
  const Format f = GetParam();
  for (int64_t cols : {16, 32, 48, 2560}) {
    const int64_t rows = 50;
    auto x = ExtremeInputs(5, cols);
    Activations acts;
    acts.Quantize(x.data() + 4 * cols, 1, cols, cols);  // the random-with-outlier token
    acts.Prepare(f);
    const auto packed = Pack(f, TernaryWeights(2, rows, cols, 9), rows, cols);
    ExpectMatchesScalar(f, packed, rows, cols, acts, 0, rows, "gemv");
  }
}

TEST_P(TlKernels, RaggedRowsAndRowRanges) {
  const Format f = GetParam();
  // TL2: 96 columns in four triple chunks, then a 16-column TL1 tail.
  const int64_t cols = 112;
  auto x = ExtremeInputs(4, cols);  // tokens 1..3: all -1, random, alternating
  Activations acts;
  acts.Quantize(x.data() + cols, 3, cols, cols);
  acts.Prepare(f);
  for (int64_t rows : {1, 15, 16, 17, 31, 33, 50, 64, 65}) {
    const auto packed =
        Pack(f, TernaryWeights(2, rows, cols, static_cast<uint64_t>(rows)), rows, cols);
    ExpectMatchesScalar(f, packed, rows, cols, acts, 0, rows, "whole");
    // Every aligned split point, as thread partitions produce.
    for (int64_t r0 = 0; r0 < rows; r0 += 16) {
      ExpectMatchesScalar(f, packed, rows, cols, acts, r0, std::min(r0 + 16, rows), "one tile");
      ExpectMatchesScalar(f, packed, rows, cols, acts, r0, rows, "to end");
      if (r0 + 32 <= rows)
        ExpectMatchesScalar(f, packed, rows, cols, acts, r0, r0 + 32, "two tiles");
    }
  }
}

// Arbitrary bytes (a damaged or hostile file): index nibbles past the
// largest a quantizer writes (TL1 9..15, TL2 14..15) are zero weights, and
// any sign bit, on zero-magnitude triples too, in every implementation.
TEST_P(TlKernels, ArbitraryBytes) {
  const Format f = GetParam();
  for (int64_t cols : {48, 112, 2560, 6912}) {
    const int64_t rows = 16 * 5 + 7;
    std::vector<uint8_t> packed(static_cast<size_t>(*TensorBytes(f, rows, cols)));
    SplitMix64 rng(static_cast<uint64_t>(cols) * 7 + 3);
    for (size_t i = 0; i + 32 < packed.size(); ++i) packed[i] = static_cast<uint8_t>(rng.Next() >> 24);
    for (size_t i = 0; i < 80; ++i) packed[i] = 0xFF;  // a first chunk of 15s, every sign set
    const float scale = 0.25f;
    std::memcpy(packed.data() + packed.size() - 32, &scale, 4);
    auto x = ExtremeInputs(5, cols);
    Activations acts;
    acts.Quantize(x.data(), 5, cols, cols);
    acts.Prepare(f);
    ExpectMatchesScalar(f, packed, rows, cols, acts, 0, rows, "arbitrary bytes");
    ExpectMatchesScalar(f, packed, rows, cols, acts, 16, 48, "arbitrary bytes, two tiles");
  }
}

// The AVX-512 entries run the VBMI kernel wherever the core has VBMI and
// BITALG (and the vpshufb one elsewhere); the outputs are identical, so only
// this tells a wrong choice apart.
TEST(TlAvx512, EntriesRunTheVbmiKernelWhereTheCoreHasIt) {
  if (!IsaSupported(Isa::kAvx512)) GTEST_SKIP() << "no AVX-512 path on this CPU";
  const CpuFeatures& cpu = GetCpuFeatures();
  const bool vbmi = cpu.avx512vbmi && cpu.avx512bitalg;
  EXPECT_EQ(Avx512VbmiTlSupported(), vbmi);
  EXPECT_EQ(internal::Avx512TlKernel(Format::kTL1),
            vbmi ? internal::MatmulTL1Avx512Vbmi : internal::MatmulTL1Avx512Shuffle);
  EXPECT_EQ(internal::Avx512TlKernel(Format::kTL2),
            vbmi ? internal::MatmulTL2Avx512Vbmi : internal::MatmulTL2Avx512Shuffle);
  if (!vbmi) std::printf("note: no AVX512_VBMI/BITALG here: the VBMI TL kernel was not tested\n");
}

// The machine fingerprint's flag list stays as it was before the VBMI
// kernel: stores hold runs keyed by it (docs/SCHEMA.md).
TEST(TlAvx512, FingerprintFlagsLeaveOutTheLaterFlags) {
  const std::string shown = CpuFlagsString(), fingerprint = CpuFingerprintFlags();
  EXPECT_EQ(fingerprint.find("vbmi"), std::string::npos);
  EXPECT_EQ(fingerprint.find("bitalg"), std::string::npos);
  EXPECT_EQ(shown.rfind(fingerprint, 0), 0u) << shown << " / " << fingerprint;
  if (GetCpuFeatures().avx512vbmi) {
    EXPECT_NE(shown.find("avx512vbmi"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Tl, TlKernels, ::testing::ValuesIn(kTlFormats), Name);

}  // namespace
}  // namespace bitgate::kernels
