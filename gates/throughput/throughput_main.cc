// bitgate-throughput: the speed gate. Kernel benchmarks (the Google
// Benchmark suite, repetitions, random interleaving) and engine benchmarks
// (prefill/decode tokens/s, time to first token, stop-token lookup,
// resident memory) judged against the baseline, plus SLO checks.
//
// Modes:
//   store (default)   candidate judged against the stored baseline runs
//                     (merge base on --baseline-branch, same machine).
//   A/B               --baseline-exe PATH (a baseline build's
//                     bitgate-throughput or bitgate-bench-kernels) or
//                     --baseline-build DIR: both builds measured in this job,
//                     alternating rounds (AB BA AB ...), candidate judged
//                     against that baseline directly. Recommended for PRs:
//                     no machine drift, no stored baseline needed.
//   --measure-only F  measure, write the result JSON to F and an outcome
//                     beside it, no store: what A/B runs in each round.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "baselines/result_json.h"
#include "baselines/stats.h"
#include "engine/sha256.h"
#include "kernels/cpu.h"
#include "gates/build_digest.h"
#include "gates/cli/store_cli.h"
#include "gates/files.h"
#include "gates/gate_main.h"
#include "gates/subprocess.h"
#include "gates/throughput/engine_bench.h"
#include "gates/throughput/kernel_bench.h"
#include "reports/gate_outcome.h"

