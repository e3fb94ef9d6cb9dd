// Synthetic BitNet b1.58 models: the real architecture with random ternary
// weights, for speed and correctness gates without downloading a model.
//
// `2b` has the exact shapes of BitNet b1.58 2B-4T (formats.md): 30 layers,
// width 2560, 20/5 heads, FFN 6912, vocabulary 128256, F16 tied embedding,
// so speed measured on it predicts speed on the published model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kernels/base/status.h"
#include "kernels/format.h"

namespace bitgate::engine {

struct SynthPreset {
  const char* name;
  int64_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx;
};

// "tiny", "small", "2b".
std::optional<SynthPreset> FindSynthPreset(std::string_view name);

struct SynthOptions {
  SynthPreset preset{};
  kernels::Format format = kernels::Format::kI2_S;  // of the seven projections
  uint64_t seed = 1;
};

// Writes the model to `path` (atomically). Deterministic for (options):
// the same options give byte-identical files. The tokenizer is a byte-level
// BPE vocabulary learned from the text bitgate ships (TrainBpe), padded with
// reserved control tokens to the preset's vocabulary size.
Status SynthesizeModel(const SynthOptions& opts, const std::string& path);

}  // namespace bitgate::engine
