// The store: everything qiao must not lose. One interface, one SQLite implementation now
// and a PostgreSQL one later; several gateway processes may share one database, so work is
// claimed through leases held in the database, never only in memory.
//
// Writes are durable when the call returns (the SQLite implementation commits concurrent
// writes together: group commit, one fsync for many callers).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "qiao/core/record.h"
#include "qiao/core/result.h"

namespace qiao::store {

// kAwaitingApproval: held by a route's approval gate (docs/approvals.md); never claimed until
// a decision moves it to pending (approved) or dead (rejected, withdrawn, expired).
enum class MessageStatus { kPending, kInflight, kDelivered, kDead, kAwaitingApproval };
const char* toString(MessageStatus s);
bool parseMessageStatus(const std::string& text, MessageStatus* out);

// A message that must be approved before delivery: it is stored awaiting_approval and, in the
// same transaction, `request` is ingested on `via_route` (the route whose sink submits the
// approval) and an approvals row ties the two. Nothing happens for a duplicate message.
struct ApprovalGate {
  std::string rule;           // which rule matched, for the journal and the API
  std::string via_route;
  Record request;             // the submit message (deduplicated like any ingest)
  int64_t timeout_at_ms = 0;  // 0 = waits without a deadline
};

struct NewMessage {
  std::string route;
  Record record;          // idempotency_key "" = none (no deduplication)
  std::string order_key;  // "" = unordered; else delivered after earlier messages with this key
  std::optional<ApprovalGate> gate;
};

struct IngestResult {
  int64_t id = 0;
  bool duplicate = false;  // the (route, idempotency_key) was already known: id is the first one
};

struct Message {
  int64_t id = 0;
  std::string route;
  Record record;
  std::string order_key;
  MessageStatus status = MessageStatus::kPending;
  int attempt = 0;              // attempts started so far; also the lease's fencing token
  int64_t next_attempt_at_ms = 0;
  std::string claimed_by;
  int64_t lease_until_ms = 0;
  std::string remote_id;
  std::string last_error;
  int64_t delivered_at_ms = 0;
};

struct Attempt {
  int64_t message_id = 0;
  int attempt = 0;
  std::string status;     // delivered | failed | dead
  std::string error_class;  // "" | transient | permanent | auth_expired
  std::string error;
  int64_t latency_us = 0;
  std::string remote_id;
  std::string worker;
  int64_t at_ms = 0;
};

struct ClaimRequest {
  std::string worker_id;           // "host:pid:n"
  std::vector<std::string> routes; // claim only from these routes
  int limit = 16;
  int64_t now_ms = 0;
  int64_t lease_ms = 30000;
};

struct XrefEntry {
  std::string entity;         // customer, order
  std::string system;         // k3cloud
  std::string local_id;       // the id on our side (CRM id / business key)
  std::string remote_id;      // the id in system (K/3 FID: what updates address)
  int64_t updated_at_ms = 0;
  std::string remote_number;  // the number people and reference fields use (FBillNo,
                              // FNumber); "" when the system has none
};

// The outcome of one claimed attempt. Applied only if the message is still inflight with the
// same attempt (fencing): a worker whose lease expired and was reclaimed cannot overwrite.
struct Completion {
  int64_t message_id = 0;
  int attempt = 0;
  enum class Kind { kDelivered, kRetry, kDead, kRelease } kind = Kind::kDelivered;
  std::string remote_id;
  std::string error_class;
  std::string error;
  int64_t next_attempt_at_ms = 0;  // for kRetry
  int64_t latency_us = 0;
  std::string worker;
  int64_t now_ms = 0;
  // Applied with a kDelivered in the same transaction, and only if the fence accepts it: the
  // ID cross-reference rows the delivery created, and the messages it hands on (write-backs).
  std::vector<XrefEntry> xrefs;
  std::vector<NewMessage> follow_ups;
  // The message submits an approval request (its route is a gate's via route): delivered, the
  // approval it belongs to becomes `submitted` with remote_id as its request id in
  // approval_system; dead, the gated message's journal says so (it keeps waiting; replaying
  // this dead letter submits again).
  bool approval_request = false;
  std::string approval_system;
};

// One approval of the gate: the held message, how it was submitted, what was decided.
struct Approval {
  int64_t message_id = 0;          // the held message
  std::string route;               // its route
  std::string rule;
  std::string via_route;           // the route that submits the request
  int64_t request_message_id = 0;  // the latest submit message (escalations replace it)
  std::string system;              // the via route's sink (connector name), once submitted
  std::string request_id;          // WeCom sp_no, OA requestId; "" until submitted
  // waiting (not submitted yet) | submitted | approved | rejected | withdrawn | terminated |
  // expired
  std::string state;
  std::string approver;
  std::string comment;
  int64_t created_at_ms = 0, submitted_at_ms = 0, decided_at_ms = 0, timeout_at_ms = 0;
  int escalations = 0;
};

struct ApprovalFilter {
  std::string state;  // "" = every state; "open" = waiting or submitted
  std::string route;
  int limit = 50;
  int64_t after_message_id = 0;
};

// A decision on an approval. approved: the message becomes pending (delivered as usual);
// rejected | withdrawn | terminated | expired: dead, with a dead letter naming the approver
// and comment. Applied only while the message still awaits approval (a decision arrives once).
struct ApprovalDecision {
  int64_t message_id = 0;
  std::string state;
  std::string approver;
  std::string comment;
  std::string reason;                  // the dead letter's / journal's text
  std::vector<NewMessage> follow_ups;  // e.g. telling the CRM about a rejection
  int64_t now_ms = 0;
};

// A timed-out approval submitted again (to a higher approver): a new submit message, a new
// deadline.
struct ApprovalEscalation {
  int64_t message_id = 0;
  int escalations = 0;  // as read: applied only if no other process escalated meanwhile
  NewMessage request;
  int64_t timeout_at_ms = 0;
  int64_t now_ms = 0;
};

struct MessageFilter {
  std::string route;
  std::optional<MessageStatus> status;
  std::string business_key;
  int limit = 50;
  int64_t after_id = 0;  // cursor: ids greater than this, ascending
};

struct DeadLetter {
  int64_t id = 0;
  int64_t message_id = 0;
  std::string route;
  std::string business_key;
  std::string reason;       // the target's own message
  std::string error_class;
  int attempts = 0;
  int64_t created_at_ms = 0;
  int64_t replayed_at_ms = 0;  // 0 = not replayed
  std::string replayed_by;
};

struct DeadLetterFilter {
  std::string route;
  std::string business_key;
  bool include_replayed = false;
  int limit = 50;
  int64_t after_id = 0;
};

struct ReplayRequest {
  int64_t dead_letter_id = 0;
  std::optional<std::string> corrected_payload;  // JSON text replacing the payload
  std::string actor;                             // who replays: key id or "cli:user"
  std::string reason;
  int64_t now_ms = 0;
};

struct AuditEntry {
  int64_t id = 0;
  int64_t at_ms = 0;
  std::string actor;
  std::string action;   // dlq.replay, key.create, ...
  std::string object;   // dead_letter:12
  std::string detail;   // JSON text: what changed (never a secret)
};

struct ApiKey {
  std::string key_id;   // public prefix, shown in lists and audit
  std::string hash;     // hex SHA-256 of the whole key
  std::string role;     // admin | operator | finance | ingest
  std::string name;
  int64_t created_at_ms = 0;
  bool revoked = false;
};


// The persisted state of one schedule (a cron job): what ran last and who runs it now. Shared
// by every process on the database, so one fire time runs once, in one process.
struct ScheduleRun {
  std::string name;
  int64_t last_due_ms = 0;       // the fire time last taken (0 = never)
  int64_t last_started_ms = 0;
  int64_t last_finished_ms = 0;  // 0 while the first run is going
  std::string outcome;           // "" (never ran) | running | ok | failed
  std::string detail;            // the error of a failed run, or a summary
  int64_t records = 0;           // records the last run produced
  std::string running_by;        // worker id holding the run ("" when none)
  int64_t lease_until_ms = 0;    // the holder's lease; an expired one can be taken over
};

struct RouteDepth {
  std::string route;
  int64_t pending = 0;
  int64_t inflight = 0;
  int64_t dead = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Creates or upgrades the schema (versioned migrations, applied once each).
  virtual Status migrate() = 0;
  virtual int schemaVersion() = 0;

