// The history of one benchmark measure on a branch: one point per run (its
// median), restricted to one machine fingerprint, with the change points
// that name the commit where a step began.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "baselines/changepoint.h"
#include "baselines/store.h"

namespace bitgate::baselines {

struct HistoryEntry {
  int64_t run_id = 0;
  std::string commit, started_at;
  int n = 0;
  double median = 0;
  double cv = 0;
  bool annotated = false;  // an annotation names this commit
  std::string config_hash;  // the run's build fingerprint ('' if none)
};

struct HistoryStep {
  size_t index = 0;   // into entries
  std::string commit; // the first commit at the new level
  std::string previous_commit;
  double before = 0, after = 0, ratio = 1;  // ratio = after / before
  bool worse = false;  // by the measure's declared direction
  // The runs on both sides of the step measured the same build (the same
  // commit, or the same non-empty config_hash): the machine moved, no
  // commit did. Not worse, and creep is still judged across it.
  bool same_build = false;
};

struct HistoryReport {
  std::string benchmark, measure, branch, fingerprint;
  Direction direction = Direction::kLowerIsBetter;
  std::string unit;
  std::vector<std::string> notes;
  std::vector<HistoryEntry> entries;
  std::vector<HistoryStep> steps;
  // Robust z of the latest run against up to 20 before it, within the
  // current level (since the last step or annotation): slow creep when |z| > 3.5.
  double last_robust_z = 0;
  int64_t last_z_window = 0;  // how many runs before the latest it was measured against
};

// Loads the series and detects its steps. With several machines on the
// branch, uses `fingerprint` if given, else the one with the most runs (and
// says so in notes): a history never mixes machines.
Result<HistoryReport> BuildHistory(Store& store, const std::string& benchmark, const std::string& measure,
                                   const std::string& branch, const std::optional<std::string>& fingerprint,
                                   const ChangePointOptions& options);

}  // namespace bitgate::baselines
