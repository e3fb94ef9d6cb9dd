// What one gate run concluded beyond its benchmark samples: exit code,
// the baseline it was judged against, correctness failures, SLO checks,
// artifacts and notes. The gate writes it as <out>/gate.json and stores it
// beside its run (table gate_outcome, created here on first use), so a
// ledger can be re-rendered from the store alone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "baselines/store.h"
#include "kernels/base/status.h"

namespace bitgate::reports {

// One service-level objective: a measured value against a fixed target.
struct SloResult {
  std::string name;      // e.g. "generate 128 tokens"
  std::string unit;      // "s", "ns", "%"
  double value = 0;      // measured: median of the samples named by `source`
  double target = 0;
  std::string op = "<=";  // "<=" or "<": `value op target` passes
  std::string source;    // "benchmark / measure" the value comes from
  bool skipped = false;  // not applicable (reason in note)
  bool passed = false;
  std::string note;
};

struct GateOutcome {
  std::string gate;
  int exit_code = 0;
  int64_t run_id = 0;                  // the stored candidate run (0: not stored)
  std::vector<int64_t> baseline_run_ids;
  std::string baseline_source;         // BaselineSourceName, or "ab" for A/B
  std::string baseline_note;
  std::string error;                   // exit 2: what went wrong
  std::vector<std::string> correctness_failures;
  std::vector<SloResult> slos;
  std::vector<std::string> artifacts;
  std::vector<std::string> notes;
  std::string command_line;
  // Verdict configuration used (so a re-render judges the same way).
  double delta = 0.05, alpha = 0.05;
  int min_samples = 5;
  double cv_ceiling = 0.10;
  uint64_t seed = 20240601;
};

std::string GateOutcomeJson(const GateOutcome& outcome);
Result<GateOutcome> ParseGateOutcome(std::string_view text, std::string_view source);

// Stores (replacing) the outcome of run `outcome.run_id`, in one transaction.
Status SaveGateOutcome(baselines::Store& store, const GateOutcome& outcome);
// The stored outcome of a run; an error when there is none.
Result<GateOutcome> LoadGateOutcome(baselines::Store& store, int64_t run_id);

// Creates the gate_outcome table if missing (idempotent).
Status EnsureGateOutcomeTable(baselines::Store& store);

}  // namespace bitgate::reports
