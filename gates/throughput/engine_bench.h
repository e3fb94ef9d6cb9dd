// The engine half of the throughput gate, measured in this process on one
// model: prefill and decode tokens/s, time to first token, whole-generation
// time, stop-token lookup time, and resident memory against what the model
// needs (its file plus the KV cache).
//
// Every measured generation writes a receipt (engine::MakeReceipt) and is
// verified (engine::VerifyReceipt) before its figures count: a repetition
// whose receipt does not verify contributes no sample and becomes a
// correctness failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "baselines/run_record.h"
#include "kernels/format.h"
#include "kernels/base/status.h"

namespace bitgate::gates {

struct EngineBenchOptions {
  std::string model_path;
  int repetitions = 10;
  int gen_tokens = 32;       // decoded tokens per generation (EOS ignored, so always this many)
  int threads = 1;
  // The output head's format at load, as `bitgate generate` defaults it
  // (nullopt: as stored). Part of every engine benchmark's parameters.
  std::optional<kernels::Format> head_format = kernels::Format::kQ8_0;
  std::string receipts_dir;  // receipt-<i>.json per repetition
  int64_t stop_lookups = 1 << 20;  // per stop-token sample
};

struct EngineBenchResult {
  std::vector<baselines::BenchmarkResult> benchmarks;  // suite "engine"
  std::vector<std::string> correctness_failures;
  std::vector<std::string> artifacts;
  std::vector<std::string> notes;
  bool two_b_shaped = false;   // the model has BitNet b1.58 2B-4T's shapes
  std::string model_name;      // file name
};

// Names of the benchmarks (and measures) this writes, for SLO lookups.
inline constexpr const char* kGenerateTotal = "generate/total";    // real_time, ns
inline constexpr const char* kGeneratePrefill = "generate/prefill";  // tokens_per_second
inline constexpr const char* kGenerateDecode = "generate/decode";    // tokens_per_second
inline constexpr const char* kGenerateTtft = "generate/ttft";        // real_time, ns
inline constexpr const char* kStopLookup = "stop/contains";          // real_time, ns per lookup
inline constexpr const char* kMemory = "memory/resident";  // peak_rss, model_and_kv (bytes)

Result<EngineBenchResult> RunEngineBench(const EngineBenchOptions& options);

// VmRSS and VmHWM of this process in bytes (from /proc/self/status).
struct ResidentMemory {
  int64_t rss = 0, hwm = 0;
};
ResidentMemory ReadResidentMemory();

}  // namespace bitgate::gates