namespace bitgate::gates {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;
using baselines::BenchmarkResult;

struct Measured {
  std::vector<BenchmarkResult> benchmarks;
  std::vector<std::string> correctness_failures, artifacts, notes;
  bool two_b_shaped = false;
};

// The options the measurement needs, shared by the gate and --measure-only.
void AddMeasureOptions(po::options_description& d) {
  d.add_options()
      ("bench-exe", po::value<std::string>(), "bitgate-bench-kernels to run (default: next to this program)")
      ("kernel-filter", po::value<std::string>()->default_value(kDefaultKernelFilter), "kernel benchmark regex")
      ("repetitions", po::value<int>()->default_value(10), "repetitions per benchmark (>= 6 for a verdict at alpha 0.05)")
      ("engine-repetitions", po::value<int>(), "generations per engine benchmark (default: --repetitions)")
      ("min-time", po::value<double>()->default_value(0.05), "seconds per kernel repetition")
      ("gen-tokens", po::value<int>()->default_value(128), "tokens decoded per generation")
      // Default: one thread. With every core busy, the job's own processes
      // and the host's other load make the engine wait on the scheduler:
      // on a 2-core runner the decode row's robust CV had a median of 15%
      // at 2 threads (mostly INCONCLUSIVE, noisy: no verdict at all)
      // against 3.2% at 1 (six alternating pairs, docs/GATES.md). The
      // thread count is part of each engine benchmark's parameters, so
      // runs with different counts are never compared with each other.
      ("threads", po::value<int>()->default_value(1),
       "engine threads (1 keeps the engine rows judgeable on a shared runner)")
      ("kernel-measures", po::value<std::string>()->default_value("cpu_time,real_time"),
       "kernel measures kept (cpu_time, real_time, items_per_second, bytes_per_second)")
      ("head-format", po::value<std::string>()->default_value("q8_0"),
       "engine: output head format at load, as `bitgate generate` (keep: as stored)")
      ("skip-kernels", "do not run the kernel benchmarks")
      ("skip-engine", "do not run the engine benchmarks")
      ("kernel-timeout", po::value<double>()->default_value(1800), "seconds before the kernel suite is killed");
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// What no measurement can run with, refused before anything is measured.
Status CheckMeasureOptions(const po::variables_map& vm) {
  const double timeout = vm["kernel-timeout"].as<double>();
  if (!(timeout > 0 && timeout <= 7 * 86400))  // 0 or less disabled the timeout
    return Status::Error("--kernel-timeout must lie in (0, 604800] seconds");
  if (vm.count("skip-kernels") && vm.count("skip-engine"))
    return Status::Error(
        "--skip-kernels and --skip-engine together leave nothing to measure: drop one of them");
  return Status::Ok();
}

Result<std::optional<kernels::Format>> HeadFormat(const po::variables_map& vm) {
  const std::string name = vm["head-format"].as<std::string>();
  if (name == "keep") return std::optional<kernels::Format>();
  auto f = kernels::FormatFromName(name);
  if (!f) return Status::Error("--head-format '" + name + "': not a format (keep, q8_0, f16, f32, bf16)");
  return std::optional<kernels::Format>(*f);
}

Result<Measured> MeasureAll(const po::variables_map& vm, const std::string& model_path, const std::string& out_dir) {
  Measured m;
  const int reps = vm["repetitions"].as<int>();
  if (!vm.count("skip-kernels")) {
    KernelBenchOptions k;
    k.exe = vm.count("bench-exe") ? vm["bench-exe"].as<std::string>() : FindKernelBenchExe();
    k.filter = vm["kernel-filter"].as<std::string>();
    k.repetitions = reps;
    k.min_time = vm["min-time"].as<double>();
    k.measures = SplitComma(vm["kernel-measures"].as<std::string>());
    k.json_out = (fs::path(out_dir) / "kernels.json").string();
    k.log_out = (fs::path(out_dir) / "kernels.log").string();
    k.timeout_seconds = vm["kernel-timeout"].as<double>();
    std::fprintf(stderr, "bitgate-throughput: kernel benchmarks (%d repetitions, %s)\n", reps, k.exe.c_str());
    auto b = RunKernelBench(k, &m.notes);
    if (!b.ok()) return b.status();
    m.benchmarks = std::move(*b);
    m.artifacts.push_back(k.json_out);
  }
  if (!vm.count("skip-engine")) {
    EngineBenchOptions e;
    e.model_path = model_path;
    e.repetitions = vm.count("engine-repetitions") ? vm["engine-repetitions"].as<int>() : reps;
    e.gen_tokens = vm["gen-tokens"].as<int>();
    e.threads = vm["threads"].as<int>();
    auto head = HeadFormat(vm);
    if (!head.ok()) return head.status();
    e.head_format = *head;
    e.receipts_dir = (fs::path(out_dir) / "receipts").string();
    std::fprintf(stderr, "bitgate-throughput: engine benchmarks (%d generations of %d tokens, %s)\n", e.repetitions,
                 e.gen_tokens, model_path.c_str());
    auto r = RunEngineBench(e);
    if (!r.ok()) return r.status();
    AppendSamples(m.benchmarks, r->benchmarks);
    m.correctness_failures = std::move(r->correctness_failures);
    for (auto& a : r->artifacts) m.artifacts.push_back(std::move(a));
    for (auto& n : r->notes) m.notes.push_back(std::move(n));
    m.two_b_shaped = r->two_b_shaped;
  }
  return m;
}

// --- SLOs --------------------------------------------------------------

const BenchmarkResult* Find(const std::vector<BenchmarkResult>& bs, const std::string& name) {
  for (const auto& b : bs)
    if (b.name == name && b.status == baselines::BenchmarkStatus::kOk && !b.measures.empty()) return &b;
  return nullptr;
}

double MedianOf(const BenchmarkResult& b, const std::string& measure) {
  for (const auto& m : b.measures)
    if (m.name == measure && !m.samples.empty()) return baselines::Median(m.samples);
  return NAN;
}

// The SLO targets, checked before anything is measured: a target that is
// not a finite positive number would make its SLO fail (NaN) or pass
// (infinity) whatever was measured.
struct SloTargets {
  double generate_ns = 0;      // 128-token generation
  double stop_ns = 0;          // one stop-token lookup
  double memory_overhead = 0;  // fraction over model file + KV cache
};

Result<SloTargets> ParseSloTargets(const po::variables_map& vm) {
  SloTargets t;
  for (const auto& [option, out] : {std::pair<const char*, double*>{"slo-generate-seconds", &t.generate_ns},
                                    {"slo-stop-ns", &t.stop_ns}}) {
    const double v = vm[option].as<double>();
    if (!(std::isfinite(v) && v > 0)) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "--%s %g: the target must be a finite number > 0", option, v);
      return Status::Error(buf);
    }
    *out = v;
  }
  t.generate_ns *= 1e9;
  auto memory = cli::ParseFraction(vm["slo-memory-overhead"].as<std::string>(), "--slo-memory-overhead");
  if (!memory.ok()) return memory.status();
  t.memory_overhead = *memory;
  return t;
}

