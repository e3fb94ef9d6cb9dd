// A thin RAII layer over the SQLite C API: a connection, prepared
// statements, and a transaction guard that rolls back unless committed.
// Every failure becomes a Status naming the statement and SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kernels/base/status.h"

namespace bitgate::baselines {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Bind by 1-based index; chainable.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view value);
  Statement& BindNull(int index);

  // Steps once: true while a row is available, false when done.
  Result<bool> Step();
  // Steps to completion (for statements without result rows) and resets.
  Status Run();
  void Reset();

  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  double Real(int column) const { return sqlite3_column_double(stmt_, column); }
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  // An INTEGER or REAL value (Real() reads text as 0).
  bool IsNumber(int column) const {
    const int type = sqlite3_column_type(stmt_, column);
    return type == SQLITE_INTEGER || type == SQLITE_FLOAT;
  }
  std::string Text(int column) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  // Opens (creating if `create`) the file; sets busy_timeout and foreign
  // keys, and writes nothing. A file that is not SQLite fails here, before
  // anything is read.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, bool create,
                                               int busy_timeout_ms);
  // Switches the file to WAL mode (synchronous NORMAL). WAL is persistent:
  // it rewrites the file header, so call it only on a file known to be ours.
  Status UseWal();
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status Exec(const std::string& sql);
  Result<Statement> Prepare(std::string_view sql);
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  Status Error(std::string_view what) const;
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// BEGIN IMMEDIATE on construction (takes the write lock up front, so a
// locked database fails before any work); ROLLBACK on destruction unless
// Commit() succeeded. Nothing is half-written on an error path.
class Transaction {
 public:
  static Result<std::unique_ptr<Transaction>> Begin(Database& db);
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Database& db) : db_(db) {}
  Database& db_;
  bool done_ = false;
};

}  // namespace bitgate::baselines
