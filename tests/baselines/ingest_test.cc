// Ingest of Google Benchmark JSON and bitgate result JSON: what is kept,
// what is recomputed, and the error for every kind of bad input.
#include <gtest/gtest.h>

#include <string>

#include "baselines/ingest_gbench.h"
#include "baselines/result_json.h"
#include "kernels/base/json.h"

namespace bitgate::baselines {
namespace {

// Shaped like `--benchmark_format=json --benchmark_repetitions=3` output of
// Google Benchmark 1.7 (two repetitions shown, plus aggregates to ignore).
const char kGbench[] = R"({
  "context": {"date": "2026-11-24T01:00:00+00:00", "host_name": "ci-7", "executable": "./bench/kernels_bench",
              "num_cpus": 8, "mhz_per_cpu": 3000, "cpu_scaling_enabled": false,
              "library_build_type": "release", "library_version": "v1.7.1"},
  "benchmarks": [
    {"name": "BM_Dot/64", "family_index": 0, "per_family_instance_index": 0, "run_name": "BM_Dot/64",
     "run_type": "iteration", "repetitions": 2, "repetition_index": 0, "threads": 1, "iterations": 1000,
     "real_time": 1.5, "cpu_time": 1.4, "time_unit": "us", "items_per_second": 4.2e7, "cache_misses": 3},
    {"name": "BM_Dot/64", "family_index": 0, "per_family_instance_index": 0, "run_name": "BM_Dot/64",
     "run_type": "iteration", "repetitions": 2, "repetition_index": 1, "threads": 1, "iterations": 1000,
     "real_time": 1.6, "cpu_time": 1.5, "time_unit": "us", "items_per_second": 4.0e7, "cache_misses": 4},
    {"name": "BM_Dot/64_mean", "run_name": "BM_Dot/64", "run_type": "aggregate", "aggregate_name": "mean",
     "real_time": 99.0, "cpu_time": 99.0, "time_unit": "us"},
    {"name": "BM_Broken", "run_name": "BM_Broken", "run_type": "iteration", "error_occurred": true,
     "error_message": "out of memory", "iterations": 0, "real_time": 0, "cpu_time": 0, "time_unit": "ns"}
  ]
})";

TEST(GbenchIngestTest, KeepsIterationRowsAndNormalisesTime) {
  IngestReport report;
  GbenchOptions options;
  options.live_machine.cpu_model = "Test CPU";
  auto run = ParseGbenchJson(kGbench, "bench.json", options, &report);
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->suite, "kernels_bench");
  EXPECT_EQ(run->machine.cpu_model, "Test CPU");  // from the live machine
  EXPECT_EQ(run->machine.cores, 8);               // from the context
  EXPECT_EQ(run->machine.host_name, "ci-7");
  EXPECT_EQ(report.iteration_rows, 3);
  EXPECT_EQ(report.aggregate_rows_skipped, 1);
  ASSERT_EQ(run->benchmarks.size(), 2u);
  const auto& dot = run->benchmarks[0];
  EXPECT_EQ(dot.name, "BM_Dot/64");
  ASSERT_EQ(dot.measures.size(), 3u);  // real_time, cpu_time, items_per_second
  EXPECT_EQ(dot.measures[0].name, "real_time");
  EXPECT_EQ(dot.measures[0].unit, "ns");
  EXPECT_EQ(dot.measures[0].samples, (std::vector<double>{1500.0, 1600.0}));
  EXPECT_EQ(dot.measures[2].name, "items_per_second");
  EXPECT_EQ(dot.measures[2].direction, Direction::kHigherIsBetter);
  const auto& broken = run->benchmarks[1];
  EXPECT_EQ(broken.status, BenchmarkStatus::kError);
  EXPECT_EQ(broken.message, "out of memory");
  EXPECT_EQ(run->status, "partial");  // one benchmark errored
  ASSERT_EQ(report.warnings.size(), 1u);  // cache_misses has no declared direction
  EXPECT_NE(report.warnings[0].find("cache_misses"), std::string::npos);
}

