#include "baselines/verdict.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "baselines/stats.h"

namespace bitgate::baselines {
namespace {

std::vector<double> Logs(const std::vector<double>& v) {
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = std::log(v[i]);
  return out;
}

// Robust sigma of log values (1.4826 MAD); falls back to the standard
// deviation when more than half the values coincide (quantized timers).
double SigmaLog(const std::vector<double>& logs) {
  if (logs.size() < 2) return 0.0;
  const double mad = 1.4826 * Mad(logs);
  return mad > 0.0 ? mad : StdDev(logs);
}

// The samples the test uses: far outliers (|modified z| > 3.5) dropped, at
// most a fifth of the side, the farthest first. Preemption spikes are rare
// and one-sided; a larger group of far points is a second mode, and keeping
// part of it lets the bimodality check see it.
std::vector<double> WithoutOutliers(const std::vector<double>& v) {
  const auto z = ModifiedZScores(v);
  std::vector<size_t> far;
  for (size_t i = 0; i < v.size(); ++i)
    if (std::fabs(z[i]) > 3.5) far.push_back(i);
  std::sort(far.begin(), far.end(), [&](size_t a, size_t b) { return std::fabs(z[a]) > std::fabs(z[b]); });
  far.resize(std::min(far.size(), v.size() / 5));
  std::vector<bool> drop(v.size(), false);
  for (size_t i : far) drop[i] = true;
  std::vector<double> kept;
  kept.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    if (!drop[i]) kept.push_back(v[i]);
  return kept;
}

// Bimodality coefficient of both sides' logs, each centred on its own
// median and pooled (a shift between the sides is not a second mode), on
// the samples the test uses (one spike would dominate the skewness).
double PooledBimodality(const std::vector<double>& log_b, const std::vector<double>& log_c) {
  std::vector<double> pooled;
  for (const auto* side : {&log_b, &log_c}) {
    const double med = Median(*side);
    for (double v : *side) pooled.push_back(v - med);
  }
  // Below 10 points the coefficient is too noisy to act on.
  return pooled.size() >= 10 ? BimodalityCoefficient(pooled) : 0.0;
}

// The split of sorted values at their largest gap, with at least
// `min_points` values on each side of it, and whether that gap is clean:
// more than 3 within-cluster standard deviations, and more than twice the
// sample's resolution (its smallest spacing between distinct values other
// than the gap itself), or, when each cluster is one value, more than 5%
// and more than one step of a count (19 and 20 are ticks).
// Without the second rule a measure that moves in whole ticks (a timer,
// a count) always looked two-moded: clusters sitting on single ticks have
// no spread, so any gap of one tick exceeded "3 deviations" of zero, and
// {100 x6, 101 x2} against itself was INCONCLUSIVE (bimodal). Two exact
// values far apart ({100 x16, 200 x4}: a page size, a cache state) are
// still two modes.
// Log values closer than this are one value (relative 1e-12).
constexpr double kSameValue = 1e-12;
// Two single-valued clusters closer than this (log 1.05) are ticks.
const double kTickGap = std::log(1.05);

// Whether two log values are those of consecutive integers (19 and 20: one
// step of a count, whatever its relative size).
bool AdjacentIntegers(double log_lo, double log_hi) {
  const double lo = std::exp(log_lo), hi = std::exp(log_hi);
  const auto integral = [](double v) { return std::fabs(v - std::round(v)) <= 1e-6 * std::max(v, 1.0); };
  return integral(lo) && integral(hi) && std::round(hi) - std::round(lo) == 1.0;
}

struct GapSplit {
  size_t split = 0;  // first index of the upper cluster; 0 when none
  bool clean = false;
};

GapSplit LargestGap(const std::vector<double>& sorted, size_t min_points) {
  GapSplit out;
  const size_t n = sorted.size();
  if (n < 2 * min_points || n < 3) return out;
  double gap = -1;
  for (size_t i = min_points; i + min_points <= n; ++i) {
    const double g = sorted[i] - sorted[i - 1];
    if (g > gap) {
      gap = g;
      out.split = i;
    }
  }
  double ss = 0;
  for (auto [lo, hi] : {std::pair<size_t, size_t>{0, out.split}, std::pair<size_t, size_t>{out.split, n}}) {
    double mean = 0;
    for (size_t i = lo; i < hi; ++i) mean += sorted[i];
    mean /= static_cast<double>(hi - lo);
    for (size_t i = lo; i < hi; ++i) ss += (sorted[i] - mean) * (sorted[i] - mean);
  }
  const double within = std::sqrt(ss / static_cast<double>(n - 2));
  double resolution = std::numeric_limits<double>::infinity();
  for (size_t i = 1; i < n; ++i) {
    const double step = sorted[i] - sorted[i - 1];
    if (step > kSameValue && i != out.split) resolution = std::min(resolution, step);
  }
  const bool ticks_known = std::isfinite(resolution);
  out.clean = gap > 3.0 * within && (ticks_known ? gap > 2.0 * resolution : gap > kTickGap && !AdjacentIntegers(sorted[out.split - 1], sorted[out.split]));
  return out;
}

// Mode switching: split the pooled log samples at their largest gap; when
// that gap is clean and each side has at least two points in both
// clusters, the two sides sample the same two modes (in different
// proportions) rather than one level each. A real shift puts each side in
// its own cluster. It sees the raw samples, spikes included (a spike is one
// point, and a cluster here needs two from each side).
bool SidesShareTwoModes(const std::vector<double>& log_b, const std::vector<double>& log_c) {
  std::vector<std::pair<double, int>> pooled;
  for (double v : log_b) pooled.emplace_back(v, 0);
  for (double v : log_c) pooled.emplace_back(v, 1);
  if (pooled.size() < 8) return false;
  std::sort(pooled.begin(), pooled.end());
  std::vector<double> values;
  for (const auto& p : pooled) values.push_back(p.first);
  const GapSplit g = LargestGap(values, 2);
  if (!g.clean) return false;
  int count[2][2] = {{0, 0}, {0, 0}};  // [side][cluster]
  for (size_t i = 0; i < pooled.size(); ++i) ++count[pooled[i].second][i < g.split ? 0 : 1];
  return count[0][0] >= 2 && count[0][1] >= 2 && count[1][0] >= 2 && count[1][1] >= 2;
}

// One side's samples hold two modes: a bimodality coefficient above 5/9
// that a clean gap in the sample confirms. The coefficient alone also
// rises with skewness, and timings on a shared machine are skewed (a dense
// floor and a right tail of delays, with no gap in it): in simulation
// (bitgate-verdict-sim --reps 20 --delta 0.05 --tail 0.5) the coefficient
// alone called a quarter of real 10% regressions bimodal. Any point may
// stand beyond the gap: requiring two let more mode switches through in
// the two-mode stress case (A/A 1.8% of runs against 1.2%).
bool SideLooksBimodal(const std::vector<double>& logs) {
  if (!(BimodalityCoefficient(logs) > kBimodalityThreshold)) return false;
  std::vector<double> sorted = logs;
  std::sort(sorted.begin(), sorted.end());
  return LargestGap(sorted, 1).clean;
}

// Bimodal when both sides hold two modes (in proportions that may differ:
// the median can jump between them without any code change), or when one
// side does and the pooled coefficient agrees, or when the sides share two
// modes. A single coefficient over 10 samples flags about 1% of unimodal
// log-normal samples (simulated); requiring two keeps false flags rare.
bool LooksBimodal(double pooled, const std::vector<double>& log_b, const std::vector<double>& log_c,
                  const std::vector<double>& raw_log_b, const std::vector<double>& raw_log_c) {
  const bool b = SideLooksBimodal(log_b);
  const bool c = SideLooksBimodal(log_c);
  return (b && c) || (pooled > kBimodalityThreshold && (b || c)) || SidesShareTwoModes(raw_log_b, raw_log_c);
}

// The INCONCLUSIVE rows of the first line of the rules table; kNone when
// the row may be tested.
Reason PreCheck(const ComparisonRow& row, const ComparisonInput& input, const VerdictConfig& config) {
  if (input.forced != Reason::kNone) return input.forced;
  if (row.n_baseline == 0) return Reason::kNoBaseline;
  if (std::min(row.n_baseline, row.n_candidate) < std::max(2, config.min_samples))
    return Reason::kTooFewSamples;
  // The test runs on the samples left after outliers are dropped.
  if (SmallestAchievableP(row.n_baseline - row.dropped_baseline, row.n_candidate - row.dropped_candidate) > row.alpha)
    return Reason::kUnreachableAlpha;
  // The shape checks guard against medians that move with the noise; a
  // change larger than the threshold and larger than all of the noise
  // (the sides do not even overlap) is judged whatever the shape.
  if (row.separated) return Reason::kNone;
  if (config.check_bimodality && row.bimodal) return Reason::kBimodal;
  if (std::max(row.robust_cv_baseline, row.robust_cv_candidate) > config.cv_ceiling) return Reason::kNoisy;
  return Reason::kNone;
}

}  // namespace

const char* DirectionName(Direction d) {
  return d == Direction::kLowerIsBetter ? "lower" : "higher";
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kPass: return "PASS";
    case Verdict::kRegression: return "REGRESSION";
    case Verdict::kImprovement: return "IMPROVEMENT";
    case Verdict::kInconclusive: return "INCONCLUSIVE";
  }
  return "?";
}

