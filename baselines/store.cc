#include "baselines/store.h"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace bitgate::baselines {
namespace {

// A row just written with INSERT OR IGNORE and not there to read back: the
// database was altered (a trigger that drops the insert, say). Reading the
// missing row's columns would be undefined; this names what was lost.
Status MissingAfterInsert(const std::string& what) {
  return Status::Error("storing " + what + ": the row is not in the database after its insert "
                       "(altered schema or trigger?)");
}

// Migration i takes the schema from version i to i + 1. Append only; never
// edit a released step (docs/SCHEMA.md documents the result).
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE machine (
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  cpu_model TEXT NOT NULL,
  isa_flags TEXT NOT NULL,
  cores INTEGER NOT NULL,
  mhz INTEGER NOT NULL,
  frequency_scaling INTEGER NOT NULL CHECK (frequency_scaling IN (0, 1)),
  os TEXT NOT NULL,
  compiler TEXT NOT NULL,
  build_type TEXT NOT NULL,
  host_name TEXT NOT NULL
);
CREATE TABLE branch (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE run (
  id INTEGER PRIMARY KEY,
  gate TEXT NOT NULL,
  suite TEXT NOT NULL,
  branch_id INTEGER NOT NULL REFERENCES branch(id),
  commit_sha TEXT NOT NULL,
  merge_base TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok', 'partial', 'failed')),
  tool_version TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  machine_id INTEGER NOT NULL REFERENCES machine(id),
  source_format TEXT NOT NULL,
  imported_at TEXT NOT NULL
);
CREATE INDEX run_by_commit ON run(branch_id, commit_sha, suite, machine_id);
CREATE TABLE benchmark (
  id INTEGER PRIMARY KEY,
  suite TEXT NOT NULL,
  name TEXT NOT NULL,
  params TEXT NOT NULL,
  version_hash TEXT NOT NULL,
  UNIQUE (suite, name, params, version_hash)
);
CREATE TABLE measure (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('lower', 'higher')),
  UNIQUE (name, unit, direction)
);
CREATE TABLE result (
  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
  benchmark_id INTEGER NOT NULL REFERENCES benchmark(id),
  status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'skipped')),
  message TEXT NOT NULL,
  PRIMARY KEY (run_id, benchmark_id)
) WITHOUT ROWID;
-- No declared foreign keys on sample: checking two parents per row costs
-- 40% of ingest speed. Only ImportRun writes samples, for result rows it
-- created in the same transaction; this trigger deletes them with their run.
CREATE TABLE sample (
  run_id INTEGER NOT NULL,
  benchmark_id INTEGER NOT NULL,
  measure_id INTEGER NOT NULL,
  repetition INTEGER NOT NULL,
  value REAL NOT NULL CHECK (value > 0),
  PRIMARY KEY (run_id, benchmark_id, measure_id, repetition)
) WITHOUT ROWID;
CREATE TRIGGER run_delete_samples AFTER DELETE ON run BEGIN
  DELETE FROM sample WHERE run_id = old.id;
END;
CREATE TABLE verdict (
  id INTEGER PRIMARY KEY,
  candidate_run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
  baseline_run_ids TEXT NOT NULL,
  benchmark_id INTEGER NOT NULL REFERENCES benchmark(id),
  measure_id INTEGER NOT NULL REFERENCES measure(id),
  n_baseline INTEGER NOT NULL,
  n_candidate INTEGER NOT NULL,
  ratio REAL,
  ratio_lower REAL,
  ratio_upper REAL,
  p REAL,
  q REAL,
  delta REAL NOT NULL,
  alpha REAL NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('PASS', 'REGRESSION', 'IMPROVEMENT', 'INCONCLUSIVE')),
  reason TEXT NOT NULL,
  confirmed INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX verdict_by_run ON verdict(candidate_run_id);
CREATE TABLE threshold (
  id INTEGER PRIMARY KEY,
  benchmark_glob TEXT NOT NULL,
  measure_glob TEXT NOT NULL,
  delta REAL CHECK (delta IS NULL OR delta > 0),
  alpha REAL CHECK (alpha IS NULL OR (alpha > 0 AND alpha < 1)),
  UNIQUE (benchmark_glob, measure_glob)
);
CREATE TABLE annotation (
  id INTEGER PRIMARY KEY,
  branch_id INTEGER NOT NULL REFERENCES branch(id),
  commit_sha TEXT NOT NULL,
  benchmark_glob TEXT NOT NULL,
  message TEXT NOT NULL,
  created_at TEXT NOT NULL
);
)sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion, "one migration per schema version");

Result<int64_t> QueryInt(Database& db, const std::string& sql) {
  auto stmt = db.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Error("no result for: " + sql);
  return stmt->Int(0);
}

// Id of the row with `key`, inserting it first if absent.
Result<int64_t> BranchId(Database& db, const std::string& name) {
  auto ins = db.Prepare("INSERT OR IGNORE INTO branch(name) VALUES (?)");
  if (!ins.ok()) return ins.status();
  BITGATE_RETURN_IF_ERROR(ins->Bind(1, name).Run());
  auto sel = db.Prepare("SELECT id FROM branch WHERE name = ?");
  if (!sel.ok()) return sel.status();
  sel->Bind(1, name);
  auto row = sel->Step();
  if (!row.ok()) return row.status();
  if (!*row) return MissingAfterInsert("branch '" + name + "'");
  return sel->Int(0);
}

// Text read back from the file is checked as an import checks it: the
// schema's CHECKs hold only for files this code wrote.
Result<Direction> ParseDirection(const std::string& s, const std::string& where) {
  if (s == "lower") return Direction::kLowerIsBetter;
  if (s == "higher") return Direction::kHigherIsBetter;
  return Status::Error(where + ": direction '" + s + "' is not lower or higher");
}

