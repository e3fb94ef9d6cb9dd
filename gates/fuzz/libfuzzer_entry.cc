// libFuzzer entry point for one bitgate fuzz target (BITGATE_FUZZ_TARGET,
// set per binary by CMake): the exact code bitgate-fuzz runs in-process,
// here under clang's coverage-guided engine with ASan + UBSan. A failed
// invariant aborts, so libFuzzer saves the input as a crash artifact.
//   build/fuzz/gates/fuzz/bitgate-fuzz-gguf -max_total_time=60 CORPUS_DIR
//   bitgate-fuzz --libfuzzer build/fuzz/gates/fuzz --budget-seconds 60
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "gates/fuzz/fuzz_target.h"

namespace {

const bitgate::gates::fuzz::FuzzTarget* Target() {
  static const bitgate::gates::fuzz::FuzzTarget* target = [] {
    const auto* t = bitgate::gates::fuzz::FindTarget(BITGATE_FUZZ_TARGET);
    if (t == nullptr) {
      std::fprintf(stderr, "no fuzz target named %s\n", BITGATE_FUZZ_TARGET);
      std::abort();
    }
    return t;
  }();
  return target;
}

}  // namespace

// Targets build their fixtures lazily (the tokenizer target synthesizes a
// model): do it here, before libFuzzer's per-input timeout starts counting,
// or the first input reads as a hang.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  std::vector<bitgate::gates::fuzz::Bytes> seeds;
  if (!Target()->seeds(&seeds).ok() || seeds.empty()) return 0;
  bitgate::gates::fuzz::FuzzOutcome outcome;
  Target()->run(seeds.front(), &outcome);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto* target = Target();
  bitgate::gates::fuzz::FuzzOutcome outcome;
  target->run({data, size}, &outcome);
  if (!outcome.failure.empty()) {
    std::fprintf(stderr, "invariant failed: %s: %s\n", BITGATE_FUZZ_TARGET, outcome.failure.c_str());
    std::abort();
  }
  return 0;
}
