// libFuzzer target (BITGATE_FUZZ, clang): arbitrary bytes as a GGUF file,
// and when they parse, as a tokenizer vocabulary fed with arbitrary text.
// Seed corpus: tests/data/golden/models/*.gguf.
//   build/fuzz/tests/engine/bitgate_fuzz_gguf -max_total_time=60 tests/data/golden/models
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "engine/gguf.h"
#include "engine/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bitgate::engine;
  auto f = GgufFile::FromBuffer(std::span<const uint8_t>(data, size), /*copy=*/false);
  if (!f.ok()) return 0;
  for (const auto& t : f->tensors()) {
    // Touch the first and last byte: must lie inside the buffer.
    if (!t.data.empty()) {
      volatile uint8_t sink = t.data.front() ^ t.data.back();
      (void)sink;
    }
  }
  auto tok = Tokenizer::FromMetadata(f->metadata());
  if (!tok.ok()) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size < 256 ? size : 256);
  const auto ids = tok->Encode(text, {.add_special = true, .parse_special = true});
  (void)tok->Decode(ids);
  return 0;
}
