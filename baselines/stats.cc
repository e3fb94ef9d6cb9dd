#include "baselines/stats.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <utility>

#include "kernels/base/random.h"
#include "kernels/base/status.h"

namespace bitgate::baselines {
namespace {

std::vector<double> Sorted(std::span<const double> values) {
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  return v;
}

double QuantileSorted(const std::vector<double>& v, double p) {
  BITGATE_CHECK(!v.empty());
  const double h = (static_cast<double>(v.size()) - 1.0) * p;
  const size_t lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= v.size()) return v.back();
  return v[lo] + (h - static_cast<double>(lo)) * (v[lo + 1] - v[lo]);
}

// Median of a scratch buffer, reordering it (nth_element: O(n)).
double MedianInPlace(double* first, size_t n) {
  const size_t mid = n / 2;
  std::nth_element(first, first + mid, first + n);
  const double upper = first[mid];
  if (n % 2 == 1) return upper;
  const double lower = *std::max_element(first, first + mid);
  return 0.5 * lower + 0.5 * upper;  // equal to 0.5 (lower + upper), which can overflow
}

// Cumulative null distribution of U for sizes (m, n), no ties: the counts are
// the coefficients of the Gaussian binomial [m+n choose m]_q, built as
// prod_{i=1..m} (1 - q^{n+i}) / (1 - q^i). Counts stay below
// C(50, 25) ~ 1.3e14 < 2^53, so doubles hold them exactly.
std::vector<double> BuildExactCdf(int m, int n) {
  const int max_u = m * n;
  std::vector<double> c(static_cast<size_t>(max_u) + 1, 0.0);
  c[0] = 1.0;
  int degree = 0;
  for (int i = 1; i <= m; ++i) {
    const int a = n + i;
    degree += n;  // net degree after multiplying by (1-q^a) and dividing by (1-q^i)
    for (int k = std::min(max_u, degree + i); k >= a; --k) c[k] -= c[k - a];
    for (int k = i; k <= max_u; ++k) c[k] += c[k - i];
  }
  double total = 0;
  for (double& x : c) {
    total += x;
    x = total;
  }
  for (double& x : c) x /= total;
  return c;
}

const std::vector<double>& ExactCdf(int m, int n) {
  if (m > n) std::swap(m, n);  // the distribution is symmetric in (m, n)
  static std::mutex mu;
  static std::map<std::pair<int, int>, std::vector<double>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find({m, n});
  if (it == cache.end()) it = cache.emplace(std::make_pair(m, n), BuildExactCdf(m, n)).first;
  return it->second;  // std::map nodes are stable
}

// Bootstrap draws: xoshiro256**, the same on every platform.
using Rng = Xoshiro256;

}  // namespace

// Moses rank: the interval [D_(k), D_(mn+1-k)] (1-based) of the sorted
// pairwise differences covers the shift with probability 1 - 2 P(U <= k-1).
int64_t MosesRank(int m, int n, double confidence) {
  const double half_alpha = (1.0 - confidence) / 2.0;
  if (m + n <= kMannWhitneyExactMaxN) {
    const auto& cdf = ExactCdf(m, n);
    int c = -1;
    while (c + 1 < static_cast<int>(cdf.size()) && cdf[c + 1] <= half_alpha) ++c;
    return std::max<int64_t>(1, c + 1);
  }
  const double mn = static_cast<double>(m) * n;
  const double sd = std::sqrt(mn * (m + n + 1) / 12.0);
  const double k = std::floor(mn / 2.0 - -NormalQuantile(half_alpha) * sd);
  return std::max<int64_t>(1, static_cast<int64_t>(k));
}

double Median(std::span<const double> values) {
  BITGATE_CHECK(!values.empty());
  std::vector<double> v(values.begin(), values.end());
  return MedianInPlace(v.data(), v.size());
}

double Quantile(std::span<const double> values, double p) {
  BITGATE_CHECK(p >= 0.0 && p <= 1.0);
  return QuantileSorted(Sorted(values), p);
}

