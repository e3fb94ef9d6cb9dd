// Exact-value tests of baselines/stats.h. Reference numbers come from
// tests/baselines/reference/stats_reference.py (pure Python: brute-force
// enumeration of the Mann-Whitney null distribution in exact fractions,
// textbook formulas for the rest) unless a line says otherwise.
#include "baselines/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace bitgate::baselines {
namespace {

const std::vector<double> kV = {12.0, 10.5, 11.2, 13.9, 10.1, 30.0, 11.7, 12.4};

TEST(StatsTest, MedianQuantileMad) {
  EXPECT_DOUBLE_EQ(Median(kV), 11.85);
  EXPECT_DOUBLE_EQ(Median(std::vector<double>{3, 1, 2}), 2.0);
  EXPECT_NEAR(Quantile(kV, 0.25), 11.025, 1e-12);  // type 7, as numpy/R default
  EXPECT_NEAR(Quantile(kV, 0.90), 18.73, 1e-12);
  EXPECT_DOUBLE_EQ(Quantile(kV, 0.0), 10.1);
  EXPECT_DOUBLE_EQ(Quantile(kV, 1.0), 30.0);
  EXPECT_NEAR(Mad(kV), 1.0, 1e-12);
}

TEST(StatsTest, CvAndRobustCv) {
  EXPECT_NEAR(Cv(kV), 0.47090308021274879, 1e-14);
  EXPECT_NEAR(RobustCv(kV), 1.4826 * 1.0 / 11.85, 1e-14);  // MAD 1.0, median 11.85
  EXPECT_EQ(Cv(std::vector<double>{5.0}), 0.0);
}

TEST(StatsTest, TukeyAndModifiedZ) {
  // Quartiles 11.025 and 12.775 (type 7): IQR 1.75; 30.0 is 17.2 above Q3
  // (> 3 IQR: severe); nothing else lies beyond 1.5 IQR.
  const auto t = CountTukeyOutliers(kV);
  EXPECT_EQ(t.severe, 1);
  EXPECT_EQ(t.mild, 0);
  const std::vector<double> mild = {10, 11, 12, 13, 14, 19};  // Q1 11.25, Q3 13.75, IQR 2.5: 19 is 5.25 above
  EXPECT_EQ(CountTukeyOutliers(mild).mild, 1);
  EXPECT_EQ(CountTukeyOutliers(mild).severe, 0);
  const auto z = ModifiedZScores(kV);
  EXPECT_NEAR(z[5], 12.242175, 1e-12);  // 0.6745 (30 - 11.85) / 1.0
  EXPECT_EQ(CountModifiedZOutliers(kV), 1);
  // MAD 0 (most values equal): 1.2533 x the mean absolute deviation from
  // the median stands in (Iglewicz and Hoaglin), so a spike still scores.
  const std::vector<double> repeated = {7, 7, 7, 7, 7, 7, 8, 17};  // median 7, mean |x - 7| 11/8
  const auto zr = ModifiedZScores(repeated);
  EXPECT_NEAR(zr[7], 10.0 / (1.2533 * 11.0 / 8.0), 1e-12);
  EXPECT_NEAR(zr[6], 1.0 / (1.2533 * 11.0 / 8.0), 1e-12);
  EXPECT_EQ(zr[0], 0.0);
  EXPECT_EQ(CountModifiedZOutliers(repeated), 1);
  EXPECT_EQ(ModifiedZScores(std::vector<double>{3, 3, 3}), (std::vector<double>{0, 0, 0}));
}

TEST(StatsTest, BimodalityCoefficient) {
  EXPECT_NEAR(BimodalityCoefficient(kV), 0.66221073627714633, 1e-12);
  EXPECT_EQ(BimodalityCoefficient(std::vector<double>{1, 2, 3}), 0.0);  // n < 4
  EXPECT_EQ(BimodalityCoefficient(std::vector<double>{2, 2, 2, 2, 2}), 0.0);
}

TEST(StatsTest, Normal) {
  // Published values of the standard normal quantile.
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-13);
  EXPECT_NEAR(NormalQuantile(0.8), 0.8416212335729143, 1e-13);
  EXPECT_NEAR(NormalQuantile(1e-10), -6.361340902404056, 1e-9);
  EXPECT_NEAR(NormalCdf(1.959963984540054), 0.975, 1e-15);
}

