// The fuzz gate's suite: picks targets, splits the time budget, runs each
// target (in-process forked children, or the libFuzzer binaries built with
// -DBITGATE_FUZZ=ON), and turns the reports into benchmark measures
// (execs/s; the corpus sizes go to the notes and summary.json) and
// correctness failures with reproducers.
#pragma once

#include <string>
#include <vector>

#include "baselines/run_record.h"
#include "gates/fuzz/fuzz_runner.h"
#include "kernels/base/status.h"

namespace bitgate::gates::fuzz {

struct FuzzSuiteOptions {
  FuzzOptions base;                   // seed, runs, watchdog, out_dir, exe
  double total_budget_seconds = 20;   // split evenly over the targets
  std::vector<std::string> targets;   // empty: every target that is not planted
  bool planted_bugs = false;          // allow the self-test targets in `targets`
  std::string libfuzzer_dir;          // non-empty: drive DIR/bitgate-fuzz-<target> instead
};

struct FuzzSuiteResult {
  std::vector<FuzzTargetReport> reports;
  std::vector<baselines::BenchmarkResult> benchmarks;
  std::vector<std::string> correctness_failures;
  std::vector<std::string> artifacts;
  std::vector<std::string> notes;
  std::vector<std::string> setup_errors;  // targets that could not run: no verdict
};

Result<std::vector<const FuzzTarget*>> SelectTargets(const std::vector<std::string>& names, bool planted_bugs);

// Never fails as a whole: per-target problems are in the result.
FuzzSuiteResult RunFuzzSuite(const FuzzSuiteOptions& options, const std::vector<const FuzzTarget*>& targets);

// One target as a libFuzzer binary: `binary` gets the seeds, the budget,
// the seed and a per-input timeout; its artifacts become reproducers.
FuzzTargetReport RunLibFuzzerTarget(const FuzzTarget& target, const FuzzOptions& options,
                                    const std::string& binary);

}  // namespace bitgate::gates::fuzz
