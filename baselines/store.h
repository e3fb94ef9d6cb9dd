// The baseline store: one SQLite file (default .bitgate/baselines.db) with a
// versioned schema (docs/SCHEMA.md). Every write runs in one transaction
// that rolls back on any error, so a failed import leaves nothing behind.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "baselines/run_record.h"
#include "baselines/sqlite_db.h"
#include "baselines/verdict.h"
#include "kernels/base/status.h"

namespace bitgate::baselines {

// PRAGMA user_version of the newest schema this code writes.
inline constexpr int kSchemaVersion = 1;
inline constexpr const char* kDefaultDbPath = ".bitgate/baselines.db";

struct RunSummary {
  int64_t id = 0;
  std::string gate, suite, branch, commit, merge_base, started_at, status, fingerprint, host_name;
  int64_t benchmarks = 0, samples = 0;
};

struct Threshold {
  int64_t id = 0;
  std::string benchmark_glob;  // fnmatch pattern over "suite/name" and the display name
  std::string measure_glob = "*";
  std::optional<double> delta, alpha;
};

// An override's delta and alpha must be fractions in (0, 1); `where` starts
// the message.
Status CheckThreshold(const Threshold& t, const std::string& where);

struct Annotation {
  int64_t id = 0;
  std::string branch, commit, benchmark_glob, message, created_at;
};

// One run's samples of one benchmark measure (history).
struct HistoryPoint {
  int64_t run_id = 0;
  std::string commit, started_at, fingerprint;
  std::string suite, name, params;  // the one benchmark the series follows
  std::string version_hash;          // '' if unknown; a new one is a new benchmark
  std::string config_hash;           // the run's build fingerprint ('' if none)
  Direction direction = Direction::kLowerIsBetter;
  std::string unit;
  std::vector<double> samples;
};

struct PruneOptions {
  std::optional<int64_t> run_id;    // delete this run
  // keep the newest N usable (not failed) runs per branch, gate, suite
  // and machine, and failures newer than the N-th of them (at most N)
  std::optional<int> keep_last;
  std::optional<std::string> branch;  // restrict keep_last to one branch
  bool dry_run = false;
};

class Store {
 public:
  struct Options {
    bool create = true;
    int busy_timeout_ms = 5000;
  };
  // Opens or creates the file and migrates it to kSchemaVersion. A file that
  // is not SQLite, or whose schema is newer than kSchemaVersion, is an error
  // and is left untouched.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, Options options);
  static Result<std::unique_ptr<Store>> Open(const std::string& path) { return Open(path, Options()); }

  // Stores a run with every sample; returns its id. `run.branch` and
  // `run.commit` must be set. A run already stored (same branch, commit,
  // machine, gate, suite, start and end time, sample count and sum: a
  // retried upload) is not stored again: its id is returned, with
  // *already_stored set when given.
  Result<int64_t> ImportRun(const RunRecord& run, bool* already_stored = nullptr);
  Result<RunRecord> LoadRun(int64_t id);
  Result<std::vector<RunSummary>> ListRuns(const std::optional<std::string>& branch, int limit);

  // The first run ever stored for `commit` on `branch` in `suite`, failed
  // or not and on any machine (the cut-off of a re-run's fallback baseline).
  Result<std::optional<int64_t>> FirstRunAt(const std::string& branch, const std::string& commit,
                                            const std::string& suite);
  // Runs on `branch` at `commit` for `suite`, optionally on one machine
  // fingerprint; failed runs excluded. Oldest first.
  Result<std::vector<int64_t>> RunsAt(const std::string& branch, const std::string& commit,
                                      const std::string& suite,
                                      const std::optional<std::string>& fingerprint);
  // Commit of the most recently imported run on `branch` for `suite`
  // (optionally on one fingerprint), if any.
  // `exclude_run_id` (the candidate itself) is never the latest, nor are
  // runs of `exclude_commit` (the candidate's own commit) or runs with ids
  // from `before_run_id` on (stored after the candidate's commit first was),
  // or runs on `exclude_fingerprint` (looking for other machines only).
  Result<std::optional<std::string>> LatestCommit(const std::string& branch, const std::string& suite,
                                                  const std::optional<std::string>& fingerprint,
                                                  int64_t exclude_run_id = 0,
                                                  const std::optional<std::string>& exclude_commit = std::nullopt,
                                                  std::optional<int64_t> before_run_id = std::nullopt,
                                                  const std::optional<std::string>& exclude_fingerprint = std::nullopt);

  Result<int> Prune(const PruneOptions& options);

  Result<int64_t> AddAnnotation(const Annotation& annotation);
  Result<std::vector<Annotation>> Annotations(const std::optional<std::string>& branch);

  Status SetThreshold(const Threshold& threshold);
  Result<std::vector<Threshold>> Thresholds();
  Result<int> RemoveThreshold(const std::string& benchmark_glob, const std::string& measure_glob);

  // Records a comparison's verdicts against a stored candidate run.
  Status SaveVerdicts(int64_t candidate_run_id, const std::vector<int64_t>& baseline_run_ids,
                      const RunRecord& candidate, const std::vector<ComparisonRow>& rows);

  // Samples of one benchmark (by name, or "name [params]") and measure on a
  // branch, one point per run in import order.
  Result<std::vector<HistoryPoint>> History(const std::string& benchmark, const std::string& measure,
                                            const std::string& branch);

  Database& db() { return *db_; }

 private:
  explicit Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  // Creates or upgrades the schema; without may_create a file with no
  // schema yet is an error.
  Status Migrate(bool may_create);
  std::unique_ptr<Database> db_;
};

}  // namespace bitgate::baselines
