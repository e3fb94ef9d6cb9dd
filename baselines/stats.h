// Statistics that judge a run against its baseline: pure functions, no I/O.
//
// Every function takes raw samples (one value per repetition) and is tested
// against values computed independently (tests/baselines/stats_test.cc says
// where each reference number comes from). docs/STATISTICS.md explains the
// choices (why medians, why Mann-Whitney, why Hodges-Lehmann on logs).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace bitgate::baselines {

// Median of the values (mean of the two middle ones for even n). n >= 1.
double Median(std::span<const double> values);

// Quantile by linear interpolation between order statistics (Hyndman-Fan
// type 7, the default of R's quantile() and numpy.quantile). 0 <= p <= 1.
double Quantile(std::span<const double> values, double p);

// Median absolute deviation from the median, unscaled (multiply by 1.4826
// for a normal-consistent sigma).
double Mad(std::span<const double> values);

double Mean(std::span<const double> values);
// Sample standard deviation (n - 1 denominator); 0 for n < 2.
double StdDev(std::span<const double> values);
// Coefficient of variation: sample standard deviation / mean.
double Cv(std::span<const double> values);
// Robust CV: 1.4826 * MAD / median; insensitive to a single outlier.
double RobustCv(std::span<const double> values);

// Tukey fences on the type-7 quartiles: mild outliers lie beyond 1.5 IQR
// (but within 3 IQR), severe ones beyond 3 IQR (Criterion's labels).
struct TukeyCounts {
  int mild = 0;
  int severe = 0;
};
TukeyCounts CountTukeyOutliers(std::span<const double> values);

// Modified z-scores 0.6745 (x - median) / MAD (Iglewicz and Hoaglin); when
// the MAD is 0, (x - median) / (1.2533 x mean absolute deviation from the
// median); all zero when every value is equal.
std::vector<double> ModifiedZScores(std::span<const double> values);
// Number of values whose |modified z| exceeds 3.5.
int CountModifiedZOutliers(std::span<const double> values);

// Sample bimodality coefficient (SAS definition) with bias-corrected skewness
// and excess kurtosis: (g^2 + 1) / (k + 3 (n-1)^2 / ((n-2)(n-3))). A uniform
// distribution gives 5/9 = 0.555...; larger suggests two modes. n >= 4,
// otherwise 0.
double BimodalityCoefficient(std::span<const double> values);
inline constexpr double kBimodalityThreshold = 5.0 / 9.0;

// Standard normal CDF and quantile (Acklam's rational approximation refined
// by one Halley step: relative error below 1e-15).
double NormalCdf(double z);
double NormalQuantile(double p);

// Two-sided Mann-Whitney U test of x against y.
struct MannWhitneyResult {
  double u = 0;          // U statistic of x: pairs (x_i > y_j) + 0.5 ties
  double p = 1;          // two-sided p-value
  bool exact = false;    // exact null distribution (small n, ties or not)
  bool ties = false;
};
// Exact when n_x + n_y <= kMannWhitneyExactMaxN: without ties the exact
// null distribution of U, with ties the permutation distribution of the
// midrank sum given the tie pattern (two-sided: twice the smaller tail).
// Above that, the normal approximation with tie and continuity corrections
// (the same conventions as scipy.stats.mannwhitneyu).
inline constexpr int kMannWhitneyExactMaxN = 50;
MannWhitneyResult MannWhitney(std::span<const double> x, std::span<const double> y);

// Smallest two-sided p the exact test can reach with these sizes:
// 2 / C(n_x + n_y, n_x) (n=3 per side: 0.1, 4: 0.029, 5: 0.0079, 6: 0.0022).
double SmallestAchievableP(int n_x, int n_y);

// P(U <= u) under the null for sizes m, n without ties (exact).
double MannWhitneyExactCdf(int m, int n, int u);

// Hodges-Lehmann estimate of the shift log(y) - log(x) with its Moses
// (distribution-free) confidence interval, returned as ratios exp(.):
// "y is `ratio` times x". Values must be positive.
// Moses rank k (1-based): [D_(k), D_(mn+1-k)] of the sorted pairwise
// differences covers the shift with probability `confidence` (exact
// distribution up to kMannWhitneyExactMaxN samples, normal beyond).
int64_t MosesRank(int m, int n, double confidence);

struct RatioInterval {
  double ratio = 1;
  double lower = 1;
  double upper = 1;
};
RatioInterval HodgesLehmannLogRatio(std::span<const double> x, std::span<const double> y,
                                    double confidence);

// Percentile bootstrap interval of median(y) / median(x): `resamples`
// resamples of each side, drawn with a generator seeded by `seed`, so the
// same input and seed always give the same interval.
RatioInterval BootstrapMedianRatio(std::span<const double> x, std::span<const double> y,
                                   double confidence, int resamples, uint64_t seed);

// Benjamini-Hochberg (step-up) q-values, in the input order.
std::vector<double> BenjaminiHochberg(std::span<const double> p_values);
// Benjamini-Yekutieli: BH times sum_{i<=m} 1/i (valid under any dependence).
std::vector<double> BenjaminiYekutieli(std::span<const double> p_values);

// Minimum detectable effect as a relative change:
// exp((z_{1-alpha/2} + z_{power}) * sqrt(2) * sigma_log / sqrt(n)) - 1.
double MinimumDetectableEffect(double sigma_log, int n_per_side, double alpha, double power);
// Repetitions per side for MinimumDetectableEffect(...) <= delta.
int SamplesForEffect(double sigma_log, double delta, double alpha, double power);

}  // namespace bitgate::baselines
