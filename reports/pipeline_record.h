// One `bitgate pipeline` run: which gates ran, how each process ended
// (exit code, signal, timeout, missing), how long it took, the run it
// stored, its output tail, and the timestamped hop log. Stored in the
// baseline store (table pipeline_run, created on first use) so
// `bitgate report` can re-render any ledger from the store alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "baselines/store.h"
#include "kernels/base/status.h"

namespace bitgate::reports {

// How a gate process ended, as the ledger's gate table says it.
enum class GateStatus {
  kPass,         // exit 0
  kRegression,   // exit 1
  kError,        // exit 2: no verdict
  kUndecided,    // exit 3 (strict)
  kCorrectness,  // exit 4
  kCrashed,      // killed by a signal, or an exit code outside the contract
  kTimeout,      // killed after --timeout-per-gate
  kMissing,      // no executable for the gate
};
const char* GateStatusName(GateStatus s);  // "pass", "regression", ...
GateStatus GateStatusFromName(std::string_view name);
// From a process result: exit code (or -1), signal (or 0), timed out.
GateStatus GateStatusOf(int exit_code, int signal, bool timed_out);
// The exit code a gate status contributes to the pipeline's.
int GateStatusExitCode(GateStatus s);

struct PipelineGate {
  std::string gate;
  std::string executable;    // "" when missing
  GateStatus status = GateStatus::kMissing;
  std::string process;       // "exit 1", "signal 11 (Segmentation fault)", "timeout after 900 s", "not found"
  double seconds = 0;
  int64_t run_id = 0;        // the run the gate stored (from its gate.json), 0 if none
  std::string out_dir;
  std::string output_tail;   // last lines of its console output
  // Receipts the gate listed as artifacts, re-verified by the pipeline
  // itself (a gate's own word is not taken for it).
  int receipts_verified = 0;
  std::vector<std::string> receipt_failures;
};

struct Hop {
  std::string at;     // ISO 8601 UTC with milliseconds
  std::string event;  // "start throughput", "throughput: exit 0 (17.3 s)", ...
};

struct PipelineRecord {
  int64_t id = 0;
  std::string branch, commit, merge_base, baseline_branch;
  std::string started_at, ended_at;
  int exit_code = 0;
  bool strict = false;
  bool ab = false;                 // A/B mode (a baseline build ran in the job)
  std::string command;             // to reproduce
  // The store it was recorded in (--db), for the re-render command; a
  // stored record without one (older bitgate) used the default.
  std::string db = baselines::kDefaultDbPath;
  std::vector<PipelineGate> gates;
  std::vector<Hop> hops;
};

std::string PipelineRecordJson(const PipelineRecord& record);
Result<PipelineRecord> ParsePipelineRecord(std::string_view text, std::string_view source);
// The record as it reads back from the store: its JSON replaces bytes that
// are not UTF-8 (a branch name, a receipt's parse error) with U+FFFD, so a
// ledger rendered from this one is the ledger `bitgate report` renders.
PipelineRecord AsStored(const PipelineRecord& record);

// Stores the record (new id) in one transaction; returns the id.
Result<int64_t> SavePipelineRecord(baselines::Store& store, const PipelineRecord& record);
// Rewrites a stored record (record.id) and its exit code: the pipeline's
// code can still change after it was stored (a ledger file that fails).
Status UpdatePipelineRecord(baselines::Store& store, const PipelineRecord& record);
Result<PipelineRecord> LoadPipelineRecord(baselines::Store& store, int64_t id);
// The newest pipeline on a branch, if any.
Result<std::optional<int64_t>> LatestPipelineId(baselines::Store& store, const std::string& branch);
// The newest pipelines (any branch when `branch` is empty), newest first.
Result<std::vector<PipelineRecord>> RecentPipelines(baselines::Store& store, const std::string& branch, int limit);

// Exit-code precedence of docs/EXIT_CODES.md: 2 > 4 > 1 > 3 > 0 (any
// other code counts as 2: no verdict).
int MostSevereExitCode(int a, int b);
// The pipeline's exit code: the most severe of its gates'.
int PipelineExitCode(const std::vector<PipelineGate>& gates);

// Now as ISO 8601 UTC with milliseconds ("2026-01-02T03:04:05.678Z").
std::string NowUtcMillis();

}  // namespace bitgate::reports
