// libFuzzer entry point for one bitgate fuzz target (BITGATE_FUZZ_TARGET,
// set per binary by CMake): the exact code bitgate-fuzz runs in-process,
// here under clang's coverage-guided engine with ASan + UBSan. A failed
// invariant aborts, so libFuzzer saves the input as a crash artifact.
//   build/fuzz/gates/fuzz/bitgate-fuzz-gguf -max_total_time=60 CORPUS_DIR
//   bitgate-fuzz --libfuzzer build/fuzz/gates/fuzz --budget-seconds 60
#include <cstdio>
#include <cstdlib>

#include "gates/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bitgate::gates::fuzz::FuzzTarget* target = [] {
    const auto* t = bitgate::gates::fuzz::FindTarget(BITGATE_FUZZ_TARGET);
    if (t == nullptr) {
      std::fprintf(stderr, "no fuzz target named %s\n", BITGATE_FUZZ_TARGET);
      std::abort();
    }
    return t;
  }();
  bitgate::gates::fuzz::FuzzOutcome outcome;
  target->run({data, size}, &outcome);
  if (!outcome.failure.empty()) {
    std::fprintf(stderr, "invariant failed: %s: %s\n", BITGATE_FUZZ_TARGET, outcome.failure.c_str());
    std::abort();
  }
  return 0;
}
