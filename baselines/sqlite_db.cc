#include "baselines/sqlite_db.h"

#include <utility>

namespace bitgate::baselines {

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

// Bind errors can only come from a wrong index (a programmer error).
Statement& Statement::Bind(int index, int64_t value) {
  BITGATE_CHECK(sqlite3_bind_int64(stmt_, index, value) == SQLITE_OK);
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  BITGATE_CHECK(sqlite3_bind_double(stmt_, index, value) == SQLITE_OK);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view value) {
  BITGATE_CHECK(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                                  SQLITE_TRANSIENT) == SQLITE_OK);
  return *this;
}
Statement& Statement::BindNull(int index) {
  BITGATE_CHECK(sqlite3_bind_null(stmt_, index) == SQLITE_OK);
  return *this;
}

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The file is named: the default store path is implicit.
  const char* file = sqlite3_db_filename(db_, "main");
  Status error = Status::Error(std::string(sqlite3_errmsg(db_)) + " in: " + sqlite3_sql(stmt_) + " (database " +
                               (file && *file ? file : "in memory") + ")");
  sqlite3_reset(stmt_);
  return error;
}

Status Statement::Run() {
  for (;;) {
    auto row = Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
  }
  Reset();
  return Status::Ok();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  return text ? std::string(reinterpret_cast<const char*>(text),
                            static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
              : std::string();
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, bool create,
                                                 int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<Database> db(new Database(raw, path));
  if (rc != SQLITE_OK) {
    return Status::Error("cannot open database " + path + ": " +
                         (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  // Reading the schema is the first access to the file: a file that is not
  // a database fails here with "file is not a database".
  BITGATE_RETURN_IF_ERROR(db->Exec("SELECT count(*) FROM sqlite_schema"));
  BITGATE_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = ON"));
  return db;
}

Status Database::UseWal() {
  auto journal = Prepare("PRAGMA journal_mode = WAL");
  if (!journal.ok()) return journal.status();
  auto row = journal->Step();
  if (!row.ok()) return row.status();
  // NORMAL is durable across application crashes in WAL mode (only a power
  // loss may drop the last transactions) and much faster than FULL.
  return Exec("PRAGMA synchronous = NORMAL");
}

Database::~Database() { sqlite3_close_v2(db_); }

Status Database::Error(std::string_view what) const {
  return Status::Error(std::string(what) + ": " + sqlite3_errmsg(db_) + " (database " + path_ + ")");
}

Status Database::Exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return Status::Error(text + " (database " + path_ + ")");
  }
  return Status::Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK)
    return Error("preparing '" + std::string(sql.substr(0, 60)) + "'");
  return Statement(db_, stmt);
}

Result<std::unique_ptr<Transaction>> Transaction::Begin(Database& db) {
  BITGATE_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return std::unique_ptr<Transaction>(new Transaction(db));
}

Transaction::~Transaction() {
  if (!done_) (void)db_.Exec("ROLLBACK");
}

Status Transaction::Commit() {
  BITGATE_RETURN_IF_ERROR(db_.Exec("COMMIT"));
  done_ = true;
  return Status::Ok();
}

}  // namespace bitgate::baselines
