// Verdicts: one row per (benchmark, measure), judged by the rules table of
// shared/reference/verdicts.md (first match wins), with Benjamini-Hochberg
// (or -Yekutieli) correction across every row of the run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bitgate::baselines {

enum class Direction { kLowerIsBetter, kHigherIsBetter };
const char* DirectionName(Direction d);  // "lower", "higher"

enum class Verdict { kPass, kRegression, kImprovement, kInconclusive };
const char* VerdictName(Verdict v);  // "PASS", "REGRESSION", ...

enum class Reason {
  kNone,
  kEquivalent,          // PASS: interval inside [1 - delta, 1 + delta]
  kWithinThreshold,     // PASS: significant, point estimate within delta
  kTooFewSamples,       // INCONCLUSIVE
  kEnvironmentMismatch, // INCONCLUSIVE: baseline from another machine
  kUnreachableAlpha,    // INCONCLUSIVE: smallest achievable p above alpha
  kBimodal,             // INCONCLUSIVE
  kNoisy,               // INCONCLUSIVE: robust CV above the ceiling
  kUnderPowered,        // INCONCLUSIVE: not significant, interval past delta
  kNoBaseline,          // INCONCLUSIVE: the baseline has no such row
  kBenchmarkChanged,    // INCONCLUSIVE: version hash differs from the baseline's
  kNotRun,              // INCONCLUSIVE: errored or skipped on one side
  kSameBuildDrift,      // INCONCLUSIVE: both sides ran the same build, yet differ
  kShiftDisagrees,      // INCONCLUSIVE: significant, but the median ratio and the
                        // Hodges-Lehmann shift point opposite ways
};
const char* ReasonName(Reason r);  // "equivalent", "within threshold", ...

// The smallest significance level accepted (--alpha, thresholds): below it
// 1 - alpha rounds toward 1 in double and the intervals lose meaning.
inline constexpr double kMinAlpha = 1e-9;

struct VerdictConfig {
  double delta = 0.03;            // practical threshold (relative)
  double alpha = 0.05;            // on q-values; also 1 - interval confidence
  bool yekutieli = false;         // BY instead of BH
  int min_samples = 5;            // per side
  double cv_ceiling = 0.10;       // robust CV (1.4826 MAD / median) per side
  bool check_bimodality = true;
  // Test on samples without far outliers (|modified z| > 3.5 on each side):
  // preemption spikes are not the code's speed, and two of them in ten
  // repetitions would hide a 10% slowdown from a rank test.
  bool drop_outliers = true;
  double power = 0.8;             // for the MDE and "samples needed"
  int bootstrap_resamples = 1000; // 0 disables the bootstrap interval
  uint64_t seed = 20240601;
};

// One (benchmark, measure) pair to judge. Samples are raw repetitions.
// The measure name of the row a failed benchmark gets when it has no
// measure to compare (a new benchmark, a seed run): reports show it as not
// run; it has no stored measure, so no verdict is recorded for it.
inline constexpr const char* kNoMeasure = "-";

struct ComparisonInput {
  std::string benchmark;  // "suite/name" as shown to users
  std::string measure;
  std::string unit;
  Direction direction = Direction::kLowerIsBetter;
  std::vector<double> baseline;
  std::vector<double> candidate;
  // A reason known before any statistics (environment mismatch, benchmark
  // changed, not run): the row is INCONCLUSIVE with it, and left out of the
  // multiple-comparison family.
  Reason forced = Reason::kNone;
  std::optional<double> delta;  // per-benchmark overrides (threshold table)
  std::optional<double> alpha;
  // The candidate's benchmark reported an error (not a skip): the code under
  // test broke it, which ComparisonExitCode treats as a correctness failure.
  bool candidate_error = false;
  // The benchmark's suite: `benchmark` (the display name) alone is not a
  // key when two suites of one run share a name.
  std::string suite;
};

struct ComparisonRow {
  std::string benchmark, measure, unit;
  Direction direction = Direction::kLowerIsBetter;
  int n_baseline = 0, n_candidate = 0;
  double median_baseline = 0, median_candidate = 0;
  // Oriented so that > 1 is worse: candidate/baseline for lower-is-better,
  // baseline/candidate for higher-is-better.
  double ratio = 1;
  double ratio_lower = 1, ratio_upper = 1;  // Hodges-Lehmann / Moses on logs
  double hl_ratio = 1;
  double boot_lower = 1, boot_upper = 1;    // bootstrap of the median ratio
  bool has_test = false;  // p, q and intervals are meaningful
  bool candidate_error = false;  // ComparisonInput::candidate_error
  std::string suite;             // ComparisonInput::suite
  double p = 1;
  double q = 1;  // BH (or BY) q-value; NaN for a row outside the corrected family
  bool exact_p = false;
  double cv_baseline = 0, cv_candidate = 0;
  double robust_cv_baseline = 0, robust_cv_candidate = 0;
  int mild_baseline = 0, severe_baseline = 0, mild_candidate = 0, severe_candidate = 0;
  int dropped_baseline = 0, dropped_candidate = 0;  // left out of the test
  double bimodality = 0;  // pooled bimodality coefficient
  bool bimodal = false;
  // Every sample of one side beyond every sample of the other by more than
  // the threshold (after dropping extreme outliers): shape checks then
  // cannot change the verdict, so noisy or bimodal sides are still judged.
  bool separated = false;
  double mde = 0;  // relative, at alpha and config power
  double delta = 0, alpha = 0;
  Verdict verdict = Verdict::kInconclusive;
  Reason reason = Reason::kNone;
  bool confirmed = false;  // whole interval beyond 1 +/- delta
  int samples_needed = 0;  // per side, for kUnderPowered
  double sigma_log = 0;    // pooled robust noise of the two sides (log units)
  // A REGRESSION accepted by an annotation on the candidate's commit: shown,
  // but it does not fail the gate.
  bool accepted = false;
};

struct ComparisonSummary {
  int pass = 0, regression = 0, improvement = 0, inconclusive = 0;
  int confirmed_regressions = 0;
  int accepted_regressions = 0;  // included in `regression`
  double geomean_ratio = 1;  // over rows with both sides measured
  int geomean_rows = 0;      // how many such rows (0: no geometric mean)
};

// Per-row statistics (everything but q and the verdict). Samples must be
// positive and finite (ingest guarantees it).
ComparisonRow Measure(const ComparisonInput& input, const VerdictConfig& config);

// Applies the rules table to a row whose q is set.
void Decide(ComparisonRow& row, const VerdictConfig& config);

// Measures every row, corrects p across all rows that have a test, decides.
std::vector<ComparisonRow> CompareAll(const std::vector<ComparisonInput>& inputs,
                                      const VerdictConfig& config);

ComparisonSummary Summarize(const std::vector<ComparisonRow>& rows);

}  // namespace bitgate::baselines
