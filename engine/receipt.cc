#include "engine/receipt.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <type_traits>

#include "engine/gguf.h"
#include "engine/model_config.h"
#include "engine/sha256.h"
#include "kernels/base/json.h"
#include "kernels/cpu.h"
#include "kernels/counters.h"

#ifndef BITGATE_GIT_COMMIT
#define BITGATE_GIT_COMMIT "unknown"
#endif
#ifndef BITGATE_VERSION
#define BITGATE_VERSION "0.0.0"
#endif

namespace bitgate::engine {
namespace {

using nlohmann::json;

// Whether `v` holds a T: an integer exactly, a float within its range.
// nlohmann's get<> converts unchecked:
// 4294967301 or 5.7 read as an int32 gave 5, and `true` read as a number 1,
// so a receipt with such ids could verify against the digest of others.
template <typename T>
bool HoldsExactly(const json& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v.is_boolean();
  } else if constexpr (std::is_integral_v<T>) {
    if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max());
    if (!v.is_number_integer()) return false;
    const int64_t i = v.get<int64_t>();
    return std::is_signed_v<T> ? i >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                                     i <= static_cast<int64_t>(std::numeric_limits<T>::max())
                               : i >= 0;
  } else if constexpr (std::is_floating_point_v<T>) {
    // Within T's range: 1e39 read as a float is undefined (inf in practice).
    return v.is_number() && std::fabs(v.get<double>()) <= static_cast<double>(std::numeric_limits<T>::max());
  } else if constexpr (std::is_same_v<T, std::string>) {
    return v.is_string();
  } else {  // std::vector<E>
    if (!v.is_array()) return false;
    for (const json& e : v)
      if (!HoldsExactly<typename T::value_type>(e)) return false;
    return true;
  }
}

// Field access with a clear error for a missing or mistyped field.
template <typename T>
Result<T> Field(const json& j, const char* path_a, const char* path_b = nullptr) {
  const json* node = &j;
  std::string where = path_a;
  if (!node->is_object() || !node->contains(path_a)) return Status::Error("receipt: missing field '" + where + "'");
  node = &(*node)[path_a];
  if (path_b) {
    where += '.';
    where += path_b;
    if (!node->is_object() || !node->contains(path_b)) return Status::Error("receipt: missing field '" + where + "'");
    node = &(*node)[path_b];
  }
  if (!HoldsExactly<T>(*node)) {
    std::string shown = node->dump();
    if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
    return Status::Error("receipt: field '" + where + "' is " + shown + " (" + node->type_name() +
                         "), not a value of its type or range");
  }
  return node->get<T>();
}

// The format the file stores the projections in (before any repacking at
// load): that of blk.0.attn_q.weight, which every model has.
std::string FileWeightsFormat(const GgufFile& f) {
  const GgufTensorInfo* t = f.FindTensor("blk.0.attn_q.weight");
  return t != nullptr ? kernels::FormatName(t->format) : "";
}

// The recorded model shapes against the model file's own metadata, and
// the recorded file format against its tensors: claims a replay cannot
// see (a repack to any format gives the same ternary weights).
void CheckModelClaims(const json& receipt, const GgufFile& file, VerifyReport* rep) {
  auto check = [&](bool ok, const std::string& what) { (ok ? rep->checks : rep->failures).push_back(what); };
  auto cfg = ReadModelConfig(file.metadata());
  if (!cfg.ok()) {
    rep->failures.push_back("the model file's configuration does not read: " + cfg.status().message());
    return;
  }
  const json& m = JsonMember(receipt, "model");
  const std::pair<const char*, int64_t> shapes[] = {{"n_embd", cfg->n_embd}, {"n_layer", cfg->n_layer},
                                                     {"n_head", cfg->n_head}, {"n_head_kv", cfg->n_head_kv},
                                                     {"n_ff", cfg->n_ff},     {"n_vocab", cfg->n_vocab}};
  std::string wrong;
  for (const auto& [key, actual] : shapes) {
    const auto it = m.find(key);
    if (it == m.end() || !it->is_number_integer() || it->get<int64_t>() != actual)
      wrong += std::string(wrong.empty() ? "" : ", ") + key + " (file: " + std::to_string(actual) + ")";
  }
  const auto arch = m.find("arch");
  if (arch == m.end() || !arch->is_string() || arch->get<std::string>() != cfg->arch)
    wrong += std::string(wrong.empty() ? "" : ", ") + "arch (file: " + cfg->arch + ")";
  check(wrong.empty(), wrong.empty() ? "recorded model shapes match the model file"
                                     : "recorded model shapes differ from the model file: " + wrong);
  const auto recorded = m.find("file_weights_format");
  if (recorded == m.end()) {
    rep->notes.push_back("the receipt does not record the file's own weight format (older receipt)");
  } else {
    const std::string actual = FileWeightsFormat(file);
    check(recorded->is_string() && recorded->get<std::string>() == actual,
          "recorded file weight format matches the model file (" + actual + ")");
  }
}

}  // namespace

