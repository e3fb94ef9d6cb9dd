// Engine micro-benchmarks: bitgate-bench-engine.
//   stop/lookup: one StopTokenSet::Contains() on a 128256-id vocabulary
//   (target < 10 ns, issue 4), ids drawn at random so the branch predictor
//   cannot learn the answer.
//   sample/*: one sampling step over 128256 logits.
//   tokenize/*: encoding throughput.
#include <benchmark/benchmark.h>

#include <vector>

#include "engine/sampling.h"
#include "engine/sampling_stop.h"
#include "engine/tokenizer.h"
#include "engine/tokenizer_train.h"

namespace bitgate::engine {
namespace {

constexpr int32_t kVocab = 128256;  // BitNet b1.58 2B-4T / LLaMA-3

void BM_StopLookup(benchmark::State& state) {
  StopTokenSet set({128001, 128008, 128009, 2, 13});
  Rng rng(42);
  std::vector<int32_t> ids(4096);
  for (auto& id : ids) id = static_cast<int32_t>(rng.NextU64() % kVocab);
  ids[7] = 128009;
  size_t i = 0;
  int64_t hits = 0;
  for (auto _ : state) {
    hits += set.Contains(ids[i]);
    i = (i + 1) & (ids.size() - 1);
    benchmark::DoNotOptimize(hits);
  }
  state.counters["hits"] = static_cast<double>(hits);
}
BENCHMARK(BM_StopLookup)->Name("stop/lookup");

void BM_SampleTopK(benchmark::State& state) {
  std::vector<float> logits(kVocab);
  Rng rng(1);
  for (auto& l : logits) l = static_cast<float>(rng.NextDouble() * 20.0 - 10.0);
  SamplerConfig cfg;  // defaults: temp 0.8, top-k 40, top-p 0.95, min-p 0.05
  Sampler sampler(cfg);
  for (auto _ : state) benchmark::DoNotOptimize(sampler.Sample(logits, {}));
}
BENCHMARK(BM_SampleTopK)->Name("sample/top_k40_vocab128k")->Unit(benchmark::kMicrosecond);

void BM_SampleTopP(benchmark::State& state) {
  std::vector<float> logits(kVocab);
  Rng rng(1);
  for (auto& l : logits) l = static_cast<float>(rng.NextDouble() * 20.0 - 10.0);
  SamplerConfig cfg;
  cfg.top_k = 0;  // nucleus only: no sort of the whole vocabulary
  cfg.min_p = 0.0f;
  Sampler sampler(cfg);
  for (auto _ : state) benchmark::DoNotOptimize(sampler.Sample(logits, {}));
}
BENCHMARK(BM_SampleTopP)->Name("sample/top_p95_vocab128k")->Unit(benchmark::kMicrosecond);

// Encoding speed of the byte-level BPE path (LLaMA-3 pre-tokenizer + merges)
// on the shipped corpus with a 2000-token vocabulary learned from it.
void BM_BpeEncode(benchmark::State& state) {
  auto vocab = TrainBpe(BpeTrainingCorpus(), 2000);
  auto tok = Tokenizer::Create(std::move(*vocab));
  const std::string_view text = BpeTrainingCorpus();
  for (auto _ : state) benchmark::DoNotOptimize(tok->Encode(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_BpeEncode)->Name("tokenize/bpe_encode_corpus")->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace bitgate::engine

BENCHMARK_MAIN();
