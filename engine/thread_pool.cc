#include "engine/thread_pool.h"

#include <algorithm>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#define BITGATE_PAUSE() _mm_pause()
#else
#define BITGATE_PAUSE() ((void)0)
#endif

namespace bitgate::engine {

ThreadPool::ThreadPool(int threads) {
  try {
    for (int i = 1; i < std::max(1, threads); ++i) workers_.emplace_back([this] { WorkerLoop(); });
  } catch (...) {
    // No destructor runs for a constructor that throws, and destroying a
    // joinable std::thread terminates the process.
    StopAndJoin();
    throw;
  }
}

ThreadPool::~ThreadPool() { StopAndJoin(); }

void ThreadPool::StopAndJoin() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::RunChunks() {
  for (;;) {
    const int64_t begin = next_.fetch_add(grain_, std::memory_order_relaxed);
    if (begin >= total_) break;
    try {
      (*fn_)(begin, std::min(total_, begin + grain_));
    } catch (...) {
      // An exception leaving a worker would terminate the process: keep the
      // first for ParallelFor to rethrow, and hand out no more chunks.
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
      next_.store(total_, std::memory_order_relaxed);
      break;
    }
  }
}

void ThreadPool::WorkerLoop() {
  uint64_t seen = 0;
  for (;;) {
    // Spin a little (a decode step hands out work every few microseconds),
    // then sleep.
    uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int spin = 0; gen == seen && spin < 20000; ++spin) {
      if (spin < 2000) {
        BITGATE_PAUSE();
      } else {
        std::this_thread::yield();  // let a descheduled thread of ours run
      }
      gen = generation_.load(std::memory_order_acquire);
    }
    if (gen == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      gen = generation_.load(std::memory_order_acquire);
    }
    seen = gen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    RunChunks();
    active_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::ParallelFor(int64_t total, int64_t grain,
                             const std::function<void(int64_t, int64_t)>& fn) {
  if (total <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (workers_.empty() || total <= grain) {
    for (int64_t b = 0; b < total; b += grain) fn(b, std::min(total, b + grain));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    total_ = total;
    grain_ = grain;
    next_.store(0, std::memory_order_relaxed);
    active_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
  RunChunks();
  // Spin briefly for the workers' last chunks, then yield: on a loaded
  // machine a worker may be descheduled mid-chunk, and spinning would keep
  // it off the core it needs.
  for (int spin = 0; active_.load(std::memory_order_acquire) > 0; ++spin) {
    if (spin < 2000) {
      BITGATE_PAUSE();
    } else {
      std::this_thread::yield();
    }
  }
  // Every worker is done with fn: a chunk's exception can leave now.
  std::exception_ptr error;
  {
    std::lock_guard<std::mutex> lock(mu_);
    error = std::exchange(error_, nullptr);
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace bitgate::engine
