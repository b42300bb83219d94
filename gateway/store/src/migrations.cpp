#include "migrations.h"

#include <chrono>
#include <string>
#include <thread>

namespace qiao::store::sqlite {
namespace {

// Timestamps are BIGINT milliseconds since the epoch, UTC. Empty string, not NULL, means
// "none" for text columns, and 0 for timestamps: simpler binding, same in both databases.
// Partial indexes cover only non-final rows, so claiming stays fast however many delivered
// rows accumulate.
//
// Write cost per message is what limits throughput (every page a commit touches is a WAL
// frame): the payload lives in its own table, written once, so the status updates of claim
// and complete rewrite small rows, many to a page; and each status change touches as few
// index entries as possible (delivered rows leave every index but business_key's).
constexpr const char* kV1 = R"sql(
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  route TEXT NOT NULL,
  entity TEXT NOT NULL DEFAULT '',
  source_system TEXT NOT NULL DEFAULT '',
  business_key TEXT NOT NULL DEFAULT '',
  idempotency_key TEXT NOT NULL DEFAULT '',
  trace_id TEXT NOT NULL DEFAULT '',
  order_key TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL DEFAULT 0,
  claimed_by TEXT NOT NULL DEFAULT '',
  lease_until BIGINT NOT NULL DEFAULT 0,
  remote_id TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  delivered_at BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX messages_idempotency ON messages (route, idempotency_key)
  WHERE idempotency_key <> '';
CREATE INDEX messages_pending ON messages (route, next_attempt_at)
  WHERE status = 'pending';
CREATE INDEX messages_active ON messages (route, id)
  WHERE status IN ('pending', 'inflight');
CREATE INDEX messages_order ON messages (route, order_key, id)
  WHERE status IN ('pending', 'inflight') AND order_key <> '';
CREATE INDEX messages_business_key ON messages (route, business_key);
CREATE INDEX messages_claimed_by ON messages (claimed_by)
  WHERE status = 'inflight';
CREATE INDEX messages_dead ON messages (route)
  WHERE status = 'dead';

CREATE TABLE message_payloads (
  message_id INTEGER PRIMARY KEY REFERENCES messages (id),
  payload TEXT NOT NULL
);

CREATE TABLE attempts (
  id INTEGER PRIMARY KEY,
  message_id BIGINT NOT NULL REFERENCES messages (id),
  attempt INTEGER NOT NULL,
  status TEXT NOT NULL,
  error_class TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  latency_us BIGINT NOT NULL DEFAULT 0,
  remote_id TEXT NOT NULL DEFAULT '',
  worker TEXT NOT NULL DEFAULT '',
  at BIGINT NOT NULL
);
CREATE INDEX attempts_message ON attempts (message_id, id);

CREATE TABLE dead_letters (
  id INTEGER PRIMARY KEY,
  message_id BIGINT NOT NULL REFERENCES messages (id),
  route TEXT NOT NULL,
  business_key TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  error_class TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  replayed_at BIGINT NOT NULL DEFAULT 0,
  replayed_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dead_letters_route ON dead_letters (route, id);
CREATE INDEX dead_letters_business_key ON dead_letters (business_key, id);
CREATE INDEX dead_letters_message ON dead_letters (message_id);

CREATE TABLE xref (
  entity TEXT NOT NULL,
  system TEXT NOT NULL,
  local_id TEXT NOT NULL,
  remote_id TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (entity, system, local_id)
);
CREATE INDEX xref_remote ON xref (entity, system, remote_id);

CREATE TABLE watermarks (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  object TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);

CREATE TABLE api_keys (
  key_id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
)sql";

// K/3 and most ERPs give a record two identities: an internal id (FID, what updates need)
// and a number people and reference fields use (FBillNo, FNumber).
constexpr const char* kV2 = R"sql(
ALTER TABLE xref ADD COLUMN remote_number TEXT NOT NULL DEFAULT '';
CREATE INDEX xref_remote_number ON xref (entity, system, remote_number) WHERE remote_number <> '';
)sql";

// Attempts made before a replay: Record::attempt keeps counting across replays.
constexpr const char* kV3 = R"sql(
ALTER TABLE messages ADD COLUMN prior_attempts INTEGER NOT NULL DEFAULT 0;
)sql";

// Schedules (cron jobs): last run, outcome, and a lease so that one fire runs in one process.
constexpr const char* kV4 = R"sql(
CREATE TABLE schedule_runs (
  name TEXT PRIMARY KEY,
  last_due_at BIGINT NOT NULL DEFAULT 0,
  last_started_at BIGINT NOT NULL DEFAULT 0,
  last_finished_at BIGINT NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  records BIGINT NOT NULL DEFAULT 0,
  running_by TEXT NOT NULL DEFAULT '',
  lease_until BIGINT NOT NULL DEFAULT 0
);
)sql";

