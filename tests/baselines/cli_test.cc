// End-to-end tests of `bitgate baseline|compare|history`: the commands a
// CI job runs, their output and their exit codes (docs/EXIT_CODES.md).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "baselines/result_json.h"

#ifndef BITGATE_BINARY
#error "BITGATE_BINARY must name the bitgate executable"
#endif

namespace bitgate::baselines {
namespace {

namespace fs = std::filesystem;

struct Output {
  int code = -1;
  std::string text;  // stdout and stderr
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bitgate_cli_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "store" / "baselines.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `redirect` sends stderr (and by default stdout) into the pipe read here.
  Output Run(const std::string& args, const std::string& redirect = " 2>&1") {
    // The binary's path quoted (a checkout path may hold a space); the
    // test's own arguments are shell text on purpose (redirections).
    std::string quoted = "'";
    for (char c : std::string(BITGATE_BINARY)) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    const std::string cmd = quoted + "' " + args + redirect;
    Output out;
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe) return out;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.text.append(buf.data(), n);
    const int status = pclose(pipe);
    out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
  }

  // A bitgate result with 4 benchmarks x 10 repetitions; `slow` scales
  // benchmark 3. Deterministic wiggle of +/-0.5%.
  std::string WriteResult(const std::string& name, const std::string& commit, double slow,
                          const std::string& cpu = "Test CPU") {
    RunRecord run;
    run.gate = "perf";
    run.suite = "kernels";
    run.branch = "main";
    run.commit = commit;
    run.machine.cpu_model = cpu;
    run.machine.cores = 2;
    for (int b = 0; b < 4; ++b) {
      BenchmarkResult br;
      br.name = "bench" + std::to_string(b);
      br.suite = "kernels";
      MeasureSamples m{"time", "ns", Direction::kLowerIsBetter, {}};
      for (int r = 0; r < 10; ++r)
        m.samples.push_back((b == 3 ? slow : 1.0) * 1000.0 * (b + 1) * (1.0 + 0.005 * std::sin(r * 1.7 + b)));
      br.measures.push_back(m);
      run.benchmarks.push_back(br);
    }
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << WriteResultJson(run);
    return path;
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(CliTest, ImportCompareHistoryAndExitCodes) {
  auto r = Run("baseline import --format bitgate " + WriteResult("base.json", "base1", 1.0) +
               " --branch main --commit base1 --db " + db_);
  ASSERT_EQ(r.code, 0) << r.text;
  EXPECT_NE(r.text.find("imported run 1: 4 benchmarks, 40 samples"), std::string::npos) << r.text;

  // An unchanged candidate passes; a 10% slower benchmark fails with 1.
  r = Run("compare --candidate-file " + WriteResult("same.json", "f1", 1.0) + " --merge-base base1 --db " + db_);
  EXPECT_EQ(r.code, 0) << r.text;
  EXPECT_NE(r.text.find("4 PASS"), std::string::npos) << r.text;
  r = Run("compare --candidate-file " + WriteResult("slow.json", "f2", 1.10) + " --merge-base base1 --db " + db_);
  EXPECT_EQ(r.code, 1) << r.text;
  EXPECT_NE(r.text.find("| bench3 | time ns (lower better) |"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("REGRESSION (confirmed)"), std::string::npos) << r.text;

  // The job summary gets the same markdown appended.
  const std::string summary = (dir_ / "summary.md").string();
  ::setenv("GITHUB_STEP_SUMMARY", summary.c_str(), 1);
  r = Run("compare --github-summary --format json --candidate-file " + (dir_ / "slow.json").string() +
          " --merge-base base1 --db " + db_);
  ::unsetenv("GITHUB_STEP_SUMMARY");
  EXPECT_EQ(r.code, 1);
  {
    std::ifstream in(summary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text.rfind("<!-- bitgate:compare v1 -->", 0), 0u) << text;
    EXPECT_NE(text.find("REGRESSION (confirmed)"), std::string::npos);
  }

  // JSON output carries the raw p-values.
  r = Run("compare --format json --candidate-file " + (dir_ / "slow.json").string() + " --merge-base base1 --db " + db_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.text.find("\"p\": "), std::string::npos);

  // A stored candidate gets its verdicts recorded; an annotation accepts it.
  r = Run("baseline import --format bitgate " + (dir_ / "slow.json").string() +
          " --branch feature --commit f2 --merge-base base1 --db " + db_);
  ASSERT_EQ(r.code, 0) << r.text;
  r = Run("compare --candidate-run 2 --db " + db_);
  EXPECT_EQ(r.code, 1) << r.text;
  r = Run("baseline annotate --branch feature --commit f2 --benchmark 'bench3' --message 'accepted' --db " + db_);
  ASSERT_EQ(r.code, 0) << r.text;
  r = Run("compare --candidate-run 2 --db " + db_);
  EXPECT_EQ(r.code, 0) << r.text;
  EXPECT_NE(r.text.find("REGRESSION (confirmed, accepted)"), std::string::npos) << r.text;

  // A machine with no baseline: 0 normally, 3 in strict mode.
  const std::string other = WriteResult("other.json", "f3", 1.0, "Other CPU");
  r = Run("compare --candidate-file " + other + " --merge-base base1 --db " + db_);
  EXPECT_EQ(r.code, 0) << r.text;
  EXPECT_NE(r.text.find("environment mismatch"), std::string::npos) << r.text;
  r = Run("compare --strict --candidate-file " + other + " --merge-base base1 --db " + db_);
  EXPECT_EQ(r.code, 3) << r.text;

  r = Run("baseline list --db " + db_);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.text.find("feature"), std::string::npos);
  r = Run("baseline show 1 --db " + db_);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.text.find("bench3"), std::string::npos);
  r = Run("history bench3 --measure time --db " + db_);
  EXPECT_EQ(r.code, 0) << r.text;
  EXPECT_NE(r.text.find("No change point"), std::string::npos) << r.text;
}

TEST_F(CliTest, StoreSeedsTheBaselineBranch) {
  // First run on main: no baseline yet, exit 0, stored.
  auto r = Run("compare --store --candidate-file " + WriteResult("m1.json", "m1", 1.0) +
               " --branch main --commit m1 --db " + db_);
  EXPECT_EQ(r.code, 0) << r.text;
  EXPECT_NE(r.text.find("no baseline"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("stored the candidate as run 1"), std::string::npos) << r.text;
  // Second run on main, 10% slower: compared with the first, not itself.
  r = Run("compare --store --candidate-file " + WriteResult("m2.json", "m2", 1.10) +
          " --branch main --commit m2 --db " + db_);
  EXPECT_EQ(r.code, 1) << r.text;
  EXPECT_NE(r.text.find("baseline: m1"), std::string::npos) << r.text;
  r = Run("compare --baseline-commit latest --candidate-file " + (dir_ / "m1.json").string() + " --db " + db_);
  EXPECT_NE(r.text.find("baseline: m2"), std::string::npos) << r.text;
}

TEST_F(CliTest, ErrorsExitWithTwoAndKeepTheStore) {
  ASSERT_EQ(Run("baseline import --format bitgate " + WriteResult("base.json", "base1", 1.0) +
                " --branch main --commit base1 --db " + db_).code,
            0);
  const std::string truncated = (dir_ / "truncated.json").string();
  {
    std::ifstream in(dir_ / "base.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(truncated) << text.substr(0, text.size() / 2);
  }
  auto r = Run("baseline import --format bitgate " + truncated + " --branch main --commit x --db " + db_);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.text.find("malformed JSON at byte"), std::string::npos) << r.text;
  r = Run("baseline import --format gbench " + truncated + " --branch main --commit x --db " + db_);
  EXPECT_EQ(r.code, 2);
  const std::string not_db = (dir_ / "not.db").string();
  std::ofstream(not_db) << "plain text";
  r = Run("baseline list --db " + not_db);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.text.find("not a database"), std::string::npos) << r.text;
  EXPECT_EQ(Run("compare --db " + db_).code, 2);  // neither candidate option
  EXPECT_EQ(Run("compare --candidate-run 1 --delta abc --db " + db_).code, 2);
  // A stored run's branch and commit are its own: overriding them was
  // silently ignored. So were --store and the extreme --min-samples.
  r = Run("compare --candidate-run 1 --branch other --db " + db_);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.text.find("--branch does not apply to --candidate-run"), std::string::npos) << r.text;
  EXPECT_EQ(Run("compare --candidate-run 1 --store --db " + db_).code, 2);
  EXPECT_EQ(Run("compare --candidate-run 1 --candidate-format gbench --db " + db_).code, 2);
  r = Run("compare --no-record --candidate-file " + WriteResult("nr.json", "f9", 1.0) + " --db " + db_);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.text.find("--no-record applies to a stored candidate"), std::string::npos) << r.text;
  r = Run("compare --candidate-run 1 --min-samples 0 --db " + db_);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.text.find("--min-samples 0: must lie in [2, 1000]"), std::string::npos) << r.text;
  EXPECT_EQ(Run("baseline frobnicate").code, 2);
  EXPECT_EQ(Run("baseline").code, 2);
  r = Run("baseline list --db " + db_);
  EXPECT_NE(r.text.find("base1"), std::string::npos);  // still there
}

