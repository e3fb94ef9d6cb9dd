// The gate skeleton (RunGateMain) run in this process with bodies that
// fail on purpose: text that is not UTF-8, correctness failures, missed
// SLOs, errors, and a correctness failure found while re-sampling. The
// files it writes under --out and what it stores are checked.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "baselines/result_json.h"
#include "baselines/store.h"
#include "gates/build_digest.h"
#include "gates/gate_main.h"
#include "reports/gate_outcome.h"
#include "tests/gates/gate_test_util.h"

namespace bitgate::gates {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

using gate_test::ReadAll;

constexpr const char* kFffd = "\xEF\xBF\xBD";  // U+FFFD

// Ten samples around `center` (0.1% apart).
baselines::BenchmarkResult Bench(const std::string& name, double center) {
  baselines::BenchmarkResult b;
  b.name = name;
  baselines::MeasureSamples m;
  m.name = "real_time";
  m.unit = "ns";
  m.direction = baselines::Direction::kLowerIsBetter;
  for (int k = 0; k < 10; ++k) m.samples.push_back(center * (1 + 0.001 * k));
  b.measures.push_back(std::move(m));
  return b;
}

// A benchmark that reported an error and has no measures.
baselines::BenchmarkResult ErroredBench(const std::string& name, const std::string& message) {
  baselines::BenchmarkResult b;
  b.name = name;
  b.status = baselines::BenchmarkStatus::kError;
  b.message = message;
  return b;
}

class GateMainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / (std::string("bitgate-gate-main-") + info->name() + "-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "db" / "baselines.db").string();
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // RunGateMain("unit", ...) with `body`, writing under dir_/out.
  int RunGate(const std::string& out, const GateBody& body,
              std::vector<std::string> extra = {"--branch", "pr", "--commit", "c1"}) {
    std::vector<std::string> args = {"bitgate-unit", "--db", db_, "--out", (dir_ / out).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    return RunGateMain("unit", static_cast<int>(argv.size()), argv.data(), po::options_description("unit options"),
                       body);
  }

  nlohmann::json Json(const std::string& out, const char* name) {
    return nlohmann::json::parse(ReadAll(dir_ / out / name));
  }

  fs::path dir_;
  std::string db_;
};

// Names and messages may hold any bytes (a fuzzed tensor name, a file
// name, a branch). The outcome's and the results file's strict JSON dumps
// threw type_error.316 out of the gate (SIGABRT, no report at all).
TEST_F(GateMainTest, TextThatIsNotUtf8LosesNoReport) {
  const int code = RunGate(
      "o",
      [](GateContext& ctx) {
        ctx.output.run.benchmarks.push_back(Bench("parse/caf\xE9", 100));
        ctx.output.correctness_failures.push_back("tensor 'caf\xE9': shape overflows");
        ctx.output.notes.push_back("model /tmp/caf\xE9.gguf");
        return Status::Ok();
      },
      {"--branch", "pr", "--commit", "c1", "--merge-base", "b\xFF"});
  EXPECT_EQ(code, kExitCorrectness);
  for (const char* name : {"results.json", "report.md", "report.json", "junit.xml", "gate.json"})
    EXPECT_TRUE(fs::exists(dir_ / "o" / name)) << name;
  auto outcome = reports::ParseGateOutcome(ReadAll(dir_ / "o" / "gate.json"), "gate.json");
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  EXPECT_EQ(outcome->exit_code, kExitCorrectness);
  ASSERT_EQ(outcome->correctness_failures.size(), 1u);
  EXPECT_EQ(outcome->correctness_failures[0], std::string("tensor 'caf") + kFffd + "': shape overflows");
  auto results = baselines::ParseResultJson(ReadAll(dir_ / "o" / "results.json"), "results.json");
  ASSERT_TRUE(results.ok()) << results.status().message();
  EXPECT_EQ(results->merge_base, std::string("b") + kFffd);
  ASSERT_EQ(results->benchmarks.size(), 1u);
  EXPECT_EQ(results->benchmarks[0].name, std::string("parse/caf") + kFffd);
  // The outcome was stored beside the run too.
  auto store = baselines::Store::Open(db_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto stored = reports::LoadGateOutcome(**store, outcome->run_id);
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  EXPECT_EQ(stored->correctness_failures, outcome->correctness_failures);
}

// A benchmark of the code under test that reported an error is a
// correctness failure (exit 4), named once; it used to be an INCONCLUSIVE
// "not run" row, and a non-strict gate passed.
TEST_F(GateMainTest, ABenchmarkThatReportsAnErrorFailsTheGate) {
  const int code = RunGate("err", [](GateContext& ctx) {
    ctx.output.run.benchmarks.push_back(Bench("parse", 100));
    ctx.output.run.benchmarks.push_back(ErroredBench("quantize/tq2_0", "quantize failed: shape overflows"));
    return Status::Ok();
  });
  EXPECT_EQ(code, kExitCorrectness);
  auto outcome = reports::ParseGateOutcome(ReadAll(dir_ / "err" / "gate.json"), "gate.json");
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  ASSERT_EQ(outcome->correctness_failures.size(), 1u);
  EXPECT_NE(outcome->correctness_failures[0].find("quantize/tq2_0 reported an error: quantize failed"),
            std::string::npos) << outcome->correctness_failures[0];
}

// A failure that names another benchmark ending in this one's name
// ("dequantize/tq2_0" holds "quantize/tq2_0") does not name it: the
// errored benchmark still gets its own line.
TEST_F(GateMainTest, AFailureNamingALongerNameDoesNotNameThisBenchmark) {
  const int code = RunGate("err2", [](GateContext& ctx) {
    ctx.output.run.benchmarks.push_back(ErroredBench("quantize/tq2_0", "quantize failed"));
    ctx.output.correctness_failures.push_back("dequantize/tq2_0 decoded a wrong value");
    return Status::Ok();
  });
  EXPECT_EQ(code, kExitCorrectness);
  auto outcome = reports::ParseGateOutcome(ReadAll(dir_ / "err2" / "gate.json"), "gate.json");
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  ASSERT_EQ(outcome->correctness_failures.size(), 2u);
  EXPECT_NE(outcome->correctness_failures[1].find("quantize/tq2_0 reported an error"), std::string::npos);
  // A failure written as SUITE/NAME names it: one line, not two.
  const int named = RunGate("err3", [](GateContext& ctx) {
    ctx.output.run.benchmarks.push_back(ErroredBench("quant/tq1_0/gaussian", ""));
    ctx.output.correctness_failures.push_back("accuracy/quant/tq1_0/gaussian: cosine below its floor");
    return Status::Ok();
  });
  EXPECT_EQ(named, kExitCorrectness);
  auto named_outcome = reports::ParseGateOutcome(ReadAll(dir_ / "err3" / "gate.json"), "gate.json");
  ASSERT_TRUE(named_outcome.ok()) << named_outcome.status().message();
  EXPECT_EQ(named_outcome->correctness_failures.size(), 1u);
}

// A report file that cannot be written makes the exit 2 after the outcome
// was stored; the stored outcome says 2 too (it kept the earlier 0, so
// `bitgate report` and re-rendered ledgers passed a failed gate).
TEST_F(GateMainTest, AReportThatCannotBeWrittenIsStoredAsExit2) {
  fs::create_directories(dir_ / "w" / "report.md");  // a directory: the rename over it fails
  const int code = RunGate("w", [](GateContext& ctx) {
    ctx.output.run.benchmarks.push_back(Bench("parse", 100));
    return Status::Ok();
  });
  EXPECT_EQ(code, 2);
  auto outcome = reports::ParseGateOutcome(ReadAll(dir_ / "w" / "gate.json"), "gate.json");
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  EXPECT_EQ(outcome->exit_code, 2);
  auto store = baselines::Store::Open(db_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto stored = reports::LoadGateOutcome(**store, outcome->run_id);
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  EXPECT_EQ(stored->exit_code, 2);
}

// The files written before the one that failed are written again with the
// final code: report.md said "exit 0" and report.json's outcome 0 while the
// gate exited 2 for its junit.xml.
TEST_F(GateMainTest, FilesWrittenBeforeAFailedOneSayTheFinalCode) {
  fs::create_directories(dir_ / "late" / "junit.xml");  // written after report.md and report.json
  const int code = RunGate("late", [](GateContext& ctx) {
    ctx.output.run.benchmarks.push_back(Bench("parse", 100));
    return Status::Ok();
  });
  EXPECT_EQ(code, 2);
  const std::string md = ReadAll(dir_ / "late" / "report.md");
  EXPECT_NE(md.find(": exit 2\n"), std::string::npos) << md;
  const auto report = nlohmann::json::parse(ReadAll(dir_ / "late" / "report.json"));
  EXPECT_EQ(report["outcome"]["exit_code"], 2) << report.dump();
}

// The build fingerprint digests executables without their compiled-in
// commit and GNU build id (a hash of that commit too), so a commit that
// changes no code fingerprints as the same build; anything else still
// tells builds apart.
TEST_F(GateMainTest, BuildDigestIgnoresTheCommitAndBuildIdOnly) {
  const auto file = [&](const std::string& name, const std::string& commit, char build_id, const std::string& code) {
    std::string bytes = "\x7f" "ELF code:" + code + " bitgate 0.1 (commit " + commit + ")";
    bytes += std::string("\x04\0\0\0\x14\0\0\0\x03\0\0\0GNU\0", 16) + std::string(20, build_id) + "tail";
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
    auto d = BuildDigestHex((dir_ / name).string());
    EXPECT_TRUE(d.ok()) << d.status().message();
    return d.ok() ? *d : std::string();
  };
  const std::string c1(40, 'a'), c2 = "0123456789abcdef0123456789abcdef01234567";
  const std::string a = file("a", c1, '\x11', "add"), b = file("b", c2, '\x22', "add");
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, file("c", c1, '\x11', "sub"));                 // other code
  EXPECT_NE(file("d", c1 + "b", '\x11', "add"), file("e", c2 + "b", '\x11', "add"));  // 41 digits: not a commit
  EXPECT_FALSE(BuildDigestHex((dir_ / "nosuch").string()).ok());
}

// The gate's own junit.xml and report.json carry what made it fail, not
// only the comparison rows: they held the rows alone, so a gate that
// exited 4, 1 or 2 wrote a junit.xml with no failure or error.
TEST_F(GateMainTest, JunitAndReportJsonCarryCorrectnessSloAndError) {
  const int failing = RunGate("fail", [](GateContext& ctx) {
    ctx.output.run.benchmarks.push_back(Bench("parse", 100));
    ctx.output.correctness_failures.push_back("input 3 hung for 1 s");
    reports::SloResult slo;
    slo.name = "stop-token lookup";
    slo.unit = "ns";
    slo.op = "<";
    slo.value = 20;
    slo.target = 10;
    slo.passed = false;
    ctx.output.slos.push_back(slo);
    return Status::Ok();
  });
  EXPECT_EQ(failing, kExitCorrectness);
  const std::string junit = ReadAll(dir_ / "fail" / "junit.xml");
  EXPECT_NE(junit.find("<testsuite name=\"bitgate.unit\" tests=\"4\" failures=\"2\" errors=\"0\" skipped=\"1\""),
            std::string::npos)
      << junit;  // gate process, correctness, SLO, and the row (no baseline: skipped)
  EXPECT_NE(junit.find("<failure message=\"input 3 hung for 1 s\" type=\"correctness\"/>"), std::string::npos) << junit;
  EXPECT_NE(junit.find("type=\"slo\""), std::string::npos) << junit;
  const auto report = Json("fail", "report.json");
  EXPECT_EQ(report["format"], "bitgate-comparison");
  EXPECT_EQ(report["rows"].size(), 1u);
  EXPECT_EQ(report["outcome"]["exit_code"], kExitCorrectness);
  EXPECT_EQ(report["outcome"]["correctness_failures"], nlohmann::json::array({"input 3 hung for 1 s"}));
  EXPECT_EQ(report["outcome"]["slos"][0]["passed"], false);

  const int error = RunGate("error", [](GateContext&) { return Status::Error("--model m.gguf: no such file"); });
  EXPECT_EQ(error, 2);
  const std::string error_junit = ReadAll(dir_ / "error" / "junit.xml");
  EXPECT_NE(error_junit.find("tests=\"1\" failures=\"0\" errors=\"1\""), std::string::npos) << error_junit;
  EXPECT_NE(error_junit.find("<error message=\"error: exit 2\" type=\"error\">--model m.gguf: no such file</error>"),
            std::string::npos)
      << error_junit;
  EXPECT_EQ(Json("error", "report.json")["outcome"]["error"], "--model m.gguf: no such file");
}

// A correctness failure found while re-sampling (a receipt of the new
// measurements that does not verify) makes the stored run "failed", so it
// never becomes a baseline. The status was set before re-sampling, and the
// run was stored "ok".
TEST_F(GateMainTest, CorrectnessFailureFoundWhileResamplingStoresTheRunFailed) {
  ASSERT_EQ(RunGate("base",
                    [](GateContext& ctx) {
                      ctx.output.run.benchmarks.push_back(Bench("decode", 100));
                      return Status::Ok();
                    },
                    {"--branch", "main", "--commit", "b1"}),
            0);
  bool resampled = false;
  const int code = RunGate(
      "cand",
      [&](GateContext& ctx) {
        ctx.output.run.benchmarks.push_back(Bench("decode", 200));  // a REGRESSION: re-sampled
        ctx.output.resample = [&](const std::vector<baselines::BenchmarkResult>&, GateOutput& out) {
          resampled = true;
          out.correctness_failures.push_back("receipt-3.json: token digest does not match");
          return Status::Ok();
        };
        return Status::Ok();
      },
      {"--branch", "pr", "--commit", "c1", "--merge-base", "b1"});
  ASSERT_TRUE(resampled) << "the first look did not flag the slower benchmark";
  EXPECT_EQ(code, kExitCorrectness);
  auto store = baselines::Store::Open(db_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto base = (*store)->LoadRun(1), cand = (*store)->LoadRun(2);
  ASSERT_TRUE(base.ok() && cand.ok());
  EXPECT_EQ(base->status, "ok");
  EXPECT_EQ(cand->status, "failed");
}

// A second look that fails (a child that crashed or timed out) is an
// error of the gate (exit 2): it was a note, and the first look's verdict
// (here a REGRESSION, but PASS as easily) stood. The verdicts still use the
// first samples and the run is stored.
TEST_F(GateMainTest, AFailedSecondLookIsAnError) {
  ASSERT_EQ(RunGate("base2", [](GateContext& ctx) {
              ctx.output.run.benchmarks.push_back(Bench("decode", 100));
              return Status::Ok();
            }, {"--branch", "main", "--commit", "b1"}), 0);
  const int code = RunGate(
      "crash",
      [&](GateContext& ctx) {
        ctx.output.run.benchmarks.push_back(Bench("decode", 200));
        ctx.output.resample = [](const std::vector<baselines::BenchmarkResult>&, GateOutput&) {
          return Status::Error("candidate build: bitgate-throughput --measure-only failed (signal 11)");
        };
        return Status::Ok();
      },
      {"--branch", "pr", "--commit", "c2", "--merge-base", "b1"});
  EXPECT_EQ(code, 2);
  const auto outcome = Json("crash", "gate.json");
  EXPECT_NE(outcome["error"].get<std::string>().find("signal 11"), std::string::npos) << outcome.dump();
}

// A benchmark that errors only in the second look is a correctness failure
// (exit 4), as it is in the first: the errors were named before re-sampling
// only, so the run exited by the comparison alone and named no failure.
TEST_F(GateMainTest, ABenchmarkErrorInTheSecondLookIsACorrectnessFailure) {
  ASSERT_EQ(RunGate("base3", [](GateContext& ctx) {
              ctx.output.run.benchmarks.push_back(Bench("decode", 100));
              return Status::Ok();
            }, {"--branch", "main", "--commit", "b1"}), 0);
  const int code = RunGate(
      "late-error",
      [&](GateContext& ctx) {
        ctx.output.run.benchmarks.push_back(Bench("decode", 200));
        ctx.output.resample = [](const std::vector<baselines::BenchmarkResult>&, GateOutput& out) {
          out.run.benchmarks[0].status = baselines::BenchmarkStatus::kError;
          out.run.benchmarks[0].message = "kernel returned NaN";
          return Status::Ok();
        };
        return Status::Ok();
      },
      {"--branch", "pr", "--commit", "c3", "--merge-base", "b1"});
  EXPECT_EQ(code, kExitCorrectness);
  const auto outcome = Json("late-error", "gate.json");
  EXPECT_NE(outcome["correctness_failures"].dump().find("kernel returned NaN"), std::string::npos) << outcome.dump();
}

}  // namespace
}  // namespace bitgate::gates
