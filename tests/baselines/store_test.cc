// The SQLite store: schema and migrations, round trips, transactions that
// leave nothing half-written, and the files it must refuse to touch.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "baselines/compare.h"
#include "baselines/history.h"
#include "baselines/store.h"

namespace bitgate::baselines {
namespace {

// "c<i>", built by appending: GCC 12 raises a false -Wrestrict on
// `"c" + std::to_string(i)` at -O3 when inlining moves (a -Werror build).
std::string CommitName(int i) {
  std::string c = "c";
  c += std::to_string(i);
  return c;
}

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bitgate_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "baselines.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static RunRecord MakeRun(const std::string& branch, const std::string& commit, double scale,
                           const std::string& cpu = "Test CPU") {
    RunRecord run;
    run.gate = "perf";
    run.suite = "kernels";
    run.branch = branch;
    run.commit = commit;
    run.started_at = "2026-11-24T01:00:00Z";
    run.ended_at = run.started_at;
    run.machine.cpu_model = cpu;
    run.machine.cores = 2;
    for (int i = 0; i < 3; ++i) {
      BenchmarkResult b;
      b.suite = "kernels";
      b.name = "bench" + std::to_string(i);
      MeasureSamples m{"time", "ns", Direction::kLowerIsBetter, {}};
      for (int r = 0; r < 10; ++r) m.samples.push_back(scale * (100.0 + i + 0.1 * ((r * 7) % 10)));
      b.measures.push_back(m);
      run.benchmarks.push_back(b);
    }
    return run;
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // Runs `sql` on the file through a connection of its own, as another
  // program (or a corrupting one) would.
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "") << ": " << sql;
    sqlite3_free(error);
    sqlite3_close(db);
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(StoreTest, CreatesVersionedSchemaInWalMode) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto version = (*store)->db().Prepare("PRAGMA user_version");
  ASSERT_TRUE(version.ok());
  ASSERT_TRUE(*version->Step());
  EXPECT_EQ(version->Int(0), kSchemaVersion);
  auto mode = (*store)->db().Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->Text(0), "wal");
  auto fk = (*store)->db().Prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(*fk->Step());
  EXPECT_EQ(fk->Int(0), 1);
  // Reopening an up-to-date store migrates nothing.
  store->reset();
  EXPECT_TRUE(Store::Open(path_).ok());
}

TEST_F(StoreTest, ImportAndLoadRoundTrip) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  RunRecord run = MakeRun("main", "c1", 1.0);
  run.benchmarks[1].status = BenchmarkStatus::kSkipped;
  run.benchmarks[1].message = "no AVX-512";
  run.benchmarks[1].measures.clear();
  auto id = (*store)->ImportRun(run);
  ASSERT_TRUE(id.ok()) << id.status().message();
  auto back = (*store)->LoadRun(*id);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->commit, "c1");
  EXPECT_EQ(back->branch, "main");
  EXPECT_EQ(back->machine.Fingerprint(), run.machine.Fingerprint());
  ASSERT_EQ(back->benchmarks.size(), 3u);
  EXPECT_EQ(back->benchmarks[0].measures[0].samples, run.benchmarks[0].measures[0].samples);
  EXPECT_EQ(back->benchmarks[1].status, BenchmarkStatus::kSkipped);
  EXPECT_EQ(back->benchmarks[1].message, "no AVX-512");
  auto list = (*store)->ListRuns(std::nullopt, 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].samples, 20);
  EXPECT_FALSE((*store)->LoadRun(999).ok());
}

TEST_F(StoreTest, FailedImportLeavesNothingBehind) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->ImportRun(MakeRun("main", "c1", 1.0)).ok());
  RunRecord dup = MakeRun("main", "c2", 1.0);
  dup.benchmarks.push_back(dup.benchmarks[0]);  // the same benchmark twice: rejected mid-import
  auto id = (*store)->ImportRun(dup);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("listed twice"), std::string::npos);
  auto list = (*store)->ListRuns(std::nullopt, 10);
  ASSERT_EQ(list->size(), 1u);  // c2's run row and first samples were rolled back
  auto count = (*store)->db().Prepare("SELECT count(*) FROM sample");
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->Int(0), 30);
}

// The schema's CHECK (value > 0) accepts +Inf; the importer refuses it
// (and NaN, 0) before anything is written.
TEST_F(StoreTest, ImportRefusesNonFiniteSamples) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  for (double bad : {std::numeric_limits<double>::infinity(), std::nan(""), 0.0}) {
    RunRecord run = MakeRun("main", "c1", 1.0);
    run.benchmarks[1].measures[0].samples[3] = bad;
    auto id = (*store)->ImportRun(run);
    ASSERT_FALSE(id.ok());
    EXPECT_NE(id.status().message().find("benchmark 'bench1' measure 'time' repetition 3 is"), std::string::npos)
        << id.status().message();
  }
  EXPECT_TRUE((*store)->ListRuns(std::nullopt, 10)->empty());
}

TEST_F(StoreTest, RefusesAFileThatIsNotSqlite) {
  { std::ofstream(path_) << "this is not a database, just text that must survive\n"; }
  const std::string before = ReadFile(path_);
  auto store = Store::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("not a database"), std::string::npos) << store.status().message();
  EXPECT_EQ(ReadFile(path_), before);
}

// Refused files are left byte for byte as they were: WAL mode, which
// rewrites the header and adds -wal and -shm files, is set only once a file
// is known to be a store.
TEST_F(StoreTest, RefusesANewerSchema) {
  Sql("CREATE TABLE future(x); PRAGMA user_version = 99");  // a newer store, in rollback-journal mode
  const std::string before = ReadFile(path_);
  auto store = Store::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("schema version 99, newer"), std::string::npos);
  EXPECT_TRUE(ReadFile(path_) == before) << "the refused file was modified";
  EXPECT_FALSE(fs::exists(path_ + "-wal"));
  EXPECT_FALSE(fs::exists(path_ + "-shm"));
}

TEST_F(StoreTest, RefusesSomeoneElsesDatabase) {
  Sql("CREATE TABLE t(x); INSERT INTO t VALUES (1)");
  const std::string before = ReadFile(path_);
  auto store = Store::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("other tables"), std::string::npos);
  EXPECT_TRUE(ReadFile(path_) == before) << "the refused file was modified";
  EXPECT_FALSE(fs::exists(path_ + "-wal"));
  EXPECT_FALSE(fs::exists(path_ + "-shm"));
}

