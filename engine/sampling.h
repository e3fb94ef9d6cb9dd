// Token sampling: greedy, repetition penalty, top-k, temperature, top-p,
// min-p and a seeded draw, deterministic across platforms.
//
// Determinism: the RNG is our own (xoshiro256** seeded by splitmix64), the
// softmax uses DeterministicExp (range reduction + a fixed polynomial, only
// IEEE +,*,/ and exact ldexp, so no libm differences), sorting breaks ties
// by token id, and sums run in a fixed order in double. The same logits,
// history and seed give the same token on every machine.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/base/random.h"
#include "kernels/base/status.h"

namespace bitgate::engine {

// The sampler's generator: xoshiro256** seeded by splitmix64
// (kernels/base/random.h).
using Rng = Xoshiro256;

// exp(x) to within a few ulp, bit-identical on every IEEE-754 platform
// (no libm); 0 below -745, +inf above 709.7.
double DeterministicExp(double x);

struct SamplerConfig {
  float temperature = 0.8f;     // <= 0: greedy (argmax after the penalty)
  int32_t top_k = 40;           // <= 0: off
  float top_p = 0.95f;          // >= 1: off
  float min_p = 0.05f;          // <= 0: off; keeps p >= min_p * p_max
  float repeat_penalty = 1.0f;  // 1: off; > 1 discourages repeats
  int32_t repeat_last_n = 64;   // how much history the penalty looks at (-1: all)
  uint64_t seed = 0;

  static SamplerConfig Greedy();
};

// Checks ranges ("temperature -1 is negative", "top_p 1.5 not in (0, 1]").
Status ValidateSamplerConfig(const SamplerConfig& cfg);

struct TokenProb {
  int32_t id;
  double p;
};

// Index of the largest value; the lowest index wins ties; -1 if empty.
// NaN logits never win.
int32_t ArgMax(std::span<const float> logits);

class Sampler {
 public:
  explicit Sampler(const SamplerConfig& cfg) : cfg_(cfg), rng_(cfg.seed) {}

  // Picks the next token. `history` holds the tokens so far (prompt and
  // output) for the repetition penalty; pass {} to ignore it.
  int32_t Sample(std::span<const float> logits, std::span<const int32_t> history);

  // The candidates left after every filter with their renormalized
  // probabilities, most likely first (ties: lower id). Greedy: one entry.
  std::vector<TokenProb> Distribution(std::span<const float> logits,
                                      std::span<const int32_t> history) const;

  void Reseed(uint64_t seed) { rng_.Seed(seed); }
  const SamplerConfig& config() const { return cfg_; }

 private:
  // Penalty, top-k, softmax, min-p, top-p, renormalization. With `sorted`
  // the result is most likely first; otherwise in a fixed but cheaper order.
  std::vector<TokenProb> Filter(std::span<const float> logits, std::span<const int32_t> history,
                                bool sorted) const;

  SamplerConfig cfg_;
  Rng rng_;
};

// The penalty as llama.cpp applies it: each distinct token among the last
// `last_n` of history has its logit divided by `penalty` if positive,
// multiplied if negative.
void ApplyRepetitionPenalty(std::span<float> logits, std::span<const int32_t> history,
                            float penalty, int32_t last_n);

}  // namespace bitgate::engine
