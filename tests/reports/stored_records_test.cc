// Pipeline records and gate outcomes read back (from the store, or a
// gate's gate.json): untrusted text, so every bad record is an error naming
// where it came from and what is wrong, never an exception or a crash.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "reports/gate_outcome.h"
#include "reports/ledger.h"
#include "reports/pipeline_record.h"

namespace bitgate::reports {
namespace {

namespace fs = std::filesystem;

template <typename T>
std::string ErrorOf(const Result<T>& r) {
  return r.ok() ? std::string("<ok>") : r.status().message();
}

std::string Record(const std::string& fields) {
  return R"({"format": "bitgate-pipeline", "version": 1, "branch": "main", "commit": "c1")" + fields + "}";
}

std::string Outcome(const std::string& fields) {
  return R"({"format": "bitgate-gate-outcome", "version": 1, "gate": "throughput")" + fields + "}";
}

std::string Nested(int n) { return std::string(n, '[') + std::string(n, ']'); }

TEST(StoredRecordsTest, PipelineRecordRoundTrips) {
  PipelineRecord r;
  r.id = 3;
  r.branch = "main";
  r.commit = "c1";
  r.exit_code = 4;
  r.gates.push_back(PipelineGate{"fuzz", "bitgate-fuzz", GateStatus::kCorrectness, "exit 4", 1.5, 7, "out/fuzz",
                                 "tail", 1, {"receipt.json: bad"}});
  r.hops.push_back({"2026-01-02T03:04:05.678Z", "start fuzz"});
  auto back = ParsePipelineRecord(PipelineRecordJson(r), "rec");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(PipelineRecordJson(*back), PipelineRecordJson(r));
}

TEST(StoredRecordsTest, BadPipelineRecordsAreNamedErrors) {
  // Nested 200 000 deep: copying it overflowed the stack (SIGSEGV).
  EXPECT_EQ(ErrorOf(ParsePipelineRecord(Record(R"(, "gates": )" + Nested(200000)), "pipeline_run 4")),
            "pipeline_run 4: JSON nested deeper than 64 levels at byte 152");
  // A format that is not a string threw nlohmann's type_error out of the
  // parser (to main, or out of `bitgate pipeline` before its ledger).
  EXPECT_EQ(ErrorOf(ParsePipelineRecord(R"({"format": 7})", "rec")), "rec: format is not \"bitgate-pipeline\"");
  // `bitgate report` exits with the stored code: 256 exited 0.
  EXPECT_EQ(ErrorOf(ParsePipelineRecord(Record(R"(, "exit_code": 256)"), "rec")),
            "rec: 'exit_code' is 256, not an integer in [0, 255]");
  EXPECT_NE(ErrorOf(ParsePipelineRecord(Record(R"(, "exit_code": -1)"), "rec")).find("'exit_code' is -1"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParsePipelineRecord(Record(R"(, "exit_code": "2")"), "rec")).find("'exit_code' is \"2\""),
            std::string::npos);
  EXPECT_EQ(ErrorOf(ParsePipelineRecord(Record(R"(, "gates": {"gate": "fuzz"})"), "rec")),
            "rec: 'gates' is not an array");
  const std::string mistyped =
      ErrorOf(ParsePipelineRecord(Record(R"(, "gates": [{"gate": "fuzz"}, {"gate": "x", "seconds": "long"}])"), "rec"));
  EXPECT_EQ(mistyped.rfind("rec gates[1]: ", 0), 0u) << mistyped;
  EXPECT_NE(ErrorOf(ParsePipelineRecord("{\"format\": ", "rec")).find("rec: malformed JSON at byte"),
            std::string::npos);
}

TEST(StoredRecordsTest, BadGateOutcomesAreNamedErrors) {
  ASSERT_EQ(ErrorOf(ParseGateOutcome(Outcome(R"(, "exit_code": 1, "slos": [{"name": "ttft"}])"), "gate.json")),
            "<ok>");
  EXPECT_EQ(ErrorOf(ParseGateOutcome(Outcome(R"(, "exit_code": 0, "slos": )" + Nested(200000)), "gate.json")),
            "gate.json: JSON nested deeper than 64 levels at byte 159");
  EXPECT_EQ(ErrorOf(ParseGateOutcome(R"({"format": ["bitgate-gate-outcome"]})", "gate.json")),
            "gate.json: format is not \"bitgate-gate-outcome\"");
  EXPECT_EQ(ErrorOf(ParseGateOutcome(Outcome(R"(, "exit_code": 300)"), "gate.json")),
            "gate.json: 'exit_code' is 300, not an integer in [0, 255]");
  EXPECT_EQ(ErrorOf(ParseGateOutcome(Outcome(""), "gate.json")), "gate.json: missing 'exit_code'");
  const std::string mistyped =
      ErrorOf(ParseGateOutcome(Outcome(R"(, "exit_code": 1, "slos": [{"name": "a"}, {"unit": "s"}])"), "gate.json"));
  EXPECT_EQ(mistyped.rfind("gate.json slos[1]: ", 0), 0u) << mistyped;
}

// A gate's console tail, a fuzzed name or a path may hold bytes that are
// not UTF-8: written as U+FFFD. The strict dump threw type_error.316, which
// lost the pipeline record (and ledger) or aborted the gate.
TEST(StoredRecordsTest, TextThatIsNotUtf8IsWrittenAsReplacementCharacters) {
  PipelineRecord r;
  r.branch = "main";
  r.commit = "c1";
  r.gates.push_back(PipelineGate{"fuzz", "bitgate-fuzz", GateStatus::kPass, "exit 0", 1.5, 7, "out/fuzz",
                                 "caf\xE9 \xA9", 0, {}});
  auto back = ParsePipelineRecord(PipelineRecordJson(r), "rec");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->gates[0].output_tail, "caf\xEF\xBF\xBD \xEF\xBF\xBD");
  GateOutcome o;
  o.gate = "fuzz";
  o.correctness_failures = {"tensor 'caf\xE9'"};
  auto outcome = ParseGateOutcome(GateOutcomeJson(o), "gate.json");
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  EXPECT_EQ(outcome->correctness_failures, std::vector<std::string>{"tensor 'caf\xEF\xBF\xBD'"});
}

// An SLO measured as NaN or Inf is written as null; reading it back threw
// on the null and lost the whole outcome, receipt failures included.
TEST(StoredRecordsTest, NonFiniteSloValuesRoundTripAsNan) {
  GateOutcome o;
  o.gate = "throughput";
  o.correctness_failures = {"receipt r.json: tokens differ"};
  o.slos.push_back(SloResult{"ttft", "ms", std::numeric_limits<double>::infinity(), 500, "<=", "", false, false, ""});
  o.slos.push_back(SloResult{"tok/s", "1/s", std::nan(""), 10, ">=", "", false, false, ""});
  auto back = ParseGateOutcome(GateOutcomeJson(o), "gate.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->slos.size(), 2u);
  EXPECT_TRUE(std::isnan(back->slos[0].value));
  EXPECT_EQ(back->slos[0].target, 500);
  EXPECT_TRUE(std::isnan(back->slos[1].value));
  EXPECT_EQ(back->correctness_failures, o.correctness_failures);
}

// The store a pipeline used is in its record, so the ledger's re-render
// command names it (`bitgate report --run ID` alone looked in the default
// store and failed). A record stored before the field means the default.
TEST(StoredRecordsTest, PipelineRecordKeepsItsStoreForTheRerenderCommand) {
  auto old = ParsePipelineRecord(Record(R"(, "id": 4)"), "rec");
  ASSERT_TRUE(old.ok()) << old.status().message();
  EXPECT_EQ(old->db, baselines::kDefaultDbPath);
  Ledger l;
  l.pipeline = *old;
  EXPECT_NE(LedgerMarkdown(l).find("Re-render from the store: `bitgate report --run 4`\n"), std::string::npos);

  PipelineRecord r = *old;
  r.db = "ci/the store.db";
  auto back = ParsePipelineRecord(PipelineRecordJson(r), "rec");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->db, "ci/the store.db");
  l.pipeline = *back;
  EXPECT_NE(LedgerMarkdown(l).find("Re-render from the store: `bitgate report --db 'ci/the store.db' --run 4`\n"),
            std::string::npos)
      << LedgerMarkdown(l);
}

// Read back from the store, the error names the file and the row.
TEST(StoredRecordsTest, StoredRecordErrorsNameTheDatabaseAndRow) {
  const fs::path dir = fs::temp_directory_path() / ("bitgate_stored_records_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "baselines.db").string();
  {
    auto store = baselines::Store::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().message();
    PipelineRecord r;
    r.branch = "main";
    r.commit = "c1";
    auto id = SavePipelineRecord(**store, r);
    ASSERT_TRUE(id.ok()) << id.status().message();
    ASSERT_TRUE(LoadPipelineRecord(**store, *id).ok());
    ASSERT_TRUE((*store)->db().Exec("UPDATE pipeline_run SET record_json = '{\"format\": 1}'").ok());
    const std::string expected = "database " + path + ": pipeline_run 1: format is not \"bitgate-pipeline\"";
    EXPECT_EQ(ErrorOf(LoadPipelineRecord(**store, *id)), expected);
    EXPECT_EQ(ErrorOf(RecentPipelines(**store, "", 10)), expected);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bitgate::reports
