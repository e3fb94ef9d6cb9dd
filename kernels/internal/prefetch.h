// Internal: software prefetch for weights streamed from DRAM.
//
// A decode step (one token) reads every weight once, so its GEMVs run at
// the rate the core pulls lines from DRAM. The hardware prefetchers keep a
// plain read loop fed, but on Zen 4 they fell behind the 512-bit I2_S
// decode kernel: 10-12 GB/s against 20-26 for `membw/read` in the same
// runs. Asking for the line kStreamAheadBytes ahead into L2 (prefetcht1)
// once per 64 bytes consumed brought it to 20-25 GB/s. Distances of 4 KiB
// and less gained a third as much, 8-24 KiB all did about as well, and
// prefetching into L1 (t0) or non-temporally did not help. The 256-bit
// TQ2_0 kernel, which the hardware keeps fed, got slower with it (17 to
// 10 GB/s), so each kernel's use of it is measured (docs/KERNELS.md).
// A prefetch past the end of a mapping is harmless: it never faults.
#pragma once

#include <cstdint>

namespace bitgate::kernels::internal {

inline constexpr int64_t kStreamAheadBytes = 12 * 1024;

// Prefetches the line kStreamAheadBytes past p into L2.
inline void PrefetchStream(const void* p) {
  __builtin_prefetch(static_cast<const char*>(p) + kStreamAheadBytes, 0, 2);
}

}  // namespace bitgate::kernels::internal
