// The sync service's own connection to the gateway's SQLite file and its sync_* tables (DDL in
// sqlite_sync_store.cpp and docs/sync.md). Not thread-safe: the Service's mutex guards it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "qiao/core/result.h"
#include "qiao/store/sqlite_conn.h"

namespace qiao::sync::detail {

// Kept in sync_meta as format_version; a file with another version is refused.
inline constexpr std::string_view kFormatVersion = "1";

using Query = store::SqliteQuery;

class SyncDb {
 public:
  // WAL, busy_timeout, synchronous level; creates the sync_* tables that are missing and checks
  // the format version.
  static Result<std::unique_ptr<SyncDb>> open(const std::string& path, int busy_timeout_ms,
                                              bool synchronous_full);

  Query prepare(std::string_view sql) { return conn_->prepare(sql); }
  Status exec(std::string_view sql) { return conn_->exec(sql); }
  // BEGIN IMMEDIATE (the write lock at once, waiting up to busy_timeout) / COMMIT; rollback()
  // is best effort and safe without an open transaction.
  Status begin() { return conn_->begin(); }
  Status commit() { return conn_->commit(); }
  void rollback() { conn_->rollback(); }
  int64_t lastInsertId() const { return conn_->lastInsertId(); }

  const std::string& path() const { return conn_->path(); }

 private:
  explicit SyncDb(std::unique_ptr<store::SqliteConn> conn) : conn_(std::move(conn)) {}

  std::unique_ptr<store::SqliteConn> conn_;
};

}  // namespace qiao::sync::detail