TEST_F(CliTest, LockedOrNewerStoreExitsTwoAndLosesNothing) {
  const std::string base = WriteResult("base.json", "base1", 1.0);
  ASSERT_EQ(Run("baseline import --format bitgate " + base + " --branch main --commit base1 --db " + db_).code, 0);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto r = Run("baseline import --format bitgate " + base + " --branch main --commit base2 --busy-timeout 100 --db " + db_);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.text.find("database is locked"), std::string::npos) << r.text;
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  ASSERT_EQ(sqlite3_exec(other, "PRAGMA user_version = 7", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  r = Run("baseline list --db " + db_);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.text.find("schema version 7, newer"), std::string::npos) << r.text;
  // Nothing lost: the first run is still there once the version is restored.
  ASSERT_EQ(sqlite3_open(db_.c_str(), &other), SQLITE_OK);
  sqlite3_exec(other, "PRAGMA user_version = 1", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  r = Run("baseline list --db " + db_);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.text.find("base1"), std::string::npos);
  EXPECT_EQ(r.text.find("base2"), std::string::npos);
}

// The verbs that only read fail on a missing store instead of creating an
// empty one: a mistyped --db left a new file behind, and compare against it
// found no baseline and passed. The verbs that add data still create it.
TEST_F(CliTest, ReadOnlyVerbsDoNotCreateAStore) {
  const std::string typo = (dir_ / "typo" / "basel1nes.db").string();
  const std::string result = WriteResult("r.json", "c1", 1.0);
  const std::vector<std::string> verbs = {"baseline list", "baseline show 1", "baseline prune --run 1",
                                          "baseline threshold", "baseline annotate --list",
                                          "history bench0 --measure time", "report --run 1", "report --list",
                                          "compare --candidate-file " + result, "compare --candidate-run 1"};
  for (const std::string& verb : verbs) {
    const auto r = Run(verb + " --db " + typo);
    EXPECT_EQ(r.code, 2) << verb << ": " << r.text;
    EXPECT_NE(r.text.find("error: no baseline store at " + typo), std::string::npos) << verb << ": " << r.text;
  }
  EXPECT_FALSE(fs::exists(dir_ / "typo"));
  auto r = Run("compare --store --candidate-file " + result + " --branch main --commit c1 --db " + typo);
  EXPECT_EQ(r.code, 0) << r.text;
  EXPECT_NE(r.text.find("stored the candidate as run 1"), std::string::npos) << r.text;
  r = Run("baseline list --db " + typo);
  EXPECT_EQ(r.code, 0) << r.text;
  EXPECT_NE(r.text.find("c1"), std::string::npos) << r.text;
  const std::string other = (dir_ / "other" / "baselines.db").string();
  EXPECT_EQ(Run("baseline threshold --set 'bench*' --delta 5% --db " + other).code, 0);
  EXPECT_TRUE(fs::exists(other));
}

