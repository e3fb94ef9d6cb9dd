// Engine verbs: `model synth`, `logits`, `generate`, `receipt verify`.
#include <boost/program_options.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "engine/forward.h"
#include "engine/generate.h"
#include "engine/model.h"
#include "engine/receipt.h"
#include "engine/sha256.h"
#include "engine/synth.h"
#include "gates/cli/store_cli.h"
#include "gates/files.h"
#include "kernels/base/json.h"
#include "kernels/cpu.h"

namespace bitgate::cli {
namespace {

namespace po = boost::program_options;
constexpr int kExitCorrectness = 4;

bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") return true;
  return false;
}

Result<kernels::Format> ParseFormat(const std::string& name, const char* what) {
  auto f = kernels::FormatFromName(name);
  if (!f) return Status::Error(std::string(what) + ": unknown format '" + name + "'");
  return *f;
}

// --weights-format auto|<format>, --head-format keep|<format>
Result<engine::LoadOptions> LoadOptionsFrom(const po::variables_map& vm) {
  engine::LoadOptions lo;
  const std::string wf = vm["weights-format"].as<std::string>();
  if (wf != "auto") {
    auto f = ParseFormat(wf, "--weights-format");
    if (!f.ok()) return f.status();
    lo.weights_format = *f;
  }
  const std::string hf = vm["head-format"].as<std::string>();
  if (hf != "keep") {
    auto f = ParseFormat(hf, "--head-format");
    if (!f.ok()) return f.status();
    lo.head_format = *f;
  }
  return lo;
}

// head_default: "q8_0" for generation (half the bytes a decode step reads
// for an F16 head; accuracy cost in docs/ENGINE.md), "keep" for `logits`,
// whose output is compared with other engines'.
void AddModelOptions(po::options_description& desc, const char* head_default) {
  desc.add_options()("model,m", po::value<std::string>()->required(), "GGUF model file")
      ("weights-format", po::value<std::string>()->default_value("auto"),
       "auto (as stored) or a ternary format to repack the projections into at load (i2_s, tq2_0, tl2, ...)")
      ("head-format", po::value<std::string>()->default_value(head_default),
       "output head: keep (as stored), or q8_0, f16, f32, bf16 to repack it at load")
      ("threads,t", po::value<int>()->default_value(1), "threads");
}

// ---- model synth ---------------------------------------------------------

int RunSynth(int argc, char** argv) {
  constexpr const char* kVerb = "model synth";
  po::options_description desc("options");
  desc.add_options()("preset", po::value<std::string>()->default_value("tiny"), "tiny, small or 2b")
      ("format", po::value<std::string>()->default_value("i2_s"), "projection weights: tq2_0, tq1_0, i2_s, i2s, tl1, tl2")
      ("seed", po::value<uint64_t>()->default_value(1), "random seed (same seed, same bytes)")
      ("output,o", po::value<std::string>()->required(), "output .gguf")("help,h", "show this help");
  po::variables_map vm;
  po::store(ParseOptionsOnly(argc, argv, desc), vm);
  if (vm.count("help")) {
    std::cout << "usage: bitgate model synth --preset tiny|small|2b --format FMT --seed N -o FILE.gguf\n"
                 "  Writes a BitNet b1.58 model with random ternary weights, F32 norms, an F16 embedding\n"
                 "  and a byte-level BPE tokenizer learned from bitgate's own text. `2b` has the shapes\n"
                 "  of BitNet b1.58 2B-4T.\n\n"
              << desc << "\n";
    return kExitPass;
  }
  po::notify(vm);
  auto preset = engine::FindSynthPreset(vm["preset"].as<std::string>());
  if (!preset) return Fail(kVerb, "unknown --preset '" + vm["preset"].as<std::string>() + "' (tiny, small, 2b)");
  auto fmt = ParseFormat(vm["format"].as<std::string>(), "--format");
  if (!fmt.ok()) return Fail(kVerb, fmt.status().message());
  engine::SynthOptions so;
  so.preset = *preset;
  so.format = *fmt;
  so.seed = vm["seed"].as<uint64_t>();
  const auto t0 = std::chrono::steady_clock::now();
  Status s = engine::SynthesizeModel(so, vm["output"].as<std::string>());
  if (!s.ok()) return Fail(kVerb, s.message());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "wrote %s (%s, %s, seed %llu) in %.1f s\n", vm["output"].as<std::string>().c_str(),
               preset->name, kernels::FormatName(*fmt), static_cast<unsigned long long>(so.seed), secs);
  return kExitPass;
}

