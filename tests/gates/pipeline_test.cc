// `bitgate pipeline` with the stand-in gate (crash_gate.cc): how gate
// arguments are passed, console text that is not clean UTF-8, and the
// re-render command of a ledger kept in another store than the default.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gates/subprocess.h"
#include "reports/format.h"
#include "tests/gates/gate_test_util.h"

namespace bitgate::gates {
namespace {

namespace fs = std::filesystem;

using gate_test::ReadAll;
using gate_test::Ran;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / (std::string("bitgate-pipeline-") + info->name() + "-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "db" / "baselines.db").string();
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // The pipeline with one stand-in gate named `gate`, given `gate_args`.
  Ran Pipeline(const std::string& gate, const std::string& gate_args, const std::string& out = "p",
               const std::map<std::string, std::optional<std::string>>& env = {}) {
    ProcessOptions p;
    p.env = env;
    p.argv = {BITGATE_BINARY, "pipeline", "--db", db_, "--branch", "pr", "--commit", "c1", "--gates", gate,
              "--out", (dir_ / out).string(), "--gate-exe", gate + "=" + BITGATE_CRASH_GATE,
              "--gate-args", gate + "=" + gate_args};
    p.timeout_seconds = 60;
    p.output_file = (dir_ / ("out-" + std::to_string(runs_++) + ".txt")).string();
    return gate_test::RunCaptured(p);
  }

  fs::path dir_;
  std::string db_;
  int runs_ = 0;
};

// Options the pipeline would otherwise ignore or misread are usage errors:
// an option for a gate --gates does not run (a typo), a second executable
// for one gate (its paths were glued into one), both --model and --preset,
// --baseline-build without the throughput gate.
TEST_F(PipelineTest, OptionsThatWouldBeIgnoredAreUsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::string crash = BITGATE_CRASH_GATE;
  for (const auto& c : {Case{{"--gates", "echo", "--gate-exe", "ecko=" + crash}, "--gates does not run a gate 'ecko'"},
                        Case{{"--gates", "echo", "--gate-args", "ehco=--x"}, "--gates does not run a gate 'ehco'"},
                        Case{{"--gates", "echo", "--gate-exe", "echo=" + crash, "--gate-exe", "echo=/bin/true"},
                             "--gate-exe given twice for gate 'echo'"},
                        Case{{"--gates", "echo", "--model", "m.gguf", "--preset", "tiny"}, "--model and --preset"},
                        Case{{"--gates", "fuzz", "--baseline-build", "/tmp"}, "--baseline-build is for the throughput"}}) {
    ProcessOptions p;
    p.argv = {BITGATE_BINARY, "pipeline", "--db", db_, "--branch", "pr", "--commit", "c1", "--out", (dir_ / "o").string()};
    p.argv.insert(p.argv.end(), c.args.begin(), c.args.end());
    p.output_file = (dir_ / ("opt-" + std::to_string(runs_++) + ".txt")).string();
    const Ran r = gate_test::RunCaptured(p);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
  }
}

// A run that stops at a usage error leaves no ledger of an earlier run in
// --out: an old PASS junit.xml beside exit 2 would be what CI reports.
TEST_F(PipelineTest, AUsageErrorLeavesNoEarlierLedgerBehind) {
  ASSERT_EQ(Pipeline("echo", "--print-args", "u").code, 0);
  for (const char* f : {"ledger.md", "results.json", "junit.xml"}) ASSERT_TRUE(fs::exists(dir_ / "u" / f)) << f;
  ProcessOptions p;
  p.argv = {BITGATE_BINARY, "pipeline", "--db", db_, "--branch", "pr", "--commit", "c1", "--out", (dir_ / "u").string(),
            "--gates", "echo", "--model", "m.gguf", "--preset", "tiny"};
  p.output_file = (dir_ / "usage.txt").string();
  EXPECT_EQ(gate_test::RunCaptured(p).code, 2);
  for (const char* f : {"ledger.md", "results.json", "junit.xml"}) EXPECT_FALSE(fs::exists(dir_ / "u" / f)) << f;
}

// A ledger file that cannot be written makes the pipeline exit 2 after its
// record was stored; the stored record says 2 as well, so `bitgate report`
// does not pass it.
TEST_F(PipelineTest, ALedgerFileThatCannotBeWrittenIsStoredAsExit2) {
  fs::create_directories(dir_ / "w" / "junit.xml");  // a directory: the rename over it fails
  const Ran r = Pipeline("echo", "--print-args", "w");
  EXPECT_EQ(r.code, 2) << r.output;
  // ledger.md and results.json, written before junit.xml failed, are
  // written again with the final state (they said PASS while the process
  // exited 2).
  const std::string md = ReadAll(dir_ / "w" / "ledger.md");
  EXPECT_NE(md.find("state=ERROR"), std::string::npos) << md;
  EXPECT_EQ(md.find("state=PASS"), std::string::npos) << md;
  EXPECT_EQ(nlohmann::json::parse(ReadAll(dir_ / "w" / "results.json"))["pipeline"]["exit_code"], 2);
  ProcessOptions p;
  p.argv = {BITGATE_BINARY, "report", "--db", db_, "--run", "1"};
  p.output_file = (dir_ / "report.txt").string();
  EXPECT_EQ(gate_test::RunCaptured(p).code, 2);
}

// A job summary that cannot be appended to is exit 2, as in `compare`
// (it was a warning), and the files already written say so.
TEST_F(PipelineTest, AJobSummaryThatCannotBeWrittenIsExit2) {
  fs::create_directories(dir_ / "summary-is-a-directory");
  const Ran r = Pipeline("echo", "--print-args", "s", {{"GITHUB_STEP_SUMMARY", (dir_ / "summary-is-a-directory").string()}});
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("cannot append the ledger to the job summary"), std::string::npos) << r.output;
  EXPECT_NE(ReadAll(dir_ / "s" / "ledger.md").find("state=ERROR"), std::string::npos);
}

// --gate-args GATE='ARGS' is split like a shell would split ARGS. It was
// split at every space, so an argument holding a space (a kernel filter,
// a path) could not be passed and the quotes were passed on as text.
TEST_F(PipelineTest, GateArgsHonourShellQuoting) {
  const Ran r = Pipeline("echo", R"(--print-args --kernel-filter 'gemv/i2_s/avx2/2560x2560 x' "a b"  c\ d)");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string console = ReadAll(dir_ / "p" / "echo" / "console.log");
  EXPECT_NE(console.find("[--print-args] [--kernel-filter] [gemv/i2_s/avx2/2560x2560 x] [a b] [c d] \n"),
            std::string::npos)
      << console;
  // The hop log shows the command line quoted, so it can be pasted.
  EXPECT_NE(ReadAll(dir_ / "p" / "ledger.md").find("'gemv/i2_s/avx2/2560x2560 x' 'a b' 'c d'"), std::string::npos);

  // An escape split_unix does not know is a usage error naming the option.
  const Ran bad = Pipeline("echo", R"(--print-args a\qb)", "bad");
  EXPECT_EQ(bad.code, 2) << bad.output;
  EXPECT_NE(bad.output.find(R"(bitgate pipeline: error: --gate-args echo='--print-args a\qb': unknown escape)"),
            std::string::npos)
      << bad.output;
  // So is an unmatched quote (split_unix alone let it through).
  const Ran open = Pipeline("echo", R"(--print-args 'a b)", "open");
  EXPECT_EQ(open.code, 2) << open.output;
  EXPECT_NE(open.output.find("unmatched quote"), std::string::npos) << open.output;
}

// A gate whose console output is not clean UTF-8: the tail the pipeline
// keeps (the last 4096 bytes) starts inside a 2-byte character, and a line
// holds a byte that is not UTF-8. Storing the record threw nlohmann's
// type_error.316 out of `bitgate pipeline` (exit 2, no ledger, no record).
TEST_F(PipelineTest, ConsoleTailThatIsNotUtf8IsKeptAndTheLedgerWritten) {
  const Ran r = Pipeline("noisy", "--console-utf8");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* name : {"ledger.md", "results.json", "junit.xml"})
    EXPECT_TRUE(fs::exists(dir_ / "p" / name)) << name << "\n" << r.output;
  const auto ledger = nlohmann::json::parse(ReadAll(dir_ / "p" / "results.json"));
  const std::string tail = ledger["pipeline"]["gates"][0]["output_tail"].get<std::string>();
  // Cut at a character boundary (no U+FFFD for the cut character), the
  // byte that is not UTF-8 replaced.
  EXPECT_EQ(tail.rfind("\xC3\xA9\xC3\xA9", 0), 0u) << tail.substr(0, 16);
  const std::string last = "bad byte \xEF\xBF\xBD here";
  ASSERT_GE(tail.size(), last.size());
  EXPECT_EQ(tail.substr(tail.size() - last.size()), last);
  EXPECT_EQ(reports::ValidUtf8(tail), tail);
  // Stored: the ledger re-renders from the store, byte for byte.
  const std::string rerender = (dir_ / "rerender.md").string();
  ProcessOptions p;
  p.argv = {BITGATE_BINARY, "report", "--db", db_, "--run", "1", "--output", rerender};
  p.output_file = (dir_ / "report.txt").string();
  EXPECT_EQ(gate_test::RunCaptured(p).code, 0);
  EXPECT_EQ(ReadAll(rerender), ReadAll(dir_ / "p" / "ledger.md"));
}

