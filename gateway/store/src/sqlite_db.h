// Small RAII wrappers over the sqlite3 C API: a connection with a cache of prepared
// statements, and a statement handle that binds positionally and resets itself on scope exit.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "qiao/core/error.h"
#include "qiao/core/result.h"

namespace qiao::store::sqlite {

// sqlite result code -> qiao Error naming the operation ("store: claim: database is locked").
Error makeError(std::string_view op, int rc, std::string_view detail);
inline bool isBusy(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

class Conn;

// A cached prepared statement in use. Binds with bind() in parameter order; step() returns
// true while there is a row. Errors (prepare, bind or step) are kept and reported by error().
class Stmt {
 public:
  Stmt(Conn* conn, sqlite3_stmt* stmt, int rc, std::string msg)
      : conn_(conn), stmt_(stmt), rc_(rc), msg_(std::move(msg)) {}
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int64_t v);
  Stmt& bind(int v) { return bind(static_cast<int64_t>(v)); }
  Stmt& bind(std::string_view v);
  Stmt& bind(const std::string& v) { return bind(std::string_view(v)); }
  Stmt& bind(const char* v) { return bind(std::string_view(v)); }
  // No copy: v must stay alive and unchanged until this Stmt is destroyed.
  Stmt& bindStatic(std::string_view v);

  bool step();  // true = a row is available
  // Runs to completion (for INSERT/UPDATE/DELETE without RETURNING).
  bool exec() {
    while (step()) {
    }
    return ok();
  }

  int64_t i64(int col) const { return sqlite3_column_int64(stmt_, col); }
  int i32(int col) const { return sqlite3_column_int(stmt_, col); }
  std::string text(int col) const;
  bool isNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

  bool ok() const { return rc_ == SQLITE_OK || rc_ == SQLITE_ROW || rc_ == SQLITE_DONE; }
  int rc() const { return rc_; }
  Error error(std::string_view op) const;

 private:
  Conn* conn_;
  sqlite3_stmt* stmt_;
  int rc_;
  std::string msg_;  // sqlite's message captured when the error happened
  int next_ = 1;
  bool done_ = false;
};

class Conn {
 public:
  // Opens (creating if needed) the file and applies the connection PRAGMAs.
  static Result<std::unique_ptr<Conn>> open(const std::string& path, int busy_timeout_ms,
                                            bool synchronous_full);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // A statement from the cache (prepared on first use). sql must outlive nothing: it is copied.
  Stmt prepare(std::string_view sql);
  // Runs one or more statements without results (BEGIN, COMMIT, migration scripts).
  Status execScript(std::string_view op, const std::string& sql);
  // One statement without results through the statement cache (BEGIN, SAVEPOINT, COMMIT on
  // the hot path: no parse per call).
  Status execCached(std::string_view op, std::string_view sql);
  int64_t changes() const { return sqlite3_changes64(db_); }
  sqlite3* raw() { return db_; }

  // Set when a statement hit SQLITE_BUSY/LOCKED; the writer retries the whole transaction.
  bool sawBusy() const { return saw_busy_; }
  void clearBusy() { saw_busy_ = false; }
  void noteRc(int rc) {
    if (isBusy(rc)) saw_busy_ = true;
  }

 private:
  explicit Conn(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  // Heterogeneous lookup: finding a cached statement allocates nothing.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
  bool saw_busy_ = false;
};

}  // namespace qiao::store::sqlite
