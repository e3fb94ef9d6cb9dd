// The FP32 reference forward pass: the same graph as Session, computed in
// float with Eigen on dequantized weights and unquantized activations. It is
// the yardstick that tests and the accuracy gate compare the quantized
// engine against (top-1 agreement, KL divergence, perplexity). Small models
// only: it holds every weight as float.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/model.h"
#include "kernels/base/status.h"

namespace bitgate::engine {

// Logits of every position of `tokens`, [T][n_vocab].
Result<std::vector<float>> ReferenceLogits(const Model& model, std::span<const int32_t> tokens);

// Agreement between two logit matrices [T][V]: share of positions whose
// argmax agrees, mean KL(p_ref || p_test) in nats, and the perplexity of
// each over the next tokens of `tokens` (positions 0..T-2).
struct LogitAgreement {
  double top1_agreement = 0;
  double mean_kl = 0;
  double max_abs_diff = 0;
  double ppl_ref = 0, ppl_test = 0;
};
LogitAgreement CompareLogits(std::span<const float> ref, std::span<const float> test, int64_t n_vocab,
                             std::span<const int32_t> tokens);

}  // namespace bitgate::engine