std::vector<reports::SloResult> CheckSlos(const po::variables_map& vm, const SloTargets& targets,
                                          const Measured& m) {
  std::vector<reports::SloResult> out;
  // The generation figures come as a set (engine_bench.cc records the four
  // from the same generations).
  const BenchmarkResult* total = Find(m.benchmarks, kGenerateTotal);
  const BenchmarkResult* ttft = Find(m.benchmarks, kGenerateTtft);
  const BenchmarkResult* decode = Find(m.benchmarks, kGenerateDecode);
  if (total && ttft && decode) {
    reports::SloResult s;
    const int tokens = vm["gen-tokens"].as<int>();
    s.name = "generate 128 tokens (2b-shaped model)";
    s.unit = "ns";
    s.op = "<=";
    s.target = targets.generate_ns;
    s.source = "engine/" + total->DisplayName() + " real_time median";
    s.value = MedianOf(*total, "real_time");
    if (tokens != 128) {
      // Another count is rescaled to 128 tokens: the prompt (up to the
      // first token) is the same work whatever the count, and each of the
      // other 127 tokens costs one decode step.
      s.value = MedianOf(*ttft, "real_time") + 127.0 / MedianOf(*decode, "tokens_per_second") * 1e9;
      s.source = "engine/" + ttft->DisplayName() + " real_time median + 127 / engine/" +
                 decode->DisplayName() + " tokens_per_second median";
      s.note = "scaled from " + std::to_string(tokens) + " tokens";
    }
    if (!m.two_b_shaped) {
      s.skipped = true;
      s.note = "the target is for the 2b-shaped model (run with --preset 2b); this model is smaller";
    }
    s.passed = s.value <= s.target;
    out.push_back(s);
  }
  if (const BenchmarkResult* stop = Find(m.benchmarks, kStopLookup)) {
    reports::SloResult s;
    s.name = "stop-token lookup";
    s.unit = "ns";
    s.op = "<";
    s.target = targets.stop_ns;
    s.source = "engine/" + stop->DisplayName() + " real_time median";
    s.value = MedianOf(*stop, "real_time");
    s.passed = s.value < s.target;
    out.push_back(s);
  }
  if (const BenchmarkResult* mem = Find(m.benchmarks, kMemory)) {
    reports::SloResult s;
    s.name = "memory overhead over model file + KV cache";
    s.unit = "%";
    s.op = "<";
    s.target = targets.memory_overhead * 100;
    const double peak = MedianOf(*mem, "peak_rss"), need = MedianOf(*mem, "model_and_kv");
    s.source = "engine/" + mem->DisplayName() + " (peak_rss - model_and_kv) / model_and_kv";
    s.value = 100.0 * (peak - need) / need;
    // Below ~256 MiB the process's own fixed costs (tokenizer tables,
    // scratch buffers, allocator arenas) dominate any percentage.
    if (need < 256.0 * 1024 * 1024) {
      s.skipped = true;
      s.note = "model + KV cache under 256 MiB: fixed process costs dominate the ratio";
    }
    s.passed = s.value < s.target;
    out.push_back(s);
  }
  return out;
}

// --- A/B ---------------------------------------------------------------

Result<std::string> ResolveBaselineExe(const po::variables_map& vm) {
  if (vm.count("baseline-exe")) return vm["baseline-exe"].as<std::string>();
  const fs::path dir = vm["baseline-build"].as<std::string>();
  for (const char* rel : {"gates/throughput/bitgate-throughput", "bitgate-throughput",
                          "kernels/bench/bitgate-bench-kernels", "bitgate-bench-kernels"}) {
    if (fs::exists(dir / rel)) return (dir / rel).string();
  }
  return Status::Error("--baseline-build " + dir.string() +
                       ": neither gates/throughput/bitgate-throughput nor kernels/bench/bitgate-bench-kernels");
}

bool IsThroughputExe(const std::string& exe) {
  return fs::path(exe).filename().string().find("bitgate-throughput") != std::string::npos;
}

// KEY=VALUE settings of --baseline-env, for the baseline's processes only.
Result<std::map<std::string, std::optional<std::string>>> BaselineEnv(const po::variables_map& vm) {
  std::map<std::string, std::optional<std::string>> env;
  if (!vm.count("baseline-env")) return env;
  for (const auto& spec : vm["baseline-env"].as<std::vector<std::string>>()) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) return Status::Error("--baseline-env '" + spec + "': expected KEY=VALUE");
    env[spec.substr(0, eq)] = spec.substr(eq + 1);
  }
  return env;
}

// What one measuring pass runs: the whole suite, or (re-sampling) only
// some benchmarks.
struct Plan {
  std::string kernel_filter;
  bool kernels = true;
  bool engine = true;
  int reps = 10;         // kernel repetitions per process
  int engine_reps = 10;  // generations per process
};

int CeilDiv(int a, int b) { return (a + b - 1) / b; }

Result<int> Rounds(const po::variables_map& vm) {
  const int rounds = vm["rounds"].as<int>();
  if (rounds < 1) return Status::Error("--rounds must be >= 1");
  return rounds;
}

// The options' plan, its repetitions split over the rounds.
Plan OptionsPlan(const po::variables_map& vm, int rounds) {
  Plan plan;
  plan.kernel_filter = vm["kernel-filter"].as<std::string>();
  plan.kernels = !vm.count("skip-kernels");
  plan.engine = !vm.count("skip-engine");
  plan.reps = CeilDiv(vm["repetitions"].as<int>(), rounds);
  const int engine = vm.count("engine-repetitions") ? vm["engine-repetitions"].as<int>() : vm["repetitions"].as<int>();
  plan.engine_reps = CeilDiv(engine, rounds);
  return plan;
}

std::string RegexEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::strchr("\\^$.|?*+()[]{}", c)) out += '\\';
    out += c;
  }
  return out;
}

