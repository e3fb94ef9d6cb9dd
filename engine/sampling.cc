#include "engine/sampling.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

namespace bitgate::engine {
namespace {

uint64_t SplitMix64(uint64_t* x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

struct Candidate {
  int32_t id;
  float logit;
};

bool ByLogitThenId(const Candidate& a, const Candidate& b) {
  if (a.logit != b.logit) return a.logit > b.logit;
  return a.id < b.id;
}

}  // namespace

void Rng::Seed(uint64_t seed) {
  uint64_t x = seed;
  for (auto& s : s_) s = SplitMix64(&x);
}

uint64_t Rng::NextU64() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

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

std::vector<TokenProb> Sampler::Distribution(std::span<const float> logits_in,
                                             std::span<const int32_t> history) const {
  if (logits_in.empty()) return {};
  std::vector<float> logits(logits_in.begin(), logits_in.end());
  ApplyRepetitionPenalty(logits, history, cfg_.repeat_penalty, cfg_.repeat_last_n);
  if (cfg_.temperature <= 0.0f) {
    const int32_t best = ArgMax(logits);
    if (best < 0) return {};
    return {{best, 1.0}};
  }
  std::vector<Candidate> cand;
  cand.reserve(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    if (!std::isnan(logits[i])) cand.push_back({static_cast<int32_t>(i), logits[i]});
  }
  if (cand.empty()) return {};
  // Top-k: partial sort is enough; the tie order makes it deterministic.
  size_t keep = cand.size();
  if (cfg_.top_k > 0 && static_cast<size_t>(cfg_.top_k) < keep) keep = cfg_.top_k;
  std::partial_sort(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(keep), cand.end(),
                    ByLogitThenId);
  cand.resize(keep);

  // Softmax at the temperature, in double, in sorted order.
  std::vector<TokenProb> probs(cand.size());
  const double max_logit = cand[0].logit;
  const double inv_t = 1.0 / static_cast<double>(cfg_.temperature);
  double sum = 0.0;
  for (size_t i = 0; i < cand.size(); ++i) {
    const double x = (static_cast<double>(cand[i].logit) - max_logit) * inv_t;
    probs[i] = {cand[i].id, std::isinf(cand[i].logit) && cand[i].logit < 0 ? 0.0 : DeterministicExp(x)};
    sum += probs[i].p;
  }
  for (auto& p : probs) p.p /= sum;

  // Top-p: the smallest prefix whose mass reaches top_p (at least one).
  if (cfg_.top_p < 1.0f) {
    double cum = 0.0;
    size_t n = 0;
    while (n < probs.size()) {
      cum += probs[n].p;
      ++n;
      if (cum >= static_cast<double>(cfg_.top_p)) break;
    }
    probs.resize(n);
  }
  // Min-p: relative to the most likely token.
  if (cfg_.min_p > 0.0f) {
    const double threshold = static_cast<double>(cfg_.min_p) * probs[0].p;
    size_t n = 1;
    while (n < probs.size() && probs[n].p >= threshold) ++n;
    probs.resize(n);
  }
  // Zero-probability tails (exp underflow) are never drawn.
  while (probs.size() > 1 && probs.back().p == 0.0) probs.pop_back();
  double total = 0.0;
  for (const auto& p : probs) total += p.p;
  for (auto& p : probs) p.p /= total;
  return probs;
}

int32_t Sampler::Sample(std::span<const float> logits, std::span<const int32_t> history) {
  const std::vector<TokenProb> probs = Distribution(logits, history);
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
