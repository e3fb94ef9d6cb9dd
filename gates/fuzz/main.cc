// bitgate-fuzz: the fuzz gate. Time-budgeted, seeded mutational fuzzing of
// the GGUF reader, shape arithmetic, tokenizers, quantize/dequantize and the
// JSON ingest; any crash, sanitizer report, hang or failed invariant fails
// the gate (exit 4) and leaves a reproducer with its replay command.
//
//   bitgate-fuzz [--budget-seconds 20] [--seed N] [--targets a,b] [common gate options]
//   bitgate-fuzz --replay FILE --target NAME
//   bitgate-fuzz --libfuzzer build/fuzz/gates/fuzz     (clang -DBITGATE_FUZZ=ON binaries)
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "engine/sha256.h"
#include "gates/build_digest.h"
#include "gates/fuzz/fuzz_suite.h"
#include "gates/gate_main.h"
#include "kernels/cpu.h"

namespace {

namespace po = boost::program_options;
namespace fz = bitgate::gates::fuzz;
using bitgate::Status;

constexpr int kExitUsage = 2;

std::string SelfPath(const char* argv0) {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(argv0) : p.string();
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// Seconds given on the command line: finite, > 0, and small enough that the
// runners' conversions to nanoseconds and whole seconds cannot overflow.
constexpr double kMaxSeconds = 1e6;

Status CheckSeconds(const char* option, double v) {
  if (std::isfinite(v) && v > 0 && v <= kMaxSeconds) return Status::Ok();
  char buf[160];
  std::snprintf(buf, sizeof buf, "--%s %g: must be a finite number of seconds > 0 (at most %g)", option, v,
                kMaxSeconds);
  return Status::Error(buf);
}

// `name` as an argument of its own or as name=VALUE.
bool HasArg(int argc, char** argv, const char* name) {
  const std::string with_value = std::string(name) + "=";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == name || arg.rfind(with_value, 0) == 0) return true;
  }
  return false;
}

// --replay FILE --target NAME: runs one saved input in a watched child and
// says what happened; exit 4 when it still fails, 0 when it passes.
int ReplayMain(int argc, char** argv) {
  po::options_description desc("replay options");
  desc.add_options()("replay", po::value<std::string>()->required(), "reproducer file")
      ("target", po::value<std::string>()->required(), "fuzz target the input belongs to")
      ("planted-bugs", po::bool_switch(), "allow the self-test targets")
      ("input-timeout", po::value<double>()->default_value(2.0),
       "seconds before the input counts as a hang (the gate's default; saved replay commands name the gate's value)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "bitgate-fuzz: %s\n%s", e.what(), (std::ostringstream() << desc).str().c_str());
    return kExitUsage;
  }
  if (Status s = CheckSeconds("input-timeout", vm["input-timeout"].as<double>()); !s.ok()) {
    std::fprintf(stderr, "bitgate-fuzz: %s\n", s.message().c_str());
    return kExitUsage;
  }
  auto targets = fz::SelectTargets({vm["target"].as<std::string>()}, vm["planted-bugs"].as<bool>());
  if (!targets.ok()) {
    std::fprintf(stderr, "bitgate-fuzz: %s\n", targets.status().message().c_str());
    return kExitUsage;
  }
  const std::string path = vm["replay"].as<std::string>();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "bitgate-fuzz: cannot read %s\n", path.c_str());
    return kExitUsage;
  }
  const fz::Bytes input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto r = fz::ReplayInChild(*targets->front(), input, vm["input-timeout"].as<double>());
  if (!r.setup_error.empty()) {
    std::fprintf(stderr, "bitgate-fuzz: replay %s: %s\n", path.c_str(), r.setup_error.c_str());
    return kExitUsage;  // 2: no verdict
  }
  if (!r.failed) {
    std::printf("replay %s on %s: every invariant holds (%zu bytes)\n", path.c_str(),
                targets->front()->name.c_str(), input.size());
    return 0;
  }
  std::printf("replay %s on %s: %s: %s\n", path.c_str(), targets->front()->name.c_str(), r.kind.c_str(),
              r.message.c_str());
  return bitgate::gates::kExitCorrectness;
}