// The routes' approval gate: one row per held message (docs/approvals.md).
constexpr const char* kV5 = R"sql(
CREATE TABLE approvals (
  message_id INTEGER PRIMARY KEY,
  route TEXT NOT NULL,
  rule TEXT NOT NULL DEFAULT '',
  via_route TEXT NOT NULL,
  request_message_id INTEGER NOT NULL,
  system TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  approver TEXT NOT NULL DEFAULT '',
  comment TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  submitted_at BIGINT NOT NULL DEFAULT 0,
  decided_at BIGINT NOT NULL DEFAULT 0,
  timeout_at BIGINT NOT NULL DEFAULT 0,
  escalations INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX approvals_request ON approvals (request_id) WHERE request_id <> '';
CREATE INDEX approvals_request_message ON approvals (request_message_id);
CREATE INDEX approvals_deadline ON approvals (timeout_at)
  WHERE state IN ('waiting', 'submitted') AND timeout_at > 0;
)sql";

constexpr Migration kMigrations[] = {
    {1, "initial schema", kV1},
    {2, "xref remote_number", kV2},
    {3, "messages prior_attempts", kV3},
    {4, "schedule runs", kV4},
    {5, "approvals", kV5},
};

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)";

// BEGIN IMMEDIATE with a bounded retry: another process may hold the write lock for longer
// than busy_timeout while it migrates.
Status beginImmediate(Conn& conn, std::string_view op) {
  for (int i = 0;; ++i) {
    Status s = conn.execScript(op, "BEGIN IMMEDIATE");
    if (s.ok() || s.error().code != ErrorCode::kStoreBusy || i >= 20) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(5 * (i + 1)));
  }
}

Result<bool> isApplied(Conn& conn, int version) {
  Stmt st = conn.prepare("SELECT 1 FROM schema_migrations WHERE version = ?");
  st.bind(version);
  bool found = st.step();
  if (!st.ok()) return st.error("migrate");
  return found;
}

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

Status applyMigrations(Conn& conn, int64_t now_ms) {
  QIAO_RETURN_IF_ERROR(conn.execScript("migrate", kCreateMigrationsTable));
  for (const Migration& m : kMigrations) {
    auto applied = isApplied(conn, m.version);  // cheap pre-check outside a write lock
    if (!applied.ok()) return applied.takeError();
    if (*applied) continue;
    std::string op = "migrate v" + std::to_string(m.version) + " (" + m.name + ")";
    QIAO_RETURN_IF_ERROR(beginImmediate(conn, op));
    auto again = isApplied(conn, m.version);  // another process may have just done it
    Status s = again.ok() ? Status::okStatus() : Status(again.takeError());
    if (s.ok() && !*again) {
      s = conn.execScript(op, m.sql);
      if (s.ok()) {
        Stmt ins = conn.prepare(
            "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?, ?)");
        ins.bind(m.version).bind(now_ms);
        if (!ins.exec()) s = ins.error(op);
      }
    }
    if (s.ok()) s = conn.execScript(op, "COMMIT");
    if (!s.ok()) {
      (void)conn.execScript(op, "ROLLBACK");
      return s;
    }
  }
  return Status::okStatus();
}

Result<int> readSchemaVersion(Conn& conn) {
  Stmt st = conn.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!st.step()) return st.ok() ? Result<int>(0) : Result<int>(st.error("schemaVersion"));
  return st.i32(0);
}

}  // namespace qiao::store::sqlite