const char* ReasonName(Reason r) {
  switch (r) {
    case Reason::kNone: return "";
    case Reason::kEquivalent: return "equivalent";
    case Reason::kWithinThreshold: return "within threshold";
    case Reason::kTooFewSamples: return "too few samples";
    case Reason::kEnvironmentMismatch: return "environment mismatch";
    case Reason::kUnreachableAlpha: return "smallest achievable p above alpha";
    case Reason::kBimodal: return "bimodal";
    case Reason::kNoisy: return "noisy (CV above ceiling)";
    case Reason::kUnderPowered: return "under-powered";
    case Reason::kNoBaseline: return "no baseline";
    case Reason::kBenchmarkChanged: return "benchmark changed";
    case Reason::kNotRun: return "errored or skipped";
    case Reason::kSameBuildDrift: return "same build: machine drift";
    case Reason::kShiftDisagrees: return "median and shift disagree";
  }
  return "?";
}

ComparisonRow Measure(const ComparisonInput& input, const VerdictConfig& config) {
  ComparisonRow row;
  row.benchmark = input.benchmark;
  row.measure = input.measure;
  row.unit = input.unit;
  row.direction = input.direction;
  row.delta = input.delta.value_or(config.delta);
  row.alpha = input.alpha.value_or(config.alpha);
  row.candidate_error = input.candidate_error;
  row.suite = input.suite;
  row.n_baseline = static_cast<int>(input.baseline.size());
  row.n_candidate = static_cast<int>(input.candidate.size());
  const auto& b = input.baseline;
  const auto& c = input.candidate;
  if (!b.empty()) {
    row.median_baseline = Median(b);
    row.cv_baseline = Cv(b);
    row.robust_cv_baseline = RobustCv(b);
    const auto t = CountTukeyOutliers(b);
    row.mild_baseline = t.mild;
    row.severe_baseline = t.severe;
  }
  if (!c.empty()) {
    row.median_candidate = Median(c);
    row.cv_candidate = Cv(c);
    row.robust_cv_candidate = RobustCv(c);
    const auto t = CountTukeyOutliers(c);
    row.mild_candidate = t.mild;
    row.severe_candidate = t.severe;
  }
  if (b.empty() || c.empty()) return row;

  const bool lower_better = input.direction == Direction::kLowerIsBetter;
  row.ratio = lower_better ? row.median_candidate / row.median_baseline
                           : row.median_baseline / row.median_candidate;
  const auto tb = config.drop_outliers ? WithoutOutliers(b) : b;
  const auto tc = config.drop_outliers ? WithoutOutliers(c) : c;
  row.dropped_baseline = static_cast<int>(b.size() - tb.size());
  row.dropped_candidate = static_cast<int>(c.size() - tc.size());
  // "worse" is the side whose larger value means a regression.
  const auto& better_ref = lower_better ? tb : tc;
  const auto& worse_ref = lower_better ? tc : tb;
  const auto log_b = Logs(tb), log_c = Logs(tc);
  row.bimodality = PooledBimodality(log_b, log_c);
  row.bimodal = LooksBimodal(row.bimodality, log_b, log_c, Logs(b), Logs(c));
  if (!tb.empty() && !tc.empty()) {
    const auto [b_min, b_max] = std::minmax_element(tb.begin(), tb.end());
    const auto [c_min, c_max] = std::minmax_element(tc.begin(), tc.end());
    // Oriented like `ratio`: > 1 + delta means every candidate sample is worse.
    const double worst_gap = lower_better ? *c_min / *b_max : *b_min / *c_max;
    const double best_gap = lower_better ? *c_max / *b_min : *b_max / *c_min;
    row.separated = worst_gap > 1.0 + row.delta || best_gap < 1.0 - row.delta;
  }
  const double sigma = std::sqrt(0.5 * (std::pow(SigmaLog(log_b), 2) + std::pow(SigmaLog(log_c), 2)));
  row.sigma_log = sigma;
  // The samples the test runs on (outliers dropped), as the sigma beside
  // it and the samples-needed figure count them.
  row.mde = MinimumDetectableEffect(sigma, static_cast<int>(std::min(tb.size(), tc.size())), row.alpha,
                                    config.power);
  if (row.n_baseline < 2 || row.n_candidate < 2) return row;

  row.has_test = true;
  const auto mw = MannWhitney(tb, tc);
  row.p = mw.p;
  row.q = std::numeric_limits<double>::quiet_NaN();  // set for the rows of the corrected family
  row.exact_p = mw.exact;
  const auto hl = HodgesLehmannLogRatio(better_ref, worse_ref, 1.0 - row.alpha);
  row.hl_ratio = hl.ratio;
  row.ratio_lower = hl.lower;
  row.ratio_upper = hl.upper;
  if (config.bootstrap_resamples > 0) {
    // Each row draws its own resamples (config.seed mixed with the row's
    // identity, FNV-1a), so rows of equal sizes do not share them and their
    // intervals are not correlated; a row's interval stays reproducible.
    uint64_t seed = 0xcbf29ce484222325ULL ^ config.seed;
    for (const std::string* part : {&input.suite, &input.benchmark, &input.measure}) {
      for (unsigned char ch : *part) seed = (seed ^ ch) * 0x100000001b3ULL;
      seed = (seed ^ 0xFFu) * 0x100000001b3ULL;  // field separator
    }
    const auto boot = BootstrapMedianRatio(better_ref, worse_ref, 1.0 - row.alpha,
                                           config.bootstrap_resamples, seed);
    row.boot_lower = boot.lower;
    row.boot_upper = boot.upper;
  }
  return row;
}