Result<BenchmarkStatus> ParseStatus(const std::string& s, const std::string& where) {
  if (s == "ok") return BenchmarkStatus::kOk;
  if (s == "error") return BenchmarkStatus::kError;
  if (s == "skipped") return BenchmarkStatus::kSkipped;
  return Status::Error(where + ": status '" + s + "' is not ok, error or skipped");
}

// A sample read back: a number, finite and > 0 (statistics work on logs).
// CHECK (value > 0) does not ensure it: text compares greater than any
// number, 1e999 is +Inf, and Real() reads text as 0.
Result<double> SampleValue(const Statement& s, int column, const std::string& where) {
  if (s.IsNumber(column)) {
    const double v = s.Real(column);
    if (SampleInRange(v)) return v;
  }
  return Status::Error(where + ": sample value '" + s.Text(column) +
                       "' is not a finite positive number within [1e-100, 1e100]");
}

// Rows per multi-row sample INSERT: 5 parameters each stays far below
// SQLite's 32766-parameter limit, and amortises the per-statement cost.
constexpr int kSampleRowsPerInsert = 128;

std::string SampleInsertSql(int rows) {
  std::string sql = "INSERT INTO sample(run_id, benchmark_id, measure_id, repetition, value) VALUES ";
  for (int i = 0; i < rows; ++i) {
    if (i > 0) sql.push_back(',');
    sql.append("(?,?,?,?,?)");
  }
  return sql;
}

}  // namespace

// Threshold overrides are fractions in (0, 1), as --delta and --alpha
// take them (an infinite delta would pass every regression).
Status CheckThreshold(const Threshold& t, const std::string& where) {
  const auto num = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return std::string(buf);
  };
  for (const auto& [name, value] : {std::pair{"delta", t.delta}, std::pair{"alpha", t.alpha}})
    if (value && !(*value > 0 && *value < 1))
      return Status::Error(where + ": " + name + " " + num(*value) + " is not a fraction in (0, 1)");
  if (t.alpha && *t.alpha < kMinAlpha)
    return Status::Error(where + ": alpha " + num(*t.alpha) + " is below the smallest level, 1e-9");
  return Status::Ok();
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, Options options) {
  std::error_code ec;
  if (!options.create && !std::filesystem::exists(path, ec)) return Status::Error("no baseline store at " + path);
  auto db = Database::Open(path, options.create, options.busy_timeout_ms);
  if (!db.ok()) return db.status();
  std::unique_ptr<Store> store(new Store(std::move(*db)));
  BITGATE_RETURN_IF_ERROR(store->Migrate(options.create));
  // Only now that the file is known to be a store (or new): WAL mode is
  // persistent and would rewrite a refused file's header.
  BITGATE_RETURN_IF_ERROR(store->db_->UseWal());
  return store;
}

// The tables schema version 1 creates: a file that claims version 1 must
// have them all before bitgate touches it (WAL mode rewrites the header).
constexpr const char* kStoreTables[] = {"machine", "branch",    "run",     "benchmark", "measure",
                                        "result",  "sample",    "verdict", "threshold", "annotation"};

