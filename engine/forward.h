// The quantized forward pass with a KV cache (one generation stream).
//
// Per layer (bitnet.cpp's `bitnet-b1.58` graph; llama.cpp's `bitnet` differs
// only in the FFN gate and the optional `.scale` tensors):
//   h = RMSNorm(x) * attn_norm;  q, k, v = Wq h, Wk h, Wv h  (int8 activations)
//   NeoX RoPE on q, k; causal grouped-query attention over the cache
//   x += Wo (RMSNorm(attn) * attn_sub_norm)
//   h = RMSNorm(x) * ffn_norm;  a = act(Wgate h) * (Wup h)
//   x += Wdown (RMSNorm(a) * ffn_sub_norm)
// then logits = head (RMSNorm(x) * output_norm).
// Every output row is computed by exactly one thread, so results are
// identical for any thread count.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/model.h"
#include "engine/thread_pool.h"
#include "kernels/matmul.h"

namespace bitgate::engine {

class Session {
 public:
  // n_ctx: cache capacity in tokens (<= the model's context length).
  Session(const Model& model, ThreadPool* pool, int64_t n_ctx);

  // Runs `tokens` at positions position()..position()+n-1 in one batch
  // (prefill) and advances. With all_logits, `logits` receives n rows of
  // n_vocab floats; otherwise only the last token's row.
  Status Eval(std::span<const int32_t> tokens, bool all_logits, std::vector<float>* logits);

  int64_t position() const { return pos_; }
  int64_t capacity() const { return n_ctx_; }
  void Reset() { pos_ = 0; }
  // Bytes held by the KV cache.
  int64_t KvCacheBytes() const { return static_cast<int64_t>((k_.size() + v_.size()) * sizeof(float)); }

 private:
  // Makes `in` [tokens][k] the input of the following Project calls, the
  // projections named by `consumers` (for the error). A NaN or infinite
  // input is an error: the activation quantizer would read it as 0 and the
  // projections after it would silently drop out (a weight, scale or
  // embedding out of range upstream).
  Status SetInput(const float* in, int64_t tokens, int64_t k, const std::string& consumers);
  // out[tokens][m.rows] = m x input, times m.scale.
  void Project(const Matrix& m, float* out);
  void Attention(int64_t layer, int64_t tokens);
  // x[t] += add[t] for each of `tokens` rows of n, in parallel.
  void AddRows(const float* add, int64_t tokens, int64_t n, float* x);
  // out[t] = RMSNorm(x[t]) * w for each of `tokens` rows of n, in parallel.
  void NormRows(const float* x, const std::vector<float>& w, int64_t tokens, int64_t n, float* out);

  const Model& model_;
  ThreadPool* pool_;
  int64_t n_ctx_;
  int64_t pos_ = 0;
  std::vector<float> k_, v_;  // [layer][n_ctx][kv_dim]
  // Scratch, sized for the largest batch seen so far.
  std::vector<float> x_, h_, q_, kc_, vc_, attn_, gate_, up_, tmp_, rope_;
  kernels::Activations acts_;
  const float* input_ = nullptr;  // what SetInput quantized, for a float copy
  bool float_ready_ = false;
};

}  // namespace bitgate::engine