// A counter the run does not import may be NaN without losing the file;
// "NaN" inside a string stays a string.
TEST(GbenchIngestTest, NonFiniteUndeclaredCounterDoesNotLoseTheFile) {
  const std::string text = R"({"benchmarks": [{"name": "BM_NaN", "run_type": "iteration", "real_time": 2,
    "cpu_time": 2, "time_unit": "ns", "ratio": NaN, "label": "NaN Infinity"}]})";
  IngestReport report;
  auto run = ParseGbenchJson(text, "f.json", GbenchOptions{}, &report);
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->benchmarks[0].measures.size(), 2u);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_NE(report.warnings[0].find("ratio"), std::string::npos);
  GbenchOptions declared;
  declared.counter_directions["ratio"] = Direction::kHigherIsBetter;
  auto refused = ParseGbenchJson(text, "f.json", declared, nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("'ratio' is NaN or infinite"), std::string::npos);
}

TEST(GbenchIngestTest, DeclaredCounterIsImported) {
  GbenchOptions options;
  options.counter_directions["cache_misses"] = Direction::kLowerIsBetter;
  auto run = ParseGbenchJson(kGbench, "bench.json", options, nullptr);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->benchmarks[0].measures.size(), 4u);
}

std::string ErrorOf(const std::string& text) {
  auto run = ParseGbenchJson(text, "f.json", GbenchOptions{}, nullptr);
  return run.ok() ? "" : run.status().message();
}

std::string Row(const std::string& real_time) {
  return R"({"benchmarks": [{"name": "BM_A", "run_type": "iteration", "real_time": )" + real_time +
         R"(, "cpu_time": 1, "time_unit": "ns"}]})";
}

// Google Benchmark lets two benchmarks share a name; their rows carry the
// same repetition_index, and pooling them made one row of two benchmarks.
TEST(GbenchIngestTest, RepeatedRepetitionIsAnError) {
  const std::string row = R"({"name": "BM_Twice", "run_type": "iteration", "repetition_index": 0,
    "real_time": 2, "cpu_time": 2, "time_unit": "ns"})";
  const std::string text = R"({"benchmarks": [)" + row + ", " + row + "]}";
  EXPECT_NE(ErrorOf(text).find("benchmark 'BM_Twice' (benchmarks[1]): repetition 0 appears twice"), std::string::npos)
      << ErrorOf(text);
}

TEST(GbenchIngestTest, BadInputGetsAClearError) {
  const std::string truncated(kGbench, sizeof(kGbench) / 2);
  EXPECT_NE(ErrorOf(truncated).find("malformed JSON at byte"), std::string::npos);
  EXPECT_NE(ErrorOf("[1, 2]").find("top level"), std::string::npos);
  EXPECT_NE(ErrorOf("{}").find("no 'benchmarks' array"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"benchmarks": []})").find("no benchmark iteration rows"), std::string::npos);
  EXPECT_NE(ErrorOf(Row("-3")).find("'real_time' is negative"), std::string::npos);
  EXPECT_NE(ErrorOf(Row("0")).find("'real_time' is zero"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"benchmarks": [{"name": "BM_\u0000x", "run_type": "iteration", "iterations": 1,
    "real_time": 1, "cpu_time": 1, "time_unit": "ns"}]})")
                .find("the name holds a control character"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"benchmarks": [{"name": "", "run_type": "iteration", "iterations": 1,
    "real_time": 1, "cpu_time": 1, "time_unit": "ns"}]})")
                .find("benchmarks[0]: the name is empty"),
            std::string::npos);
  // The suite comes from the executable's name: a control byte there would
  // let a glob for "hot" match the suite "hot\0cold".
  EXPECT_NE(ErrorOf(R"({"context": {"executable": "/x/hot\u0000cold"}, "benchmarks": [{"name": "BM_A",
    "run_type": "iteration", "iterations": 1, "real_time": 1, "cpu_time": 1, "time_unit": "ns"}]})")
                .find("the suite name"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Row("\"NaN\"")).find("'real_time' is not a number"), std::string::npos);
  // Google Benchmark writes a non-finite value as a bare NaN or Infinity
  // (not JSON): the field is named instead of the whole file failing.
  EXPECT_NE(ErrorOf(Row("NaN")).find("benchmark 'BM_A' (benchmarks[0]): 'real_time' is NaN or infinite"), std::string::npos)
      << ErrorOf(Row("NaN"));
  EXPECT_NE(ErrorOf(Row("-Infinity")).find("'real_time' is NaN or infinite"), std::string::npos);
  EXPECT_NE(ErrorOf(Row("NaNx")).find("malformed JSON"), std::string::npos);  // still not JSON
  // A file that is broken anyway reports its own byte, not one of the copy
  // whose NaN became null (one byte longer).
  const std::string broken = R"({"benchmarks": [{"name": "BM_A", "real_time": NaN, "cpu_time": 1}, {"name": )";
  EXPECT_EQ(ErrorOf(broken), ParseJson(broken, "f.json").status().message());
  EXPECT_NE(ErrorOf(Row("1e999")).find("not finite"), std::string::npos);
  const std::string bad_unit = R"({"benchmarks": [{"name": "BM_A", "real_time": 1, "cpu_time": 1, "time_unit": "h"}]})";
  EXPECT_NE(ErrorOf(bad_unit).find("unknown time_unit 'h'"), std::string::npos);
  // in range in seconds, out of it in ns (1e99 s -> 1e108 ns)
  const std::string huge = R"({"benchmarks": [{"name": "BM_A", "real_time": 1e99, "cpu_time": 1, "time_unit": "s"}]})";
  EXPECT_NE(ErrorOf(huge).find("'real_time' s is out of range when converted to ns"), std::string::npos) << ErrorOf(huge);
  // beyond the range a sample may take: its ratios would overflow
  EXPECT_NE(ErrorOf(Row("1.7e308")).find("'real_time' is 1.7e+308 (a sample must be finite and within [1e-100, 1e100])"),
            std::string::npos)
      << ErrorOf(Row("1.7e308"));
  EXPECT_NE(ErrorOf(Row("-3")).find("benchmark 'BM_A'"), std::string::npos);  // says where
}