// Re-sampling: only the flagged benchmarks, the same repetitions per round.
Plan ResamplePlan(const Plan& base, const std::vector<BenchmarkResult>& flagged) {
  Plan plan = base;
  plan.kernels = false;
  plan.engine = false;
  std::string alternatives;
  for (const BenchmarkResult& b : flagged) {
    if (b.suite == "kernels") {
      plan.kernels = true;
      alternatives += (alternatives.empty() ? "" : "|") + RegexEscape(b.name);
    } else {
      plan.engine = base.engine;  // the engine benchmarks come as one set
    }
  }
  plan.kernel_filter = "^(" + alternatives + ")$";
  return plan;
}

// Adds a child's figures to the candidate's.
void AddCandidate(Measured* candidate, Measured&& got) {
  AppendSamples(candidate->benchmarks, got.benchmarks);
  for (auto& f : got.correctness_failures) candidate->correctness_failures.push_back(std::move(f));
  for (auto& a : got.artifacts) candidate->artifacts.push_back(std::move(a));
  for (auto& n : got.notes)
    if (n != "two_b_shaped" &&
        std::find(candidate->notes.begin(), candidate->notes.end(), n) == candidate->notes.end())
      candidate->notes.push_back(std::move(n));
  candidate->two_b_shaped = candidate->two_b_shaped || got.two_b_shaped;
}

// One --measure-only child; returns its benchmarks and correctness failures.
Result<Measured> RunMeasureChild(const std::string& exe, const po::variables_map& vm, const std::string& model,
                                 const Plan& plan, const std::string& dir, bool pass_bench_exe,
                                 const std::map<std::string, std::optional<std::string>>& env) {
  fs::create_directories(dir);
  const std::string json = (fs::path(dir) / "result.json").string();
  // A reused --out holds an earlier round's files: never read those.
  std::error_code ec;
  fs::remove(json, ec);
  fs::remove(json + ".outcome.json", ec);
  ProcessOptions p;
  p.argv = {exe, "--measure-only", json, "--model", model, "--out", dir,
            "--repetitions", std::to_string(plan.reps),
            "--engine-repetitions", std::to_string(plan.engine_reps),
            "--kernel-filter", plan.kernel_filter,
            "--min-time", std::to_string(vm["min-time"].as<double>()),
            "--kernel-measures", vm["kernel-measures"].as<std::string>(),
            "--gen-tokens", std::to_string(vm["gen-tokens"].as<int>()),
            "--threads", std::to_string(vm["threads"].as<int>()),
            "--head-format", vm["head-format"].as<std::string>(),
            "--kernel-timeout", std::to_string(vm["kernel-timeout"].as<double>())};
  if (pass_bench_exe && vm.count("bench-exe")) {
    p.argv.push_back("--bench-exe");
    p.argv.push_back(vm["bench-exe"].as<std::string>());
  }
  if (!plan.kernels) p.argv.push_back("--skip-kernels");
  if (!plan.engine) p.argv.push_back("--skip-engine");
  p.output_file = (fs::path(dir) / "log.txt").string();
  p.env = env;
  p.timeout_seconds = vm["kernel-timeout"].as<double>() + 600;
  auto r = RunProcess(p);
  if (!r.ok()) return r.status();
  if (r->Code() != 0 && r->Code() != kExitCorrectness)
    return Status::Error(exe + " --measure-only failed (" + r->Describe() + "): " + FileTail(p.output_file, 4));
  auto text = cli::ReadTextFile(json);
  if (!text.ok()) return text.status();
  auto run = baselines::ParseResultJson(*text, json);
  if (!run.ok()) return run.status();
  Measured m;
  m.benchmarks = std::move(run->benchmarks);
  // The child writes its outcome (receipt failures, artifacts) before its
  // result, so a missing or unreadable outcome is an error, never a round
  // without failures.
  auto outcome_text = cli::ReadTextFile(json + ".outcome.json");
  if (!outcome_text.ok()) return outcome_text.status().WithContext(exe + " --measure-only");
  auto outcome = reports::ParseGateOutcome(*outcome_text, json + ".outcome.json");
  if (!outcome.ok()) return outcome.status().WithContext(exe + " --measure-only");
  m.correctness_failures = outcome->correctness_failures;
  m.notes = outcome->notes;
  m.artifacts = outcome->artifacts;
  for (const auto& n : outcome->notes)
    if (n == "two_b_shaped") m.two_b_shaped = true;
  if (r->Code() == kExitCorrectness && m.correctness_failures.empty())
    m.correctness_failures.push_back(exe + " --measure-only exited " + std::to_string(kExitCorrectness) +
                                     " (correctness) but its outcome names no failure; log: " + p.output_file);
  return m;
}

