// The verdict rules table of shared/reference/verdicts.md, one test per
// row (first match wins), on hand-built samples whose outcome is clear.
#include "baselines/verdict.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "baselines/compare.h"
#include "baselines/stats.h"

namespace bitgate::baselines {
namespace {

// n values around `level` with relative spread `spread`: a fixed,
// symmetric pattern (no RNG), distinct so the exact test applies.
std::vector<double> Around(double level, double spread, int n, double phase = 0.0) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(level * (1.0 + spread * std::sin(1.3 * i + phase)));
  return v;
}

ComparisonInput Input(std::vector<double> base, std::vector<double> cand,
                      Direction d = Direction::kLowerIsBetter) {
  ComparisonInput in;
  in.benchmark = "b";
  in.measure = "time";
  in.unit = "ns";
  in.direction = d;
  in.baseline = std::move(base);
  in.candidate = std::move(cand);
  return in;
}

ComparisonRow Judge(const ComparisonInput& in, VerdictConfig config = {}) {
  return CompareAll({in}, config)[0];
}

TEST(VerdictTest, ClearRegressionIsConfirmed) {
  const auto row = Judge(Input(Around(100, 0.005, 10), Around(110, 0.005, 10, 0.4)));
  EXPECT_EQ(row.verdict, Verdict::kRegression);
  EXPECT_TRUE(row.confirmed);
  EXPECT_NEAR(row.ratio, 1.10, 0.01);
  EXPECT_GT(row.ratio_lower, 1.03);
  EXPECT_LT(row.p, 1e-4);
}

TEST(VerdictTest, RegressionByPointEstimateButNotConfirmed) {
  // 4% slower with 2% noise: significant, point estimate beyond 3%, but
  // the interval reaches below 1.03.
  const auto row = Judge(Input(Around(100, 0.02, 12), Around(104, 0.02, 12, 0.4)));
  EXPECT_EQ(row.verdict, Verdict::kRegression) << row.ratio << " p=" << row.p;
  EXPECT_FALSE(row.confirmed);
  EXPECT_LT(row.ratio_lower, 1.03);
}

TEST(VerdictTest, ImprovementAndHigherIsBetterOrientation) {
  auto row = Judge(Input(Around(100, 0.005, 10), Around(90, 0.005, 10, 0.4)));
  EXPECT_EQ(row.verdict, Verdict::kImprovement);
  EXPECT_TRUE(row.confirmed);
  // Throughput falling by 10% is a regression (ratio oriented: > 1 worse).
  row = Judge(Input(Around(100, 0.005, 10), Around(90, 0.005, 10, 0.4), Direction::kHigherIsBetter));
  EXPECT_EQ(row.verdict, Verdict::kRegression);
  EXPECT_NEAR(row.ratio, 100.0 / 90.0, 0.01);
}

TEST(VerdictTest, PassEquivalentAndWithinThreshold) {
  auto row = Judge(Input(Around(100, 0.005, 10), Around(100, 0.005, 10, 0.4)));
  EXPECT_EQ(row.verdict, Verdict::kPass);
  EXPECT_EQ(row.reason, Reason::kEquivalent);
  // 1% slower with 0.1% noise: clearly significant, clearly small.
  row = Judge(Input(Around(100, 0.001, 10), Around(101, 0.001, 10, 0.4)));
  EXPECT_EQ(row.verdict, Verdict::kPass);
  EXPECT_LT(row.q, 0.05);
  EXPECT_TRUE(row.reason == Reason::kWithinThreshold || row.reason == Reason::kEquivalent);
  // Interval inside the band is reported as "equivalent" first (table order).
  EXPECT_EQ(row.reason, Reason::kEquivalent);
  VerdictConfig tight;
  tight.delta = 0.0105;  // the interval now crosses 1 + delta, the point does not
  row = Judge(Input(Around(100, 0.003, 10), Around(101, 0.003, 10, 0.4)), tight);
  EXPECT_EQ(row.verdict, Verdict::kPass);
  EXPECT_EQ(row.reason, Reason::kWithinThreshold) << row.ratio_lower << " " << row.ratio_upper;
}

TEST(VerdictTest, UnderPoweredSaysHowManySamples) {
  // 5 samples per side, 4% noise, no shift: not significant, interval wide.
  const auto row = Judge(Input(Around(100, 0.04, 6), Around(100.5, 0.04, 6, 0.4)));
  EXPECT_EQ(row.verdict, Verdict::kInconclusive);
  EXPECT_EQ(row.reason, Reason::kUnderPowered);
  EXPECT_GT(row.samples_needed, 6);
}

TEST(VerdictTest, InconclusiveReasons) {
  VerdictConfig config;
  // Too few samples.
  EXPECT_EQ(Judge(Input(Around(100, 0.01, 4), Around(120, 0.01, 4))).reason, Reason::kTooFewSamples);
  // Smallest achievable p above alpha: 3 per side can reach only p = 0.1.
  config.min_samples = 3;
  EXPECT_EQ(Judge(Input(Around(100, 0.01, 3), Around(120, 0.01, 3)), config).reason, Reason::kUnreachableAlpha);
  // Environment mismatch, whatever the data.
  auto in = Input(Around(100, 0.005, 10), Around(150, 0.005, 10));
  in.forced = Reason::kEnvironmentMismatch;
  EXPECT_EQ(Judge(in).reason, Reason::kEnvironmentMismatch);
  EXPECT_EQ(Judge(in).verdict, Verdict::kInconclusive);
  // Noisy: robust CV above the 10% ceiling.
  EXPECT_EQ(Judge(Input(Around(100, 0.3, 10), Around(100, 0.3, 10, 0.4))).reason, Reason::kNoisy);
  // No baseline row.
  EXPECT_EQ(Judge(Input({}, Around(100, 0.01, 10))).reason, Reason::kNoBaseline);
}

TEST(VerdictTest, BimodalSamplesAreInconclusive) {
  // Two modes 8% apart on both sides, in different proportions: the median
  // jumps between modes, which is not a code change.
  std::vector<double> base, cand;
  for (int i = 0; i < 12; ++i) base.push_back((i < 8 ? 100.0 : 108.0) * (1 + 0.001 * std::sin(i)));
  for (int i = 0; i < 12; ++i) cand.push_back((i < 4 ? 100.0 : 108.0) * (1 + 0.001 * std::cos(i)));
  const auto row = Judge(Input(base, cand));
  EXPECT_EQ(row.verdict, Verdict::kInconclusive);
  EXPECT_EQ(row.reason, Reason::kBimodal) << row.bimodality;
}

TEST(VerdictTest, ModeSwitchingIsInconclusive) {
  // The baseline has 2 of 10 repetitions in a 10% slower mode (few enough
  // to pass for spikes), the candidate 7 of 10: the same two modes in other
  // proportions, not one slower level.
  std::vector<double> base, cand;
  for (int i = 0; i < 10; ++i) base.push_back((i < 8 ? 100.0 : 110.0) * (1 + 0.001 * std::sin(i)));
  for (int i = 0; i < 10; ++i) cand.push_back((i < 3 ? 100.0 : 110.0) * (1 + 0.001 * std::cos(i)));
  const auto row = Judge(Input(base, cand));
  EXPECT_EQ(row.verdict, Verdict::kInconclusive);
  EXPECT_EQ(row.reason, Reason::kBimodal);
  // A real 10% shift with one spike per side is not mistaken for it.
  auto shifted_base = Around(100, 0.003, 10), shifted_cand = Around(110, 0.003, 10, 0.4);
  shifted_base[4] = 111.0;
  shifted_cand[6] = 125.0;
  EXPECT_EQ(Judge(Input(shifted_base, shifted_cand)).verdict, Verdict::kRegression);
}

TEST(VerdictTest, SeparatedSidesAreJudgedDespiteNoiseOrModes) {
  // A bimodal, noisy baseline (CV ~10%, two modes) against a candidate 9x
  // slower: no sample overlaps, so the shape of the noise cannot matter
  // (seen on a loaded machine: forced scalar vs AVX2 kernels).
  std::vector<double> base, cand;
  for (int i = 0; i < 8; ++i) base.push_back((i % 3 == 0 ? 250.0 : 210.0) * (1 + 0.01 * std::sin(i)));
  for (int i = 0; i < 8; ++i) cand.push_back(2050.0 * (1 + 0.01 * std::cos(i)));
  const auto row = Judge(Input(base, cand));
  EXPECT_TRUE(row.separated);
  EXPECT_EQ(row.verdict, Verdict::kRegression);
  EXPECT_TRUE(row.confirmed);
  // Overlapping sides keep the shape checks: the bimodal A/A case above is
  // still INCONCLUSIVE (not separated).
  std::vector<double> b2, c2;
  for (int i = 0; i < 12; ++i) b2.push_back((i < 8 ? 100.0 : 108.0) * (1 + 0.001 * std::sin(i)));
  for (int i = 0; i < 12; ++i) c2.push_back((i < 4 ? 100.0 : 108.0) * (1 + 0.001 * std::cos(i)));
  EXPECT_FALSE(Judge(Input(b2, c2)).separated);
  // Separated but within the threshold (a 2% step with 5% delta): not
  // separated in this sense, so noisy sides stay INCONCLUSIVE.
  VerdictConfig config;
  EXPECT_FALSE(Judge(Input(Around(100, 0.001, 10), Around(102, 0.001, 10)), config).separated);
}

TEST(VerdictTest, CorrectionAcrossRows) {
  // Ten rows: one with a real 10% shift, nine unchanged. q >= p for every
  // row, and BY is at least as strict as BH.
  std::vector<ComparisonInput> inputs;
  for (int i = 0; i < 10; ++i)
    inputs.push_back(Input(Around(100, 0.01, 10, i), Around(i == 0 ? 110 : 100, 0.01, 10, i + 0.4)));
  const auto bh = CompareAll(inputs, VerdictConfig{});
  VerdictConfig by_config;
  by_config.yekutieli = true;
  const auto by = CompareAll(inputs, by_config);
  EXPECT_EQ(bh[0].verdict, Verdict::kRegression);
  for (size_t i = 0; i < bh.size(); ++i) {
    EXPECT_GE(bh[i].q, bh[i].p);
    EXPECT_GE(by[i].q, bh[i].q);
  }
  const auto summary = Summarize(bh);
  EXPECT_EQ(summary.regression, 1);
  EXPECT_EQ(summary.regression + summary.pass + summary.inconclusive + summary.improvement, 10);
  EXPECT_GT(summary.geomean_ratio, 1.0);
}

TEST(VerdictTest, OneSpikeDoesNotHideARegression) {
  auto base = Around(100, 0.005, 10);
  base[3] = 160;  // preemption spikes in the baseline
  base[7] = 150;
  const auto row = Judge(Input(base, Around(110, 0.005, 10, 0.4)));
  EXPECT_EQ(row.verdict, Verdict::kRegression);
  EXPECT_EQ(row.dropped_baseline, 2);
  EXPECT_EQ(row.severe_baseline, 2);
  // The MDE counts the samples the test ran on (8 against 10), as the sigma
  // beside it does.
  EXPECT_DOUBLE_EQ(row.mde, MinimumDetectableEffect(row.sigma_log, 8, row.alpha, VerdictConfig{}.power));
}

// The same with values that repeat exactly (an integer counter with a
// first-repetition warm-up, a coarse timer): more than half of a side is
// one value, so the MAD is 0. The spike is still dropped (the mean
// absolute deviation stands in), where it had made the side "bimodal":
// the regression was INCONCLUSIVE, and so was the side against itself.
TEST(VerdictTest, OneSpikeAmongRepeatedValuesDoesNotHideARegression) {
  std::vector<double> counter(10, 1000.0);
  counter[0] = 5000;
  auto row = Judge(Input(counter, std::vector<double>(10, 1100.0)));
  EXPECT_EQ(row.verdict, Verdict::kRegression) << ReasonName(row.reason);
  EXPECT_EQ(row.dropped_baseline, 1);
  row = Judge(Input(counter, counter));
  EXPECT_EQ(row.verdict, Verdict::kPass) << ReasonName(row.reason);
  const std::vector<double> timer = {100, 100, 100, 100, 100, 100, 101, 101, 101, 130};
  const std::vector<double> slower = {110, 110, 110, 110, 110, 110, 111, 111, 111, 143};
  row = Judge(Input(timer, slower));
  EXPECT_EQ(row.verdict, Verdict::kRegression) << ReasonName(row.reason);
  EXPECT_EQ(row.dropped_baseline, 1);
  EXPECT_EQ(row.dropped_candidate, 1);
}

// A 10% slowdown whose sides do not overlap, next to five unchanged rows,
// with one tied pair of baseline values: the ties must not push the row to
// an approximate p (the normal approximation gave 0.012 here, q 0.072, and
// an INCONCLUSIVE row whose whole interval lay above 1.03).
TEST(VerdictTest, TiesKeepTheExactTest) {
  std::vector<ComparisonInput> inputs;
  inputs.push_back(Input({100, 100, 101, 102, 99}, {110, 111, 112, 109, 113}));
  for (int i = 0; i < 5; ++i) inputs.push_back(Input(Around(100, 0.01, 5, i), Around(100, 0.01, 5, i + 0.4)));
  const auto rows = CompareAll(inputs, VerdictConfig{});
  EXPECT_TRUE(rows[0].exact_p);
  EXPECT_NEAR(rows[0].p, 2.0 / 252.0, 1e-15);  // the smallest p 5 vs 5 can give
  EXPECT_EQ(rows[0].verdict, Verdict::kRegression);
  EXPECT_TRUE(rows[0].confirmed);
}

TEST(VerdictTest, RowsOutsideTheFamilyHaveNoQ) {
  std::vector<ComparisonInput> inputs;
  inputs.push_back(Input(Around(100, 0.3, 10), Around(100, 0.3, 10, 0.4)));  // noisy: not tested
  inputs.push_back(Input(Around(100, 0.005, 10), Around(110, 0.005, 10, 0.4)));
  const auto rows = CompareAll(inputs, VerdictConfig{});
  ASSERT_EQ(rows[0].reason, Reason::kNoisy);
  EXPECT_TRUE(rows[0].has_test);  // p and the interval are still shown
  EXPECT_TRUE(std::isnan(rows[0].q));
  EXPECT_FALSE(std::isnan(rows[1].q));
  EXPECT_EQ(rows[1].verdict, Verdict::kRegression);
}

TEST(VerdictTest, ReachableAlphaCountsTheSamplesTheTestUses) {
  // 5 per side can reach p = 0.0079 <= 0.01, but the spike is dropped
  // before the test and 4 vs 5 reach only 0.016.
  VerdictConfig config;
  config.alpha = 0.01;
  auto base = Around(100, 0.005, 5);
  base[2] = 160;
  const auto row = Judge(Input(base, Around(110, 0.005, 5, 0.4)), config);
  EXPECT_EQ(row.dropped_baseline, 1);
  EXPECT_EQ(row.reason, Reason::kUnreachableAlpha);
}

TEST(VerdictTest, UnderPoweredInALargeFamilyStillSaysHowManySamples) {
  // A clean 10% shift, 5 per side, among 30 unchanged rows: p = 0.0079 is
  // the best 5 vs 5 can do, and a lone change in a family of 31 needs
  // about alpha / 31. The noise is tiny (MDE far below the threshold), so
  // a count sized only for noise would say nothing; what decides the row
  // is enough samples for the family.
  std::vector<ComparisonInput> inputs;
  inputs.push_back(Input(Around(100, 0.005, 5), Around(110, 0.005, 5, 0.4)));
  for (int i = 0; i < 30; ++i) inputs.push_back(Input(Around(100, 0.01, 5, i), Around(100, 0.01, 5, i + 0.4)));
  const auto rows = CompareAll(inputs, VerdictConfig{});
  ASSERT_EQ(rows[0].reason, Reason::kUnderPowered)
      << VerdictName(rows[0].verdict) << " p " << rows[0].p << " q " << rows[0].q;
  EXPECT_LT(rows[0].mde, 0.03);
  EXPECT_GT(rows[0].samples_needed, 5);
  EXPECT_LE(SmallestAchievableP(rows[0].samples_needed, rows[0].samples_needed), 0.05 / 31);
}

// Under Benjamini-Yekutieli a lone change needs p <= alpha / (m H(m)), not
// BH's alpha / m: the count said 8 samples for 100 rows where 9 are needed,
// and the re-run came back INCONCLUSIVE again.
TEST(VerdictTest, SamplesNeededFollowsTheCorrection) {
  std::vector<ComparisonInput> inputs;
  inputs.push_back(Input(Around(100, 0.005, 5), Around(110, 0.005, 5, 0.4)));
  for (int i = 0; i < 99; ++i) inputs.push_back(Input(Around(100, 0.01, 5, i), Around(100, 0.01, 5, i + 0.4)));
  VerdictConfig by;
  by.yekutieli = true;
  const auto bh_rows = CompareAll(inputs, VerdictConfig{});
  const auto by_rows = CompareAll(inputs, by);
  ASSERT_EQ(bh_rows[0].reason, Reason::kUnderPowered);
  ASSERT_EQ(by_rows[0].reason, Reason::kUnderPowered);
  double harmonic = 0;
  for (int i = 1; i <= 100; ++i) harmonic += 1.0 / i;
  const int n = by_rows[0].samples_needed;
  EXPECT_LE(SmallestAchievableP(n, n), 0.05 / (100 * harmonic)) << n;
  EXPECT_GT(n, bh_rows[0].samples_needed);
}

// Deterministic or coarsely quantized measures: identical sides pass as
// equivalent, and a shift of whole timer ticks is a regression even though
// most samples tie.
TEST(VerdictTest, QuantizedSamples) {
  auto row = Judge(Input(std::vector<double>(8, 500.0), std::vector<double>(8, 500.0)));
  EXPECT_EQ(row.verdict, Verdict::kPass);
  EXPECT_EQ(row.reason, Reason::kEquivalent);
  EXPECT_EQ(row.p, 1.0);
  row = Judge(Input({100, 100, 101, 100, 100, 101, 100, 100}, {110, 110, 110, 111, 110, 110, 110, 111}));
  EXPECT_TRUE(row.exact_p);
  EXPECT_EQ(row.verdict, Verdict::kRegression);
  EXPECT_TRUE(row.confirmed);
}

// A measure that moves in whole ticks has clusters with no spread: a gap of
// one tick is the resolution, not a second mode. These once came out
// INCONCLUSIVE (bimodal): unchanged code, and a real 4% regression.
TEST(VerdictTest, TwoTickLevelsAreNotTwoModes) {
  const std::vector<double> two_levels = {100, 101, 100, 100, 100, 101, 100, 100};
  auto row = Judge(Input(two_levels, {100, 100, 101, 100, 101, 100, 100, 100}));
  EXPECT_FALSE(row.bimodal);
  EXPECT_EQ(row.verdict, Verdict::kPass) << ReasonName(row.reason);
  row = Judge(Input({100, 100, 100, 101, 100, 100, 100, 100}, std::vector<double>(8, 100.0)));
  EXPECT_FALSE(row.bimodal);
  EXPECT_EQ(row.verdict, Verdict::kPass) << ReasonName(row.reason);
  row = Judge(Input(two_levels, {104, 105, 104, 104, 104, 105, 104, 104}));
  EXPECT_FALSE(row.bimodal);
  EXPECT_EQ(row.verdict, Verdict::kRegression) << ReasonName(row.reason);
  // Two adjacent integers of a count are ticks too, whatever their ratio.
  row = Judge(Input({19, 19, 20, 19, 19, 20, 19, 20, 19, 20}, {19, 20, 19, 20, 19, 20, 19, 20, 20, 19}));
  EXPECT_FALSE(row.bimodal);
  EXPECT_NE(row.reason, Reason::kBimodal);  // (under-powered: one tick is 5%, above delta)
  EXPECT_NE(row.verdict, Verdict::kRegression);
  // Two exact values far apart, in other proportions on each side: mode
  // switching (a page size, a cache state), not a regression.
  std::vector<double> base(16, 100.0), cand(6, 100.0);
  base.insert(base.end(), 4, 200.0);
  cand.insert(cand.end(), 14, 200.0);
  row = Judge(Input(base, cand));
  EXPECT_TRUE(row.bimodal);
  EXPECT_EQ(row.reason, Reason::kBimodal) << VerdictName(row.verdict);
  // Two modes many ticks apart, each with its own spread, still are.
  const std::vector<double> modes = {100, 101, 100, 120, 121, 100, 120, 101, 120, 100};
  row = Judge(Input(modes, {120, 100, 121, 101, 100, 120, 100, 121, 120, 100}));
  EXPECT_TRUE(row.bimodal);
  EXPECT_EQ(row.verdict, Verdict::kInconclusive);
  EXPECT_EQ(row.reason, Reason::kBimodal);
}

// The ratio compares raw medians; the test and the Hodges-Lehmann shift
// see the trimmed samples. When a significant shift points the other way
// than the median ratio, neither verdict is supported.
TEST(VerdictTest, MedianAndShiftPointingOppositeWaysAreInconclusive) {
  // A significant row (q = 0.001, delta 3%) with the given estimates.
  const auto decided = [](double ratio, double hl, double lower, double upper) {
    ComparisonRow row;
    row.delta = 0.03;
    row.alpha = 0.05;
    row.q = 0.001;
    row.ratio = ratio;
    row.hl_ratio = hl;
    row.ratio_lower = lower;
    row.ratio_upper = upper;
    Decide(row, {});
    return row;
  };
  auto row = decided(1.05, 0.98, 0.96, 0.995);
  EXPECT_EQ(row.verdict, Verdict::kInconclusive);
  EXPECT_EQ(row.reason, Reason::kShiftDisagrees);
  EXPECT_EQ(decided(0.95, 1.02, 1.005, 1.04).reason, Reason::kShiftDisagrees);
  EXPECT_EQ(decided(0.95, 0.97, 0.95, 0.99).verdict, Verdict::kImprovement);  // agreeing: it stands
  EXPECT_EQ(decided(1.05, 1.04, 1.01, 1.07).verdict, Verdict::kRegression);
}

// A benchmark that failed with nothing to compare against (a new one, a
// seed run) still makes a row: reports must show it as not run.
TEST(VerdictTest, FailedBenchmarkWithoutBaselineIsANotRunRow) {
  RunRecord candidate;
  BenchmarkResult ok, broken;
  ok.suite = broken.suite = "s";
  ok.name = "fine";
  ok.measures.push_back(MeasureSamples{"time", "ns", Direction::kLowerIsBetter, Around(100, 0.01, 5)});
  broken.name = "crashed";
  broken.status = BenchmarkStatus::kError;
  candidate.benchmarks = {ok, broken};
  const auto inputs = BuildInputs(candidate, {}, {}, false, nullptr);
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[1].benchmark, "crashed");
  EXPECT_EQ(inputs[1].forced, Reason::kNotRun);
  EXPECT_EQ(inputs[1].measure, kNoMeasure);
  const auto rows = CompareAll(inputs, VerdictConfig{});
  EXPECT_EQ(rows[1].verdict, Verdict::kInconclusive);
  EXPECT_EQ(rows[1].reason, Reason::kNotRun);
  // An error (not a skip) in the candidate is a correctness failure: a
  // broken benchmark used to pass a non-strict gate as "not run".
  ComparisonReport report;
  report.rows = rows;
  EXPECT_EQ(ComparisonExitCode(report, false), 4);
  candidate.benchmarks[1].status = BenchmarkStatus::kSkipped;
  report.rows = CompareAll(BuildInputs(candidate, {}, {}, false, nullptr), VerdictConfig{});
  EXPECT_EQ(report.rows[1].reason, Reason::kNotRun);
  EXPECT_EQ(ComparisonExitCode(report, false), 0);
}

// A candidate benchmark that ran (status ok) with no measures never takes
// the baseline's measures: its samples would have been the baseline's own,
// judged against themselves as "equivalent". Only a failed candidate
// borrows them, to make its not-run rows.
TEST(VerdictTest, ACandidateThatRanNeverBorrowsTheBaselinesSamples) {
  RunRecord base, candidate;
  BenchmarkResult b;
  b.suite = "s";
  b.name = "bench";
  b.measures.push_back(MeasureSamples{"time", "ns", Direction::kLowerIsBetter, Around(100, 0.01, 5)});
  base.benchmarks = {b};
  BenchmarkResult c = b;
  c.measures.clear();
  candidate.benchmarks = {c};
  for (const auto& in : BuildInputs(candidate, {base}, {}, false, nullptr)) EXPECT_TRUE(in.candidate.empty());
  candidate.benchmarks[0].status = BenchmarkStatus::kError;
  const auto failed = BuildInputs(candidate, {base}, {}, false, nullptr);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].measure, "time");
  EXPECT_EQ(failed[0].forced, Reason::kNotRun);
  EXPECT_TRUE(failed[0].candidate.empty());
}

}  // namespace
}  // namespace bitgate::baselines