// user_version is a signed field other programs set too: a negative
// version once indexed the migration table at -1, and a foreign file at
// version 1 (a common choice) was taken for a store and switched to WAL.
TEST_F(StoreTest, RefusesVersionsNoStoreWrites) {
  for (const char* setup : {"CREATE TABLE t(x); PRAGMA user_version = -1", "PRAGMA user_version = -7",
                            "CREATE TABLE t(x); PRAGMA user_version = 1",
                            "CREATE TABLE machine(x); CREATE TABLE run(y); PRAGMA user_version = 1"}) {
    SCOPED_TRACE(setup);
    fs::remove(path_);
    Sql(setup);
    const std::string before = ReadFile(path_);
    auto store = Store::Open(path_);
    ASSERT_FALSE(store.ok());
    EXPECT_NE(store.status().message().find("refusing to modify it"), std::string::npos)
        << store.status().message();
    EXPECT_TRUE(ReadFile(path_) == before) << "the refused file was modified";
    EXPECT_FALSE(fs::exists(path_ + "-wal"));
  }
}

// The verbs that only read open without `create`: a missing file is named,
// and nothing is created in its place.
TEST_F(StoreTest, OpeningWithoutCreateNeedsAnExistingStore) {
  const std::string missing = (dir_ / "typo" / "basel1nes.db").string();
  auto store = Store::Open(missing, Store::Options{false, 50});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().message(), "no baseline store at " + missing);
  EXPECT_FALSE(fs::exists(dir_ / "typo"));
  ASSERT_TRUE(Store::Open(path_).ok());
  EXPECT_TRUE(Store::Open(path_, Store::Options{false, 50}).ok());
}

// sample has no foreign keys, so a row may belong to no result row, or
// name a measure that is not there: an error naming the file and the run,
// not std::out_of_range ("map::at") or a silently dropped sample.
TEST_F(StoreTest, OrphanSamplesAreNamedErrors) {
  {
    auto store = Store::Open(path_);
    ASSERT_TRUE((*store)->ImportRun(MakeRun("main", "c1", 1.0)).ok());
  }
  Sql("INSERT INTO benchmark(suite, name, params, version_hash) VALUES ('s', 'ghost', '', '');"
      "INSERT INTO sample VALUES (1, (SELECT id FROM benchmark WHERE name = 'ghost'), 1, 0, 5.0)");
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  auto run = (*store)->LoadRun(1);
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find("database " + path_ +
                                        ": run 1 has samples for benchmark id 4 without a result row"),
            std::string::npos)
      << run.status().message();
  Sql("DELETE FROM sample WHERE benchmark_id = 4; INSERT INTO sample VALUES (1, 1, 99, 0, 5.0)");
  run = (*store)->LoadRun(1);
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find("run 1 has samples for measure id 99, which is not in table measure"),
            std::string::npos)
      << run.status().message();
}

// A database altered so that an insert is silently dropped (a trigger
// raising IGNORE): the import fails naming what was lost, and keeps
// nothing (the id read back from no row had been undefined, 0 in practice).
TEST_F(StoreTest, AnInsertTheDatabaseDropsIsANamedError) {
  {
    auto store = Store::Open(path_);
    ASSERT_TRUE((*store)->ImportRun(MakeRun("main", "c1", 1.0)).ok());
  }
  Sql("CREATE TRIGGER drop_benchmarks BEFORE INSERT ON benchmark BEGIN SELECT RAISE(IGNORE); END");
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  RunRecord run = MakeRun("main", "c2", 1.0);
  run.benchmarks[0].name = "never_stored";
  auto id = (*store)->ImportRun(run);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("storing benchmark 'never_stored': the row is not in the database after its insert"),
            std::string::npos)
      << id.status().message();
  auto runs = (*store)->ListRuns(std::nullopt, 100);
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  EXPECT_EQ(runs->size(), 1u);
}

// Values read back are checked as an import checks them. The schema's
// CHECKs do not ensure it: text compares greater than any number, 1e999 is
// +Inf, and a file written by something else may have no CHECKs at all.
TEST_F(StoreTest, CorruptedValuesReadBackAreNamedErrors) {
  {
    auto store = Store::Open(path_);
    ASSERT_TRUE((*store)->ImportRun(MakeRun("main", "c1", 1.0)).ok());
  }
  auto error_of = [&](auto result) { return result.ok() ? std::string("<ok>") : result.status().message(); };
  auto expect = [&](const std::string& sql, const std::string& needle) {
    const std::string db = ReadFile(path_);
    Sql(sql);
    auto store = Store::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    const std::string load = error_of((*store)->LoadRun(1));
    EXPECT_NE(load.find(needle), std::string::npos) << sql << ": " << load;
    EXPECT_NE(load.find("database " + path_ + ": run 1"), std::string::npos) << load;
    store->reset();
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << db;  // undo
  };
  const std::string where = "run 1 benchmark 'bench1' measure 'time' repetition 3: sample value ";
  expect("UPDATE sample SET value = 'x' WHERE benchmark_id = 2 AND repetition = 3",
         where + "'x' is not a finite positive number");
  expect("UPDATE sample SET value = 1e999 WHERE benchmark_id = 2 AND repetition = 3",
         where + "'Inf' is not a finite positive number");
  expect("PRAGMA ignore_check_constraints = ON;"
         "UPDATE sample SET value = -2 WHERE benchmark_id = 2 AND repetition = 3",
         where + "'-2.0' is not a finite positive number");
  expect("PRAGMA ignore_check_constraints = ON; UPDATE measure SET direction = 'sideways'",
         "benchmark 'bench0' measure 'time': direction 'sideways' is not lower or higher");
  expect("PRAGMA ignore_check_constraints = ON; UPDATE result SET status = 'fine' WHERE benchmark_id = 1",
         "benchmark 'bench0': status 'fine' is not ok, error or skipped");
  expect("UPDATE machine SET cores = 4294967298", "machine cores '4294967298' is not an integer in [0, 2^30]");
  {
    // The clock is informational: a value earlier gbench imports stored
    // (any mhz_per_cpu, negatives too) reads as unknown, the run stays readable.
    const std::string db = ReadFile(path_);
    Sql("UPDATE machine SET mhz = -1");
    auto store = Store::Open(path_);
    auto run = (*store)->LoadRun(1);
    ASSERT_TRUE(run.ok()) << run.status().message();
    EXPECT_EQ(run->machine.mhz, 0);
    store->reset();
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << db;  // undo
  }

  // History reads the same samples.
  Sql("UPDATE sample SET value = 'x' WHERE benchmark_id = 1 AND repetition = 2");
  {
    auto store = Store::Open(path_);
    const std::string history = error_of((*store)->History("bench0", "time", "main"));
    EXPECT_NE(history.find("run 1 benchmark 'kernels/bench0' measure 'time' repetition 2: sample value 'x'"),
              std::string::npos)
        << history;
  }

  // An infinite delta passes CHECK (delta > 0) and would pass every
  // regression; it is refused when read, and when set.
  Sql("INSERT INTO threshold(benchmark_glob, measure_glob, delta) VALUES ('*', '*', 1e999)");
  auto store = Store::Open(path_);
  const std::string thresholds = error_of((*store)->Thresholds());
  EXPECT_NE(thresholds.find("threshold '*' measure '*': delta inf is not a fraction in (0, 1)"), std::string::npos)
      << thresholds;
  Sql("PRAGMA ignore_check_constraints = ON; UPDATE threshold SET delta = NULL, alpha = 'x'");
  EXPECT_NE(error_of((*store)->Thresholds()).find("alpha 'x' is not a number"), std::string::npos);
  const Status set = (*store)->SetThreshold(Threshold{0, "gemv/*", "*", INFINITY, std::nullopt});
  EXPECT_NE(set.message().find("setting threshold for 'gemv/*': delta inf is not a fraction in (0, 1)"),
            std::string::npos)
      << set.message();
  EXPECT_FALSE((*store)->SetThreshold(Threshold{0, "gemv/*", "*", std::nullopt, 1.0}).ok());
}