std::string TokenDigest(const std::vector<int32_t>& ids) {
  std::vector<uint8_t> bytes(ids.size() * 4);
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto u = static_cast<uint32_t>(ids[i]);
    for (int b = 0; b < 4; ++b) bytes[4 * i + b] = static_cast<uint8_t>(u >> (8 * b));
  }
  return Sha256Hex(bytes);
}

json MakeReceipt(const Model& model, const std::string& model_sha256, const GenerateOptions& opts,
                 const GenerateResult& r) {
  const ModelConfig& c = model.config();
  const auto& cpu = kernels::GetCpuFeatures();
  auto isa = kernels::SelectedIsa();
  json j;
  j["schema"] = kReceiptSchema;
  j["build"] = {{"version", BITGATE_VERSION}, {"commit", BITGATE_GIT_COMMIT}};
  j["model"] = {{"path", model.path()},
                {"sha256", model_sha256},
                {"size_bytes", model.file().size()},
                {"arch", c.arch},
                {"n_embd", c.n_embd},
                {"n_layer", c.n_layer},
                {"n_head", c.n_head},
                {"n_head_kv", c.n_head_kv},
                {"n_ff", c.n_ff},
                {"n_vocab", c.n_vocab},
                {"weights_format", kernels::FormatName(model.weights_format())},
                {"file_weights_format", FileWeightsFormat(model.file())},
                {"head_format", kernels::FormatName(model.head().format)}};
  j["run"] = {{"threads", r.threads},
              {"isa", isa.ok() ? kernels::IsaName(*isa) : "error"},
              {"max_tokens", opts.max_tokens},
              {"temperature", opts.sampler.temperature},
              {"top_k", opts.sampler.top_k},
              {"top_p", opts.sampler.top_p},
              {"min_p", opts.sampler.min_p},
              {"repeat_penalty", opts.sampler.repeat_penalty},
              {"repeat_last_n", opts.sampler.repeat_last_n},
              {"seed", opts.sampler.seed},
              {"stop_strings", opts.stop_strings},
              {"stop_at_eos", opts.stop_at_eos},
              {"stop_reason", r.stop_reason}};
  j["cpu"] = {{"model", cpu.model_name}, {"vendor", cpu.vendor}, {"flags", kernels::CpuFlagsString()},
              {"logical_cores", cpu.logical_cores}};
  j["tokens"] = {{"prompt", r.prompt_tokens},
                 {"output", r.output_tokens},
                 {"prompt_count", r.prompt_tokens.size()},
                 {"output_count", r.output_tokens.size()},
                 {"digest", TokenDigest(r.output_tokens)}};
  j["timings"] = {{"prompt_seconds", r.prompt_seconds},
                  {"decode_seconds", r.decode_seconds},
                  {"ttft_seconds", r.ttft_seconds},
                  {"decode_steps", r.decode_steps},
                  {"prompt_tokens_per_second", r.PromptTokensPerSecond()},
                  {"decode_tokens_per_second", r.DecodeTokensPerSecond()}};
  j["kernels"] = r.kernels;
  return j;
}

