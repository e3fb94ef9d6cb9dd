// A fuzz target: a function from arbitrary bytes to "every invariant held"
// or a message naming the one that failed, plus the seeds and hints its
// mutator starts from. The same targets run in-process under bitgate-fuzz
// (forked per target, see fuzz_runner.h) and as libFuzzer binaries
// (libfuzzer_entry.cc, -DBITGATE_FUZZ=ON with clang).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/base/status.h"

namespace bitgate::gates::fuzz {

using Bytes = std::vector<uint8_t>;

// What one execution observed.
struct FuzzOutcome {
  // Empty when every invariant held; else what failed, e.g.
  // "tensor 'x' data [a, b) outside the 100-byte buffer".
  std::string failure;
  // A hash of the behaviour the input reached (which error, which success
  // shape). The runner keeps an input in the corpus when its feature is new:
  // without coverage instrumentation, distinct error messages are the best
  // cheap proxy for distinct code paths in a validating parser.
  uint64_t feature = 0;
};

struct FuzzTarget {
  std::string name;         // "gguf", "tokenizer", ...
  std::string description;  // one line, for --list
  // Builds the starting corpus (may be slow: runs once per child process).
  std::function<Status(std::vector<Bytes>* seeds)> seeds;
  // Runs one input. Must be deterministic in the input bytes.
  std::function<void(std::span<const uint8_t> input, FuzzOutcome* outcome)> run;
  // Tokens the mutator may insert (JSON keywords, magic numbers).
  std::vector<std::string> dictionary;
  // Length of the prefix most mutations should hit (a GGUF file's header
  // before its tensor data); 0 means the whole input.
  std::function<size_t(std::span<const uint8_t> input)> hot_prefix;
  // Largest input worth producing; mutations never grow an input past it.
  size_t max_input_bytes = 1 << 16;
  // Test-only targets with planted bugs (shown only with --planted-bugs).
  bool planted = false;
};

// Every target, planted ones included (callers filter on `planted`).
const std::vector<FuzzTarget>& AllTargets();
// nullptr when no target has that name.
const FuzzTarget* FindTarget(std::string_view name);

// Feature of a status: its message with digits removed (so "offset 17" and
// "offset 18" count as one path), hashed; OK statuses hash `ok_detail`.
uint64_t StatusFeature(const Status& status, uint64_t ok_detail = 0);
uint64_t HashBytes(std::span<const uint8_t> bytes, uint64_t seed = 0);
uint64_t HashMix(uint64_t a, uint64_t b);

// Extra GGUF files the gguf target starts from (the gate's --model), set
// before fuzzing starts.
void SetExtraGgufSeeds(std::vector<std::string> paths);

// Registration of each file's targets (called by AllTargets, in this order).
void AddEngineTargets(std::vector<FuzzTarget>* targets);
void AddKernelTargets(std::vector<FuzzTarget>* targets);
void AddIngestTargets(std::vector<FuzzTarget>* targets);
void AddPlantedTargets(std::vector<FuzzTarget>* targets);

}  // namespace bitgate::gates::fuzz