// A statement that fails names the file: the default store path is implicit.
TEST_F(StoreTest, StatementErrorsNameTheDatabase) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  RunRecord dup = MakeRun("main", "c1", 1.0);
  dup.benchmarks.push_back(dup.benchmarks[0]);
  auto id = (*store)->ImportRun(dup);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("UNIQUE constraint failed"), std::string::npos) << id.status().message();
  EXPECT_NE(id.status().message().find("(database "), std::string::npos) << id.status().message();
  EXPECT_NE(id.status().message().find("baselines.db)"), std::string::npos) << id.status().message();
}

TEST_F(StoreTest, LockedDatabaseFailsCleanly) {
  auto store = Store::Open(path_, Store::Options{true, 50});
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->ImportRun(MakeRun("main", "c1", 1.0)).ok());
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto id = (*store)->ImportRun(MakeRun("main", "c2", 1.0));
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("locked"), std::string::npos) << id.status().message();
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_EQ((*store)->ListRuns(std::nullopt, 10)->size(), 1u);
  EXPECT_TRUE((*store)->ImportRun(MakeRun("main", "c2", 1.0)).ok());  // works once released
}

// A retried upload stores nothing twice (pooled twice, a run would double
// the baseline's n and shrink p-values on unchanged code), and succeeds. The same commit
// measured again (another start time, other samples) is a run of its own.
TEST_F(StoreTest, TheSameRunIsNotStoredTwice) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  Store& s = **store;
  ASSERT_TRUE(s.ImportRun(MakeRun("main", "c1", 1.0)).ok());
  bool already = false;
  auto dup = s.ImportRun(MakeRun("main", "c1", 1.0), &already);  // a retry succeeds, storing nothing
  ASSERT_TRUE(dup.ok()) << dup.status().message();
  EXPECT_EQ(*dup, 1);
  EXPECT_TRUE(already);
  EXPECT_TRUE(s.ImportRun(MakeRun("main", "c1", 1.01)).ok());  // same times, other samples
  EXPECT_TRUE(s.ImportRun(MakeRun("pr", "c1", 1.0)).ok());     // another branch
  EXPECT_EQ(s.ListRuns(std::nullopt, 10)->size(), 3u);
}

TEST_F(StoreTest, BaselineSelection) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  Store& s = **store;
  ASSERT_TRUE(s.ImportRun(MakeRun("main", "base1", 1.0)).ok());
  RunRecord again = MakeRun("main", "base1", 1.0);
  again.started_at = again.ended_at = "2026-11-24T02:00:00Z";
  ASSERT_TRUE(s.ImportRun(again).ok());  // two runs at one commit pool
  ASSERT_TRUE(s.ImportRun(MakeRun("main", "base2", 1.0)).ok());
  RunRecord candidate = MakeRun("feature", "f1", 1.10);
  candidate.merge_base = "base1";

  auto choice = SelectBaseline(s, candidate, BaselineRequest{});
  ASSERT_TRUE(choice.ok());
  EXPECT_EQ(choice->source, BaselineSource::kMergeBase);
  EXPECT_EQ(choice->run_ids.size(), 2u);
  EXPECT_TRUE(choice->note.empty());

  candidate.merge_base = "unknown";
  choice = SelectBaseline(s, candidate, BaselineRequest{});
  EXPECT_EQ(choice->source, BaselineSource::kLatestFallback);
  EXPECT_EQ(choice->commit, "base2");
  EXPECT_NE(choice->note.find("latest"), std::string::npos);

  RunRecord elsewhere = MakeRun("feature", "f1", 1.0, "Other CPU");
  choice = SelectBaseline(s, elsewhere, BaselineRequest{});
  EXPECT_EQ(choice->source, BaselineSource::kOtherMachine);
  EXPECT_TRUE(choice->environment_mismatch);

  BaselineRequest other_branch;
  other_branch.branch = "release";
  choice = SelectBaseline(s, candidate, other_branch);
  EXPECT_EQ(choice->source, BaselineSource::kNone);
}