  // --- messages -----------------------------------------------------------------------
  // Durable before return. A known (route, idempotency_key) returns the first id, duplicate=true.
  virtual Result<std::vector<IngestResult>> ingest(std::span<const NewMessage> messages,
                                                   int64_t now_ms) = 0;
  // Leases up to limit due messages (pending and due, or inflight with an expired lease),
  // oldest first, respecting per-key order. Increments attempt.
  virtual Result<std::vector<Message>> claim(const ClaimRequest& request) = 0;
  // Applies outcomes and journals each attempt; a kDead also writes a dead letter; a
  // kDelivered also writes its xrefs and ingests its follow_ups (deduplicated like ingest).
  virtual Status complete(std::span<const Completion> completions) = 0;
  // Extends the leases of messages this worker still holds.
  virtual Status renewLeases(const std::string& worker_id, std::span<const int64_t> ids,
                             int64_t lease_until_ms) = 0;
  // Returns every lease held by worker_id to the queue (graceful shutdown).
  virtual Status releaseWorker(const std::string& worker_id) = 0;

  virtual Result<std::optional<Message>> getMessage(int64_t id) = 0;
  virtual Result<std::vector<Message>> listMessages(const MessageFilter& filter) = 0;
  virtual Result<std::vector<Attempt>> attempts(int64_t message_id) = 0;
  virtual Result<std::vector<RouteDepth>> queueDepths() = 0;
  // Earliest next_attempt_at among pending messages of these routes; nullopt = none pending.
  virtual Result<std::optional<int64_t>> nextDueMs(std::span<const std::string> routes) = 0;

