#include "engine/model_config.h"

#include <cmath>
#include <string>
#include <utility>

namespace bitgate::engine {
namespace {

Result<int64_t> RequirePositive(const GgufMetadata& md, const std::string& key, int64_t max) {
  auto v = md.GetU64(key);
  if (!v.ok()) return v.status();
  if (*v == 0 || *v > static_cast<uint64_t>(max)) {
    return Status::Error("metadata key " + key + " = " + std::to_string(*v) + " is out of range [1, " +
                         std::to_string(max) + "]");
  }
  return static_cast<int64_t>(*v);
}

}  // namespace

Result<ModelConfig> ReadModelConfig(const GgufMetadata& md) {
  ModelConfig c;
  auto arch = md.GetString("general.architecture");
  if (!arch.ok()) return arch.status();
  c.arch = *arch;
  if (c.arch == "bitnet-b1.58" || c.arch == "bitnet-25") {
    c.activation = FfnActivation::kReluSquared;
  } else if (c.arch == "bitnet") {
    c.activation = FfnActivation::kSilu;
  } else {
    return Status::Error("general.architecture '" + c.arch +
                         "' is not a BitNet b1.58 architecture (expected bitnet-b1.58 or bitnet)");
  }
  const std::string p = c.arch + ".";
  // Bounds: generous for any model of this family, small enough that the
  // products below cannot overflow.
  constexpr int64_t kMaxDim = int64_t{1} << 20, kMaxLayers = 4096, kMaxVocab = int64_t{1} << 24;
  auto n_embd = RequirePositive(md, p + "embedding_length", kMaxDim);
  auto n_layer = RequirePositive(md, p + "block_count", kMaxLayers);
  auto n_head = RequirePositive(md, p + "attention.head_count", kMaxDim);
  auto n_ff = RequirePositive(md, p + "feed_forward_length", kMaxDim);
  auto n_ctx = RequirePositive(md, p + "context_length", kMaxDim * 16);
  for (const auto* r : {&n_embd, &n_layer, &n_head, &n_ff, &n_ctx})
    if (!r->ok()) return r->status();
  c.n_embd = *n_embd;
  c.n_layer = *n_layer;
  c.n_head = *n_head;
  c.n_ff = *n_ff;
  c.n_ctx = *n_ctx;
  if (md.Has(p + "attention.head_count_kv")) {
    auto kv = RequirePositive(md, p + "attention.head_count_kv", kMaxDim);
    if (!kv.ok()) return kv.status();
    c.n_head_kv = *kv;
  } else {
    c.n_head_kv = c.n_head;
  }
  if (c.n_embd % c.n_head != 0) {
    return Status::Error(p + "embedding_length " + std::to_string(c.n_embd) +
                         " is not a multiple of attention.head_count " + std::to_string(c.n_head));
  }
  if (c.n_head % c.n_head_kv != 0) {
    return Status::Error(p + "attention.head_count " + std::to_string(c.n_head) +
                         " is not a multiple of head_count_kv " + std::to_string(c.n_head_kv));
  }
  c.head_dim = c.n_embd / c.n_head;
  auto rope_dims = md.GetU32Or(p + "rope.dimension_count", static_cast<uint32_t>(c.head_dim));
  if (!rope_dims.ok()) return rope_dims.status();
  c.rope_dims = *rope_dims;
  if (c.rope_dims <= 0 || c.rope_dims > c.head_dim || c.rope_dims % 2 != 0) {
    return Status::Error(p + "rope.dimension_count " + std::to_string(c.rope_dims) +
                         " must be even and at most the head size " + std::to_string(c.head_dim));
  }
  auto theta = md.GetF32Or(p + "rope.freq_base", 10000.0f);
  if (!theta.ok()) return theta.status();
  c.rope_theta = *theta;
  auto eps = md.GetF32Or(p + "attention.layer_norm_rms_epsilon", 1e-5f);
  if (!eps.ok()) return eps.status();
  c.rms_eps = *eps;
  // An infinite epsilon zeroes every normalised activation (all-zero
  // logits), an infinite base every rotation: finite, or the model is
  // refused.
  for (const auto& [key, value] : {std::pair{"rope.freq_base", c.rope_theta},
                                   std::pair{"attention.layer_norm_rms_epsilon", c.rms_eps}}) {
    if (!(value > 0.0f) || !std::isfinite(value)) {
      return Status::Error("metadata key " + p + key + " = " + std::to_string(value) + " must be finite and > 0");
    }
  }
  // vocab_size is optional in GGUF; the token list is the fallback.
  if (md.Has(p + "vocab_size")) {
    auto v = RequirePositive(md, p + "vocab_size", kMaxVocab);
    if (!v.ok()) return v.status();
    c.n_vocab = *v;
  } else if (md.Has("tokenizer.ggml.tokens")) {
    auto tokens = md.GetStringArray("tokenizer.ggml.tokens");
    if (!tokens.ok()) return tokens.status();
    c.n_vocab = static_cast<int64_t>(tokens->size());
  }
  return c;
}

}  // namespace bitgate::engine