std::string Context(const std::string& context) {
  return R"({"context": )" + context +
         R"(, "benchmarks": [{"name": "BM_A", "run_type": "iteration", "real_time": 1, "cpu_time": 1}]})";
}

// num_cpus and mhz_per_cpu go into the machine fingerprint: bounded as
// result JSON bounds cores and mhz, so an import can be exported and
// re-imported, and 2^32 + 2 CPUs do not pass for 2.
TEST(GbenchIngestTest, ContextMachineValuesAreBounded) {
  auto run = ParseGbenchJson(Context(R"({"num_cpus": 8, "mhz_per_cpu": 2899.998})"), "f.json", {}, nullptr);
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->machine.cores, 8);
  EXPECT_EQ(run->machine.mhz, 2899);
  EXPECT_EQ(ErrorOf(Context(R"({"num_cpus": -7})")),
            "f.json: context: 'num_cpus' is -7, not an integer in [0, 1073741824]");
  EXPECT_NE(ErrorOf(Context(R"({"num_cpus": 4294967298})")).find("'num_cpus' is 4294967298"), std::string::npos);
  EXPECT_NE(ErrorOf(Context(R"({"num_cpus": "8"})")).find("'num_cpus' is \"8\""), std::string::npos);
  EXPECT_NE(ErrorOf(Context(R"({"num_cpus": 2.5})")).find("'num_cpus' is 2.5"), std::string::npos);
  // The clock is informational (not in the fingerprint): left out, with a
  // warning, rather than stored negative.
  for (const char* mhz : {"-500000000.0", "1e12", "\"fast\""}) {
    IngestReport report;
    auto odd = ParseGbenchJson(Context(std::string(R"({"mhz_per_cpu": )") + mhz + "}"), "f.json", {}, &report);
    ASSERT_TRUE(odd.ok()) << odd.status().message();
    EXPECT_EQ(odd->machine.mhz, 0) << mhz;
    ASSERT_EQ(report.warnings.size(), 1u) << mhz;
    EXPECT_NE(report.warnings[0].find("f.json: context: 'mhz_per_cpu' "), std::string::npos) << report.warnings[0];
    EXPECT_NE(report.warnings[0].find("the clock is not recorded"), std::string::npos) << report.warnings[0];
  }
  EXPECT_NE(ErrorOf(Context("[1]")).find("'context' is not an object"), std::string::npos);
}

