// bitgate-bench-baselines: speed of the store and the statistics (issue 3:
// ingest >= 1M samples/s; 1000 benchmarks x 20 samples per side compared,
// bootstrap included, in < 1 s on one core). Benchmarks, not timed tests:
//   bitgate-bench-baselines --benchmark_repetitions=3
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "baselines/stats.h"
#include "baselines/store.h"
#include "baselines/verdict.h"

namespace bitgate::baselines {
namespace {

// a + b without GCC 12's false -Wrestrict on `"literal" + std::string`.
std::string Cat(std::string a, const std::string& b) {
  a += b;
  return a;
}

RunRecord SyntheticRun(int benchmarks, int samples, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> noise(0.0, 0.01);
  RunRecord run;
  run.gate = "bench";
  run.suite = "synthetic";
  run.branch = "main";
  run.commit = Cat("c", std::to_string(seed));
  run.machine.cpu_model = "bench CPU";
  for (int b = 0; b < benchmarks; ++b) {
    BenchmarkResult br;
    br.suite = run.suite;
    br.name = Cat("bench/", std::to_string(b));
    MeasureSamples m{"time", "ns", Direction::kLowerIsBetter, {}};
    for (int r = 0; r < samples; ++r) m.samples.push_back(1000.0 * (b + 1) * noise(rng));
    br.measures.push_back(std::move(m));
    run.benchmarks.push_back(std::move(br));
  }
  return run;
}

// One run of 1000 benchmarks x 1000 repetitions = 1M samples per import,
// into a store on disk (WAL, one transaction, multi-row inserts).
void BM_IngestSamples(benchmark::State& state) {
  const int samples_per_benchmark = static_cast<int>(state.range(0));
  const RunRecord run = SyntheticRun(1000, samples_per_benchmark, 1);
  const auto dir = std::filesystem::temp_directory_path() / Cat("bitgate_bench_", std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "ingest.db").string();
  auto store = Store::Open(path);
  if (!store.ok()) {
    state.SkipWithError(store.status().message().c_str());
    return;
  }
  for (auto _ : state) {
    auto id = (*store)->ImportRun(run);
    if (!id.ok()) {
      state.SkipWithError(id.status().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(run.SampleCount()));
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_IngestSamples)->Arg(1000)->Arg(20)->Unit(benchmark::kMillisecond)->UseRealTime();

// 1000 benchmarks x 20 samples per side, every statistic of a verdict row
// including a 1000-resample bootstrap interval, then BH across all rows.
void BM_Compare1000x20(benchmark::State& state) {
  const RunRecord base = SyntheticRun(1000, 20, 2), cand = SyntheticRun(1000, 20, 3);
  std::vector<ComparisonInput> inputs(1000);
  for (size_t i = 0; i < inputs.size(); ++i) {
    inputs[i].benchmark = base.benchmarks[i].name;
    inputs[i].measure = "time";
    inputs[i].unit = "ns";
    inputs[i].baseline = base.benchmarks[i].measures[0].samples;
    inputs[i].candidate = cand.benchmarks[i].measures[0].samples;
  }
  VerdictConfig config;
  config.bootstrap_resamples = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(CompareAll(inputs, config));
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_Compare1000x20)->Arg(1000)->Arg(0)->Unit(benchmark::kMillisecond);

// The same through the store: load both runs from SQLite, then compare.
void BM_LoadAndCompare1000x20(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path() / Cat("bitgate_bench_lc_", std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto store = Store::Open((dir / "compare.db").string());
  const auto base_id = (*store)->ImportRun(SyntheticRun(1000, 20, 2));
  const auto cand_id = (*store)->ImportRun(SyntheticRun(1000, 20, 3));
  for (auto _ : state) {
    auto base = (*store)->LoadRun(*base_id);
    auto cand = (*store)->LoadRun(*cand_id);
    std::vector<ComparisonInput> inputs(cand->benchmarks.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      inputs[i].benchmark = cand->benchmarks[i].name;
      inputs[i].measure = "time";
      inputs[i].baseline = base->benchmarks[i].measures[0].samples;
      inputs[i].candidate = cand->benchmarks[i].measures[0].samples;
    }
    benchmark::DoNotOptimize(CompareAll(inputs, VerdictConfig{}));
  }
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LoadAndCompare1000x20)->Unit(benchmark::kMillisecond);

void BM_MannWhitney20(benchmark::State& state) {
  const RunRecord run = SyntheticRun(2, 20, 4);
  for (auto _ : state)
    benchmark::DoNotOptimize(MannWhitney(run.benchmarks[0].measures[0].samples, run.benchmarks[1].measures[0].samples));
}
BENCHMARK(BM_MannWhitney20);

}  // namespace
}  // namespace bitgate::baselines

BENCHMARK_MAIN();
