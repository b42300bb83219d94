// GatewayImpl: the runtime behind runtime::Gateway. Its methods live in three files:
// gateway_impl.cpp (building, lifecycle, ingest, status), delivery.cpp (claiming and
// delivering per lane) and housekeeping.cpp (leases, gauges, scheduled polls).
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "completion_queue.h"
#include "lane.h"
#include "mapping_step.h"
#include "qiao/core/cron.h"
#include "qiao/jobs/export_job.h"
#include "qiao/recon/service.h"
#include "qiao/mapping/mapping.h"
#include "qiao/runtime/gateway.h"
#include "qiao/sdk/connector.h"
#include "route_metrics.h"

namespace qiao::sync {
struct SyncWrite;
}

namespace qiao::runtime {

struct SyncRuntime;  // sync.cpp
struct SyncBatchItem;

// A cron schedule polling one route's source connector, or a job (`jobs:`) with its cron
// (none: next_ms stays INT64_MAX and it runs on demand only).
struct Schedule {
  config::ScheduleConfig cfg;        // for a job: name, cron, timezone, missed; route ""
  const config::JobConfig* job = nullptr;
  bool has_cron = true;
  CronExpr cron;
  int64_t next_ms = 0;
  std::atomic<bool> running{false};
  std::atomic<int64_t> progress{0};  // records (polls) or rows (imports) done so far
  std::atomic<int64_t> progress_total{-1};
  int64_t renewed_ms = 0;            // last lease renewal of the running run
  int64_t logged_ms = 0;             // last progress log line
};

// What one scheduled poll or job run did.
struct PollOutcome {
  int64_t records = 0;
  std::string error;        // "" = ok
  std::string summary;      // one line, for the store and the log
  std::string report_json;  // jobs: their report
};

class GatewayImpl final : public Gateway {
 public:
  GatewayImpl(config::Config cfg, std::unique_ptr<store::Store> store);
  ~GatewayImpl() override { stop(); }  // the app never destroys it with deliveries running

  // Opens nothing: creates the connectors the routes use and prepares lanes and schedules.
  const config::Config& config() const override { return cfg_; }
  store::Store& store() override { return *store_; }
  metrics::Registry& metrics() override { return metrics_; }

  Status build(const sdk::Registry& registry);

  Status start() override;
  bool stop() override;
  bool ready() const override { return ready_; }
  Result<std::vector<store::IngestResult>> ingest(const std::string& route_name,
                                                  std::vector<Record> records) override;

  Result<sdk::WebhookReply> webhook(const std::string& connector,
                                    const sdk::WebhookRequest& request) override;

  Result<int64_t> replay(const store::ReplayRequest& request) override;
  std::vector<ConnectorStatus> connectorStatuses() override;
  std::vector<JobStatus> jobStatuses() override;
  Result<JobRun> runJob(const std::string& job, const std::string& file) override;
  recon::Service* reconciliation() override;

  // recon.cpp: matches what is new and pushes changed order states to the status route.
  Result<recon::RunStats> reconcileNow();
  Status pushPaymentStatus(const std::vector<recon::OrderStatusChange>& changes) override;
  Result<std::string> reconcile() override;

  // approvals.cpp: a decision event for a submitted request (the built-in `approvals` sink).
  struct DecisionInput {
    std::string system;  // "" = any
    std::string request_id;
    std::string state;   // normalised
    std::string approver;
    std::string comment;
  };
  // The outcome ("approved", "already decided (…)", "still in_approval"); a transient
  // kNotFound while no held record waits on the request.
  Result<std::string> decideByRequest(const DecisionInput& in);
  // sync.cpp: the customer sync (`sync:`).
  sync::Service* customerSync() override;
  Result<std::string> syncFirstSync(const std::string& body) override;
  Result<std::string> syncResolveReview(int64_t id, const std::string& body, const std::string& user) override;
  Result<sdk::Delivery> syncDeliver(const Record& record);
  Result<sdk::Delivery> syncConfirm(const std::string& write_id, const std::string& new_id);

 private:
  // Fills the fields ingest owns (trace id, entity, business key, times, order key).
  store::NewMessage prepare(const std::string& route_name, Record rec, int64_t now);
  Result<std::vector<store::IngestResult>> commit(std::span<const store::NewMessage> batch, int64_t now);

  int totalInFlight();
  // Gives claimed-but-unstarted messages back (attempt not consumed).
  void releaseReady(Lane& lane);

  // Runs on the completion thread after each committed batch.
  void onCommitted(const std::vector<store::Completion>& done);

  void wake();
  void warnAboutOrphans();

  // Claims for every lane with free capacity and starts workers; returns how many messages
  // were claimed.
  int dispatchOnce();

  void startWorkers(Lane& lane, CircuitBreaker::State state);

  // One worker: delivers from the lane's ready queue until it is empty, the circuit stops
  // it, or the gateway stops.
  void workerLoop(Lane& lane);

  void dispatchLoop();