TEST_F(StoreTest, StoredCandidateIsNeverItsOwnBaseline) {
  auto store = Store::Open(path_);
  Store& s = **store;
  ASSERT_TRUE(s.ImportRun(MakeRun("main", "m1", 1.0)).ok());
  auto id = s.ImportRun(MakeRun("main", "m2", 1.0));
  ASSERT_TRUE(id.ok());
  const RunRecord candidate = *s.LoadRun(*id);  // on main, no merge base
  auto choice = SelectBaseline(s, candidate, BaselineRequest{});
  EXPECT_EQ(choice->commit, "m1");
  EXPECT_EQ(choice->run_ids, std::vector<int64_t>{1});
  BaselineRequest latest;
  latest.commit = "latest";
  choice = SelectBaseline(s, candidate, latest);
  EXPECT_EQ(choice->source, BaselineSource::kExplicitCommit);
  EXPECT_EQ(choice->commit, "m1");
  EXPECT_TRUE(choice->note.empty());
  const RunRecord first = *s.LoadRun(1);
  // The oldest run of main: nothing was stored before it, and a later
  // commit of its own branch is never its baseline.
  choice = SelectBaseline(s, first, BaselineRequest{});
  EXPECT_EQ(choice->source, BaselineSource::kNone);
  EXPECT_TRUE(choice->run_ids.empty());
}

TEST_F(StoreTest, CompareFindsTheInjectedRegression) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->ImportRun(MakeRun("main", "base1", 1.0)).ok());
  RunRecord candidate = MakeRun("feature", "f1", 1.0);
  candidate.merge_base = "base1";
  for (auto& x : candidate.benchmarks[2].measures[0].samples) x *= 1.10;
  auto report = CompareWithBaseline(**store, candidate, BaselineRequest{}, VerdictConfig{});
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_EQ(report->rows.size(), 3u);
  EXPECT_EQ(report->rows[0].verdict, Verdict::kPass);
  EXPECT_EQ(report->rows[2].verdict, Verdict::kRegression);
  EXPECT_TRUE(report->rows[2].confirmed);
  EXPECT_EQ(ComparisonExitCode(*report, false), 1);

  // An annotation on the candidate's commit accepts it.
  ASSERT_TRUE((*store)->AddAnnotation(Annotation{0, "feature", "f1", "bench2", "known cost of the fix", ""}).ok());
  report = CompareWithBaseline(**store, candidate, BaselineRequest{}, VerdictConfig{});
  EXPECT_TRUE(report->rows[2].accepted);
  EXPECT_EQ(ComparisonExitCode(*report, false), 0);

  // A per-benchmark threshold above the change turns it into a PASS.
  ASSERT_TRUE((*store)->SetThreshold(Threshold{0, "kernels/bench2", "*", 0.15, std::nullopt}).ok());
  report = CompareWithBaseline(**store, candidate, BaselineRequest{}, VerdictConfig{});
  EXPECT_EQ(report->rows[2].verdict, Verdict::kPass);
  EXPECT_DOUBLE_EQ(report->rows[2].delta, 0.15);
}

// The same build measured twice cannot regress: a 10% difference between
// its runs is the machine's drift (INCONCLUSIVE, said so). Another build
// with the same difference is a REGRESSION, as is a run with no
// fingerprint.
TEST_F(StoreTest, SameBuildDifferencesAreDriftNotRegressions) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  RunRecord base = MakeRun("main", "c1", 1.0);
  base.config_hash = "build-a";
  ASSERT_TRUE((*store)->ImportRun(base).ok());
  RunRecord candidate = MakeRun("main", "c1", 1.0);
  candidate.merge_base = "c1";
  candidate.config_hash = "build-a";
  for (auto& x : candidate.benchmarks[2].measures[0].samples) x *= 1.10;
  BaselineRequest same_build;  // the merge base given as the commit itself (ci/demo's A/A run)
  same_build.same_commit_ok = true;
  auto report = CompareWithBaseline(**store, candidate, same_build, VerdictConfig{});
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->rows[2].verdict, Verdict::kInconclusive);
  EXPECT_EQ(report->rows[2].reason, Reason::kSameBuildDrift);
  EXPECT_NEAR(report->rows[2].ratio, 1.10, 0.01);  // the figures stay
  EXPECT_EQ(report->rows[0].verdict, Verdict::kPass);
  EXPECT_EQ(ComparisonExitCode(*report, false), 0);
  ASSERT_FALSE(report->notes.empty());
  EXPECT_NE(report->notes.back().find("same build"), std::string::npos) << report->notes.back();
  EXPECT_NE(report->notes.back().find("x1.1"), std::string::npos) << report->notes.back();

  candidate.config_hash = "build-b";
  report = CompareWithBaseline(**store, candidate, same_build, VerdictConfig{});
  EXPECT_EQ(report->rows[2].verdict, Verdict::kRegression);
  candidate.config_hash.clear();
  report = CompareWithBaseline(**store, candidate, same_build, VerdictConfig{});
  EXPECT_EQ(report->rows[2].verdict, Verdict::kRegression);
}

