// Internal: software prefetch for weights streamed from DRAM.
//
// A decode step (one token) reads every weight once, so its GEMVs run at
// the rate the core pulls lines from DRAM. On Zen 4 the hardware
// prefetchers keep a plain read loop fed, and some kernels too, but they
// fell behind the 512-bit I2_S decode kernel (10-12 GB/s against 20-26 for
// `membw/read` in the same runs) and behind any kernel that walks two rows
// at once (6-7 GB/s). Asking for the line kStreamAheadBytes ahead into L2
// (prefetcht1) brought both to 20-25 GB/s. Distances of 4 KiB and less
// gained a third as much; 8-24 KiB all did about as well; prefetching into
// L1 (t0) or non-temporally did not help.
//
// Every line of the stream must be asked for: once software prefetch is in
// use, a line it skips is a demand miss that stalls for a full DRAM
// latency. One prefetch per 66-byte TQ2_0 block skipped one line in 32 and
// halved the speed (10 GB/s), so callers prefetch each line their block
// touches. A prefetch past the end of a mapping is harmless: it never
// faults.
#pragma once

#include <cstdint>

namespace bitgate::kernels::internal {

inline constexpr int64_t kStreamAheadBytes = 12 * 1024;

// Prefetches the line kStreamAheadBytes past p into L2.
inline void PrefetchStream(const void* p) {
  __builtin_prefetch(static_cast<const char*>(p) + kStreamAheadBytes, 0, 2);
}

// Prefetches the line `ahead` bytes past p into L2. For kernels that walk
// several streams at once (row tiles `stride` bytes apart), a fixed
// kStreamAheadBytes lands inside the next stream: with 10 KiB TL tiles the
// request covered a line another tile reads 2 KiB later and the first 2 KiB
// of every tile were never requested. Such kernels ask for the same offset
// in the block they will walk next instead.
inline void PrefetchAhead(const void* p, int64_t ahead) {
  __builtin_prefetch(static_cast<const char*>(p) + ahead, 0, 2);
}

// PrefetchStream for every line of [p, p + n), n >= 1: points at most 64
// bytes apart and the last byte.
inline void PrefetchSpan(const void* p, int64_t n) {
  const char* c = static_cast<const char*>(p);
  for (int64_t off = 0; off < n - 1; off += 64) PrefetchStream(c + off);
  PrefetchStream(c + n - 1);
}

}  // namespace bitgate::kernels::internal