// ---- logits --------------------------------------------------------------

Result<std::vector<int32_t>> ParseTokens(const std::string& text) {
  std::vector<int32_t> ids;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      const long v = std::stol(item, &used);
      if (used != item.size() || v < 0 || v > INT32_MAX) throw std::invalid_argument(item);
      ids.push_back(static_cast<int32_t>(v));
    } catch (const std::exception&) {
      return Status::Error("--tokens: '" + item + "' is not a token id");
    }
  }
  if (ids.empty()) return Status::Error("--tokens: no token ids");
  return ids;
}

int RunLogits(int argc, char** argv) {
  constexpr const char* kVerb = "logits";
  po::options_description desc("options");
  AddModelOptions(desc, "keep");
  desc.add_options()("tokens", po::value<std::string>()->required(), "comma-separated token ids")
      ("output,o", po::value<std::string>()->required(), "output file: float32 little-endian [T][V]")
      ("help,h", "show this help");
  po::variables_map vm;
  po::store(ParseOptionsOnly(argc, argv, desc), vm);
  if (vm.count("help")) {
    std::cout << "usage: bitgate logits -m FILE.gguf --tokens 1,312,288 -o OUT.f32\n"
                 "  Evaluates the tokens in one batch and writes the logits of every position.\n\n"
              << desc << "\n";
    return kExitPass;
  }
  po::notify(vm);
  auto tokens = ParseTokens(vm["tokens"].as<std::string>());
  if (!tokens.ok()) return Fail(kVerb, tokens.status().message());
  auto lo = LoadOptionsFrom(vm);
  if (!lo.ok()) return Fail(kVerb, lo.status().message());
  const int threads = vm["threads"].as<int>();
  if (threads < 1 || threads > engine::kMaxThreads)
    return Fail(kVerb, "--threads must be in [1, " + std::to_string(engine::kMaxThreads) + "]");
  auto model = engine::Model::Load(vm["model"].as<std::string>(), *lo);
  if (!model.ok()) return Fail(kVerb, model.status().message());
  if (static_cast<int64_t>(tokens->size()) > (*model)->config().n_ctx) {
    return Fail(kVerb, "--tokens: " + std::to_string(tokens->size()) + " tokens exceed the model's context of " +
                           std::to_string((*model)->config().n_ctx));
  }
  engine::ThreadPool pool(threads);
  engine::Session session(**model, &pool, static_cast<int64_t>(tokens->size()));
  std::vector<float> logits;
  Status s = session.Eval(*tokens, true, &logits);
  if (!s.ok()) return Fail(kVerb, s.message());
  const std::string out = vm["output"].as<std::string>();
  const std::string_view bytes(reinterpret_cast<const char*>(logits.data()), logits.size() * sizeof(float));
  if (Status w = gates::WriteFileAtomically(out, bytes); !w.ok()) return Fail(kVerb, w.message());
  std::fprintf(stderr, "wrote %zu x %lld logits to %s\n", tokens->size(),
               static_cast<long long>((*model)->config().n_vocab), out.c_str());
  return kExitPass;
}

// ---- generate ------------------------------------------------------------