// A re-run on the baseline branch (a retried CI job on main) is judged
// against the previous commit, not against its own first attempt: that
// attempt had the same code, and a regression it found would pass. Its
// own commit is its baseline only when asked for.
TEST_F(StoreTest, ARerunIsNotJudgedAgainstItsOwnCommit) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  Store& s = **store;
  ASSERT_TRUE(s.ImportRun(MakeRun("main", "c0", 1.0)).ok());
  RunRecord attempt = MakeRun("main", "c1", 1.0);
  for (auto& x : attempt.benchmarks[2].measures[0].samples) x *= 1.30;  // the regression c1 brought
  attempt.merge_base = "c1";                                           // a gate's default
  auto first = CompareWithBaseline(s, attempt, BaselineRequest{}, VerdictConfig{});
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->baseline.commit, "c0");
  EXPECT_EQ(ComparisonExitCode(*first, false), 1);
  ASSERT_TRUE(s.ImportRun(attempt).ok());  // stored, as compare --store and the gates do

  for (const std::string merge_base : {"c1", ""}) {  // a gate's default; compare without --merge-base
    RunRecord rerun = attempt;
    rerun.merge_base = merge_base;
    auto again = CompareWithBaseline(s, rerun, BaselineRequest{}, VerdictConfig{});
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->baseline.commit, "c0") << "merge base '" << merge_base << "'";
    EXPECT_EQ(ComparisonExitCode(*again, false), 1) << "merge base '" << merge_base << "'";
  }
  BaselineRequest latest;
  latest.commit = "latest";
  EXPECT_EQ(SelectBaseline(s, attempt, latest)->commit, "c0");
  BaselineRequest own;
  own.commit = "c1";  // asked for by name
  EXPECT_EQ(SelectBaseline(s, attempt, own)->commit, "c1");
  BaselineRequest same_build;
  same_build.same_commit_ok = true;
  EXPECT_EQ(SelectBaseline(s, attempt, same_build)->commit, "c1");

  // A later commit stored meanwhile (c2, gated against c1 and carrying its
  // regression) is not "the latest" for c1's re-run either: the baseline
  // is what was stored before c1's first run.
  RunRecord later = attempt;
  later.commit = later.merge_base = "c2";
  ASSERT_TRUE(s.ImportRun(later).ok());
  auto after_c2 = CompareWithBaseline(s, attempt, BaselineRequest{}, VerdictConfig{});
  ASSERT_TRUE(after_c2.ok());
  EXPECT_EQ(after_c2->baseline.commit, "c0");
  EXPECT_EQ(ComparisonExitCode(*after_c2, false), 1);

  // A first attempt that failed (stored "failed", never a baseline) still
  // marks the commit's start: c3's re-run, after c4 was measured, is judged
  // against c2, stored before c3's failed attempt, not against c4.
  RunRecord failed_attempt = MakeRun("main", "c3", 1.0);
  failed_attempt.merge_base = "c3";
  failed_attempt.status = "failed";
  ASSERT_TRUE(s.ImportRun(failed_attempt).ok());
  RunRecord c4 = MakeRun("main", "c4", 1.3);
  c4.merge_base = "c4";
  ASSERT_TRUE(s.ImportRun(c4).ok());
  RunRecord c3_rerun = MakeRun("main", "c3", 1.3);
  c3_rerun.merge_base = "c3";
  EXPECT_EQ(SelectBaseline(s, c3_rerun, BaselineRequest{})->commit, "c2");

  // On another branch the rule does not apply: a feature branch whose head
  // is main's c1 is judged against main's runs at c1 (the same code).
  RunRecord feature = attempt;
  feature.branch = "feature";
  EXPECT_EQ(SelectBaseline(s, feature, BaselineRequest{})->commit, "c1");

  // Only this commit's own runs on this machine: no baseline, and said why
  // (they had been taken for "other machines").
  {
    auto own_only = Store::Open(path_ + ".own");
    ASSERT_TRUE(own_only.ok());
    ASSERT_TRUE((*own_only)->ImportRun(attempt).ok());
    auto none = SelectBaseline(**own_only, attempt, BaselineRequest{});
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(none->source, BaselineSource::kNone);
    EXPECT_FALSE(none->environment_mismatch);
    EXPECT_NE(none->note.find("are of this commit"), std::string::npos) << none->note;
  }

  // Without git every run's commit is "unknown": they still find each other.
  ASSERT_TRUE(s.ImportRun(MakeRun("local", "unknown", 1.0)).ok());
  RunRecord nogit = MakeRun("local", "unknown", 1.0);
  BaselineRequest on_local;
  on_local.branch = "local";
  EXPECT_EQ(SelectBaseline(s, nogit, on_local)->commit, "unknown");
}

TEST_F(StoreTest, StrictModeAndMachineMismatch) {
  auto store = Store::Open(path_);
  ASSERT_TRUE((*store)->ImportRun(MakeRun("main", "base1", 1.0, "Other CPU")).ok());
  RunRecord candidate = MakeRun("feature", "f1", 1.5);
  candidate.merge_base = "base1";
  auto report = CompareWithBaseline(**store, candidate, BaselineRequest{}, VerdictConfig{});
  ASSERT_TRUE(report.ok());
  for (const auto& row : report->rows) EXPECT_EQ(row.reason, Reason::kEnvironmentMismatch);
  EXPECT_EQ(ComparisonExitCode(*report, false), 0);  // never a pass or fail across machines
  EXPECT_EQ(ComparisonExitCode(*report, true), 3);
}

// --keep-last counts per branch, gate, suite and machine: a suite that runs
// rarely keeps its newest runs however often the others run (it had lost
// them all, and its next comparison found no baseline).
// A retried import of a file that names no times (each import's clock
// fills them in) is still the same run: stored once, not pooled twice.
TEST_F(StoreTest, RetriedImportWithoutTimesIsStoredOnce) {
  auto store = Store::Open(path_);
  Store& s = **store;
  RunRecord run = MakeRun("main", "c1", 1.0);
  run.started_at = run.ended_at = "2026-11-25T06:00:00Z";
  run.started_at_from_import = true;
  auto first = s.ImportRun(run);
  ASSERT_TRUE(first.ok()) << first.status().message();
  run.started_at = run.ended_at = "2026-11-25T06:05:00Z";  // the retry's clock
  bool again = false;
  auto second = s.ImportRun(run, &again);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(again);
  EXPECT_EQ(*second, *first);
  for (auto& x : run.benchmarks[0].measures[0].samples) x *= 1.01;  // another run of that commit
  again = false;
  auto third = s.ImportRun(run, &again);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(again);
  EXPECT_EQ(s.ListRuns(std::nullopt, 10)->size(), 2u);
}

TEST_F(StoreTest, PruneKeepsTheNewestRunsOfEverySuiteAndMachine) {
  auto store = Store::Open(path_);
  Store& s = **store;
  RunRecord rare = MakeRun("main", "c0", 1.0);
  rare.suite = "rare";
  for (auto& b : rare.benchmarks) b.suite = "rare";
  ASSERT_TRUE(s.ImportRun(rare).ok());
  ASSERT_TRUE(s.ImportRun(MakeRun("main", "c0", 1.0, "Other CPU")).ok());
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE(s.ImportRun(MakeRun("main", CommitName(i), 1.0)).ok());
  PruneOptions keep;
  keep.keep_last = 2;
  EXPECT_EQ(*s.Prune(keep), 2);  // the frequent suite's two oldest
  const auto left = *s.ListRuns(std::nullopt, 10);
  ASSERT_EQ(left.size(), 4u);
  EXPECT_TRUE(SelectBaseline(s, MakeRun("feature", "f", 1.0), BaselineRequest{})->run_ids.size() > 0);
  RunRecord rare_candidate = rare;
  rare_candidate.branch = "feature";
  rare_candidate.commit = "f";
  EXPECT_EQ(SelectBaseline(s, rare_candidate, BaselineRequest{})->commit, "c0");
}

