#include "sqlite_db.h"

#include <filesystem>
#include <system_error>

namespace qiao::store::sqlite {

Error makeError(std::string_view op, int rc, std::string_view detail) {
  std::string msg = "store: ";
  msg += op;
  msg += ": ";
  msg += detail.empty() ? std::string_view(sqlite3_errstr(rc)) : detail;
  int primary = rc & 0xff;
  if (isBusy(rc)) return Error::transient(ErrorCode::kStoreBusy, std::move(msg));
  // I/O and disk-full conditions may clear; constraint or schema errors will not.
  if (primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN) {
    return Error::transient(ErrorCode::kStoreError, std::move(msg));
  }
  return Error::permanent(ErrorCode::kStoreError, std::move(msg));
}

Stmt::~Stmt() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::bind(int64_t v) {
  if (!ok() || stmt_ == nullptr) return *this;
  int rc = sqlite3_bind_int64(stmt_, next_++, v);
  if (rc != SQLITE_OK) {
    rc_ = rc;
    msg_ = sqlite3_errmsg(conn_->raw());
  }
  return *this;
}

Stmt& Stmt::bind(std::string_view v) {
  if (!ok() || stmt_ == nullptr) return *this;
  // SQLITE_TRANSIENT: the caller's buffer may die before step().
  int rc = sqlite3_bind_text64(stmt_, next_++, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) {
    rc_ = rc;
    msg_ = sqlite3_errmsg(conn_->raw());
  }
  return *this;
}

Stmt& Stmt::bindStatic(std::string_view v) {
  if (!ok() || stmt_ == nullptr) return *this;
  int rc = sqlite3_bind_text64(stmt_, next_++, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) {
    rc_ = rc;
    msg_ = sqlite3_errmsg(conn_->raw());
  }
  return *this;
}

bool Stmt::step() {
  if (!ok() || stmt_ == nullptr || done_) return false;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    rc_ = rc;
    return true;
  }
  if (rc == SQLITE_DONE) {
    rc_ = rc;
    done_ = true;
    return false;
  }
  rc_ = sqlite3_extended_errcode(conn_->raw());
  if (rc_ == SQLITE_OK) rc_ = rc;
  msg_ = sqlite3_errmsg(conn_->raw());
  conn_->noteRc(rc_);
  return false;
}

std::string Stmt::text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

Error Stmt::error(std::string_view op) const { return makeError(op, rc_, msg_); }

Result<std::unique_ptr<Conn>> Conn::open(const std::string& path, int busy_timeout_ms,
                                         bool synchronous_full) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) {
      return Error::permanent(ErrorCode::kStoreError,
                              "store: open: cannot create directory " +
                                  p.parent_path().string() + ": " + ec.message());
    }
  }
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return makeError("open " + path, rc, msg);
  }
  sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<Conn> conn(new Conn(db));
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // journal_mode=WAL is persistent in the file; setting it on every connection is harmless
  // and covers the first opener. It needs a write lock briefly, so it can meet BUSY.
  std::string pragmas = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=";
  pragmas += synchronous_full ? "FULL;" : "NORMAL;";
  QIAO_RETURN_IF_ERROR(conn->execScript("open " + path, pragmas));
  return conn;
}

Conn::~Conn() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Stmt Conn::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Stmt(this, it->second, SQLITE_OK, {});
  std::string key(sql);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    noteRc(rc);
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return Stmt(this, nullptr, rc, std::move(msg));
  }
  cache_.emplace(std::move(key), stmt);
  return Stmt(this, stmt, SQLITE_OK, {});
}

Status Conn::execCached(std::string_view op, std::string_view sql) {
  Stmt st = prepare(sql);
  if (!st.exec()) return st.error(op);
  return Status::okStatus();
}

Status Conn::execScript(std::string_view op, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::okStatus();
  rc = sqlite3_extended_errcode(db_) != SQLITE_OK ? sqlite3_extended_errcode(db_) : rc;
  noteRc(rc);
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return makeError(op, rc, msg);
}

}  // namespace qiao::store::sqlite
