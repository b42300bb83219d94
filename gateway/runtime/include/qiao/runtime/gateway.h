// The gateway runtime: connectors built from config, routes, the delivery workers, and the
// entry points the HTTP API and the CLI use. One Gateway per process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qiao/config/config.h"
#include "qiao/core/metrics.h"
#include "qiao/core/record.h"
#include "qiao/core/result.h"
#include "qiao/store/store.h"

namespace qiao::sdk {
class Registry;
struct WebhookRequest;
struct WebhookReply;
}  // namespace qiao::sdk

namespace qiao::recon {
class Service;
struct OrderStatusChange;
}

namespace qiao::sync {
class Service;
}

namespace qiao::runtime {

struct ConnectorStatus {
  std::string name;
  std::string type;
  std::string kind;            // sink | source
  bool healthy = true;
  std::string health_detail;
  std::string circuit;         // closed | open | half_open
  int in_flight = 0;
  int concurrency = 0;
  int64_t delivered = 0;
  int64_t failed = 0;
};

// A schedule or a job as `GET /api/v1/jobs` shows it.
struct JobStatus {
  std::string name;
  std::string kind;             // poll (a schedule) | import | export | reconcile | recon_report
  std::string cron;             // "" = on demand only
  std::string timezone;
  std::string route;
  std::string missed;           // skip | run_once
  int64_t next_run_ms = 0;      // 0 = never
  bool running = false;         // in this process
  int64_t progress_records = 0; // of the run going on in this process (rows for imports)
  int64_t progress_total = -1;  // rows of the file being imported; -1 = unknown
  store::ScheduleRun last;      // from the store (any process); name "" when it never ran
};

// What one run of a job did (runJob).
struct JobRun {
  bool ok = true;               // false: the run failed or a file was refused
  std::string summary;          // one line for people and the log
  std::string report_json;      // the job's report: files, rows, paths, counts
};

class Gateway {
 public:
  virtual ~Gateway() = default;

  // Starts the delivery workers and pollers. Call once.
  virtual Status start() = 0;
  // Stops claiming, waits up to the drain timeout for in-flight deliveries, releases leases.
  // False when deliveries were still running at the drain timeout: their threads still use
  // the gateway, so the caller must end the process without destroying it.
  virtual bool stop() = 0;
  virtual bool ready() const = 0;

  // Accepts records for a route; durable when it returns. NotFound for an unknown route.
  // Fills Record::created_at_ms, trace_id (if empty) and business_key (from the route's
  // business_key pointer, if empty).
  virtual Result<std::vector<store::IngestResult>> ingest(const std::string& route,
                                                          std::vector<Record> records) = 0;
  // A request pushed to a source connector (POST/GET /hooks/{connector}). The connector
  // checks it (signature, replay window) and turns it into records; they are committed to
  // every route reading from that connector before the reply goes back, so a 2xx means
  // durable. NotFound if no route reads from a connector of that name.
  virtual Result<sdk::WebhookReply> webhook(const std::string& connector,
                                            const sdk::WebhookRequest& request) = 0;

  // Replays a dead letter and wakes the workers.
  virtual Result<int64_t> replay(const store::ReplayRequest& request) = 0;

  // Runs a job now, in this thread: import (the drop folder, or `file` copied into it first),
  // export, reconcile, recon_report. Works without start() (the CLI). NotFound for an
  // unknown job; kConflict while the job runs here or in another process on the same store.
  virtual Result<JobRun> runJob(const std::string& job, const std::string& file) = 0;

  // The reconciliation service when `reconciliation:` is enabled, else null.
  virtual recon::Service* reconciliation() = 0;
  // Matches the payments not matched yet and sends the orders whose payment state changed to
  // reconciliation.status_route. Returns a JSON summary (paymentsProcessed, ...).
  virtual Result<std::string> reconcile() = 0;
  // Sends order payment states a manual match or unmatch changed to the status route.
  virtual Status pushPaymentStatus(const std::vector<recon::OrderStatusChange>& changes) = 0;

  // The customer sync service when `sync:` is enabled, else null (docs/sync.md). First sync
  // takes {"<side>":[records in that side's shape], ...}; resolving a review item takes
  // {"pair":{"<side>":"<id>",...}}; both enqueue the writes they decide and answer JSON.
  virtual sync::Service* customerSync() { return nullptr; }
  virtual Result<std::string> syncFirstSync(const std::string& /*body*/) {
    return Error::permanent(ErrorCode::kConfigInvalid, "sync is not enabled (no sync: section)");
  }
  virtual Result<std::string> syncResolveReview(int64_t /*id*/, const std::string& /*body*/,
                                                const std::string& /*user*/) {
    return Error::permanent(ErrorCode::kConfigInvalid, "sync is not enabled (no sync: section)");
  }

  virtual std::vector<ConnectorStatus> connectorStatuses() = 0;
  virtual std::vector<JobStatus> jobStatuses() = 0;
  virtual const config::Config& config() const = 0;
  virtual store::Store& store() = 0;
  virtual metrics::Registry& metrics() = 0;
};

// Loads every route's mapping file as `qiao run` would; one entry per problem, each holding
// the file's diagnostics ("file:line:column: rules[3].map.table: ..."). Empty = all good.
std::vector<std::string> checkRouteMappings(const config::Config& config);

// Creates every connector a route uses, as `qiao run` would, and drops it again: the
// connector checks its own settings (URL templates, auth modes). Factories do no network
// I/O, so this is safe offline. One "connectors.<name>: message" per problem.
std::vector<std::string> checkConnectorSettings(const config::Config& config,
                                                const sdk::Registry& registry);

// Opens the store, creates every configured connector through the registry, and prepares
// the routes. Nothing runs until start().
Result<std::unique_ptr<Gateway>> createGateway(config::Config config, const sdk::Registry& registry);

}  // namespace qiao::runtime