// Failed runs do not count towards --keep-last: two failures after the
// last good run must not prune it (the next comparison found no baseline,
// and a non-strict gate passed whatever it measured). A failure older
// than the N-th newest usable run goes with the old runs.
TEST_F(StoreTest, PruneNeverCountsFailedRunsAsBaselines) {
  auto store = Store::Open(path_);
  Store& s = **store;
  RunRecord old_failure = MakeRun("main", "c0", 1.0);
  old_failure.status = "failed";
  ASSERT_TRUE(s.ImportRun(old_failure).ok());                  // run 1
  ASSERT_TRUE(s.ImportRun(MakeRun("main", "c1", 1.0)).ok());   // run 2: the last good one
  for (const char* c : {"c2", "c3"}) {                         // runs 3, 4
    RunRecord failed = MakeRun("main", c, 1.0);
    failed.status = "failed";
    ASSERT_TRUE(s.ImportRun(failed).ok());
  }
  PruneOptions keep;
  keep.keep_last = 1;
  // the failure older than run 2, and run 3: one failure beyond the
  // newest N (1) failures of their own
  EXPECT_EQ(*s.Prune(keep), 2);
  const auto left = *s.ListRuns(std::nullopt, 10);
  ASSERT_EQ(left.size(), 2u);
  for (const auto& r : left) EXPECT_TRUE(r.id == 2 || r.id == 4) << r.id;
  EXPECT_EQ(SelectBaseline(s, MakeRun("feature", "f", 1.0), BaselineRequest{})->commit, "c1");
  // A suite that only ever fails keeps its newest N failures, not all.
  for (const char* c : {"n1", "n2", "n3"}) {
    RunRecord nightly = MakeRun("main", c, 1.0);
    nightly.suite = "nightly";
    for (auto& b : nightly.benchmarks) b.suite = "nightly";
    nightly.status = "failed";
    ASSERT_TRUE(s.ImportRun(nightly).ok());
  }
  EXPECT_EQ(*s.Prune(keep), 2);
  const auto after = *s.ListRuns(std::nullopt, 10);
  EXPECT_EQ(after.size(), 3u);  // c1, c3 and the newest nightly failure
}

TEST_F(StoreTest, PruneAnnotateThresholdsVerdictsHistory) {
  auto store = Store::Open(path_);
  Store& s = **store;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.ImportRun(MakeRun("main", CommitName(i), i < 3 ? 1.0 : 1.2)).ok());
  auto history = s.History("bench0", "time", "main");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 5u);
  EXPECT_EQ((*history)[4].commit, "c4");
  EXPECT_EQ((*history)[4].samples.size(), 10u);
  EXPECT_EQ(s.History("kernels/bench0", "time", "main")->size(), 5u);

  RunRecord candidate = *s.LoadRun(5);
  auto report = CompareWithBaseline(s, candidate, BaselineRequest{"main", "c0", std::nullopt}, VerdictConfig{});
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(s.SaveVerdicts(5, report->baseline.run_ids, candidate, report->rows).ok());
  // Judged again against the same baseline (a retried step): replaced, not doubled.
  ASSERT_TRUE(s.SaveVerdicts(5, report->baseline.run_ids, candidate, report->rows).ok());
  auto n = s.db().Prepare("SELECT count(*), sum(verdict = 'REGRESSION') FROM verdict WHERE candidate_run_id = 5");
  ASSERT_TRUE(*n->Step());
  EXPECT_EQ(n->Int(0), 3);
  EXPECT_EQ(n->Int(1), 3);

  PruneOptions dry;
  dry.keep_last = 2;
  dry.dry_run = true;
  EXPECT_EQ(*s.Prune(dry), 3);
  EXPECT_EQ(s.ListRuns(std::nullopt, 10)->size(), 5u);
  PruneOptions keep;
  keep.keep_last = 2;
  EXPECT_EQ(*s.Prune(keep), 3);
  EXPECT_EQ(s.ListRuns(std::nullopt, 10)->size(), 2u);
  auto samples = s.db().Prepare("SELECT count(*) FROM sample");
  ASSERT_TRUE(*samples->Step());
  EXPECT_EQ(samples->Int(0), 60);  // cascaded
  PruneOptions one;
  one.run_id = 5;
  EXPECT_EQ(*s.Prune(one), 1);
  EXPECT_EQ(s.ListRuns(std::nullopt, 10)->size(), 1u);

  ASSERT_TRUE(s.AddAnnotation(Annotation{0, "main", "c3", "*", "new allocator", ""}).ok());
  EXPECT_EQ(s.Annotations(std::string("main"))->size(), 1u);
  EXPECT_FALSE(s.AddAnnotation(Annotation{0, "main", "", "*", "", ""}).ok());

  ASSERT_TRUE(s.SetThreshold(Threshold{0, "gemv/*", "*", 0.05, 0.01}).ok());
  ASSERT_TRUE(s.SetThreshold(Threshold{0, "gemv/*", "*", 0.07, std::nullopt}).ok());  // replaces
  auto thresholds = s.Thresholds();
  ASSERT_EQ(thresholds->size(), 1u);
  EXPECT_DOUBLE_EQ(*(*thresholds)[0].delta, 0.07);
  EXPECT_FALSE((*thresholds)[0].alpha.has_value());
  EXPECT_FALSE(s.SetThreshold(Threshold{0, "x", "*", -1.0, std::nullopt}).ok());  // CHECK constraint
  // Setting a glob again makes it the newest row, so it wins over rows set
  // in between (an update in place kept its old id and lost to them).
  ASSERT_TRUE(s.SetThreshold(Threshold{0, "gemv/tq*", "*", 0.20, std::nullopt}).ok());
  ASSERT_TRUE(s.SetThreshold(Threshold{0, "gemv/*", "*", 0.09, std::nullopt}).ok());
  BenchmarkResult gemv;
  gemv.suite = "kernels";
  gemv.name = "gemv/tq2_0";
  ComparisonInput in;
  ApplyThresholds(*s.Thresholds(), "kernels", gemv, "time", &in);
  ASSERT_TRUE(in.delta.has_value());
  EXPECT_DOUBLE_EQ(*in.delta, 0.09);
  EXPECT_EQ(*s.RemoveThreshold("gemv/*", "*"), 1);
}

