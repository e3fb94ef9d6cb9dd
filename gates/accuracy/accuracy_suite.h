// The accuracy gate's suite: kernel round-trip accuracy per format and
// pattern, SIMD paths against the scalar reference, and the quantized
// engine against the FP32 reference on every path. Floors make failures
// (exit 4); the same figures become measures with samples, so the store
// also judges them against their baseline (regression).
#pragma once

#include <string>
#include <vector>

#include "baselines/run_record.h"
#include "gates/accuracy/engine_accuracy.h"

namespace bitgate::gates::accuracy {

struct AccuracySuiteOptions {
  int quant_seeds = 5;  // pattern tensors per (format, pattern)
  int repetitions = 10;  // samples per measure (kernels and engine); docs/GATES.md
  int64_t quant_rows = 64, quant_cols = 1024;
  uint64_t seed = 1;    // SIMD check data
  bool engine = true;   // run the end-to-end part
  EngineAccuracyOptions engine_options;
  // The model's SHA-256 (its first 12 digits go into the engine rows'
  // params: rows of another model are other benchmarks).
  std::string model_digest;
};

struct AccuracySuiteResult {
  std::vector<baselines::BenchmarkResult> benchmarks;
  std::vector<std::string> correctness_failures;
  std::vector<std::string> notes;
  std::vector<std::string> artifacts;
};

AccuracySuiteResult RunAccuracySuite(const AccuracySuiteOptions& options);

}  // namespace bitgate::gates::accuracy