int ListMain() {
  for (const auto& t : fz::AllTargets())
    std::printf("%-18s %s%s\n", t.name.c_str(), t.description.c_str(), t.planted ? " (--planted-bugs)" : "");
  return 0;
}

Status FuzzBody(bitgate::gates::GateContext& ctx, const std::string& self) {
  // --target belongs to --replay (handled before the gate starts): alone it
  // would be ignored and every target fuzzed.
  if (ctx.vm.count("target"))
    return Status::Error("--target names the target of --replay FILE; choose the targets to fuzz with --targets");
  fz::FuzzSuiteOptions o;
  o.base.seed = ctx.options.seed;
  o.base.out_dir = ctx.options.out_dir;
  o.base.exe = self;
  o.base.runs = ctx.vm["runs"].as<int64_t>();
  o.base.input_timeout_seconds = ctx.vm["input-timeout"].as<double>();
  o.total_budget_seconds = ctx.vm["budget-seconds"].as<double>();
  o.targets = SplitCommas(ctx.vm["targets"].as<std::string>());
  o.planted_bugs = ctx.vm["planted-bugs"].as<bool>();
  o.libfuzzer_dir = ctx.vm["libfuzzer"].as<std::string>();
  if (Status s = CheckSeconds("budget-seconds", o.total_budget_seconds); !s.ok()) return s;
  if (Status s = CheckSeconds("input-timeout", o.base.input_timeout_seconds); !s.ok()) return s;
  auto targets = fz::SelectTargets(o.targets, o.planted_bugs);
  if (!targets.ok()) return targets.status();
  // A user's model joins the GGUF seeds: the reader is fuzzed from the
  // files it actually meets. The default synthetic model is a seed anyway.
  // Larger files would make every execution copy megabytes the reader
  // never looks at (inputs are capped at 8 MB): such a model is not a seed.
  bool model_seed = false;
  if (!ctx.options.model.empty()) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(ctx.options.model, ec);
    if (ec) return Status::Error("--model " + ctx.options.model + ": " + ec.message());
    if (size <= (8u << 20)) {
      fz::SetExtraGgufSeeds({ctx.options.model});
      model_seed = true;
    } else {
      ctx.output.notes.push_back("fuzz: --model is larger than 8 MB, not used as a GGUF seed");
    }
  }

  // What was fuzzed, and how (config_hash): two runs of the same build,
  // options and model are the same code to the comparison, so their rate
  // differences are the machine's drift (INCONCLUSIVE), never a regression;
  // the rates swing 2x with the machine's load.
  {
    std::string text = "fuzz options budget=" + std::to_string(o.total_budget_seconds) + " targets=" +
                       ctx.vm["targets"].as<std::string>() + " runs=" + std::to_string(o.base.runs) +
                       " input-timeout=" + std::to_string(o.base.input_timeout_seconds) +
                       " libfuzzer=" + (o.libfuzzer_dir.empty() ? "no" : "yes") + "\n";
    // The path that runs (unset, empty and the best path are one setting).
    text += "BITGATE_FORCE_ISA " + bitgate::kernels::ForcedIsaSetting(std::getenv("BITGATE_FORCE_ISA")) + "\n";
    std::vector<std::string> executables = {self};
    // libFuzzer mode runs (and measures) the per-target binaries.
    for (const auto* t : *targets)
      if (!o.libfuzzer_dir.empty())
        executables.push_back((std::filesystem::path(o.libfuzzer_dir) / ("bitgate-fuzz-" + t->name)).string());
    for (const auto& exe : executables) {
      if (!std::filesystem::exists(exe)) continue;  // a missing binary is the suite's error to report
      auto digest = bitgate::gates::BuildDigestHex(exe);
      if (!digest.ok()) return digest.status().WithContext("fingerprinting the fuzz build");
      text += std::filesystem::path(exe).filename().string() + " " + *digest + "\n";
    }
    if (model_seed) {  // only a model that is a seed changes what is fuzzed
      auto model_digest = bitgate::engine::Sha256FileHex(ctx.options.model);
      if (!model_digest.ok()) return model_digest.status().WithContext("fingerprinting the model");
      text += "model " + *model_digest + "\n";
    }
    ctx.output.run.config_hash =
        bitgate::engine::Sha256Hex(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  }

  auto result = fz::RunFuzzSuite(o, *targets);
  auto& out = ctx.output;
  for (auto& b : result.benchmarks) {
    // libFuzzer's rates (an instrumented build, wall clock) are another
    // measurement than the in-process ones: rows of their own.
    if (!o.libfuzzer_dir.empty()) b.params = "mode=libfuzzer";
    out.run.benchmarks.push_back(std::move(b));
  }
  for (auto& f : result.correctness_failures) out.correctness_failures.push_back(std::move(f));
  for (auto& a : result.artifacts) out.artifacts.push_back(std::move(a));
  for (auto& n : result.notes) out.notes.push_back(std::move(n));
  for (const auto& r : result.reports) {
    char line[256];
    std::snprintf(line, sizeof(line), "fuzz/%s: %lld execs in %.1f s (%.0f/s), %lld seeds, corpus %lld",
                  r.name.c_str(), static_cast<long long>(r.execs), r.seconds, r.ExecsPerSecond(),
                  static_cast<long long>(r.seeds), static_cast<long long>(r.corpus_size));
    out.notes.push_back(line);
  }
  if (!result.setup_errors.empty()) {
    std::string msg = "fuzz targets could not run:";
    for (const auto& e : result.setup_errors) msg += " " + e + ";";
    return Status::Error(msg);
  }
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  if (HasArg(argc, argv, "--replay")) return ReplayMain(argc, argv);
  if (HasArg(argc, argv, "--list")) return ListMain();
  const std::string self = SelfPath(argv[0]);
  po::options_description extra("fuzz options");
  extra.add_options()
      ("budget-seconds", po::value<double>()->default_value(20), "total fuzzing time, split evenly over the targets")
      ("targets", po::value<std::string>()->default_value(""),
       "comma-separated targets (default: gguf,model,tokenizer,shape,quant,result_json,gbench_json; --list shows all)")
      ("runs", po::value<int64_t>()->default_value(0),
       "stop each target after N mutated inputs (0: budget only); with --seed, the corpus is reproducible")
      ("input-timeout", po::value<double>()->default_value(2.0), "per-input watchdog: seconds before an input is a hang")
      ("planted-bugs", po::bool_switch(), "self-test: allow the planted_* targets, which have known bugs")
      ("libfuzzer", po::value<std::string>()->default_value(""),
       "DIR holding bitgate-fuzz-<target> libFuzzer binaries (clang, -DBITGATE_FUZZ=ON) to drive instead")
      ("list", "list the fuzz targets")
      ("replay", po::value<std::string>(), "FILE: replay a reproducer (with --target NAME)")
      ("target", po::value<std::string>(), "target of --replay");
  // 90%: only an exec rate that fell to about half (ratio above 1.9) is a
  // REGRESSION. A time-budgeted
  // mutational run's rate follows the corpus it happens to grow (bigger
  // inputs cost more), so two runs of unchanged code differ by a third even
  // per CPU second (measured: gbench_json 139k -> 105k execs/s in a
  // fresh-clone ci/demo A/A). The gate's verdict is its crashes, hangs and
  // invariants; the rates are a record, and a guard against a parser that
  // became much slower.
  return bitgate::gates::RunGateMain(
      "fuzz", argc, argv, extra, [&](bitgate::gates::GateContext& ctx) { return FuzzBody(ctx, self); }, "90%");
}
