#include "reports/gate_report.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "kernels/base/json.h"
#include "reports/comparison_report.h"
#include "reports/format.h"

namespace bitgate::reports {

std::string SloStatus(const SloResult& slo) {
  if (slo.skipped) return "skipped";
  return slo.passed ? "PASS" : "FAIL";
}

std::string SloTableMarkdown(const std::vector<SloResult>& slos) {
  if (slos.empty()) return "";
  std::ostringstream out;
  out << "| SLO | value | target | status | source |\n|---|---|---|---|---|\n";
  for (const auto& s : slos) {
    out << "| " << MarkdownInline(s.name) << " | " << (s.skipped ? "-" : MarkdownInline(FormatValueBeside(s.value, s.target, s.unit))) << " | "
        << MarkdownInline(s.op + " " + FormatValue(s.target, s.unit)) << " | " << SloStatus(s) << " | "
        << MarkdownInline(s.source + (s.note.empty() ? "" : " (" + s.note + ")")) << " |\n";
  }
  return out.str();
}

std::string GateMarkdown(const GateOutcome& outcome, const baselines::ComparisonReport& report) {
  std::ostringstream out;
  out << "## bitgate-" << outcome.gate << ": exit " << outcome.exit_code << "\n\n";
  if (!outcome.error.empty()) out << "**error:** " << MarkdownInline(outcome.error) << "\n\n";
  if (!outcome.correctness_failures.empty()) {
    out << "### Correctness failures\n\n";
    for (const auto& f : outcome.correctness_failures) out << "- " << MarkdownInline(f) << "\n";
    out << "\n";
  }
  const std::string slo = SloTableMarkdown(outcome.slos);
  if (!slo.empty()) out << "### SLOs\n\n" << slo << "\n";
  for (const auto& n : outcome.notes) out << "> " << MarkdownInline(n) << "\n";
  if (!outcome.notes.empty()) out << "\n";
  out << ComparisonMarkdown(report);
  if (!outcome.artifacts.empty()) {
    out << "\nartifacts:\n";
    for (const auto& a : outcome.artifacts) out << "- " << MarkdownCode(a) << "\n";
  }
  return out.str();
}

std::string GateReportJson(const GateOutcome& outcome, const baselines::ComparisonReport& report) {
  // Both documents are dumped with invalid UTF-8 replaced, so they parse.
  nlohmann::json doc = nlohmann::json::parse(ComparisonJson(report));
  doc["outcome"] = nlohmann::json::parse(GateOutcomeJson(outcome));
  return DumpJson(doc) + "\n";
}

}  // namespace bitgate::reports
