#include "engine/forward.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <string>

namespace bitgate::engine {
namespace {

void RmsNorm(const float* x, const float* w, int64_t n, float eps, float* out) {
  double ss = 0.0;  // double, as ggml's rms_norm accumulates
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float inv = 1.0f / std::sqrt(static_cast<float>(ss / static_cast<double>(n)) + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * inv * w[i];
}

// cos/sin of pos * theta^(-2i/dims) for i < dims/2: [cos..., sin...].
void RopeTable(int64_t dims, int64_t pos, float theta, float* table) {
  const int64_t half = dims / 2;
  for (int64_t i = 0; i < half; ++i) {
    const double freq = std::pow(static_cast<double>(theta), -2.0 * static_cast<double>(i) / static_cast<double>(dims));
    const double angle = static_cast<double>(pos) * freq;
    table[i] = static_cast<float>(std::cos(angle));
    table[half + i] = static_cast<float>(std::sin(angle));
  }
}

// NeoX rotation: pairs (i, i + dims/2) of the first `dims` values of a head.
void Rope(float* head, int64_t dims, const float* table) {
  const int64_t half = dims / 2;
  for (int64_t i = 0; i < half; ++i) {
    const float c = table[i], s = table[half + i];
    const float x0 = head[i], x1 = head[i + half];
    head[i] = x0 * c - x1 * s;
    head[i + half] = x0 * s + x1 * c;
  }
}

// Whether x[0..n) holds no NaN or infinity: exponent bits on integers, which
// vectorize without ISA flags (std::isfinite in the loop did not).
bool AllFinite(const float* x, int64_t n) {
  uint32_t bad = 0;
  for (int64_t i = 0; i < n; ++i) bad |= (std::bit_cast<uint32_t>(x[i]) & 0x7f800000u) == 0x7f800000u;
  return bad == 0;
}

// Dot product with eight independent partial sums, which the compiler can
// keep in vector registers without reassociating (no -ffast-math needed).
float Dot(const float* a, const float* b, int64_t n) {
  float p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) p[j] += a[i + j] * b[i + j];
  float s = ((p[0] + p[4]) + (p[1] + p[5])) + ((p[2] + p[6]) + (p[3] + p[7]));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

Session::Session(const Model& model, ThreadPool* pool, int64_t n_ctx)
    : model_(model), pool_(pool), n_ctx_(n_ctx) {
  const ModelConfig& c = model.config();
  k_.assign(static_cast<size_t>(c.n_layer * n_ctx * c.kv_dim()), 0.0f);
  v_.assign(k_.size(), 0.0f);
}

Status Session::SetInput(const float* in, int64_t tokens, int64_t k, const std::string& consumers) {
  acts_.Reset(tokens, k);
  std::atomic<int64_t> first_bad_row{tokens};
  pool_->ParallelFor(tokens, 1, [&](int64_t b, int64_t e) {
    acts_.QuantizeRows(in, k, b, e);
    for (int64_t t = b; t < e; ++t) {
      if (AllFinite(in + t * k, k)) continue;
      int64_t seen = first_bad_row.load();
      while (t < seen && !first_bad_row.compare_exchange_weak(seen, t)) {
      }
      break;
    }
  });
  if (const int64_t t = first_bad_row.load(); t < tokens) {
    const float* row = in + t * k;
    const int64_t i = std::find_if(row, row + k, [](float v) { return !std::isfinite(v); }) - row;
    return Status::Error("non-finite input to " + consumers + " (batch row " + std::to_string(t) + ", element " +
                         std::to_string(i) + " = " + std::to_string(row[i]) +
                         "): a weight, scale or embedding value upstream is out of range");
  }
  // The float copy is made only if a float-weight matrix (the F16 head)
  // reads this input: Project does it on demand.
  input_ = in;
  float_ready_ = false;
  return Status::Ok();
}

void Session::Project(const Matrix& m, float* out) {
  if (!kernels::Info(m.format).integer_activations && !float_ready_) {
    acts_.SetFloat(input_, acts_.tokens(), acts_.k(), acts_.k());
    float_ready_ = true;
  }
  acts_.Prepare(m.format);
  const int64_t tile = kernels::Info(m.format).row_tile;
  // About 8 chunks per thread: balance, and a thread descheduled on a busy
  // machine holds back at most a small chunk. Whole tiles, at least 16 rows.
  int64_t grain = m.rows / (8 * pool_->size());
  grain = std::max<int64_t>(16, (grain + tile - 1) / tile * tile);
  pool_->ParallelFor(m.rows, grain, [&](int64_t b, int64_t e) {
    kernels::Matmul(m.format, m.data, m.rows, m.cols, acts_, out, m.rows, b, e);
  });
  if (m.scale != 1.0f) {
    for (int64_t i = 0; i < acts_.tokens() * m.rows; ++i) out[i] *= m.scale;
  }
}

void Session::NormRows(const float* x, const std::vector<float>& w, int64_t tokens, int64_t n, float* out) {
  const float eps = model_.config().rms_eps;
  pool_->ParallelFor(tokens, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) RmsNorm(x + t * n, w.data(), n, eps, out + t * n);
  });
}

void Session::AddRows(const float* add, int64_t tokens, int64_t n, float* x) {
  pool_->ParallelFor(tokens, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b * n; i < e * n; ++i) x[i] += add[i];
  });
}

