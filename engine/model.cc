#include "engine/model.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>

#include "kernels/quant.h"

namespace bitgate::engine {
namespace {

std::string LayerName(int64_t l, const char* what) {
  return "blk." + std::to_string(l) + "." + what + ".weight";
}

// A 1-D float vector of exactly n elements (norm weights).
Result<std::vector<float>> LoadVector(const GgufFile& f, const std::string& name, int64_t n) {
  auto t = f.GetTensor(name);
  if (!t.ok()) return t.status();
  const GgufTensorInfo& info = **t;
  if (info.n_elements != n) {
    return Status::Error("tensor '" + name + "' has shape " + info.ShapeString() + ", expected [" +
                         std::to_string(n) + "]");
  }
  std::vector<float> v(static_cast<size_t>(n));
  BITGATE_RETURN_IF_ERROR(
      kernels::Dequantize(info.format, info.data, info.rows, info.cols, v.data()).WithContext("tensor '" + name + "'"));
  // Norm weights scale every activation: one NaN would poison the whole
  // forward pass, so an untrusted file with one is rejected here.
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[static_cast<size_t>(i)])) {
      return Status::Error("tensor '" + name + "' element " + std::to_string(i) + " is not finite");
    }
  }
  return v;
}

// Drops the resident pages of a mapped range that is no longer read (a
// tensor repacked into its own buffer), so resident memory stays close to
// what the model uses. The file backs them: reading them again is still valid.
void ReleaseMappedRange(const uint8_t* data, int64_t bytes) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
  const auto end = (reinterpret_cast<uintptr_t>(data) + static_cast<uintptr_t>(bytes)) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

// Formats whose rows are encoded independently (no row tiles, no scale
// over the whole tensor) are repacked in chunks of rows, so converting the
// 128256-row head does not hold it all as float at once.
bool RowIndependent(kernels::Format f) {
  return kernels::Info(f).row_tile == 1 && f != kernels::Format::kI2_S;
}

Status Repack(Matrix* m, kernels::Format to, const std::string& name) {
  if (m->format == to) return Status::Ok();
  const bool mapped = m->owned.empty();
  const uint8_t* old_data = m->data;
  const int64_t old_bytes = m->bytes;
  auto bytes = kernels::TensorBytes(to, m->rows, m->cols);
  if (!bytes.ok()) return bytes.status().WithContext("repacking '" + name + "' to " + kernels::FormatName(to));
  std::vector<uint8_t> out(static_cast<size_t>(*bytes), 0);
  const bool chunked = RowIndependent(m->format) && RowIndependent(to);
  const int64_t chunk = chunked ? std::max<int64_t>(1, (int64_t{1} << 22) / m->cols) : m->rows;
  std::vector<float> tmp(static_cast<size_t>(std::min(chunk, m->rows) * m->cols));
  // Row-independent formats take the same bytes for every row.
  const int64_t in_row = *kernels::TensorBytes(m->format, 1, m->cols);
  const int64_t out_row = *kernels::TensorBytes(to, 1, m->cols);
  for (int64_t r = 0; r < m->rows; r += chunk) {
    const int64_t n = std::min(chunk, m->rows - r);
    const int64_t in_off = chunked ? r * in_row : 0;
    const int64_t in_len = *kernels::TensorBytes(m->format, n, m->cols);
    BITGATE_RETURN_IF_ERROR(kernels::Dequantize(m->format, {m->data + in_off, static_cast<size_t>(in_len)}, n, m->cols,
                                                tmp.data())
                                .WithContext("tensor '" + name + "'"));
    const int64_t out_off = chunked ? r * out_row : 0;
    const int64_t out_len = *kernels::TensorBytes(to, n, m->cols);
    BITGATE_RETURN_IF_ERROR(kernels::Quantize(to, tmp.data(), n, m->cols,
                                              {out.data() + out_off, static_cast<size_t>(out_len)})
                                .WithContext("repacking '" + name + "'"));
  }
  m->owned = std::move(out);
  m->format = to;
  m->data = m->owned.data();
  m->bytes = *bytes;
  if (mapped) ReleaseMappedRange(old_data, old_bytes);
  return Status::Ok();
}

// An Inf or NaN f16 block scale (TQ1_0, TQ2_0, I2S, Q8_0) makes its
// block's products non-finite, and the SIMD and scalar paths then differ
// in which: the file is refused at load, naming where, as a non-finite
// tensor scale is.
Status CheckBlockScales(const GgufTensorInfo& info, const std::string& name) {
  auto bad = kernels::FirstNonFiniteBlockScale(info.format, info.data, info.rows, info.cols);
  if (!bad.ok()) return bad.status().WithContext("tensor '" + name + "'");
  if (!*bad) return Status::Ok();
  uint16_t h;
  std::memcpy(&h, info.data.data() + **bad, 2);
  char hex[8];
  std::snprintf(hex, sizeof hex, "%04x", h);
  return Status::Error("tensor '" + name + "': the " + std::string(kernels::FormatName(info.format)) +
                       " block scale at file offset " + std::to_string(info.file_offset + static_cast<uint64_t>(**bad)) +
                       " is f16 0x" + hex + ", not finite");
}