void Decide(ComparisonRow& row, const VerdictConfig& /*config*/) {
  const double hi = 1.0 + row.delta, lo = 1.0 - row.delta;
  const bool significant = row.q < row.alpha;
  row.confirmed = false;
  // The test and the Hodges-Lehmann shift see the trimmed samples, the
  // ratio the raw medians; on skewed or many-level data the two can point
  // opposite ways, and a significant shift one way is no evidence that the
  // median moved the other.
  const bool worse = row.ratio > hi, better = row.ratio < lo;
  if (significant && worse && row.hl_ratio > 1.0) {
    row.verdict = Verdict::kRegression;
    row.confirmed = row.ratio_lower > hi;
    row.reason = Reason::kNone;
  } else if (significant && better && row.hl_ratio < 1.0) {
    row.verdict = Verdict::kImprovement;
    row.confirmed = row.ratio_upper < lo;
    row.reason = Reason::kNone;
  } else if (row.ratio_lower >= lo && row.ratio_upper <= hi) {
    row.verdict = Verdict::kPass;
    row.reason = Reason::kEquivalent;
  } else if (significant && (worse || better)) {
    row.verdict = Verdict::kInconclusive;
    row.reason = Reason::kShiftDisagrees;
  } else if (significant) {
    row.verdict = Verdict::kPass;
    row.reason = Reason::kWithinThreshold;
  } else {
    row.verdict = Verdict::kInconclusive;
    row.reason = Reason::kUnderPowered;
  }
  row.samples_needed = 0;
}

