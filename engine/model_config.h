// Hyper-parameters of a BitNet b1.58 model, read from GGUF metadata.
#pragma once

#include <cstdint>
#include <string>

#include "engine/gguf_metadata.h"
#include "kernels/base/status.h"

namespace bitgate::engine {

// The gate of the feed-forward block: bitnet.cpp's `bitnet-b1.58` uses
// relu(x)^2, llama.cpp's `bitnet` uses SiLU.
enum class FfnActivation { kReluSquared, kSilu };

struct ModelConfig {
  std::string arch;          // metadata prefix: "bitnet-b1.58" or "bitnet"
  FfnActivation activation = FfnActivation::kReluSquared;
  int64_t n_embd = 0;        // hidden size
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;      // n_embd / n_head
  int64_t n_ff = 0;
  int64_t n_vocab = 0;
  int64_t n_ctx = 0;         // trained context length
  int64_t rope_dims = 0;     // leading dims of each head that rotate (NeoX)
  float rope_theta = 10000.0f;
  float rms_eps = 1e-5f;

  int64_t kv_dim() const { return n_head_kv * head_dim; }
  const char* ActivationName() const {
    return activation == FfnActivation::kSilu ? "silu" : "relu2";
  }
};

// Reads and validates the hyper-parameters. Missing required keys, zero or
// inconsistent sizes (heads not dividing the width, GQA groups not whole,
// odd rope dims) are errors naming the key.
Result<ModelConfig> ReadModelConfig(const GgufMetadata& md);

}  // namespace bitgate::engine
