#include "qiao/store/sqlite_conn.h"

#include <sqlite3.h>

#include <optional>

namespace qiao::store {
namespace {

std::string sqlHead(std::string_view sql) {
  std::string s(sql.substr(0, 60));
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

// sqlite3_exec of a script; its error message, freed.
int execScript(sqlite3* db, const char* sql, std::string* msg) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (err != nullptr) *msg = err;
  sqlite3_free(err);
  return rc;
}

}  // namespace

SqliteQuery::SqliteQuery(SqliteConn* conn, sqlite3_stmt* stmt, std::string sql, int rc, std::string msg)
    : conn_(conn), stmt_(stmt), sql_(std::move(sql)), rc_(rc), msg_(std::move(msg)) {}

SqliteQuery::SqliteQuery(SqliteQuery&& o) noexcept
    : conn_(o.conn_), stmt_(o.stmt_), sql_(std::move(o.sql_)), rc_(o.rc_), msg_(std::move(o.msg_)),
      next_(o.next_), done_(o.done_) {
  o.stmt_ = nullptr;  // the moved-from query must not reset the statement
}

SqliteQuery::~SqliteQuery() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

SqliteQuery& SqliteQuery::bind(int64_t v) {
  if (rc_ != SQLITE_OK || stmt_ == nullptr) return *this;
  rc_ = sqlite3_bind_int64(stmt_, next_++, v);
  if (rc_ != SQLITE_OK) msg_ = sqlite3_errmsg(conn_->raw());
  return *this;
}

SqliteQuery& SqliteQuery::bind(std::string_view v) {
  if (rc_ != SQLITE_OK || stmt_ == nullptr) return *this;
  rc_ = sqlite3_bind_text64(stmt_, next_++, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc_ != SQLITE_OK) msg_ = sqlite3_errmsg(conn_->raw());
  return *this;
}

SqliteQuery& SqliteQuery::bindNull() {
  if (rc_ != SQLITE_OK || stmt_ == nullptr) return *this;
  rc_ = sqlite3_bind_null(stmt_, next_++);
  if (rc_ != SQLITE_OK) msg_ = sqlite3_errmsg(conn_->raw());
  return *this;
}

bool SqliteQuery::step() {
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
  rc_ = sqlite3_extended_errcode(conn_->raw());
  if (rc_ == SQLITE_OK) rc_ = rc;
  msg_ = sqlite3_errmsg(conn_->raw());
  return false;
}

Status SqliteQuery::run() {
  while (step()) {
  }
  return status();
}

bool SqliteQuery::isNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::string SqliteQuery::text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

int64_t SqliteQuery::i64(int col) const { return sqlite3_column_int64(stmt_, col); }

Status SqliteQuery::status() const {
  if (rc_ == SQLITE_OK || rc_ == SQLITE_ROW) return Status();
  return conn_->error(sqlHead(sql_), rc_, msg_);
}

Error SqliteConn::error(std::string_view what, int rc, std::string_view msg) const {
  std::string text = label_ + ": ";
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

Result<std::unique_ptr<SqliteConn>> SqliteConn::open(const std::string& path, int busy_timeout_ms,
                                                     bool synchronous_full, std::string label) {
  if (path.empty()) return Error::permanent(ErrorCode::kInvalidArgument, label + ": sqlite_path is empty");
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<SqliteConn> conn(new SqliteConn(raw, path, std::move(label)));
  if (rc != SQLITE_OK) {
    std::string msg = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return conn->error("open " + path, rc, msg);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  // WAL is a property of the file (the store sets it too); synchronous is per connection.
  std::string pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=";
  pragmas += synchronous_full ? "FULL;" : "NORMAL;";
  std::string msg;
  rc = execScript(raw, pragmas.c_str(), &msg);
  if (rc != SQLITE_OK) return conn->error("open " + path, rc, msg);
  return conn;
}

SqliteConn::~SqliteConn() {
  if (db_ != nullptr) rollback();
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status SqliteConn::ensureSchema(const char* ddl, std::string_view what, std::string_view meta_table,
                                std::string_view version_key, std::string_view version) {
  QIAO_RETURN_IF_ERROR(begin());
  std::string msg;
  int rc = execScript(db_, ddl, &msg);
  if (rc != SQLITE_OK) {
    rollback();
    return error(what, rc, msg);
  }
  const std::string meta(meta_table);
  std::optional<std::string> found;
  {
    SqliteQuery q = prepare("SELECT value FROM " + meta + " WHERE key = ?");
    q.bind(version_key);
    if (q.step()) found = q.text(0);
    if (Status s = q.status(); !s.ok()) {
      rollback();
      return s;
    }
  }
  if (found && *found != version) {
    rollback();
    return Error::permanent(ErrorCode::kStoreError,
                            label_ + ": " + path_ + ": " + meta + " " + std::string(version_key) + " " +
                                *found + " is not supported (this build reads " + std::string(version) + ")");
  }
  if (!found) {
    Status s = prepare("INSERT INTO " + meta + " (key, value) VALUES (?, ?)").bind(version_key).bind(version).run();
    if (!s.ok()) {
      rollback();
      return s;
    }
  }
  return commit();
}

SqliteQuery SqliteConn::prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it != cache_.end()) return SqliteQuery(this, it->second, std::move(key), SQLITE_OK, {});
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return SqliteQuery(this, nullptr, std::move(key), rc, std::move(msg));
  }
  cache_.emplace(key, stmt);
  return SqliteQuery(this, stmt, std::move(key), SQLITE_OK, {});
}

Status SqliteConn::begin() { return exec("BEGIN IMMEDIATE"); }
Status SqliteConn::commit() { return exec("COMMIT"); }

void SqliteConn::rollback() {
  if (sqlite3_get_autocommit(db_) == 0) (void)exec("ROLLBACK");
}

int64_t SqliteConn::lastInsertId() const { return sqlite3_last_insert_rowid(db_); }

}  // namespace qiao::store