// A projection [rows][cols] as stored (ne = {cols, rows}), plus its
// optional `.scale` tensor.
Result<Matrix> LoadMatrix(const GgufFile& f, const std::string& name, int64_t rows, int64_t cols) {
  auto t = f.GetTensor(name);
  if (!t.ok()) return t.status();
  const GgufTensorInfo& info = **t;
  if (info.ne.size() != 2 || info.cols != cols || info.rows != rows) {
    return Status::Error("tensor '" + name + "' has shape " + info.ShapeString() + ", expected [" +
                         std::to_string(cols) + ", " + std::to_string(rows) + "]");
  }
  Matrix m;
  m.format = info.format;
  m.rows = rows;
  m.cols = cols;
  m.data = info.data.data();
  m.bytes = info.n_bytes;
  // A NaN or infinite tensor scale would make every output of the
  // projection non-finite (Session::Eval stops on it, but only when run).
  if (kernels::HasTensorScale(info.format)) {
    auto scale = kernels::TensorScale(info.format, info.data, rows, cols);
    if (!scale.ok()) return scale.status().WithContext("tensor '" + name + "'");
    if (!std::isfinite(*scale)) {
      return Status::Error("tensor '" + name + "': its " + std::string(kernels::FormatName(info.format)) +
                           " tensor scale (f32 at file offset " + std::to_string(info.file_offset + static_cast<uint64_t>(info.n_bytes) - 32) +
                           ") is " + std::to_string(*scale) + ", not finite");
    }
  }
  BITGATE_RETURN_IF_ERROR(CheckBlockScales(info, name));
  const std::string scale_name = name.substr(0, name.size() - std::string(".weight").size()) + ".scale";
  if (const GgufTensorInfo* s = f.FindTensor(scale_name)) {
    if (s->n_elements != 1) return Status::Error("tensor '" + scale_name + "' must hold one value");
    BITGATE_RETURN_IF_ERROR(kernels::Dequantize(s->format, s->data, 1, 1, &m.scale));
    if (!std::isfinite(m.scale)) return Status::Error("tensor '" + scale_name + "' is not finite");
  }
  return m;
}

}  // namespace

Result<std::unique_ptr<Model>> Model::Load(const std::string& path, const LoadOptions& opts) {
  auto file = GgufFile::Open(path);
  if (!file.ok()) return file.status();
  std::unique_ptr<Model> m(new Model());
  m->path_ = path;
  m->file_ = std::make_unique<GgufFile>(std::move(file).value());
  Status s = m->Init(opts);
  if (!s.ok()) return s.WithContext(path);
  return m;
}