// Record text that is not UTF-8 (here the branch name; a receipt's parse
// error quotes its bytes raw) is rendered as it is stored: U+FFFD in both
// the pipeline's ledger and its re-render, which stay byte-identical.
TEST_F(PipelineTest, ARecordThatIsNotUtf8RendersAsStored) {
  ProcessOptions p;
  p.argv = {BITGATE_BINARY, "pipeline", "--db", db_, "--branch", "caf\xE9", "--commit", "c1", "--gates", "echo",
            "--out", (dir_ / "b").string(), "--gate-exe", std::string("echo=") + BITGATE_CRASH_GATE,
            "--gate-args", "echo=--print-args"};
  p.timeout_seconds = 60;
  p.output_file = (dir_ / "branch.txt").string();
  const Ran r = gate_test::RunCaptured(p);
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string md = ReadAll(dir_ / "b" / "ledger.md");
  EXPECT_EQ(reports::ValidUtf8(md), md);
  EXPECT_NE(md.find("caf\xEF\xBF\xBD"), std::string::npos) << md.substr(0, 400);
  const std::string rerender = (dir_ / "rerender-b.md").string();
  ProcessOptions rep;
  rep.argv = {BITGATE_BINARY, "report", "--db", db_, "--run", "1", "--output", rerender};
  rep.output_file = (dir_ / "report-b.txt").string();
  EXPECT_EQ(gate_test::RunCaptured(rep).code, 0);
  EXPECT_EQ(ReadAll(rerender), md);
}

