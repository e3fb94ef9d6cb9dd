#include "kernels/counters.h"

#include <atomic>

#include "kernels/internal/counters_impl.h"

namespace bitgate::kernels {
namespace {

constexpr const char* kOpNames[kKernelOpCount] = {"quantize", "dequantize", "gemv",
                                                            "gemm"};

std::atomic<uint64_t> g_counts[kKernelOpCount][kFormatCount][kIsaCount];

}  // namespace

namespace internal {
void CountKernel(KernelOp op, Format f, Isa isa) {
  g_counts[static_cast<int>(op)][static_cast<int>(f)][static_cast<int>(isa)].fetch_add(
      1, std::memory_order_relaxed);
}
}  // namespace internal

std::map<std::string, uint64_t> KernelCounterSnapshot() {
  std::map<std::string, uint64_t> out;
  for (int op = 0; op < kKernelOpCount; ++op) {
    for (int f = 0; f < kFormatCount; ++f) {
      for (int i = 0; i < kIsaCount; ++i) {
        uint64_t n = g_counts[op][f][i].load(std::memory_order_relaxed);
        if (n == 0) continue;
        std::string id = std::string(kOpNames[op]) + "." + FormatName(static_cast<Format>(f)) + "." +
                         IsaKernelSuffix(static_cast<Isa>(i));
        out[id] = n;
      }
    }
  }
  return out;
}

void ResetKernelCounters() {
  for (auto& op : g_counts)
    for (auto& f : op)
      for (auto& c : f) c.store(0, std::memory_order_relaxed);
}

}  // namespace bitgate::kernels
