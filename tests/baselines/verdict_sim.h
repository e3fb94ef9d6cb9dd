// Simulated A/A and injected-shift comparisons that measure the verdict
// rule's false-alarm rate and power (issue 3, section 6). Shared by
// verdict_quality_test.cc (assertions) and bitgate-verdict-sim (the table).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "baselines/verdict.h"

namespace bitgate::baselines::sim {

struct NoiseModel {
  int benchmarks_per_run = 100;
  int repetitions = 10;           // per side
  double cv_min = 0.005, cv_max = 0.02;
  double outlier_probability = 0.02;  // per sample: a preemption spike
  double outlier_min = 0.05, outlier_max = 0.50;  // relative size of a spike
  double bimodal_fraction = 0.10;  // share of benchmarks with two modes
  double bimodal_gap_sigmas = 2.5; // distance of the second mode (in sigmas)
  double bimodal_weight_min = 0.1, bimodal_weight_max = 0.4;
  int shifted_per_run = 10;       // benchmarks slowed down in a shift run
  // A right tail, as timings on a shared machine show: with this
  // probability per sample, a delay of exponentially distributed relative
  // size (mean tail_mean) is added to the sample.
  double tail_probability = 0.0;
  double tail_mean = 0.03;
  // The gates' re-sampling round (gates/gate_main.cc): rows that more
  // samples could settle or confirm (REGRESSION, IMPROVEMENT, INCONCLUSIVE
  // under-powered, noisy or bimodal) get `repetitions` more samples and
  // every row is judged again on all it has: a second look at the data.
  enum class Resample { kNone, kCandidate, kBothSides };
  Resample resample = Resample::kNone;  // kCandidate: a stored baseline; kBothSides: A/B mode
};

// The rules compared side by side.
enum class Rule {
  kBitgate,      // BH q < alpha and point estimate beyond 1 + delta
  kConfirmed,    // bitgate's "confirmed": BH and the whole interval beyond
  kCriterion,    // uncorrected p < 0.05 and whole interval beyond 1 + delta
  kPlainMw,      // uncorrected Mann-Whitney p < 0.05, point estimate > 1
};
inline constexpr Rule kAllRules[] = {Rule::kBitgate, Rule::kConfirmed, Rule::kCriterion,
                                     Rule::kPlainMw};
const char* RuleName(Rule rule);

struct RuleFigures {
  int runs = 0;
  int runs_with_false_alarm = 0;  // any null benchmark called REGRESSION
  long null_rows = 0, false_alarms = 0;
  long shifted_rows = 0, detected = 0;
  long shifted_unimodal_rows = 0, detected_unimodal = 0;
  // Why shifted rows were missed, by verdict reason (bitgate rules only).
  std::map<std::string, long> misses;
  double FalseAlarmRunRate() const { return runs ? double(runs_with_false_alarm) / runs : 0; }
  double Power() const { return shifted_rows ? double(detected) / double(shifted_rows) : 0; }
  double PowerUnimodal() const {
    return shifted_unimodal_rows ? double(detected_unimodal) / double(shifted_unimodal_rows) : 0;
  }
};

// Simulates `runs` runs with every shifted benchmark slowed by `shift`
// (0 = A/A: nothing shifted) and scores each rule.
std::vector<RuleFigures> Simulate(const NoiseModel& model, const VerdictConfig& config,
                                  double shift, int runs, uint64_t seed);

}  // namespace bitgate::baselines::sim