// One name in two suites of a run: each row's verdict is stored on its own
// benchmark (rows were keyed by the display name alone, so both verdicts
// landed on the last suite's benchmark).
TEST_F(StoreTest, VerdictsOfOneNameInTwoSuitesStayApart) {
  auto store = Store::Open(path_);
  Store& s = **store;
  const auto run = [](const std::string& commit, double slow_b) {
    RunRecord r;
    r.gate = "perf";
    r.suite = "mixed";
    r.branch = "main";
    r.commit = commit;
    r.started_at = r.ended_at = commit == "c1" ? "2026-11-24T01:00:00Z" : "2026-11-24T02:00:00Z";
    r.machine.cpu_model = "Test CPU";
    r.machine.cores = 2;
    for (const char* suite : {"a", "b"}) {
      BenchmarkResult b;
      b.suite = suite;
      b.name.assign(1, 'x');  // not = "x": a false GCC 12 -Wrestrict at -O3 (a -Werror build)
      MeasureSamples m{"time", "ns", Direction::kLowerIsBetter, {}};
      const double scale = std::string(suite) == "b" ? slow_b : 1.0;
      for (int i = 0; i < 10; ++i) m.samples.push_back(scale * (100.0 + 0.1 * i));
      b.measures.push_back(m);
      r.benchmarks.push_back(b);
    }
    return r;
  };
  ASSERT_TRUE(s.ImportRun(run("c1", 1.0)).ok());
  auto id = s.ImportRun(run("c2", 1.5));
  ASSERT_TRUE(id.ok());
  const RunRecord candidate = *s.LoadRun(*id);
  auto report = CompareWithBaseline(s, candidate, BaselineRequest{"main", "c1", std::nullopt}, VerdictConfig{});
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_TRUE(s.SaveVerdicts(*id, report->baseline.run_ids, candidate, report->rows).ok());
  auto q = s.db().Prepare(
      "SELECT b.suite, v.verdict FROM verdict v JOIN benchmark b ON b.id = v.benchmark_id "
      "WHERE v.candidate_run_id = ? ORDER BY b.suite");
  q->Bind(1, *id);
  std::vector<std::string> got;
  while (*q->Step()) got.push_back(q->Text(0) + " " + q->Text(1));
  EXPECT_EQ(got, (std::vector<std::string>{"a PASS", "b REGRESSION"}));
}

// A name that several benchmarks share (other params, other suites) is
// refused rather than pooled into one series, and annotation globs match
// the same forms compare matches (SUITE/NAME, NAME, NAME [PARAMS]).
TEST_F(StoreTest, HistoryFollowsOneBenchmark) {
  auto store = Store::Open(path_);
  Store& s = **store;
  for (int i = 0; i < 4; ++i) {
    RunRecord run = MakeRun("main", CommitName(i), 1.0);
    for (const char* params : {"64", "1024"}) {
      BenchmarkResult b;
      b.suite = "kernels";
      b.name = std::string("mm");  // GCC 12 -O3 warns (-Wmaybe-uninitialized) on the literal's SSO copy here
      b.params = params;
      MeasureSamples m{"time", "ns", Direction::kLowerIsBetter, {}};
      for (int r = 0; r < 10; ++r) m.samples.push_back(std::stod(params) * (1.0 + 0.001 * r));
      b.measures.push_back(m);
      run.benchmarks.push_back(b);
    }
    ASSERT_TRUE(s.ImportRun(run).ok());
  }
  const auto both = s.History("mm", "time", "main");  // two benchmarks, both with params
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("kernels/mm [64]"), std::string::npos) << both.status().message();
  EXPECT_NE(both.status().message().find("kernels/mm [1024]"), std::string::npos);
  for (const char* name : {"mm [64]", "kernels/mm [64]"}) {
    const auto one = s.History(name, "time", "main");
    ASSERT_TRUE(one.ok()) << name << ": " << one.status().message();
    ASSERT_EQ(one->size(), 4u);
    EXPECT_EQ((*one)[0].samples.size(), 10u);
    EXPECT_EQ((*one)[0].params, "64");
  }
  // A benchmark without params beside ones with: the error lists it as
  // "kernels/mm", and that name (or "mm") selects it.
  {
    RunRecord run = MakeRun("main", "c4", 1.0);
    BenchmarkResult b;
    b.suite = "kernels";
    b.name = std::string("mm");
    MeasureSamples m{"time", "ns", Direction::kLowerIsBetter, {5, 5, 5}};
    b.measures.push_back(m);
    run.benchmarks.push_back(b);
    ASSERT_TRUE(s.ImportRun(run).ok());
  }
  for (const char* name : {"mm", "kernels/mm"}) {
    const auto bare = s.History(name, "time", "main");
    ASSERT_TRUE(bare.ok()) << name << ": " << bare.status().message();
    ASSERT_EQ(bare->size(), 1u);
    EXPECT_EQ((*bare)[0].params, "");
  }
  ASSERT_TRUE(s.AddAnnotation(Annotation{0, "main", "c2", "kernels/mm", "new tiling", ""}).ok());
  const auto report = BuildHistory(s, "mm [1024]", "time", "main", std::nullopt, ChangePointOptions{});
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_EQ(report->entries.size(), 4u);
  EXPECT_FALSE(report->entries[1].annotated);
  EXPECT_TRUE(report->entries[2].annotated);
}

