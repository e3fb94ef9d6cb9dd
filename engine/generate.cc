#include "engine/generate.h"

#include <chrono>

#include "engine/forward.h"
#include "engine/tokenizer_unicode.h"
#include "kernels/counters.h"

namespace bitgate::engine {
namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::map<std::string, uint64_t> CounterDelta(const std::map<std::string, uint64_t>& before,
                                             const std::map<std::string, uint64_t>& after) {
  std::map<std::string, uint64_t> d;
  for (const auto& [k, v] : after) {
    auto it = before.find(k);
    const uint64_t prev = it == before.end() ? 0 : it->second;
    if (v > prev) d[k] = v - prev;
  }
  return d;
}

}  // namespace

double GenerateResult::PromptTokensPerSecond() const {
  return prompt_seconds > 0 ? static_cast<double>(prompt_tokens.size()) / prompt_seconds : 0.0;
}
double GenerateResult::DecodeTokensPerSecond() const {
  return decode_seconds > 0 ? static_cast<double>(decode_steps) / decode_seconds : 0.0;
}

Result<GenerateResult> Generate(const Model& model, const Tokenizer& tokenizer, ThreadPool* pool,
                                const GenerateOptions& opts, const std::function<void(std::string_view)>& on_text) {
  GenerateResult r;
  r.threads = pool->size();
  if (tokenizer.vocab_size() != model.config().n_vocab) {
    // A sampled id past the tokenizer's list would print nothing; one past
    // the model's could not be fed back.
    return Status::Error("generate: the tokenizer has " + std::to_string(tokenizer.vocab_size()) +
                         " tokens but the model's vocabulary has " + std::to_string(model.config().n_vocab));
  }
  BITGATE_RETURN_IF_ERROR(ValidateSamplerConfig(opts.sampler).WithContext("generate"));
  EncodeOptions encode;
  encode.parse_special = opts.parse_special;
  r.prompt_tokens = opts.prompt_tokens.empty() ? tokenizer.Encode(opts.prompt, encode) : opts.prompt_tokens;
  if (r.prompt_tokens.empty()) return Status::Error("generate: the prompt encodes to no tokens");
  if (opts.max_tokens < 1) return Status::Error("generate: max tokens must be at least 1");
  // Positions the cache holds: the prompt and every sampled token but the
  // last, which is never evaluated.
  const int64_t need = static_cast<int64_t>(r.prompt_tokens.size()) + opts.max_tokens - 1;
  const int64_t n_ctx = opts.n_ctx > 0 ? opts.n_ctx : need;
  if (n_ctx > model.config().n_ctx) {
    return Status::Error("generate: " + std::to_string(n_ctx) + " tokens exceed the model's context of " +
                         std::to_string(model.config().n_ctx));
  }
  if (n_ctx < need) {
    // Refused here, not when the cache fills: by then text has streamed and
    // the result holding it would be lost with the error.
    return Status::Error("generate: a context of " + std::to_string(n_ctx) + " tokens holds less than the " +
                         std::to_string(r.prompt_tokens.size()) + " prompt tokens and " +
                         std::to_string(opts.max_tokens) + " new ones need (" + std::to_string(need) + ")");
  }
  for (size_t i = 0; i < opts.stop_strings.size(); ++i) {
    // A receipt records the stop strings as JSON text for --replay, which
    // cannot hold bytes that are not UTF-8.
    if (const size_t bad = FirstInvalidUtf8(opts.stop_strings[i]); bad != std::string_view::npos) {
      return Status::Error("generate: stop string " + std::to_string(i + 1) + " is not valid UTF-8 (byte " +
                           std::to_string(bad + 1) + ")");
    }
  }
  StopConfig stop_cfg;
  if (opts.stop_at_eos) stop_cfg.stop_ids = tokenizer.EndOfGenerationIds();
  stop_cfg.stop_strings = opts.stop_strings;
  stop_cfg.max_tokens = opts.max_tokens;
  StopChecker stop(stop_cfg);
  Sampler sampler(opts.sampler);
  // The continuation keeps its leading space: the SentencePiece prefix
  // Encode adds belongs to the prompt ("Once upon a" + " time").
  DecodeOptions detok_opts;
  detok_opts.strip_space_prefix = false;
  DetokenizerStream detok(&tokenizer, detok_opts);
  Session session(model, pool, n_ctx);
  std::vector<int32_t> history = r.prompt_tokens;
  std::vector<float> logits;

  const auto before = kernels::KernelCounterSnapshot();
  const auto t0 = Clock::now();
  BITGATE_RETURN_IF_ERROR(session.Eval(r.prompt_tokens, false, &logits));
  const auto t1 = Clock::now();
  r.prompt_seconds = Seconds(t0, t1);
  auto emit = [&](const std::string& s) {
    if (s.empty()) return;
    r.text += s;
    if (on_text) on_text(s);
  };
  Clock::time_point decode_start = t1;
  for (;;) {
    const int32_t id = sampler.Sample(logits, history);
    if (id < 0) {
      return Status::Error("generate: no token can be sampled after " + std::to_string(history.size()) +
                           " tokens: every logit is NaN or -inf");
    }
    if (r.output_tokens.empty()) {
      r.ttft_seconds = Seconds(t0, Clock::now());
      decode_start = Clock::now();
    }
    r.output_tokens.push_back(id);
    history.push_back(id);
    const std::string piece = stop.IsStopToken(id) ? std::string() : detok.Push(id);
    const StopChecker::Step step = stop.Next(id, piece);
    emit(step.text);
    if (step.reason != StopReason::kNone) {
      r.stop_reason = StopReasonName(step.reason);
      break;
    }
    BITGATE_RETURN_IF_ERROR(session.Eval(std::span(&id, 1), false, &logits));
    ++r.decode_steps;
  }
  r.decode_seconds = Seconds(decode_start, Clock::now());
  if (r.stop_reason != StopReasonName(StopReason::kStopString)) {
    emit(stop.Flush());
    emit(detok.Flush());
  }
  r.kernels = CounterDelta(before, kernels::KernelCounterSnapshot());
  return r;
}

}  // namespace bitgate::engine
