#include "reports/comparison_report.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kernels/base/json.h"
#include "reports/format.h"

namespace bitgate::reports {
namespace {

using baselines::ComparisonReport;
using baselines::ComparisonRow;
using baselines::Reason;
using baselines::Verdict;

std::string Cell(const std::string& text) { return MarkdownInline(text); }

std::string Short(const std::string& commit) { return commit.substr(0, 12); }

}  // namespace

std::string XmlEscape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const int32_t cp = NextCodePoint(text, &i);
    switch (cp) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\n': out += "&#10;"; break;
      case '\t': out += '\t'; break;
      default:
        // XML 1.0 allows neither most control characters (even escaped)
        // nor U+FFFE/U+FFFF; bytes that are not UTF-8 become U+FFFD.
        if (cp < 0) out += "\xEF\xBF\xBD";
        else if (cp >= 0x20 && cp != 0xFFFE && cp != 0xFFFF) out.append(text, start, i - start);
    }
  }
  return out;
}

std::string JunitRowCase(const baselines::ComparisonRow& r, const std::string& classname, JunitCounts* counts) {
  std::ostringstream c;
  c << "    <testcase name=\"" << XmlEscape(r.benchmark + " " + r.measure) << "\" classname=\"" << XmlEscape(classname)
    << "\" time=\"0\">";
  const std::string message = XmlEscape(VerdictText(r) + ": " + LedgerRow(r));
  if (r.verdict == Verdict::kRegression && !r.accepted) {
    ++counts->failures;
    c << "<failure message=\"" << message << "\" type=\"regression\"/>";
  } else if (r.candidate_error) {
    // The candidate's benchmark errored (exit 4), whatever reason the row
    // carries (with only another machine's baselines it reads
    // "environment mismatch"). One skipped on purpose, or one that errored
    // only in the baseline, stays INCONCLUSIVE below.
    ++counts->errors;
    c << "<error message=\"" << message << "\" type=\"not-run\"/>";
  } else if (r.verdict == Verdict::kInconclusive) {
    ++counts->skipped;
    c << "<skipped message=\"" << message << "\"/>";
  }
  c << "</testcase>\n";
  return c.str();
}

std::string VerdictText(const ComparisonRow& row) {
  std::string text = baselines::VerdictName(row.verdict);
  std::string detail;
  if (row.verdict == Verdict::kRegression || row.verdict == Verdict::kImprovement) {
    if (row.confirmed) detail = "confirmed";
    if (row.accepted) detail += std::string(detail.empty() ? "" : ", ") + "accepted";
  } else {
    detail = baselines::ReasonName(row.reason);
    if (row.reason == Reason::kUnderPowered && row.samples_needed > 0)
      detail += ": ~" + std::to_string(row.samples_needed) + " samples/side would decide";
    // "not run" says it already; under any other reason say it here.
    if (row.candidate_error && row.reason != Reason::kNotRun) detail += "; the candidate's benchmark errored";
  }
  return detail.empty() ? text : text + " (" + detail + ")";
}

std::string RatioBesideThresholds(const ComparisonRow& row, double ratio) {
  const std::string a = RatioNumberBeside(ratio, 1 + row.delta), b = RatioNumberBeside(ratio, 1 - row.delta);
  return a.size() >= b.size() ? a : b;
}

std::string LedgerRow(const ComparisonRow& row) {
  const bool both = row.n_baseline > 0 && row.n_candidate > 0;
  // One sample on a side has no spread: its MDE would read 0%.
  const bool spread = row.n_baseline > 1 && row.n_candidate > 1;
  const auto side = [](int n, const std::string& text) { return n > 0 ? text : std::string("-"); };
  std::ostringstream out;
  out << "| " << Cell(row.benchmark) << " | " << Cell(row.measure) << " " << Cell(row.unit) << " ("
      << baselines::DirectionName(row.direction) << " better) | ";
  out << Cell(side(row.n_baseline, FormatValue(row.median_baseline, row.unit)) + " -> " +
              side(row.n_candidate, FormatValue(row.median_candidate, row.unit)))
      << " | ";
  if (both) {
    // The ratio of medians (the point estimate delta is judged on) and the
    // Hodges-Lehmann/Moses interval (verdicts.md's row). Each prints with
    // the digits that keep it apart from the threshold it is judged by.
    const auto beside = [&](double v) { return RatioBesideThresholds(row, v); };
    out << "x" << beside(row.ratio);
    if (row.has_test) out << " [" << beside(row.ratio_lower) << ", " << beside(row.ratio_upper) << "]";
  } else {
    out << "-";
  }
  out << " | ";
  out << (row.has_test ? "p=" + FormatP(row.p) + " q=" +
                              (std::isfinite(row.q) ? FormatPBeside(row.q, row.alpha) : std::string("-"))
                        : std::string("-"))
      << " | ";
  out << "n=" << row.n_baseline << "/" << row.n_candidate << " | ";
  out << "delta " << FormatPercent(row.delta) << " MDE " << (spread ? FormatPercent(row.mde) : "-") << " | ";
  out << "CV " << side(row.n_baseline, FormatPercent(row.cv_baseline)) << "/"
      << side(row.n_candidate, FormatPercent(row.cv_candidate)) << ", outliers "
      << side(row.n_baseline, std::to_string(row.mild_baseline + row.severe_baseline)) << "/"
      << side(row.n_candidate, std::to_string(row.mild_candidate + row.severe_candidate)) << " | ";
  out << VerdictText(row) << " |";
  return out.str();
}