// A history follows one version of a benchmark, and only results that ran:
// a change to the benchmark's own code (a new version hash) made a step
// blamed on a commit, and an errored result's samples counted too.
TEST_F(StoreTest, HistorySkipsOtherVersionsAndErroredResults) {
  auto store = Store::Open(path_);
  Store& s = **store;
  for (int i = 0; i < 12; ++i) {
    std::string commit = "c";  // not "c" + to_string: GCC 12 warns (-Wrestrict) on it here
    commit += std::to_string(i);
    RunRecord run = MakeRun("main", commit, i < 6 ? 1.0 : 3.0);  // 3x slower from c6 on...
    for (auto& b : run.benchmarks) b.version_hash = i < 6 ? "v1" : "v2";         // ...because the benchmark changed
    if (i == 9) run.benchmarks[0].status = BenchmarkStatus::kError;               // its samples are not a level
    if (i == 9) run.benchmarks[0].measures[0].samples.assign(10, 50.0);
    ASSERT_TRUE(s.ImportRun(run).ok());
  }
  const auto report = BuildHistory(s, "kernels/bench0", "time", "main", std::nullopt, ChangePointOptions{});
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_EQ(report->entries.size(), 5u);  // c6..c11 without c9
  EXPECT_EQ(report->entries.front().commit, "c6");
  for (const auto& e : report->entries) EXPECT_NE(e.commit, "c9");
  EXPECT_TRUE(report->steps.empty());
  ASSERT_FALSE(report->notes.empty());
  EXPECT_NE(report->notes.back().find("6 run(s) of other versions of the benchmark"), std::string::npos)
      << report->notes.back();
}

// A step between two runs of one build (the same config_hash: a docs-only
// commit, or the same commit measured again) is the machine's, not a
// commit's: marked same-build, never "worse", and creep is still judged
// across it. A step where the build changed is the commit's.
TEST_F(StoreTest, HistoryStepBetweenRunsOfOneBuildIsDrift) {
  auto store = Store::Open(path_);
  Store& s = **store;
  for (int i = 0; i < 16; ++i) {
    std::string commit = "c";
    commit += std::to_string(i);
    RunRecord run = MakeRun("main", commit, i < 8 ? 1.0 : 1.3);  // 30% slower from c8 on
    run.config_hash = i < 8 ? "build-a" : "build-b";
    ASSERT_TRUE(s.ImportRun(run).ok());
  }
  auto report = BuildHistory(s, "kernels/bench0", "time", "main", std::nullopt, ChangePointOptions{});
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_EQ(report->steps.size(), 1u);
  EXPECT_EQ(report->steps[0].commit, "c8");
  EXPECT_TRUE(report->steps[0].worse);
  EXPECT_FALSE(report->steps[0].same_build);

  auto drift = Store::Open(path_ + ".drift");
  ASSERT_TRUE(drift.ok());
  for (int i = 0; i < 16; ++i) {
    std::string commit = "c";
    commit += std::to_string(i);
    RunRecord run = MakeRun("main", commit, i < 8 ? 1.0 : 1.3);
    run.config_hash = "build-a";  // one build throughout: the host slowed down
    ASSERT_TRUE((*drift)->ImportRun(run).ok());
  }
  report = BuildHistory(**drift, "kernels/bench0", "time", "main", std::nullopt, ChangePointOptions{});
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_EQ(report->steps.size(), 1u);
  EXPECT_TRUE(report->steps[0].same_build);
  EXPECT_FALSE(report->steps[0].worse);
  // The creep window runs across the drift step: the latest run is judged
  // against up to 20 runs before it (15 here), not only the 7 after it.
  EXPECT_EQ(report->last_z_window, 15);
}

// Baseline runs that declared a measure in another unit are not pooled
// with the ones that match the candidate (the first run's declaration had
// decided for all of them).
TEST_F(StoreTest, BaselineRunsInAnotherUnitAreNotPooled) {
  auto store = Store::Open(path_);
  Store& s = **store;
  RunRecord old_unit = MakeRun("main", "base1", 1.0);
  for (auto& b : old_unit.benchmarks) {
    b.measures[0].unit = "us";
    for (auto& x : b.measures[0].samples) x /= 1000;
  }
  ASSERT_TRUE(s.ImportRun(old_unit).ok());
  RunRecord same_unit = MakeRun("main", "base1", 1.0);
  same_unit.started_at = same_unit.ended_at = "2026-11-24T03:00:00Z";
  ASSERT_TRUE(s.ImportRun(same_unit).ok());
  RunRecord candidate = MakeRun("feature", "f1", 1.0);
  candidate.merge_base = "base1";
  auto report = CompareWithBaseline(s, candidate, BaselineRequest{}, VerdictConfig{});
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->rows[0].n_baseline, 10);  // the ns run only
  EXPECT_EQ(report->rows[0].verdict, Verdict::kPass);
  bool noted = false;
  for (const auto& n : report->notes) noted |= n.find("another unit or direction were left out") != std::string::npos;
  EXPECT_TRUE(noted);
  for (auto& b : candidate.benchmarks) b.measures[0].unit = "ms";
  report = CompareWithBaseline(s, candidate, BaselineRequest{}, VerdictConfig{});
  EXPECT_EQ(report->rows[0].n_baseline, 0);
  noted = false;
  for (const auto& n : report->notes) noted |= n.find("unit or direction changed") != std::string::npos;
  EXPECT_TRUE(noted);
}

// A measure recorded in us and then in ns is not one series: the 1000x
// "change" was the unit's (history took the newest unit for every point).
TEST_F(StoreTest, HistoryFollowsTheNewestUnit) {
  auto store = Store::Open(path_);
  Store& s = **store;
  for (int i = 0; i < 10; ++i) {
    std::string commit = "c";
    commit += std::to_string(i);
    RunRecord run = MakeRun("main", commit, 1.0);
    if (i < 5) {
      for (auto& b : run.benchmarks) {
        b.measures[0].unit = "us";
        for (auto& x : b.measures[0].samples) x /= 1000;
      }
    }
    ASSERT_TRUE(s.ImportRun(run).ok());
  }
  const auto report = BuildHistory(s, "kernels/bench0", "time", "main", std::nullopt, ChangePointOptions{});
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->unit, "ns");
  ASSERT_EQ(report->entries.size(), 5u);
  EXPECT_EQ(report->entries.front().commit, "c5");
  EXPECT_TRUE(report->steps.empty());
  ASSERT_FALSE(report->notes.empty());
  EXPECT_NE(report->notes.back().find("5 run(s) that recorded the measure in another unit"), std::string::npos)
      << report->notes.back();
}

}  // namespace
}  // namespace bitgate::baselines
