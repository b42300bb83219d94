// Opening, migrations and every read. Reads use pooled connections, never the writer's.
#include "sqlite_store.h"

#include <algorithm>
#include <chrono>

#include "migrations.h"

namespace qiao::store {

const char* toString(MessageStatus s) {
  switch (s) {
    case MessageStatus::kPending: return "pending";
    case MessageStatus::kInflight: return "inflight";
    case MessageStatus::kDelivered: return "delivered";
    case MessageStatus::kDead: return "dead";
    case MessageStatus::kAwaitingApproval: return "awaiting_approval";
  }
  return "unknown";
}

bool parseMessageStatus(const std::string& text, MessageStatus* out) {
  for (MessageStatus s : {MessageStatus::kPending, MessageStatus::kInflight,
                          MessageStatus::kDelivered, MessageStatus::kDead,
                          MessageStatus::kAwaitingApproval}) {
    if (text == toString(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

namespace sqlite {
namespace {

int64_t wallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr size_t kMaxIdleReaders = 8;
constexpr int kMaxListLimit = 10000;

int clampLimit(int limit) { return limit <= 0 ? 50 : std::min(limit, kMaxListLimit); }

constexpr const char* kDeadLetterColumns =
    "id, message_id, route, business_key, reason, error_class, attempts, created_at,"
    " replayed_at, replayed_by";

DeadLetter readDeadLetter(const Stmt& st) {
  DeadLetter d;
  d.id = st.i64(0);
  d.message_id = st.i64(1);
  d.route = st.text(2);
  d.business_key = st.text(3);
  d.reason = st.text(4);
  d.error_class = st.text(5);
  d.attempts = st.i32(6);
  d.created_at_ms = st.i64(7);
  d.replayed_at_ms = st.i64(8);
  d.replayed_by = st.text(9);
  return d;
}

XrefEntry readXref(const Stmt& st) {
  return XrefEntry{st.text(0), st.text(1), st.text(2), st.text(3), st.i64(4), st.text(5)};
}

ApiKey readApiKey(const Stmt& st) {
  return ApiKey{st.text(0), st.text(1), st.text(2), st.text(3), st.i64(4), st.i64(5) != 0};
}

}  // namespace

// The payload lives in message_payloads; the scalar subquery works both in SELECT ... FROM
// messages and in UPDATE messages ... RETURNING, where a join is not allowed.
const char* const kMessageColumns =
    "id, route, entity, source_system, business_key, idempotency_key, trace_id,"
    " (SELECT payload FROM message_payloads WHERE message_id = messages.id),"
    " order_key, status, attempt, next_attempt_at, claimed_by, lease_until, remote_id,"
    " last_error, created_at, updated_at, delivered_at, prior_attempts";

Message readMessage(const Stmt& st) {
  Message m;
  m.id = st.i64(0);
  m.route = st.text(1);
  m.record.entity = st.text(2);
  m.record.source_system = st.text(3);
  m.record.business_key = st.text(4);
  m.record.idempotency_key = st.text(5);
  m.record.trace_id = st.text(6);
  m.record.payload = st.text(7);
  m.order_key = st.text(8);
  parseMessageStatus(st.text(9), &m.status);
  m.attempt = st.i32(10);
  // Tries before a replay count too: a sink that looks its target up before writing again
  // must still do so on the first try after a replay.
  m.record.attempt = m.attempt + st.i32(19);
  m.next_attempt_at_ms = st.i64(11);
  m.claimed_by = st.text(12);
  m.lease_until_ms = st.i64(13);
  m.remote_id = st.text(14);
  m.last_error = st.text(15);
  m.record.created_at_ms = st.i64(16);
  m.record.updated_at_ms = st.i64(17);
  m.delivered_at_ms = st.i64(18);
  return m;
}

Result<ReadPool::Lease> ReadPool::acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Conn> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
  }
  QIAO_ASSIGN_OR_RETURN(auto conn,
                        Conn::open(options_.path, options_.busy_timeout_ms,
                                   options_.synchronous_full));
  return Lease(this, std::move(conn));
}

void ReadPool::release(std::unique_ptr<Conn> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdleReaders) idle_.push_back(std::move(conn));
}

namespace {
std::unique_ptr<Conn> attached(std::unique_ptr<Conn> writer, Checkpointer& cp) {
  cp.attach(*writer);
  return writer;
}
}  // namespace

SqliteStore::SqliteStore(SqliteOptions options, std::unique_ptr<Conn> write_conn,
                         std::unique_ptr<Conn> checkpoint_conn)
    : options_(options),
      reads_(options),
      checkpointer_(std::move(checkpoint_conn)),
      writer_(attached(std::move(write_conn), checkpointer_), options.max_batch,
              /*busy_retry_ms=*/2 * std::max(0, options.busy_timeout_ms) + 1000) {}

Status SqliteStore::migrate() {
  return writer_.runExclusive("migrate",
                              [](Conn& c) { return applyMigrations(c, wallNowMs()); });
}

int SqliteStore::schemaVersion() {
  auto conn = reads_.acquire();
  if (!conn.ok()) return 0;
  auto v = readSchemaVersion(**conn);
  return v.ok() ? *v : 0;
}

Result<std::optional<Message>> SqliteStore::getMessage(int64_t id) {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  static const std::string sql =
      std::string("SELECT ") + kMessageColumns + " FROM messages WHERE id = ?";
  Stmt st = conn->prepare(sql);
  st.bind(id);
  if (st.step()) return std::optional<Message>(readMessage(st));
  if (!st.ok()) return st.error("getMessage");
  return std::optional<Message>();
}

Result<std::vector<Message>> SqliteStore::listMessages(const MessageFilter& f) {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  // The status is a literal, not a parameter, so that a partial index applies; it is forced
  // because without statistics the planner would rather walk ids through the delivered rows
  // until it has found `limit` matches. Non-final rows are few: scanning and sorting them is
  // bounded by the queue, not by history.
  const char* from = " FROM messages WHERE id > ?";
  const char* status = "";
  if (f.status) {
    switch (*f.status) {
      case MessageStatus::kPending:
        from = " FROM messages INDEXED BY messages_active WHERE id > ?";
        status = " AND status IN ('pending', 'inflight') AND status = 'pending'";
        break;
      case MessageStatus::kInflight:
        from = " FROM messages INDEXED BY messages_active WHERE id > ?";
        status = " AND status IN ('pending', 'inflight') AND status = 'inflight'";
        break;
      case MessageStatus::kDead:
        from = " FROM messages INDEXED BY messages_dead WHERE id > ?";
        status = " AND status = 'dead'";
        break;
      case MessageStatus::kDelivered: status = " AND status = 'delivered'"; break;
      case MessageStatus::kAwaitingApproval: status = " AND status = 'awaiting_approval'"; break;
    }
  }
  // Ids first, whole rows (and payloads) after: a sort then handles ids, not payloads.
  std::string sql = std::string("SELECT ") + kMessageColumns +
                    " FROM messages WHERE id IN (SELECT id" + from + status;
  if (!f.route.empty()) sql += " AND route = ?";
  if (!f.business_key.empty()) sql += " AND business_key = ?";
  sql += " ORDER BY id LIMIT ?) ORDER BY id";
  Stmt st = conn->prepare(sql);  // at most 20 shapes, each cached
  st.bind(f.after_id);
  if (!f.route.empty()) st.bind(f.route);
  if (!f.business_key.empty()) st.bind(f.business_key);
  st.bind(clampLimit(f.limit));
  std::vector<Message> out;
  while (st.step()) out.push_back(readMessage(st));
  if (!st.ok()) return st.error("listMessages");
  return out;
}

Result<std::vector<Attempt>> SqliteStore::attempts(int64_t message_id) {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  Stmt st = conn->prepare(
      "SELECT message_id, attempt, status, error_class, error, latency_us, remote_id, worker, at"
      " FROM attempts WHERE message_id = ? ORDER BY id");
  st.bind(message_id);
  std::vector<Attempt> out;
  while (st.step()) {
    out.push_back(Attempt{st.i64(0), st.i32(1), st.text(2), st.text(3), st.text(4), st.i64(5),
                          st.text(6), st.text(7), st.i64(8)});
  }
  if (!st.ok()) return st.error("attempts");
  return out;
}

Result<std::vector<RouteDepth>> SqliteStore::queueDepths() {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  // One statement, so one snapshot. Each part is counted from a partial index (pending,
  // active = pending + inflight, dead); delivered rows are never visited.
  Stmt st = conn->prepare(
      "SELECT route, 0, COUNT(*) FROM messages WHERE status = 'pending' GROUP BY route"
      " UNION ALL SELECT route, 1, COUNT(*) FROM messages"
      " WHERE status IN ('pending', 'inflight') GROUP BY route"
      " UNION ALL SELECT route, 2, COUNT(*) FROM messages WHERE status = 'dead' GROUP BY route");
  std::vector<RouteDepth> out;
  while (st.step()) {
    std::string route = st.text(0);
    auto it = std::lower_bound(out.begin(), out.end(), route,
                               [](const RouteDepth& d, const std::string& r) { return d.route < r; });
    if (it == out.end() || it->route != route) it = out.insert(it, RouteDepth{route});
    int64_t n = st.i64(2);
    switch (st.i32(1)) {
      case 0: it->pending = n; break;
      case 1: it->inflight = n; break;  // still counts pending; subtracted below
      default: it->dead = n; break;
    }
  }
  if (!st.ok()) return st.error("queueDepths");
  for (RouteDepth& d : out) d.inflight -= d.pending;
  return out;
}

Result<std::optional<int64_t>> SqliteStore::nextDueMs(std::span<const std::string> routes) {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  std::optional<int64_t> best;
  for (const std::string& route : routes) {
    Stmt st = conn->prepare(
        "SELECT MIN(next_attempt_at) FROM messages WHERE status = 'pending' AND route = ?");
    st.bind(route);
    if (st.step() && !st.isNull(0)) {
      int64_t v = st.i64(0);
      if (!best || v < *best) best = v;
    }
    if (!st.ok()) return st.error("nextDueMs");
  }
  return best;
}

Result<std::vector<DeadLetter>> SqliteStore::listDeadLetters(const DeadLetterFilter& f) {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  std::string sql =
      std::string("SELECT ") + kDeadLetterColumns + " FROM dead_letters WHERE id > ?";
  if (!f.route.empty()) sql += " AND route = ?";
  if (!f.business_key.empty()) sql += " AND business_key = ?";
  if (!f.include_replayed) sql += " AND replayed_at = 0";
  sql += " ORDER BY id LIMIT ?";
  Stmt st = conn->prepare(sql);
  st.bind(f.after_id);
  if (!f.route.empty()) st.bind(f.route);
  if (!f.business_key.empty()) st.bind(f.business_key);
  st.bind(clampLimit(f.limit));
  std::vector<DeadLetter> out;
  while (st.step()) out.push_back(readDeadLetter(st));
  if (!st.ok()) return st.error("listDeadLetters");
  return out;
}

Result<std::optional<DeadLetter>> SqliteStore::getDeadLetter(int64_t id) {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  static const std::string sql =
      std::string("SELECT ") + kDeadLetterColumns + " FROM dead_letters WHERE id = ?";
  Stmt st = conn->prepare(sql);
  st.bind(id);
  if (st.step()) return std::optional<DeadLetter>(readDeadLetter(st));
  if (!st.ok()) return st.error("getDeadLetter");
  return std::optional<DeadLetter>();
}

Result<std::optional<XrefEntry>> SqliteStore::findXrefByLocal(const std::string& entity,
                                                              const std::string& system,
                                                              const std::string& local_id) {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  Stmt st = conn->prepare(
      "SELECT entity, system, local_id, remote_id, updated_at, remote_number FROM xref"
      " WHERE entity = ? AND system = ? AND local_id = ?");
  st.bind(entity).bind(system).bind(local_id);
  if (st.step()) return std::optional<XrefEntry>(readXref(st));
  if (!st.ok()) return st.error("findXrefByLocal");
  return std::optional<XrefEntry>();
}

Result<std::optional<XrefEntry>> SqliteStore::findXrefByRemote(const std::string& entity,
                                                               const std::string& system,
                                                               const std::string& remote_id) {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  // Several local ids may map to one remote id; the most recently written wins.
  Stmt st = conn->prepare(
      "SELECT entity, system, local_id, remote_id, updated_at, remote_number FROM xref"
      " WHERE entity = ?1 AND system = ?2 AND (remote_id = ?3 OR remote_number = ?3)"
      " ORDER BY updated_at DESC LIMIT 1");
  st.bind(entity).bind(system).bind(remote_id);
  if (st.step()) return std::optional<XrefEntry>(readXref(st));
  if (!st.ok()) return st.error("findXrefByRemote");
  return std::optional<XrefEntry>();
}

Result<std::optional<std::string>> SqliteStore::getWatermark(const std::string& name) {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  Stmt st = conn->prepare("SELECT value FROM watermarks WHERE name = ?");
  st.bind(name);
  if (st.step()) return std::optional<std::string>(st.text(0));
  if (!st.ok()) return st.error("getWatermark");
  return std::optional<std::string>();
}

Result<std::vector<AuditEntry>> SqliteStore::listAudit(int limit, int64_t after_id) {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  Stmt st = conn->prepare(
      "SELECT id, at, actor, action, object, detail FROM audit_log WHERE id > ?"
      " ORDER BY id LIMIT ?");
  st.bind(after_id).bind(clampLimit(limit));
  std::vector<AuditEntry> out;
  while (st.step()) {
    out.push_back(AuditEntry{st.i64(0), st.i64(1), st.text(2), st.text(3), st.text(4),
                             st.text(5)});
  }
  if (!st.ok()) return st.error("listAudit");
  return out;
}

Result<std::optional<ApiKey>> SqliteStore::findApiKeyByHash(const std::string& hash) {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  Stmt st = conn->prepare(
      "SELECT key_id, hash, role, name, created_at, revoked FROM api_keys WHERE hash = ?");
  st.bind(hash);
  if (st.step()) return std::optional<ApiKey>(readApiKey(st));
  if (!st.ok()) return st.error("findApiKeyByHash");
  return std::optional<ApiKey>();
}

Result<std::vector<ApiKey>> SqliteStore::listApiKeys() {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  Stmt st = conn->prepare(
      "SELECT key_id, hash, role, name, created_at, revoked FROM api_keys ORDER BY key_id");
  std::vector<ApiKey> out;
  while (st.step()) out.push_back(readApiKey(st));
  if (!st.ok()) return st.error("listApiKeys");
  return out;
}

}  // namespace sqlite

Result<std::unique_ptr<Store>> openSqliteStore(const SqliteOptions& options) {
  if (options.path.empty()) {
    return Error::permanent(ErrorCode::kInvalidArgument, "store: open: empty database path");
  }
  QIAO_ASSIGN_OR_RETURN(auto conn, sqlite::Conn::open(options.path, options.busy_timeout_ms,
                                                      options.synchronous_full));
  QIAO_ASSIGN_OR_RETURN(auto checkpoint_conn,
                        sqlite::Conn::open(options.path, options.busy_timeout_ms,
                                           options.synchronous_full));
  auto store = std::make_unique<sqlite::SqliteStore>(options, std::move(conn),
                                                     std::move(checkpoint_conn));
  QIAO_RETURN_IF_ERROR(store->migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace qiao::store
