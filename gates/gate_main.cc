#include "gates/gate_main.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>

#include "baselines/compare.h"
#include "baselines/result_json.h"
#include "baselines/store.h"
#include "engine/synth.h"
#include "gates/cli/store_cli.h"
#include "gates/files.h"
#include "kernels/format.h"
#include "reports/comparison_report.h"
#include "reports/format.h"
#include "reports/gate_report.h"
#include "reports/ledger.h"

#ifndef BITGATE_VERSION
#define BITGATE_VERSION "0"
#endif
#ifndef BITGATE_GIT_COMMIT
#define BITGATE_GIT_COMMIT "unknown"
#endif
#ifndef BITGATE_BUILD_TYPE
#define BITGATE_BUILD_TYPE ""
#endif

namespace bitgate::gates {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

// First line of a shell command's output ("" on failure): git metadata
// defaults only, never anything a verdict depends on.
std::string FirstLineOf(const char* command) {
  std::FILE* p = popen(command, "r");
  if (!p) return "";
  char buf[512] = {};
  std::string line = std::fgets(buf, sizeof buf, p) ? buf : "";
  pclose(p);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

std::string CompilerName() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#else
  return "unknown";
#endif
}

std::string JoinArgs(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    if (i) s.push_back(' ');
    // Quoted where a shell would split or expand it, so the line can be pasted.
    s += reports::ShellWord(argv[i]);
  }
  return s;
}

Result<GateOptions> ParseCommon(const char* gate, const po::variables_map& vm, int argc, char** argv) {
  GateOptions o;
  o.gate = gate;
  o.db = vm["db"].as<std::string>();
  o.branch = vm.count("branch") ? vm["branch"].as<std::string>() : "";
  if (o.branch.empty()) o.branch = FirstLineOf("git rev-parse --abbrev-ref HEAD 2>/dev/null");
  if (o.branch.empty() || o.branch == "HEAD") o.branch = "local";
  o.commit = vm.count("commit") ? vm["commit"].as<std::string>() : "";
  if (o.commit.empty()) o.commit = FirstLineOf("git rev-parse HEAD 2>/dev/null");
  if (o.commit.empty()) o.commit = "unknown";
  o.merge_base = vm.count("merge-base") ? vm["merge-base"].as<std::string>() : o.commit;
  o.same_commit_ok = vm.count("merge-base") > 0 && o.merge_base == o.commit;
  o.baseline_branch = vm["baseline-branch"].as<std::string>();
  o.out_dir = vm.count("out") ? vm["out"].as<std::string>() : "bitgate-out/" + std::string(gate);
  o.model = vm.count("model") ? vm["model"].as<std::string>() : "";
  o.preset = vm["preset"].as<std::string>();
  if (!engine::FindSynthPreset(o.preset))
    return Status::Error("unknown --preset '" + o.preset + "' (tiny, small or 2b)");
  o.strict = vm.count("strict") > 0;
  o.seed = vm["seed"].as<uint64_t>();
  auto delta = cli::ParseFraction(vm["delta"].as<std::string>(), "--delta");
  if (!delta.ok()) return delta.status();
  o.verdict.delta = *delta;
  o.verdict.alpha = vm["alpha"].as<double>();
  if (!(o.verdict.alpha >= baselines::kMinAlpha && o.verdict.alpha < 1))
    return Status::Error("--alpha must lie in [1e-9, 1)");
  o.verdict.min_samples = vm["min-samples"].as<int>();
  if (Status s = cli::CheckMinSamples(o.verdict.min_samples); !s.ok()) return s;
  auto ceiling = cli::ParseFraction(vm["cv-ceiling"].as<std::string>(), "--cv-ceiling");
  if (!ceiling.ok()) return ceiling.status();
  o.verdict.cv_ceiling = *ceiling;
  o.command_line = JoinArgs(argc, argv);
  return o;
}

