#include "engine/reference_forward.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "kernels/quant.h"

namespace bitgate::engine {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Result<RowMatrix> Dense(const Matrix& m) {
  RowMatrix out(m.rows, m.cols);
  BITGATE_RETURN_IF_ERROR(
      kernels::Dequantize(m.format, {m.data, static_cast<size_t>(m.bytes)}, m.rows, m.cols, out.data()));
  return RowMatrix(out * m.scale);
}

// x: [T][n] rows; w: n weights.
RowMatrix RmsNormRows(const RowMatrix& x, const std::vector<float>& w, float eps) {
  RowMatrix y(x.rows(), x.cols());
  const Eigen::Map<const Eigen::RowVectorXf> wv(w.data(), static_cast<Eigen::Index>(w.size()));
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    const double ss = x.row(t).cast<double>().squaredNorm() / static_cast<double>(x.cols());
    y.row(t) = x.row(t).cwiseProduct(wv) / std::sqrt(static_cast<float>(ss) + eps);
  }
  return y;
}

void RopeRows(RowMatrix* m, int64_t heads, int64_t head_dim, int64_t dims, float theta) {
  for (Eigen::Index t = 0; t < m->rows(); ++t)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < dims / 2; ++i) {
        const double angle = static_cast<double>(t) * std::pow(static_cast<double>(theta), -2.0 * i / dims);
        const float c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
        float& a = (*m)(t, h * head_dim + i);
        float& b = (*m)(t, h * head_dim + i + dims / 2);
        const float x0 = a, x1 = b;
        a = x0 * c - x1 * s;
        b = x0 * s + x1 * c;
      }
}

}  // namespace

Result<std::vector<float>> ReferenceLogits(const Model& model, std::span<const int32_t> tokens) {
  const ModelConfig& c = model.config();
  const auto T = static_cast<Eigen::Index>(tokens.size());
  RowMatrix x(T, c.n_embd);
  for (Eigen::Index t = 0; t < T; ++t) BITGATE_RETURN_IF_ERROR(model.Embed(tokens[t], x.row(t).data()));
  const int64_t group = c.n_head / c.n_head_kv;
  for (const LayerWeights& L : model.layers()) {
    RowMatrix h = RmsNormRows(x, L.attn_norm, c.rms_eps);
    auto wq = Dense(L.wq), wk = Dense(L.wk), wv = Dense(L.wv), wo = Dense(L.wo);
    auto wg = Dense(L.gate), wu = Dense(L.up), wd = Dense(L.down);
    for (const auto* r : {&wq, &wk, &wv, &wo, &wg, &wu, &wd})
      if (!r->ok()) return r->status();
    RowMatrix q = h * wq->transpose(), k = h * wk->transpose(), v = h * wv->transpose();
    RopeRows(&q, c.n_head, c.head_dim, c.rope_dims, c.rope_theta);
    RopeRows(&k, c.n_head_kv, c.head_dim, c.rope_dims, c.rope_theta);
    RowMatrix attn = RowMatrix::Zero(T, c.n_embd);
    const float inv_sqrt = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    for (int64_t hd = 0; hd < c.n_head; ++hd) {
      const int64_t kvh = hd / group;
      const auto qh = q.middleCols(hd * c.head_dim, c.head_dim);
      const auto kh = k.middleCols(kvh * c.head_dim, c.head_dim);
      const auto vh = v.middleCols(kvh * c.head_dim, c.head_dim);
      RowMatrix s = (qh * kh.transpose()) * inv_sqrt;
      for (Eigen::Index t = 0; t < T; ++t) {
        for (Eigen::Index p = t + 1; p < T; ++p) s(t, p) = -INFINITY;  // causal
        const float mx = s.row(t).maxCoeff();
        s.row(t) = (s.row(t).array() - mx).exp().matrix();
        s.row(t) /= s.row(t).sum();
      }
      attn.middleCols(hd * c.head_dim, c.head_dim) = s * vh;
    }
    x += RmsNormRows(attn, L.attn_sub_norm, c.rms_eps) * wo->transpose();
    h = RmsNormRows(x, L.ffn_norm, c.rms_eps);
    RowMatrix g = h * wg->transpose(), u = h * wu->transpose();
    for (Eigen::Index i = 0; i < g.size(); ++i) {
      const float gv = g.data()[i];
      g.data()[i] = (c.activation == FfnActivation::kSilu ? gv / (1.0f + std::exp(-gv)) : (gv > 0 ? gv * gv : 0.0f)) *
                    u.data()[i];
    }
    x += RmsNormRows(g, L.ffn_sub_norm, c.rms_eps) * wd->transpose();
  }
  auto head = Dense(model.head());
  if (!head.ok()) return head.status();
  RowMatrix logits = RmsNormRows(x, model.output_norm(), c.rms_eps) * head->transpose();
  return std::vector<float>(logits.data(), logits.data() + logits.size());
}

LogitAgreement CompareLogits(std::span<const float> ref, std::span<const float> test, int64_t n_vocab,
                             std::span<const int32_t> tokens) {
  LogitAgreement a;
  const int64_t T = static_cast<int64_t>(ref.size()) / n_vocab;
  double nll_ref = 0, nll_test = 0;
  for (int64_t t = 0; t < T; ++t) {
    const float* r = ref.data() + t * n_vocab;
    const float* q = test.data() + t * n_vocab;
    a.top1_agreement += (std::max_element(r, r + n_vocab) - r) == (std::max_element(q, q + n_vocab) - q);
    const double mr = *std::max_element(r, r + n_vocab), mq = *std::max_element(q, q + n_vocab);
    double zr = 0, zq = 0;
    for (int64_t v = 0; v < n_vocab; ++v) {
      zr += std::exp(r[v] - mr);
      zq += std::exp(q[v] - mq);
      a.max_abs_diff = std::max(a.max_abs_diff, std::fabs(static_cast<double>(r[v]) - q[v]));
    }
    const double lzr = std::log(zr) + mr, lzq = std::log(zq) + mq;
    double kl = 0;
    for (int64_t v = 0; v < n_vocab; ++v) {
      const double lp = r[v] - lzr, lq = q[v] - lzq;
      kl += std::exp(lp) * (lp - lq);
    }
    a.mean_kl += kl;
    if (t + 1 < T) {
      nll_ref -= r[tokens[t + 1]] - lzr;
      nll_test -= q[tokens[t + 1]] - lzq;
    }
  }
  a.top1_agreement /= static_cast<double>(T);
  a.mean_kl /= static_cast<double>(T);
  if (T > 1) {
    a.ppl_ref = std::exp(nll_ref / static_cast<double>(T - 1));
    a.ppl_test = std::exp(nll_test / static_cast<double>(T - 1));
  }
  return a;
}

}  // namespace bitgate::engine