double Mad(std::span<const double> values) {
  const double med = Median(values);
  std::vector<double> dev;
  dev.reserve(values.size());
  for (double x : values) dev.push_back(std::fabs(x - med));
  return MedianInPlace(dev.data(), dev.size());
}

double Mean(std::span<const double> values) {
  BITGATE_CHECK(!values.empty());
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double StdDev(std::span<const double> values) {
  if (values.size() < 2) return 0.0;
  const double mean = Mean(values);
  double ss = 0;
  for (double x : values) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(values.size() - 1));
}

double Cv(std::span<const double> values) {
  const double mean = Mean(values);
  return mean == 0.0 ? 0.0 : StdDev(values) / std::fabs(mean);
}

double RobustCv(std::span<const double> values) {
  const double med = Median(values);
  return med == 0.0 ? 0.0 : 1.4826 * Mad(values) / std::fabs(med);
}

TukeyCounts CountTukeyOutliers(std::span<const double> values) {
  TukeyCounts counts;
  if (values.size() < 4) return counts;  // quartiles of 3 points fence nothing useful
  const auto v = Sorted(values);
  const double q1 = QuantileSorted(v, 0.25), q3 = QuantileSorted(v, 0.75);
  const double iqr = q3 - q1;
  for (double x : v) {
    const double beyond = x < q1 ? q1 - x : (x > q3 ? x - q3 : 0.0);
    if (beyond > 3.0 * iqr) {
      ++counts.severe;
    } else if (beyond > 1.5 * iqr) {
      ++counts.mild;
    }
  }
  return counts;
}

std::vector<double> ModifiedZScores(std::span<const double> values) {
  std::vector<double> z(values.size(), 0.0);
  if (values.empty()) return z;
  const double med = Median(values);
  const double mad = Mad(values);
  if (mad > 0.0) {
    for (size_t i = 0; i < values.size(); ++i) z[i] = 0.6745 * (values[i] - med) / mad;
    return z;
  }
  // More than half the values equal (integer counters, coarse timers): the
  // MAD is 0, and 1.2533 x the mean absolute deviation from the median
  // stands in for 1.4826 MAD (Iglewicz and Hoaglin's convention), so a
  // spike among repeated values still scores. All equal: all zero.
  double abs_dev = 0.0;
  for (double x : values) abs_dev += std::fabs(x - med);
  const double mean_ad = abs_dev / static_cast<double>(values.size());
  if (mean_ad == 0.0) return z;
  for (size_t i = 0; i < values.size(); ++i) z[i] = (values[i] - med) / (1.2533 * mean_ad);
  return z;
}

int CountModifiedZOutliers(std::span<const double> values) {
  int count = 0;
  for (double z : ModifiedZScores(values)) count += std::fabs(z) > 3.5 ? 1 : 0;
  return count;
}

double BimodalityCoefficient(std::span<const double> values) {
  const size_t count = values.size();
  if (count < 4) return 0.0;
  const double n = static_cast<double>(count);
  const double mean = Mean(values);
  double m2 = 0, m3 = 0, m4 = 0;
  for (double x : values) {
    const double d = x - mean, d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  // Constant samples: one mode. The mean of n equal values need not be
  // exact in floating point, so a variance at rounding level (relative
  // 1e-12) counts as zero rather than yielding a coefficient of pure noise.
  if (m2 <= 1e-24 * mean * mean || m2 <= 0.0) return 0.0;
  const double g1 = m3 / std::pow(m2, 1.5);
  const double g2 = m4 / (m2 * m2) - 3.0;
  const double skew = std::sqrt(n * (n - 1.0)) / (n - 2.0) * g1;
  const double kurt = (n - 1.0) / ((n - 2.0) * (n - 3.0)) * ((n + 1.0) * g2 + 6.0);
  return (skew * skew + 1.0) / (kurt + 3.0 * (n - 1.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0)));
}

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double NormalQuantile(double p) {
  BITGATE_CHECK(p > 0.0 && p < 1.0);
  // Acklam's coefficients (relative error 1.15e-9 before refinement).
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                             -2.759285104469687e+02, 1.383577518672690e+02,
                             -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                             -1.556989798598866e+02, 6.680131188771972e+01,
                             -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                             -2.400758277161838e+00, -2.549732539343734e+00,
                             4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                             2.445134137142996e+00, 3.754408661907416e+00};
  const double p_low = 0.02425;
  double x;
  if (p < p_low) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - p_low) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley step on erfc brings it to full double precision.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double MannWhitneyExactCdf(int m, int n, int u) {
  if (u < 0) return 0.0;
  if (u >= m * n) return 1.0;
  return ExactCdf(m, n)[static_cast<size_t>(u)];
}

