// Versioned schema migrations: an ordered list of SQL scripts, each applied once in its own
// transaction and recorded in schema_migrations. The SQL stays close to ISO SQL so that the
// PostgreSQL implementation can share it (only INTEGER PRIMARY KEY needs a PG variant).
#pragma once

#include <span>

#include "qiao/core/result.h"
#include "sqlite_db.h"

namespace qiao::store::sqlite {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

std::span<const Migration> migrations();

// Applies every missing migration. Safe when several processes open the same file at once:
// each step re-checks the applied versions under BEGIN IMMEDIATE.
Status applyMigrations(Conn& conn, int64_t now_ms);
Result<int> readSchemaVersion(Conn& conn);

}  // namespace qiao::store::sqlite