// Store mode: the plan runs in `rounds` --measure-only child processes.
// What a process is dealt at start-up (where its buffers land relative to
// cache lines and pages, which physical pages back the model) shifts its
// speed as a whole, so repetitions from one process are not independent
// samples: a baseline and a candidate measured in one process each differ
// by that shift, and a rank test on their repetitions calls it
// significant. Spreading the samples over processes puts that variance
// inside both samples, where the test accounts for it.
Status RunRounds(const po::variables_map& vm, const std::string& model, const Plan& plan, int rounds,
                 const fs::path& dir, Measured* candidate) {
  const std::string self = (fs::path(SelfDir()) / "bitgate-throughput").string();
  for (int round = 0; round < rounds; ++round) {
    std::fprintf(stderr, "bitgate-throughput: round %d/%d\n", round + 1, rounds);
    auto r = RunMeasureChild(self, vm, model, plan, (dir / std::to_string(round)).string(), true, {});
    if (!r.ok()) return r.status().WithContext("round " + std::to_string(round + 1));
    AddCandidate(candidate, std::move(*r));
  }
  return Status::Ok();
}

// A/B: baseline and candidate in alternating rounds, AB BA AB ...: neither
// side always runs first (warm caches, turbo). An odd count gives the
// baseline one more first turn; a round count that is even keeps them equal
// (the gate's default; noted otherwise).
Status RunAbRounds(const po::variables_map& vm, const std::string& model, const Plan& plan, int rounds,
                   const fs::path& ab_dir, Measured* candidate, baselines::RunRecord* baseline) {
  auto base_exe = ResolveBaselineExe(vm);
  if (!base_exe.ok()) return base_exe.status();
  const bool full = IsThroughputExe(*base_exe);
  auto base_env = BaselineEnv(vm);
  if (!base_env.ok()) return base_env.status();
  const std::string self = (fs::path(SelfDir()) / "bitgate-throughput").string();
  for (int round = 0; round < rounds; ++round) {
    for (int side = 0; side < 2; ++side) {
      const bool is_base = (side == 0) == (round % 2 == 0);
      const std::string tag = std::string(is_base ? "base-" : "cand-") + std::to_string(round);
      std::fprintf(stderr, "bitgate-throughput: A/B round %d/%d: %s\n", round + 1, rounds,
                   is_base ? "baseline" : "candidate");
      Measured got;
      if (full) {
        auto r = RunMeasureChild(is_base ? *base_exe : self, vm, model, plan, (ab_dir / tag).string(), !is_base,
                                 is_base ? *base_env : std::map<std::string, std::optional<std::string>>{});
        if (!r.ok()) return r.status().WithContext(is_base ? "baseline build" : "candidate build");
        got = std::move(*r);
      } else {
        if (!plan.kernels) continue;
        KernelBenchOptions k;
        k.exe = is_base ? *base_exe : (vm.count("bench-exe") ? vm["bench-exe"].as<std::string>() : FindKernelBenchExe());
        k.filter = plan.kernel_filter;
        k.repetitions = plan.reps;
        k.min_time = vm["min-time"].as<double>();
        k.measures = SplitComma(vm["kernel-measures"].as<std::string>());
        fs::create_directories(ab_dir);
        k.json_out = (ab_dir / (tag + ".json")).string();
        k.log_out = (ab_dir / (tag + ".log")).string();
        k.timeout_seconds = vm["kernel-timeout"].as<double>();
        if (is_base) k.env = *base_env;
        auto b = RunKernelBench(k, nullptr);
        if (!b.ok()) return b.status().WithContext(is_base ? "baseline build" : "candidate build");
        got.benchmarks = std::move(*b);
      }
      if (is_base) {
        AppendSamples(baseline->benchmarks, got.benchmarks);
        // The gate judges the candidate; a baseline build that fails its
        // own receipts is no correctness failure of the candidate's, but the
        // comparison stands on it, so the report says so.
        for (const auto& f : got.correctness_failures) {
          const std::string note = "baseline build failed a correctness check: " + f;
          if (std::find(candidate->notes.begin(), candidate->notes.end(), note) == candidate->notes.end())
            candidate->notes.push_back(note);
        }
      } else {
        AddCandidate(candidate, std::move(got));
      }
    }
  }
  return Status::Ok();
}

