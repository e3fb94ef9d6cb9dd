#include "gates/accuracy/engine_accuracy.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/forward.h"
#include "engine/model.h"
#include "engine/reference_forward.h"
#include "engine/thread_pool.h"
#include "engine/tokenizer.h"
#include "gates/files.h"
#include "kernels/cpu.h"
#include "kernels/format.h"

namespace bitgate::gates::accuracy {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kChildExitBadModel = 3;

// The fixed token stream: ordinary English with digits and punctuation, so
// both tokenizer kinds produce many distinct tokens.
constexpr const char* kStreamText =
    "The gate compares every kernel path against the reference before a change is merged. "
    "A ternary weight is minus one, zero or plus one, scaled per block or per tensor; "
    "activations are quantized to eight bits per token. In 2024 the first BitNet b1.58 "
    "models showed that 1.58-bit weights can match half precision at scale. Engines of "
    "this kind have shipped paths that print garbage while the default path looks fine: "
    "empty scalar fallbacks, wrong strides, one repeated letter. So we measure top-1 "
    "agreement, the KL divergence and the perplexity on every path, 3 times a day, "
    "with the same 128 tokens, and we keep the numbers.";

// Float copies of all weights above this would not fit a CI machine: the
// reference pass holds every weight as float.
constexpr double kMaxReferenceBytes = 3e9;

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

Result<std::vector<int32_t>> StreamTokens(const engine::Model& model, int64_t n) {
  auto tok = engine::Tokenizer::FromMetadata(model.file().metadata());
  if (!tok.ok()) return tok.status().WithContext("tokenizer");
  std::vector<int32_t> ids = tok->Encode(kStreamText, {.add_special = false});
  if (ids.empty()) return Status::Error("the tokenizer encodes the stream text to nothing");
  std::vector<int32_t> out;
  while (static_cast<int64_t>(out.size()) < n) out.insert(out.end(), ids.begin(), ids.end());
  out.resize(static_cast<size_t>(n));
  for (int32_t id : out)
    if (id < 0 || id >= model.config().n_vocab) return Status::Error("token id outside the model's vocabulary");
  return out;
}

// `*loaded` says whether `format` applies to the model (its projections'
// shapes fit the format) and the window to its context: an error after
// that, a failed load or repack included, is a failure of the engine, not
// of the setup.
//
// The reference is always the model as stored: float weights from its own
// bytes. A repacked format is judged against that, so damage done by the
// repack (or by the format's quantizer) shows, where a reference built from
// the repacked weights would carry the same damage.
Result<EngineFormatResult> EvalFormat(const std::string& model_path, const std::string& format, int windows,
                                      int window_tokens, int repetitions, const std::string& logits_path,
                                      bool* loaded) {
  *loaded = false;
  auto stored = engine::Model::Load(model_path);
  if (!stored.ok()) return stored.status();
  const engine::ModelConfig cfg = (*stored)->config();
  if (window_tokens > cfg.n_ctx) return Status::Error("window longer than the model's context");
  engine::LoadOptions lo;
  if (format != "auto") {
    auto f = kernels::FormatFromName(format);
    if (!f || !kernels::Info(*f).ternary) return Status::Error("not a ternary format: " + format);
    const std::pair<int64_t, int64_t> shapes[] = {
        {cfg.n_embd, cfg.n_embd}, {cfg.kv_dim(), cfg.n_embd}, {cfg.n_ff, cfg.n_embd}, {cfg.n_embd, cfg.n_ff}};
    for (const auto& [rows, cols] : shapes)
      if (Status s = kernels::ValidateShape(*f, rows, cols); !s.ok())
        return s.WithContext("the model's " + std::to_string(rows) + "x" + std::to_string(cols) + " projections");
    lo.weights_format = *f;
  }
  *loaded = true;
  auto tokens = StreamTokens(**stored, static_cast<int64_t>(windows) * window_tokens);
  if (!tokens.ok()) return tokens.status();
  auto window = [&](int w) {
    return std::span<const int32_t>(tokens->data() + static_cast<ptrdiff_t>(w) * window_tokens,
                                    static_cast<size_t>(window_tokens));
  };
  // The reference is float Eigen code, the yardstick: computed once.
  std::vector<std::vector<float>> refs;
  for (int w = 0; w < windows; ++w) {
    auto ref = engine::ReferenceLogits(**stored, window(w));
    if (!ref.ok()) return ref.status().WithContext("reference forward");
    refs.push_back(std::move(*ref));
  }
  std::unique_ptr<engine::Model> repacked;
  if (lo.weights_format) {
    stored->reset();  // the stored mapping is not needed beside the repacked copy
    auto m = engine::Model::Load(model_path, lo);
    if (!m.ok()) return m.status().WithContext("loading the model as " + format);
    repacked = std::move(*m);
  }
  const engine::Model& m = repacked ? *repacked : **stored;
  EngineFormatResult r;
  r.format = format;
  r.logits_path = logits_path;
  std::ofstream logits_out(logits_path, std::ios::binary);
  engine::ThreadPool pool(1);  // results are identical for any thread count (forward.h)
  for (int rep = 0; rep < repetitions; ++rep) {
    EngineWindow total;
    double log_ppl_ref = 0, log_ppl_test = 0;
    for (int w = 0; w < windows; ++w) {
      engine::Session session(m, &pool, window_tokens);
      std::vector<float> got;
      BITGATE_RETURN_IF_ERROR(session.Eval(window(w), /*all_logits=*/true, &got).WithContext("quantized forward"));
      const auto a = engine::CompareLogits(refs[w], got, m.config().n_vocab, window(w));
      int64_t nonfinite = 0;
      for (size_t i = 0; i < got.size(); ++i) nonfinite += !std::isfinite(got[i]) || !std::isfinite(refs[w][i]);
      total.top1 += a.top1_agreement / windows;
      total.mean_kl += a.mean_kl / windows;
      log_ppl_ref += std::log(a.ppl_ref) / windows;
      log_ppl_test += std::log(a.ppl_test) / windows;
      total.max_abs_diff = std::max(total.max_abs_diff, a.max_abs_diff);
      total.nonfinite += nonfinite;
      if (rep > 0) continue;
      r.windows.push_back({a.top1_agreement, a.mean_kl, a.ppl_ref, a.ppl_test, a.max_abs_diff, nonfinite});
      logits_out.write(reinterpret_cast<const char*>(got.data()), static_cast<std::streamsize>(got.size() * 4));
    }
    total.ppl_ref = std::exp(log_ppl_ref);
    total.ppl_test = std::exp(log_ppl_test);
    r.repetitions.push_back(total);
  }
  return r;
}

json WindowJson(const EngineWindow& w) {
  return {{"top1", w.top1}, {"mean_kl", w.mean_kl}, {"ppl_ref", w.ppl_ref}, {"ppl_test", w.ppl_test},
          {"max_abs_diff", w.max_abs_diff}, {"nonfinite", w.nonfinite}};
}

json ToJson(const EngineFormatResult& r) {
  json windows = json::array(), reps = json::array();
  for (const auto& w : r.windows) windows.push_back(WindowJson(w));
  for (const auto& w : r.repetitions) reps.push_back(WindowJson(w));
  return {{"format", r.format}, {"windows", windows}, {"repetitions", reps}, {"logits", r.logits_path},
          {"error", r.error}, {"failed", r.failed}};
}

// JSON's numbers cannot be NaN/Inf (nlohmann writes null): keep them.
double Num(const json& v) {
  if (v.is_number()) return v.get<double>();
  return std::nan("");
}

EngineWindow WindowFrom(const json& w) {
  return {Num(w["top1"]), Num(w["mean_kl"]), Num(w["ppl_ref"]), Num(w["ppl_test"]), Num(w["max_abs_diff"]),
          w.value("nonfinite", int64_t{0})};
}

std::vector<float> ReadFloats(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Runs the child for `isa`; returns its wait status, or -1 on timeout.
int RunChild(const EngineAccuracyOptions& o, const std::string& isa, const std::string& out_json,
             const std::string& log_path) {
  std::string formats;
  for (const auto& f : o.formats) formats += (formats.empty() ? "" : ",") + f;
  std::vector<std::string> args = {o.self_exe,     "--engine-child", "--isa",    isa,
                                   "--model",      o.model,          "--formats", formats,
                                   "--windows",    std::to_string(o.windows),   "--window-tokens",
                                   std::to_string(o.window_tokens),  "--repetitions",
                                   std::to_string(o.repetitions),    "--child-out", out_json};
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    setenv("BITGATE_FORCE_ISA", isa.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(o.self_exe.c_str(), argv.data());
    _exit(127);
  }
  if (pid < 0) return -2;
  const int64_t deadline = NowMs() + static_cast<int64_t>(o.timeout_seconds * 1000);
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return status;
    if (NowMs() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    usleep(20000);
  }
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (s.size() > 600) s = "..." + s.substr(s.size() - 600);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::string Fmt(const char* fmt, double a, double b) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), fmt, a, b);
  return buf;
}

}  // namespace

