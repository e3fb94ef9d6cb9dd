// The in-memory form of one benchmark run: what ingest produces, what the
// store saves and loads, and what a comparison reads. Raw samples only;
// every statistic is recomputed from them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "baselines/verdict.h"

namespace bitgate::baselines {

// The machine a run was measured on. Runs are compared only when their
// fingerprints (a hash of the fields that change timings) are equal.
struct MachineInfo {
  std::string cpu_model;
  std::string isa_flags;     // e.g. "avx2 fma f16c avx512f ..."
  int cores = 0;             // logical
  int mhz = 0;               // nominal, informational (not in the hash)
  bool frequency_scaling = false;
  std::string os;            // kernel name and architecture (not release: kernel updates would split baselines)
  std::string compiler;      // of the benchmarked binary, "" if unknown
  std::string build_type;    // Release, Debug, ...
  std::string host_name;     // informational (not in the hash)

  // SHA-256 (first 16 hex digits) of cpu_model, isa_flags, cores,
  // frequency_scaling, os, compiler and build_type.
  std::string Fingerprint() const;
};

// The values a sample may take: finite, > 0 (the statistics work on logs)
// and within [1e-100, 1e100], so that ratios, sums and midpoints of any
// two stay finite (1e308 passed the finite check and every ratio and
// interval of its row came out infinite).
inline constexpr double kMinSample = 1e-100, kMaxSample = 1e100;
inline bool SampleInRange(double v) { return v >= kMinSample && v <= kMaxSample; }  // false for NaN
// For messages: a value in 6 significant digits (std::to_string prints
// 1e300 with 300 of them), and the rule it broke.
inline std::string SampleText(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
inline const char* kSampleRangeText = " (a sample must be finite and within [1e-100, 1e100])";

struct MeasureSamples {
  std::string name;  // "real_time", "items_per_second", ...
  std::string unit;  // "ns", "items/s", ...
  Direction direction = Direction::kLowerIsBetter;
  std::vector<double> samples;  // one per repetition, in order
};

enum class BenchmarkStatus { kOk, kError, kSkipped };
const char* BenchmarkStatusName(BenchmarkStatus s);  // "ok", "error", "skipped"

struct BenchmarkResult {
  std::string suite;
  std::string name;
  std::string params;        // canonical text, "" when none
  std::string version_hash;  // changes when the benchmark's code changes
  BenchmarkStatus status = BenchmarkStatus::kOk;
  std::string message;       // error or skip message
  std::vector<MeasureSamples> measures;

  // "name" or "name [params]": how users refer to it.
  std::string DisplayName() const;
};

struct RunRecord {
  int64_t id = 0;  // 0 until stored
  std::string gate;
  std::string suite;
  std::string branch;
  std::string commit;
  std::string merge_base;
  std::string started_at;  // ISO 8601 UTC
  // The file named no start time and started_at is the import's clock: the
  // store's duplicate check cannot use the times (they differ per import).
  bool started_at_from_import = false;
  std::string ended_at;
  std::string status = "ok";  // ok | partial | failed
  std::string tool_version;
  std::string config_hash;
  std::string source_format;  // gbench | bitgate
  MachineInfo machine;
  std::vector<BenchmarkResult> benchmarks;

  size_t SampleCount() const;
};

// Current time as ISO 8601 UTC, second precision ("2026-01-02T03:04:05Z").
std::string NowUtc();

}  // namespace bitgate::baselines