Result<VerifyReport> VerifyReceipt(const json& receipt, const VerifyOptions& opts) {
  VerifyReport rep;
  auto check = [&](bool ok, const std::string& what) { (ok ? rep.checks : rep.failures).push_back(what); };
  auto schema = Field<std::string>(receipt, "schema");
  if (!schema.ok()) return schema.status();
  if (*schema != kReceiptSchema) return Status::Error("receipt: schema '" + *schema + "' is not " + kReceiptSchema);

  // Tokens and their digest.
  auto prompt = Field<std::vector<int32_t>>(receipt, "tokens", "prompt");
  auto output = Field<std::vector<int32_t>>(receipt, "tokens", "output");
  auto digest = Field<std::string>(receipt, "tokens", "digest");
  auto out_count = Field<int64_t>(receipt, "tokens", "output_count");
  auto prompt_count = Field<int64_t>(receipt, "tokens", "prompt_count");
  for (const Status* s : {&prompt.status(), &output.status(), &digest.status(), &out_count.status(),
                          &prompt_count.status()})
    if (!s->ok()) return *s;
  check(TokenDigest(*output) == *digest, "output token digest matches the token ids");
  check(static_cast<int64_t>(output->size()) == *out_count, "output token count matches the id list");
  check(static_cast<int64_t>(prompt->size()) == *prompt_count, "prompt token count matches the id list");
  check(!output->empty(), "at least one token was generated");

  // Timings: throughput must equal tokens over time.
  auto ps = Field<double>(receipt, "timings", "prompt_seconds");
  auto ds = Field<double>(receipt, "timings", "decode_seconds");
  auto steps = Field<int64_t>(receipt, "timings", "decode_steps");
  auto ptps = Field<double>(receipt, "timings", "prompt_tokens_per_second");
  auto dtps = Field<double>(receipt, "timings", "decode_tokens_per_second");
  for (const Status* s : {&ps.status(), &ds.status(), &steps.status(), &ptps.status(), &dtps.status()})
    if (!s->ok()) return *s;
  auto near = [](double a, double b) { return std::fabs(a - b) <= 1e-6 * std::max(1.0, std::fabs(b)); };
  check(*ps > 0 && near(*ptps, static_cast<double>(prompt->size()) / *ps),
        "prompt tokens/s equals prompt tokens / prompt seconds");
  check(*ds >= 0 && (*steps == 0 ? *dtps == 0 : near(*dtps, static_cast<double>(*steps) / *ds)),
        "decode tokens/s equals decode steps / decode seconds");
  // Every token but the last is evaluated once (the last is never fed back).
  // (compared without adding to the untrusted count: INT64_MAX + 1 overflows)
  check(*steps == static_cast<int64_t>(output->size()) - 1, "decode steps are one fewer than the output tokens");

  // Kernels: non-empty, on paths this CPU has, and the weights' format among them.
  if (!receipt.contains("kernels") || !receipt["kernels"].is_object()) {
    return Status::Error("receipt: missing field 'kernels'");
  }
  const json& kern = receipt["kernels"];
  check(!kern.empty(), "the kernel list is not empty");
  auto wfmt = Field<std::string>(receipt, "model", "weights_format");
  if (!wfmt.ok()) return wfmt.status();
  bool format_seen = false, isa_ok = true;
  for (const auto& [id, count] : kern.items()) {
    const auto dot = id.rfind('.');
    const std::string suffix = dot == std::string::npos ? "" : id.substr(dot + 1);
    auto isa = kernels::IsaFromName(suffix);
    if (!isa || !kernels::IsaSupported(*isa) || !count.is_number_unsigned() || count.get<uint64_t>() == 0) {
      isa_ok = false;
      rep.failures.push_back("kernel '" + id + "' is not a path this CPU can run (" + kernels::CpuFlagsString() + ")");
    }
    if (id.rfind("gemv." + *wfmt + ".", 0) == 0 || id.rfind("gemm." + *wfmt + ".", 0) == 0) format_seen = true;
  }
  if (isa_ok) rep.checks.push_back("every kernel ran on a path this CPU supports");
  check(format_seen, "matrix kernels of the weight format " + *wfmt + " ran");

  // The model file.
  auto path = Field<std::string>(receipt, "model", "path");
  auto sha = Field<std::string>(receipt, "model", "sha256");
  if (!path.ok()) return path.status();
  if (!sha.ok()) return sha.status();
  std::string model_path = opts.model_path.empty() ? *path : opts.model_path;
  // Only a regular file is hashed or opened: the recorded path is the
  // receipt's word, and /dev/zero or a FIFO there would hash forever or block.
  std::error_code fs_error;
  const bool model_exists = !model_path.empty() && std::filesystem::exists(model_path, fs_error);
  const bool model_regular = model_exists && std::filesystem::is_regular_file(model_path, fs_error);
  if (model_exists && !model_regular) {
    rep.failures.push_back("model path is not a regular file: " + model_path);
  } else if (model_regular) {
    auto actual = Sha256FileHex(model_path);
    if (!actual.ok()) return actual.status();
    check(*actual == *sha, "model file digest matches (" + model_path + ")");
    auto file = GgufFile::Open(model_path);
    if (!file.ok()) return file.status();
    CheckModelClaims(receipt, *file, &rep);
  } else if (opts.replay || !opts.model_path.empty()) {
    rep.failures.push_back("model file not found: " + model_path);
  } else {
    rep.notes.push_back("model file not checked: the recorded path " +
                        (model_path.empty() ? std::string("is empty") : model_path + " does not exist") +
                        " (--model FILE names it)");
  }

  if (opts.replay && model_regular) {
    auto model = Model::Load(model_path, [&] {
      LoadOptions lo;
      if (auto f = kernels::FormatFromName(*wfmt)) lo.weights_format = *f;
      // The head as it ran (a repacked Q8_0 head picks other near-ties).
      auto hfmt = Field<std::string>(receipt, "model", "head_format");
      if (hfmt.ok())
        if (auto f = kernels::FormatFromName(*hfmt)) lo.head_format = *f;
      return lo;
    }());
    if (!model.ok()) return model.status();
    // The model's faults name the model, not the receipt.
    auto vocab = VocabFromMetadata((*model)->file().metadata());
    if (!vocab.ok()) return vocab.status().WithContext(model_path);
    auto tok = Tokenizer::Create(std::move(vocab).value());
    if (!tok.ok()) return tok.status().WithContext(model_path);
    GenerateOptions g;
    g.prompt_tokens = *prompt;
    const json& run = JsonMember(receipt, "run");
    auto max_tokens = Field<int32_t>(receipt, "run", "max_tokens");
    auto temperature = Field<float>(receipt, "run", "temperature");
    auto top_k = Field<int32_t>(receipt, "run", "top_k");
    auto top_p = Field<float>(receipt, "run", "top_p");
    auto min_p = Field<float>(receipt, "run", "min_p");
    auto repeat_penalty = Field<float>(receipt, "run", "repeat_penalty");
    auto repeat_last_n = Field<int32_t>(receipt, "run", "repeat_last_n");
    auto seed = Field<uint64_t>(receipt, "run", "seed");
    auto stop_strings = Field<std::vector<std::string>>(receipt, "run", "stop_strings");
    auto stop_at_eos = Field<bool>(receipt, "run", "stop_at_eos");
    auto stop_reason = Field<std::string>(receipt, "run", "stop_reason");
    for (const Status* s : {&max_tokens.status(), &temperature.status(), &top_k.status(), &top_p.status(),
                            &min_p.status(), &repeat_penalty.status(), &repeat_last_n.status(), &seed.status(),
                            &stop_strings.status(), &stop_at_eos.status(), &stop_reason.status()})
      if (!s->ok()) return s->WithContext("replay");
    g.max_tokens = *max_tokens;
    g.sampler.temperature = *temperature;
    g.sampler.top_k = *top_k;
    g.sampler.top_p = *top_p;
    g.sampler.min_p = *min_p;
    g.sampler.repeat_penalty = *repeat_penalty;
    g.sampler.repeat_last_n = *repeat_last_n;
    g.sampler.seed = *seed;
    g.stop_strings = *stop_strings;
    g.stop_at_eos = *stop_at_eos;
    // Replayed as recorded, so checked as `generate` checks its options.
    BITGATE_RETURN_IF_ERROR(ValidateSamplerConfig(g.sampler).WithContext("receipt: run settings"));
    auto threads = JsonInteger(run, "threads", 1, kMaxThreads, "receipt: run settings", 1);
    if (!threads.ok()) return threads.status();
    ThreadPool pool(static_cast<int>(*threads));
    auto again = Generate(**model, *tok, &pool, g);
    if (!again.ok()) return again.status();
    check(again->output_tokens == *output, "replay reproduces the output tokens");
    check(again->stop_reason == *stop_reason, "replay stops for the recorded reason (" + *stop_reason + ")");
    // The counters count row chunks, which depend only on the path, the
    // shapes and the thread count: on the recorded path a replay runs the
    // same kernels the same number of times.
    auto isa = kernels::SelectedIsa();
    const auto rec_isa = run.find("isa");
    if (isa.ok() && rec_isa != run.end() && rec_isa->is_string() && *rec_isa == kernels::IsaName(*isa)) {
      check(json(again->kernels) == kern, "replay ran the recorded kernels, each the recorded number of times");
    } else {
      rep.notes.push_back("kernel counts not compared: the replay ran the " +
                          std::string(isa.ok() ? kernels::IsaName(*isa) : "unknown") +
                          " path, the receipt another (BITGATE_FORCE_ISA selects a path)");
    }
    char speed[160];
    std::snprintf(speed, sizeof(speed),
                  "timings are checked for consistency only; this replay decoded %.1f tokens/s, the receipt "
                  "records %.1f",
                  again->DecodeTokensPerSecond(), *dtps);
    rep.notes.push_back(speed);
  }
  return rep;
}

}  // namespace bitgate::engine