void Session::Attention(int64_t layer, int64_t tokens) {
  const ModelConfig& c = model_.config();
  const int64_t hd = c.head_dim, kv_dim = c.kv_dim(), group = c.n_head / c.n_head_kv;
  const float* kc = k_.data() + layer * n_ctx_ * kv_dim;
  const float* vc = v_.data() + layer * n_ctx_ * kv_dim;
  const float inv_sqrt = 1.0f / std::sqrt(static_cast<float>(hd));
  // One task per (token, head): disjoint outputs.
  pool_->ParallelFor(tokens * c.n_head, 1, [&](int64_t b, int64_t e) {
    std::vector<float> scores(static_cast<size_t>(pos_ + tokens));
    for (int64_t task = b; task < e; ++task) {
      const int64_t t = task / c.n_head, h = task % c.n_head, kvh = h / group;
      const int64_t n_keys = pos_ + t + 1;  // causal: keys up to this token's position
      const float* q = q_.data() + t * c.n_embd + h * hd;
      float max_s = -INFINITY;
      for (int64_t p = 0; p < n_keys; ++p) {
        const float* kp = kc + p * kv_dim + kvh * hd;
        const float s = Dot(q, kp, hd) * inv_sqrt;
        scores[static_cast<size_t>(p)] = s;
        max_s = std::max(max_s, s);
      }
      float sum = 0.0f;
      for (int64_t p = 0; p < n_keys; ++p) {
        const float e_p = std::exp(scores[static_cast<size_t>(p)] - max_s);
        scores[static_cast<size_t>(p)] = e_p;
        sum += e_p;
      }
      const float inv_sum = 1.0f / sum;
      float* out = attn_.data() + t * c.n_embd + h * hd;
      std::fill(out, out + hd, 0.0f);
      for (int64_t p = 0; p < n_keys; ++p) {
        const float wgt = scores[static_cast<size_t>(p)] * inv_sum;
        const float* vp = vc + p * kv_dim + kvh * hd;
        for (int64_t i = 0; i < hd; ++i) out[i] += wgt * vp[i];
      }
    }
  });
}