Status Store::Migrate(bool may_create) {
  auto version = QueryInt(*db_, "PRAGMA user_version");
  if (!version.ok()) return version.status();
  // A reader (list, show, compare without --store, history, report) must
  // not turn an empty file, or an SQLite file without the schema, into a
  // new store that a comparison then passes against.
  if (*version == 0 && !may_create) {
    return Status::Error("no baseline store at " + db_->path() +
                         " (the file is empty or has no bitgate schema; it was not modified)");
  }
  if (*version > kSchemaVersion) {
    return Status::Error("database " + db_->path() + " has schema version " + std::to_string(*version) +
                         ", newer than this bitgate supports (" + std::to_string(kSchemaVersion) +
                         "); upgrade bitgate (the file was not modified)");
  }
  if (*version < 0) {  // user_version is a signed 32-bit field: someone else's value
    return Status::Error("database " + db_->path() + " has schema version " + std::to_string(*version) +
                         ", which no bitgate writes; refusing to modify it");
  }
  if (*version == kSchemaVersion) {
    std::string sql = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN (";
    for (const char* t : kStoreTables) sql += std::string(sql.back() == '(' ? "'" : ",'") + t + "'";
    auto found = QueryInt(*db_, sql + ")");
    if (!found.ok()) return found.status();
    if (*found != static_cast<int64_t>(std::size(kStoreTables))) {
      return Status::Error("database " + db_->path() + " has schema version " + std::to_string(*version) +
                           " but only " + std::to_string(*found) + " of the " +
                           std::to_string(std::size(kStoreTables)) +
                           " tables of a bitgate store; refusing to modify it");
    }
    return Status::Ok();
  }
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status().WithContext("migrating " + db_->path());
  // Read again under the write lock: two jobs creating the same store at
  // once both saw 0 above, and the second must find the first's tables.
  version = QueryInt(*db_, "PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (*version == kSchemaVersion) return Status::Ok();  // the rollback changes nothing
  if (*version == 0) {
    // A version-0 file with tables of its own is someone else's database.
    auto tables = QueryInt(*db_, "SELECT count(*) FROM sqlite_schema");
    if (!tables.ok()) return tables.status();
    if (*tables > 0)
      return Status::Error("database " + db_->path() +
                           " is an SQLite file with other tables and no bitgate schema version; "
                           "refusing to modify it");
  }
  for (int v = static_cast<int>(*version); v < kSchemaVersion; ++v) {
    BITGATE_RETURN_IF_ERROR(db_->Exec(kMigrations[v]));
    BITGATE_RETURN_IF_ERROR(db_->Exec("PRAGMA user_version = " + std::to_string(v + 1)));
  }
  return (*txn)->Commit();
}

Result<int64_t> Store::ImportRun(const RunRecord& run, bool* already_stored) {
  if (already_stored) *already_stored = false;
  if (run.branch.empty()) return Status::Error("importing a run: no branch given");
  if (run.commit.empty()) return Status::Error("importing a run: no commit given");
  if (run.benchmarks.empty()) return Status::Error("importing a run: it has no benchmarks");
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status().WithContext("importing into " + db_->path());

  const MachineInfo& m = run.machine;
  const std::string fingerprint = m.Fingerprint();
  {
    auto ins = db_->Prepare(
        "INSERT OR IGNORE INTO machine(fingerprint, cpu_model, isa_flags, cores, mhz, frequency_scaling, "
        "os, compiler, build_type, host_name) VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (!ins.ok()) return ins.status();
    ins->Bind(1, fingerprint).Bind(2, m.cpu_model).Bind(3, m.isa_flags).Bind(4, int64_t{m.cores});
    ins->Bind(5, int64_t{m.mhz}).Bind(6, int64_t{m.frequency_scaling}).Bind(7, m.os).Bind(8, m.compiler);
    ins->Bind(9, m.build_type).Bind(10, m.host_name);
    BITGATE_RETURN_IF_ERROR(ins->Run());
  }
  auto machine_id = [&]() -> Result<int64_t> {
    auto sel = db_->Prepare("SELECT id FROM machine WHERE fingerprint = ?");
    if (!sel.ok()) return sel.status();
    sel->Bind(1, fingerprint);
    auto row = sel->Step();
    if (!row.ok()) return row.status();
    if (!*row) return MissingAfterInsert("machine " + fingerprint);
    return sel->Int(0);
  }();
  if (!machine_id.ok()) return machine_id.status();
  auto branch_id = BranchId(*db_, run.branch);
  if (!branch_id.ok()) return branch_id.status();

  // The same run stored twice (a retried upload step) would pool every
  // sample twice into later baselines: twice the n, smaller p-values on
  // unchanged code. A stored run with the same branch, commit, machine,
  // suite and times and the same sample count and sum is that run, and the
  // import is idempotent: a retry succeeds and stores nothing. A file that
  // names no times (started_at is this import's clock) is matched on
  // branch, commit, machine, suite and samples alone.
  {
    const bool use_times = !run.started_at.empty() && !run.started_at_from_import;
    size_t count = 0;
    double sum = 0;
    for (const auto& b : run.benchmarks)
      for (const auto& ms : b.measures)
        for (double v : ms.samples) {
          ++count;
          sum += v;
        }
    auto same = db_->Prepare(
        "SELECT r.id, count(s.value), total(s.value) FROM run r LEFT JOIN sample s ON s.run_id = r.id "
        "WHERE r.branch_id = ?1 AND r.commit_sha = ?2 AND r.machine_id = ?3 AND r.suite = ?4 AND r.gate = ?5 "
        "AND (?6 IS NULL OR (r.started_at = ?6 AND r.ended_at = ?7)) GROUP BY r.id");
    if (!same.ok()) return same.status();
    same->Bind(1, *branch_id).Bind(2, run.commit).Bind(3, *machine_id).Bind(4, run.suite).Bind(5, run.gate);
    if (use_times) {
      same->Bind(6, run.started_at).Bind(7, run.ended_at);
    } else {
      same->BindNull(6).BindNull(7);
    }
    for (;;) {
      auto row = same->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      const double stored_sum = same->Real(2);
      if (static_cast<size_t>(same->Int(1)) == count &&
          std::fabs(stored_sum - sum) <= 1e-9 * std::max(std::fabs(sum), 1.0)) {
        if (already_stored) *already_stored = true;
        return same->Int(0);  // the transaction rolls back: nothing written
      }
    }
  }

  auto ins_run = db_->Prepare(
      "INSERT INTO run(gate, suite, branch_id, commit_sha, merge_base, started_at, ended_at, status, "
      "tool_version, config_hash, machine_id, source_format, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!ins_run.ok()) return ins_run.status();
  ins_run->Bind(1, run.gate).Bind(2, run.suite).Bind(3, *branch_id).Bind(4, run.commit);
  ins_run->Bind(5, run.merge_base).Bind(6, run.started_at).Bind(7, run.ended_at).Bind(8, run.status);
  ins_run->Bind(9, run.tool_version).Bind(10, run.config_hash).Bind(11, *machine_id);
  ins_run->Bind(12, run.source_format).Bind(13, NowUtc());
  BITGATE_RETURN_IF_ERROR(ins_run->Run());
  const int64_t run_id = db_->LastInsertId();

  auto ins_bench = db_->Prepare(
      "INSERT OR IGNORE INTO benchmark(suite, name, params, version_hash) VALUES (?,?,?,?)");
  auto sel_bench = db_->Prepare(
      "SELECT id FROM benchmark WHERE suite = ? AND name = ? AND params = ? AND version_hash = ?");
  auto ins_measure = db_->Prepare("INSERT OR IGNORE INTO measure(name, unit, direction) VALUES (?,?,?)");
  auto sel_measure = db_->Prepare("SELECT id FROM measure WHERE name = ? AND unit = ? AND direction = ?");
  auto ins_result = db_->Prepare("INSERT INTO result(run_id, benchmark_id, status, message) VALUES (?,?,?,?)");
  auto ins_many = db_->Prepare(SampleInsertSql(kSampleRowsPerInsert));
  auto ins_one = db_->Prepare(SampleInsertSql(1));
  for (auto* s : {&ins_bench, &sel_bench, &ins_measure, &sel_measure, &ins_result, &ins_many, &ins_one})
    if (!s->ok()) return s->status();

  std::map<std::tuple<std::string, std::string, std::string>, int64_t> measure_ids;
  struct Pending {
    int64_t benchmark_id, measure_id, repetition;
    double value;
  };
  std::vector<Pending> pending;
  pending.reserve(kSampleRowsPerInsert);
  auto flush = [&](bool all) -> Status {
    size_t done = 0;
    while (pending.size() - done >= static_cast<size_t>(kSampleRowsPerInsert)) {
      for (int i = 0; i < kSampleRowsPerInsert; ++i) {
        const Pending& p = pending[done + static_cast<size_t>(i)];
        const int base = 5 * i;
        ins_many->Bind(base + 1, run_id).Bind(base + 2, p.benchmark_id).Bind(base + 3, p.measure_id);
        ins_many->Bind(base + 4, p.repetition).Bind(base + 5, p.value);
      }
      BITGATE_RETURN_IF_ERROR(ins_many->Run());
      done += kSampleRowsPerInsert;
    }
    if (all) {
      for (; done < pending.size(); ++done) {
        const Pending& p = pending[done];
        ins_one->Bind(1, run_id).Bind(2, p.benchmark_id).Bind(3, p.measure_id).Bind(4, p.repetition).Bind(5, p.value);
        BITGATE_RETURN_IF_ERROR(ins_one->Run());
      }
    }
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(done));
    return Status::Ok();
  };

  for (const auto& b : run.benchmarks) {
    ins_bench->Bind(1, b.suite).Bind(2, b.name).Bind(3, b.params).Bind(4, b.version_hash);
    BITGATE_RETURN_IF_ERROR(ins_bench->Run());
    sel_bench->Bind(1, b.suite).Bind(2, b.name).Bind(3, b.params).Bind(4, b.version_hash);
    auto row = sel_bench->Step();
    if (!row.ok()) return row.status();
    if (!*row) return MissingAfterInsert("benchmark '" + b.name + "'");
    const int64_t benchmark_id = sel_bench->Int(0);
    sel_bench->Reset();
    ins_result->Bind(1, run_id).Bind(2, benchmark_id).Bind(3, BenchmarkStatusName(b.status)).Bind(4, b.message);
    if (Status s = ins_result->Run(); !s.ok())
      return s.WithContext("benchmark '" + b.DisplayName() + "' (listed twice in the run?)");
    for (const auto& ms : b.measures) {
      const auto key = std::make_tuple(ms.name, ms.unit, std::string(DirectionName(ms.direction)));
      auto it = measure_ids.find(key);
      if (it == measure_ids.end()) {
        ins_measure->Bind(1, ms.name).Bind(2, ms.unit).Bind(3, DirectionName(ms.direction));
        BITGATE_RETURN_IF_ERROR(ins_measure->Run());
        sel_measure->Bind(1, ms.name).Bind(2, ms.unit).Bind(3, DirectionName(ms.direction));
        auto mrow = sel_measure->Step();
        if (!mrow.ok()) return mrow.status();
        if (!*mrow) return MissingAfterInsert("measure '" + ms.name + "'");
        it = measure_ids.emplace(key, sel_measure->Int(0)).first;
        sel_measure->Reset();
      }
      for (size_t r = 0; r < ms.samples.size(); ++r) {
        // The schema's CHECK (value > 0) lets +Inf through; LoadRun would
        // refuse it later, so every comparison picking this run would fail.
        if (!SampleInRange(ms.samples[r]))
          return Status::Error("importing a run: benchmark '" + b.DisplayName() + "' measure '" + ms.name +
                               "' repetition " + std::to_string(r) + " is " + SampleText(ms.samples[r]) +
                               kSampleRangeText);
        pending.push_back(Pending{benchmark_id, it->second, static_cast<int64_t>(r), ms.samples[r]});
        if (pending.size() >= static_cast<size_t>(kSampleRowsPerInsert))
          BITGATE_RETURN_IF_ERROR(flush(false).WithContext("benchmark '" + b.DisplayName() + "'"));
      }
    }
  }
  BITGATE_RETURN_IF_ERROR(flush(true));
  BITGATE_RETURN_IF_ERROR((*txn)->Commit());
  return run_id;
}

Result<RunRecord> Store::LoadRun(int64_t id) {
  auto sel = db_->Prepare(
      "SELECT r.gate, r.suite, b.name, r.commit_sha, r.merge_base, r.started_at, r.ended_at, r.status, "
      "r.tool_version, r.config_hash, r.source_format, m.cpu_model, m.isa_flags, m.cores, m.mhz, "
      "m.frequency_scaling, m.os, m.compiler, m.build_type, m.host_name "
      "FROM run r JOIN branch b ON b.id = r.branch_id JOIN machine m ON m.id = r.machine_id WHERE r.id = ?");
  if (!sel.ok()) return sel.status();
  sel->Bind(1, id);
  auto row = sel->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Error("no run with id " + std::to_string(id) + " in " + db_->path());
  const std::string where = "database " + db_->path() + ": run " + std::to_string(id);
  RunRecord run;
  run.id = id;
  run.gate = sel->Text(0);
  run.suite = sel->Text(1);
  run.branch = sel->Text(2);
  run.commit = sel->Text(3);
  run.merge_base = sel->Text(4);
  run.started_at = sel->Text(5);
  run.ended_at = sel->Text(6);
  run.status = sel->Text(7);
  if (run.status != "ok" && run.status != "partial" && run.status != "failed")
    return Status::Error(where + ": status '" + run.status + "' is not ok, partial or failed");
  run.tool_version = sel->Text(8);
  run.config_hash = sel->Text(9);
  run.source_format = sel->Text(10);
  MachineInfo& m = run.machine;
  m.cpu_model = sel->Text(11);
  m.isa_flags = sel->Text(12);
  {
    // The type first: reading a value may convert it.
    const bool number = sel->IsNumber(13);
    const int64_t cores = sel->Int(13);
    if (!number || cores < 0 || cores > (int64_t{1} << 30))  // as result JSON bounds them
      return Status::Error(where + ": machine cores '" + sel->Text(13) + "' is not an integer in [0, 2^30]");
    m.cores = static_cast<int>(cores);
    // The clock is informational (not in the fingerprint), and imports
    // before the gbench bounds stored any value: one out of range reads as
    // unknown (0) rather than making the run unreadable.
    const bool mhz_number = sel->IsNumber(14);
    const int64_t mhz = sel->Int(14);
    m.mhz = mhz_number && mhz >= 0 && mhz <= (int64_t{1} << 30) ? static_cast<int>(mhz) : 0;
  }
  m.frequency_scaling = sel->Int(15) != 0;
  m.os = sel->Text(16);
  m.compiler = sel->Text(17);
  m.build_type = sel->Text(18);
  m.host_name = sel->Text(19);

  auto results = db_->Prepare(
      "SELECT b.id, b.suite, b.name, b.params, b.version_hash, r.status, r.message FROM result r "
      "JOIN benchmark b ON b.id = r.benchmark_id WHERE r.run_id = ? ORDER BY b.id");
  if (!results.ok()) return results.status();
  results->Bind(1, id);
  std::map<int64_t, size_t> index_of;
  for (;;) {
    auto r = results->Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
    BenchmarkResult b;
    b.suite = results->Text(1);
    b.name = results->Text(2);
    b.params = results->Text(3);
    b.version_hash = results->Text(4);
    auto status = ParseStatus(results->Text(5), where + " benchmark '" + b.DisplayName() + "'");
    if (!status.ok()) return status.status();
    b.status = *status;
    b.message = results->Text(6);
    index_of[results->Int(0)] = run.benchmarks.size();
    run.benchmarks.push_back(std::move(b));
  }
  // sample has no foreign keys (see the schema): a row may name a
  // benchmark without a result row or a measure that does not exist.
  auto samples = db_->Prepare(
      "SELECT s.benchmark_id, s.measure_id, m.name, m.unit, m.direction, s.value, s.repetition FROM sample s "
      "LEFT JOIN measure m ON m.id = s.measure_id WHERE s.run_id = ? "
      "ORDER BY s.benchmark_id, s.measure_id, s.repetition");
  if (!samples.ok()) return samples.status();
  samples->Bind(1, id);
  int64_t last_benchmark = -1, last_measure = -1;
  MeasureSamples* current = nullptr;
  std::string current_where;
  for (;;) {
    auto r = samples->Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
    const int64_t benchmark_id = samples->Int(0), measure_id = samples->Int(1);
    if (benchmark_id != last_benchmark || measure_id != last_measure) {
      auto index = index_of.find(benchmark_id);
      if (index == index_of.end())
        return Status::Error(where + " has samples for benchmark id " + std::to_string(benchmark_id) +
                             " without a result row");
      if (samples->IsNull(2))
        return Status::Error(where + " has samples for measure id " + std::to_string(measure_id) +
                             ", which is not in table measure");
      BenchmarkResult& b = run.benchmarks[index->second];
      current_where = where + " benchmark '" + b.DisplayName() + "' measure '" + samples->Text(2) + "'";
      auto direction = ParseDirection(samples->Text(4), current_where);
      if (!direction.ok()) return direction.status();
      b.measures.push_back(MeasureSamples{samples->Text(2), samples->Text(3), *direction, {}});
      current = &b.measures.back();
      last_benchmark = benchmark_id;
      last_measure = measure_id;
    }
    auto value = SampleValue(*samples, 5, current_where + " repetition " + std::to_string(samples->Int(6)));
    if (!value.ok()) return value.status();
    current->samples.push_back(*value);
  }
  return run;
}

Result<std::vector<RunSummary>> Store::ListRuns(const std::optional<std::string>& branch, int limit) {
  auto sel = db_->Prepare(
      "SELECT r.id, r.gate, r.suite, b.name, r.commit_sha, r.merge_base, r.started_at, r.status, "
      "m.fingerprint, m.host_name, "
      "(SELECT count(*) FROM result x WHERE x.run_id = r.id), "
      "(SELECT count(*) FROM sample s WHERE s.run_id = r.id) "
      "FROM run r JOIN branch b ON b.id = r.branch_id JOIN machine m ON m.id = r.machine_id "
      "WHERE (?1 IS NULL OR b.name = ?1) ORDER BY r.id DESC LIMIT ?2");
  if (!sel.ok()) return sel.status();
  if (branch) {
    sel->Bind(1, *branch);
  } else {
    sel->BindNull(1);
  }
  sel->Bind(2, int64_t{limit});
  std::vector<RunSummary> out;
  for (;;) {
    auto r = sel->Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
    RunSummary s;
    s.id = sel->Int(0);
    s.gate = sel->Text(1);
    s.suite = sel->Text(2);
    s.branch = sel->Text(3);
    s.commit = sel->Text(4);
    s.merge_base = sel->Text(5);
    s.started_at = sel->Text(6);
    s.status = sel->Text(7);
    s.fingerprint = sel->Text(8);
    s.host_name = sel->Text(9);
    s.benchmarks = sel->Int(10);
    s.samples = sel->Int(11);
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<int64_t>> Store::RunsAt(const std::string& branch, const std::string& commit,
                                           const std::string& suite,
                                           const std::optional<std::string>& fingerprint) {
  auto sel = db_->Prepare(
      "SELECT r.id FROM run r JOIN branch b ON b.id = r.branch_id JOIN machine m ON m.id = r.machine_id "
      "WHERE b.name = ?1 AND r.commit_sha = ?2 AND r.suite = ?3 AND r.status != 'failed' "
      "AND (?4 IS NULL OR m.fingerprint = ?4) ORDER BY r.id");
  if (!sel.ok()) return sel.status();
  sel->Bind(1, branch).Bind(2, commit).Bind(3, suite);
  if (fingerprint) {
    sel->Bind(4, *fingerprint);
  } else {
    sel->BindNull(4);
  }
  std::vector<int64_t> ids;
  for (;;) {
    auto r = sel->Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
    ids.push_back(sel->Int(0));
  }
  return ids;
}

Result<std::optional<int64_t>> Store::FirstRunAt(const std::string& branch, const std::string& commit,
                                                 const std::string& suite) {
  auto sel = db_->Prepare(
      "SELECT min(r.id) FROM run r JOIN branch b ON b.id = r.branch_id "
      "WHERE b.name = ?1 AND r.commit_sha = ?2 AND r.suite = ?3");
  if (!sel.ok()) return sel.status();
  sel->Bind(1, branch).Bind(2, commit).Bind(3, suite);
  auto r = sel->Step();
  if (!r.ok()) return r.status();
  if (!*r || sel->IsNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(sel->Int(0));
}

Result<std::optional<std::string>> Store::LatestCommit(const std::string& branch, const std::string& suite,
                                                       const std::optional<std::string>& fingerprint,
                                                       int64_t exclude_run_id,
                                                       const std::optional<std::string>& exclude_commit,
                                                       std::optional<int64_t> before_run_id,
                                                       const std::optional<std::string>& exclude_fingerprint) {
  // "Latest" is the most recently imported run: import order is reliable,
  // while start times come from many clocks and formats.
  auto sel = db_->Prepare(
      "SELECT r.commit_sha FROM run r JOIN branch b ON b.id = r.branch_id JOIN machine m ON m.id = r.machine_id "
      "WHERE b.name = ?1 AND r.suite = ?2 AND r.status != 'failed' AND (?3 IS NULL OR m.fingerprint = ?3) "
      "AND r.id != ?4 AND (?5 IS NULL OR r.commit_sha != ?5) AND (?6 IS NULL OR r.id < ?6) "
      "AND (?7 IS NULL OR m.fingerprint != ?7) "
      "ORDER BY r.id DESC LIMIT 1");
  if (!sel.ok()) return sel.status();
  sel->Bind(1, branch).Bind(2, suite).Bind(4, exclude_run_id);
  if (exclude_commit) {
    sel->Bind(5, *exclude_commit);
  } else {
    sel->BindNull(5);
  }
  if (before_run_id) {
    sel->Bind(6, *before_run_id);
  } else {
    sel->BindNull(6);
  }
  if (exclude_fingerprint) {
    sel->Bind(7, *exclude_fingerprint);
  } else {
    sel->BindNull(7);
  }
  if (fingerprint) {
    sel->Bind(3, *fingerprint);
  } else {
    sel->BindNull(3);
  }
  auto r = sel->Step();
  if (!r.ok()) return r.status();
  if (!*r) return std::optional<std::string>();
  return std::optional<std::string>(sel->Text(0));
}

Result<int> Store::Prune(const PruneOptions& options) {
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status().WithContext("pruning " + db_->path());
  std::string where;
  if (options.run_id) {
    where = "id = " + std::to_string(*options.run_id);
  } else if (options.keep_last) {
    // Runs beyond the newest N of their branch, gate, suite and machine
    // (window function: SQLite >= 3.25): a suite or machine that runs
    // rarely keeps its own N, which its next comparison needs, however
    // often the others run.
    // Only runs that can be a baseline (not failed) count towards N: a
    // failed run is kept while it is newer than the N-th newest usable
    // one, and goes with the older ones; failures never push the last
    // usable baseline out. Beyond N failures of their own, the oldest go
    // too (a suite that fails every night would keep them all).
    const std::string n = std::to_string(*options.keep_last);
    where = "id IN (SELECT id FROM (SELECT r.id, r.status, sum(CASE WHEN r.status != 'failed' THEN 1 ELSE 0 END) "
            "OVER w AS usable, sum(CASE WHEN r.status = 'failed' THEN 1 ELSE 0 END) OVER w AS failures "
            "FROM run r JOIN branch b ON b.id = r.branch_id WHERE (?1 IS NULL OR b.name = ?1) "
            "WINDOW w AS (PARTITION BY r.branch_id, r.gate, r.suite, r.machine_id ORDER BY r.id DESC "
            "ROWS UNBOUNDED PRECEDING)) "
            "WHERE (status != 'failed' AND usable > " + n + ") OR (status = 'failed' AND (usable >= " + n +
            " OR failures > " + n + ")))";
  } else {
    return Status::Error("prune: give --run ID or --keep-last N");
  }
  auto count = db_->Prepare("SELECT count(*) FROM run WHERE " + where);
  if (!count.ok()) return count.status();
  if (options.keep_last && !options.run_id) {
    if (options.branch) {
      count->Bind(1, *options.branch);
    } else {
      count->BindNull(1);
    }
  }
  auto row = count->Step();
  if (!row.ok()) return row.status();
  const int n = static_cast<int>(count->Int(0));
  if (options.dry_run || n == 0) return n;
  auto del = db_->Prepare("DELETE FROM run WHERE " + where);
  if (!del.ok()) return del.status();
  if (options.keep_last && !options.run_id) {
    if (options.branch) {
      del->Bind(1, *options.branch);
    } else {
      del->BindNull(1);
    }
  }
  BITGATE_RETURN_IF_ERROR(del->Run());  // results, samples, verdicts cascade
  BITGATE_RETURN_IF_ERROR((*txn)->Commit());
  return n;
}

Result<int64_t> Store::AddAnnotation(const Annotation& a) {
  if (a.commit.empty() || a.message.empty())
    return Status::Error("annotate: a commit and a message are required");
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status();
  auto branch_id = BranchId(*db_, a.branch);
  if (!branch_id.ok()) return branch_id.status();
  auto ins = db_->Prepare(
      "INSERT INTO annotation(branch_id, commit_sha, benchmark_glob, message, created_at) VALUES (?,?,?,?,?)");
  if (!ins.ok()) return ins.status();
  ins->Bind(1, *branch_id).Bind(2, a.commit).Bind(3, a.benchmark_glob.empty() ? "*" : a.benchmark_glob);
  ins->Bind(4, a.message).Bind(5, NowUtc());
  BITGATE_RETURN_IF_ERROR(ins->Run());
  const int64_t id = db_->LastInsertId();
  BITGATE_RETURN_IF_ERROR((*txn)->Commit());
  return id;
}

Result<std::vector<Annotation>> Store::Annotations(const std::optional<std::string>& branch) {
  auto sel = db_->Prepare(
      "SELECT a.id, b.name, a.commit_sha, a.benchmark_glob, a.message, a.created_at FROM annotation a "
      "JOIN branch b ON b.id = a.branch_id WHERE (?1 IS NULL OR b.name = ?1) ORDER BY a.id");
  if (!sel.ok()) return sel.status();
  if (branch) {
    sel->Bind(1, *branch);
  } else {
    sel->BindNull(1);
  }
  std::vector<Annotation> out;
  for (;;) {
    auto r = sel->Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
    out.push_back(Annotation{sel->Int(0), sel->Text(1), sel->Text(2), sel->Text(3), sel->Text(4), sel->Text(5)});
  }
  return out;
}

Status Store::SetThreshold(const Threshold& t) {
  BITGATE_RETURN_IF_ERROR(CheckThreshold(t, "setting threshold for '" + t.benchmark_glob + "'"));
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status();
  // Setting a glob again makes it the newest row: rows apply in id order
  // and the last match wins, so an update in place (keeping its old id)
  // would stay behind rows set after it.
  auto del = db_->Prepare("DELETE FROM threshold WHERE benchmark_glob = ? AND measure_glob = ?");
  if (!del.ok()) return del.status();
  del->Bind(1, t.benchmark_glob).Bind(2, t.measure_glob.empty() ? "*" : t.measure_glob);
  BITGATE_RETURN_IF_ERROR(del->Run());
  auto ins = db_->Prepare("INSERT INTO threshold(benchmark_glob, measure_glob, delta, alpha) VALUES (?,?,?,?)");
  if (!ins.ok()) return ins.status();
  ins->Bind(1, t.benchmark_glob).Bind(2, t.measure_glob.empty() ? "*" : t.measure_glob);
  if (t.delta) {
    ins->Bind(3, *t.delta);
  } else {
    ins->BindNull(3);
  }
  if (t.alpha) {
    ins->Bind(4, *t.alpha);
  } else {
    ins->BindNull(4);
  }
  BITGATE_RETURN_IF_ERROR(ins->Run().WithContext("setting threshold for '" + t.benchmark_glob + "'"));
  return (*txn)->Commit();
}

Result<std::vector<Threshold>> Store::Thresholds() {
  auto sel = db_->Prepare("SELECT id, benchmark_glob, measure_glob, delta, alpha FROM threshold ORDER BY id");
  if (!sel.ok()) return sel.status();
  std::vector<Threshold> out;
  for (;;) {
    auto r = sel->Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
    Threshold t;
    t.id = sel->Int(0);
    t.benchmark_glob = sel->Text(1);
    t.measure_glob = sel->Text(2);
    const std::string where = "database " + db_->path() + ": threshold '" + t.benchmark_glob + "' measure '" +
                              t.measure_glob + "'";
    for (const auto& [column, name, field] : {std::tuple{3, "delta", &t.delta}, std::tuple{4, "alpha", &t.alpha}}) {
      if (sel->IsNull(column)) continue;
      if (!sel->IsNumber(column))
        return Status::Error(where + ": " + name + " '" + sel->Text(column) + "' is not a number");
      *field = sel->Real(column);
    }
    BITGATE_RETURN_IF_ERROR(CheckThreshold(t, where));
    out.push_back(std::move(t));
  }
  return out;
}

Result<int> Store::RemoveThreshold(const std::string& benchmark_glob, const std::string& measure_glob) {
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status();
  auto del = db_->Prepare("DELETE FROM threshold WHERE benchmark_glob = ? AND measure_glob = ?");
  if (!del.ok()) return del.status();
  BITGATE_RETURN_IF_ERROR(del->Bind(1, benchmark_glob).Bind(2, measure_glob).Run());
  const int n = db_->Changes();
  BITGATE_RETURN_IF_ERROR((*txn)->Commit());
  return n;
}

Status Store::SaveVerdicts(int64_t candidate_run_id, const std::vector<int64_t>& baseline_run_ids,
                           const RunRecord& candidate, const std::vector<ComparisonRow>& rows) {
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status().WithContext("recording verdicts");
  std::string baseline_ids;
  for (int64_t id : baseline_run_ids) {
    if (!baseline_ids.empty()) baseline_ids.push_back(',');
    baseline_ids.append(std::to_string(id));
  }
  // Judged again against the same baselines (a retried step, a re-run
  // comparison): the new verdicts replace the earlier ones, never doubling
  // them. Judgments against other baselines are kept.
  {
    auto del = db_->Prepare("DELETE FROM verdict WHERE candidate_run_id = ? AND baseline_run_ids = ?");
    if (!del.ok()) return del.status();
    del->Bind(1, candidate_run_id).Bind(2, baseline_ids);
    BITGATE_RETURN_IF_ERROR(del->Run());
  }
  std::map<std::pair<std::string, std::string>, const BenchmarkResult*> by_name;  // (suite, display name)
  for (const auto& b : candidate.benchmarks) by_name[{b.suite, b.DisplayName()}] = &b;
  auto sel_bench = db_->Prepare(
      "SELECT id FROM benchmark WHERE suite = ? AND name = ? AND params = ? AND version_hash = ?");
  auto sel_measure = db_->Prepare("SELECT id FROM measure WHERE name = ? AND unit = ? AND direction = ?");
  auto ins = db_->Prepare(
      "INSERT INTO verdict(candidate_run_id, baseline_run_ids, benchmark_id, measure_id, n_baseline, "
      "n_candidate, ratio, ratio_lower, ratio_upper, p, q, delta, alpha, verdict, reason, confirmed, created_at) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  for (auto* s : {&sel_bench, &sel_measure, &ins})
    if (!s->ok()) return s->status();
  const std::string now = NowUtc();
  for (const auto& row : rows) {
    auto it = by_name.find({row.suite, row.benchmark});
    if (it == by_name.end()) continue;  // a baseline-only row: nothing of the candidate to attach to
    if (row.measure == kNoMeasure) continue;  // a failed benchmark without measures: no measure to attach to
    const BenchmarkResult& b = *it->second;
    sel_bench->Bind(1, b.suite).Bind(2, b.name).Bind(3, b.params).Bind(4, b.version_hash);
    auto br = sel_bench->Step();
    if (!br.ok()) return br.status();
    if (!*br) return Status::Error("recording verdicts: benchmark '" + row.benchmark + "' is not stored");
    const int64_t benchmark_id = sel_bench->Int(0);
    sel_bench->Reset();
    sel_measure->Bind(1, row.measure).Bind(2, row.unit).Bind(3, DirectionName(row.direction));
    auto mr = sel_measure->Step();
    if (!mr.ok()) return mr.status();
    if (!*mr) return Status::Error("recording verdicts: measure '" + row.measure + "' is not stored");
    const int64_t measure_id = sel_measure->Int(0);
    sel_measure->Reset();
    ins->Bind(1, candidate_run_id).Bind(2, baseline_ids).Bind(3, benchmark_id).Bind(4, measure_id);
    ins->Bind(5, int64_t{row.n_baseline}).Bind(6, int64_t{row.n_candidate});
    const bool measured = row.n_baseline > 0 && row.n_candidate > 0;
    if (measured) {
      ins->Bind(7, row.ratio);
    } else {
      ins->BindNull(7);
    }
    if (row.has_test) {
      ins->Bind(8, row.ratio_lower).Bind(9, row.ratio_upper).Bind(10, row.p).Bind(11, row.q);
    } else {
      ins->BindNull(8).BindNull(9).BindNull(10).BindNull(11);
    }
    ins->Bind(12, row.delta).Bind(13, row.alpha).Bind(14, VerdictName(row.verdict));
    ins->Bind(15, ReasonName(row.reason)).Bind(16, int64_t{row.confirmed}).Bind(17, now);
    BITGATE_RETURN_IF_ERROR(ins->Run());
  }
  return (*txn)->Commit();
}

Result<std::vector<HistoryPoint>> Store::History(const std::string& benchmark, const std::string& measure,
                                                 const std::string& branch) {
  // `benchmark` may be NAME, NAME [PARAMS], SUITE/NAME or SUITE/NAME [PARAMS];
  // it must name one benchmark: samples of two are never pooled.
  auto sel = db_->Prepare(
      "SELECT r.id, r.commit_sha, r.started_at, m.fingerprint, s.value, ms.direction, ms.unit, "
      "b.suite, b.name, b.params, s.repetition, b.version_hash, r.config_hash FROM sample s "
      "JOIN run r ON r.id = s.run_id JOIN branch br ON br.id = r.branch_id "
      "JOIN machine m ON m.id = r.machine_id JOIN benchmark b ON b.id = s.benchmark_id "
      "JOIN measure ms ON ms.id = s.measure_id "
      "JOIN result res ON res.run_id = s.run_id AND res.benchmark_id = s.benchmark_id "
      "WHERE br.name = ?1 AND ms.name = ?2 AND r.status != 'failed' AND res.status = 'ok' "
      "AND (b.name = ?3 OR b.name || ' [' || b.params || ']' = ?3 OR b.suite || '/' || b.name = ?3 "
      "OR b.suite || '/' || b.name || ' [' || b.params || ']' = ?3) "
      "ORDER BY r.id, s.repetition");
  if (!sel.ok()) return sel.status();
  sel->Bind(1, branch).Bind(2, measure).Bind(3, benchmark);
  std::vector<HistoryPoint> out;
  std::set<std::tuple<std::string, std::string, std::string>> keys;
  for (;;) {
    auto r = sel->Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
    const int64_t run_id = sel->Int(0);
    std::string suite = sel->Text(7), name = sel->Text(8), params = sel->Text(9);
    keys.emplace(suite, name, params);
    const std::string where = "database " + db_->path() + ": run " + std::to_string(run_id) + " benchmark '" +
                              suite + "/" + name + "' measure '" + measure + "'";
    if (out.empty() || out.back().run_id != run_id || out.back().suite != suite || out.back().name != name ||
        out.back().params != params) {
      auto direction = ParseDirection(sel->Text(5), where);
      if (!direction.ok()) return direction.status();
      out.push_back(HistoryPoint{run_id, sel->Text(1), sel->Text(2), sel->Text(3), std::move(suite), std::move(name),
                                 std::move(params), sel->Text(11), sel->Text(12), *direction, sel->Text(6), {}});
    }
    auto value = SampleValue(*sel, 4, where + " repetition " + std::to_string(sel->Int(10)));
    if (!value.ok()) return value.status();
    out.back().samples.push_back(*value);
  }
  // A name without params where one of the matches has none means that
  // one: the list below prints it so, and typing it must select it.
  if (keys.size() > 1 && benchmark.find(" [") == std::string::npos) {
    std::vector<std::tuple<std::string, std::string, std::string>> bare;
    for (const auto& k : keys)
      if (std::get<2>(k).empty()) bare.push_back(k);
    if (bare.size() == 1) {
      const auto& [suite, name, params] = bare[0];
      std::erase_if(out, [&](const HistoryPoint& p) { return p.suite != suite || p.name != name || !p.params.empty(); });
      keys = {bare[0]};
    }
  }
  if (keys.size() > 1) {
    std::string list;
    for (const auto& [suite, name, params] : keys)
      list += (list.empty() ? "" : ", ") + suite + "/" + name + (params.empty() ? "" : " [" + params + "]");
    return Status::Error("'" + benchmark + "' names " + std::to_string(keys.size()) + " benchmarks (" + list +
                         "); name one as SUITE/NAME [PARAMS]");
  }
  return out;
}

}  // namespace bitgate::baselines