// An empty file (a `touch`ed path) was taken for a new store even by the
// read-only verbs: compare got the schema written into it and passed every
// row as "no baseline". And a usage error found after the store was
// opened left a new, empty store behind, which that rule then misread.
TEST_F(CliTest, EmptyFilesAndUsageErrorsCreateNoStore) {
  const std::string result = WriteResult("r.json", "c1", 1.0);
  const fs::path empty = dir_ / "empty.db";
  std::ofstream(empty).close();
  for (const std::string& verb : {"compare --candidate-file " + result, std::string("baseline list"),
                                  std::string("history bench0 --measure time")}) {
    const auto r = Run(verb + " --db " + empty.string());
    EXPECT_EQ(r.code, 2) << verb << ": " << r.text;
    EXPECT_NE(r.text.find("no baseline store at " + empty.string() + " (the file is empty or has no bitgate schema"),
              std::string::npos)
        << verb << ": " << r.text;
    EXPECT_EQ(fs::file_size(empty), 0u) << verb;
  }
  const std::string fresh = (dir_ / "fresh" / "baselines.db").string();
  // Google Benchmark output names no branch or commit.
  const fs::path gbench = dir_ / "gbench.json";
  std::ofstream(gbench) << R"({"context": {}, "benchmarks": [{"name": "BM_a", "run_type": "iteration",
    "iterations": 10, "real_time": 5.0, "cpu_time": 5.0, "time_unit": "ns"}]})";
  const std::vector<std::pair<std::string, std::string>> usage = {
      {"compare --store --candidate-format gbench --candidate-file " + gbench.string(),
       "--store needs the candidate's --branch and --commit"},
      {"baseline annotate --branch m --commit c", "--branch, --commit and --message are required"},
      {"baseline annotate --branch m --commit '' --message x", "annotate: --commit is empty"},
      {"pipeline --commit c --gates throughput,../../etc --out " + (dir_ / "p").string(),
       "--gates: '../../etc' is not a gate name"},
      {"baseline annotate --branch m --commit c --message ''", "annotate: --message is empty"},
      {"baseline threshold --set x", "--set needs --delta and/or --alpha"},
      {"baseline threshold --set x --delta 500%", "must lie between 0 and 1"},
      {"baseline threshold --set x --remove y --delta 5%", "--set and --remove cannot be combined"},
      // Below 1e-9, 1 - alpha/2 rounds to 1 and the normal quantile aborted
      // the process with no verdict.
      {"baseline threshold --set x --alpha 1e-12", "alpha 1e-12 is below the smallest level, 1e-9"},
      {"compare --candidate-format gbench --candidate-file " + gbench.string() + " --alpha 1e-16",
       "--alpha must lie in [1e-9, 1)"},
  };
  for (const auto& [verb, message] : usage) {
    const auto r = Run(verb + " --db " + fresh);
    EXPECT_EQ(r.code, 2) << verb << ": " << r.text;
    EXPECT_NE(r.text.find(message), std::string::npos) << verb << ": " << r.text;
    EXPECT_FALSE(fs::exists(fresh)) << verb << " left a store behind";
    fs::remove_all(fs::path(fresh).parent_path());
  }
}

