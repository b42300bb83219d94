// The sync service's own connection to the gateway's SQLite file and its sync_* tables (DDL in
// sqlite_sync_store.cpp and docs/sync.md). Not thread-safe: the Service's mutex guards it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "qiao/core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace qiao::sync::detail {

// Kept in sync_meta as format_version; a file with another version is refused.
inline constexpr std::string_view kFormatVersion = "1";

class SyncDb;

// A cached statement in use: bind in parameter order, step, read columns. Resets on scope exit.
class Query {
 public:
  Query(SyncDb* db, sqlite3_stmt* stmt, std::string sql, int rc, std::string msg);
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int64_t v);
  Query& bind(std::string_view v);
  Query& bindNull();
  bool step();   // true while a row is available
  Status run();  // steps to the end; the error if any
  std::string text(int col) const;
  int64_t i64(int col) const;
  bool isNull(int col) const;
  Status status() const;  // "sync store: <sql head>: <sqlite message>"

 private:
  SyncDb* db_;
  sqlite3_stmt* stmt_;
  std::string sql_;
  int rc_;
  std::string msg_;
  int next_ = 1;
  bool done_ = false;
};

class SyncDb {
 public:
  // WAL, busy_timeout, synchronous level; creates the sync_* tables that are missing and checks
  // the format version.
  static Result<std::unique_ptr<SyncDb>> open(const std::string& path, int busy_timeout_ms,
                                              bool synchronous_full);
  ~SyncDb();
  SyncDb(const SyncDb&) = delete;
  SyncDb& operator=(const SyncDb&) = delete;

  Query prepare(std::string_view sql);
  Status exec(std::string_view sql) { return prepare(sql).run(); }
  // BEGIN IMMEDIATE (the write lock at once, waiting up to busy_timeout) / COMMIT; rollback()
  // is best effort and safe without an open transaction.
  Status begin();
  Status commit();
  void rollback();
  int64_t lastInsertId() const;

  sqlite3* raw() { return db_; }
  const std::string& path() const { return path_; }

 private:
  SyncDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status createSchema();

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace qiao::sync::detail