  // --- dead letters -------------------------------------------------------------------
  virtual Result<std::vector<DeadLetter>> listDeadLetters(const DeadLetterFilter& filter) = 0;
  virtual Result<std::optional<DeadLetter>> getDeadLetter(int64_t id) = 0;
  // Puts the message back to pending (attempt 0), optionally with a corrected payload, marks
  // the dead letter replayed and appends the audit entry, in one transaction.
  virtual Result<int64_t> replay(const ReplayRequest& request) = 0;

  // --- ID cross-reference, watermarks, audit, API keys --------------------------------
  virtual Status putXref(const XrefEntry& entry) = 0;
  virtual Result<std::optional<XrefEntry>> findXrefByLocal(const std::string& entity,
                                                           const std::string& system,
                                                           const std::string& local_id) = 0;
  // Matches remote_id or remote_number.
  virtual Result<std::optional<XrefEntry>> findXrefByRemote(const std::string& entity,
                                                            const std::string& system,
                                                            const std::string& remote_id) = 0;

  virtual Result<std::optional<std::string>> getWatermark(const std::string& name) = 0;
  virtual Status setWatermark(const std::string& name, const std::string& value,
                              int64_t now_ms) = 0;

  // Takes the run of schedule `name` for fire time due_ms: false when that fire time (or a
  // later one) was already taken, or another live worker holds the schedule.
  virtual Result<bool> beginScheduleRun(const std::string& name, const std::string& worker,
                                        int64_t due_ms, int64_t now_ms,
                                        int64_t lease_until_ms) = 0;
  // Extends the lease of a run worker still holds (long pulls).
  virtual Status renewScheduleRun(const std::string& name, const std::string& worker,
                                  int64_t lease_until_ms) = 0;
  // Records the outcome of the run worker began; ignored if it no longer holds it.
  virtual Status finishScheduleRun(const std::string& name, const std::string& worker,
                                   const std::string& outcome, const std::string& detail,
                                   int64_t records, int64_t now_ms) = 0;
  virtual Result<std::vector<ScheduleRun>> listScheduleRuns() = 0;

  // --- approvals (the routes' approval gate) ------------------------------------------
  virtual Result<std::optional<Approval>> getApproval(int64_t message_id) = 0;
  // By request id (system "" = any system).
  virtual Result<std::optional<Approval>> findApprovalByRequest(const std::string& system,
                                                                const std::string& request_id) = 0;
  virtual Result<std::vector<Approval>> listApprovals(const ApprovalFilter& filter) = 0;
  // Open approvals whose deadline passed, oldest deadline first.
  virtual Result<std::vector<Approval>> dueApprovals(int64_t now_ms, int limit) = 0;
  // false: the message no longer awaits approval (decided before); nothing changed.
  virtual Result<bool> decideApproval(const ApprovalDecision& decision) = 0;
  virtual Result<bool> escalateApproval(const ApprovalEscalation& escalation) = 0;

  virtual Status appendAudit(const AuditEntry& entry) = 0;
  virtual Result<std::vector<AuditEntry>> listAudit(int limit, int64_t after_id) = 0;

  virtual Status putApiKey(const ApiKey& key) = 0;
  virtual Result<std::optional<ApiKey>> findApiKeyByHash(const std::string& hash) = 0;
  virtual Result<std::vector<ApiKey>> listApiKeys() = 0;
};

struct SqliteOptions {
  std::string path;
  int busy_timeout_ms = 5000;
  bool synchronous_full = true;
  int max_batch = 256;  // most write operations committed in one transaction
};

// Opens (creating if needed) and migrates the database.
Result<std::unique_ptr<Store>> openSqliteStore(const SqliteOptions& options);

}  // namespace qiao::store