// --unit changed the label, not the numbers: 2000 ns showed as "2000 ms".
TEST_F(CliTest, HistoryUnitConvertsTheValues) {
  for (const char* c : {"c1", "c2", "c3"}) {
    const auto r = Run("baseline import --format bitgate " + WriteResult(std::string(c) + ".json", c, 1.0) +
                       " --db " + db_);
    ASSERT_EQ(r.code, 0) << r.text;
  }
  auto r = Run("history bench1 --measure time --branch main --unit ms --db " + db_);
  ASSERT_EQ(r.code, 0) << r.text;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.text, m, std::regex(R"(\| ([0-9.e+-]+) ms \|)"))) << r.text;
  EXPECT_NEAR(std::stod(m[1]), 0.002, 0.00002) << r.text;  // bench1 is about 2000 ns
  r = Run("history bench1 --measure time --branch main --unit furlongs --db " + db_);
  EXPECT_EQ(r.code, 2) << r.text;
  EXPECT_NE(r.text.find("--unit furlongs cannot show a measure stored in 'ns' (time measures take ns, us, ms or s)"),
            std::string::npos)
      << r.text;
  r = Run("history bench1 --measure time --branch main --unit ms --format json --db " + db_);
  EXPECT_EQ(r.code, 2) << r.text;
}

// A report written to a full disk was lost with exit 0 (or the verdict's
// 1): standard output is checked like --output.
TEST_F(CliTest, FailedWriteToStandardOutputIsAnError) {
  ASSERT_EQ(Run("baseline import --format bitgate " + WriteResult("r.json", "c1", 1.0) + " --db " + db_).code, 0);
  for (const std::string& verb : {std::string("baseline list"), std::string("history bench0 --measure time"),
                                  "compare --candidate-file " + WriteResult("s.json", "c2", 1.2)}) {
    const auto r = Run(verb + " --db " + db_, " 2>&1 1>/dev/full");  // stderr to the pipe, stdout to the full device
    EXPECT_EQ(r.code, 2) << verb << ": " << r.text;
    EXPECT_NE(r.text.find("error: writing to standard output failed"), std::string::npos) << verb << ": " << r.text;
  }
}