TEST(StatsTest, MannWhitneyExact) {
  const std::vector<double> x = {1.10, 1.32, 0.98, 1.05, 1.21, 1.17};
  const std::vector<double> y = {1.25, 1.40, 1.31, 1.52, 1.19, 1.44, 1.36};
  const auto r = MannWhitney(x, y);
  EXPECT_TRUE(r.exact);
  EXPECT_FALSE(r.ties);
  EXPECT_DOUBLE_EQ(r.u, 4.0);
  EXPECT_NEAR(r.p, 2.0 / 143.0, 1e-15);  // enumeration: 2/143 exactly
  const auto swapped = MannWhitney(y, x);  // two-sided: symmetric
  EXPECT_DOUBLE_EQ(swapped.u, 38.0);
  EXPECT_NEAR(swapped.p, 2.0 / 143.0, 1e-15);
  EXPECT_NEAR(MannWhitneyExactCdf(4, 5, 3), 7.0 / 126.0, 1e-15);  // enumeration
  // 10 per side, by enumeration of all C(20, 10) = 184756 assignments.
  EXPECT_NEAR(MannWhitneyExactCdf(10, 10, 20), 2146.0 / 184756.0, 1e-15);
  EXPECT_NEAR(MannWhitneyExactCdf(10, 10, 27), 8241.0 / 184756.0, 1e-15);
  EXPECT_NEAR(MannWhitneyExactCdf(10, 10, 0), 1.0 / 184756.0, 1e-18);
}

TEST(StatsTest, MannWhitneyExactWithTies) {
  // 25 values with ties: the permutation distribution given the tie
  // pattern, enumerated over all C(25, 12) = 5200300 assignments (35114 of
  // them have a rank sum of x at or below the observed one).
  const std::vector<double> x = {3, 4, 4, 5, 6, 6, 6, 7, 8, 9, 10, 10};
  const std::vector<double> y = {5, 6, 7, 7, 8, 9, 9, 10, 11, 12, 12, 13, 14};
  const auto r = MannWhitney(x, y);
  EXPECT_TRUE(r.exact);
  EXPECT_TRUE(r.ties);
  EXPECT_DOUBLE_EQ(r.u, 33.5);
  EXPECT_NEAR(r.p, 2.0 * 35114 / 5200300, 1e-15);
  const std::vector<double> same = {1, 1, 1};
  EXPECT_EQ(MannWhitney(same, same).p, 1.0);
  // Quantized timings: the normal approximation gave 0.056 here, the
  // exact answer is 30 / 252.
  EXPECT_NEAR(MannWhitney(std::vector<double>{100, 100, 101, 100, 101}, std::vector<double>{101, 101, 102, 101, 101}).p,
              30.0 / 252.0, 1e-15);
  // One incidental tie must not cost a fully separated 10 vs 10 its exact
  // p (1 / C(20, 10) each tail; the approximation gave 1.8e-4).
  std::vector<double> lo, hi;
  for (int i = 0; i < 10; ++i) {
    lo.push_back(1.0 + 0.1 * i);
    hi.push_back(3.0 + 0.1 * i);
  }
  hi[0] = hi[1];
  EXPECT_NEAR(MannWhitney(lo, hi).p, 2.0 / 184756.0, 1e-18);
}

// Every assignment of the pooled values to the two sides, counted: the
// definition the exact tied test must reproduce.
double EnumeratedTiedP(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> pooled = x;
  pooled.insert(pooled.end(), y.begin(), y.end());
  const int total = static_cast<int>(pooled.size()), m = static_cast<int>(x.size());
  std::vector<double> rank(static_cast<size_t>(total));
  for (int i = 0; i < total; ++i) {
    double below = 0, equal = 0;
    for (double v : pooled) {
      below += v < pooled[i];
      equal += v == pooled[i];
    }
    rank[static_cast<size_t>(i)] = below + (equal + 1) / 2;
  }
  double observed = 0;
  for (int i = 0; i < m; ++i) observed += rank[static_cast<size_t>(i)];
  double lower = 0, upper = 0, count = 0;
  for (uint32_t mask = 0; mask < (1u << total); ++mask) {
    if (std::popcount(mask) != m) continue;
    double sum = 0;
    for (int i = 0; i < total; ++i) sum += (mask >> i & 1u) ? rank[static_cast<size_t>(i)] : 0.0;
    count += 1;
    lower += sum <= observed + 1e-9;
    upper += sum >= observed - 1e-9;
  }
  return std::min(1.0, 2.0 * std::min(lower, upper) / count);
}