double SmallestAchievableP(int n_x, int n_y) {
  if (n_x < 1 || n_y < 1) return 1.0;
  // 2 / C(n_x + n_y, n_x), computed in logs to stay finite for large n.
  const double log_c = std::lgamma(n_x + n_y + 1.0) - std::lgamma(n_x + 1.0) - std::lgamma(n_y + 1.0);
  return std::min(1.0, 2.0 * std::exp(-log_c));
}

namespace {

// Exact two-sided p of a rank sum when the pooled sample has ties: under
// the null every choice of which `k` of the N pooled values belong to the
// side is equally likely, the tie pattern held fixed (the conditional
// permutation distribution). Midranks are halves, so the sums count in
// doubled ranks (integers); ways[j][s] = number of j-subsets with doubled
// rank sum s. Counts stay below C(50, 25) ~ 1.3e14 < 2^53: exact in doubles.
double ExactTiedP(const std::vector<int>& doubled_ranks, int k, int observed) {
  int max_sum = 0;
  for (int r : doubled_ranks) max_sum += r;
  std::vector<std::vector<double>> ways(static_cast<size_t>(k) + 1,
                                        std::vector<double>(static_cast<size_t>(max_sum) + 1, 0.0));
  ways[0][0] = 1.0;
  int reach = 0;  // largest sum reachable so far
  for (size_t i = 0; i < doubled_ranks.size(); ++i) {
    const int r = doubled_ranks[i];
    reach += r;
    for (int j = std::min<int>(k, static_cast<int>(i) + 1); j >= 1; --j) {
      auto& to = ways[static_cast<size_t>(j)];
      const auto& from = ways[static_cast<size_t>(j) - 1];
      for (int sum = reach; sum >= r; --sum) to[static_cast<size_t>(sum)] += from[static_cast<size_t>(sum - r)];
    }
  }
  double below = 0, above = 0, total = 0;
  for (int sum = 0; sum <= max_sum; ++sum) {
    const double w = ways[static_cast<size_t>(k)][static_cast<size_t>(sum)];
    total += w;
    if (sum <= observed) below += w;
    if (sum >= observed) above += w;
  }
  return std::min(1.0, 2.0 * std::min(below, above) / total);
}

}  // namespace

MannWhitneyResult MannWhitney(std::span<const double> x, std::span<const double> y) {
  BITGATE_CHECK(!x.empty() && !y.empty());
  const int m = static_cast<int>(x.size()), n = static_cast<int>(y.size());
  MannWhitneyResult r;
  // Midranks of the pooled sample; U_x = R_x - m(m+1)/2.
  std::vector<std::pair<double, int>> pooled;
  pooled.reserve(x.size() + y.size());
  for (double v : x) pooled.emplace_back(v, 0);
  for (double v : y) pooled.emplace_back(v, 1);
  std::sort(pooled.begin(), pooled.end());
  const int total = m + n;
  double rank_sum_x = 0, tie_term = 0;
  std::vector<int> doubled(static_cast<size_t>(total));  // 2 x midrank, in pooled order
  for (int i = 0; i < total;) {
    int j = i;
    while (j + 1 < total && pooled[j + 1].first == pooled[i].first) ++j;
    const double t = j - i + 1;
    const double midrank = (i + j) / 2.0 + 1.0;
    for (int k = i; k <= j; ++k) {
      rank_sum_x += pooled[k].second == 0 ? midrank : 0.0;
      doubled[static_cast<size_t>(k)] = i + j + 2;
    }
    if (t > 1) {
      r.ties = true;
      tie_term += t * t * t - t;
    }
    i = j + 1;
  }
  const double mn = static_cast<double>(m) * n;
  r.u = rank_sum_x - 0.5 * m * (m + 1.0);
  const double u_min = std::min(r.u, mn - r.u), u_max = std::max(r.u, mn - r.u);
  if (total <= kMannWhitneyExactMaxN) {
    r.exact = true;
    if (!r.ties) {
      r.p = std::min(1.0, 2.0 * MannWhitneyExactCdf(m, n, static_cast<int>(u_min)));
    } else {
      // The smaller side's doubled rank sum (the count is the same either way).
      const int side = m <= n ? 0 : 1;
      int observed = 0;
      for (int k = 0; k < total; ++k) observed += pooled[static_cast<size_t>(k)].second == side ? doubled[static_cast<size_t>(k)] : 0;
      r.p = ExactTiedP(doubled, std::min(m, n), observed);
    }
    return r;
  }
  const double nn = total;
  const double var = mn / 12.0 * ((nn + 1.0) - tie_term / (nn * (nn - 1.0)));
  if (var <= 0.0) {  // every value equal: no evidence of any shift
    r.p = 1.0;
    return r;
  }
  const double z = (u_max - mn / 2.0 - 0.5) / std::sqrt(var);
  r.p = std::min(1.0, 2.0 * NormalCdf(-z));
  return r;
}

