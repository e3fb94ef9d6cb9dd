// One gate's own report (report.md beside its results.json): outcome,
// correctness failures, SLO table, then the comparison ledger table.
#pragma once

#include <string>
#include <vector>

#include "baselines/compare.h"
#include "reports/gate_outcome.h"

namespace bitgate::reports {

// | SLO | value | target | status | source |, or "" when there are none.
std::string SloTableMarkdown(const std::vector<SloResult>& slos);
// "PASS", "FAIL", "skipped".
std::string SloStatus(const SloResult& slo);

std::string GateMarkdown(const GateOutcome& outcome, const baselines::ComparisonReport& report);
// The gate's report.json: ComparisonJson with the outcome (gate.json's
// fields: exit code, error, correctness failures, SLOs, ...) as "outcome".
std::string GateReportJson(const GateOutcome& outcome, const baselines::ComparisonReport& report);

}  // namespace bitgate::reports
