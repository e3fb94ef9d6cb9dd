#include "gates/throughput/engine_bench.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "engine/generate.h"
#include "engine/model.h"
#include "engine/receipt.h"
#include "engine/sampling_stop.h"
#include "engine/sha256.h"
#include "engine/tokenizer.h"
#include "gates/files.h"
#include "kernels/base/json.h"

namespace bitgate::gates {

namespace fs = std::filesystem;
using baselines::BenchmarkResult;
using baselines::Direction;
using baselines::MeasureSamples;

namespace {

// A fixed English prompt: the tokenizer of the synthetic models was trained
// on English text, so it encodes to a realistic ~60 tokens.
constexpr const char* kPrompt =
    "A performance gate compares the candidate build with its baseline on the same machine, "
    "repeats every measurement, and reports the ratio of medians with an interval, so that "
    "a slowdown is caught and noise is not mistaken for one.";

int64_t StatusField(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream ss(line.substr(key.size() + 1));
      int64_t kb = 0;
      ss >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

MeasureSamples Measure(const char* name, const char* unit, Direction d) {
  MeasureSamples m;
  m.name = name;
  m.unit = unit;
  m.direction = d;
  return m;
}

BenchmarkResult Bench(const char* name, std::string params) {
  BenchmarkResult b;
  b.suite = "engine";
  b.name = name;
  b.params = std::move(params);
  return b;
}

bool IsTwoBShaped(const engine::ModelConfig& c) {
  return c.n_embd == 2560 && c.n_layer == 30 && c.n_ff == 6912 && c.n_head == 20 && c.n_head_kv == 5;
}

}  // namespace

ResidentMemory ReadResidentMemory() { return {StatusField("VmRSS"), StatusField("VmHWM")}; }

Result<EngineBenchResult> RunEngineBench(const EngineBenchOptions& o) {
  if (o.repetitions < 1) return Status::Error("engine repetitions must be >= 1");
  if (o.gen_tokens < 2) return Status::Error("--gen-tokens must be >= 2 (decode needs a second token)");
  if (o.threads < 1 || o.threads > 1024) return Status::Error("--threads must be in [1, 1024]");
  EngineBenchResult out;
  out.model_name = fs::path(o.model_path).filename().string();
  // Resets VmHWM to the current RSS (Linux >= 4.0), so the peak is this
  // benchmark's and not, say, the synthesis of the model in this process.
  { std::ofstream("/proc/self/clear_refs") << "5"; }

  engine::LoadOptions load;
  load.head_format = o.head_format;
  auto model = engine::Model::Load(o.model_path, load);
  if (!model.ok()) return model.status().WithContext("loading " + o.model_path);
  auto tok = engine::Tokenizer::FromMetadata((*model)->file().metadata());
  if (!tok.ok()) return tok.status().WithContext("tokenizer of " + o.model_path);
  const engine::ModelConfig& cfg = (*model)->config();
  out.two_b_shaped = IsTwoBShaped(cfg);
  // Hashed once: receipts name the model by digest; VerifyReceipt re-hashes
  // the file, so a digest computed wrongly here cannot pass.
  auto sha_or = engine::Sha256FileHex(o.model_path);
  if (!sha_or.ok()) return sha_or.status();
  const std::string sha = *sha_or;
  engine::ThreadPool pool(o.threads);

  engine::GenerateOptions g;
  g.prompt = kPrompt;
  g.max_tokens = o.gen_tokens;
  g.stop_at_eos = false;  // always gen_tokens tokens, so every sample times the same work
  g.sampler = engine::SamplerConfig::Greedy();
  // The model's digest is part of the rows' identity: a run on another model
  // (another --preset or --model) at the same commit must never be compared
  // with or pooled into these rows (decode of the 2b model against the tiny
  // one's is not a regression).
  const std::string params = "model=" + sha.substr(0, 12) + " tokens=" + std::to_string(o.gen_tokens) +
                             " threads=" + std::to_string(o.threads) +
                             " head=" + kernels::FormatName((*model)->head().format);

  BenchmarkResult total = Bench(kGenerateTotal, params);
  BenchmarkResult prefill = Bench(kGeneratePrefill, params);
  BenchmarkResult decode = Bench(kGenerateDecode, params);
  BenchmarkResult ttft = Bench(kGenerateTtft, params);
  total.measures = {Measure("real_time", "ns", Direction::kLowerIsBetter)};
  prefill.measures = {Measure("tokens_per_second", "tokens/s", Direction::kHigherIsBetter)};
  decode.measures = {Measure("tokens_per_second", "tokens/s", Direction::kHigherIsBetter)};
  ttft.measures = {Measure("real_time", "ns", Direction::kLowerIsBetter)};

  // One unrecorded warm-up: first-touch page faults on the mapped weights
  // are a property of the page cache, not of the code under test.
  auto warm = engine::Generate(**model, *tok, &pool, g);
  if (!warm.ok()) return warm.status().WithContext("generating with " + o.model_path);
  int64_t kv_bytes = 0;
  {
    // The positions a session allocates: the last generated token is never
    // fed back (generate.cc).
    const int64_t n_ctx = static_cast<int64_t>(warm->prompt_tokens.size()) + o.gen_tokens - 1;
    kv_bytes = 2 * cfg.n_layer * n_ctx * cfg.kv_dim() * static_cast<int64_t>(sizeof(float));
  }
  if (!o.receipts_dir.empty()) fs::create_directories(o.receipts_dir);
  for (int rep = 0; rep < o.repetitions; ++rep) {
    auto r = engine::Generate(**model, *tok, &pool, g);
    if (!r.ok()) return r.status().WithContext("generation " + std::to_string(rep));
    const nlohmann::json receipt = engine::MakeReceipt(**model, sha, g, *r);
    const std::string path =
        (fs::path(o.receipts_dir.empty() ? "." : o.receipts_dir) / ("receipt-" + std::to_string(rep) + ".json"))
            .string();
    if (Status s = WriteFileAtomically(path, DumpJson(receipt) + "\n"); !s.ok())
      return s.WithContext("writing receipt");
    out.artifacts.push_back(path);
    // Verified from the file as written: what a reviewer would check.
    std::ifstream in(path);
    const nlohmann::json reread = nlohmann::json::parse(in, nullptr, false);
    engine::VerifyOptions vo;
    vo.model_path = o.model_path;
    auto verdict = engine::VerifyReceipt(reread, vo);
    if (!verdict.ok() || !verdict->ok()) {
      const std::string why = !verdict.ok() ? verdict.status().message() : verdict->failures.front();
      out.correctness_failures.push_back("receipt " + path + " does not verify: " + why +
                                         " (its throughput figures are not recorded)");
      continue;
    }
    const double secs = r->prompt_seconds + r->decode_seconds;
    if (!(secs > 0) || !(r->ttft_seconds > 0) || !(r->PromptTokensPerSecond() > 0) ||
        !(r->DecodeTokensPerSecond() > 0)) {
      out.correctness_failures.push_back("generation " + std::to_string(rep) + " reported a zero timing");
      continue;
    }
    total.measures[0].samples.push_back(secs * 1e9);
    prefill.measures[0].samples.push_back(r->PromptTokensPerSecond());
    decode.measures[0].samples.push_back(r->DecodeTokensPerSecond());
    ttft.measures[0].samples.push_back(r->ttft_seconds * 1e9);
  }
  for (BenchmarkResult* b : {&total, &prefill, &decode, &ttft}) {
    if (b->measures[0].samples.empty()) {
      b->status = baselines::BenchmarkStatus::kError;
      b->message = "no generation with a valid receipt";
      b->measures.clear();
    }
    out.benchmarks.push_back(std::move(*b));
  }

  // Stop-token lookups over random ids of the whole vocabulary (ids drawn
  // before timing, so the generator is not measured).
  engine::StopTokenSet stops(tok->EndOfGenerationIds());
  std::vector<int32_t> ids(4096);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> dist(0, static_cast<int32_t>(cfg.n_vocab) - 1);
  for (auto& id : ids) id = dist(rng);
  // The model's digest too: two models of one vocabulary size can have
  // different end-of-generation sets.
  BenchmarkResult stop = Bench(kStopLookup, "vocab=" + std::to_string(cfg.n_vocab) + " model=" + sha.substr(0, 12));
  stop.measures = {Measure("real_time", "ns", Direction::kLowerIsBetter)};
  const int64_t passes = std::max<int64_t>(1, o.stop_lookups / static_cast<int64_t>(ids.size()));
  for (int rep = 0; rep < o.repetitions; ++rep) {
    int64_t hits = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t p = 0; p < passes; ++p) {
      for (int32_t id : ids) {
        // The empty asm makes the id opaque, so the compiler cannot hoist
        // the lookups out of the pass loop or fold them into one.
        asm volatile("" : "+r"(id));
        hits += stops.Contains(id) ? 1 : 0;
      }
    }
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    // The hit count is used, so the loop cannot be removed.
    if (hits < 0) std::fprintf(stderr, "impossible\n");
    stop.measures[0].samples.push_back(ns / static_cast<double>(passes * static_cast<int64_t>(ids.size())));
  }
  out.benchmarks.push_back(std::move(stop));

  const ResidentMemory after = ReadResidentMemory();
  const int64_t file_bytes = static_cast<int64_t>((*model)->file().bytes().size());
  // The engine rows' parameters: peak memory depends on the head's repack,
  // the tokens (KV cache) and the threads as much as on the model.
  BenchmarkResult mem = Bench(kMemory, out.model_name + " " + params);
  mem.measures = {Measure("peak_rss", "bytes", Direction::kLowerIsBetter),
                  Measure("model_and_kv", "bytes", Direction::kLowerIsBetter)};
  if (after.hwm > 0) {
    // One process, one peak: one sample, whatever the repetitions (copies
    // of it would be ties the rank test reads as agreement, and a one-off
    // difference of one process's allocator a confirmed change). The
    // measuring rounds, each a process of its own, give the row its samples.
    mem.measures[0].samples.push_back(static_cast<double>(after.hwm));
    mem.measures[1].samples.push_back(static_cast<double>(file_bytes + kv_bytes));
    out.benchmarks.push_back(std::move(mem));
  } else {
    out.notes.push_back("resident memory not measured: /proc/self/status has no VmRSS/VmHWM");
  }
  return out;
}

}  // namespace bitgate::gates
