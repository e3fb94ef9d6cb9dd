// The kernel half of the throughput gate: runs the Google Benchmark suite
// (bitgate-bench-kernels) as a child process with repetitions and random
// interleaving, and ingests its JSON (iteration rows only; aggregates are
// recomputed by the verdict statistics from the raw repetitions).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "baselines/run_record.h"
#include "kernels/base/status.h"

namespace bitgate::gates {

// Decode- and quantization-shaped rows of the formats bitnet.cpp ships,
// on every path: about 20 benchmarks, a few seconds per repetition.
inline constexpr const char* kDefaultKernelFilter =
    "^((quantize|dequantize)/(i2_s|tq2_0)/16384|dot/(i2_s|tq2_0)/[a-z0-9]+/16384|"
    "gemv/(i2_s|tq2_0)/[a-z0-9]+/2560x2560)$";

struct KernelBenchOptions {
  std::string exe;           // bitgate-bench-kernels
  std::string filter = kDefaultKernelFilter;
  int repetitions = 10;
  double min_time = 0.05;    // seconds per repetition (Google Benchmark --benchmark_min_time)
  std::vector<std::string> measures = {"cpu_time", "real_time"};  // kept; the rest dropped
  std::string json_out;      // where the raw Google Benchmark JSON goes
  std::string log_out;       // the child's console output
  std::map<std::string, std::optional<std::string>> env;  // e.g. BITGATE_FORCE_ISA
  double timeout_seconds = 1800;
};

// Runs the suite once and returns its benchmarks (suite "kernels").
Result<std::vector<baselines::BenchmarkResult>> RunKernelBench(const KernelBenchOptions& options,
                                                               std::vector<std::string>* warnings);

// bitgate-bench-kernels next to this executable, in the build tree beside
// gates/, or on PATH; "" when none exists.
std::string FindKernelBenchExe();
// The bitgate-bench-kernels a build directory's executable in `dir` would
// run (beside it, or in the build tree's kernels/bench), "" if none.
std::string KernelBenchExeBeside(const std::string& dir);

// Appends `from`'s samples to the same (suite, name, params, measure) in
// `into`, adding benchmarks and measures that are new.
void AppendSamples(std::vector<baselines::BenchmarkResult>& into,
                   const std::vector<baselines::BenchmarkResult>& from);

}  // namespace bitgate::gates