// A row field of the wrong type names the row and the field (it was
// nlohmann's "type must be boolean, but is string", naming neither).
TEST(GbenchIngestTest, MistypedRowFieldsNameTheRowAndField) {
  auto row = [](const std::string& field) {
    return R"({"benchmarks": [{"name": "BM_A", "real_time": 1, "cpu_time": 1},
                              {"name": "BM_B", "real_time": 1, "cpu_time": 1, )" + field + "}]}";
  };
  EXPECT_EQ(ErrorOf(row(R"("error_occurred": "yes")")),
            "f.json: benchmark 'BM_B' (benchmarks[1]): 'error_occurred' is not true/false (string)");
  EXPECT_EQ(ErrorOf(row(R"("time_unit": 1000)")),
            "f.json: benchmark 'BM_B' (benchmarks[1]): 'time_unit' is not a string (number)");
  EXPECT_EQ(ErrorOf(row(R"("run_type": ["iteration"])")), "f.json: benchmarks[1]: 'run_type' is not a string (array)");
  EXPECT_EQ(ErrorOf(row(R"("error_occurred": true, "error_message": {"text": "oom"})")),
            "f.json: benchmark 'BM_B' (benchmarks[1]): 'error_message' is not a string (object)");
}

// Arrays and objects nested n deep.
std::string Nested(int n) { return std::string(n, '[') + std::string(n, ']'); }

// Copying a deeply nested value recursed once per level: 200 000 levels
// in a 400 KB file overflowed the stack (SIGSEGV). Such input is refused
// before it is parsed, and no sub-document is copied.
TEST(JsonDepthTest, DeepNestingIsAnErrorNotACrash) {
  const std::string result_head = R"({"format": "bitgate-result", "version": 1, )";
  const std::string benchmarks =
      R"("benchmarks": [{"name": "a", "measures": [{"name": "t", "unit": "ns", "direction": "lower", )"
      R"("samples": [1]}]}])";
  auto result_error = [](const std::string& text) {
    auto run = ParseResultJson(text, "r.json");
    return run.ok() ? std::string() : run.status().message();
  };
  EXPECT_EQ(result_error(result_head + R"("run": )" + Nested(200000) + ", " + benchmarks + "}"),
            "r.json: JSON nested deeper than 64 levels at byte 114");
  EXPECT_EQ(ErrorOf(R"({"benchmarks": [], "context": )" + Nested(200000) + "}"),
            "f.json: JSON nested deeper than 64 levels at byte 94");
  // 64 levels (the document and 63 arrays) are read; one more is not.
  EXPECT_EQ(result_error(result_head + R"("extra": )" + Nested(63) + ", " + benchmarks + "}"), "");
  EXPECT_NE(result_error(result_head + R"("extra": )" + Nested(64) + ", " + benchmarks + "}").find("at byte 116"),
            std::string::npos);
  // Brackets inside strings (escaped quotes included) are not nesting.
  const std::string brackets = "\"\\\"" + std::string(100, '[') + "\"";
  EXPECT_EQ(result_error(result_head + R"("run": {"gate": )" + brackets + "}, " + benchmarks + "}"), "");
}

RunRecord SampleRun() {
  RunRecord run;
  run.gate = "perf";
  run.suite = "kernels";
  run.branch = "main";
  run.commit = "abc123";
  run.merge_base = "abc000";
  run.started_at = "2026-11-24T01:00:00Z";
  run.ended_at = "2026-11-24T01:05:00Z";
  run.tool_version = "0.1.0";
  run.config_hash = "cfg";
  run.machine.cpu_model = "Test CPU";
  run.machine.isa_flags = "avx2 fma";
  run.machine.cores = 2;
  run.machine.build_type = "Release";
  BenchmarkResult b;
  b.suite = "kernels";
  b.name = "gemv/i2s";
  b.params = "n=4096";
  b.version_hash = "v1";
  b.measures.push_back({"time", "ns", Direction::kLowerIsBetter, {10.5, 10.25, 10.75}});
  b.measures.push_back({"tokens_per_second", "tok/s", Direction::kHigherIsBetter, {50, 51}});
  run.benchmarks.push_back(b);
  return run;
}