int EngineChildMain(int argc, char** argv) {
  namespace po = boost::program_options;
  po::options_description desc("engine child");
  desc.add_options()("engine-child", "")("isa", po::value<std::string>()->required(), "")
      ("model", po::value<std::string>()->required(), "")("formats", po::value<std::string>()->required(), "")
      ("windows", po::value<int>()->required(), "")("window-tokens", po::value<int>()->required(), "")
      ("repetitions", po::value<int>()->required(), "")
      ("child-out", po::value<std::string>()->required(), "");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "engine child: %s\n", e.what());
    return 2;
  }
  const std::string isa = vm["isa"].as<std::string>();
  auto selected = kernels::SelectedIsa();
  if (!selected.ok() || kernels::IsaName(*selected) != isa) {
    std::fprintf(stderr, "engine child: BITGATE_FORCE_ISA=%s did not take effect (%s)\n", isa.c_str(),
                 selected.ok() ? kernels::IsaName(*selected) : selected.status().message().c_str());
    return 2;
  }
  const std::string out = vm["child-out"].as<std::string>();
  json results = json::array();
  for (const auto& format : Split(vm["formats"].as<std::string>())) {
    std::fprintf(stderr, "engine child %s: %s\n", isa.c_str(), format.c_str());
    bool loaded = false;
    auto r = EvalFormat(vm["model"].as<std::string>(), format, vm["windows"].as<int>(),
                        vm["window-tokens"].as<int>(), vm["repetitions"].as<int>(), out + "." + format + ".logits",
                        &loaded);
    if (!r.ok() && format == "auto") {
      // The model as stored does not load or run: the model is bad.
      std::fprintf(stderr, "model: %s\n", r.status().message().c_str());
      return kChildExitBadModel;
    }
    EngineFormatResult res;
    if (r.ok()) {
      res = std::move(*r);
    } else {
      res.format = format;
      res.error = r.status().message();
      res.failed = loaded;
    }
    results.push_back(ToJson(res));
  }
  if (Status s = WriteFileAtomically(out, json{{"isa", isa}, {"results", results}}.dump(2, ' ', false,
                                                                                       json::error_handler_t::replace) +
                                              "\n");
      !s.ok()) {
    std::fprintf(stderr, "engine child: %s\n", s.message().c_str());
    return 2;
  }
  return 0;
}

