// Golden-output tests of the comparison writers, in the style of Google
// Benchmark's reporter tests: the exact text, line by line.
#include "reports/comparison_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reports/format.h"

namespace bitgate::reports {
namespace {

using baselines::ComparisonRow;
using baselines::Direction;
using baselines::Reason;
using baselines::Verdict;

// The example row of shared/reference/verdicts.md.
ComparisonRow ExampleRow() {
  ComparisonRow r;
  r.benchmark = "quantize/i2s/65536";
  r.measure = "time";
  r.unit = "ns";
  r.direction = Direction::kLowerIsBetter;
  r.n_baseline = r.n_candidate = 12;
  r.median_baseline = 1234.0;
  r.median_candidate = 1301.0;
  r.ratio = 1.0543;
  r.ratio_lower = 1.0391;
  r.ratio_upper = 1.0702;
  r.has_test = true;
  r.p = 4.1e-4;
  r.q = 6.2e-3;
  r.delta = 0.03;
  r.alpha = 0.05;
  r.mde = 0.016;
  r.cv_baseline = 0.012;
  r.cv_candidate = 0.014;
  r.mild_baseline = 1;
  r.verdict = Verdict::kRegression;
  r.confirmed = true;
  return r;
}

TEST(ComparisonReportTest, LedgerRowMatchesTheReferenceFormat) {
  EXPECT_EQ(LedgerRow(ExampleRow()),
            "| quantize/i2s/65536 | time ns (lower better) | 1.234 us -> 1.301 us | x1.054 [1.039, 1.070] | "
            "p=4e-4 q=6e-3 | n=12/12 | delta 3% MDE 1.6% | CV 1.2%/1.4%, outliers 1/0 | REGRESSION (confirmed) |");
}

TEST(ComparisonReportTest, VerdictTexts) {
  ComparisonRow r = ExampleRow();
  r.confirmed = false;
  EXPECT_EQ(VerdictText(r), "REGRESSION");
  r.accepted = true;
  EXPECT_EQ(VerdictText(r), "REGRESSION (accepted)");
  r.verdict = Verdict::kInconclusive;
  r.reason = Reason::kUnderPowered;
  r.samples_needed = 24;
  EXPECT_EQ(VerdictText(r), "INCONCLUSIVE (under-powered: ~24 samples/side would decide)");
  r.verdict = Verdict::kPass;
  r.reason = Reason::kEquivalent;
  EXPECT_EQ(VerdictText(r), "PASS (equivalent)");
}

TEST(ComparisonReportTest, RowWithoutBaseline) {
  ComparisonRow r;
  r.benchmark = "new|bench";  // a '|' must not break the table
  r.measure = "items_per_second";
  r.unit = "items/s";
  r.direction = Direction::kHigherIsBetter;
  r.n_candidate = 10;
  r.median_candidate = 665700.0;
  r.delta = 0.03;
  r.verdict = Verdict::kInconclusive;
  r.reason = Reason::kNoBaseline;
  EXPECT_EQ(LedgerRow(r),
            "| new\\|bench | items_per_second items/s (higher better) | - -> 665.7k items/s | - | - | n=0/10 | "
            "delta 3% MDE - | CV -/0%, outliers -/0 | INCONCLUSIVE (no baseline) |");
}

baselines::ComparisonReport ExampleReport() {
  baselines::ComparisonReport report;
  report.candidate.id = 7;
  report.candidate.suite = "kernels";
  report.candidate.branch = "feature";
  report.candidate.commit = "0123456789abcdef";
  report.baseline.source = baselines::BaselineSource::kMergeBase;
  report.baseline.commit = "fedcba9876543210";
  report.baseline.run_ids = {3, 4};
  report.rows = {ExampleRow()};
  ComparisonRow pass = ExampleRow();
  pass.benchmark = "gemv/i2s";
  pass.ratio = 1.004;
  pass.ratio_lower = 0.995;
  pass.ratio_upper = 1.012;
  pass.p = pass.q = 0.52;
  pass.verdict = Verdict::kPass;
  pass.reason = Reason::kEquivalent;
  pass.confirmed = false;
  report.rows.push_back(pass);
  report.summary = baselines::Summarize(report.rows);
  return report;
}

TEST(ComparisonReportTest, MarkdownGolden) {
  const std::string machine = baselines::MachineInfo{}.Fingerprint();
  EXPECT_EQ(ComparisonMarkdown(ExampleReport()),
            "<!-- bitgate:compare v1 -->\n"
            "### bitgate compare: kernels\n\n"
            "candidate: run 7, feature @ 0123456789ab on machine " + machine + "  \n"
            "baseline: fedcba987654 (merge-base, runs 3,4)  \n"
            "rule: REGRESSION when q < alpha (Benjamini-Hochberg) and the ratio of medians exceeds 1 + delta; "
            "intervals: Hodges-Lehmann/Moses 95%\n\n"
            "| benchmark | measure | baseline -> candidate | ratio [interval] | p, q | n | threshold | noise | verdict |\n"
            "|---|---|---|---|---|---|---|---|---|\n"
            "| quantize/i2s/65536 | time ns (lower better) | 1.234 us -> 1.301 us | x1.054 [1.039, 1.070] | "
            "p=4e-4 q=6e-3 | n=12/12 | delta 3% MDE 1.6% | CV 1.2%/1.4%, outliers 1/0 | REGRESSION (confirmed) |\n"
            "| gemv/i2s | time ns (lower better) | 1.234 us -> 1.301 us | x1.004 [0.995, 1.012] | p=0.52 q=0.52 | "
            "n=12/12 | delta 3% MDE 1.6% | CV 1.2%/1.4%, outliers 1/0 | PASS (equivalent) |\n"
            "\n"
            "**2 comparisons: 1 REGRESSION (1 confirmed), 0 IMPROVEMENT, 1 PASS, 0 INCONCLUSIVE; "
            "geometric mean of ratios x1.029**\n");
}

TEST(ComparisonReportTest, JsonCarriesRawPAndIntervals) {
  const auto doc = nlohmann::json::parse(ComparisonJson(ExampleReport()));
  EXPECT_EQ(doc["format"], "bitgate-comparison");
  ASSERT_EQ(doc["rows"].size(), 2u);
  const auto& row = doc["rows"][0];
  EXPECT_DOUBLE_EQ(row["p"].get<double>(), 4.1e-4);
  EXPECT_DOUBLE_EQ(row["q"].get<double>(), 6.2e-3);
  EXPECT_DOUBLE_EQ(row["interval"]["lower"].get<double>(), 1.0391);
  EXPECT_EQ(row["verdict"], "REGRESSION");
  EXPECT_EQ(row["confirmed"], true);
  EXPECT_EQ(row["n_baseline"], 12);
  EXPECT_EQ(doc["summary"]["regression"], 1);
  EXPECT_EQ(doc["baseline"]["run_ids"], nlohmann::json({3, 4}));
}

TEST(ComparisonReportTest, JunitMapsVerdicts) {
  auto report = ExampleReport();
  ComparisonRow missing = ExampleRow();
  missing.benchmark = "new";
  missing.verdict = Verdict::kInconclusive;
  missing.reason = Reason::kNoBaseline;
  report.rows.push_back(missing);
  const std::string xml = ComparisonJunit(report);
  EXPECT_NE(xml.find("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure message=\"REGRESSION (confirmed): "), std::string::npos);
  EXPECT_NE(xml.find("<skipped message=\"INCONCLUSIVE (no baseline)"), std::string::npos);
}

// A side with no samples has no CV or outliers, one sample has no spread
// (its MDE read 0%), and a report with no row measured on both sides has no
// geometric mean (it read x1.000): null in JSON, "-" in markdown.
TEST(ComparisonReportTest, ValuesThatDoNotExistAreNullOrDash) {
  ComparisonRow r = ExampleRow();
  r.n_baseline = 0;
  r.has_test = false;
  r.verdict = Verdict::kInconclusive;
  r.reason = Reason::kNoBaseline;
  baselines::ComparisonReport report;
  report.rows = {r};
  report.summary = baselines::Summarize(report.rows);
  auto doc = nlohmann::json::parse(ComparisonJson(report));
  const auto& row = doc["rows"][0];
  for (const char* key : {"cv_baseline", "robust_cv_baseline", "outliers_baseline", "bimodality_coefficient", "mde",
                          "ratio"})
    EXPECT_TRUE(row[key].is_null()) << key;
  EXPECT_FALSE(row["cv_candidate"].is_null());
  EXPECT_TRUE(doc["summary"]["geomean_ratio"].is_null());
  EXPECT_NE(SummaryLine(report).find("geometric mean of ratios - (no row measured on both sides)"), std::string::npos);

  ComparisonRow one = ExampleRow();
  one.n_baseline = 1;
  one.has_test = false;
  EXPECT_NE(LedgerRow(one).find("| delta 3% MDE - |"), std::string::npos) << LedgerRow(one);
  report.rows = {one};
  report.summary = baselines::Summarize(report.rows);
  doc = nlohmann::json::parse(ComparisonJson(report));
  EXPECT_TRUE(doc["rows"][0]["mde"].is_null());
  EXPECT_FALSE(doc["rows"][0]["cv_baseline"].is_null());
  EXPECT_FALSE(doc["summary"]["geomean_ratio"].is_null());
}

// Values beside the threshold they are judged by print apart from it: a
// ratio of 1.0304 is a REGRESSION at delta 3% and printed "x1.030", and
// q = 0.0496 and 0.0504 both printed "0.05" beside alpha 0.05.
TEST(ComparisonReportTest, NumbersBesideAThresholdReadApartFromIt) {
  ComparisonRow r = ExampleRow();
  r.ratio = 1.0304;
  r.ratio_lower = 1.0297;
  r.ratio_upper = 1.0702;
  r.q = 0.0496;
  const std::string row = LedgerRow(r);
  EXPECT_NE(row.find("| x1.0304 [1.0297, 1.070] | p=4e-4 q=0.0496 |"), std::string::npos) << row;
  EXPECT_EQ(RatioNumberBeside(1.054, 1.03), "1.054");
  EXPECT_EQ(RatioNumberBeside(0.9696, 0.97), "0.9696");
  EXPECT_EQ(RatioNumberBeside(1.03, 1.03), "1.030");
  EXPECT_EQ(RatioNumberBeside(1.03004, 1.03), "1.03004");  // as many digits as it takes
  EXPECT_EQ(FormatPBeside(0.0504, 0.05), "0.0504");
  EXPECT_EQ(FormatPBeside(0.012, 0.05), "0.012");
  EXPECT_EQ(FormatPBeside(0.05, 0.05), "0.05");
}

// A benchmark skipped on purpose (or errored only in the baseline) is not
// an error of the run, which exits 0: <skipped>. One that errored in the
// candidate (exit 4) is an <error>.
TEST(ComparisonReportTest, JunitErrorOnlyForACandidateError) {
  auto report = ExampleReport();
  report.rows.clear();
  ComparisonRow skipped = ExampleRow();
  skipped.verdict = Verdict::kInconclusive;
  skipped.reason = Reason::kNotRun;
  ComparisonRow errored = skipped;
  errored.benchmark = "broken";
  errored.candidate_error = true;
  report.rows = {skipped, errored};
  const std::string xml = ComparisonJunit(report);
  EXPECT_NE(xml.find("tests=\"2\" failures=\"0\" errors=\"1\" skipped=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("name=\"broken time\" classname=\"bitgate.kernels\" time=\"0\"><error"), std::string::npos) << xml;
  // With only another machine's baselines the errored row's reason is
  // "environment mismatch": still an <error> (compare exits 4), and its
  // text says the benchmark errored.
  errored.reason = Reason::kEnvironmentMismatch;
  report.rows = {skipped, errored};
  const std::string mismatch = ComparisonJunit(report);
  EXPECT_NE(mismatch.find("tests=\"2\" failures=\"0\" errors=\"1\" skipped=\"1\""), std::string::npos) << mismatch;
  EXPECT_EQ(VerdictText(errored), "INCONCLUSIVE (environment mismatch; the candidate's benchmark errored)");
}

TEST(FormatTest, Numbers) {
  EXPECT_EQ(FormatValue(999.0, "ns"), "999 ns");
  EXPECT_EQ(FormatValue(1.5e9, "ns"), "1.5 s");
  EXPECT_EQ(FormatValue(2.5e6, "bytes/s"), "2.5M bytes/s");
  EXPECT_EQ(FormatValue(42.0, "1"), "42");
  EXPECT_EQ(FormatP(1.0), "1");
  EXPECT_EQ(FormatP(0.0123), "0.012");
  EXPECT_EQ(FormatP(7.4e-7), "7e-7");
  EXPECT_EQ(FormatPercent(0.03), "3%");
  EXPECT_EQ(FormatPercent(0.0312), "3.1%");
}

// A value printed beside its SLO target keeps the digits that tell them
// apart ("10 s <= 10 s does not hold" read as a contradiction).
TEST(FormatTest, ValuesBesideATargetReadApartFromIt) {
  EXPECT_EQ(FormatValueBeside(10.0004e9, 10e9, "ns"), "10.0004 s");
  EXPECT_EQ(FormatValue(10e9, "ns"), "10 s");
  EXPECT_EQ(FormatValueBeside(12.5e9, 10e9, "ns"), "12.5 s");  // apart at four digits already
  EXPECT_EQ(FormatValueBeside(10e9, 10e9, "ns"), "10 s");
  EXPECT_EQ(FormatValueBeside(100.02, 100.0, "tokens/s"), "100.02 tokens/s");
  const auto row = [] {
    ComparisonRow r;
    r.delta = 0.05;
    return r;
  }();
  EXPECT_EQ(RatioBesideThresholds(row, 1.0503), "1.0503");
  EXPECT_EQ(RatioBesideThresholds(row, 1.2), "1.200");
}

// Mermaid's xychart takes plain numbers only: an exponent ("1.52346e+07",
// "7.5e-05" from %.6g) broke the trend chart of any large or tiny measure.
TEST(FormatTest, MermaidNumbersHaveNoExponent) {
  EXPECT_EQ(MermaidNumber(15234567.0), "15234567");
  EXPECT_EQ(MermaidNumber(7.5e-5), "0.000075");
  EXPECT_EQ(MermaidNumber(-2.5e-7), "-0.00000025");
  EXPECT_EQ(MermaidNumber(123.456789), "123.457");
  EXPECT_EQ(MermaidNumber(1.5), "1.5");
  EXPECT_EQ(MermaidNumber(999999.7), "1000000");
  EXPECT_EQ(MermaidNumber(0.0), "0");
  EXPECT_EQ(MermaidNumber(1e100).find_first_of("eE"), std::string::npos);
}

}  // namespace
}  // namespace bitgate::reports
