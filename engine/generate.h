// Text generation on a loaded model: prefill, decode, sampling, stop
// conditions, timings and the kernel evidence a receipt records.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model.h"
#include "engine/sampling.h"
#include "engine/sampling_stop.h"
#include "engine/thread_pool.h"
#include "engine/tokenizer.h"

namespace bitgate::engine {

struct GenerateOptions {
  std::string prompt;                  // encoded with BOS as the vocabulary asks
  std::vector<int32_t> prompt_tokens;  // used instead of `prompt` when non-empty
  int32_t max_tokens = 128;
  SamplerConfig sampler = SamplerConfig::Greedy();
  std::vector<std::string> stop_strings;
  bool stop_at_eos = true;             // end-of-generation tokens stop
  bool parse_special = true;           // control-token texts in `prompt` become those tokens (chat templates)
  int64_t n_ctx = 0;                   // 0: prompt + max_tokens
};

struct GenerateResult {
  std::vector<int32_t> prompt_tokens;
  std::vector<int32_t> output_tokens;  // sampled tokens (a final stop token included)
  std::string text;                    // emitted text (stop strings excluded)
  std::string stop_reason;             // StopReasonName
  double prompt_seconds = 0;           // prefill of the prompt, first logits included
  double decode_seconds = 0;           // every decode step after the first token
  double ttft_seconds = 0;             // start to the first sampled token
  int64_t decode_steps = 0;            // forward passes timed in decode_seconds
  std::map<std::string, uint64_t> kernels;  // kernel counters during this generation
  int threads = 1;
  double PromptTokensPerSecond() const;
  double DecodeTokensPerSecond() const;
};

// Streams each piece of emitted text to on_text (may be null).
Result<GenerateResult> Generate(const Model& model, const Tokenizer& tokenizer, ThreadPool* pool,
                                const GenerateOptions& opts,
                                const std::function<void(std::string_view)>& on_text = nullptr);

}  // namespace bitgate::engine