// The verdict and everything needed to render it, whatever happened.
struct Finish {
  int exit_code = 0;
  reports::GateOutcome outcome;
  baselines::ComparisonReport report;
};

}  // namespace

int MostSevereExit(int a, int b) {
  // Rank of each code: 2 > 4 > 1 > 3 > 0 (docs/EXIT_CODES.md).
  auto rank = [](int c) {
    switch (c) {
      case 2: return 4;
      case 4: return 3;
      case 1: return 2;
      case 3: return 1;
      case 0: return 0;
      default: return 5;  // a signal or unknown code: worse than anything known
    }
  };
  return rank(a) >= rank(b) ? a : b;
}

Result<std::string> EnsureSyntheticModel(const std::string& db_path, const std::string& preset_name) {
  auto preset = engine::FindSynthPreset(preset_name);
  if (!preset) return Status::Error("unknown preset '" + preset_name + "' (tiny, small or 2b)");
  fs::path dir = fs::path(db_path).parent_path();
  if (dir.empty()) dir = ".";
  dir /= "models";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Error("cannot create " + dir.string() + ": " + ec.message());
  const std::string path = (dir / (preset_name + "-i2_s-seed1.gguf")).string();
  if (fs::exists(path, ec)) return path;
  std::fprintf(stderr, "bitgate: synthesizing the %s model (i2_s, seed 1) into %s\n", preset_name.c_str(),
               path.c_str());
  engine::SynthOptions so;
  so.preset = *preset;
  so.format = kernels::Format::kI2_S;
  so.seed = 1;
  Status s = engine::SynthesizeModel(so, path);
  if (!s.ok()) return s.WithContext("synthesizing " + path);
  return path;
}

Result<std::string> GateContext::ModelPath() {
  if (model_path_) return *model_path_;
  if (!options.model.empty()) {
    if (!fs::exists(options.model)) return Status::Error("--model " + options.model + ": no such file");
    model_path_ = options.model;
    return *model_path_;
  }
  auto path = EnsureSyntheticModel(options.db, options.preset);
  if (!path.ok()) return path.status();
  model_path_ = *path;
  return *model_path_;
}