Status RunAb(GateContext& ctx, const std::string& model, Measured* candidate, baselines::RunRecord* baseline) {
  const auto& vm = ctx.vm;
  auto base_exe = ResolveBaselineExe(vm);
  if (!base_exe.ok()) return base_exe.status();
  auto rounds = Rounds(vm);
  if (!rounds.ok()) return rounds.status();
  const Plan plan = OptionsPlan(vm, *rounds);
  const bool full = IsThroughputExe(*base_exe);
  ctx.output.notes.push_back(std::string("A/B mode: baseline ") + *base_exe + ", " + std::to_string(*rounds) +
                             " alternating rounds of " + std::to_string(plan.reps) + " repetitions per side" +
                             (full ? "" : "; engine benchmarks have no A/B baseline (the baseline is a kernel suite only)") +
                             (*rounds % 2 ? "; an odd round count lets the baseline run first once more than the "
                                            "candidate (an even count balances the order)"
                                          : ""));
  Status s = RunAbRounds(vm, model, plan, *rounds, fs::path(ctx.options.out_dir) / "ab", candidate, baseline);
  if (!s.ok()) return s;
  if (!full && plan.engine) {
    // The kernel suite alone came from the baseline; the engine rows are
    // measured for the candidate and judged as "no baseline".
    EngineBenchOptions eo;
    eo.model_path = model;
    eo.repetitions = plan.engine_reps * *rounds;
    eo.gen_tokens = vm["gen-tokens"].as<int>();
    eo.threads = vm["threads"].as<int>();
    auto head = HeadFormat(vm);
    if (!head.ok()) return head.status();
    eo.head_format = *head;
    eo.receipts_dir = (fs::path(ctx.options.out_dir) / "receipts").string();
    auto e = RunEngineBench(eo);
    if (!e.ok()) return e.status();
    AppendSamples(candidate->benchmarks, e->benchmarks);
    for (auto& f : e->correctness_failures) candidate->correctness_failures.push_back(std::move(f));
    for (auto& a : e->artifacts) candidate->artifacts.push_back(std::move(a));
    candidate->two_b_shaped = e->two_b_shaped;
  }
  return Status::Ok();
}

// --- build fingerprint ---------------------------------------------------