namespace {

// Doubles mapped to integers in the same order (negative values reversed),
// so bisection over values takes at most 64 steps whatever their range.
int64_t OrderKey(double v) {
  int64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits < 0 ? std::numeric_limits<int64_t>::min() - bits : bits;
}
double FromOrderKey(int64_t key) {
  const int64_t bits = key < 0 ? std::numeric_limits<int64_t>::min() - key : key;
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// The k-th smallest (0-based) of the m n differences b - a (a in xs, b in
// ys, both sorted), each computed as the expression b - a, without storing
// them: the count of differences <= v is a two-pointer walk (b - a rounds
// monotonically), and the value is bisected over the doubles between the
// smallest and largest difference. Exact: the k-th difference is the least
// double v with count(v) > k. O((m + n) x 64) against m n memory for
// materialising them (3.2 GB at 20000 samples a side).
double KthDifference(const std::vector<double>& xs, const std::vector<double>& ys, uint64_t k) {
  const auto count_le = [&](double v) {
    uint64_t count = 0;
    size_t j = 0;
    for (size_t i = 0; i < xs.size(); ++i) {  // a ascending: more b qualify
      while (j < ys.size() && ys[j] - xs[i] <= v) ++j;
      count += j;
    }
    return count;
  };
  int64_t lo = OrderKey(ys.front() - xs.back()) - 1;  // count(lo) <= k
  int64_t hi = OrderKey(ys.back() - xs.front());      // count(hi) > k
  // The span between keys of opposite sign can exceed INT64_MAX: unsigned.
  while (static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) > 1) {
    const int64_t mid = lo + static_cast<int64_t>((static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo)) / 2);
    if (count_le(FromOrderKey(mid)) > k) hi = mid;
    else lo = mid;
  }
  return FromOrderKey(hi);
}

}  // namespace

RatioInterval HodgesLehmannLogRatio(std::span<const double> x, std::span<const double> y,
                                    double confidence) {
  BITGATE_CHECK(!x.empty() && !y.empty());
  const int m = static_cast<int>(x.size()), n = static_cast<int>(y.size());
  std::vector<double> lx(x.size()), ly(y.size());
  for (size_t i = 0; i < x.size(); ++i) lx[i] = std::log(x[i]);
  for (size_t j = 0; j < y.size(); ++j) ly[j] = std::log(y[j]);
  std::sort(lx.begin(), lx.end());
  std::sort(ly.begin(), ly.end());
  const uint64_t count = static_cast<uint64_t>(m) * static_cast<uint64_t>(n);
  const auto nth = [&](uint64_t i) { return KthDifference(lx, ly, i); };
  const double hl = count % 2 ? nth(count / 2) : 0.5 * (nth(count / 2 - 1) + nth(count / 2));
  const uint64_t k = std::min(static_cast<uint64_t>(MosesRank(m, n, confidence)), (count + 1) / 2);
  const double lower = nth(k - 1), upper = nth(count - k);
  return RatioInterval{std::exp(hl), std::exp(lower), std::exp(upper)};
}

