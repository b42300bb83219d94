// The sync_* tables and the connection behind qiao::sync::Service; see sqlite_sync_store.h.
#include "sqlite_sync_store.h"

#include <sqlite3.h>

#include <optional>

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

Error storeError(std::string_view what, int rc, std::string_view msg) {
  std::string text = "sync store: ";
  text += what;
  text += ": ";
  text += msg.empty() ? std::string_view(sqlite3_errstr(rc)) : msg;
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return Error::transient(ErrorCode::kStoreBusy, std::move(text));
  }
  if (primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN) {
    return Error::transient(ErrorCode::kStoreError, std::move(text));
  }
  return Error::permanent(ErrorCode::kStoreError, std::move(text));
}

std::string sqlHead(std::string_view sql) {
  std::string s(sql.substr(0, 60));
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

Query::Query(SyncDb* db, sqlite3_stmt* stmt, std::string sql, int rc, std::string msg)
    : db_(db), stmt_(stmt), sql_(std::move(sql)), rc_(rc), msg_(std::move(msg)) {}

Query::~Query() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Query& Query::bind(int64_t v) {
  if (rc_ != SQLITE_OK || stmt_ == nullptr) return *this;
  rc_ = sqlite3_bind_int64(stmt_, next_++, v);
  if (rc_ != SQLITE_OK) msg_ = sqlite3_errmsg(db_->raw());
  return *this;
}

Query& Query::bind(std::string_view v) {
  if (rc_ != SQLITE_OK || stmt_ == nullptr) return *this;
  rc_ = sqlite3_bind_text64(stmt_, next_++, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc_ != SQLITE_OK) msg_ = sqlite3_errmsg(db_->raw());
  return *this;
}

Query& Query::bindNull() {
  if (rc_ != SQLITE_OK || stmt_ == nullptr) return *this;
  rc_ = sqlite3_bind_null(stmt_, next_++);
  if (rc_ != SQLITE_OK) msg_ = sqlite3_errmsg(db_->raw());
  return *this;
}

bool Query::step() {
  if (stmt_ == nullptr || done_ || (rc_ != SQLITE_OK && rc_ != SQLITE_ROW)) return false;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    rc_ = SQLITE_ROW;
    return true;
  }
  done_ = true;
  if (rc == SQLITE_DONE) {
    rc_ = SQLITE_OK;
    return false;
  }
  rc_ = sqlite3_extended_errcode(db_->raw());
  if (rc_ == SQLITE_OK) rc_ = rc;
  msg_ = sqlite3_errmsg(db_->raw());
  return false;
}

Status Query::run() {
  while (step()) {
  }
  return status();
}

std::string Query::text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

int64_t Query::i64(int col) const { return sqlite3_column_int64(stmt_, col); }
bool Query::isNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Status Query::status() const {
  if (rc_ == SQLITE_OK || rc_ == SQLITE_ROW) return Status();
  return storeError(sqlHead(sql_), rc_, msg_);
}

Result<std::unique_ptr<SyncDb>> SyncDb::open(const std::string& path, int busy_timeout_ms,
                                             bool synchronous_full) {
  if (path.empty()) {
    return Error::permanent(ErrorCode::kInvalidArgument, "sync store: sqlite_path is empty");
  }
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close_v2(raw);
    return storeError("open " + path, rc, msg);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  std::unique_ptr<SyncDb> db(new SyncDb(raw, path));
  std::string pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=";
  pragmas += synchronous_full ? "FULL;" : "NORMAL;";
  char* err = nullptr;
  rc = sqlite3_exec(raw, pragmas.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "";
    sqlite3_free(err);
    return storeError("open " + path, rc, msg);
  }
  QIAO_RETURN_IF_ERROR(db->createSchema());
  return db;
}

SyncDb::~SyncDb() {
  rollback();
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status SyncDb::createSchema() {
  QIAO_RETURN_IF_ERROR(begin());
  char* err = nullptr;
  int rc = sqlite3_exec(db_, kSchema, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "";
    sqlite3_free(err);
    rollback();
    return storeError("create the sync tables", rc, msg);
  }
  std::optional<std::string> version;
  {
    Query q = prepare("SELECT value FROM sync_meta WHERE key = 'format_version'");
    if (q.step()) version = q.text(0);
    if (Status s = q.status(); !s.ok()) {
      rollback();
      return s;
    }
  }
  if (version && *version != kFormatVersion) {
    rollback();
    return Error::permanent(ErrorCode::kStoreError,
                            "sync store: " + path_ + ": sync_meta format_version " + *version +
                                " is not supported (this build reads " +
                                std::string(kFormatVersion) + ")");
  }
  if (!version) {
    Status s = prepare("INSERT INTO sync_meta (key, value) VALUES ('format_version', ?)")
                   .bind(kFormatVersion)
                   .run();
    if (!s.ok()) {
      rollback();
      return s;
    }
  }
  return commit();
}

Query SyncDb::prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it != cache_.end()) return Query(this, it->second, std::move(key), SQLITE_OK, {});
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return Query(this, nullptr, std::move(key), rc, std::move(msg));
  }
  cache_.emplace(key, stmt);
  return Query(this, stmt, std::move(key), SQLITE_OK, {});
}

Status SyncDb::begin() { return exec("BEGIN IMMEDIATE"); }
Status SyncDb::commit() { return exec("COMMIT"); }

void SyncDb::rollback() {
  if (sqlite3_get_autocommit(db_) == 0) (void)exec("ROLLBACK");
}

int64_t SyncDb::lastInsertId() const { return sqlite3_last_insert_rowid(db_); }

}  // namespace qiao::sync::detail