TEST(StatsTest, MannWhitneyExactWithTiesMatchesEnumeration) {
  std::mt19937 gen(7);
  for (int trial = 0; trial < 60; ++trial) {
    const int m = 1 + static_cast<int>(gen() % 8), n = 1 + static_cast<int>(gen() % 8);
    const int levels = 2 + static_cast<int>(gen() % 4);  // few distinct values: many ties
    std::vector<double> x, y;
    for (int i = 0; i < m; ++i) x.push_back(100 + static_cast<double>(gen() % levels));
    for (int i = 0; i < n; ++i) y.push_back(100.5 + static_cast<double>(gen() % levels) * (trial % 2 ? 1.0 : 0.5));
    const auto r = MannWhitney(x, y);
    ASSERT_TRUE(r.exact);
    EXPECT_NEAR(r.p, EnumeratedTiedP(x, y), 1e-12) << "trial " << trial << ", " << m << " vs " << n;
  }
}

TEST(StatsTest, SmallestAchievableP) {
  // verdicts.md's table; 2 / C(2n, n).
  EXPECT_NEAR(SmallestAchievableP(3, 3), 0.1, 1e-12);
  EXPECT_NEAR(SmallestAchievableP(4, 4), 0.028571428571428571, 1e-12);
  EXPECT_NEAR(SmallestAchievableP(5, 5), 0.0079365079365079361, 1e-12);
  EXPECT_NEAR(SmallestAchievableP(6, 6), 0.0021645021645021645, 1e-12);
}

TEST(StatsTest, HodgesLehmannMosesInterval) {
  const std::vector<double> x = {1.10, 1.32, 0.98, 1.05, 1.21, 1.17};
  const std::vector<double> y = {1.25, 1.40, 1.31, 1.52, 1.19, 1.44, 1.36};
  const auto r = HodgesLehmannLogRatio(x, y, 0.95);
  EXPECT_NEAR(r.ratio, 1.190692621018925, 1e-12);
  EXPECT_NEAR(r.lower, 1.0330578512396695, 1e-12);
  EXPECT_NEAR(r.upper, 1.3714285714285714, 1e-12);
}

TEST(StatsTest, LargeSamplesUseTheNormalApproximation) {
  // 30 + 31 values (> 50: no exact path), with ties across the sides.
  std::vector<double> x, y;
  for (int i = 0; i < 30; ++i) x.push_back(100 + ((i * 37) % 29) * 0.25);
  for (int i = 0; i < 31; ++i) y.push_back(101 + ((i * 41) % 31) * 0.25);
  const auto r = MannWhitney(x, y);
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 312.5);
  EXPECT_NEAR(r.p, 0.028268253680416095, 1e-14);
  // Moses rank k = floor(mn/2 - 1.96 sqrt(mn(m+n+1)/12)) = 329.
  const auto hl = HodgesLehmannLogRatio(x, y, 0.95);
  EXPECT_NEAR(hl.ratio, 1.0125, 1e-12);
  EXPECT_NEAR(hl.lower, 1.0023529411764707, 1e-12);
  EXPECT_NEAR(hl.upper, 1.0248138957816377, 1e-12);
}