std::string SummaryLine(const ComparisonReport& report) {
  const auto& s = report.summary;
  std::ostringstream out;
  out << "**" << report.rows.size() << " comparisons: " << s.regression << " REGRESSION";
  if (s.regression) {
    out << " (" << s.confirmed_regressions << " confirmed";
    if (s.accepted_regressions) out << ", " << s.accepted_regressions << " accepted";
    out << ")";
  }
  out << ", " << s.improvement << " IMPROVEMENT, " << s.pass << " PASS, " << s.inconclusive
      << " INCONCLUSIVE; geometric mean of ratios "
      << (s.geomean_rows ? FormatRatio(s.geomean_ratio) : std::string("- (no row measured on both sides)")) << "**";
  return out.str();
}

std::string ComparisonMarkdown(const ComparisonReport& report) {
  std::ostringstream out;
  const auto& c = report.candidate;
  out << "<!-- bitgate:compare v1 -->\n";
  out << "### bitgate compare: " << (c.suite.empty() ? "run" : c.suite) << "\n\n";
  out << "candidate: " << (c.id ? "run " + std::to_string(c.id) + ", " : std::string()) << (c.branch.empty() ? "?" : c.branch)
      << " @ " << (c.commit.empty() ? "?" : Short(c.commit)) << " on machine " << c.machine.Fingerprint() << "  \n";
  out << "baseline: ";
  if (report.baseline.run_ids.empty()) {
    out << "none";
  } else {
    out << Short(report.baseline.commit) << " (" << baselines::BaselineSourceName(report.baseline.source) << ", run";
    out << (report.baseline.run_ids.size() > 1 ? "s " : " ");
    for (size_t i = 0; i < report.baseline.run_ids.size(); ++i) out << (i ? "," : "") << report.baseline.run_ids[i];
    out << ")";
  }
  out << "  \n";
  out << "rule: REGRESSION when q < alpha (" << (report.config.yekutieli ? "Benjamini-Yekutieli" : "Benjamini-Hochberg")
      << ") and the ratio of medians exceeds 1 + delta; intervals: Hodges-Lehmann/Moses " << FormatPercent(1 - report.config.alpha)
      << "\n\n";
  for (const auto& note : report.notes) out << "> " << MarkdownInline(note) << "\n";
  if (!report.notes.empty()) out << "\n";
  out << "| benchmark | measure | baseline -> candidate | ratio [interval] | p, q | n | threshold | noise | verdict |\n";
  out << "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& row : report.rows) out << LedgerRow(row) << "\n";
  out << "\n" << SummaryLine(report) << "\n";
  return out.str();
}

