#include "sqlite_recon_store.h"

namespace qiao::recon::detail {
namespace {

// The engine's tables (rows.h column order) and the service's own. Amounts and confidences
// are TEXT so they come back exactly. Only recon_* names: the gateway's store shares the file.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS recon_orders (
  order_no TEXT PRIMARY KEY, erp_bill_no TEXT NOT NULL DEFAULT '', customer_id TEXT NOT NULL,
  currency TEXT NOT NULL, amount TEXT NOT NULL, order_date TEXT NOT NULL,
  planned_receipt_date TEXT, paid_before TEXT NOT NULL DEFAULT '0');
CREATE INDEX IF NOT EXISTS recon_orders_customer ON recon_orders(customer_id, currency);
CREATE INDEX IF NOT EXISTS recon_orders_date ON recon_orders(order_date);
CREATE TABLE IF NOT EXISTS recon_payments (
  payment_id TEXT PRIMARY KEY, source TEXT NOT NULL CHECK (source IN ('k3','bank')),
  date TEXT NOT NULL, payer_name TEXT NOT NULL DEFAULT '', payer_account TEXT NOT NULL DEFAULT '',
  customer_id TEXT, currency TEXT NOT NULL, amount TEXT NOT NULL, remark TEXT NOT NULL DEFAULT '',
  source_order_no TEXT, reverses_payment_id TEXT,
  purpose TEXT NOT NULL CHECK (purpose IN ('sale','advance')),
  resolved_customer_id TEXT, customer_source TEXT NOT NULL DEFAULT '',
  processed INTEGER NOT NULL, held INTEGER NOT NULL, notes TEXT NOT NULL DEFAULT '',
  cancelled TEXT NOT NULL DEFAULT '0', reversal_of TEXT);
CREATE INDEX IF NOT EXISTS recon_payments_date ON recon_payments(date);
CREATE TABLE IF NOT EXISTS recon_allocations (
  seq INTEGER PRIMARY KEY, payment_id TEXT NOT NULL, order_no TEXT NOT NULL,
  amount TEXT NOT NULL, difference TEXT NOT NULL, rule TEXT NOT NULL, confidence TEXT NOT NULL,
  manual INTEGER NOT NULL, overpayment INTEGER NOT NULL, user_name TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '', at_ms INTEGER NOT NULL DEFAULT 0, unwinds_seq INTEGER);
CREATE INDEX IF NOT EXISTS recon_allocations_payment ON recon_allocations(payment_id);
CREATE INDEX IF NOT EXISTS recon_allocations_order ON recon_allocations(order_no);
CREATE TABLE IF NOT EXISTS recon_customer_names (
  customer_id TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (customer_id, name));
CREATE TABLE IF NOT EXISTS recon_manual_log (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('match','unmatch')),
  payment_id TEXT NOT NULL, order_no TEXT NOT NULL DEFAULT '', amount TEXT NOT NULL,
  user_name TEXT NOT NULL, reason TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS recon_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS recon_sources (
  payment_id TEXT PRIMARY KEY, entry_ids TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS recon_push_pending (
  order_no TEXT PRIMARY KEY, changed_at_ms INTEGER NOT NULL);
)sql";

constexpr const char* kEngineTables[] = {"recon_orders", "recon_payments", "recon_allocations",
                                         "recon_customer_names", "recon_manual_log", "recon_meta"};

std::string joinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    if (!out.empty()) out += '\n';
    out += id;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<ReconDb>> ReconDb::open(const std::string& path, int busy_timeout_ms,
                                               bool synchronous_full) {
  QIAO_ASSIGN_OR_RETURN(auto conn, store::SqliteConn::open(path, busy_timeout_ms, synchronous_full,
                                                           "recon store"));
  QIAO_RETURN_IF_ERROR(conn->ensureSchema(kSchema, "create the recon tables", "recon_meta",
                                          "service_format_version", kServiceFormatVersion));
  return std::unique_ptr<ReconDb>(new ReconDb(std::move(conn)));
}

namespace {

template <typename T>
void appendAll(std::vector<T>& to, std::vector<T>& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

Result<State> ReconDb::loadState(std::size_t chunk_rows) {
  State state;
  for (const char* table : kEngineTables) {
    TableRows t{table, columnsOf(table), {}};
    std::string sql = "SELECT ";
    for (std::size_t i = 0; i < t.columns.size(); ++i) sql += (i ? ", " : "") + t.columns[i];
    sql += " FROM ";
    sql += table;
    if (t.table == "recon_meta") {
      sql += " WHERE key IN ('format_version', 'next_seq')";  // the service's own keys stay out
    } else {
      // Names in the order they were added (a later alias never changes an earlier answer).
      sql += t.table == "recon_customer_names" ? " ORDER BY rowid" : " ORDER BY 1";
    }
    // Parsed a chunk at a time, so the text of a million rows is never in memory at once.
    std::size_t first_row = 1;
    auto flush = [&]() -> Status {
      if (t.rows.empty() && t.table != "recon_meta") return Status();
      auto part = fromRows({t});
      if (!part.ok()) {
        return Error::permanent(ErrorCode::kStoreError,
                                "recon store: " + path() + ": " + part.error().message +
                                    (first_row > 1 ? " (rows counted from row " + std::to_string(first_row) + ")" : ""));
      }
      appendAll(state.orders, part->orders);
      appendAll(state.payments, part->payments);
      appendAll(state.allocations, part->allocations);
      appendAll(state.customer_names, part->customer_names);
      appendAll(state.manual_log, part->manual_log);
      if (t.table == "recon_meta") state.next_seq = part->next_seq;
      first_row += t.rows.size();
      t.rows.clear();
      return Status();
    };
    Query q = prepare(sql);
    const int n = static_cast<int>(t.columns.size());
    while (q.step()) {
      Row row;
      row.reserve(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c) row.push_back(q.cell(c));
      t.rows.push_back(std::move(row));
      if (t.rows.size() >= chunk_rows) QIAO_RETURN_IF_ERROR(flush());
    }
    QIAO_RETURN_IF_ERROR(q.status());
    QIAO_RETURN_IF_ERROR(flush());
  }
  return state;
}

RowWriter ReconDb::rowWriter() {
  RowWriter w;
  w.clear_allocations = [this]() { return exec("DELETE FROM recon_allocations"); };
  w.delete_allocation = [this](int64_t seq) {
    return prepare("DELETE FROM recon_allocations WHERE seq = ?").bind(seq).run();
  };
  w.upsert = [this](std::string_view table, const Row& row) -> Status {
    const auto& cols = columnsOf(table);
    if (cols.empty() || cols.size() != row.size()) {
      return Error::permanent(ErrorCode::kInternal, "recon store: row of " + std::to_string(row.size()) +
                                                        " cells for table " + std::string(table));
    }
    std::string sql = "INSERT OR REPLACE INTO ";
    sql += table;
    sql += " (";
    for (std::size_t i = 0; i < cols.size(); ++i) sql += (i ? ", " : "") + cols[i];
    sql += ") VALUES (";
    for (std::size_t i = 0; i < cols.size(); ++i) sql += i ? ", ?" : "?";
    sql += ")";
    Query q = prepare(sql);
    for (const Cell& c : row) q.bindCell(c);
    return q.run();
  };
  return w;
}

Result<std::map<std::string, std::vector<std::string>>> ReconDb::loadSources() {
  std::map<std::string, std::vector<std::string>> out;
  Query q = prepare("SELECT payment_id, entry_ids FROM recon_sources");
  while (q.step()) {
    std::vector<std::string> ids;
    std::string all = q.text(1);
    std::size_t start = 0;
    while (start <= all.size()) {
      std::size_t nl = all.find('\n', start);
      if (nl == std::string::npos) nl = all.size();
      if (nl > start) ids.push_back(all.substr(start, nl - start));
      start = nl + 1;
    }
    out.emplace(q.text(0), std::move(ids));
  }
  QIAO_RETURN_IF_ERROR(q.status());
  return out;
}

Status ReconDb::putSource(std::string_view payment_id, const std::vector<std::string>& engine_ids) {
  return prepare("INSERT OR REPLACE INTO recon_sources (payment_id, entry_ids) VALUES (?, ?)")
      .bind(payment_id)
      .bind(joinIds(engine_ids))
      .run();
}

Status ReconDb::markPending(const std::vector<std::string>& order_nos, int64_t at_ms) {
  for (const std::string& no : order_nos) {
    QIAO_RETURN_IF_ERROR(
        prepare("INSERT OR REPLACE INTO recon_push_pending (order_no, changed_at_ms) VALUES (?, ?)")
            .bind(no)
            .bind(at_ms)
            .run());
  }
  return Status();
}

Status ReconDb::unmarkPending(const std::vector<std::string>& order_nos) {
  for (const std::string& no : order_nos) {
    QIAO_RETURN_IF_ERROR(prepare("DELETE FROM recon_push_pending WHERE order_no = ?").bind(no).run());
  }
  return Status();
}

Result<std::vector<std::pair<std::string, int64_t>>> ReconDb::takePending() {
  std::vector<std::pair<std::string, int64_t>> out;
  {
    Query q = prepare("SELECT order_no, changed_at_ms FROM recon_push_pending ORDER BY order_no");
    while (q.step()) out.emplace_back(q.text(0), q.i64(1));
    QIAO_RETURN_IF_ERROR(q.status());
  }
  if (!out.empty()) QIAO_RETURN_IF_ERROR(exec("DELETE FROM recon_push_pending"));
  return out;
}

Result<std::optional<Row>> ReconDb::rowByKey(std::string_view table, std::string_view key) {
  const auto& cols = columnsOf(table);
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < cols.size(); ++i) sql += (i ? ", " : "") + cols[i];
  sql += " FROM ";
  sql += table;
  sql += " WHERE " + cols[0] + " = ?";
  Query q = prepare(sql);
  q.bind(key);
  std::optional<Row> out;
  if (q.step()) {
    Row row;
    for (int c = 0; c < static_cast<int>(cols.size()); ++c) row.push_back(q.cell(c));
    out = std::move(row);
  }
  QIAO_RETURN_IF_ERROR(q.status());
  return out;
}

Result<std::optional<Row>> ReconDb::orderRow(std::string_view order_no) {
  return rowByKey("recon_orders", order_no);
}

Result<std::optional<Row>> ReconDb::paymentRow(std::string_view payment_id) {
  return rowByKey("recon_payments", payment_id);
}

}  // namespace qiao::recon::detail
