// Write operations. Each runs on the writer thread inside the group transaction and its own
// SAVEPOINT; a function may be re-run from the start when the batch is retried.
#include <algorithm>
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "qiao/core/log.h"
#include "sqlite_store.h"

namespace qiao::store::sqlite {
namespace {

int64_t wallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Due messages of one route, oldest first. A message with an order key waits while an older
// message with the same key is still pending or inflight; since that older one is a candidate
// itself (or is held), only the oldest message per key is ever claimable.
constexpr const char* kCandidatesSql =
    "SELECT m.id FROM messages m"
    " WHERE m.route = ?1 AND m.status IN ('pending', 'inflight')"
    " AND ((m.status = 'pending' AND m.next_attempt_at <= ?2)"
    "   OR (m.status = 'inflight' AND m.lease_until < ?2))"
    " AND (m.order_key = '' OR NOT EXISTS ("
    "   SELECT 1 FROM messages o WHERE o.route = ?1 AND o.order_key = m.order_key"
    "   AND o.order_key <> '' AND o.status IN ('pending', 'inflight') AND o.id < m.id))"
    " ORDER BY m.id LIMIT ?3";

const std::string& claimSql() {
  static const std::string sql =
      std::string("UPDATE messages SET status = 'inflight', claimed_by = ?, lease_until = ?,"
                  " attempt = attempt + 1, updated_at = ? WHERE id = ? RETURNING ") +
      kMessageColumns;
  return sql;
}

Status upsertXref(Conn& c, const XrefEntry& e) {
  Stmt st = c.prepare(
      "INSERT INTO xref (entity, system, local_id, remote_id, remote_number, updated_at)"
      " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (entity, system, local_id)"
      " DO UPDATE SET remote_id = excluded.remote_id, remote_number = excluded.remote_number,"
      " updated_at = excluded.updated_at");
  st.bind(e.entity).bind(e.system).bind(e.local_id).bind(e.remote_id).bind(e.remote_number)
      .bind(e.updated_at_ms);
  if (!st.exec()) return st.error("putXref");
  return Status::okStatus();
}

}  // namespace

Status insertMessage(Conn& c, const NewMessage& m, int64_t now_ms, IngestResult* res) {
  const Record& r = m.record;
  {
    Stmt ins = c.prepare(
        "INSERT INTO messages (route, entity, source_system, business_key, idempotency_key,"
        " trace_id, order_key, status, attempt, next_attempt_at, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)"
        " ON CONFLICT (route, idempotency_key) WHERE idempotency_key <> '' DO NOTHING"
        " RETURNING id");
    ins.bind(m.route).bind(r.entity).bind(r.source_system).bind(r.business_key)
        .bind(r.idempotency_key).bind(r.trace_id).bind(m.order_key)
        .bind(m.gate ? "awaiting_approval" : "pending").bind(now_ms).bind(now_ms).bind(now_ms);
    if (ins.step()) {
      res->id = ins.i64(0);
    } else if (!ins.ok()) {
      return ins.error("ingest");
    }
  }
  if (res->id != 0) {
    {
      Stmt pay = c.prepare("INSERT INTO message_payloads (message_id, payload) VALUES (?, ?)");
      pay.bind(res->id).bindStatic(r.payload);  // r outlives the statement
      if (!pay.exec()) return pay.error("ingest");
    }  // released before insertGate prepares the same statements again
    if (m.gate) return insertGate(c, res->id, m, now_ms);
    return Status::okStatus();
  }
  // The idempotency key is known (possibly from this same batch).
  Stmt sel = c.prepare(
      "SELECT id FROM messages WHERE route = ? AND idempotency_key = ?"
      " AND idempotency_key <> ''");
  sel.bind(m.route).bind(r.idempotency_key);
  if (!sel.step()) {
    return sel.ok() ? Error::permanent(ErrorCode::kStoreError,
                                       "store: ingest: conflicting row vanished")
                    : sel.error("ingest");
  }
  res->id = sel.i64(0);
  res->duplicate = true;
  return Status::okStatus();
}

namespace {

Status journal(Conn& c, const Completion& done, const char* status) {
  Stmt st = c.prepare(
      "INSERT INTO attempts (message_id, attempt, status, error_class, error, latency_us,"
      " remote_id, worker, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(done.message_id).bind(done.attempt).bind(status).bind(done.error_class)
      .bind(done.error).bind(done.latency_us).bind(done.remote_id).bind(done.worker)
      .bind(done.now_ms);
  if (!st.exec()) return st.error("complete");
  return Status::okStatus();
}

// Applies one completion; *applied = false when the fence rejected it (stale attempt).
Status applyCompletion(Conn& c, const Completion& d, bool* applied) {
  using Kind = Completion::Kind;
  *applied = false;
  constexpr const char* kFence = " WHERE id = ? AND attempt = ? AND status = 'inflight'";
  std::string sql;
  switch (d.kind) {
    case Kind::kDelivered: {
      static const std::string s = std::string(
          "UPDATE messages SET status = 'delivered', remote_id = ?, delivered_at = ?,"
          " updated_at = ?, claimed_by = '', lease_until = 0, last_error = ''") + kFence;
      Stmt st = c.prepare(s);
      st.bind(d.remote_id).bind(d.now_ms).bind(d.now_ms).bind(d.message_id).bind(d.attempt);
      if (!st.exec()) return st.error("complete");
      break;
    }
    case Kind::kRetry: {
      static const std::string s = std::string(
          "UPDATE messages SET status = 'pending', next_attempt_at = ?, last_error = ?,"
          " updated_at = ?, claimed_by = '', lease_until = 0") + kFence;
      Stmt st = c.prepare(s);
      st.bind(d.next_attempt_at_ms).bind(d.error).bind(d.now_ms).bind(d.message_id)
          .bind(d.attempt);
      if (!st.exec()) return st.error("complete");
      break;
    }
    case Kind::kDead: {
      static const std::string s = std::string(
          "UPDATE messages SET status = 'dead', last_error = ?, updated_at = ?,"
          " claimed_by = '', lease_until = 0") + kFence;
      Stmt st = c.prepare(s);
      st.bind(d.error).bind(d.now_ms).bind(d.message_id).bind(d.attempt);
      if (!st.exec()) return st.error("complete");
      break;
    }
    case Kind::kRelease: {
      // Claimed but never started: give the attempt back and make it due at once.
      static const std::string s = std::string(
          "UPDATE messages SET status = 'pending', attempt = attempt - 1, next_attempt_at = ?,"
          " updated_at = ?, claimed_by = '', lease_until = 0") + kFence;
      Stmt st = c.prepare(s);
      st.bind(d.now_ms).bind(d.now_ms).bind(d.message_id).bind(d.attempt);
      if (!st.exec()) return st.error("complete");
      break;
    }
  }
  if (c.changes() == 0) return Status::okStatus();
  *applied = true;
  switch (d.kind) {
    case Kind::kDelivered: {
      for (const XrefEntry& x : d.xrefs) QIAO_RETURN_IF_ERROR(upsertXref(c, x));
      for (const NewMessage& m : d.follow_ups) {
        IngestResult ignored;
        QIAO_RETURN_IF_ERROR(insertMessage(c, m, d.now_ms, &ignored));
      }
      if (d.approval_request) QIAO_RETURN_IF_ERROR(applyApprovalCompletion(c, d));
      return journal(c, d, "delivered");
    }
    case Kind::kRetry: return journal(c, d, "failed");
    case Kind::kRelease: return Status::okStatus();
    case Kind::kDead: {
      Stmt st = c.prepare(
          "INSERT INTO dead_letters (message_id, route, business_key, reason, error_class,"
          " attempts, created_at) SELECT id, route, business_key, ?, ?, attempt, ?"
          " FROM messages WHERE id = ?");
      st.bind(d.error).bind(d.error_class).bind(d.now_ms).bind(d.message_id);
      if (!st.exec()) return st.error("complete");
      if (d.approval_request) QIAO_RETURN_IF_ERROR(applyApprovalCompletion(c, d));
      return journal(c, d, "dead");
    }
  }
  return Status::okStatus();
}

}  // namespace

Result<std::vector<IngestResult>> SqliteStore::ingest(std::span<const NewMessage> messages,
                                                      int64_t now_ms) {
  for (const NewMessage& m : messages) {
    if (m.route.empty()) {
      return Error::permanent(ErrorCode::kInvalidArgument, "store: ingest: empty route");
    }
  }
  std::vector<IngestResult> out;
  if (messages.empty()) return out;
  Status s = writer_.run("ingest", [&](Conn& c) -> Status {
    out.clear();
    out.reserve(messages.size());
    for (const NewMessage& m : messages) {
      IngestResult res;
      QIAO_RETURN_IF_ERROR(insertMessage(c, m, now_ms, &res));
      out.push_back(res);
    }
    return Status::okStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Message>> SqliteStore::claim(const ClaimRequest& req) {
  std::vector<Message> out;
  if (req.limit <= 0 || req.routes.empty()) return out;
  std::vector<std::string> routes = req.routes;
  std::sort(routes.begin(), routes.end());
  routes.erase(std::unique(routes.begin(), routes.end()), routes.end());
  Status s = writer_.run("claim", [&](Conn& c) -> Status {
    out.clear();
    std::vector<int64_t> ids;
    for (const std::string& route : routes) {
      Stmt st = c.prepare(kCandidatesSql);
      st.bind(route).bind(req.now_ms).bind(req.limit);
      while (st.step()) ids.push_back(st.i64(0));
      if (!st.ok()) return st.error("claim");
    }
    std::sort(ids.begin(), ids.end());
    if (static_cast<int>(ids.size()) > req.limit) ids.resize(static_cast<size_t>(req.limit));
    out.reserve(ids.size());
    for (int64_t id : ids) {
      Stmt st = c.prepare(claimSql());
      st.bind(req.worker_id).bind(req.now_ms + req.lease_ms).bind(req.now_ms).bind(id);
      if (st.step()) out.push_back(readMessage(st));
      if (!st.ok()) return st.error("claim");
    }
    return Status::okStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Status SqliteStore::complete(std::span<const Completion> completions) {
  if (completions.empty()) return Status::okStatus();
  int64_t stale = 0;
  Status s = writer_.run("complete", [&](Conn& c) -> Status {
    stale = 0;
    for (const Completion& d : completions) {
      bool applied = false;
      QIAO_RETURN_IF_ERROR(applyCompletion(c, d, &applied));
      if (!applied) ++stale;
    }
    return Status::okStatus();
  });
  if (s.ok() && stale > 0) {
    stale_completions_.fetch_add(stale);
    log::debug("store.stale_completion", {{"count", static_cast<long>(stale)}});
  }
  return s;
}

Status SqliteStore::renewLeases(const std::string& worker_id, std::span<const int64_t> ids,
                                int64_t lease_until_ms) {
  if (ids.empty()) return Status::okStatus();
  return writer_.run("renewLeases", [&](Conn& c) -> Status {
    for (int64_t id : ids) {
      Stmt st = c.prepare(
          "UPDATE messages SET lease_until = ? WHERE id = ? AND claimed_by = ?"
          " AND status = 'inflight'");
      st.bind(lease_until_ms).bind(id).bind(worker_id);
      if (!st.exec()) return st.error("renewLeases");
    }
    return Status::okStatus();
  });
}

Status SqliteStore::releaseWorker(const std::string& worker_id) {
  int64_t now = wallNowMs();
  return writer_.run("releaseWorker", [&](Conn& c) -> Status {
    // The attempt is kept: some of these deliveries may still be running (stuck past the
    // drain timeout) and their late completions must stay fenced off, so the next claim has
    // to get a new attempt number. (Unstarted work is returned with kRelease instead.)
    // next_attempt_at is left as it was: it was due when claimed, so it is due now.
    Stmt st = c.prepare(
        "UPDATE messages SET status = 'pending', claimed_by = '', lease_until = 0,"
        " updated_at = ? WHERE claimed_by = ? AND status = 'inflight'");
    st.bind(now).bind(worker_id);
    if (!st.exec()) return st.error("releaseWorker");
    return Status::okStatus();
  });
}

Result<int64_t> SqliteStore::replay(const ReplayRequest& req) {
  if (req.corrected_payload && !nlohmann::json::accept(*req.corrected_payload)) {
    return Error::permanent(ErrorCode::kMalformedJson,
                            "store: replay: corrected payload is not valid JSON");
  }
  int64_t message_id = 0;
  Status s = writer_.run("replay", [&](Conn& c) -> Status {
    const std::string dl = std::to_string(req.dead_letter_id);
    {
      Stmt st = c.prepare(
          "SELECT message_id, replayed_at, replayed_by FROM dead_letters WHERE id = ?");
      st.bind(req.dead_letter_id);
      if (!st.step()) {
        if (!st.ok()) return st.error("replay");
        return Error::permanent(ErrorCode::kNotFound,
                                "store: replay: dead letter " + dl + " not found");
      }
      if (st.i64(1) != 0) {
        return Error::permanent(ErrorCode::kAlreadyExists,
                                "store: replay: dead letter " + dl + " was already replayed at " +
                                    std::to_string(st.i64(1)) + " ms by " + st.text(2));
      }
      message_id = st.i64(0);
    }
    {
      Stmt st = c.prepare(
          "UPDATE messages SET status = 'pending', prior_attempts = prior_attempts + attempt,"
          " attempt = 0, next_attempt_at = ?,"
          " updated_at = ?, claimed_by = '', lease_until = 0 WHERE id = ?");
      st.bind(req.now_ms).bind(req.now_ms).bind(message_id);
      if (!st.exec()) return st.error("replay");
    }
    std::string previous_payload;
    if (req.corrected_payload) {
      Stmt prev = c.prepare("SELECT payload FROM message_payloads WHERE message_id = ?");
      prev.bind(message_id);
      if (prev.step()) previous_payload = prev.text(0);
      if (!prev.ok()) return prev.error("replay");
      Stmt st = c.prepare("UPDATE message_payloads SET payload = ? WHERE message_id = ?");
      st.bind(*req.corrected_payload).bind(message_id);
      if (!st.exec()) return st.error("replay");
    }
    {
      Stmt st = c.prepare(
          "UPDATE dead_letters SET replayed_at = ?, replayed_by = ? WHERE id = ?");
      st.bind(req.now_ms).bind(req.actor).bind(req.dead_letter_id);
      if (!st.exec()) return st.error("replay");
    }
    std::string detail = "{\"message_id\":" + std::to_string(message_id) +
                         ",\"payload_changed\":" +
                         (req.corrected_payload ? "true" : "false") + ",\"reason\":";
    log::appendJsonString(detail, req.reason);
    // What the correction replaced, so the audit log shows the change itself.
    if (req.corrected_payload) {
      detail += ",\"previous_payload\":";
      if (nlohmann::json::accept(previous_payload)) detail += previous_payload;
      else log::appendJsonString(detail, previous_payload);
    }
    detail += "}";
    Stmt st = c.prepare(
        "INSERT INTO audit_log (at, actor, action, object, detail) VALUES (?, ?, ?, ?, ?)");
    st.bind(req.now_ms).bind(req.actor).bind("dlq.replay").bind("dead_letter:" + dl)
        .bind(detail);
    if (!st.exec()) return st.error("replay");
    return Status::okStatus();
  });
  if (!s.ok()) return s.error();
  return message_id;
}

Status SqliteStore::putXref(const XrefEntry& e) {
  return writer_.run("putXref", [&](Conn& c) -> Status { return upsertXref(c, e); });
}

Status SqliteStore::setWatermark(const std::string& name, const std::string& value,
                                 int64_t now_ms) {
  return writer_.run("setWatermark", [&](Conn& c) -> Status {
    Stmt st = c.prepare(
        "INSERT INTO watermarks (name, value, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
        " updated_at = excluded.updated_at");
    st.bind(name).bind(value).bind(now_ms);
    if (!st.exec()) return st.error("setWatermark");
    return Status::okStatus();
  });
}

Status SqliteStore::appendAudit(const AuditEntry& e) {
  return writer_.run("appendAudit", [&](Conn& c) -> Status {
    Stmt st = c.prepare(
        "INSERT INTO audit_log (at, actor, action, object, detail) VALUES (?, ?, ?, ?, ?)");
    st.bind(e.at_ms).bind(e.actor).bind(e.action).bind(e.object).bind(e.detail);
    if (!st.exec()) return st.error("appendAudit");
    return Status::okStatus();
  });
}

Status SqliteStore::putApiKey(const ApiKey& k) {
  return writer_.run("putApiKey", [&](Conn& c) -> Status {
    // The key id is stable; role, name and revocation may change. created_at is kept.
    Stmt st = c.prepare(
        "INSERT INTO api_keys (key_id, hash, role, name, created_at, revoked)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key_id) DO UPDATE SET hash = excluded.hash,"
        " role = excluded.role, name = excluded.name, revoked = excluded.revoked");
    st.bind(k.key_id).bind(k.hash).bind(k.role).bind(k.name).bind(k.created_at_ms)
        .bind(k.revoked ? 1 : 0);
    if (!st.exec()) return st.error("putApiKey");
    return Status::okStatus();
  });
}

}  // namespace qiao::store::sqlite
