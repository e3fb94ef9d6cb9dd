// A loaded BitNet b1.58 model: configuration, weight views into the mapped
// GGUF file (or repacked copies), norms as floats.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/gguf.h"
#include "engine/model_config.h"
#include "kernels/base/status.h"
#include "kernels/format.h"

namespace bitgate::engine {

// One weight matrix [rows][cols] (rows = output features).
struct Matrix {
  kernels::Format format = kernels::Format::kF32;
  int64_t rows = 0, cols = 0;
  const uint8_t* data = nullptr;  // into the file mapping or `owned`
  int64_t bytes = 0;
  float scale = 1.0f;  // llama.cpp's optional per-projection `.scale` tensor
  std::vector<uint8_t> owned;  // repacked weights, when not used in place
};

struct LayerWeights {
  std::vector<float> attn_norm, attn_sub_norm, ffn_norm, ffn_sub_norm;
  Matrix wq, wk, wv, wo, gate, up, down;
};

struct LoadOptions {
  // Repack every ternary projection into this format at load (nullopt:
  // use the file's formats as they are).
  std::optional<kernels::Format> weights_format;
  // Repack the output head (nullopt: as stored, F16 in the published model).
  std::optional<kernels::Format> head_format;
};

class Model {
 public:
  static Result<std::unique_ptr<Model>> Load(const std::string& path, const LoadOptions& opts = {});

  const ModelConfig& config() const { return config_; }
  const GgufFile& file() const { return *file_; }
  const std::string& path() const { return path_; }
  const std::vector<LayerWeights>& layers() const { return layers_; }
  const std::vector<float>& output_norm() const { return output_norm_; }
  // [n_vocab][n_embd]; the token embedding when the head is tied.
  const Matrix& head() const { return head_; }
  bool head_tied() const { return head_tied_; }
  // Writes the embedding of `token` (n_embd floats).
  Status Embed(int32_t token, float* out) const;
  // The format of the (first) attention projection, for receipts.
  kernels::Format weights_format() const { return layers_.front().wq.format; }
  // Bytes of weights one decode step reads (projections + head).
  int64_t DecodeWeightBytes() const;

 private:
  Model() = default;
  Status Init(const LoadOptions& opts);
  Status CheckNoUnusedTensors() const;  // every tensor of the file is one the graph reads

  std::string path_;
  std::unique_ptr<GgufFile> file_;
  ModelConfig config_;
  std::vector<LayerWeights> layers_;
  std::vector<float> output_norm_;
  const GgufTensorInfo* embd_ = nullptr;
  Matrix head_;
  bool head_tied_ = false;
};

}  // namespace bitgate::engine
