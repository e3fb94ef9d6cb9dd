// The thread pool: every chunk runs once, and a pool whose threads cannot
// all be started fails with an exception the caller can handle.
#include "engine/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <vector>

namespace bitgate::engine {
namespace {

TEST(ThreadPoolTest, EveryChunkRunsOnce) {
  ThreadPool pool(4);
  EXPECT_EQ(pool.size(), 4);
  std::vector<std::atomic<int>> hits(1000);
  pool.ParallelFor(1000, 7, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
  });
  for (const auto& h : hits) ASSERT_EQ(h.load(), 1);
}

// With the address space capped a little above what the process uses, the
// thread stacks run out after a few workers. The workers already started
// must be joined before the error leaves the constructor: destroying a
// joinable std::thread calls std::terminate (a receipt asking for 100000
// threads aborted `bitgate receipt verify --replay` that way).
[[noreturn]] void StartHugePoolUnderAnAddressSpaceCap() {
  long pages = 0;
  if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(statm, "%ld", &pages) != 1) pages = 0;
    std::fclose(statm);
  }
  if (pages <= 0) std::_Exit(3);
  rlimit limit{};
  limit.rlim_cur = limit.rlim_max =
      static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (rlim_t{64} << 20);
  if (setrlimit(RLIMIT_AS, &limit) != 0) std::_Exit(4);
  try {
    ThreadPool pool(100000);
  } catch (const std::system_error&) {
    std::_Exit(0);
  }
  std::_Exit(1);  // every thread started: the cap did not bite
}

TEST(ThreadPoolTest, ThreadsThatCannotStartAreAnExceptionNotAnAbort) {
  EXPECT_EXIT(StartHugePoolUnderAnAddressSpaceCap(), ::testing::ExitedWithCode(0), "");
}

// A chunk that throws, on a worker or on the calling thread: the exception
// reaches the caller (a worker's would otherwise terminate the process),
// no chunk starts after it is seen, and the pool runs the next job whole.
// With one thread the chunks run in order, so exactly those before the bad
// one ran; with four, how many others were already in flight depends on
// the scheduler, so only the caller's view and the next job are checked.
TEST(ThreadPoolTest, AChunksExceptionReachesTheCaller) {
  for (int threads : {1, 4}) {
    ThreadPool pool(threads);
    for (int64_t bad : {int64_t{0}, int64_t{37}, int64_t{99}}) {
      std::atomic<int64_t> ran{0};
      EXPECT_THROW(pool.ParallelFor(100, 1,
                                    [&](int64_t b, int64_t) {
                                      if (b == bad) throw std::runtime_error("chunk " + std::to_string(b));
                                      ran.fetch_add(1);
                                    }),
                   std::runtime_error);
      if (threads == 1) {
        EXPECT_EQ(ran.load(), bad) << "chunks ran after the exception";
      }
      std::vector<int> hits(1000, 0);
      pool.ParallelFor(1000, 7, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
      });
      for (int h : hits) ASSERT_EQ(h, 1);
    }
  }
}

}  // namespace
}  // namespace bitgate::engine
