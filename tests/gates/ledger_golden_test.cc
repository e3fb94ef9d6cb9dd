// Golden-output tests of the pipeline ledger (markdown and JUnit), in the
// style of Google Benchmark's output tests: a fixed ledger (a regressed
// throughput gate, a crashed gate, a missing gate) rendered and compared
// line by line with tests/data/golden/ledger/. Timestamps and durations are
// normalised first. Regenerate after an intended change with
//   BITGATE_UPDATE_GOLDEN=1 build/.../gates_ledger_golden_test
// (that run writes the files and fails; review the diff and run again)
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "baselines/verdict.h"
#include "reports/ledger.h"

namespace bitgate::reports {
namespace {

using baselines::ComparisonInput;
using baselines::Direction;

baselines::MachineInfo Machine(const std::string& compiler) {
  baselines::MachineInfo m;
  m.cpu_model = "Example CPU 9000";
  m.isa_flags = "avx2 fma f16c avx512f avx512bw avx512vl avx512vnni";
  m.cores = 2;
  m.os = "Linux x86_64";
  m.compiler = compiler;
  m.build_type = "Release";
  m.host_name = "ci-runner";
  return m;
}

std::vector<double> Around(double center, double spread) {
  // Ten fixed samples: center * (1 + spread * k/10), k = -5..4.
  std::vector<double> v;
  for (int k = -5; k < 5; ++k) v.push_back(center * (1 + spread * k / 10.0));
  return v;
}

ComparisonInput Input(const char* benchmark, const char* measure, const char* unit, Direction d,
                      std::vector<double> baseline, std::vector<double> candidate) {
  ComparisonInput in;
  in.benchmark = benchmark;
  in.measure = measure;
  in.unit = unit;
  in.direction = d;
  in.baseline = std::move(baseline);
  in.candidate = std::move(candidate);
  return in;
}

Ledger GoldenLedger() {
  Ledger l;
  PipelineRecord& p = l.pipeline;
  p.id = 7;
  p.branch = "feature/faster-gemv";
  p.commit = "0123456789abcdef0123456789abcdef01234567";
  p.merge_base = "fedcba9876543210fedcba9876543210fedcba98";
  p.baseline_branch = "main";
  p.started_at = "2026-01-02T03:04:05.678Z";
  p.ended_at = "2026-01-02T03:05:06.789Z";
  p.exit_code = 2;
  p.command = "bitgate pipeline --branch feature/faster-gemv --commit 0123456789abcdef0123456789abcdef01234567";
  p.hops = {{"2026-01-02T03:04:05.678Z", "pipeline start"},
            {"2026-01-02T03:04:05.700Z", "start fuzz: bitgate-fuzz --db 'ci store.db' --branch feature/faster-gemv --out bitgate-out/fuzz"},
            {"2026-01-02T03:04:07.100Z", "fuzz: signal 11 (Segmentation fault) in 1.4 s -> crashed"},
            {"2026-01-02T03:04:07.101Z", "accuracy: missing (not found)"},
            {"2026-01-02T03:05:06.700Z", "throughput: exit 1 in 59.6 s -> regression"},
            {"2026-01-02T03:05:06.789Z", "pipeline end: exit 2"}};

  GateLedger fuzz;
  fuzz.gate = {"fuzz", "bitgate-fuzz", GateStatus::kCrashed, "signal 11 (Segmentation fault)", 1.4, 0,
               "bitgate-out/fuzz", "fuzz: gguf reader, 1200 execs\nSegmentation fault", 0, {}};
  GateLedger accuracy;
  accuracy.gate = {"accuracy", "", GateStatus::kMissing, "not found: no bitgate-accuracy", 0, 0,
                   "bitgate-out/accuracy", "", 0, {}};

  GateLedger tp;
  tp.gate = {"throughput", "bitgate-throughput", GateStatus::kRegression, "exit 1", 59.6, 12,
             "bitgate-out/throughput", "", 10, {}};
  GateOutcome o;
  o.gate = "throughput";
  o.exit_code = 1;
  o.run_id = 12;
  o.baseline_run_ids = {9};
  o.baseline_source = "merge-base";
  o.slos = {{"stop-token lookup", "ns", 1.5, 10, "<", "engine/stop/contains real_time median", false, true, ""},
            {"generate 128 tokens (2b-shaped model)", "ns", 2.5e8, 1e10, "<=", "engine/generate/total", true, true,
             "the target is for the 2b-shaped model"}};
  tp.outcome = o;

  baselines::ComparisonReport c;
  c.candidate.id = 12;
  c.candidate.suite = "throughput";
  c.candidate.branch = p.branch;
  c.candidate.commit = p.commit;
  c.candidate.machine = Machine("gcc 12.2.0");
  baselines::BenchmarkResult mem;
  mem.suite = "engine";
  mem.name = "memory/resident";
  mem.params = "model.gguf";
  mem.measures = {{"peak_rss", "bytes", Direction::kLowerIsBetter, std::vector<double>(10, 1.1 * 1048576 * 1024)},
                  {"model_and_kv", "bytes", Direction::kLowerIsBetter, std::vector<double>(10, 1048576.0 * 1024)}};
  c.candidate.benchmarks = {mem};
  c.baseline.source = baselines::BaselineSource::kMergeBase;
  c.baseline.run_ids = {9};
  c.baseline.commit = p.merge_base;
  std::vector<ComparisonInput> inputs(4);
  inputs[0] = Input("gemv/i2_s/avx512/2560x2560", "cpu_time", "ns", Direction::kLowerIsBetter, Around(90000, 0.02),
               Around(99000, 0.02));
  inputs[1] = Input("dequantize/i2_s/16384", "cpu_time", "ns", Direction::kLowerIsBetter, Around(1000, 0.02),
                    Around(1001, 0.02));
  inputs[2] = Input("generate/decode [tokens=128 threads=1]", "tokens_per_second", "tokens/s",
                    Direction::kHigherIsBetter, Around(9000, 0.02), Around(10000, 0.02));
  inputs[3] = Input("stop/contains [vocab=512]", "real_time", "ns", Direction::kLowerIsBetter, {}, Around(1.5, 0.02));
  c.config.delta = 0.05;
  c.rows = baselines::CompareAll(inputs, c.config);
  c.summary = baselines::Summarize(c.rows);
  tp.comparison = c;

  l.gates = {fuzz, accuracy, tp};
  l.trends = {{"generate/decode [tokens=128 threads=1]", "tokens_per_second", "tokens/s",
               {{"aaaaaaa #3", 8900, 10}, {"bbbbbbb #6", 9050, 10}, {"fedcba9 #9", 9000, 10},
                {"this run 0123456", 10000, 10}}}};
  l.machine = Machine("gcc 12.2.0");
  l.baseline_machine = Machine("gcc 12.3.0");
  return l;
}

std::string Normalize(std::string s) {
  s = std::regex_replace(s, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)"), "<timestamp>");
  s = std::regex_replace(s, std::regex(R"(time="[0-9.]+")"), "time=\"<t>\"");
  s = std::regex_replace(s, std::regex(R"(\b[0-9]+\.[0-9] s\b)"), "<seconds> s");
  return s;
}

void ExpectGolden(const std::string& actual, const std::string& name) {
  const std::string path = std::string(BITGATE_TEST_DATA) + "/golden/ledger/" + name;
  const std::string got = Normalize(actual);
  if (std::getenv("BITGATE_UPDATE_GOLDEN")) {
    // A failure, not a skip: with the variable left in a shell, ctest would
    // otherwise rewrite the golden files and report success.
    std::ofstream(path, std::ios::binary) << got;
    FAIL() << "wrote " << path << ": check the diff, then run again without BITGATE_UPDATE_GOLDEN";
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with BITGATE_UPDATE_GOLDEN=1)";
  std::stringstream want;
  want << in.rdbuf();
  // Line by line, so a failure names the first line that differs.
  std::istringstream a(got), b(want.str());
  std::string la, lb;
  int line = 0;
  while (true) {
    const bool ha = static_cast<bool>(std::getline(a, la)), hb = static_cast<bool>(std::getline(b, lb));
    ++line;
    if (!ha && !hb) break;
    ASSERT_EQ(ha, hb) << name << ": length differs at line " << line;
    ASSERT_EQ(la, lb) << name << ": line " << line;
  }
}

TEST(LedgerGolden, Markdown) { ExpectGolden(LedgerMarkdown(GoldenLedger()), "ledger.md"); }

TEST(LedgerGolden, Junit) { ExpectGolden(LedgerJunit(GoldenLedger()), "junit.xml"); }

TEST(LedgerGolden, HeadlineCountsEverything) {
  EXPECT_EQ(LedgerHeadline(GoldenLedger()),
            "**ERROR**: 3 gates (1 regression, 1 crashed, 1 missing) · 4 verdict rows: 1 REGRESSION (1 confirmed), "
            "1 IMPROVEMENT, 1 PASS, 1 INCONCLUSIVE · SLOs: 1 pass, 0 fail, 1 skipped · 0 correctness failures");
}

// A receipt that does not re-verify makes the gate a correctness failure:
// the headline counted only the gate's own checks ("0 correctness
// failures" beside CORRECTNESS FAILURE).
TEST(LedgerGolden, HeadlineCountsReceiptFailures) {
  Ledger l = GoldenLedger();
  l.gates[0].gate.receipt_failures = {"receipts/decode.json: tokens/s does not re-verify"};
  EXPECT_NE(LedgerHeadline(l).find(" · 1 correctness failure"), std::string::npos) << LedgerHeadline(l);
}

// GitHub refuses a step summary over 1 MiB whole: a longer ledger is cut
// at a line end, with a note naming the full file, within the limit.
TEST(LedgerGolden, JobSummaryIsCutToTheLimit) {
  const std::string md = LedgerMarkdown(GoldenLedger());
  EXPECT_EQ(JobSummaryText(md, "out/ledger.md"), md);
  const std::string cut = JobSummaryText(md, "out/ledger.md", 1000);
  EXPECT_LE(cut.size(), 1000u);
  const std::string note = "\n> the ledger is longer than a GitHub job summary takes: the full ledger is out/ledger.md\n";
  ASSERT_GT(cut.size(), note.size());
  EXPECT_EQ(cut.substr(cut.size() - note.size()), note);
  const std::string kept = cut.substr(0, cut.size() - note.size());
  ASSERT_GT(kept.size(), 500u);
  EXPECT_EQ(md.compare(0, 500, kept, 0, 500), 0);  // the ledger's own start
  // What the cut left open is closed before the note: a fence (the gates'
  // output tails) and <details> blocks (the rows), so the note shows.
  for (size_t limit : {2000u, 3000u, 4000u, 6000u}) {
    const std::string t = JobSummaryText(md, "out/ledger.md", limit);
    EXPECT_LE(t.size(), limit);
    size_t fences = 0, opened = 0, closed = 0;
    for (size_t at = 0; (at = t.find("\n```", at)) != std::string::npos; ++at) ++fences;
    for (size_t at = 0; (at = t.find("<details>", at)) != std::string::npos; ++at) ++opened;
    for (size_t at = 0; (at = t.find("</details>", at)) != std::string::npos; ++at) ++closed;
    EXPECT_EQ(fences % 2, 0u) << limit << "\n" << t;
    EXPECT_EQ(opened, closed) << limit << "\n" << t;
  }
}

// A four-backtick fence (an output tail that holds ``` lines) is closed
// with four: three would not close it, and the note after the cut (and
// the </details> closers) had rendered as code.
TEST(LedgerGolden, JobSummaryClosesALongFenceWithItsLength) {
  std::string md = "# ledger\n\n<details><summary>tail</summary>\n\n````\nstep 1\n```\ncode in the log\n```\n";
  while (md.size() < 4000) md += "a line of gate output that goes on for a while\n";
  md += "````\n\n</details>\n";
  const std::string t = JobSummaryText(md, "out/ledger.md", 2000);
  EXPECT_LE(t.size(), 2000u);
  const size_t note = t.find("\n> the ledger is longer");
  ASSERT_NE(note, std::string::npos);
  const std::string before = t.substr(0, note);
  EXPECT_TRUE(before.ends_with("output that goes on for a while\n````\n\n</details>\n")) << before.substr(before.size() - 80);
}

// However long the open fence (an output tail with a long backtick run),
// the cut text stays within the limit, the fence closed with its length.
TEST(LedgerGolden, CutStaysWithinTheLimitForAnyFence) {
  const std::string fence(600, '`');
  std::string md = "# ledger\n\n" + fence + "\n" + std::string(599, '`') + "\n";
  while (md.size() < 6000) md += "output line\n";
  md += fence + "\n";
  const std::string t = CutLedgerText(md, 2000, "> cut");
  EXPECT_LE(t.size(), 2000u);
  EXPECT_TRUE(t.ends_with("\n" + fence + "\n\n> cut\n")) << t.substr(t.size() > 700 ? t.size() - 700 : 0);
  EXPECT_EQ(CutLedgerText(md, 20, "> a note longer than the limit"), "");
}

TEST(LedgerGolden, JsonCarriesStateAndMarker) {
  const std::string j = LedgerJson(GoldenLedger());
  EXPECT_NE(j.find("\"state\": \"ERROR\""), std::string::npos);
  EXPECT_NE(j.find("bitgate-ledger:v1 branch=feature/faster-gemv"), std::string::npos);
}

TEST(LedgerGolden, PipelineExitPrecedence) {
  EXPECT_EQ(MostSevereExitCode(0, 3), 3);
  EXPECT_EQ(MostSevereExitCode(3, 1), 1);
  EXPECT_EQ(MostSevereExitCode(1, 4), 4);
  EXPECT_EQ(MostSevereExitCode(4, 2), 2);
  EXPECT_EQ(MostSevereExitCode(0, 139), 2);  // a signal: no verdict
  std::vector<PipelineGate> gates(2);
  gates[0].status = GateStatus::kRegression;
  gates[1].status = GateStatus::kCorrectness;
  EXPECT_EQ(PipelineExitCode(gates), 4);
  EXPECT_EQ(GateStatusOf(-1, 11, false), GateStatus::kCrashed);
  EXPECT_EQ(GateStatusOf(-1, 15, true), GateStatus::kTimeout);
  EXPECT_EQ(GateStatusOf(7, 0, false), GateStatus::kCrashed);  // outside the contract
}

}  // namespace
}  // namespace bitgate::reports
