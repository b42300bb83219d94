// Schedule runs: the persisted last run of each cron job and the lease that makes one fire
// time run once, in one process, however many processes share the database.
#include "sqlite_store.h"

namespace qiao::store::sqlite {

Result<bool> SqliteStore::beginScheduleRun(const std::string& name, const std::string& worker,
                                           int64_t due_ms, int64_t now_ms,
                                           int64_t lease_until_ms) {
  bool taken = false;
  Status s = writer_.run("beginScheduleRun", [&](Conn& c) -> Status {
    taken = false;
    Stmt ins = c.prepare("INSERT INTO schedule_runs (name) VALUES (?) ON CONFLICT (name) DO NOTHING");
    ins.bind(name);
    if (!ins.exec()) return ins.error("beginScheduleRun");
    Stmt st = c.prepare(
        "UPDATE schedule_runs SET last_due_at = ?, last_started_at = ?, outcome = 'running',"
        " detail = '', records = 0, running_by = ?, lease_until = ?"
        " WHERE name = ? AND last_due_at < ? AND (running_by = '' OR lease_until < ?)"
        " RETURNING name");
    st.bind(due_ms).bind(now_ms).bind(worker).bind(lease_until_ms).bind(name).bind(due_ms)
        .bind(now_ms);
    if (st.step()) taken = true;
    if (!st.ok()) return st.error("beginScheduleRun");
    return Status::okStatus();
  });
  if (!s.ok()) return s.error();
  return taken;
}

Status SqliteStore::renewScheduleRun(const std::string& name, const std::string& worker,
                                     int64_t lease_until_ms) {
  return writer_.run("renewScheduleRun", [&](Conn& c) -> Status {
    Stmt st = c.prepare(
        "UPDATE schedule_runs SET lease_until = ? WHERE name = ? AND running_by = ?");
    st.bind(lease_until_ms).bind(name).bind(worker);
    if (!st.exec()) return st.error("renewScheduleRun");
    return Status::okStatus();
  });
}

Status SqliteStore::finishScheduleRun(const std::string& name, const std::string& worker,
                                      const std::string& outcome, const std::string& detail,
                                      int64_t records, int64_t now_ms) {
  return writer_.run("finishScheduleRun", [&](Conn& c) -> Status {
    Stmt st = c.prepare(
        "UPDATE schedule_runs SET last_finished_at = ?, outcome = ?, detail = ?, records = ?,"
        " running_by = '', lease_until = 0 WHERE name = ? AND running_by = ?");
    st.bind(now_ms).bind(outcome).bind(detail).bind(records).bind(name).bind(worker);
    if (!st.exec()) return st.error("finishScheduleRun");
    return Status::okStatus();
  });
}

Result<std::vector<ScheduleRun>> SqliteStore::listScheduleRuns() {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  Stmt st = conn->prepare(
      "SELECT name, last_due_at, last_started_at, last_finished_at, outcome, detail, records,"
      " running_by, lease_until FROM schedule_runs ORDER BY name");
  std::vector<ScheduleRun> out;
  while (st.step()) {
    ScheduleRun r;
    r.name = st.text(0);
    r.last_due_ms = st.i64(1);
    r.last_started_ms = st.i64(2);
    r.last_finished_ms = st.i64(3);
    r.outcome = st.text(4);
    r.detail = st.text(5);
    r.records = st.i64(6);
    r.running_by = st.text(7);
    r.lease_until_ms = st.i64(8);
    out.push_back(std::move(r));
  }
  if (!st.ok()) return st.error("listScheduleRuns");
  return out;
}

}  // namespace qiao::store::sqlite