EngineAccuracy RunEngineAccuracy(const EngineAccuracyOptions& options) {
  EngineAccuracy acc;
  EngineAccuracyOptions opts = options;
  const EngineAccuracyOptions& o = opts;
  const fs::path dir = fs::path(o.out_dir) / "accuracy";
  std::error_code ec;
  fs::create_directories(dir, ec);
  {
    auto model = engine::Model::Load(o.model);
    if (!model.ok()) {
      acc.failures.push_back("accuracy/engine: model " + o.model + " does not load: " + model.status().message());
      return acc;
    }
    double reference_bytes = 0;
    for (const auto& t : (*model)->file().tensors()) reference_bytes += 4.0 * static_cast<double>(t.n_elements);
    if (reference_bytes > kMaxReferenceBytes) {
      acc.notes.push_back(Fmt("accuracy/engine: skipped: the FP32 reference would need %.1f GB (limit %.0f GB)",
                              reference_bytes / 1e9, kMaxReferenceBytes / 1e9));
      return acc;
    }
    if (!opts.formats_explicit && reference_bytes / 4 > static_cast<double>(opts.all_formats_max_params) &&
        opts.formats.size() > 1) {
      opts.formats = {"auto"};
      acc.notes.push_back(Fmt("accuracy/engine: %.0fM weights: only the stored format runs (more than %.0fM; "
                              "pass --formats to choose)",
                              reference_bytes / 4e6, static_cast<double>(opts.all_formats_max_params) / 1e6));
    }
    // "auto" already runs the stored format: do not evaluate it twice.
    const std::string stored = kernels::FormatName((*model)->weights_format());
    const auto it = std::find(opts.formats.begin(), opts.formats.end(), stored);
    if (it != opts.formats.end() && std::find(opts.formats.begin(), opts.formats.end(), "auto") != opts.formats.end()) {
      opts.formats.erase(it);
      acc.notes.push_back("accuracy/engine: " + stored + " is the model's stored format, measured as 'auto'");
    }
  }
  std::vector<EngineFormatResult> scalar_results;
  for (kernels::Isa isa : {kernels::Isa::kScalar, kernels::Isa::kAvx2, kernels::Isa::kAvx512}) {
    if (!kernels::IsaSupported(isa)) continue;
    const std::string name = kernels::IsaName(isa);
    const std::string out_json = (dir / ("engine-" + name + ".json")).string();
    const std::string log = (dir / ("engine-" + name + ".log")).string();
    acc.artifacts.push_back(log);
    const int status = RunChild(o, name, out_json, log);
    const std::string where = "accuracy/engine on " + name + ": ";
    if (status == -1) {
      acc.failures.push_back(where + "hung (no result within " + std::to_string(static_cast<int>(o.timeout_seconds)) +
                             " s); log " + log);
      continue;
    }
    if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      const std::string how = status < 0                 ? "could not start"
                              : WIFSIGNALED(status)      ? "crashed (signal " + std::to_string(WTERMSIG(status)) + ")"
                              : WEXITSTATUS(status) == kChildExitBadModel ? "rejected the model"
                                                         : "failed (exit " + std::to_string(WEXITSTATUS(status)) + ")";
      acc.failures.push_back(where + how + ": " + Tail(log));
      continue;
    }
    json doc;
    try {
      std::ifstream in(out_json);
      doc = json::parse(in);
    } catch (const json::exception& e) {
      acc.failures.push_back(where + "unreadable child result " + out_json + ": " + e.what());
      continue;
    }
    acc.artifacts.push_back(out_json);
    for (const auto& jr : doc["results"]) {
      EngineFormatResult r;
      r.format = jr.value("format", "");
      r.isa = name;
      r.logits_path = jr.value("logits", "");
      r.error = jr.value("error", "");
      r.failed = jr.value("failed", false);
      for (const auto& w : jr["windows"]) r.windows.push_back(WindowFrom(w));
      for (const auto& w : jr["repetitions"]) r.repetitions.push_back(WindowFrom(w));
      const std::string what = "accuracy/engine/" + r.format + " on " + name + ": ";
      if (r.failed) {
        acc.failures.push_back(what + "failed: " + r.error);
      } else if (!r.error.empty()) {
        acc.notes.push_back(what + "not run: " + r.error);
      }
      if (!r.repetitions.empty()) {
        // Floors apply to the whole stream; per-window figures are in the
        // summary (a window of 32 tokens moves top-1 in steps of 3%).
        const EngineWindow& w = r.repetitions.front();
        if (w.nonfinite > 0) {
          acc.failures.push_back(what + std::to_string(w.nonfinite) +
                                 " logits are NaN or Inf (corrupt weights or scales?)");
        } else {
          if (!(w.top1 >= o.floors.min_top1))
            acc.failures.push_back(what + Fmt("top-1 agreement %.3f below its floor %.3f", w.top1, o.floors.min_top1));
          if (!(w.mean_kl <= o.floors.max_kl))
            acc.failures.push_back(what + Fmt("mean KL %.3g nats above its ceiling %.3g", w.mean_kl, o.floors.max_kl));
          if (!(w.PplDiffPct() <= o.floors.max_ppl_diff_pct))
            acc.failures.push_back(what + Fmt("perplexity differs by %.2f%% (limit %.2f%%)", w.PplDiffPct(),
                                              o.floors.max_ppl_diff_pct));
        }
        for (size_t k = 1; k < r.repetitions.size(); ++k) {
          const EngineWindow& x = r.repetitions[k];
          if (x.top1 != w.top1 || x.mean_kl != w.mean_kl || x.ppl_test != w.ppl_test) {
            acc.failures.push_back(what + "not deterministic: repetition " + std::to_string(k) +
                                   " differs from the first");
            break;
          }
        }
      } else if (r.error.empty()) {
        acc.failures.push_back(what + "the child reported no results");
      }
      if (isa == kernels::Isa::kScalar) {
        scalar_results.push_back(r);
      } else if (r.error.empty()) {
        for (const auto& s : scalar_results) {
          if (s.format != r.format || !s.error.empty()) continue;
          const auto a = ReadFloats(s.logits_path), b = ReadFloats(r.logits_path);
          double diff = a.size() == b.size() && !a.empty() ? 0 : INFINITY, scale = 0;
          for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
            const double d = std::fabs(double(a[i]) - b[i]);
            diff = std::isnan(d) ? INFINITY : std::max(diff, d);
            scale = std::max(scale, std::fabs(double(a[i])));
          }
          r.cross_path_max_diff = diff;
          if (!(diff <= o.floors.max_cross_path_rel_diff * std::max(1.0, scale)))
            acc.failures.push_back(what + Fmt("logits differ from the scalar path by up to %.3g (limit %.3g)", diff,
                                              o.floors.max_cross_path_rel_diff * std::max(1.0, scale)));
        }
      }
      acc.results.push_back(std::move(r));
    }
  }
  return acc;
}

}  // namespace bitgate::gates::accuracy
