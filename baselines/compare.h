// A candidate run against its baseline: choose the baseline runs (merge
// base on the baseline branch, same machine; else the latest, said so),
// pair their pooled samples with the candidate's per (benchmark, measure),
// apply threshold overrides and annotations, and judge every row.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "baselines/run_record.h"
#include "baselines/store.h"
#include "baselines/verdict.h"
#include "kernels/base/status.h"

namespace bitgate::baselines {

struct BaselineRequest {
  std::string branch = "main";
  std::optional<std::string> commit;  // explicit baseline commit; "latest": newest runs of the branch
  std::optional<int64_t> run_id;      // explicit baseline run
  // Whether runs of the candidate's own commit may be its baseline through
  // its merge base (an explicit --merge-base equal to --commit: the same
  // build measured again). Otherwise they never are, except by an explicit
  // `commit`: a re-run on the baseline branch would be judged against its
  // own first attempt and pass a regression that attempt had found.
  bool same_commit_ok = false;
};

enum class BaselineSource {
  kMergeBase,       // runs at the candidate's merge base, same machine
  kExplicitCommit,  // runs at --baseline-commit, same machine
  kExplicitRun,     // --baseline-run
  kLatestFallback,  // no run at the merge base: latest on the branch, same machine
  kOtherMachine,    // only other machines have runs: every row INCONCLUSIVE
  kNone,            // nothing to compare with
};
const char* BaselineSourceName(BaselineSource s);

struct BaselineChoice {
  BaselineSource source = BaselineSource::kNone;
  std::vector<int64_t> run_ids;
  std::string commit;
  std::string note;  // one sentence for the report, e.g. the fallback taken
  bool environment_mismatch = false;
};

Result<BaselineChoice> SelectBaseline(Store& store, const RunRecord& candidate,
                                      const BaselineRequest& request);

// Threshold override for a benchmark/measure: the last matching glob wins.
void ApplyThresholds(const std::vector<Threshold>& thresholds, const std::string& suite,
                     const BenchmarkResult& benchmark, const std::string& measure,
                     ComparisonInput* input);

// One input per candidate (benchmark, measure); baseline samples pooled over
// every baseline run.
std::vector<ComparisonInput> BuildInputs(const RunRecord& candidate, const std::vector<RunRecord>& baselines,
                                         const std::vector<Threshold>& thresholds, bool environment_mismatch,
                                         std::vector<std::string>* notes);

// Same-build rows: when every baseline run measured exactly the build the
// candidate measured (equal, non-empty config_hash: the gate's fingerprint
// of its executables and model), the code cannot have changed, so a row
// that came out REGRESSION or IMPROVEMENT measured the machine's drift
// between the runs: it becomes INCONCLUSIVE (kSameBuildDrift), its figures
// kept. Returns a note naming the largest such change, "" when none (or
// when the builds differ).
std::string MarkSameBuildDrift(const RunRecord& candidate, const std::vector<RunRecord>& baselines,
                               std::vector<ComparisonRow>* rows);

struct ComparisonReport {
  RunRecord candidate;  // samples included
  BaselineChoice baseline;
  std::vector<std::string> baseline_commits;
  VerdictConfig config;
  std::vector<ComparisonRow> rows;
  ComparisonSummary summary;
  std::vector<std::string> notes;
};

// The steps after the statistics, shared by every path that judges a run
// (the gates, `bitgate compare`, the ledger's re-judgement of stored runs):
// same-build rows become machine drift (MarkSameBuildDrift), then
// regressions covered by an annotation on the candidate's commit are
// accepted. Notes go to report->notes; the summary is recomputed.
Status FinishJudgement(Store& store, const RunRecord& candidate, const std::vector<RunRecord>& baselines,
                       ComparisonReport* report);

Result<ComparisonReport> CompareWithBaseline(Store& store, const RunRecord& candidate,
                                             const BaselineRequest& request, const VerdictConfig& config);

// Process exit code of a comparison (docs/EXIT_CODES.md): 4 when a
// candidate benchmark reported an error; else 1 on any unaccepted
// REGRESSION; in strict mode 3 when no baseline, a machine mismatch, or any
// INCONCLUSIVE row; else 0.
int ComparisonExitCode(const ComparisonReport& report, bool strict);

}  // namespace bitgate::baselines