// The estimate and interval are order statistics of the m n pairwise log
// differences, selected without storing them: bit for bit what sorting all
// of them gives, with ties, on sides of unequal size and many magnitudes.
TEST(StatsTest, HodgesLehmannSelectsExactlyWithoutStoringThePairs) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    const int m = 1 + static_cast<int>(rng() % 40), n = 1 + static_cast<int>(rng() % 40);
    std::vector<double> x, y;
    const double scale = std::ldexp(1.0, static_cast<int>(rng() % 60) - 30);
    for (int i = 0; i < m; ++i) x.push_back(scale * (1 + static_cast<double>(rng() % 8) / 16));  // ties
    for (int j = 0; j < n; ++j) y.push_back(scale * (1 + static_cast<double>(rng() % 1000) / 999));
    std::vector<double> d;
    for (double a : x)
      for (double b : y) d.push_back(std::log(b) - std::log(a));
    std::sort(d.begin(), d.end());
    const size_t c = d.size();
    const double hl = c % 2 ? d[c / 2] : 0.5 * (d[c / 2 - 1] + d[c / 2]);
    const size_t k = std::min(static_cast<size_t>(MosesRank(m, n, 0.95)), (c + 1) / 2);
    const auto r = HodgesLehmannLogRatio(x, y, 0.95);
    EXPECT_EQ(r.ratio, std::exp(hl)) << trial;
    EXPECT_EQ(r.lower, std::exp(d[k - 1])) << trial;
    EXPECT_EQ(r.upper, std::exp(d[c - k])) << trial;
  }
  // Differences of both signs and magnitudes >= 2 (ratios beyond e^2): the
  // span between their order keys exceeds INT64_MAX, which wrapped the
  // bisection and returned the largest difference for every statistic.
  const std::vector<double> wide_x = {1e-3, 0.01, 0.5, 1, 3, 50, 1e3};
  const std::vector<double> wide_y = {2e-4, 0.2, 0.9, 2, 8, 400, 9e3, 1e5};
  std::vector<double> wide_d;
  for (double a : wide_x)
    for (double b : wide_y) wide_d.push_back(std::log(b) - std::log(a));
  std::sort(wide_d.begin(), wide_d.end());
  const size_t wk = std::min(static_cast<size_t>(MosesRank(7, 8, 0.95)), (wide_d.size() + 1) / 2);
  const auto wide = HodgesLehmannLogRatio(wide_x, wide_y, 0.95);
  EXPECT_EQ(wide.ratio, std::exp(0.5 * (wide_d[27] + wide_d[28])));
  EXPECT_EQ(wide.lower, std::exp(wide_d[wk - 1]));
  EXPECT_EQ(wide.upper, std::exp(wide_d[wide_d.size() - wk]));
  // 20000 samples a side: 400M pairs (3.2 GB stored) in O(m + n) memory.
  std::vector<double> big_x, big_y;
  for (int i = 0; i < 20000; ++i) {
    big_x.push_back(100 + (i % 97) * 0.01);
    big_y.push_back(103 + (i % 89) * 0.01);
  }
  const auto big = HodgesLehmannLogRatio(big_x, big_y, 0.95);
  EXPECT_NEAR(big.ratio, 1.03, 0.002);
  EXPECT_LE(big.lower, big.ratio);
  EXPECT_GE(big.upper, big.ratio);
}

TEST(StatsTest, BootstrapIsSeededAndBracketsTheEstimate) {
  const std::vector<double> x = {100, 101, 99, 102, 100.5, 98.7, 100.2, 101.3, 99.9, 100.1};
  std::vector<double> y;
  for (double v : x) y.push_back(v * 1.05);
  const auto a = BootstrapMedianRatio(x, y, 0.95, 2000, 42);
  const auto b = BootstrapMedianRatio(x, y, 0.95, 2000, 42);
  EXPECT_EQ(a.lower, b.lower);
  EXPECT_EQ(a.upper, b.upper);
  EXPECT_NEAR(a.ratio, 1.05, 1e-12);
  EXPECT_LT(a.lower, 1.05);
  EXPECT_GT(a.upper, 1.05);
  const auto c = BootstrapMedianRatio(x, y, 0.95, 2000, 43);
  EXPECT_NE(a.lower + a.upper, c.lower + c.upper);
}

TEST(StatsTest, BenjaminiHochbergAndYekutieli) {
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.20, 0.005};
  const auto q = BenjaminiHochberg(p);
  const double bh[] = {0.025, 0.05, 0.05, 0.2, 0.025};
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(q[i], bh[i], 1e-15) << i;
  const auto qy = BenjaminiYekutieli(p);
  const double by[] = {0.057083333333333333, 0.11416666666666667, 0.11416666666666667,
                       0.45666666666666667, 0.057083333333333333};
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(qy[i], by[i], 1e-15) << i;
  EXPECT_TRUE(BenjaminiHochberg(std::vector<double>{}).empty());
}

TEST(StatsTest, MinimumDetectableEffect) {
  // exp((z_.975 + z_.8) sqrt(2) 0.02 / sqrt(10)) - 1, by hand in Python.
  EXPECT_NEAR(MinimumDetectableEffect(0.02, 10, 0.05, 0.8), 0.025374734047556659, 1e-12);
  EXPECT_EQ(SamplesForEffect(0.02, 0.03, 0.05, 0.8), 8);
}

}  // namespace
}  // namespace bitgate::baselines
