// Runs one fuzz target in a forked child for a time budget (or a fixed
// number of executions), so that a crash, a sanitizer abort or a hang in
// the code under test ends the child, not the gate. The child publishes the
// input it is executing in shared memory before running it; whatever kills
// the child, the parent still has the input and writes the reproducer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gates/fuzz/fuzz_target.h"

namespace bitgate::gates::fuzz {

struct FuzzOptions {
  uint64_t seed = 1;
  // Fuzzing time for this target, seeds excluded (they run first, once).
  double budget_seconds = 3;
  // > 0: stop after this many mutated executions (deterministic corpus for
  // a seed); the budget still caps the time.
  int64_t runs = 0;
  // Per-input watchdog: an input running longer is a hang.
  double input_timeout_seconds = 2;
  // Seeding (model synthesis) may run this long beyond the budget before
  // the child as a whole counts as hung.
  double seeding_allowance_seconds = 60;
  // Reproducers and per-target logs go to <out_dir>/fuzz/.
  std::string out_dir = ".";
  // How the replay command names this executable.
  std::string exe = "bitgate-fuzz";
  size_t max_corpus = 512;
};

struct FuzzFailure {
  std::string kind;     // "invariant", "crash", "sanitizer", "hang"
  std::string message;  // what failed (signal, invariant text, sanitizer line)
  std::string reproducer;      // path of the saved input ("" when unknown)
  std::string replay_command;  // reproduces it from the saved input
};

struct FuzzTargetReport {
  std::string name;
  int64_t execs = 0;     // mutated executions (seeds not counted)
  double seconds = 0;    // fuzzing time
  int64_t seeds = 0;
  int64_t corpus_size = 0;
  uint64_t corpus_digest = 0;  // hash of the final corpus: equal for equal seeds and runs
  std::vector<double> execs_per_second;  // one per time slice (~budget/10)
  std::optional<FuzzFailure> failure;
  std::string setup_error;  // the target could not start (no verdict)
  std::string log_path;     // the child's stdout/stderr

  double ExecsPerSecond() const { return seconds > 0 ? static_cast<double>(execs) / seconds : 0; }
};

FuzzTargetReport FuzzTargetInChild(const FuzzTarget& target, const FuzzOptions& options);

struct ReplayResult {
  bool failed = false;
  std::string kind;  // as FuzzFailure::kind
  std::string message;
  std::string setup_error;  // the replay could not run (mmap, fork): no verdict
};

// Runs one input in a forked child with the watchdog.
ReplayResult ReplayInChild(const FuzzTarget& target, const Bytes& input, double timeout_seconds);

// The command that replays `path` on `target`.
std::string ReplayCommand(const FuzzOptions& options, const FuzzTarget& target, const std::string& path);

// Saves a failing input and a .txt note beside it; returns the path.
std::string SaveReproducer(const FuzzOptions& options, const FuzzTarget& target, const Bytes& input,
                           const FuzzFailure& failure, const std::string& log_tail);

// The last `max_bytes` of a file (a child's log), "" if unreadable.
std::string FileTail(const std::string& path, size_t max_bytes);

}  // namespace bitgate::gates::fuzz