int RunGenerate(int argc, char** argv) {
  constexpr const char* kVerb = "generate";
  po::options_description desc("options");
  AddModelOptions(desc, "q8_0");
  desc.add_options()("prompt,p", po::value<std::string>()->default_value(""), "prompt text")
      ("n,n", po::value<int32_t>()->default_value(128), "tokens to generate at most")
      ("seed", po::value<uint64_t>()->default_value(0), "sampling seed")
      ("temp", po::value<float>()->default_value(0.0f), "temperature (0: greedy)")
      ("top-k", po::value<int32_t>()->default_value(40), "top-k (0: off)")
      ("top-p", po::value<float>()->default_value(0.95f), "top-p (1: off)")
      ("min-p", po::value<float>()->default_value(0.05f), "min-p (0: off)")
      ("repeat-penalty", po::value<float>()->default_value(1.0f), "repetition penalty (1: off)")
      ("stop", po::value<std::vector<std::string>>()->composing(), "stop string, UTF-8 (repeatable)")
      ("ignore-eos", "do not stop at end-of-generation tokens")
      ("no-parse-special", "treat control-token texts in the prompt (<|eot_id|>, ...) as plain text")
      ("receipt", po::value<std::string>(), "write a JSON receipt here")
      ("quiet,q", "do not stream the text")("help,h", "show this help");
  po::variables_map vm;
  po::store(ParseOptionsOnly(argc, argv, desc), vm);
  if (vm.count("help")) {
    std::cout << "usage: bitgate generate -m FILE.gguf -p TEXT [-n 128] [--threads N] [--seed S] [--temp T]\n"
                 "                        [--receipt OUT.json]\n"
                 "  Streams the generated text to stdout; prompt tokens/s, decode tokens/s and time to\n"
                 "  first token go to stderr.\n\n"
              << desc << "\n";
    return kExitPass;
  }
  po::notify(vm);
  auto lo = LoadOptionsFrom(vm);
  if (!lo.ok()) return Fail(kVerb, lo.status().message());
  const std::string path = vm["model"].as<std::string>();
  auto model = engine::Model::Load(path, *lo);
  if (!model.ok()) return Fail(kVerb, model.status().message());
  auto vocab = engine::VocabFromMetadata((*model)->file().metadata());
  if (!vocab.ok()) return Fail(kVerb, vocab.status().WithContext(path).message());
  auto tok = engine::Tokenizer::Create(std::move(vocab).value());
  if (!tok.ok()) return Fail(kVerb, tok.status().WithContext(path).message());
  engine::GenerateOptions g;
  g.prompt = vm["prompt"].as<std::string>();
  g.max_tokens = vm["n"].as<int32_t>();
  g.sampler.temperature = vm["temp"].as<float>();
  g.sampler.top_k = vm["top-k"].as<int32_t>();
  g.sampler.top_p = vm["top-p"].as<float>();
  g.sampler.min_p = vm["min-p"].as<float>();
  g.sampler.repeat_penalty = vm["repeat-penalty"].as<float>();
  g.sampler.seed = vm["seed"].as<uint64_t>();
  if (vm.count("stop")) g.stop_strings = vm["stop"].as<std::vector<std::string>>();
  g.stop_at_eos = !vm.count("ignore-eos");
  g.parse_special = !vm.count("no-parse-special");
  Status vs = engine::ValidateSamplerConfig(g.sampler);
  if (!vs.ok()) return Fail(kVerb, vs.message());
  const int threads = vm["threads"].as<int>();
  if (threads < 1 || threads > engine::kMaxThreads)
    return Fail(kVerb, "--threads must be in [1, " + std::to_string(engine::kMaxThreads) + "]");
  engine::ThreadPool pool(threads);
  const bool quiet = vm.count("quiet") > 0;
  auto r = engine::Generate(**model, *tok, &pool, g, [&](std::string_view piece) {
    if (quiet) return;
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  });
  if (!r.ok()) return Fail(kVerb, r.status().message());
  if (!quiet) std::fputc('\n', stdout);
  std::fprintf(stderr,
               "prompt: %zu tokens, %.2f tokens/s | decode: %zu tokens, %.2f tokens/s | ttft %.3f s | "
               "threads %d | %s | stop: %s\n",
               r->prompt_tokens.size(), r->PromptTokensPerSecond(), r->output_tokens.size(),
               r->DecodeTokensPerSecond(), r->ttft_seconds, threads, kernels::FormatName((*model)->weights_format()),
               r->stop_reason.c_str());
  if (vm.count("receipt")) {
    auto sha_or = engine::Sha256FileHex(path);
    if (!sha_or.ok()) return Fail(kVerb, sha_or.status().message());
    const std::string sha = *sha_or;
    const auto receipt = engine::MakeReceipt(**model, sha, g, *r);
    const std::string out = vm["receipt"].as<std::string>();
    if (Status w = gates::WriteFileAtomically(out, DumpJson(receipt) + "\n"); !w.ok()) return Fail(kVerb, w.message());
  }
  return kExitPass;
}

