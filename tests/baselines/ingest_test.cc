// Ingest of Google Benchmark JSON and bitgate result JSON: what is kept,
// what is recomputed, and the error for every kind of bad input.
#include <gtest/gtest.h>

#include <string>

#include "baselines/ingest_gbench.h"
#include "baselines/result_json.h"

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

TEST(GbenchIngestTest, BadInputGetsAClearError) {
  const std::string truncated(kGbench, sizeof(kGbench) / 2);
  EXPECT_NE(ErrorOf(truncated).find("malformed JSON at byte"), std::string::npos);
  EXPECT_NE(ErrorOf("[1, 2]").find("top level"), std::string::npos);
  EXPECT_NE(ErrorOf("{}").find("no 'benchmarks' array"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"benchmarks": []})").find("no benchmark iteration rows"), std::string::npos);
  EXPECT_NE(ErrorOf(Row("-3")).find("'real_time' is negative"), std::string::npos);
  EXPECT_NE(ErrorOf(Row("0")).find("'real_time' is zero"), std::string::npos);
  EXPECT_NE(ErrorOf(Row("\"NaN\"")).find("'real_time' is not a number"), std::string::npos);
  EXPECT_NE(ErrorOf(Row("NaN")).find("malformed JSON"), std::string::npos);  // not JSON at all
  EXPECT_NE(ErrorOf(Row("1e999")).find("not finite"), std::string::npos);
  const std::string bad_unit = R"({"benchmarks": [{"name": "BM_A", "real_time": 1, "cpu_time": 1, "time_unit": "h"}]})";
  EXPECT_NE(ErrorOf(bad_unit).find("unknown time_unit 'h'"), std::string::npos);
  EXPECT_NE(ErrorOf(Row("-3")).find("benchmark 'BM_A'"), std::string::npos);  // says where
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
  EXPECT_NE(ResultError(head + R"({"name": "a", "status": "error", "message": "crash"}]})"), "x");
  EXPECT_EQ(ResultError(head + R"({"name": "a", "status": "error", "message": "crash"}]})"), "");
  EXPECT_NE(ResultError(R"({"format": "bitgate-result", "version": 1, "benc)").find("malformed JSON"),
            std::string::npos);
}

}  // namespace
}  // namespace bitgate::baselines
