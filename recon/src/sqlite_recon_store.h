// The reconciliation service's own connection to the gateway's SQLite file and its recon_*
// tables (DDL in sqlite_recon_store.cpp and docs/reconciliation.md). Not thread-safe: the
// Service's mutex guards it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "qiao/core/result.h"
#include "qiao/recon/rows.h"

struct sqlite3;
struct sqlite3_stmt;

namespace qiao::recon::detail {

// The service's format, kept in recon_meta as service_format_version (the engine keeps its
// own format_version there too).
inline constexpr std::string_view kServiceFormatVersion = "1";

class ReconDb;

// A cached statement in use: bind in parameter order, step, read columns. Resets on scope exit.
class Query {
 public:
  Query(ReconDb* db, sqlite3_stmt* stmt, std::string sql, int rc, std::string msg);
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int64_t v);
  Query& bind(std::string_view v);
  Query& bindNull();
  Query& bindCell(const Cell& c) { return c ? bind(std::string_view(*c)) : bindNull(); }
  bool step();   // true while a row is available
  Status run();  // steps to the end; the error if any
  bool isNull(int col) const;
  std::string text(int col) const;
  Cell cell(int col) const;
  int64_t i64(int col) const;
  Status status() const;  // "recon store: <sql head>: <sqlite message>"

 private:
  ReconDb* db_;
  sqlite3_stmt* stmt_;
  std::string sql_;
  int rc_;
  std::string msg_;
  int next_ = 1;
  bool done_ = false;
};

class ReconDb {
 public:
  // Opens the file with WAL, busy_timeout and the synchronous level, then creates the recon_*
  // tables that are missing and checks the service format version.
  static Result<std::unique_ptr<ReconDb>> open(const std::string& path, int busy_timeout_ms,
                                               bool synchronous_full);
  ~ReconDb();
  ReconDb(const ReconDb&) = delete;
  ReconDb& operator=(const ReconDb&) = delete;

  Query prepare(std::string_view sql);
  Status exec(std::string_view sql);  // one statement without rows, through the cache

  // BEGIN IMMEDIATE (takes the write lock at once, waiting up to busy_timeout) / COMMIT;
  // rollback() is best effort and safe without an open transaction.
  Status begin();
  Status commit();
  void rollback();

  // The engine's state from its six tables (recon_orders ... recon_meta), parsed by fromRows
  // `chunk_rows` rows at a time; errors name the table, row and column.
  Result<State> loadState(std::size_t chunk_rows = 20000);
  // A RowWriter that writes into the open transaction.
  RowWriter rowWriter();

  // recon_sources: a K/3 receipt split into one engine payment per entry.
  Result<std::map<std::string, std::vector<std::string>>> loadSources();
  Status putSource(std::string_view payment_id, const std::vector<std::string>& engine_ids);

  // recon_push_pending: orders whose figures changed and were not handed out yet.
  Status markPending(const std::vector<std::string>& order_nos, int64_t at_ms);
  Status unmarkPending(const std::vector<std::string>& order_nos);
  // All pending (order_no, changed_at_ms), sorted; removed from the table (in the open
  // transaction).
  Result<std::vector<std::pair<std::string, int64_t>>> takePending();

  // One row of recon_orders / recon_payments by key, columns as columnsOf(); nullopt if absent.
  Result<std::optional<Row>> orderRow(std::string_view order_no);
  Result<std::optional<Row>> paymentRow(std::string_view payment_id);

  sqlite3* raw() { return db_; }
  const std::string& path() const { return path_; }

 private:
  explicit ReconDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status createSchema();
  Result<std::optional<Row>> rowByKey(std::string_view table, std::string_view key);

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
  bool in_tx_ = false;
};

}  // namespace qiao::recon::detail