Status Model::Init(const LoadOptions& opts) {
  auto cfg = ReadModelConfig(file_->metadata());
  if (!cfg.ok()) return cfg.status();
  config_ = *cfg;
  // Before any weight is loaded or repacked (minutes for a 2B model).
  BITGATE_RETURN_IF_ERROR(CheckNoUnusedTensors());
  const ModelConfig& c = config_;
  auto embd = file_->GetTensor("token_embd.weight");
  if (!embd.ok()) return embd.status();
  embd_ = *embd;
  if (embd_->ne.size() != 2 || embd_->cols != c.n_embd) {
    return Status::Error("tensor 'token_embd.weight' has shape " + embd_->ShapeString() +
                         ", expected [" + std::to_string(c.n_embd) + ", n_vocab]");
  }
  if (c.n_vocab == 0) config_.n_vocab = embd_->rows;
  if (embd_->rows != config_.n_vocab) {
    std::string source = c.arch;
    source += ".vocab_size";
    if (!file_->metadata().Has(source)) source = "the length of tokenizer.ggml.tokens";
    return Status::Error("token_embd.weight has " + std::to_string(embd_->rows) + " rows but the vocabulary (" +
                         source + ") has " + std::to_string(config_.n_vocab));
  }
  if (kernels::Info(embd_->format).row_tile != 1 || embd_->format == kernels::Format::kI2_S) {
    return Status::Error("token_embd.weight: format " + std::string(kernels::FormatName(embd_->format)) +
                         " cannot be indexed by row");
  }
  BITGATE_RETURN_IF_ERROR(CheckBlockScales(*embd_, "token_embd.weight"));  // also the tied head's
  auto norm = LoadVector(*file_, "output_norm.weight", c.n_embd);
  if (!norm.ok()) return norm.status();
  output_norm_ = std::move(norm).value();

  layers_.resize(static_cast<size_t>(c.n_layer));
  for (int64_t l = 0; l < c.n_layer; ++l) {
    LayerWeights& L = layers_[static_cast<size_t>(l)];
    struct VecSpec {
      std::vector<float>* out;
      const char* name;
      int64_t n;
    } vecs[] = {{&L.attn_norm, "attn_norm", c.n_embd},
                {&L.attn_sub_norm, "attn_sub_norm", c.n_embd},
                {&L.ffn_norm, "ffn_norm", c.n_embd},
                {&L.ffn_sub_norm, "ffn_sub_norm", c.n_ff}};
    for (auto& v : vecs) {
      auto r = LoadVector(*file_, LayerName(l, v.name), v.n);
      if (!r.ok()) return r.status();
      *v.out = std::move(r).value();
    }
    struct MatSpec {
      Matrix* out;
      const char* name;
      int64_t rows, cols;
    } mats[] = {{&L.wq, "attn_q", c.n_embd, c.n_embd},     {&L.wk, "attn_k", c.kv_dim(), c.n_embd},
                {&L.wv, "attn_v", c.kv_dim(), c.n_embd},    {&L.wo, "attn_output", c.n_embd, c.n_embd},
                {&L.gate, "ffn_gate", c.n_ff, c.n_embd},    {&L.up, "ffn_up", c.n_ff, c.n_embd},
                {&L.down, "ffn_down", c.n_embd, c.n_ff}};
    for (auto& ms : mats) {
      const std::string name = LayerName(l, ms.name);
      auto r = LoadMatrix(*file_, name, ms.rows, ms.cols);
      if (!r.ok()) return r.status();
      *ms.out = std::move(r).value();
      if (opts.weights_format) BITGATE_RETURN_IF_ERROR(Repack(ms.out, *opts.weights_format, name));
    }
  }
  if (const GgufTensorInfo* out = file_->FindTensor("output.weight")) {
    auto r = LoadMatrix(*file_, "output.weight", config_.n_vocab, c.n_embd);
    if (!r.ok()) return r.status();
    head_ = std::move(r).value();
    (void)out;
  } else {
    head_tied_ = true;
    head_.format = embd_->format;
    head_.rows = embd_->rows;
    head_.cols = embd_->cols;
    head_.data = embd_->data.data();
    head_.bytes = embd_->n_bytes;
  }
  if (opts.head_format) BITGATE_RETURN_IF_ERROR(Repack(&head_, *opts.head_format, "output head"));
  return Status::Ok();
}

// A tensor the graph does not read would change what the model computes
// where its own engine runs it (Q/K/V biases, LLaMA-3 RoPE factors):
// ignoring it would generate other tokens without a word. As llama.cpp
// does with a tensor it did not create, the model is refused.
Status Model::CheckNoUnusedTensors() const {
  std::set<std::string> used = {"token_embd.weight", "output_norm.weight", "output.weight", "output.scale"};
  for (int64_t l = 0; l < config_.n_layer; ++l) {
    for (const char* v : {"attn_norm", "attn_sub_norm", "ffn_norm", "ffn_sub_norm"}) used.insert(LayerName(l, v));
    for (const char* m : {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"}) {
      const std::string w = LayerName(l, m);
      used.insert(w);
      used.insert(w.substr(0, w.size() - std::string(".weight").size()) + ".scale");  // LoadMatrix's companion
    }
  }
  for (const GgufTensorInfo& t : file_->tensors()) {
    if (!used.count(t.name)) {
      return Status::Error("tensor '" + t.name + "' is not part of the BitNet b1.58 graph this engine runs "
                           "(biases and RoPE factors are not supported): refused rather than ignored");
    }
  }
  return Status::Ok();
}

Status Model::Embed(int32_t token, float* out) const {
  if (token < 0 || token >= config_.n_vocab) {
    return Status::Error("token id " + std::to_string(token) + " is outside the vocabulary [0, " +
                         std::to_string(config_.n_vocab) + ")");
  }
  const int64_t row_bytes = *kernels::TensorBytes(embd_->format, 1, embd_->cols);
  return kernels::Dequantize(embd_->format, embd_->data.subspan(static_cast<size_t>(token * row_bytes), row_bytes), 1,
                             embd_->cols, out);
}

int64_t Model::DecodeWeightBytes() const {
  int64_t total = head_.bytes;
  for (const auto& L : layers_)
    for (const Matrix* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.gate, &L.up, &L.down}) total += m->bytes;
  return total;
}

}  // namespace bitgate::engine
