#include "engine/synth.h"

#include <cmath>
#include <string>
#include <vector>

#include "engine/gguf_writer.h"
#include "engine/tokenizer.h"
#include "engine/tokenizer_train.h"
#include "kernels/patterns.h"
#include "kernels/quant.h"

namespace bitgate::engine {
namespace {

constexpr SynthPreset kPresets[] = {
    // name     embd  layers heads kv  ff    vocab   ctx
    {"tiny", 256, 2, 4, 2, 512, 512, 512},
    {"small", 1024, 8, 16, 4, 2816, 4096, 2048},
    {"2b", 2560, 30, 20, 5, 6912, 128256, 4096},
};

// A random ternary matrix times one scale (the BitNet b1.58 weight form),
// about 1/3 each of -1, 0, +1.
std::vector<float> TernaryMatrix(int64_t rows, int64_t cols, float scale, kernels::SplitMix64& rng) {
  std::vector<float> w(static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < w.size();) {
    uint64_t bits = rng.Next();
    // 21 draws of 3 bits per 64-bit word; values 6 and 7 are redrawn so
    // every code is equally likely.
    for (int j = 0; j < 21 && i < w.size(); ++j, bits >>= 3) {
      const uint64_t v = bits & 7;
      if (v < 6) w[i++] = static_cast<float>(static_cast<int>(v % 3) - 1) * scale;
    }
  }
  return w;
}

}  // namespace

std::optional<SynthPreset> FindSynthPreset(std::string_view name) {
  for (const auto& p : kPresets)
    if (name == p.name) return p;
  return std::nullopt;
}

Status SynthesizeModel(const SynthOptions& opts, const std::string& path) {
  const SynthPreset& p = opts.preset;
  if (!kernels::Info(opts.format).ternary) {
    return Status::Error(std::string("model synth: weight format ") + kernels::FormatName(opts.format) +
                         " is not a ternary format");
  }
  const std::string arch = "bitnet-b1.58";
  GgufWriter writer;
  GgufMetadata& md = writer.metadata();
  md.Set("general.architecture", GgufValue::String(arch));
  md.Set("general.name", GgufValue::String(std::string("bitgate-synth-") + p.name));
  md.Set("general.alignment", GgufValue::U32(32));
  md.Set(arch + ".context_length", GgufValue::U32(static_cast<uint32_t>(p.n_ctx)));
  md.Set(arch + ".embedding_length", GgufValue::U32(static_cast<uint32_t>(p.n_embd)));
  md.Set(arch + ".block_count", GgufValue::U32(static_cast<uint32_t>(p.n_layer)));
  md.Set(arch + ".feed_forward_length", GgufValue::U32(static_cast<uint32_t>(p.n_ff)));
  md.Set(arch + ".attention.head_count", GgufValue::U32(static_cast<uint32_t>(p.n_head)));
  md.Set(arch + ".attention.head_count_kv", GgufValue::U32(static_cast<uint32_t>(p.n_head_kv)));
  md.Set(arch + ".attention.layer_norm_rms_epsilon", GgufValue::F32(1e-5f));
  md.Set(arch + ".rope.freq_base", GgufValue::F32(500000.0f));
  md.Set(arch + ".rope.dimension_count", GgufValue::U32(static_cast<uint32_t>(p.n_embd / p.n_head)));
  md.Set(arch + ".vocab_size", GgufValue::U32(static_cast<uint32_t>(p.n_vocab)));
  md.Set("bitgate.synth.seed", GgufValue::U64(opts.seed));
  md.Set("bitgate.synth.preset", GgufValue::String(p.name));

  BpeTrainOptions topts;
  topts.vocab_size = static_cast<int32_t>(p.n_vocab);
  auto vocab = TrainBpe(BpeTrainingCorpus(), topts);
  if (!vocab.ok()) return vocab.status().WithContext("model synth: tokenizer");
  if (static_cast<int64_t>(vocab->tokens.size()) != p.n_vocab) {
    return Status::Error("model synth: tokenizer has " + std::to_string(vocab->tokens.size()) +
                         " tokens, preset needs " + std::to_string(p.n_vocab));
  }
  VocabToMetadata(*vocab, &md);

  kernels::SplitMix64 rng(opts.seed);
  auto add = [&](const std::string& name, int64_t rows, int64_t cols, kernels::Format f,
                 const std::vector<float>& values) -> Status {
    auto bytes = kernels::TensorBytes(f, rows, cols);
    if (!bytes.ok()) return bytes.status().WithContext(name);
    std::vector<uint8_t> data(static_cast<size_t>(*bytes));
    BITGATE_RETURN_IF_ERROR(kernels::Quantize(f, values.data(), rows, cols, data).WithContext(name));
    std::vector<int64_t> ne = rows == 1 ? std::vector<int64_t>{cols} : std::vector<int64_t>{cols, rows};
    return writer.AddTensor(name, std::move(ne), f, std::move(data));
  };
  auto norm = [&](int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = static_cast<float>(0.5 + rng.Uniform());
    return v;
  };

  {  // token embedding, F16, small uniform values
    std::vector<float> e(static_cast<size_t>(p.n_vocab * p.n_embd));
    for (auto& x : e) x = static_cast<float>((rng.Uniform() - 0.5) * 0.1);
    BITGATE_RETURN_IF_ERROR(add("token_embd.weight", p.n_vocab, p.n_embd, kernels::Format::kF16, e));
  }
  const int64_t kv = p.n_head_kv * (p.n_embd / p.n_head);
  for (int64_t l = 0; l < p.n_layer; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    struct Proj {
      const char* name;
      int64_t rows, cols;
    } projs[] = {{"attn_q", p.n_embd, p.n_embd},  {"attn_k", kv, p.n_embd},       {"attn_v", kv, p.n_embd},
                 {"attn_output", p.n_embd, p.n_embd}, {"ffn_gate", p.n_ff, p.n_embd}, {"ffn_up", p.n_ff, p.n_embd},
                 {"ffn_down", p.n_embd, p.n_ff}};
    BITGATE_RETURN_IF_ERROR(add(b + "attn_norm.weight", 1, p.n_embd, kernels::Format::kF32, norm(p.n_embd)));
    BITGATE_RETURN_IF_ERROR(add(b + "attn_sub_norm.weight", 1, p.n_embd, kernels::Format::kF32, norm(p.n_embd)));
    BITGATE_RETURN_IF_ERROR(add(b + "ffn_norm.weight", 1, p.n_embd, kernels::Format::kF32, norm(p.n_embd)));
    BITGATE_RETURN_IF_ERROR(add(b + "ffn_sub_norm.weight", 1, p.n_ff, kernels::Format::kF32, norm(p.n_ff)));
    for (const Proj& pr : projs) {
      // Scale like a trained BitNet layer: about 1/sqrt(fan_in) per weight.
      const float scale = 1.0f / std::sqrt(static_cast<float>(pr.cols));
      BITGATE_RETURN_IF_ERROR(
          add(b + pr.name + ".weight", pr.rows, pr.cols, opts.format, TernaryMatrix(pr.rows, pr.cols, scale, rng)));
    }
  }
  BITGATE_RETURN_IF_ERROR(add("output_norm.weight", 1, p.n_embd, kernels::Format::kF32, norm(p.n_embd)));
  return writer.WriteFile(path);
}

}  // namespace bitgate::engine