namespace {

// Rows that more samples could settle or confirm.
bool WantsMoreSamples(const baselines::ComparisonRow& row) {
  using baselines::Reason;
  using baselines::Verdict;
  if (row.verdict == Verdict::kRegression || row.verdict == Verdict::kImprovement) return true;
  return row.verdict == Verdict::kInconclusive &&
         (row.reason == Reason::kUnderPowered || row.reason == Reason::kNoisy || row.reason == Reason::kBimodal);
}

// The adaptive re-sampling round of GateOutput::resample: a preliminary
// judgement of the unstored run, then more samples for the flagged
// benchmarks. Notes say what happened.
// A benchmark of the code under test that reported an error is broken by
// it: a correctness failure, named in the ledger (ComparisonExitCode gives
// the same code when the run is compared). Skipped when the gate already
// names it. Run after the body and again after re-sampling.
void NameBenchmarkErrors(GateOutput& out) {
  for (const auto& b : out.run.benchmarks) {
    if (b.status != baselines::BenchmarkStatus::kError) continue;
    // Named: the name followed by neither a name character nor more path,
    // and not the tail of a longer word ("dequantize/x" does not name
    // "quantize/x"; "accuracy/quant/x:" names "quant/x", a suite before it).
    const auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    const auto names = [&](const std::string& failure) {
      for (size_t at = failure.find(b.name); at != std::string::npos; at = failure.find(b.name, at + 1)) {
        const size_t end = at + b.name.size();
        if ((end == failure.size() || !(word_char(failure[end]) || failure[end] == '/')) &&
            (at == 0 || !word_char(failure[at - 1])))
          return true;
      }
      return false;
    };
    const bool named = std::any_of(out.correctness_failures.begin(), out.correctness_failures.end(), names);
    if (!named)
      out.correctness_failures.push_back("benchmark " + b.DisplayName() + " reported an error" +
                                         (b.message.empty() ? std::string() : ": " + b.message));
  }
}

// Returns the re-sampling's own failure (the first samples stay in both
// sides, the verdicts use them, and the gate exits 2 for it).
Status Resample(const GateOptions& o, baselines::Store& store, GateOutput& out) {
  const baselines::RunRecord& run = out.run;
  std::vector<baselines::ComparisonRow> rows;
  if (out.ab_baseline) {
    auto thresholds = store.Thresholds();
    if (!thresholds.ok()) return Status::Ok();
    rows = baselines::CompareAll(baselines::BuildInputs(run, {*out.ab_baseline}, *thresholds, false, nullptr),
                                 o.verdict);
  } else {
    baselines::BaselineRequest request;
    request.branch = o.baseline_branch;
    request.same_commit_ok = o.same_commit_ok;
    auto report = baselines::CompareWithBaseline(store, run, request, o.verdict);
    if (!report.ok() || report->baseline.source == baselines::BaselineSource::kNone ||
        report->baseline.environment_mismatch)
      return Status::Ok();
    rows = std::move(report->rows);
  }
  // Names only (suite, name, params): the callback appends to out.run.
  std::vector<baselines::BenchmarkResult> flagged;
  std::string names;
  for (const auto& row : rows) {
    if (!WantsMoreSamples(row)) continue;
    for (const auto& b : run.benchmarks) {
      const bool seen = std::any_of(flagged.begin(), flagged.end(), [&](const baselines::BenchmarkResult& f) {
        return f.suite == b.suite && f.name == b.name && f.params == b.params;
      });
      if (b.DisplayName() != row.benchmark || seen) continue;
      baselines::BenchmarkResult key;
      key.suite = b.suite;
      key.name = b.name;
      key.params = b.params;
      flagged.push_back(std::move(key));
      names += (names.empty() ? "" : ", ") + b.DisplayName();
    }
  }
  if (flagged.empty()) return Status::Ok();
  std::fprintf(stderr, "bitgate-%s: re-sampling %zu benchmark(s) before judging: %s\n", o.gate.c_str(),
               flagged.size(), names.c_str());
  // An exception out of the second look (a filesystem call that throws)
  // is its error, not std::terminate with no report written.
  Status s = [&] {
    try {
      return out.resample(flagged, out);
    } catch (const std::exception& e) {
      return Status::Error(std::string("unexpected exception: ") + e.what());
    }
  }();
  out.notes.push_back(s.ok() ? "re-sampled before judging (a first look flagged them): " + names
                             : "re-sampling failed, verdicts use the first samples of both sides: " + s.message());
  return s.WithContext("re-sampling " + names);
}

// Stores the run(s), judges, saves verdicts and the outcome. Errors are
// returned (exit 2); the caller still writes the reports.
Status StoreAndCompare(const GateOptions& o, GateOutput& out, Finish& f) {
  auto store = cli::OpenStore(o.db, 5000, /*create=*/true);
  if (!store.ok()) return store.status();
  Status resampled;
  if (out.resample && out.correctness_failures.empty() && out.run.status != "failed") {
    resampled = Resample(o, **store, out);
    NameBenchmarkErrors(out);  // a benchmark that errored only in the second look
  }
  baselines::RunRecord& run = out.run;
  // Re-sampling measures again and may find a correctness failure (a
  // receipt that does not verify): stored "failed", never a baseline.
  if (!out.correctness_failures.empty()) run.status = "failed";
  baselines::BaselineRequest request;
  request.branch = o.baseline_branch;
  request.same_commit_ok = o.same_commit_ok;
  if (out.ab_baseline) {
    baselines::RunRecord& base = *out.ab_baseline;
    // Measured in this job on this machine from the merge base's build.
    base.gate = run.gate;
    base.suite = run.suite;
    base.machine = run.machine;
    base.tool_version = run.tool_version;
    base.source_format = "bitgate";
    base.started_at = run.started_at;
    base.ended_at = run.ended_at;
    // On a branch of its own, never the baseline branch: it was measured by
    // this job with this job's model, options and --baseline-env, and
    // pooled into the baseline branch's history it would be judged against
    // later as if a job of that branch had measured it (or, inserted last
    // for an old merge base, be taken for its latest run).
    const bool known_base = !o.merge_base.empty() && o.merge_base != o.commit;
    base.branch = (known_base ? o.baseline_branch : o.branch) + "@ab";
    base.commit = known_base ? o.merge_base : "ab-baseline";
    base.merge_base = base.commit;
    auto id = (*store)->ImportRun(base);
    if (!id.ok()) return id.status().WithContext("storing the A/B baseline run");
    base.id = *id;
    request.run_id = *id;
  }
  auto id = (*store)->ImportRun(run);
  if (!id.ok()) return id.status().WithContext("storing the run");
  run.id = *id;
  f.outcome.run_id = *id;
  auto report = baselines::CompareWithBaseline(**store, run, request, o.verdict);
  if (!report.ok()) return report.status().WithContext("comparing with the baseline");
  f.report = std::move(*report);
  if (out.ab_baseline) {
    f.report.baseline.note = "A/B: baseline build measured interleaved in the same job (run " +
                             std::to_string(out.ab_baseline->id) + ")";
    f.outcome.baseline_source = "ab";
  } else {
    f.outcome.baseline_source = baselines::BaselineSourceName(f.report.baseline.source);
  }
  f.outcome.baseline_run_ids = f.report.baseline.run_ids;
  f.outcome.baseline_note = f.report.baseline.note;
  Status s = (*store)->SaveVerdicts(run.id, f.report.baseline.run_ids, run, f.report.rows);
  if (!s.ok()) return s.WithContext("saving verdicts");
  f.exit_code = baselines::ComparisonExitCode(f.report, o.strict);
  // Judged and stored on the first samples; a second look that failed (a
  // child that crashed or timed out) still makes the gate an error.
  if (!resampled.ok()) {
    f.exit_code = MostSevereExit(f.exit_code, cli::kExitError);
    f.outcome.error = resampled.message();
  }
  return Status::Ok();
}

}  // namespace

