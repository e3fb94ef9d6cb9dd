// Writers for a comparison of a candidate run with its baseline: the
// markdown ledger table (one row per benchmark and measure, in the format of
// shared/reference/verdicts.md), JSON carrying the same fields plus raw
// p-values and both intervals, and JUnit XML for CI test tabs.
#pragma once

#include <string>

#include "baselines/compare.h"

namespace bitgate::reports {

// One ledger row, e.g.
// | quantize/i2s/65536 | real_time ns (lower better) | 1.234 us -> 1.301 us | x1.054 [1.039, 1.070] |
//   p=4e-4 q=6e-3 | n=12/12 | delta 3% MDE 1.6% | CV 1.2%/1.4%, outliers 1/0 | REGRESSION |
std::string LedgerRow(const baselines::ComparisonRow& row);
// "REGRESSION (confirmed)", "PASS (equivalent)", "INCONCLUSIVE (under-powered: 24 samples/side)".
std::string VerdictText(const baselines::ComparisonRow& row);
// A ratio of the row (its ratio or an interval end) with the digits that
// keep it apart from the row's thresholds 1 +- delta ("1.0503", not "1.050").
std::string RatioBesideThresholds(const baselines::ComparisonRow& row, double ratio);

// Heading, baseline line, notes, the table and the summary line.
std::string ComparisonMarkdown(const baselines::ComparisonReport& report);
// The summary line alone: counts and the geometric mean of ratios.
std::string SummaryLine(const baselines::ComparisonReport& report);

std::string ComparisonJson(const baselines::ComparisonReport& report);

// Regression -> <failure>, a benchmark that errored in the candidate ->
// <error>, other INCONCLUSIVE rows (no baseline, too little data, skipped,
// errored only in the baseline) -> <skipped>; one <testcase> per benchmark
// measure.
std::string ComparisonJunit(const baselines::ComparisonReport& report);

// XML attribute/text escaping (control characters dropped, newlines kept
// as &#10;), shared by every JUnit writer.
std::string XmlEscape(const std::string& text);

// One row as a JUnit <testcase>: regression -> failure, not run -> error,
// inconclusive -> skipped; counts what it emitted.
struct JunitCounts {
  int failures = 0, errors = 0, skipped = 0;
};
std::string JunitRowCase(const baselines::ComparisonRow& row, const std::string& classname, JunitCounts* counts);

}  // namespace bitgate::reports