std::string ComparisonJson(const ComparisonReport& report) {
  using nlohmann::json;
  auto finite_or_null = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  json doc;
  doc["format"] = "bitgate-comparison";
  doc["version"] = 1;
  const auto& c = report.candidate;
  doc["candidate"] = {{"run_id", c.id ? json(c.id) : json(nullptr)}, {"suite", c.suite}, {"branch", c.branch},
                      {"commit", c.commit}, {"merge_base", c.merge_base}, {"machine", c.machine.Fingerprint()}};
  doc["baseline"] = {{"source", baselines::BaselineSourceName(report.baseline.source)},
                     {"commit", report.baseline.commit},
                     {"run_ids", report.baseline.run_ids},
                     {"environment_mismatch", report.baseline.environment_mismatch},
                     {"note", report.baseline.note}};
  doc["config"] = {{"delta", report.config.delta}, {"alpha", report.config.alpha},
                   {"correction", report.config.yekutieli ? "BY" : "BH"}, {"min_samples", report.config.min_samples},
                   {"cv_ceiling", report.config.cv_ceiling}, {"bootstrap_resamples", report.config.bootstrap_resamples},
                   {"seed", report.config.seed}};
  json rows = json::array();
  for (const auto& r : report.rows) {
    json row = {{"benchmark", r.benchmark},
                {"measure", r.measure},
                {"unit", r.unit},
                {"direction", baselines::DirectionName(r.direction)},
                {"n_baseline", r.n_baseline},
                {"n_candidate", r.n_candidate},
                {"median_baseline", r.n_baseline ? json(r.median_baseline) : json(nullptr)},
                {"median_candidate", r.n_candidate ? json(r.median_candidate) : json(nullptr)},
                // A side with no samples has no spread or outliers: null.
                {"cv_baseline", r.n_baseline ? json(r.cv_baseline) : json(nullptr)},
                {"cv_candidate", r.n_candidate ? json(r.cv_candidate) : json(nullptr)},
                {"robust_cv_baseline", r.n_baseline ? json(r.robust_cv_baseline) : json(nullptr)},
                {"robust_cv_candidate", r.n_candidate ? json(r.robust_cv_candidate) : json(nullptr)},
                {"outliers_baseline", r.n_baseline ? json({{"mild", r.mild_baseline}, {"severe", r.severe_baseline},
                                                           {"dropped", r.dropped_baseline}})
                                                   : json(nullptr)},
                {"outliers_candidate", r.n_candidate ? json({{"mild", r.mild_candidate}, {"severe", r.severe_candidate},
                                                             {"dropped", r.dropped_candidate}})
                                                     : json(nullptr)},
                {"delta", r.delta},
                {"alpha", r.alpha},
                {"verdict", baselines::VerdictName(r.verdict)},
                {"reason", baselines::ReasonName(r.reason)},
                {"confirmed", r.confirmed},
                {"accepted", r.accepted},
                {"samples_needed", r.samples_needed}};
    const bool both = r.n_baseline > 0 && r.n_candidate > 0;
    row["ratio"] = both ? finite_or_null(r.ratio) : json(nullptr);
    row["bimodality_coefficient"] = both ? finite_or_null(r.bimodality) : json(nullptr);
    // An MDE needs a spread on both sides (one sample's is 0).
    row["mde"] = r.n_baseline > 1 && r.n_candidate > 1 ? finite_or_null(r.mde) : json(nullptr);
    if (r.has_test) {
      row["interval"] = {{"method", "hodges-lehmann-moses"}, {"lower", r.ratio_lower}, {"upper", r.ratio_upper},
                         {"hl_ratio", r.hl_ratio}};
      row["bootstrap_interval"] = report.config.bootstrap_resamples > 0
                                      ? json({{"lower", r.boot_lower}, {"upper", r.boot_upper}})
                                      : json(nullptr);
      row["p"] = r.p;
      row["p_exact"] = r.exact_p;
      row["q"] = finite_or_null(r.q);
    } else {
      row["interval"] = nullptr;
      row["bootstrap_interval"] = nullptr;
      row["p"] = nullptr;
      row["p_exact"] = nullptr;
      row["q"] = nullptr;
    }
    rows.push_back(std::move(row));
  }
  doc["rows"] = rows;
  const auto& s = report.summary;
  doc["summary"] = {{"rows", report.rows.size()},      {"pass", s.pass},
                    {"regression", s.regression},      {"confirmed_regressions", s.confirmed_regressions},
                    {"accepted_regressions", s.accepted_regressions}, {"improvement", s.improvement},
                    {"inconclusive", s.inconclusive},
                    {"geomean_ratio", s.geomean_rows ? json(s.geomean_ratio) : json(nullptr)}};
  doc["notes"] = report.notes;
  return DumpJson(doc) + "\n";
}

std::string ComparisonJunit(const ComparisonReport& report) {
  JunitCounts counts;
  std::ostringstream cases;
  for (const auto& r : report.rows) cases << JunitRowCase(r, "bitgate." + report.candidate.suite, &counts);
  const int failures = counts.failures, errors = counts.errors, skipped = counts.skipped;
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
  out << "  <testsuite name=\"bitgate." << XmlEscape(report.candidate.suite) << "\" tests=\"" << report.rows.size()
      << "\" failures=\"" << failures << "\" errors=\"" << errors << "\" skipped=\"" << skipped
      << "\" time=\"0\" timestamp=\"" << XmlEscape(report.candidate.started_at) << "\">\n";
  out << "    <properties><property name=\"baseline\" value=\"" << XmlEscape(report.baseline.commit) << "\"/>"
      << "<property name=\"candidate\" value=\"" << XmlEscape(report.candidate.commit) << "\"/></properties>\n";
  out << cases.str() << "  </testsuite>\n</testsuites>\n";
  return out.str();
}

}  // namespace bitgate::reports