// Flags that did nothing were accepted: a stray word after the options, a
// prune of a run the store does not have ("deleted 0"), --run with
// --keep-last, a negative --busy-timeout, an unbounded --bootstrap.
// --suite puts every benchmark of a file in one suite: two the file kept
// apart by suite would become one, which is refused with the file named.
TEST_F(CliTest, SuiteThatWouldMergeTwoBenchmarksIsAnError) {
  RunRecord run;
  run.gate = "perf";
  run.suite = "s1";
  run.branch = "main";
  run.commit = "c1";
  run.machine.cpu_model = "Test CPU";
  run.machine.cores = 2;
  for (const char* suite : {"s1", "s2"}) {
    BenchmarkResult b;
    b.name = "bench";
    b.suite = suite;
    b.measures.push_back({"time", "ns", Direction::kLowerIsBetter, {1, 2, 3}});
    run.benchmarks.push_back(b);
  }
  const std::string path = (dir_ / "two-suites.json").string();
  std::ofstream(path) << WriteResultJson(run);
  const Output r = Run("baseline import --format bitgate " + path + " --suite one --db " + db_);
  EXPECT_EQ(r.code, 2) << r.text;
  EXPECT_NE(r.text.find("two-suites.json: benchmark 'bench' appears under two suites"), std::string::npos) << r.text;
  EXPECT_EQ(Run("baseline import --format bitgate " + path + " --db " + db_).code, 0);  // as the file has them: two benchmarks
}

TEST_F(CliTest, ArgumentsThatWouldBeIgnoredAreUsageErrors) {
  ASSERT_EQ(Run("baseline import --format bitgate " + WriteResult("r.json", "c1", 1.0) + " --db " + db_).code, 0);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"compare stray --candidate-file x", "too many positional options"},
      {"report --list stray", "too many positional options"},
      {"baseline prune --run 999", "prune: no run 999 in "},
      {"baseline prune --run 1 --keep-last 3", "--run and --keep-last cannot be combined"},
      {"baseline prune --run 1 --branch main", "--branch applies to --keep-last"},
      {"baseline list --busy-timeout -5", "--busy-timeout -5 must be >= 0 milliseconds"},
      {"compare --candidate-file x --bootstrap 2000000000", "--bootstrap must lie in [0, 1000000]"},
  };
  for (const auto& [args, message] : cases) {
    const auto r = Run(args + " --db " + db_);
    EXPECT_EQ(r.code, 2) << args << ": " << r.text;
    EXPECT_NE(r.text.find(message), std::string::npos) << args << ": " << r.text;
  }
  EXPECT_NE(Run("baseline list --db " + db_).text.find("c1"), std::string::npos);  // nothing was pruned
}

// A receipt records a model path that is not UTF-8 (bytes replaced)
// instead of the JSON writer throwing after the text had streamed, and a
// stop string that is not UTF-8, which no receipt could record, is refused
// before generating.
TEST_F(CliTest, GenerateReceiptsSurviveNonUtf8Paths) {
  const std::string model = (dir_ / "m\xff.gguf").string();
  const std::string receipt = (dir_ / "r.json").string();
  const Output synth = Run("model synth --preset tiny --seed 3 -o '" + model + "'");
  ASSERT_EQ(synth.code, 0) << synth.text;
  const Output gen = Run("generate -m '" + model + "' -p hi -n 3 -q --receipt '" + receipt + "'");
  ASSERT_EQ(gen.code, 0) << gen.text;
  std::ifstream in(receipt);
  const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(json.find("m\xef\xbf\xbd.gguf"), std::string::npos) << json.substr(0, 400);  // U+FFFD
  const Output verify = Run("receipt verify '" + receipt + "' --model '" + model + "' --replay");
  EXPECT_EQ(verify.code, 0) << verify.text;
  const Output stop = Run("generate -m '" + model + "' -p hi -n 3 -q --stop \"$(printf '\\377')\"");
  EXPECT_EQ(stop.code, 2) << stop.text;
  EXPECT_NE(stop.text.find("stop string 1 is not valid UTF-8"), std::string::npos) << stop.text;
}

TEST_F(CliTest, EveryVerbHasHelp) {
  for (const char* verb : {"baseline", "baseline import", "baseline list", "baseline show", "baseline prune",
                           "baseline annotate", "baseline threshold", "compare", "history"}) {
    auto r = Run(std::string(verb) + " --help");
    EXPECT_EQ(r.code, 0) << verb << ": " << r.text;
    EXPECT_NE(r.text.find("usage: bitgate"), std::string::npos) << verb;
  }
}

}  // namespace
}  // namespace bitgate::baselines
