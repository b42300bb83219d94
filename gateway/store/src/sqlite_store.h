// The SQLite Store: writes go through the group-commit Writer, reads through a small pool of
// read connections (WAL lets them run alongside the writer and other processes).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "qiao/store/store.h"
#include "checkpointer.h"
#include "sqlite_db.h"
#include "writer.h"

namespace qiao::store::sqlite {

// Lends one read connection per concurrent caller; idle ones are kept for reuse.
class ReadPool {
 public:
  ReadPool(SqliteOptions options) : options_(std::move(options)) {}

  class Lease {
   public:
    Lease(ReadPool* pool, std::unique_ptr<Conn> conn) : pool_(pool), conn_(std::move(conn)) {}
    ~Lease() {
      if (conn_) pool_->release(std::move(conn_));
    }
    Lease(Lease&&) = default;
    Conn& operator*() { return *conn_; }
    Conn* operator->() { return conn_.get(); }
   private:
    ReadPool* pool_;
    std::unique_ptr<Conn> conn_;
  };

  Result<Lease> acquire();

 private:
  void release(std::unique_ptr<Conn> conn);
  SqliteOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Conn>> idle_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(SqliteOptions options, std::unique_ptr<Conn> write_conn,
              std::unique_ptr<Conn> checkpoint_conn);

  Status migrate() override;
  int schemaVersion() override;

  Result<std::vector<IngestResult>> ingest(std::span<const NewMessage> messages,
                                           int64_t now_ms) override;
  Result<std::vector<Message>> claim(const ClaimRequest& request) override;
  Status complete(std::span<const Completion> completions) override;
  Status renewLeases(const std::string& worker_id, std::span<const int64_t> ids,
                     int64_t lease_until_ms) override;
  Status releaseWorker(const std::string& worker_id) override;

  Result<std::optional<Message>> getMessage(int64_t id) override;
  Result<std::vector<Message>> listMessages(const MessageFilter& filter) override;
  Result<std::vector<Attempt>> attempts(int64_t message_id) override;
  Result<std::vector<RouteDepth>> queueDepths() override;
  Result<std::optional<int64_t>> nextDueMs(std::span<const std::string> routes) override;

  Result<std::vector<DeadLetter>> listDeadLetters(const DeadLetterFilter& filter) override;
  Result<std::optional<DeadLetter>> getDeadLetter(int64_t id) override;
  Result<int64_t> replay(const ReplayRequest& request) override;

  Status putXref(const XrefEntry& entry) override;
  Result<std::optional<XrefEntry>> findXrefByLocal(const std::string& entity,
                                                   const std::string& system,
                                                   const std::string& local_id) override;
  Result<std::optional<XrefEntry>> findXrefByRemote(const std::string& entity,
                                                    const std::string& system,
                                                    const std::string& remote_id) override;

  Result<std::optional<std::string>> getWatermark(const std::string& name) override;
  Status setWatermark(const std::string& name, const std::string& value,
                      int64_t now_ms) override;

  Result<bool> beginScheduleRun(const std::string& name, const std::string& worker,
                                int64_t due_ms, int64_t now_ms, int64_t lease_until_ms) override;
  Status renewScheduleRun(const std::string& name, const std::string& worker,
                          int64_t lease_until_ms) override;
  Status finishScheduleRun(const std::string& name, const std::string& worker,
                           const std::string& outcome, const std::string& detail,
                           int64_t records, int64_t now_ms) override;
  Result<std::vector<ScheduleRun>> listScheduleRuns() override;

  Result<std::optional<Approval>> getApproval(int64_t message_id) override;
  Result<std::optional<Approval>> findApprovalByRequest(const std::string& system,
                                                        const std::string& request_id) override;
  Result<std::vector<Approval>> listApprovals(const ApprovalFilter& filter) override;
  Result<std::vector<Approval>> dueApprovals(int64_t now_ms, int limit) override;
  Result<bool> decideApproval(const ApprovalDecision& decision) override;
  Result<bool> escalateApproval(const ApprovalEscalation& escalation) override;

  Status appendAudit(const AuditEntry& entry) override;
  Result<std::vector<AuditEntry>> listAudit(int limit, int64_t after_id) override;

  Status putApiKey(const ApiKey& key) override;
  Result<std::optional<ApiKey>> findApiKeyByHash(const std::string& hash) override;
  Result<std::vector<ApiKey>> listApiKeys() override;

  int64_t staleCompletions() const { return stale_completions_.load(); }
  int64_t commits() const { return writer_.commits(); }

 private:
  SqliteOptions options_;
  ReadPool reads_;
  Checkpointer checkpointer_;  // declared before writer_: the writer's hook points at it
  Writer writer_;
  std::atomic<int64_t> stale_completions_{0};
};

// Inserts one message unless its (route, idempotency_key) is known; then res names the first.
// A new message with a gate is held and its approval request ingested (sqlite_approvals.cpp).
Status insertMessage(Conn& c, const NewMessage& m, int64_t now_ms, IngestResult* res);
Status insertGate(Conn& c, int64_t message_id, const NewMessage& m, int64_t now_ms);
// The approval side of a completion of a submit message (Completion::approval_request).
Status applyApprovalCompletion(Conn& c, const Completion& d);
// An attempts row on a message that is not an attempt: a step of its approval.
Status journalStep(Conn& c, int64_t message_id, const std::string& status, const std::string& text,
                   const std::string& remote_id, int64_t now_ms);

// Column list and row decoder shared by every query that returns whole messages.
extern const char* const kMessageColumns;
Message readMessage(const Stmt& st);

}  // namespace qiao::store::sqlite
