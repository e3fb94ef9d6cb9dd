#include "engine/sampling.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

namespace bitgate::engine {
namespace {

struct Candidate {
  int32_t id;
  float logit;
};

bool ByLogitThenId(const Candidate& a, const Candidate& b) {
  if (a.logit != b.logit) return a.logit > b.logit;
  return a.id < b.id;
}

}  // namespace

double DeterministicExp(double x) {
  if (std::isnan(x)) return x;
  if (x < -745.0) return 0.0;
  if (x > 709.7) return HUGE_VAL;
  // x = k ln2 + r, |r| <= ln2 / 2; ln2 split so k * kLn2Hi is exact.
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kInvLn2 = 1.44269504088896338700e+00;
  const double k = std::floor(x * kInvLn2 + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  // Taylor series to r^13: error < 1e-17 for |r| <= 0.347.
  double term = 1.0;
  double sum = 1.0;
  for (int i = 1; i <= 13; ++i) {
    term = term * r / i;
    sum += term;
  }
  return std::ldexp(sum, static_cast<int>(k));
}

SamplerConfig SamplerConfig::Greedy() {
  SamplerConfig c;
  c.temperature = 0.0f;
  c.top_k = 0;
  c.top_p = 1.0f;
  c.min_p = 0.0f;
  return c;
}

Status ValidateSamplerConfig(const SamplerConfig& c) {
  if (!(c.temperature >= 0.0f) || !std::isfinite(c.temperature)) {
    return Status::Error("temperature " + std::to_string(c.temperature) + " must be finite and >= 0");
  }
  if (!(c.top_p > 0.0f && c.top_p <= 1.0f)) {
    return Status::Error("top_p " + std::to_string(c.top_p) + " not in (0, 1]");
  }
  if (!(c.min_p >= 0.0f && c.min_p <= 1.0f)) {
    return Status::Error("min_p " + std::to_string(c.min_p) + " not in [0, 1]");
  }
  if (!(c.repeat_penalty > 0.0f) || !std::isfinite(c.repeat_penalty)) {
    return Status::Error("repeat_penalty " + std::to_string(c.repeat_penalty) + " must be > 0");
  }
  if (c.repeat_last_n < -1) {
    return Status::Error("repeat_last_n " + std::to_string(c.repeat_last_n) + " must be >= -1");
  }
  return Status::Ok();
}

int32_t ArgMax(std::span<const float> logits) {
  int32_t best = -1;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (std::isnan(logits[i])) continue;
    if (best < 0 || logits[i] > logits[best]) best = static_cast<int32_t>(i);
  }
  return best;
}

void ApplyRepetitionPenalty(std::span<float> logits, std::span<const int32_t> history, float penalty,
                            int32_t last_n) {
  if (penalty == 1.0f || history.empty()) return;
  const size_t n = last_n < 0 ? history.size() : std::min(history.size(), static_cast<size_t>(last_n));
  std::unordered_set<int32_t> seen;
  for (size_t i = history.size() - n; i < history.size(); ++i) {
    const int32_t id = history[i];
    if (id < 0 || static_cast<size_t>(id) >= logits.size() || !seen.insert(id).second) continue;
    float& l = logits[id];
    l = l > 0.0f ? l / penalty : l * penalty;
  }
}

std::vector<TokenProb> Sampler::Filter(std::span<const float> logits_in,
                                       std::span<const int32_t> history, bool sorted) const {
  if (logits_in.empty()) return {};
  std::vector<float> logits(logits_in.begin(), logits_in.end());
  ApplyRepetitionPenalty(logits, history, cfg_.repeat_penalty, cfg_.repeat_last_n);
  const int32_t best = ArgMax(logits);
  // Every logit NaN or -inf: no token has any probability, in greedy mode
  // too (token 0 was taken).
  if (best < 0 || logits[best] == -INFINITY) return {};
  // Greedy, or a degenerate distribution (an infinite logit).
  if (cfg_.temperature <= 0.0f || !std::isfinite(logits[best])) return {{best, 1.0}};

  std::vector<Candidate> cand;
  cand.reserve(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    if (!std::isnan(logits[i])) cand.push_back({static_cast<int32_t>(i), logits[i]});
  }
  // Top-k: a partial sort is enough; the tie order makes it deterministic.
  bool in_order = false;
  if (cfg_.top_k > 0 && static_cast<size_t>(cfg_.top_k) < cand.size()) {
    std::partial_sort(cand.begin(), cand.begin() + cfg_.top_k, cand.end(), ByLogitThenId);
    cand.resize(cfg_.top_k);
    in_order = true;
  }

  // Softmax at the temperature, in double, summed in candidate order.
  std::vector<TokenProb> probs(cand.size());
  const double max_logit = logits[best];
  const double inv_t = 1.0 / static_cast<double>(cfg_.temperature);
  double sum = 0.0;
  for (size_t i = 0; i < cand.size(); ++i) {
    probs[i] = {cand[i].id, DeterministicExp((static_cast<double>(cand[i].logit) - max_logit) * inv_t)};
    sum += probs[i].p;
  }
  for (auto& p : probs) p.p /= sum;
  const double p_max = 1.0 / sum;  // the best token has exp(0) = 1

  // Min-p (relative to the most likely token) is a threshold, so it needs
  // no order; applying it first keeps the sort below small.
  if (cfg_.min_p > 0.0f) {
    const double threshold = static_cast<double>(cfg_.min_p) * p_max;
    std::erase_if(probs, [&](const TokenProb& p) { return p.p < threshold; });
  }
  // Zero probabilities (exp underflow) are never drawn.
  std::erase_if(probs, [](const TokenProb& p) { return p.p == 0.0; });

  auto more_likely = [](const TokenProb& a, const TokenProb& b) {
    return a.p != b.p ? a.p > b.p : a.id < b.id;
  };
  // Top-p: the smallest most-likely-first prefix whose mass reaches top_p.
  // A heap pops candidates in order without sorting the whole vocabulary.
  if (cfg_.top_p < 1.0f) {
    if (!in_order) {
      auto heap_less = [&](const TokenProb& a, const TokenProb& b) { return more_likely(b, a); };
      std::make_heap(probs.begin(), probs.end(), heap_less);
      std::vector<TokenProb> kept;
      double cum = 0.0;
      // The most likely token is always kept (top_p <= 0 kept none).
      for (auto end = probs.end(); end != probs.begin() && (kept.empty() || cum < static_cast<double>(cfg_.top_p));) {
        std::pop_heap(probs.begin(), end, heap_less);
        --end;
        kept.push_back(*end);
        cum += end->p;
      }
      probs = std::move(kept);
      in_order = true;
    } else {
      double cum = 0.0;
      size_t n = 0;
      while (n < probs.size() && (n == 0 || cum < static_cast<double>(cfg_.top_p))) cum += probs[n++].p;
      probs.resize(n);
    }
  }
  if (sorted && !in_order) std::sort(probs.begin(), probs.end(), more_likely);

  double total = 0.0;
  for (const auto& p : probs) total += p.p;
  for (auto& p : probs) p.p /= total;
  return probs;
}

std::vector<TokenProb> Sampler::Distribution(std::span<const float> logits,
                                             std::span<const int32_t> history) const {
  return Filter(logits, history, /*sorted=*/true);
}

int32_t Sampler::Sample(std::span<const float> logits, std::span<const int32_t> history) {
  // Any fixed order gives a deterministic draw; skipping the final sort
  // saves ~10 ms per token on a 128k vocabulary without top-k.
  const std::vector<TokenProb> probs = Filter(logits, history, /*sorted=*/false);
  if (probs.empty()) return -1;
  if (probs.size() == 1) return probs[0].id;
  const double u = rng_.NextDouble();
  double cum = 0.0;
  for (const auto& p : probs) {
    cum += p.p;
    if (u < cum) return p.id;
  }
  return probs.back().id;  // u within rounding of 1
}

}  // namespace bitgate::engine
