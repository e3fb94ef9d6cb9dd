// Ingest fuzz targets: bitgate's result JSON and Google Benchmark JSON, the
// two formats CI hands to the store. Either parser may reject its input,
// but what it accepts must be a record the statistics can use (finite,
// positive samples; no empty measure) and, for our own format, one that
// survives a write/read round trip unchanged.
#include <cmath>
#include <string>

#include "baselines/ingest_gbench.h"
#include "baselines/result_json.h"
#include "gates/fuzz/fuzz_target.h"

namespace bitgate::gates::fuzz {
namespace {

using baselines::BenchmarkResult;
using baselines::BenchmarkStatus;
using baselines::RunRecord;

std::string_view AsText(std::span<const uint8_t> in) {
  return {reinterpret_cast<const char*>(in.data()), in.size()};
}

// "" when every measure of every benchmark is usable by the statistics.
std::string CheckRecord(const RunRecord& run) {
  for (const auto& b : run.benchmarks) {
    if (b.name.empty()) return "benchmark with an empty name";
    if (b.status == BenchmarkStatus::kOk && b.measures.empty())
      return "benchmark '" + b.name + "' is ok but has no measures";
    for (const auto& m : b.measures) {
      if (m.samples.empty()) return "measure '" + b.name + "/" + m.name + "' has no samples";
      for (double v : m.samples) {
        if (!baselines::SampleInRange(v))
          return "measure '" + b.name + "/" + m.name + "' has sample " + baselines::SampleText(v) +
                 baselines::kSampleRangeText;
      }
    }
  }
  return "";
}

// Field-by-field equality of what WriteResultJson writes.
std::string FirstDifference(const RunRecord& a, const RunRecord& b) {
  if (a.gate != b.gate || a.suite != b.suite || a.branch != b.branch || a.commit != b.commit ||
      a.merge_base != b.merge_base || a.started_at != b.started_at || a.ended_at != b.ended_at ||
      a.status != b.status || a.tool_version != b.tool_version || a.config_hash != b.config_hash)
    return "run metadata";
  if (a.machine.Fingerprint() != b.machine.Fingerprint() || a.machine.mhz != b.machine.mhz ||
      a.machine.host_name != b.machine.host_name)
    return "machine";
  if (a.benchmarks.size() != b.benchmarks.size()) return "number of benchmarks";
  for (size_t i = 0; i < a.benchmarks.size(); ++i) {
    const BenchmarkResult& x = a.benchmarks[i];
    const BenchmarkResult& y = b.benchmarks[i];
    if (x.suite != y.suite || x.name != y.name || x.params != y.params || x.version_hash != y.version_hash ||
        x.status != y.status || x.message != y.message || x.measures.size() != y.measures.size())
      return "benchmark " + std::to_string(i);
    for (size_t k = 0; k < x.measures.size(); ++k) {
      const auto& m = x.measures[k];
      const auto& n = y.measures[k];
      if (m.name != n.name || m.unit != n.unit || m.direction != n.direction || m.samples != n.samples)
        return "benchmark " + std::to_string(i) + " measure " + std::to_string(k);
    }
  }
  return "";
}

void RunResultJson(std::span<const uint8_t> input, FuzzOutcome* out) {
  auto run = baselines::ParseResultJson(AsText(input), "fuzz.json");
  out->feature = StatusFeature(run.ok() ? Status::Ok() : run.status(), run.ok() ? run->benchmarks.size() : 0);
  if (!run.ok()) return;
  if (std::string bad = CheckRecord(*run); !bad.empty()) {
    out->failure = "ParseResultJson accepted a record with " + bad;
    return;
  }
  const std::string written = baselines::WriteResultJson(*run);
  auto again = baselines::ParseResultJson(written, "rewritten.json");
  if (!again.ok()) {
    out->failure = "WriteResultJson output does not parse back: " + again.status().message();
    return;
  }
  if (std::string diff = FirstDifference(*run, *again); !diff.empty())
    out->failure = "write/read round trip changed the " + diff;
}

void RunGbenchJson(std::span<const uint8_t> input, FuzzOutcome* out) {
  baselines::GbenchOptions opts;
  opts.counter_directions["tokens_per_second"] = baselines::Direction::kHigherIsBetter;
  baselines::IngestReport report;
  auto run = baselines::ParseGbenchJson(AsText(input), "fuzz.json", opts, &report);
  out->feature = StatusFeature(run.ok() ? Status::Ok() : run.status(),
                               run.ok() ? HashMix(run->benchmarks.size(), report.aggregate_rows_skipped) : 0);
  if (!run.ok()) return;
  if (std::string bad = CheckRecord(*run); !bad.empty())
    out->failure = "ParseGbenchJson accepted a record with " + bad;
}

Status ResultSeeds(std::vector<Bytes>* seeds) {
  RunRecord run;
  run.gate = "fuzz";
  run.suite = "seed";
  run.branch = "main";
  run.commit = "abc123";
  run.started_at = "2026-01-02T03:04:05Z";
  run.machine.cpu_model = "cpu";
  run.machine.cores = 2;
  BenchmarkResult b;
  b.suite = "seed";
  b.name = "BM_Quantize/tq2_0";
  b.params = "n=4096";
  b.measures.push_back({"real_time", "ns", baselines::Direction::kLowerIsBetter, {1.5, 2.25, 1e-99, 7e99}});  // the edges of the accepted range
  b.measures.push_back({"items_per_second", "items/s", baselines::Direction::kHigherIsBetter, {3e9}});
  run.benchmarks.push_back(b);
  BenchmarkResult e;
  e.suite = "seed";
  e.name = "BM_Broken";
  e.status = BenchmarkStatus::kError;
  e.message = "error \"quoted\" \xc3\xa9";
  run.benchmarks.push_back(e);
  const std::string text = baselines::WriteResultJson(run);
  seeds->emplace_back(text.begin(), text.end());
  return Status::Ok();
}

Status GbenchSeeds(std::vector<Bytes>* seeds) {
  const std::string text = R"({
  "context": {"date": "2026-01-02T03:04:05+00:00", "host_name": "ci", "executable": "./bench",
              "num_cpus": 2, "mhz_per_cpu": 2400, "cpu_scaling_enabled": false,
              "library_build_type": "release"},
  "benchmarks": [
    {"name": "BM_A/64", "run_name": "BM_A/64", "run_type": "iteration", "repetitions": 2,
     "repetition_index": 0, "iterations": 1000, "real_time": 12.5, "cpu_time": 12.4,
     "time_unit": "us", "items_per_second": 5.1e6, "tokens_per_second": 33.0},
    {"name": "BM_A/64", "run_name": "BM_A/64", "run_type": "iteration", "repetition_index": 1,
     "iterations": 1000, "real_time": 13.0, "cpu_time": 12.9, "time_unit": "ms"},
    {"name": "BM_A/64_mean", "run_name": "BM_A/64", "run_type": "aggregate", "aggregate_name": "mean",
     "real_time": 12.7, "cpu_time": 12.6, "time_unit": "s"},
    {"name": "BM_E", "run_type": "iteration", "error_occurred": true, "error_message": "boom"}
  ]
})";
  seeds->emplace_back(text.begin(), text.end());
  return Status::Ok();
}