// ---- receipt verify ------------------------------------------------------

int RunReceiptVerify(int argc, char** argv) {
  constexpr const char* kVerb = "receipt verify";
  po::options_description desc("options");
  desc.add_options()("receipt", po::value<std::string>()->required(), "receipt JSON")
      ("model", po::value<std::string>(), "model file to check the digest against (default: the recorded path)")
      ("replay", "re-run the generation and compare the tokens")("help,h", "show this help");
  po::positional_options_description pos;
  pos.add("receipt", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: bitgate receipt verify FILE [--model FILE.gguf] [--replay]\n"
                 "  Re-checks a receipt: model digest, token digest and counts, tokens/s = tokens / time,\n"
                 "  a non-empty kernel list on paths this CPU has; --replay regenerates and compares tokens.\n"
                 "  Exit 0 when every check holds, 4 when one fails, 2 when the receipt is unreadable.\n\n"
              << desc << "\n";
    return kExitPass;
  }
  po::notify(vm);
  const std::string file = vm["receipt"].as<std::string>();
  auto text = ReadTextFile(file);
  if (!text.ok()) return Fail(kVerb, text.status().message());
  auto j = ParseJson(*text, file);
  if (!j.ok()) return Fail(kVerb, j.status().message());
  engine::VerifyOptions vo;
  if (vm.count("model")) vo.model_path = vm["model"].as<std::string>();
  vo.replay = vm.count("replay") > 0;
  auto rep = engine::VerifyReceipt(*j, vo);
  if (!rep.ok()) return Fail(kVerb, file + ": " + rep.status().message());
  for (const auto& c : rep->checks) std::printf("ok    %s\n", c.c_str());
  for (const auto& f : rep->failures) std::printf("FAIL  %s\n", f.c_str());
  for (const auto& n : rep->notes) std::printf("note  %s\n", n.c_str());
  std::printf("%s: %s (%zu checks, %zu failures)\n", file.c_str(), rep->ok() ? "valid" : "INVALID",
              rep->checks.size(), rep->failures.size());
  return rep->ok() ? kExitPass : kExitCorrectness;
}

}  // namespace

int RunModel(int argc, char** argv) {
  if (argc < 2 || WantsHelp(2, argv) || std::string(argv[1]) != "synth") {
    // Asked for, the usage goes to stdout; as the answer to a mistake, to stderr.
    const bool help = argc >= 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h");
    std::fputs("usage: bitgate model synth --preset tiny|small|2b --format FMT --seed N -o FILE.gguf\n",
               help ? stdout : stderr);
    return help ? kExitPass : kExitError;
  }
  return RunGuarded("model synth", RunSynth, argc - 1, argv + 1);
}
int RunLogitsVerb(int argc, char** argv) { return RunGuarded("logits", RunLogits, argc, argv); }
int RunGenerateVerb(int argc, char** argv) { return RunGuarded("generate", RunGenerate, argc, argv); }
int RunReceipt(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) != "verify") {
    const bool help = argc >= 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h");
    std::fputs("usage: bitgate receipt verify FILE [--model FILE.gguf] [--replay]\n", help ? stdout : stderr);
    return help ? kExitPass : kExitError;
  }
  return RunGuarded("receipt verify", RunReceiptVerify, argc - 1, argv + 1);
}

}  // namespace bitgate::cli
