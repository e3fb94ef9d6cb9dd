// End-to-end tests of the gates and the pipeline: the real binaries on the
// tiny synthetic model, a temporary store, few repetitions.
//
// Thresholds: this suite runs on shared 2-core CI machines where the same
// binary drifts by up to ~50% between two runs minutes apart (another job
// on the sibling hyperthread). Store-mode tests therefore use delta 90% and
// a 50% CV ceiling: wide enough that an A/A run cannot cross it, while the
// forced scalar path is 20-40x slower than AVX-512 on the dequantize and
// generation rows, far beyond it. The statistics themselves are tested at
// their real defaults in tests/baselines.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "baselines/result_json.h"
#include "baselines/stats.h"
#include "baselines/store.h"
#include "reports/gate_outcome.h"
#include "gates/subprocess.h"
#include "tests/gates/gate_test_util.h"
#include "kernels/cpu.h"

namespace bitgate::gates {
namespace {

namespace fs = std::filesystem;

using gate_test::ReadAll;
using gate_test::Ran;

class GatesE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / (std::string("bitgate-gates-") + info->name() + "-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // One synthetic model for every test of this process (synthesized by
    // the first gate that needs it, reused through --model afterwards).
    db_ = (dir_ / "db" / "baselines.db").string();
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  Ran Run(std::vector<std::string> argv, std::map<std::string, std::optional<std::string>> env = {}) {
    ProcessOptions p;
    p.argv = std::move(argv);
    p.env = std::move(env);
    p.timeout_seconds = 120;
    p.output_file = (dir_ / ("out-" + std::to_string(runs_++) + ".txt")).string();
    return gate_test::RunCaptured(p);
  }

  // Fast throughput settings: two dispatched kernel rows, 8-token generations.
  std::vector<std::string> FastThroughput() const {
    return {"--repetitions", "6", "--min-time", "0.01", "--gen-tokens", "8",
            "--kernel-filter", "^dequantize/(i2_s|tq2_0)/16384$", "--delta", "90%", "--cv-ceiling", "50%"};
  }

  std::vector<std::string> Gate(const std::string& branch, const std::string& commit, const std::string& merge_base,
                                const std::string& out) {
    std::vector<std::string> a = {BITGATE_THROUGHPUT, "--db", db_, "--branch", branch, "--commit", commit,
                                  "--merge-base", merge_base, "--out", (dir_ / out).string()};
    for (const auto& x : FastThroughput()) a.push_back(x);
    return a;
  }

  fs::path dir_;
  std::string db_;
  int runs_ = 0;
};

TEST_F(GatesE2e, HelpAndBadOptions) {
  EXPECT_EQ(Run({BITGATE_THROUGHPUT, "--help"}).code, 0);
  const Ran bad = Run({BITGATE_THROUGHPUT, "--no-such-option"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("bitgate-throughput: error:"), std::string::npos) << bad.output;
  EXPECT_EQ(Run({BITGATE_BINARY, "pipeline", "--help"}).code, 0);
  EXPECT_EQ(Run({BITGATE_BINARY, "pipeline", "--no-such-option"}).code, 2);
  EXPECT_EQ(Run({BITGATE_BINARY, "report", "--run", "1", "--db", db_}).code, 2);  // empty store
  // Values that would disable the kernel suite's timeout or make every row
  // INCONCLUSIVE (a gate that cannot fail) are usage errors.
  for (const auto& [option, value] : {std::pair<std::string, std::string>{"--kernel-timeout", "0"},
                                      {"--kernel-timeout", "-5"}, {"--min-samples", "-3"}, {"--min-samples", "5000"}}) {
    auto args = Gate("main", "c1", "c1", "bad" + option + value);
    args.push_back(option);
    args.push_back(value);
    const Ran r = Run(args);
    EXPECT_EQ(r.code, 2) << option << " " << value << "\n" << r.output;
    EXPECT_NE(r.output.find(option), std::string::npos) << r.output;
  }
  const Ran forever = Run({BITGATE_BINARY, "pipeline", "--db", db_, "--timeout-per-gate", "inf"});
  EXPECT_EQ(forever.code, 2);
  EXPECT_NE(forever.output.find("--timeout-per-gate must lie in (0, 604800] seconds"), std::string::npos) << forever.output;
}

// The engine rows alone, once, short generations: a second or two.
std::vector<std::string> QuickEngine(std::vector<std::string> extra) {
  std::vector<std::string> a = {"--skip-kernels", "--rounds", "1", "--resample-rounds", "0",
                                "--engine-repetitions", "3", "--gen-tokens", "4"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// Bad SLO targets and options that measure nothing are usage errors (exit
// 2) naming the option, before anything is measured. They used to be taken:
// an unparsable memory overhead fell back to 10%, a NaN target failed its
// SLO whatever was measured (exit 1) and wrote a gate.json the pipeline
// could not read, and --skip-kernels --skip-engine measured nothing and
// passed with --rounds 1 (and failed on an empty result file with more).
TEST_F(GatesE2e, BadSloTargetsAndNothingToMeasureAreUsageErrors) {
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {QuickEngine({"--slo-memory-overhead", "garbage"}), "--slo-memory-overhead 'garbage' is not a number"},
      {QuickEngine({"--slo-stop-ns", "nan"}), "--slo-stop-ns nan: the target must be a finite number > 0"},
      {QuickEngine({"--slo-generate-seconds=-1"}),
       "--slo-generate-seconds -1: the target must be a finite number > 0"},
      {QuickEngine({"--slo-generate-seconds", "inf"}), "--slo-generate-seconds inf: the target must be"},
      {{"--skip-kernels", "--skip-engine", "--rounds", "1"},
       "--skip-kernels and --skip-engine together leave nothing"},
      {{"--skip-kernels", "--skip-engine"}, "--skip-kernels and --skip-engine together leave nothing"},
  };
  int i = 0;
  for (const auto& [extra, message] : cases) {
    std::vector<std::string> args = {BITGATE_THROUGHPUT, "--db", db_, "--branch", "main", "--commit", "c1",
                                     "--out", (dir_ / ("bad-" + std::to_string(i++))).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const Ran r = Run(args);
    EXPECT_EQ(r.code, 2) << message << "\n" << r.output;
    EXPECT_NE(r.output.find("bitgate-throughput: error: " + message), std::string::npos) << r.output;
  }
}

// The 128-token generation SLO from a shorter generation: the prompt up to
// the first token is the same work, only the 127 decode steps scale. It
// used to scale the whole generation (prompt included) by 128 / tokens.
// `logits` checks what `generate` checks: the thread count, and a batch
// longer than the model's trained context (tiny: 512) is refused.
TEST_F(GatesE2e, LogitsRefusesBadThreadsAndTokensPastTheContext) {
  const std::string model = (dir_ / "tiny.gguf").string();
  ASSERT_EQ(Run({BITGATE_BINARY, "model", "synth", "--preset", "tiny", "-o", model}).code, 0);
  const std::string out = (dir_ / "logits.f32").string();
  EXPECT_EQ(Run({BITGATE_BINARY, "logits", "-m", model, "--tokens", "1,2,3", "-o", out}).code, 0);
  EXPECT_EQ(fs::file_size(out), 3u * 512u * 4u);
  const Ran threads = Run({BITGATE_BINARY, "logits", "-m", model, "--tokens", "1,2", "-o", out, "--threads", "0"});
  EXPECT_EQ(threads.code, 2);
  EXPECT_NE(threads.output.find("--threads must be in [1, 1024]"), std::string::npos) << threads.output;
  std::string many = "1";
  for (int i = 0; i < 512; ++i) many += ",2";  // 513 tokens
  const Ran ctx = Run({BITGATE_BINARY, "logits", "-m", model, "--tokens", many, "-o", out});
  EXPECT_EQ(ctx.code, 2);
  EXPECT_NE(ctx.output.find("513 tokens exceed the model's context of 512"), std::string::npos) << ctx.output;
}

TEST_F(GatesE2e, GenerateSloScalesOnlyTheDecodeSteps) {
  const Ran r = Run([&] {
    std::vector<std::string> a = {BITGATE_THROUGHPUT, "--db", db_, "--branch", "main", "--commit", "c1",
                                  "--out", (dir_ / "slo").string()};
    for (const auto& x : QuickEngine({})) a.push_back(x);
    return a;
  }());
  ASSERT_EQ(r.code, 0) << r.output;
  std::map<std::string, double> median;  // "benchmark measure" -> median
  const auto run = baselines::ParseResultJson(ReadAll(dir_ / "slo" / "results.json"), "results.json");
  ASSERT_TRUE(run.ok()) << run.status().message();
  for (const auto& b : run->benchmarks)
    for (const auto& m : b.measures) median[b.name + " " + m.name] = baselines::Median(m.samples);
  const double ttft = median["generate/ttft real_time"], decode = median["generate/decode tokens_per_second"];
  ASSERT_GT(ttft, 0);
  ASSERT_GT(decode, 0);
  auto outcome = reports::ParseGateOutcome(ReadAll(dir_ / "slo" / "gate.json"), "gate.json");
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  const reports::SloResult* slo = nullptr;
  for (const auto& s : outcome->slos)
    if (s.name.rfind("generate 128 tokens", 0) == 0) slo = &s;
  ASSERT_NE(slo, nullptr);
  const double expected = ttft + 127.0 / decode * 1e9;
  EXPECT_NEAR(slo->value, expected, expected * 1e-9)
      << "whole generation " << median["generate/total real_time"] << " ns, ttft " << ttft << " ns, decode "
      << decode << " tokens/s";
  EXPECT_NE(slo->source.find("generate/ttft"), std::string::npos) << slo->source;
}

TEST_F(GatesE2e, PipelineSeedsThenAaPassesAndReportRerendersFromTheStore) {
  // CPU time only: under ctest -j2 on a loaded machine the wall clock of
  // two runs a second apart can differ by more than 2x (a process's CPU
  // share), which is not the code's speed. The engine rows (wall clock by
  // nature) are covered by the slowdown tests below.
  std::string args = "--skip-engine --kernel-measures cpu_time";
  for (const auto& a : FastThroughput()) args += " " + a;
  auto pipeline = [&](const std::string& out) {
    // --merge-base c1 asks for the A/A comparison (ci/demo's): without it
    // a run on main never takes its own commit's runs for its baseline.
    return Run({BITGATE_BINARY, "pipeline", "--db", db_, "--branch", "main", "--commit", "c1", "--merge-base", "c1",
                "--gates", "throughput", "--out", (dir_ / out).string(), "--gate-args", "throughput=" + args});
  };
  const Ran first = pipeline("p1");
  ASSERT_EQ(first.code, 0) << first.output;
  const std::string ledger1 = ReadAll(dir_ / "p1" / "ledger.md");
  EXPECT_NE(ledger1.find("<!-- bitgate-ledger:v1 branch=main commit=c1 pipeline=1 state=PASS -->"), std::string::npos);
  EXPECT_NE(ledger1.find("no baseline yet; this run seeds it"), std::string::npos) << ledger1;
  EXPECT_NE(first.output.find("ledger: "), std::string::npos);
  EXPECT_NE(ReadAll(dir_ / "p1" / "junit.xml").find("<skipped"), std::string::npos);  // no baseline -> skipped

  const Ran second = pipeline("p2");
  EXPECT_EQ(second.code, 0) << second.output;
  const std::string ledger2 = ReadAll(dir_ / "p2" / "ledger.md");
  const std::string junit2 = ReadAll(dir_ / "p2" / "junit.xml");
  EXPECT_EQ(junit2.find("type=\"regression\""), std::string::npos) << ledger2;
  EXPECT_NE(ledger2.find("(merge-base)"), std::string::npos) << ledger2;
  EXPECT_NE(ledger2.find("```mermaid\nxychart-beta"), std::string::npos);
  EXPECT_NE(ledger2.find("| fingerprint |"), std::string::npos);

  // Re-rendered from the store alone: the same ledger, byte for byte.
  const std::string rerender = (dir_ / "rerender.md").string();
  EXPECT_EQ(Run({BITGATE_BINARY, "report", "--db", db_, "--run", "2", "--output", rerender}).code, 0);
  EXPECT_EQ(ReadAll(rerender), ledger2);
  const std::string by_branch = (dir_ / "by_branch.xml").string();
  EXPECT_EQ(Run({BITGATE_BINARY, "report", "--db", db_, "--branch", "main", "--format", "junit", "--output", by_branch}).code, 0);
  EXPECT_EQ(ReadAll(by_branch), junit2);
}

TEST_F(GatesE2e, ForcedScalarAgainstAvx512BaselineIsARegression) {
  if (!kernels::IsaSupported(kernels::Isa::kAvx512)) GTEST_SKIP() << "this CPU has no AVX-512 VNNI path";
  const Ran base = Run(Gate("main", "b1", "b1", "base"), {{"BITGATE_FORCE_ISA", "avx512"}});
  ASSERT_EQ(base.code, 0) << base.output;
  const Ran cand = Run(Gate("pr", "c2", "b1", "cand"), {{"BITGATE_FORCE_ISA", "scalar"}});
  EXPECT_EQ(cand.code, 1) << cand.output;
  // Every generation left a receipt that verified (else exit 4).
  EXPECT_TRUE(fs::exists(dir_ / "cand" / "rounds" / "9" / "receipts" / "receipt-0.json"));  // one per process
  const std::string report = ReadAll(dir_ / "cand" / "report.md");
  bool kernel_regression = false;
  std::istringstream lines(report);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("| dequantize/i2_s/16384 | cpu_time", 0) == 0) kernel_regression = line.find("REGRESSION") != std::string::npos;
  EXPECT_TRUE(kernel_regression) << report;
  // The first look flagged it, so it was measured again before the verdict
  // (10 processes of one sample, then 10 more): 20 candidate samples.
  EXPECT_NE(report.find("re-sampled before judging"), std::string::npos) << report;
  EXPECT_NE(report.find("n=10/20"), std::string::npos) << report;
  // Same binaries, another forced kernel path: a different fingerprint, so
  // the change is the code's, not the machine's drift.
  auto store = baselines::Store::Open(db_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto b = (*store)->LoadRun(1), c = (*store)->LoadRun(2);
  ASSERT_TRUE(b.ok() && c.ok());
  EXPECT_EQ(b->config_hash.size(), 64u);
  EXPECT_EQ(c->config_hash.size(), 64u);
  EXPECT_NE(b->config_hash, c->config_hash);
}

// The same build against itself in one job (A/A): both runs carry one
// fingerprint, which is what lets the comparison call their differences
// machine drift (baselines::MarkSameBuildDrift, tested in store_test).
TEST_F(GatesE2e, SameBuildAgainstItselfCarriesOneFingerprint) {
  auto args = Gate("pr", "c2", "b1", "aa");
  for (const char* a : {"--baseline-exe", BITGATE_THROUGHPUT, "--rounds", "3"}) args.push_back(a);
  const Ran aa = Run(args, {});
  EXPECT_EQ(aa.code, 0) << aa.output;
  EXPECT_NE(ReadAll(dir_ / "aa" / "report.md").find("A/B mode"), std::string::npos);
  auto store = baselines::Store::Open(db_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto b = (*store)->LoadRun(1), c = (*store)->LoadRun(2);
  ASSERT_TRUE(b.ok() && c.ok());
  EXPECT_EQ(b->config_hash.size(), 64u);
  EXPECT_EQ(b->config_hash, c->config_hash);
}

// What --baseline-env sets is part of the baseline's fingerprint: the same
// binaries under another allocator or tunable are not "the same build"
// (that would call the change under test machine drift). A setting that
// runs the same code (an empty BITGATE_FORCE_ISA, which selects the best
// path as an unset one does) keeps one fingerprint.
TEST_F(GatesE2e, BaselineEnvIsPartOfTheBaselineFingerprint) {
  auto hashes_with = [&](const std::string& setting, const std::string& out) {
    auto args = Gate("pr", "c2", "b1", out);
    for (const std::string& a : {std::string("--baseline-exe"), std::string(BITGATE_THROUGHPUT), std::string("--baseline-env"),
                                 setting, std::string("--rounds"), std::string("2"), std::string("--skip-engine"),
                                 std::string("--resample-rounds"), std::string("0")})
      args.push_back(a);
    const Ran r = Run(args, {});
    EXPECT_NE(r.code, 2) << r.output;
    auto store = baselines::Store::Open(db_);
    EXPECT_TRUE(store.ok());
    auto runs = (*store)->ListRuns(std::nullopt, 100);
    EXPECT_TRUE(runs.ok() && runs->size() >= 2);
    int64_t last = 0;  // the newest two runs: this A/B job's candidate and baseline
    for (const auto& run : *runs) last = std::max(last, run.id);
    auto cand = (*store)->LoadRun(last), base = (*store)->LoadRun(last - 1);
    EXPECT_TRUE(cand.ok() && base.ok());
    return std::pair{cand->config_hash, base->config_hash};
  };
  const auto [cand_tuned, base_tuned] = hashes_with("GLIBC_TUNABLES=glibc.malloc.arena_max=1", "env");
  EXPECT_NE(cand_tuned, base_tuned);
  const auto [cand_empty, base_empty] = hashes_with("BITGATE_FORCE_ISA=", "isa");
  EXPECT_EQ(cand_empty, base_empty);
}

// A measuring round reports its receipt failures in result.json's outcome
// file, written before the result. A round whose outcome is missing used
// to count as a round without failures; it is an error now, and a round
// that exits 4 (correctness) with an outcome naming no failure gets one.
// Here the baseline rounds run the real gate through a script that then
// loses the outcome, or only changes the exit code: a baseline build's
// failures are not the candidate's, so the gate passes and reports them.
TEST_F(GatesE2e, AMeasuringRoundThatLosesItsOutcomeIsNotIgnored) {
  for (const bool keep_outcome : {false, true}) {
    SCOPED_TRACE(keep_outcome ? "outcome kept" : "outcome lost");
    const fs::path script = dir_ / (keep_outcome ? "kept" : "lost") / "bitgate-throughput-wrapper";
    fs::create_directories(script.parent_path());
    std::ofstream(script) << "#!/bin/sh\njson=; prev=\nfor a in \"$@\"; do\n  [ \"$prev\" = --measure-only ] && json=$a\n"
                             "  prev=$a\ndone\n'" << BITGATE_THROUGHPUT << "' \"$@\" || exit $?\n"
                          << (keep_outcome ? "" : "rm -f \"$json.outcome.json\"\n") << "exit 4\n";
    fs::permissions(script, fs::perms::owner_all);
    auto args = Gate("pr", keep_outcome ? "c5" : "c4", "b1", keep_outcome ? "kept-out" : "lost-out");
    for (const std::string& a : {std::string("--baseline-exe"), script.string(), std::string("--rounds"), std::string("3")})
      args.push_back(a);
    const Ran r = Run(args, {});
    if (keep_outcome) {
      EXPECT_EQ(r.code, 0) << r.output;
      const std::string report = ReadAll(dir_ / "kept-out" / "report.md");
      EXPECT_NE(report.find("baseline build failed a correctness check: "), std::string::npos) << report;
      EXPECT_NE(report.find("but its outcome names no failure"), std::string::npos) << report;
    } else {
      EXPECT_EQ(r.code, 2) << r.output;
      EXPECT_NE(r.output.find(".outcome.json"), std::string::npos) << r.output;
    }
  }
}

TEST_F(GatesE2e, AbModeCatchesForcedScalarCandidate) {
  if (!kernels::IsaSupported(kernels::Isa::kAvx512)) GTEST_SKIP() << "this CPU has no AVX-512 VNNI path";
  auto args = Gate("pr", "c2", "b1", "ab");
  for (const char* a : {"--baseline-exe", BITGATE_THROUGHPUT, "--baseline-env", "BITGATE_FORCE_ISA=avx512",
                        "--rounds", "3"})
    args.push_back(a);
  const Ran ab = Run(args, {{"BITGATE_FORCE_ISA", "scalar"}});
  EXPECT_EQ(ab.code, 1) << ab.output;
  const std::string report = ReadAll(dir_ / "ab" / "report.md");
  EXPECT_NE(report.find("A/B mode"), std::string::npos);
  EXPECT_NE(report.find("REGRESSION"), std::string::npos) << report;
  EXPECT_TRUE(fs::exists(dir_ / "ab" / "ab" / "base-0" / "result.json"));
  // The baseline run is kept apart from main's history: a later comparison
  // against main must not pool a run this pull request's job measured.
  const Ran list = Run({BITGATE_BINARY, "baseline", "list", "--db", db_});
  EXPECT_NE(list.output.find("main@ab"), std::string::npos) << list.output;
  EXPECT_EQ(list.output.find(" main "), std::string::npos) << list.output;
}

TEST_F(GatesE2e, CrashingHangingAndMissingGatesAreErrorsAndTheLedgerIsStillWritten) {
  // A previous run's green report of the gate that is missing now: a CI
  // glob (**/junit.xml) must not find it.
  fs::create_directories(dir_ / "p" / "nosuch");
  std::ofstream(dir_ / "p" / "nosuch" / "junit.xml") << "<testsuites tests=\"1\" failures=\"0\"/>\n";
  const Ran r = Run({BITGATE_BINARY, "pipeline", "--db", db_, "--branch", "pr", "--commit", "c3", "--gates",
                     "crash,hang,nosuch", "--out", (dir_ / "p").string(), "--timeout-per-gate", "2",
                     "--gate-exe", std::string("crash=") + BITGATE_CRASH_GATE,
                     "--gate-exe", std::string("hang=") + BITGATE_CRASH_GATE, "--gate-args", "hang=--hang"},
                    {{"GITHUB_STEP_SUMMARY", (dir_ / "summary.md").string()}});
  EXPECT_EQ(r.code, 2) << r.output;
  const std::string ledger = ReadAll(dir_ / "p" / "ledger.md");
  EXPECT_NE(ledger.find("| crash | crashed | signal 11"), std::string::npos) << ledger;
  EXPECT_NE(ledger.find("| hang | timeout | timeout after 2 s"), std::string::npos) << ledger;
  EXPECT_NE(ledger.find("| nosuch | missing |"), std::string::npos) << ledger;
  EXPECT_FALSE(fs::exists(dir_ / "p" / "nosuch" / "junit.xml"));
  // Said before any gate ran, not after the others' minutes.
  const size_t warned = r.output.find("warning: gate 'nosuch' has no executable");
  ASSERT_NE(warned, std::string::npos) << r.output;
  EXPECT_LT(warned, r.output.find("start crash")) << r.output;
  EXPECT_NE(ledger.find("crash gate: about to crash"), std::string::npos) << ledger;  // output tail
  EXPECT_NE(ledger.find("state=ERROR"), std::string::npos);
  const std::string junit = ReadAll(dir_ / "p" / "junit.xml");
  EXPECT_NE(junit.find("errors=\"3\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("type=\"crashed\""), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "p" / "results.json"));
  // The job summary gets the same ledger.
  EXPECT_NE(ReadAll(dir_ / "summary.md").find(ledger), std::string::npos);
}

// A gate that times out is killed with everything it started. The
// throughput gate runs its kernel suite (and --measure-only rounds) as
// children; they used to get process groups of their own, so the pipeline's
// kill of the gate's group missed them and a kernel suite ran on, orphaned,
// for up to --kernel-timeout while the next gates were measured.
TEST_F(GatesE2e, PipelineTimeoutAlsoKillsTheGatesChildren) {
  const fs::path pid_file = dir_ / "sleeper.pid";
  const fs::path sleeper = dir_ / "sleeper.sh";
  std::ofstream(sleeper) << "#!/bin/sh\necho $$ > '" << pid_file.string() << "'\nexec sleep 30\n";
  fs::permissions(sleeper, fs::perms::owner_all);
  const Ran r = Run({BITGATE_BINARY, "pipeline", "--db", db_, "--branch", "pr", "--commit", "c6", "--gates",
                     "throughput", "--out", (dir_ / "p").string(), "--timeout-per-gate", "6", "--gate-args",
                     "throughput=--skip-engine --rounds 1 --resample-rounds 0 --bench-exe " + sleeper.string()});
  // (6 s: the gate must get as far as starting its kernel suite on a busy
  // host; the sleeper runs 30 s either way.)
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(ReadAll(dir_ / "p" / "ledger.md").find("| throughput | timeout | timeout after 6 s"), std::string::npos);
  ASSERT_TRUE(fs::exists(pid_file)) << "the gate never started its kernel suite: " << r.output;
  EXPECT_TRUE(gate_test::SleepEndedWithin(pid_file, 3)) << "the gate's kernel suite outlived the gate's timeout";
}

// A cancelled CI job signals the pipeline (SIGTERM). The running gate's
// process group is stopped (the gates lead their own groups, so the signal
// never reached them), later gates do not start, and the ledger is still
// written. The gate's kernel suite here ignores SIGTERM: once the gate is
// gone, the rest of its group is killed.
TEST_F(GatesE2e, CancelledPipelineStopsItsGateAndStillWritesTheLedger) {
  const fs::path pid_file = dir_ / "stubborn.pid";
  const fs::path stubborn = dir_ / "stubborn.sh";
  std::ofstream(stubborn) << "#!/bin/sh\ntrap '' TERM\necho $$ > '" << pid_file.string() << "'\nexec sleep 30\n";
  fs::permissions(stubborn, fs::perms::owner_all);
  const std::string pipeline = std::string("'") + BITGATE_BINARY + "' pipeline --db '" + db_ +
                               "' --branch pr --commit c7 --gates throughput,fuzz --out '" + (dir_ / "p").string() +
                               "' --gate-args 'throughput=--skip-engine --rounds 1 --resample-rounds 0 --bench-exe " +
                               stubborn.string() + "'";
  const Ran r = Run({"/bin/sh", "-c", pipeline + " & p=$!; while [ ! -s '" + pid_file.string() +
                                          "' ]; do sleep 0.1; done; kill -TERM $p; wait $p"});
  EXPECT_EQ(r.code, 2) << r.output;
  const std::string ledger = ReadAll(dir_ / "p" / "ledger.md");
  EXPECT_NE(ledger.find("| throughput | error | cancelled after"), std::string::npos) << ledger;
  EXPECT_NE(ledger.find("cancelled by signal 15: gate fuzz and later ones not started"), std::string::npos) << ledger;
  EXPECT_TRUE(gate_test::SleepEndedWithin(pid_file, 2)) << "the gate's kernel suite outlived the cancelled pipeline";
}

TEST_F(GatesE2e, PipelineReverifiesReceiptsAndAForgedOneIsACorrectnessFailure) {
  const Ran r = Run({BITGATE_BINARY, "pipeline", "--db", db_, "--branch", "pr", "--commit", "c4", "--gates", "forged",
                     "--out", (dir_ / "p").string(), "--gate-exe", std::string("forged=") + BITGATE_CRASH_GATE,
                     "--gate-args", "forged=--forge-receipt"});
  EXPECT_EQ(r.code, 4) << r.output;
  const std::string ledger = ReadAll(dir_ / "p" / "ledger.md");
  EXPECT_NE(ledger.find("| forged | correctness failure |"), std::string::npos) << ledger;
  EXPECT_NE(ledger.find("receipts re-verified by the pipeline: 0 ok, 1 failed"), std::string::npos) << ledger;
  EXPECT_NE(ReadAll(dir_ / "p" / "junit.xml").find("type=\"receipt\""), std::string::npos);
}

// A gate that exits 0 with an outcome nobody can read (or none: /bin/true)
// passed the pipeline before; now it is an error, noted in the hop log.
TEST_F(GatesE2e, UnreadableOrMissingGateOutcomeIsAnErrorAndTheLedgerIsStillWritten) {
  const Ran none = Run({BITGATE_BINARY, "pipeline", "--db", db_, "--branch", "pr", "--commit", "c4", "--gates",
                        "true", "--out", (dir_ / "t").string(), "--gate-exe", "true=/bin/true"});
  EXPECT_EQ(none.code, 2) << none.output;
  const std::string ledger_none = ReadAll(dir_ / "t" / "ledger.md");
  EXPECT_NE(ledger_none.find("| true | error |"), std::string::npos) << ledger_none;
  EXPECT_NE(ledger_none.find("true: outcome not read: cannot read " + (dir_ / "t" / "true").string() + "/gate.json"),
            std::string::npos) << ledger_none;
  const Ran r = Run({BITGATE_BINARY, "pipeline", "--db", db_, "--branch", "pr", "--commit", "c5", "--gates", "bad",
                     "--out", (dir_ / "p").string(), "--gate-exe", std::string("bad=") + BITGATE_CRASH_GATE,
                     "--gate-args", "bad=--bad-outcome"});
  EXPECT_EQ(r.code, 2) << r.output;
  const std::string ledger = ReadAll(dir_ / "p" / "ledger.md");
  EXPECT_NE(ledger.find("| bad | error |"), std::string::npos) << ledger;
  EXPECT_NE(ledger.find("bad: outcome not read: " + (dir_ / "p" / "bad").string() +
                        "/gate.json: format is not \"bitgate-gate-outcome\""),
            std::string::npos)
      << ledger;
  EXPECT_EQ(Run({BITGATE_BINARY, "report", "--db", db_, "--run", "2"}).code, 2);  // the record was stored
}

}  // namespace
}  // namespace bitgate::gates
