// The pipeline ledger: what `bitgate pipeline` writes (ledger.md,
// results.json, junit.xml) and `bitgate report` re-renders. Built from the
// store only (the pipeline record, each gate's stored run, its outcome and
// its baseline runs; verdicts are recomputed from the stored samples with
// the gate's own configuration), so no figure in a ledger is hand-written.
//
// ledger.md, top to bottom: hidden marker line; headline with counts; gate
// table (gate | status | evidence); hop log; decision block (state, why,
// next steps, blocking items); per gate: correctness failures, changed
// verdict rows in the open and every row in <details>, worst first; SLO
// table; memory; measurement quality; trend charts (mermaid xychart-beta)
// with the same numbers in tables; environment and differences from the
// baseline's machine; the command to reproduce. docs/GATES.md shows one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "baselines/compare.h"
#include "baselines/run_record.h"
#include "baselines/store.h"
#include "reports/gate_outcome.h"
#include "reports/pipeline_record.h"

namespace bitgate::reports {

struct GateLedger {
  PipelineGate gate;
  std::optional<GateOutcome> outcome;                    // when the gate stored a run
  std::optional<baselines::ComparisonReport> comparison;  // recomputed from stored samples
};

struct TrendPoint {
  std::string label;  // short commit (or "candidate <sha>")
  double median = 0;
  int n = 0;
};

struct TrendSeries {
  std::string benchmark, measure, unit;
  std::vector<TrendPoint> points;  // oldest first; the candidate last
};

struct Ledger {
  PipelineRecord pipeline;
  std::vector<GateLedger> gates;
  std::vector<TrendSeries> trends;
  std::optional<baselines::MachineInfo> machine;           // the candidate's
  std::optional<baselines::MachineInfo> baseline_machine;  // of the first baseline run
  std::vector<std::string> notes;                          // e.g. what could not be loaded
};

// Loads everything the ledger shows. `store` may be null (it could not be
// opened): the ledger then holds the pipeline record alone, said so.
Ledger BuildLedger(baselines::Store* store, const PipelineRecord& record);

// Re-judges a stored gate run against the stored baseline runs its
// outcome names, with its stored configuration and the store's current
// thresholds and annotations.
Result<baselines::ComparisonReport> RejudgeStoredRun(baselines::Store& store, const GateOutcome& outcome);

// "PASS", "REGRESSION", "ERROR", "UNDECIDED", "CORRECTNESS FAILURE".
std::string LedgerState(int exit_code);
std::string LedgerHeadline(const Ledger& ledger);
// The text appended to $GITHUB_STEP_SUMMARY: the ledger, or, when it is
// longer than `limit` bytes (GitHub refuses a step summary over 1 MiB
// whole), the ledger cut at a line end with a note naming `full_path`.
inline constexpr size_t kJobSummaryLimit = 1000 * 1024;
std::string JobSummaryText(const std::string& ledger_md, const std::string& full_path,
                           size_t limit = kJobSummaryLimit);
// `ledger_md` within `limit` bytes: whole when it fits, else cut at a line
// end, with the code fence and <details> blocks the cut leaves open closed
// and `note` (one markdown line) after them. Empty when even the note
// does not fit.
std::string CutLedgerText(const std::string& ledger_md, size_t limit, const std::string& note);
std::string LedgerMarkdown(const Ledger& ledger);
std::string LedgerJson(const Ledger& ledger);
// One <testsuite> per gate; one <testcase> per benchmark measure, SLO and
// correctness check: regression -> <failure>, crash/missing gate or a
// benchmark that errored in the candidate -> <error>, no baseline, too
// little data or a benchmark skipped -> <skipped>.
std::string LedgerJunit(const Ledger& ledger);
// The junit.xml of one gate run on its own (the gate's --out): the same
// <testsuite> that gate has in LedgerJunit (gate process, receipts,
// correctness checks, SLOs, rows), with branch, commit, merge base and
// timestamp from `context`.
std::string GateJunit(const GateLedger& gate, const PipelineRecord& context);

// The hidden marker CI searches for to update one PR comment in place.
std::string LedgerMarker(const Ledger& ledger);

}  // namespace bitgate::reports