namespace {

// Samples per side that would decide an under-powered row in a family of
// `family` tested rows: enough to resolve the estimate from the nearer
// decision boundary (0, when it lies beyond the threshold and needs only
// significance; the threshold, when it lies inside and the interval must
// shrink into it), at the family's share of alpha (a lone change needs
// p <= alpha / family under BH, alpha / (family H(family)) under BY), and
// never fewer than the test can reach
// that level with, nor fewer than the row already has.
int SamplesToDecide(const ComparisonRow& row, size_t family, const VerdictConfig& config) {
  const size_t m = std::max<size_t>(family, 1);
  double a = row.alpha / static_cast<double>(m);
  if (config.yekutieli) {  // BY's level: alpha / (m H(m))
    double harmonic = 0;
    for (size_t i = 1; i <= m; ++i) harmonic += 1.0 / static_cast<double>(i);
    a /= harmonic;
  }
  const double shift = std::fabs(std::log(row.hl_ratio)), bound = std::log1p(row.delta);
  const double effect = std::max(shift >= bound ? shift : bound - shift, 0.25 * bound);
  int n = SamplesForEffect(row.sigma_log, std::expm1(effect), a, config.power);
  while (SmallestAchievableP(n, n) > a) ++n;
  const int have = std::min(row.n_baseline - row.dropped_baseline, row.n_candidate - row.dropped_candidate);
  return std::max(n, have + 1);
}

}  // namespace