namespace {

// Median of one bootstrap resample of `sorted` without materialising it: draw
// n indices into the sorted values, count them, and walk the counts to the
// middle order statistic(s). O(n) per resample and no sort.
double ResampleMedian(const std::vector<double>& sorted, std::vector<uint32_t>& counts, Rng& rng) {
  const auto n = static_cast<uint32_t>(sorted.size());
  std::fill(counts.begin(), counts.end(), 0u);
  for (uint32_t i = 0; i < n; ++i) ++counts[rng.Below(n)];
  // 0-based ranks of the middle: (n-1)/2 and n/2 (equal for odd n).
  const uint32_t lo_rank = (n - 1) / 2, hi_rank = n / 2;
  uint32_t seen = 0;
  double lo = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t next = seen + counts[i];
    if (seen <= lo_rank && lo_rank < next) lo = sorted[i];
    if (seen <= hi_rank && hi_rank < next) return 0.5 * (lo + sorted[i]);
    seen = next;
  }
  return lo;  // unreachable: the counts sum to n
}

}  // namespace

RatioInterval BootstrapMedianRatio(std::span<const double> x, std::span<const double> y,
                                   double confidence, int resamples, uint64_t seed) {
  BITGATE_CHECK(!x.empty() && !y.empty() && resamples > 0);
  Rng rng(seed);
  const auto sx = Sorted(x), sy = Sorted(y);
  std::vector<uint32_t> cx(sx.size()), cy(sy.size());
  std::vector<double> ratios(static_cast<size_t>(resamples));
  for (auto& r : ratios) {
    const double mx = ResampleMedian(sx, cx, rng);
    r = ResampleMedian(sy, cy, rng) / mx;
  }
  std::sort(ratios.begin(), ratios.end());
  const double a = (1.0 - confidence) / 2.0;
  return RatioInterval{QuantileSorted(sy, 0.5) / QuantileSorted(sx, 0.5), QuantileSorted(ratios, a),
                       QuantileSorted(ratios, 1.0 - a)};
}

std::vector<double> BenjaminiHochberg(std::span<const double> p_values) {
  const size_t m = p_values.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return p_values[a] < p_values[b]; });
  std::vector<double> q(m);
  double running = 1.0;
  for (size_t r = m; r-- > 0;) {  // from the largest p down: running minimum
    const double candidate = p_values[order[r]] * static_cast<double>(m) / static_cast<double>(r + 1);
    running = std::min(running, candidate);
    q[order[r]] = std::min(1.0, running);
  }
  return q;
}

std::vector<double> BenjaminiYekutieli(std::span<const double> p_values) {
  double harmonic = 0;
  for (size_t i = 1; i <= p_values.size(); ++i) harmonic += 1.0 / static_cast<double>(i);
  std::vector<double> q = BenjaminiHochberg(p_values);
  // BY's q is BH's applied to c(m) p; the running minimum commutes with scaling.
  for (double& v : q) v = std::min(1.0, v * harmonic);
  return q;
}

double MinimumDetectableEffect(double sigma_log, int n_per_side, double alpha, double power) {
  if (n_per_side < 1) return std::numeric_limits<double>::infinity();
  const double z = -NormalQuantile(alpha / 2.0) + NormalQuantile(power);  // upper quantile, exact for tiny alpha
  return std::expm1(z * std::sqrt(2.0) * sigma_log / std::sqrt(static_cast<double>(n_per_side)));
}

int SamplesForEffect(double sigma_log, double delta, double alpha, double power) {
  if (sigma_log <= 0.0) return 2;
  const double z = -NormalQuantile(alpha / 2.0) + NormalQuantile(power);  // upper quantile, exact for tiny alpha
  const double n = 2.0 * std::pow(z * sigma_log / std::log1p(delta), 2.0);
  return std::max(2, static_cast<int>(std::ceil(n)));
}

}  // namespace bitgate::baselines