Status Session::Eval(std::span<const int32_t> tokens, bool all_logits, std::vector<float>* logits) {
  const ModelConfig& c = model_.config();
  const auto n = static_cast<int64_t>(tokens.size());
  if (n == 0) return Status::Error("no tokens to evaluate");
  if (pos_ + n > n_ctx_) {
    return Status::Error("context full: " + std::to_string(pos_) + " + " + std::to_string(n) +
                         " tokens exceed the cache of " + std::to_string(n_ctx_));
  }
  const auto E = static_cast<size_t>(c.n_embd), F = static_cast<size_t>(c.n_ff);
  const auto KV = static_cast<size_t>(c.kv_dim()), N = static_cast<size_t>(n);
  x_.resize(N * E);
  h_.resize(N * std::max(E, F));
  q_.resize(N * E);
  kc_.resize(N * KV);
  vc_.resize(N * KV);
  attn_.resize(N * E);
  gate_.resize(N * F);
  up_.resize(N * F);
  tmp_.resize(N * E);
  for (int64_t t = 0; t < n; ++t) BITGATE_RETURN_IF_ERROR(model_.Embed(tokens[t], x_.data() + t * c.n_embd));
  rope_.resize(N * static_cast<size_t>(c.rope_dims));
  for (int64_t t = 0; t < n; ++t) RopeTable(c.rope_dims, pos_ + t, c.rope_theta, rope_.data() + t * c.rope_dims);

  for (int64_t l = 0; l < c.n_layer; ++l) {
    const LayerWeights& L = model_.layers()[static_cast<size_t>(l)];
    std::string blk = "blk.";
    blk += std::to_string(l);
    NormRows(x_.data(), L.attn_norm, n, c.n_embd, h_.data());
    BITGATE_RETURN_IF_ERROR(SetInput(h_.data(), n, c.n_embd, blk + ".attn_q/k/v"));
    Project(L.wq, q_.data());
    Project(L.wk, kc_.data());
    Project(L.wv, vc_.data());
    pool_->ParallelFor(n, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const float* table = rope_.data() + t * c.rope_dims;
        for (int64_t h = 0; h < c.n_head; ++h) Rope(q_.data() + t * c.n_embd + h * c.head_dim, c.rope_dims, table);
        for (int64_t h = 0; h < c.n_head_kv; ++h)
          Rope(kc_.data() + t * c.kv_dim() + h * c.head_dim, c.rope_dims, table);
        const int64_t slot = (l * n_ctx_ + pos_ + t) * c.kv_dim();
        std::copy_n(kc_.data() + t * c.kv_dim(), KV, k_.data() + slot);
        std::copy_n(vc_.data() + t * c.kv_dim(), KV, v_.data() + slot);
      }
    });
    Attention(l, n);
    NormRows(attn_.data(), L.attn_sub_norm, n, c.n_embd, h_.data());
    BITGATE_RETURN_IF_ERROR(SetInput(h_.data(), n, c.n_embd, blk + ".attn_output"));
    Project(L.wo, tmp_.data());
    AddRows(tmp_.data(), n, c.n_embd, x_.data());

    NormRows(x_.data(), L.ffn_norm, n, c.n_embd, h_.data());
    BITGATE_RETURN_IF_ERROR(SetInput(h_.data(), n, c.n_embd, blk + ".ffn_gate/up"));
    Project(L.gate, gate_.data());
    Project(L.up, up_.data());
    pool_->ParallelFor(n, 1, [&](int64_t b, int64_t e) {
      const bool silu = c.activation == FfnActivation::kSilu;
      for (int64_t i = b * c.n_ff; i < e * c.n_ff; ++i) {
        const float g = gate_[static_cast<size_t>(i)];
        const float a = silu ? g / (1.0f + std::exp(-g)) : (g > 0.0f ? g * g : 0.0f);
        gate_[static_cast<size_t>(i)] = a * up_[static_cast<size_t>(i)];
      }
    });
    NormRows(gate_.data(), L.ffn_sub_norm, n, c.n_ff, h_.data());
    BITGATE_RETURN_IF_ERROR(SetInput(h_.data(), n, c.n_ff, blk + ".ffn_down"));
    Project(L.down, tmp_.data());
    AddRows(tmp_.data(), n, c.n_embd, x_.data());
  }

  const int64_t first = all_logits ? 0 : n - 1, rows = n - first;
  for (int64_t t = first; t < n; ++t)
    RmsNorm(x_.data() + t * c.n_embd, model_.output_norm().data(), c.n_embd, c.rms_eps,
            h_.data() + (t - first) * c.n_embd);
  BITGATE_RETURN_IF_ERROR(SetInput(h_.data(), rows, c.n_embd, "the output head"));
  logits->resize(static_cast<size_t>(rows * c.n_vocab));
  Project(model_.head(), logits->data());
  // The head has no projection after it to stop a non-finite value (a
  // per-block scale of a quantized head): its output is checked itself.
  if (!AllFinite(logits->data(), static_cast<int64_t>(logits->size()))) {
    const auto bad = std::find_if(logits->begin(), logits->end(), [](float v) { return !std::isfinite(v); });
    const int64_t i = bad - logits->begin();
    return Status::Error("non-finite output of the output head (batch row " + std::to_string(i / c.n_vocab) +
                         ", token id " + std::to_string(i % c.n_vocab) + " = " + std::to_string(*bad) +
                         "): a weight or scale of output.weight is out of range");
  }
  pos_ += n;
  return Status::Ok();
}

}  // namespace bitgate::engine
