// A plain SQLite connection for components that keep their own tables in the gateway's SQLite
// file beside the store (the reconciliation and sync services): WAL, busy_timeout, cached
// statements, BEGIN IMMEDIATE transactions, errors as values classified transient (busy, I/O)
// or permanent. Not thread-safe: its owner serialises calls. The store itself has its own
// writer thread and does not use this.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "qiao/core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace qiao::store {

class SqliteConn;

// A cached statement in use: bind in parameter order, step, read columns. Resets on scope exit.
class SqliteQuery {
 public:
  SqliteQuery(SqliteConn* conn, sqlite3_stmt* stmt, std::string sql, int rc, std::string msg);
  SqliteQuery(SqliteQuery&& other) noexcept;
  ~SqliteQuery();
  SqliteQuery(const SqliteQuery&) = delete;
  SqliteQuery& operator=(const SqliteQuery&) = delete;
  SqliteQuery& operator=(SqliteQuery&&) = delete;

  SqliteQuery& bind(int64_t v);
  SqliteQuery& bind(std::string_view v);
  SqliteQuery& bindNull();
  bool step();   // true while a row is available
  Status run();  // steps to the end; the error if any
  bool isNull(int col) const;
  std::string text(int col) const;
  int64_t i64(int col) const;
  Status status() const;  // "<label>: <sql head>: <sqlite message>"

 private:
  SqliteConn* conn_;
  sqlite3_stmt* stmt_;
  std::string sql_;
  int rc_;
  std::string msg_;
  int next_ = 1;
  bool done_ = false;
};

class SqliteConn {
 public:
  // Opens (creating) the file with WAL, the busy timeout and the synchronous level. `label`
  // starts every error message ("recon store").
  static Result<std::unique_ptr<SqliteConn>> open(const std::string& path, int busy_timeout_ms,
                                                  bool synchronous_full, std::string label);
  ~SqliteConn();
  SqliteConn(const SqliteConn&) = delete;
  SqliteConn& operator=(const SqliteConn&) = delete;

  // In one transaction: runs `ddl` (CREATE ... IF NOT EXISTS), then checks `version_key` in
  // `meta_table` (key, value): another version is refused, none is set to `version`.
  Status ensureSchema(const char* ddl, std::string_view what, std::string_view meta_table,
                      std::string_view version_key, std::string_view version);

  SqliteQuery prepare(std::string_view sql);
  Status exec(std::string_view sql) { return prepare(sql).run(); }
  // BEGIN IMMEDIATE (the write lock at once, waiting up to busy_timeout) / COMMIT; rollback()
  // is best effort and safe without an open transaction.
  Status begin();
  Status commit();
  void rollback();
  int64_t lastInsertId() const;

  // An Error for an SQLite result code: busy/locked and I/O errors are transient.
  Error error(std::string_view what, int rc, std::string_view msg) const;
  sqlite3* raw() { return db_; }
  const std::string& path() const { return path_; }

 private:
  SqliteConn(sqlite3* db, std::string path, std::string label)
      : db_(db), path_(std::move(path)), label_(std::move(label)) {}

  sqlite3* db_;
  std::string path_;
  std::string label_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace qiao::store
