// The sync_* tables and the connection behind qiao::sync::Service; see sqlite_sync_store.h.
#include "sqlite_sync_store.h"

namespace qiao::sync::detail {
namespace {

// Only sync_* names: the gateway's store and reconciliation share the file.
// Hashes are 16 hex digits (uint64 does not fit an SQLite integer unsigned).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sync_links (
  link_id TEXT PRIMARY KEY, base_known INTEGER NOT NULL, base_json TEXT NOT NULL,
  updated_at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sync_link_sides (
  link_id TEXT NOT NULL, side TEXT NOT NULL, side_id TEXT NOT NULL, hash TEXT NOT NULL,
  forbidden INTEGER NOT NULL, deleted INTEGER NOT NULL, PRIMARY KEY (link_id, side));
CREATE INDEX IF NOT EXISTS sync_link_sides_id ON sync_link_sides(side, side_id);
CREATE TABLE IF NOT EXISTS sync_writes (
  seq INTEGER PRIMARY KEY, write_id TEXT NOT NULL UNIQUE, side TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('create','update','delete','forbid','enable','flag')),
  target_id TEXT NOT NULL, link_id TEXT NOT NULL, record_json TEXT NOT NULL,
  changed_fields TEXT NOT NULL, fields_json TEXT NOT NULL, prior_json TEXT NOT NULL,
  idempotency_key TEXT NOT NULL, reason TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','deferred','failed','confirmed','superseded')),
  fail_reason TEXT NOT NULL DEFAULT '', new_target_id TEXT NOT NULL DEFAULT '',
  created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sync_writes_status ON sync_writes(status, seq);
CREATE TABLE IF NOT EXISTS sync_conflicts (
  id INTEGER PRIMARY KEY, link_id TEXT NOT NULL, field TEXT NOT NULL,
  rule TEXT NOT NULL CHECK (rule IN ('newest-wins','ownership')), detail TEXT NOT NULL,
  values_json TEXT NOT NULL, winner_side TEXT NOT NULL, winner_value TEXT NOT NULL,
  at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sync_review (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('first_sync','change')),
  review_key TEXT NOT NULL, reason TEXT NOT NULL, members_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open','resolved')), created_at_ms INTEGER NOT NULL,
  resolved_by TEXT NOT NULL DEFAULT '', resolved_at_ms INTEGER NOT NULL DEFAULT 0,
  decision_json TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS sync_review_key ON sync_review(review_key, status);
CREATE TABLE IF NOT EXISTS sync_held (
  side TEXT NOT NULL, side_id TEXT NOT NULL, review_id INTEGER NOT NULL, reason TEXT NOT NULL,
  PRIMARY KEY (side, side_id));
)sql";

}  // namespace

Result<std::unique_ptr<SyncDb>> SyncDb::open(const std::string& path, int busy_timeout_ms,
                                             bool synchronous_full) {
  QIAO_ASSIGN_OR_RETURN(auto conn, store::SqliteConn::open(path, busy_timeout_ms, synchronous_full,
                                                           "sync store"));
  QIAO_RETURN_IF_ERROR(conn->ensureSchema(kSchema, "create the sync tables", "sync_meta",
                                          "format_version", kFormatVersion));
  return std::unique_ptr<SyncDb>(new SyncDb(std::move(conn)));
}

}  // namespace qiao::sync::detail