// A build's fingerprint: a digest of its executables (bitgate-throughput
// and the kernel suite), of the model, and of the settings outside the
// build that change what runs: the kernel path that BITGATE_FORCE_ISA
// selects (resolved: unset, empty and the machine's best path run the same
// code) and, in A/B mode, every variable --baseline-env sets, with its
// value on that side ("unset" where the side does not set it). The
// executables are digested without the commit compiled into them
// (gates/build_digest.h), so two commits with the same code share a
// fingerprint. Two runs with the same fingerprint measured the same code,
// so any difference between them is the machine's
// (baselines::MarkSameBuildDrift). An empty throughput_exe means a kernel
// suite alone was measured.
Result<std::string> BuildFingerprint(const std::string& throughput_exe, const std::string& bench_exe,
                                     const std::string& model,
                                     const std::map<std::string, std::optional<std::string>>& settings) {
  std::string text;
  for (const auto& [key, value] : settings) text += key + (value ? "=" + *value : std::string(" unset")) + "\n";
  for (const auto& [what, path] : {std::pair<const char*, std::string>{"throughput", throughput_exe},
                                   {"kernels", bench_exe}, {"model", model}}) {
    if (path.empty()) continue;
    // Executables without their compiled-in commit (BuildDigestHex): a
    // commit that changes no code builds the same executables.
    auto digest = std::string(what) == "model" ? engine::Sha256FileHex(path) : BuildDigestHex(path);
    if (!digest.ok()) return digest.status().WithContext(std::string("fingerprinting the ") + what + " build");
    text += std::string(what) + " " + *digest + "\n";
  }
  return engine::Sha256Hex(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

struct Fingerprints {
  std::string candidate, baseline;  // baseline: A/B mode only
};

// Both builds' fingerprints, taken before anything is measured: what the
// processes about to start will run (not whatever sits at those paths
// after a long measurement), and a failure costs no measuring.
Result<Fingerprints> TakeFingerprints(const po::variables_map& vm, const std::string& model, bool ab) {
  std::error_code ec;
  const std::string self = fs::read_symlink("/proc/self/exe", ec).string();
  const std::string bench = vm.count("bench-exe") ? vm["bench-exe"].as<std::string>() : FindKernelBenchExe();
  const auto getenv_opt = [](const std::string& key) -> std::optional<std::string> {
    const char* v = std::getenv(key.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  std::map<std::string, std::optional<std::string>> cand_settings, base_settings;
  cand_settings["BITGATE_FORCE_ISA"] = kernels::ForcedIsaSetting(std::getenv("BITGATE_FORCE_ISA"));
  Fingerprints fps;
  if (!ab) {
    auto fp = BuildFingerprint(ec ? "" : self, bench, model, cand_settings);
    if (!fp.ok()) return fp.status();
    fps.candidate = *fp;
    return fps;
  }
  auto base_exe = ResolveBaselineExe(vm);
  if (!base_exe.ok()) return base_exe.status();
  auto env = BaselineEnv(vm);
  if (!env.ok()) return env.status();
  // The baseline's processes inherit this environment with --baseline-env
  // on top: only the variables it sets can differ between the sides.
  for (const auto& [key, value] : *env) {
    if (key == "BITGATE_FORCE_ISA") continue;
    cand_settings[key] = getenv_opt(key);
    base_settings[key] = value;
  }
  const auto it = env->find("BITGATE_FORCE_ISA");
  base_settings["BITGATE_FORCE_ISA"] = kernels::ForcedIsaSetting(
      it == env->end() ? std::getenv("BITGATE_FORCE_ISA") : it->second ? it->second->c_str() : nullptr);
  const bool full = IsThroughputExe(*base_exe);
  // A bare kernel suite as the baseline: a candidate that measures its
  // kernel suite alone (--skip-engine) is fingerprinted the same way, so
  // one build against itself still matches. One that also measures engine
  // rows keeps its whole fingerprint: those rows run the engine's code.
  auto cand_fp = full || !vm.count("skip-engine") ? BuildFingerprint(ec ? "" : self, bench, model, cand_settings)
                                                   : BuildFingerprint("", bench, "", cand_settings);
  if (!cand_fp.ok()) return cand_fp.status();
  const std::string base_bench = KernelBenchExeBeside(fs::path(*base_exe).parent_path().string());
  auto base_fp = full ? BuildFingerprint(*base_exe, base_bench, model, base_settings)
                      : BuildFingerprint("", *base_exe, "", base_settings);
  if (!base_fp.ok()) return base_fp.status();
  fps.candidate = *cand_fp;
  fps.baseline = *base_fp;
  return fps;
}

// --- the gate ------------------------------------------------------------

Status Body(GateContext& ctx) {
  const auto& vm = ctx.vm;
  if (Status s = CheckMeasureOptions(vm); !s.ok()) return s;
  auto slo_targets = ParseSloTargets(vm);
  if (!slo_targets.ok()) return slo_targets.status();
  std::string model;
  if (!vm.count("skip-engine") || vm.count("baseline-exe") || vm.count("baseline-build")) {
    auto path = ctx.ModelPath();
    if (!path.ok()) return path.status();
    model = *path;
  }
  auto rounds = Rounds(vm);
  if (!rounds.ok()) return rounds.status();
  const bool ab = vm.count("baseline-exe") || vm.count("baseline-build");
  auto fingerprints = TakeFingerprints(vm, model, ab);
  if (!fingerprints.ok()) return fingerprints.status();
  const int resample_rounds = vm["resample-rounds"].as<int>();
  if (resample_rounds < 0) return Status::Error("--resample-rounds must be >= 0");
  Measured m;
  if (ab) {
    baselines::RunRecord base;
    Status s = RunAb(ctx, model, &m, &base);
    if (!s.ok()) return s;
    ctx.output.ab_baseline = std::move(base);
  } else if (*rounds > 1) {
    ctx.output.notes.push_back("repetitions split over " + std::to_string(*rounds) + " processes");
    Status s = RunRounds(vm, model, OptionsPlan(vm, *rounds), *rounds, fs::path(ctx.options.out_dir) / "rounds", &m);
    if (!s.ok()) return s;
  } else {
    auto r = MeasureAll(vm, model, ctx.options.out_dir);
    if (!r.ok()) return r.status();
    m = std::move(*r);
  }
  if (resample_rounds > 0) {
    // More samples for what the first look flagged, measured the same way
    // (the same processes per round, A/B alternation kept).
    const std::string out_dir = ctx.options.out_dir;
    const Plan first = OptionsPlan(vm, *rounds);
    const SloTargets targets = *slo_targets;
    const bool two_b = m.two_b_shaped;
    const int first_rounds = *rounds;
    ctx.output.resample = [&vm, model, first, first_rounds, resample_rounds, ab, out_dir, targets, two_b](
                              const std::vector<BenchmarkResult>& flagged, GateOutput& out) -> Status {
      // As many samples again as the first look took, spread over the
      // second look's rounds.
      Plan plan = ResamplePlan(first, flagged);
      plan.reps = CeilDiv(first.reps * first_rounds, resample_rounds);
      plan.engine_reps = CeilDiv(first.engine_reps * first_rounds, resample_rounds);
      if (!plan.kernels && !plan.engine) return Status::Ok();
      // Both sides' extra samples are kept apart until every round has run:
      // a round that fails leaves both sides as the first look had them
      // (baseline rounds had gone straight into the baseline, so a failure
      // after them judged 11 baseline samples against 10).
      Measured extra;
      baselines::RunRecord extra_base;
      if (ab) {
        Status s = RunAbRounds(vm, model, plan, resample_rounds, fs::path(out_dir) / "resample-ab", &extra,
                               &extra_base);
        if (!s.ok()) return s;
        AppendSamples(out.ab_baseline->benchmarks, extra_base.benchmarks);
      } else {
        Status s = RunRounds(vm, model, plan, resample_rounds, fs::path(out_dir) / "resample", &extra);
        if (!s.ok()) return s;
      }
      AppendSamples(out.run.benchmarks, extra.benchmarks);
      for (auto& f : extra.correctness_failures) out.correctness_failures.push_back(std::move(f));
      for (auto& a : extra.artifacts) out.artifacts.push_back(std::move(a));
      for (auto& n : extra.notes)
        if (std::find(out.notes.begin(), out.notes.end(), n) == out.notes.end()) out.notes.push_back(std::move(n));
      // The SLOs are judged on the samples the stored rows hold, first look
      // and second together.
      Measured all;
      all.benchmarks = out.run.benchmarks;
      all.two_b_shaped = two_b || extra.two_b_shaped;
      out.slos = CheckSlos(vm, targets, all);
      return Status::Ok();
    };
  }
  ctx.output.run.config_hash = fingerprints->candidate;
  if (ctx.output.ab_baseline) ctx.output.ab_baseline->config_hash = fingerprints->baseline;
  ctx.output.slos = CheckSlos(vm, *slo_targets, m);
  ctx.output.run.benchmarks = std::move(m.benchmarks);
  ctx.output.correctness_failures = std::move(m.correctness_failures);
  for (auto& a : m.artifacts) ctx.output.artifacts.push_back(std::move(a));
  for (auto& n : m.notes) ctx.output.notes.push_back(std::move(n));
  return Status::Ok();
}

// --measure-only FILE: no store, no verdict. Exit 0, 4 (an invalid receipt)
// or 2.
int MeasureOnlyMain(int argc, char** argv) {
  po::options_description d("measure-only");
  AddMeasureOptions(d);
  d.add_options()("measure-only", po::value<std::string>()->required(), "")
      ("model", po::value<std::string>()->required(), "")("out", po::value<std::string>()->required(), "");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(d).allow_unregistered().run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return cli::Fail("throughput --measure-only", e.what());
  }
  if (Status s = CheckMeasureOptions(vm); !s.ok())
    return cli::Fail("throughput --measure-only", s.message());
  const std::string out_dir = vm["out"].as<std::string>();
  fs::create_directories(out_dir);
  auto m = MeasureAll(vm, vm["model"].as<std::string>(), out_dir);
  if (!m.ok()) return cli::Fail("throughput --measure-only", m.status().message());
  baselines::RunRecord run;
  run.gate = "throughput";
  run.suite = "throughput";
  run.benchmarks = std::move(m->benchmarks);
  const std::string file = vm["measure-only"].as<std::string>();
  reports::GateOutcome o;
  o.gate = "throughput";
  o.correctness_failures = m->correctness_failures;
  o.artifacts = m->artifacts;
  o.notes = m->notes;
  if (m->two_b_shaped) o.notes.push_back("two_b_shaped");
  o.exit_code = o.correctness_failures.empty() ? 0 : kExitCorrectness;
  // The outcome first: the parent reads result.json and then the outcome,
  // and a result without its outcome must not exist (the receipt failures
  // it carries would be lost).
  if (Status s = WriteFileAtomically(file + ".outcome.json", reports::GateOutcomeJson(o)); !s.ok())
    return cli::Fail("throughput --measure-only", s.message());
  if (Status s = WriteFileAtomically(file, baselines::WriteResultJson(run)); !s.ok())
    return cli::Fail("throughput --measure-only", s.message());
  return o.exit_code;
}

}  // namespace
}  // namespace bitgate::gates

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--measure-only") return bitgate::gates::MeasureOnlyMain(argc, argv);
  po::options_description extra("throughput options");
  bitgate::gates::AddMeasureOptions(extra);
  extra.add_options()
      ("baseline-exe", po::value<std::string>(), "A/B: the baseline build's bitgate-throughput (or bitgate-bench-kernels)")
      ("baseline-build", po::value<std::string>(), "A/B: the baseline's build directory")
      ("resample-rounds", po::value<int>()->default_value(10),
       "rounds of extra samples for benchmarks a first look flags (regression, improvement, inconclusive); 0: none")
      // 10 = the default repetitions: one sample per process, so samples are
      // independent at the level where the machine varies most.
      ("rounds", po::value<int>()->default_value(10),
       "processes the repetitions are split across (A/B: alternating baseline and candidate rounds)")
      ("baseline-env", po::value<std::vector<std::string>>()->composing(),
       "A/B: KEY=VALUE set for the baseline's processes only (e.g. BITGATE_FORCE_ISA=avx512)")
      ("slo-generate-seconds", po::value<double>()->default_value(10.0), "SLO: 128-token generation on the 2b-shaped model")
      ("slo-stop-ns", po::value<double>()->default_value(10.0), "SLO: stop-token lookup")
      ("slo-memory-overhead", po::value<std::string>()->default_value("10%"), "SLO: resident memory over model file + KV cache");
  return bitgate::gates::RunGateMain("throughput", argc, argv, extra, &bitgate::gates::Body);
}