std::vector<ComparisonRow> CompareAll(const std::vector<ComparisonInput>& inputs,
                                      const VerdictConfig& config) {
  std::vector<ComparisonRow> rows;
  rows.reserve(inputs.size());
  std::vector<double> family_p;
  std::vector<size_t> family;
  for (size_t i = 0; i < inputs.size(); ++i) {
    rows.push_back(Measure(inputs[i], config));
    ComparisonRow& row = rows.back();
    const Reason pre = PreCheck(row, inputs[i], config);
    if (pre != Reason::kNone || !row.has_test) {
      row.verdict = Verdict::kInconclusive;
      row.reason = pre == Reason::kNone ? Reason::kTooFewSamples : pre;
      row.samples_needed = 0;
      continue;
    }
    family.push_back(i);
    family_p.push_back(row.p);
  }
  // The family is every (benchmark, measure) actually tested in this run.
  const auto q = config.yekutieli ? BenjaminiYekutieli(family_p) : BenjaminiHochberg(family_p);
  for (size_t k = 0; k < family.size(); ++k) {
    ComparisonRow& row = rows[family[k]];
    row.q = q[k];
    Decide(row, config);
    if (row.reason == Reason::kUnderPowered) row.samples_needed = SamplesToDecide(row, family.size(), config);
  }
  return rows;
}

ComparisonSummary Summarize(const std::vector<ComparisonRow>& rows) {
  ComparisonSummary s;
  double log_sum = 0;
  int log_count = 0;
  for (const auto& r : rows) {
    switch (r.verdict) {
      case Verdict::kPass: ++s.pass; break;
      case Verdict::kRegression:
        ++s.regression;
        s.confirmed_regressions += r.confirmed ? 1 : 0;
        s.accepted_regressions += r.accepted ? 1 : 0;
        break;
      case Verdict::kImprovement: ++s.improvement; break;
      case Verdict::kInconclusive: ++s.inconclusive; break;
    }
    if (r.n_baseline > 0 && r.n_candidate > 0 && r.ratio > 0) {
      log_sum += std::log(r.ratio);
      ++log_count;
    }
  }
  s.geomean_ratio = log_count ? std::exp(log_sum / log_count) : 1.0;
  s.geomean_rows = log_count;
  return s;
}

}  // namespace bitgate::baselines