const std::vector<std::string> kJsonDictionary = {
    "{", "}", "[", "]", ":", ",", "\"", "null", "true", "false", "-0", "1e300", "e308", "1e-320",
    "18446744073709551616", "-9223372036854775809", "\"\\u0000\"", "\"\\ud800\"", "\"samples\"",
    "\"measures\"", "\"benchmarks\"", "\"direction\"", "\"higher\"", "\"time_unit\"", "\"s\"",
    "\"run_type\"", "\"aggregate\"", "\"iteration\"", "\"context\"", "\"mhz_per_cpu\"", "\"num_cpus\"",
    "\"status\"", "\"skipped\"", "\"error_occurred\"", "\"version\""};

}  // namespace

void AddIngestTargets(std::vector<FuzzTarget>* targets) {
  FuzzTarget result;
  result.name = "result_json";
  result.description = "baselines::ParseResultJson (valid record or error; write/read round trip)";
  result.seeds = ResultSeeds;
  result.run = RunResultJson;
  result.dictionary = kJsonDictionary;
  result.max_input_bytes = 16 << 10;
  targets->push_back(std::move(result));

  FuzzTarget gbench;
  gbench.name = "gbench_json";
  gbench.description = "baselines::ParseGbenchJson (valid record with finite positive samples or error)";
  gbench.seeds = GbenchSeeds;
  gbench.run = RunGbenchJson;
  gbench.dictionary = kJsonDictionary;
  gbench.max_input_bytes = 16 << 10;
  targets->push_back(std::move(gbench));
}

}  // namespace bitgate::gates::fuzz