int RunGateMain(const char* gate, int argc, char** argv, const po::options_description& extra,
                const GateBody& body, const char* default_delta) {
  const std::string prog = std::string("bitgate-") + gate;
  auto fail = [&](const std::string& msg) {
    std::fprintf(stderr, "%s: error: %s\n", prog.c_str(), msg.c_str());
    return cli::kExitError;
  };
  po::options_description common("common gate options");
  common.add_options()
      ("db", po::value<std::string>()->default_value(baselines::kDefaultDbPath), "baseline store (SQLite)")
      ("branch", po::value<std::string>(), "branch of the code under test (default: git's current branch)")
      ("commit", po::value<std::string>(), "commit under test (default: git HEAD)")
      ("merge-base", po::value<std::string>(), "merge base with the baseline branch (default: the commit)")
      ("baseline-branch", po::value<std::string>()->default_value("main"), "branch baselines come from")
      ("out", po::value<std::string>(), "output directory (default: bitgate-out/<gate>)")
      ("model", po::value<std::string>(), "GGUF model (default: a synthetic model cached beside --db)")
      ("preset", po::value<std::string>()->default_value("tiny"), "synthetic model preset: tiny, small or 2b")
      ("strict", "exit 3 when no verdict can be reached (no baseline, machine mismatch, INCONCLUSIVE)")
      // 5%, not compare's 3%: gates usually run on shared CI runners
      // (verdicts.md: 3% quiet machine, 5% shared CI).
      ("delta", po::value<std::string>()->default_value(default_delta), "practical threshold")
      ("alpha", po::value<double>()->default_value(0.05), "significance level on q-values")
      ("min-samples", po::value<int>()->default_value(5), "samples per side below which a row is INCONCLUSIVE")
      ("cv-ceiling", po::value<std::string>()->default_value("10%"), "robust CV above which a row is INCONCLUSIVE (noisy)")
      ("seed", po::value<uint64_t>()->default_value(1), "seed of the gate's own randomness")
      ("help,h", "show this help");
  po::options_description all;
  all.add(common).add(extra);
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, all), vm);
    if (vm.count("help")) {
      std::cout << "usage: " << prog << " [options]\n"
                << "  Runs the " << gate << " gate, stores its samples, judges them against the baseline and\n"
                << "  writes results.json, report.md, report.json, junit.xml and gate.json under --out.\n"
                << "  Exit: 0 pass, 1 regression, 2 error, 3 undecided with --strict, 4 correctness failure.\n\n"
                << all << "\n";
      return cli::kExitPass;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    return fail(std::string(e.what()) + " (see " + prog + " --help)");
  }
  auto parsed = ParseCommon(gate, vm, argc, argv);
  if (!parsed.ok()) return fail(parsed.status().message());
  const GateOptions& o = *parsed;
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) return fail("cannot create --out " + o.out_dir + ": " + ec.message());

  const auto began = std::chrono::steady_clock::now();
  GateContext ctx(o, vm);
  GateOutput& out = ctx.output;
  out.run.gate = gate;
  out.run.suite = gate;
  out.run.started_at = baselines::NowUtc();
  Finish f;
  f.outcome.gate = gate;
  f.outcome.command_line = o.command_line;
  f.outcome.delta = o.verdict.delta;
  f.outcome.alpha = o.verdict.alpha;
  f.outcome.min_samples = o.verdict.min_samples;
  f.outcome.cv_ceiling = o.verdict.cv_ceiling;
  f.outcome.seed = o.verdict.seed;
  Status body_status;
  try {
    body_status = body(ctx);
  } catch (const std::exception& e) {
    body_status = Status::Error(std::string("unexpected exception: ") + e.what());
  }

  baselines::RunRecord& run = out.run;
  run.ended_at = baselines::NowUtc();
  run.branch = o.branch;
  run.commit = o.commit;
  run.merge_base = o.merge_base;
  run.tool_version = std::string(BITGATE_VERSION) + "+" + BITGATE_GIT_COMMIT;
  run.source_format = "bitgate";
  run.machine = cli::LiveMachine();
  run.machine.compiler = CompilerName();
  run.machine.build_type = BITGATE_BUILD_TYPE;
  for (auto& b : run.benchmarks)
    if (b.suite.empty()) b.suite = run.suite;
  if (out.ab_baseline)
    for (auto& b : out.ab_baseline->benchmarks)
      if (b.suite.empty()) b.suite = run.suite;
  if (body_status.ok()) NameBenchmarkErrors(out);
  if (!out.correctness_failures.empty()) run.status = "failed";

  int code = cli::kExitPass;
  if (!body_status.ok()) {
    f.outcome.error = body_status.message();
    std::fprintf(stderr, "%s: error: %s\n", prog.c_str(), body_status.message().c_str());
    code = cli::kExitError;
    run.status = "failed";
  }
  f.report.candidate = run;
  // A failed body still stores what it measured (status "failed": never a
  // baseline), so the ledger can show it; an empty run is not stored.
  if (!run.benchmarks.empty() || out.ab_baseline) {
    Status s = StoreAndCompare(o, out, f);
    if (!s.ok()) {
      std::fprintf(stderr, "%s: error: %s\n", prog.c_str(), s.message().c_str());
      if (f.outcome.error.empty()) f.outcome.error = s.message();
      code = cli::kExitError;
    } else {
      code = MostSevereExit(code, f.exit_code);
    }
  } else if (body_status.ok()) {
    if (o.strict) code = MostSevereExit(code, cli::kExitUndecided);
  }
  if (!out.correctness_failures.empty()) code = MostSevereExit(code, kExitCorrectness);
  for (const auto& slo : out.slos)
    if (!slo.skipped && !slo.passed) code = MostSevereExit(code, cli::kExitRegression);

  f.outcome.exit_code = code;
  f.outcome.correctness_failures = out.correctness_failures;
  f.outcome.slos = out.slos;
  f.outcome.artifacts = out.artifacts;
  f.outcome.notes = out.notes;

  // Outcome into the store beside the run, then the files; every file is
  // written whatever the code. A writer that fails (or throws) costs its
  // own file only: exit 2, said so, and gate.json tells the final code.
  auto writer_failed = [&](const std::string& message) {
    std::fprintf(stderr, "%s: error: %s\n", prog.c_str(), message.c_str());
    code = MostSevereExit(code, cli::kExitError);
    f.outcome.exit_code = code;
  };
  auto save_outcome = [&] {
    Status s;
    try {
      auto store = cli::OpenStore(o.db, 5000, /*create=*/true);
      s = store.ok() ? reports::SaveGateOutcome(**store, f.outcome) : store.status();
    } catch (const std::exception& e) {
      s = Status::Error(std::string("unexpected exception: ") + e.what());
    }
    if (!s.ok()) writer_failed("storing the outcome: " + s.message());
  };
  if (f.outcome.run_id) save_outcome();
  const int stored_code = code;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  // junit.xml: this gate's <testsuite> of the pipeline's junit.xml, so the
  // gate process, correctness failures and missed SLOs are cases too.
  auto junit = [&] {
    reports::GateLedger g;
    g.gate.gate = gate;
    g.gate.executable = prog;
    g.gate.status = reports::GateStatusOf(f.outcome.exit_code, 0, false);
    g.gate.process = "exit " + std::to_string(f.outcome.exit_code);
    g.gate.seconds = seconds;
    g.gate.run_id = run.id;
    g.gate.out_dir = o.out_dir;
    g.gate.output_tail = f.outcome.error;
    g.outcome = f.outcome;
    g.comparison = f.report;
    reports::PipelineRecord context;
    context.branch = o.branch;
    context.commit = o.commit;
    context.merge_base = o.merge_base;
    context.started_at = run.started_at;
    return reports::GateJunit(g, context);
  };
  const fs::path dir(o.out_dir);
  const std::pair<const char*, std::function<std::string()>> files[] = {
      {"results.json", [&] { return baselines::WriteResultJson(run); }},
      {"report.md", [&] { return reports::GateMarkdown(f.outcome, f.report); }},
      {"report.json", [&] { return reports::GateReportJson(f.outcome, f.report); }},
      {"junit.xml", junit},
      {"gate.json", [&] { return reports::GateOutcomeJson(f.outcome); }},
  };
  bool written[std::size(files)] = {};
  auto write = [&](size_t i) {
    const std::string path = (dir / files[i].first).string();
    Status s;
    try {
      s = WriteFileAtomically(path, files[i].second());
    } catch (const std::exception& e) {
      s = Status::Error("cannot write " + path + ": " + e.what());
    }
    if (s.ok()) written[i] = true;
    else writer_failed(s.message());
  };
  for (size_t i = 0; i < std::size(files); ++i) write(i);
  // A report file that failed made the code 2 after the outcome was stored:
  // store it again, so `bitgate report` and re-rendered ledgers say 2 too,
  // and render the files already written again, so none of them (report.md,
  // junit.xml) says a code the process does not exit with.
  if (code != stored_code) {
    if (f.outcome.run_id) save_outcome();
    for (size_t i = 0; i < std::size(files); ++i)
      if (written[i]) write(i);
  }
  std::fprintf(stderr, "%s: exit %d; %s (run %lld, %zu benchmarks, %zu samples)\n", prog.c_str(), code,
               reports::SummaryLine(f.report).c_str(), static_cast<long long>(run.id), run.benchmarks.size(),
               run.SampleCount());
  return code;
}

}  // namespace bitgate::gates
