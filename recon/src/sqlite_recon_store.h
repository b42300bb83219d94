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
#include "qiao/store/sqlite_conn.h"

namespace qiao::recon::detail {

// The service's format, kept in recon_meta as service_format_version (the engine keeps its
// own format_version there too).
inline constexpr std::string_view kServiceFormatVersion = "1";

// A cached statement in use (store::SqliteQuery) with the engine's nullable cells.
class Query : public store::SqliteQuery {
 public:
  explicit Query(store::SqliteQuery&& q) : store::SqliteQuery(std::move(q)) {}
  Query& bindCell(const Cell& c) {
    if (c) bind(std::string_view(*c));
    else bindNull();
    return *this;
  }
  Cell cell(int col) const { return isNull(col) ? Cell() : Cell(text(col)); }
};

class ReconDb {
 public:
  // Opens the file with WAL, busy_timeout and the synchronous level, then creates the recon_*
  // tables that are missing and checks the service format version.
  static Result<std::unique_ptr<ReconDb>> open(const std::string& path, int busy_timeout_ms,
                                               bool synchronous_full);

  Query prepare(std::string_view sql) { return Query(conn_->prepare(sql)); }
  Status exec(std::string_view sql) { return conn_->exec(sql); }

  // BEGIN IMMEDIATE (takes the write lock at once, waiting up to busy_timeout) / COMMIT;
  // rollback() is best effort and safe without an open transaction.
  Status begin() { return conn_->begin(); }
  Status commit() { return conn_->commit(); }
  void rollback() { conn_->rollback(); }

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

  const std::string& path() const { return conn_->path(); }

 private:
  explicit ReconDb(std::unique_ptr<store::SqliteConn> conn) : conn_(std::move(conn)) {}
  Result<std::optional<Row>> rowByKey(std::string_view table, std::string_view key);

  std::unique_ptr<store::SqliteConn> conn_;
};

}  // namespace qiao::recon::detail
