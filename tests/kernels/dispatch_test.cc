// Dispatch under BITGATE_FORCE_ISA. ctest runs this binary once per path
// (scalar, avx2, avx512) with the variable set, and once with a bogus value;
// BITGATE_EXPECT_ISA tells the test what the run forced.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "kernels/counters.h"
#include "kernels/cpu.h"
#include "kernels/matmul.h"
#include "kernels/quant.h"

namespace bitgate::kernels {
namespace {

TEST(Dispatch, ForcedPathIsSelectedOrRefused) {
  const char* forced = std::getenv("BITGATE_FORCE_ISA");
  auto selected = SelectedIsa();
  if (forced == nullptr || *forced == '\0') {  // empty counts as unset (kernels/cpu.cc)
    ASSERT_TRUE(selected.ok());
    EXPECT_EQ(*selected, BestIsa());
    return;
  }
  auto want = IsaFromName(forced);
  if (!want) {
    ASSERT_FALSE(selected.ok());
    EXPECT_NE(selected.status().message().find("not a kernel path"), std::string::npos);
    std::vector<float> x(256, 1.0f);
    std::vector<uint8_t> out(66);
    EXPECT_FALSE(Quantize(Format::kTQ2_0, x.data(), 1, 256, out).ok());  // refused, not silently run
    return;
  }
  if (!IsaSupported(*want)) {
    ASSERT_FALSE(selected.ok());
    EXPECT_NE(selected.status().message().find("does not support"), std::string::npos);
    return;
  }
  ASSERT_TRUE(selected.ok());
  EXPECT_EQ(*selected, *want);
}

// Fingerprints hash the path a BITGATE_FORCE_ISA value selects: unset,
// empty and the best path run the same code, and an alias is its path.
TEST(Dispatch, ForcedIsaSettingIsThePathThatRuns) {
  const std::string best = IsaName(BestIsa());
  EXPECT_EQ(ForcedIsaSetting(nullptr), best);
  EXPECT_EQ(ForcedIsaSetting(""), best);
  EXPECT_EQ(ForcedIsaSetting(best.c_str()), best);
  EXPECT_EQ(ForcedIsaSetting("scalar"), "scalar");
  EXPECT_EQ(ForcedIsaSetting("avx512vnni"), "avx512");
  EXPECT_EQ(ForcedIsaSetting("sse9"), "unknown sse9");
}

TEST(Dispatch, CountersNameTheKernelsThatRan) {
  auto selected = SelectedIsa();
  if (!selected.ok()) GTEST_SKIP() << selected.status().message();
  ResetKernelCounters();
  const int64_t rows = 32, cols = 256;
  std::vector<float> w(rows * cols, 0.5f), x(cols, 1.0f), y(rows);
  std::vector<uint8_t> packed(*TensorBytes(Format::kTQ2_0, rows, cols));
  ASSERT_TRUE(Quantize(Format::kTQ2_0, w.data(), rows, cols, packed).ok());
  Activations acts;
  acts.Quantize(x.data(), 1, cols, cols);
  acts.Prepare(Format::kTQ2_0);
  Matmul(Format::kTQ2_0, packed.data(), rows, cols, acts, y.data(), rows, 0, rows);
  Matmul(Format::kTQ2_0, packed.data(), rows, cols, acts, y.data(), rows, 0, rows);
  const auto counters = KernelCounterSnapshot();
  const std::string suffix = IsaKernelSuffix(*selected);
  ASSERT_EQ(counters.count("gemv.tq2_0." + suffix), 1u) << "forced " << suffix;
  EXPECT_EQ(counters.at("gemv.tq2_0." + suffix), 2u);
  for (const auto& [id, n] : counters) {
    // nothing above the selected path ran
    if (*selected != Isa::kAvx512) {
      EXPECT_EQ(id.find("avx512"), std::string::npos) << id;
    }
    if (*selected == Isa::kScalar) {
      EXPECT_EQ(id.find("avx2"), std::string::npos) << id;
    }
  }
}

}  // namespace
}  // namespace bitgate::kernels
