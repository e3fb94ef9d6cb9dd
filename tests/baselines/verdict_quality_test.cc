// Quality of the verdicts, measured on simulated samples (issue 3, section
// 6): log-normal noise with CV 0.5-2%, 2% preemption spikes of +5..50%,
// 10% of benchmarks two-moded; 100 benchmarks per run, 10 repetitions per
// side, delta 3%, alpha 0.05 with Benjamini-Hochberg. Seeded, so the figures
// are the same on every run; bitgate-verdict-sim prints the full table with
// more runs (figures recorded in docs/STATISTICS.md).
#include <gtest/gtest.h>

#include "tests/baselines/verdict_sim.h"

namespace bitgate::baselines::sim {
namespace {

constexpr int kRuns = 400;
// The A/A limits sit near the rates (0.77% and about 1.2%): with 400 runs
// a change that only reshuffled the random draw failed the 1% test about
// one time in five. 3000 runs (the figures of docs/STATISTICS.md) leave
// the limits several standard deviations of the count away.
constexpr int kAaRuns = 3000;

VerdictConfig Config() {
  VerdictConfig c;
  c.bootstrap_resamples = 0;  // the verdict does not use it; keeps the test fast
  return c;
}

TEST(VerdictQualityTest, AaFalseAlarmRunRateAtMostOnePercent) {
  const auto f = Simulate(NoiseModel{}, Config(), 0.0, kAaRuns, 11);
  EXPECT_LE(f[0].FalseAlarmRunRate(), 0.01) << f[0].runs_with_false_alarm << " of " << f[0].runs;
  // The uncorrected test is what the correction is for: it alarms nearly every run.
  EXPECT_GT(f[3].FalseAlarmRunRate(), 0.5);
}

// The gates look twice: rows that more samples could settle or confirm get
// a second round, and every row is judged on all its samples. A second
// look can inflate the false-alarm rate (optional stopping); measured with
// the candidate re-sampled against a fixed baseline, as outside A/B mode,
// it does not here (0.3% of 1000 runs, against 0.5% without it), since a
// row must then hold on twice the samples.
TEST(VerdictQualityTest, ResamplingKeepsTheAaFalseAlarmRunRateAtMostOnePercent) {
  NoiseModel m;
  m.resample = NoiseModel::Resample::kCandidate;
  const auto f = Simulate(m, Config(), 0.0, 1000, 16);
  EXPECT_LE(f[0].FalseAlarmRunRate(), 0.01) << f[0].runs_with_false_alarm << " of " << f[0].runs;
}

TEST(VerdictQualityTest, PowerAtFivePercentAtLeast95) {
  const auto f = Simulate(NoiseModel{}, Config(), 0.05, kRuns, 12);
  EXPECT_GE(f[0].Power(), 0.95) << f[0].detected << " of " << f[0].shifted_rows;
  // Requiring the whole interval beyond delta is much weaker (verdicts.md).
  EXPECT_LT(f[1].Power(), f[0].Power());
}

TEST(VerdictQualityTest, PowerAtTenPercentAtLeast99) {
  const auto f = Simulate(NoiseModel{}, Config(), 0.10, kRuns, 13);
  EXPECT_GE(f[0].Power(), 0.99) << f[0].detected << " of " << f[0].shifted_rows;
}

// Timings on a shared machine are skewed: a dense floor and a right tail
// of delays (half the samples here, exponential with mean 5%), 20
// repetitions and delta 5% as in the throughput gate. A skewed but
// unimodal sample must not be called bimodal: with the bimodality
// coefficient alone a quarter of these 10% regressions were INCONCLUSIVE
// (power 0.74, 24% called bimodal); confirmed by a gap, 6% and power 0.94.
// The false-alarm rate is what it was.
NoiseModel TailedNoise() {
  NoiseModel m;
  m.repetitions = 20;
  m.tail_probability = 0.5;
  m.tail_mean = 0.05;
  return m;
}

VerdictConfig SharedCiConfig() {
  VerdictConfig c = Config();
  c.delta = 0.05;
  return c;
}

TEST(VerdictQualityTest, RightTailedNoiseStillCatchesTenPercent) {
  const auto f = Simulate(TailedNoise(), SharedCiConfig(), 0.10, kRuns, 14);
  EXPECT_GE(f[0].Power(), 0.90) << f[0].detected << " of " << f[0].shifted_rows;
  long called_bimodal = 0;
  for (const auto& [why, count] : f[0].misses)
    if (why.find("bimodal") != std::string::npos && why.find("two-mode") == std::string::npos) called_bimodal += count;
  EXPECT_LE(called_bimodal, f[0].shifted_rows / 10) << "unimodal rows called bimodal";
}

TEST(VerdictQualityTest, RightTailedNoiseAaFalseAlarmRunRateAtMostTwoPercent) {
  const auto f = Simulate(TailedNoise(), SharedCiConfig(), 0.0, kAaRuns, 15);
  EXPECT_LE(f[0].FalseAlarmRunRate(), 0.02) << f[0].runs_with_false_alarm << " of " << f[0].runs;
}

}  // namespace
}  // namespace bitgate::baselines::sim