  // Delivers one message and queues its outcome; false if stopped before the call started.
  bool deliver(Lane& lane, const store::Message& msg);

  // Adds route.on_delivered's xref rows and follow-up message to a delivered completion.
  void afterDelivery(const config::RouteConfig& route, const store::Message& msg,
                     const std::string& idempotency_key, const sdk::Delivery& delivery,
                     store::Completion& c);
  void failMapping(Lane& lane, const store::Message& msg, const Error& err, store::Completion& c,
                   RouteMetrics& rm);
  void classifyFailure(Lane& lane, const config::RouteConfig& route, const store::Message& msg,
                       const Error& err, store::Completion& c, RouteMetrics& rm);

  // Lease renewal, queue gauges and schedules, once every 100 ms.
  void timerLoop();

  static int64_t nextFire(const Schedule& s, int64_t now);
  void renewLeases(int64_t now);
  void refreshGauges();

  // One scheduled poll of a route's source: records are committed before the watermark moves.
  // schedules.cpp: fire due schedules (one process per fire time, through the store), catch
  // up missed fires at start, run and record one poll.
  void startSchedules(int64_t now);
  void tickSchedules(int64_t now);
  void fireSchedule(Schedule& s, int64_t due_ms, int64_t now);
  PollOutcome runPoll(Schedule& s);
  void finishRun(Schedule& s, const PollOutcome& out);

  // jobs.cpp, export_rows.cpp, recon.cpp: the job runners.
  PollOutcome runJobBody(Schedule& s, const std::string& file);
  PollOutcome runImport(Schedule& s, const std::string& file);
  PollOutcome runExport(Schedule& s);
  PollOutcome runReconJob(Schedule& s);
  void jobProgress(Schedule& s, int64_t done, int64_t total);
  jobs::RowSource exportRows(const config::JobConfig& j);
  Status emitRouteMessages(const config::JobConfig& j, const std::function<Status(std::string_view)>& emit);
  Status emitDeadLetters(const config::JobConfig& j, const std::function<Status(std::string_view)>& emit);
  Status emitReconRows(const config::JobConfig& j, const std::function<Status(std::string_view)>& emit);
  Status buildReconciliation();
  Status buildSync();
  void syncResume();
  void syncAfterCommit(const std::vector<store::Completion>& done);
  Status syncEnqueue(const std::vector<sync::SyncWrite>& writes);
  Status syncEnqueuePending();
  Result<std::string> syncCanonical(const std::string& side, const std::string& payload);
  Result<Record> syncWriteRecord(const sync::SyncWrite& w);
  void syncPlanBatch(const std::vector<SyncBatchItem*>& batch);

  // approvals.cpp: the gate. buildApprovals notes the request routes and adds the built-in
  // `approvals` sink; approvalGate picks the first matching rule at ingest.
  void buildApprovals();
  std::optional<store::ApprovalGate> approvalGate(const std::string& route_name, const Record& rec,
                                                  int64_t now);
  Record approvalRequest(const std::string& route_name, const Record& rec, const std::string& rule,
                         const std::string& via, const std::string& key_suffix, int escalation);
  Result<bool> applyDecision(const store::Approval& a, const std::string& state,
                             const std::string& approver, const std::string& comment,
                             const std::string& why);
  void tickApprovals(int64_t now);
  void expireOrEscalate(const store::Approval& a, int64_t now);
  void pollApprovals();

  config::Config cfg_;
  std::unique_ptr<store::Store> store_;
  metrics::Registry metrics_;
  std::map<std::string, std::unique_ptr<Lane>> lanes_;
  std::map<std::string, std::unique_ptr<sdk::Source>> sources_;
  std::map<std::string, RouteMetrics> route_metrics_;
  std::map<std::string, RouteMapping> route_mappings_;  // routes with a mapping step
  std::unique_ptr<mapping::XrefResolver> xref_resolver_;  // for `lookup:` rules
  std::vector<std::unique_ptr<Schedule>> schedules_;  // schedules, then jobs
  std::map<std::string, std::shared_ptr<const mapping::MappingPlan>> job_mappings_;
  std::unique_ptr<recon::Service> recon_;
  std::set<std::string> approval_request_routes_;  // via / escalate_via routes of gates
  int64_t approval_poll_ms_ = 60000;               // the shortest poll period of any gate
  int64_t approvals_checked_ms_ = 0, approvals_polled_ms_ = 0;  // timer thread only
  std::atomic<bool> approval_polling_{false};
  std::shared_ptr<SyncRuntime> sync_;  // shared_ptr: complete only in sync.cpp
  std::unique_ptr<boost::asio::thread_pool> pool_;
  std::thread dispatcher_;
  std::thread timer_;
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool wake_ = false;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> ready_{false};
  int abandoned_ = 0;  // deliveries still running when stop() gave up waiting
  std::string worker_id_;
  std::mutex inflight_mu_;
  std::unordered_map<int64_t, Lane*> inflight_;  // claimed by this process, not yet completed
  std::unique_ptr<CompletionQueue> completions_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace qiao::runtime