// `report --cut` (the PR comment): a ledger over the limit is cut at a
// line end, what the cut leaves open is closed, the note names where the
// full ledger is; a ledger within the limit prints whole.
TEST_F(PipelineTest, ReportCutFitsALedgerIntoALimit) {
  ASSERT_EQ(Pipeline("echo", "--print-args", "c").code, 0);
  const fs::path ledger = dir_ / "c" / "ledger.md";
  const std::string md = ReadAll(ledger);
  auto cut = [&](const std::string& max_bytes, const std::string& out) {
    ProcessOptions p;
    p.argv = {BITGATE_BINARY, "report", "--cut", ledger.string(), "--max-bytes", max_bytes,
              "--full-ledger", "in the artifact", "--output", (dir_ / out).string()};
    p.output_file = (dir_ / (out + ".txt")).string();
    return gate_test::RunCaptured(p);
  };
  ASSERT_EQ(cut("1000000", "whole.md").code, 0);
  EXPECT_EQ(ReadAll(dir_ / "whole.md"), md);
  ASSERT_GT(md.size(), 1200u);
  ASSERT_EQ(cut("1200", "small.md").code, 0);
  const std::string small = ReadAll(dir_ / "small.md");
  EXPECT_LE(small.size(), 1200u);
  EXPECT_EQ(small.rfind(md.substr(0, 200), 0), 0u);  // the ledger's own start, marker first
  EXPECT_TRUE(small.ends_with("\n> the ledger is longer than 1200 bytes: the full ledger is in the artifact\n")) << small;
  const Ran bad = cut("10", "tiny.md");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("--max-bytes must be at least 256"), std::string::npos) << bad.output;
}

// With a store other than the default, the ledger's re-render command
// names it: `bitgate report --run ID` alone failed with "no baseline store
// at .bitgate/baselines.db".
TEST_F(PipelineTest, RerenderCommandNamesANonDefaultStore) {
  const Ran r = Pipeline("echo", "--print-args");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string ledger = ReadAll(dir_ / "p" / "ledger.md");
  EXPECT_NE(ledger.find("Re-render from the store: `bitgate report --db " + db_ + " --run 1`\n"), std::string::npos)
      << ledger;
}

}  // namespace
}  // namespace bitgate::gates
