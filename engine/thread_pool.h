// A small persistent thread pool for the forward pass.
//
// Decode runs ~200 matrix products per token, so hand-off latency matters:
// workers spin briefly on a generation counter before sleeping. Every task
// writes disjoint outputs, so results do not depend on the thread count.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bitgate::engine {

// The most threads a command accepts (`generate --threads`, a replayed
// receipt's).
inline constexpr int kMaxThreads = 1024;

class ThreadPool {
 public:
  // `threads` includes the calling thread (1 = run everything inline). If a
  // thread cannot be started, the started ones are joined and the
  // std::system_error is rethrown.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end) over [0, total) in chunks of `grain` (the last may
  // be shorter); returns when all chunks are done. If fn throws, no further
  // chunks start, the running ones finish, and the first exception is
  // rethrown here (the pool stays usable).
  void ParallelFor(int64_t total, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void WorkerLoop();
  void RunChunks();
  void StopAndJoin();  // wakes the workers with stop_ set and joins them

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> active_{0};
  std::atomic<int64_t> next_{0};
  bool stop_ = false;
  // The current job (valid while active_ > 0).
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  std::exception_ptr error_;  // the current job's first exception (under mu_)
  int64_t total_ = 0, grain_ = 1;
};

}  // namespace bitgate::engine
