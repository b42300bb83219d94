// The approval gate's rows (docs/approvals.md): a held message, its submit message and its
// decision. Every state change of the held message happens here, fenced on its
// 'awaiting_approval' status, so a decision that arrives twice (a retried callback, a poll
// racing a callback, two gateway processes) is applied once.
#include <string>

#include "sqlite_store.h"

namespace qiao::store::sqlite {
namespace {

constexpr const char* kApprovalColumns =
    "message_id, route, rule, via_route, request_message_id, system, request_id, state,"
    " approver, comment, created_at, submitted_at, decided_at, timeout_at, escalations";

Approval readApproval(const Stmt& st) {
  Approval a;
  a.message_id = st.i64(0);
  a.route = st.text(1);
  a.rule = st.text(2);
  a.via_route = st.text(3);
  a.request_message_id = st.i64(4);
  a.system = st.text(5);
  a.request_id = st.text(6);
  a.state = st.text(7);
  a.approver = st.text(8);
  a.comment = st.text(9);
  a.created_at_ms = st.i64(10);
  a.submitted_at_ms = st.i64(11);
  a.decided_at_ms = st.i64(12);
  a.timeout_at_ms = st.i64(13);
  a.escalations = st.i32(14);
  return a;
}

std::string selectApproval(const char* where) {
  return std::string("SELECT ") + kApprovalColumns + " FROM approvals " + where;
}

// The submit message of a gate: the request record on the via route, same business key and
// trace. Its id goes into the approvals row.
Result<int64_t> insertRequest(Conn& c, const std::string& via_route, const Record& request,
                              int64_t now_ms) {
  NewMessage req{via_route, request, "", std::nullopt};
  IngestResult res;
  QIAO_RETURN_IF_ERROR(insertMessage(c, req, now_ms, &res));
  return res.id;
}

}  // namespace

Status journalStep(Conn& c, int64_t message_id, const std::string& status, const std::string& text,
                   const std::string& remote_id, int64_t now_ms) {
  Stmt st = c.prepare(
      "INSERT INTO attempts (message_id, attempt, status, error_class, error, latency_us,"
      " remote_id, worker, at) SELECT id, attempt, ?, '', ?, 0, ?, '', ? FROM messages"
      " WHERE id = ?");
  st.bind(status).bind(text).bind(remote_id).bind(now_ms).bind(message_id);
  if (!st.exec()) return st.error("approval journal");
  return Status::okStatus();
}

Status insertGate(Conn& c, int64_t message_id, const NewMessage& m, int64_t now_ms) {
  const ApprovalGate& g = *m.gate;
  QIAO_ASSIGN_OR_RETURN(int64_t request_id, insertRequest(c, g.via_route, g.request, now_ms));
  {
    Stmt st = c.prepare(
        "INSERT INTO approvals (message_id, route, rule, via_route, request_message_id, state,"
        " created_at, timeout_at) VALUES (?, ?, ?, ?, ?, 'waiting', ?, ?)");
    st.bind(message_id).bind(m.route).bind(g.rule).bind(g.via_route).bind(request_id)
        .bind(now_ms).bind(g.timeout_at_ms);
    if (!st.exec()) return st.error("ingest (approval)");
  }
  return journalStep(c, message_id, "awaiting_approval",
                     "held for approval (" + g.rule + "); submitting through route " + g.via_route,
                     "", now_ms);
}

Status applyApprovalCompletion(Conn& c, const Completion& d) {
  int64_t held = 0;
  {
    Stmt sel = c.prepare("SELECT message_id FROM approvals WHERE request_message_id = ?");
    sel.bind(d.message_id);
    if (sel.step()) held = sel.i64(0);
    if (!sel.ok()) return sel.error("complete (approval)");
  }
  if (held == 0) return Status::okStatus();  // replaced by an escalation, or not a gate's
  if (d.kind == Completion::Kind::kDead) {
    return journalStep(c, held, "approval_submit_failed",
                       "the approval request (message " + std::to_string(d.message_id) +
                           ") could not be submitted: " + d.error +
                           "; still waiting — replay that dead letter to submit again",
                       "", d.now_ms);
  }
  {
    Stmt up = c.prepare(
        "UPDATE approvals SET system = ?, request_id = ?, state = 'submitted', submitted_at = ?"
        " WHERE message_id = ? AND state IN ('waiting', 'submitted')");
    up.bind(d.approval_system).bind(d.remote_id).bind(d.now_ms).bind(held);
    if (!up.exec()) return up.error("complete (approval)");
    if (c.changes() == 0) return Status::okStatus();  // decided meanwhile
  }
  return journalStep(c, held, "approval_submitted",
                     "submitted to " + d.approval_system + " as " + d.remote_id, d.remote_id,
                     d.now_ms);
}

Result<std::optional<Approval>> SqliteStore::getApproval(int64_t message_id) {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  static const std::string sql = selectApproval("WHERE message_id = ?");
  Stmt st = conn->prepare(sql);
  st.bind(message_id);
  if (st.step()) return std::optional<Approval>(readApproval(st));
  if (!st.ok()) return st.error("getApproval");
  return std::optional<Approval>();
}

Result<std::optional<Approval>> SqliteStore::findApprovalByRequest(const std::string& system,
                                                                   const std::string& request_id) {
  if (request_id.empty()) return std::optional<Approval>();
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  // The newest submission of that id wins (ids are unique per system in practice).
  static const std::string sql = selectApproval(
      "WHERE request_id = ?1 AND (?2 = '' OR system = ?2) ORDER BY submitted_at DESC LIMIT 1");
  Stmt st = conn->prepare(sql);
  st.bind(request_id).bind(system);
  if (st.step()) return std::optional<Approval>(readApproval(st));
  if (!st.ok()) return st.error("findApprovalByRequest");
  return std::optional<Approval>();
}

Result<std::vector<Approval>> SqliteStore::listApprovals(const ApprovalFilter& f) {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  static const std::string sql = selectApproval(
      "WHERE message_id > ?1 AND (?2 = '' OR route = ?2)"
      " AND (?3 = '' OR state = ?3 OR (?3 = 'open' AND state IN ('waiting', 'submitted')))"
      " ORDER BY message_id LIMIT ?4");
  Stmt st = conn->prepare(sql);
  st.bind(f.after_message_id).bind(f.route).bind(f.state).bind(f.limit);
  std::vector<Approval> out;
  while (st.step()) out.push_back(readApproval(st));
  if (!st.ok()) return st.error("listApprovals");
  return out;
}

Result<std::vector<Approval>> SqliteStore::dueApprovals(int64_t now_ms, int limit) {
  QIAO_ASSIGN_OR_RETURN(auto conn, reads_.acquire());
  static const std::string sql = selectApproval(
      "WHERE state IN ('waiting', 'submitted') AND timeout_at > 0 AND timeout_at <= ?"
      " ORDER BY timeout_at LIMIT ?");
  Stmt st = conn->prepare(sql);
  st.bind(now_ms).bind(limit);
  std::vector<Approval> out;
  while (st.step()) out.push_back(readApproval(st));
  if (!st.ok()) return st.error("dueApprovals");
  return out;
}

Result<bool> SqliteStore::decideApproval(const ApprovalDecision& d) {
  const bool approved = d.state == "approved";
  bool applied = false;
  Status s = writer_.run("decideApproval", [&](Conn& c) -> Status {
    applied = false;
    {
      Stmt st = c.prepare(
          approved ? "UPDATE messages SET status = 'pending', next_attempt_at = ?1, updated_at = ?1"
                     " WHERE id = ?2 AND status = 'awaiting_approval'"
                   : "UPDATE messages SET status = 'dead', last_error = ?3, updated_at = ?1"
                     " WHERE id = ?2 AND status = 'awaiting_approval'");
      st.bind(d.now_ms).bind(d.message_id);
      if (!approved) st.bind(d.reason);
      if (!st.exec()) return st.error("decideApproval");
      if (c.changes() == 0) return Status::okStatus();  // decided before
    }
    applied = true;
    {
      Stmt st = c.prepare(
          "UPDATE approvals SET state = ?, approver = ?, comment = ?, decided_at = ?"
          " WHERE message_id = ?");
      st.bind(d.state).bind(d.approver).bind(d.comment).bind(d.now_ms).bind(d.message_id);
      if (!st.exec()) return st.error("decideApproval");
    }
    if (!approved) {
      Stmt st = c.prepare(
          "INSERT INTO dead_letters (message_id, route, business_key, reason, error_class,"
          " attempts, created_at) SELECT id, route, business_key, ?, 'approval', attempt, ?"
          " FROM messages WHERE id = ?");
      st.bind(d.reason).bind(d.now_ms).bind(d.message_id);
      if (!st.exec()) return st.error("decideApproval");
    }
    for (const NewMessage& m : d.follow_ups) {
      IngestResult ignored;
      QIAO_RETURN_IF_ERROR(insertMessage(c, m, d.now_ms, &ignored));
    }
    return journalStep(c, d.message_id, d.state, d.reason, "", d.now_ms);
  });
  if (!s.ok()) return s.error();
  return applied;
}

Result<bool> SqliteStore::escalateApproval(const ApprovalEscalation& e) {
  bool applied = false;
  Status s = writer_.run("escalateApproval", [&](Conn& c) -> Status {
    applied = false;
    {
      Stmt chk = c.prepare("SELECT 1 FROM messages WHERE id = ? AND status = 'awaiting_approval'");
      chk.bind(e.message_id);
      bool waiting = chk.step();
      if (!chk.ok()) return chk.error("escalateApproval");
      if (!waiting) return Status::okStatus();
    }
    {
      Stmt chk = c.prepare("SELECT 1 FROM approvals WHERE message_id = ? AND escalations = ?"
                           " AND state IN ('waiting', 'submitted')");
      chk.bind(e.message_id).bind(e.escalations);
      bool current = chk.step();
      if (!chk.ok()) return chk.error("escalateApproval");
      if (!current) return Status::okStatus();  // another process escalated (or it was decided)
    }
    IngestResult req;
    QIAO_RETURN_IF_ERROR(insertMessage(c, e.request, e.now_ms, &req));
    {
      Stmt st = c.prepare(
          "UPDATE approvals SET via_route = ?, request_message_id = ?, state = 'waiting',"
          " request_id = '', system = '', timeout_at = ?, escalations = escalations + 1"
          " WHERE message_id = ? AND escalations = ? AND state IN ('waiting', 'submitted')");
      st.bind(e.request.route).bind(req.id).bind(e.timeout_at_ms).bind(e.message_id).bind(e.escalations);
      if (!st.exec()) return st.error("escalateApproval");
      if (c.changes() == 0) return Status::okStatus();
    }
    applied = true;
    return journalStep(c, e.message_id, "approval_escalated",
                       "no decision in time; submitting again through route " + e.request.route,
                       "", e.now_ms);
  });
  if (!s.ok()) return s.error();
  return applied;
}

}  // namespace qiao::store::sqlite