TEST(ResultJsonTest, RoundTrips) {
  const RunRecord run = SampleRun();
  auto back = ParseResultJson(WriteResultJson(run), "r.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->commit, "abc123");
  EXPECT_EQ(back->merge_base, "abc000");
  EXPECT_EQ(back->machine.Fingerprint(), run.machine.Fingerprint());
  ASSERT_EQ(back->benchmarks.size(), 1u);
  EXPECT_EQ(back->benchmarks[0].params, "n=4096");
  EXPECT_EQ(back->benchmarks[0].measures[1].direction, Direction::kHigherIsBetter);
  EXPECT_EQ(back->benchmarks[0].measures[0].samples, run.benchmarks[0].measures[0].samples);
  EXPECT_EQ(WriteResultJson(*back), WriteResultJson(run));
}

std::string ResultError(const std::string& text) {
  auto run = ParseResultJson(text, "r.json");
  return run.ok() ? "" : run.status().message();
}

TEST(ResultJsonTest, BadInputGetsAClearError) {
  const std::string head = R"({"format": "bitgate-result", "version": 1, "benchmarks": [)";
  EXPECT_NE(ResultError(R"({"format": "x"})").find("not a bitgate result"), std::string::npos);
  EXPECT_NE(ResultError(R"({"format": "bitgate-result", "version": 2, "benchmarks": []})").find("upgrade bitgate"),
            std::string::npos);
  EXPECT_NE(ResultError(head + "]}").find("non-empty array"), std::string::npos);
  EXPECT_NE(ResultError(head + R"({"name": "a", "measures": [{"name": "t", "unit": "ns", "samples": [1]}]}]})")
                .find("missing 'direction'"),
            std::string::npos);
  EXPECT_NE(ResultError(head + R"({"name": "a", "measures": [{"name": "t", "unit": "ns", "direction": "up", "samples": [1]}]}]})")
                .find("direction 'up'"),
            std::string::npos);
  EXPECT_NE(ResultError(head + R"({"name": "a", "measures": [{"name": "t", "unit": "ns", "direction": "lower", "samples": [1, 0]}]}]})")
                .find("samples[1] is zero"),
            std::string::npos);
  EXPECT_NE(ResultError(head + R"({"name": "a", "measures": [{"name": "t", "unit": "ns", "direction": "lower", "samples": [-1]}]}]})")
                .find("negative"),
            std::string::npos);
  EXPECT_NE(ResultError(head + R"({"name": "a"}]})").find("no measures"), std::string::npos);
  EXPECT_NE(ResultError(head + R"({"name": "a", "status": "skipped"}, {"name": "a", "status": "skipped"}]})")
                .find("listed twice"),
            std::string::npos);
  // A NUL would cut the name short in printf and fnmatch (threshold globs
  // would match another benchmark): refused with the field named.
  EXPECT_NE(ResultError(head + R"({"name": "a\u0000b", "status": "skipped"}]})").find("'name' holds a control character"),
            std::string::npos);
  EXPECT_NE(ResultError(head + R"({"name": "a", "measures": [{"name": "t\u001fx", "unit": "ns", "direction": "lower", "samples": [1]}]}]})")
                .find("'name' holds a control character"),
            std::string::npos);
  EXPECT_NE(ResultError(head + R"({"name": "a", "params": "n=1\n", "status": "skipped"}]})")
                .find("'params' holds a control character"),
            std::string::npos);
  // An empty benchmark or measure name is no name to gate on.
  EXPECT_NE(ResultError(head + R"({"name": "", "status": "skipped"}]})").find("benchmarks[0]: 'name' is empty"),
            std::string::npos);
  EXPECT_NE(ResultError(head + R"({"name": "a", "measures": [{"name": "", "unit": "ns", "direction": "lower", "samples": [1]}]}]})")
                .find("'name' is empty"),
            std::string::npos);
  EXPECT_NE(ResultError(head + R"({"name": "a", "status": "error", "message": "crash"}]})"), "x");
  EXPECT_EQ(ResultError(head + R"({"name": "a", "status": "error", "message": "crash"}]})"), "");
  EXPECT_NE(ResultError(R"({"format": "bitgate-result", "version": 1, "benc)").find("malformed JSON"),
            std::string::npos);
}

}  // namespace
}  // namespace bitgate::baselines
