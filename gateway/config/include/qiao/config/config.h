// The validated configuration: what the rest of the gateway reads. Produced only by
// loadConfig(), which checks the whole directory and reports every problem at once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qiao::sdk { class Registry; }

namespace qiao::config {

// One problem found in the configuration, pointing at the spot.
struct Diagnostic {
  std::string file;     // the config dir as given + "/" + the file name
  int line = 0;         // 1-based; 0 = unknown
  int column = 0;       // 1-based; 0 = unknown
  std::string path;     // key path: routes.orders.sink
  std::string message;  // what is wrong, with a did-you-mean hint where one exists
  // "file:line:column: path: message"
  std::string format() const;
};

struct RetryPolicy {
  int max_attempts = 10;            // including the first; then dead letter
  int64_t initial_backoff_ms = 500;
  int64_t max_backoff_ms = 300000;
};

struct CircuitBreakerConfig {
  int failure_threshold = 5;        // consecutive failures that open the circuit
  int64_t open_ms = 30000;          // time open before a half-open probe
};

struct RateLimitConfig {
  double per_second = 0;            // 0 = unlimited
  int burst = 1;
};

struct ConnectorConfig {
  std::string name;                 // key under connectors:
  std::string type;                 // descriptor name: http, k3cloud, ...
  std::string settings_json;        // the connector's own keys (validated against its schema), secrets resolved
  int concurrency = 4;              // deliveries in flight at once
  RateLimitConfig rate_limit;
  CircuitBreakerConfig circuit_breaker;
};

// One ID cross-reference row a successful delivery writes (`on_delivered.xref`).
struct XrefRule {
  std::string entity;                      // "order", "customer"
  std::string system;                      // "k3cloud"
  std::string local;                       // JSON pointer into the record as ingested;
                                           // "" = the route's business_key
  std::string remote_id = "/Id";           // JSON pointer into the sink's result
  std::string remote_number = "/Number";   // "" = none
};

// What a successful delivery leaves behind, committed together with the delivery itself.
struct OnDelivered {
  std::vector<XrefRule> xref;
  // Routes that each receive {"record": <payload as ingested>, "result": <the sink's result>}
  // (a write-back to the system the record came from, a notification). Empty = none.
  std::vector<std::string> then;
};

// The approval gate of a route (docs/approvals.md). Conditions are data, not a language:
// {field: /totalAmount, gt: "100000"}, {field: /grade, in: [C]}, {all: [...]}, {any: [...]}.
struct ApprovalCondition {
  std::string op;                   // gt ge lt le (exact decimals) eq ne in not_in (text) all any
  std::string field;                // JSON pointer (comparisons)
  std::string value;                // gt..ne
  std::vector<std::string> values;  // in / not_in
  std::vector<ApprovalCondition> children;  // all / any
  std::string describe() const;     // "/totalAmount gt 100000", for the journal
};

struct ApprovalRule {
  std::string name;  // "" = the condition's description
  ApprovalCondition when;
  std::string via;   // the route whose sink submits the approval request
};

struct ApprovalConfig {
  std::vector<ApprovalRule> rules;    // first match wins; none = no approval needed
  int64_t timeout_ms = 0;             // 0 = wait for ever
  std::string on_timeout = "expire";  // expire | escalate
  std::string escalate_via;           // with on_timeout: escalate
  std::string on_rejected;            // route told {"record","approval"} on a negative decision
  int64_t poll_ms = 60000;            // how often the status of submitted requests is asked
                                      // (sinks that can answer it, e.g. oa)
  bool enabled() const { return !rules.empty(); }
};

struct RouteConfig {
  std::string name;
  std::string source = "ingest";    // "ingest" (HTTP API) or a source connector's name
  std::string mapping;              // "" = identity; else a file under gateway.mappings_dir
  // auto: forward when records are pushed in (ingest API, webhooks), reverse when a schedule
  // pulls them from the route's source connector (the same file serves both directions).
  std::string mapping_direction = "auto";
  std::string sink;                 // a sink connector's name
  std::string entity = "record";    // Record::entity for ingested records
  std::string business_key;         // JSON pointer into the payload, e.g. /orderId; "" = none
  bool ordered = false;             // per business key, deliver in ingest order
  RetryPolicy retry;
  OnDelivered on_delivered;
  ApprovalConfig approval;
};

struct ScheduleConfig {
  std::string name;
  std::string cron;                 // 5 fields, or 6 with seconds first
  std::string timezone;             // defaults to gateway.timezone
  std::string route;                // poll this route's source connector
  // Fire times that passed while no gateway ran: "skip" them, or "run_once" at start.
  std::string missed = "skip";
};

// One column of an export job's sheet.
struct ExportColumnConfig {
  std::string header;               // the header text, e.g. 订单编号
  std::string pointer;              // JSON pointer into the exported row, e.g. /orderId
  std::string kind = "text";        // text | number | decimal | date | datetime
  std::string number_format;        // Excel number format; "" = by kind
  double width = 0;                 // characters; 0 = by header and kind
};

// A job (`jobs:`): Excel import or export, reconciliation run or report. Runs on demand
// (`qiao import`, `qiao recon`, `POST /api/v1/jobs/{job}/run`) and, with `cron:`, on a
// schedule through the same scheduler as route polls.
struct JobConfig {
  std::string name;
  std::string type;                 // import | export | reconcile | recon_report
  std::string cron;                 // "" = on demand only
  std::string timezone;             // defaults to gateway.timezone
  std::string missed = "skip";      // skip | run_once, as for schedules
  std::string folder;               // import: the drop folder; export, recon_report: the outbox
  std::string mapping;              // import: row -> record (forward); export: applied in reverse
  // import
  std::string route;                // import: where records go (an ingest route);
                                    // export rows route_messages: whose messages
  std::vector<std::string> patterns = {"*.xlsx", "*.xls", "*.csv"};
  std::string archive_folder;       // "" = <folder>/archive
  std::string sheet;                // "" = first sheet
  int header_row = 0;               // 1-based; 0 = first non-empty row
  std::string encoding = "auto";    // csv: auto | utf-8 | gb18030
  std::string delimiter = "auto";   // csv: auto | comma | semicolon | tab
  std::string group;                // import: rows of one business key merge by appending
                                    // this array (e.g. /lines); "" = a record per row
  int64_t min_file_age_ms = 2000;   // a file modified more recently waits for the next run
  // export
  std::string rows = "route_messages";  // route_messages | dead_letters | recon_orders | recon_payments
  std::string status;               // route_messages: pending | delivered | dead | "" (all)
  std::string file_pattern;         // e.g. 订单-{date}.xlsx ({date} {time} {job}); .xlsx or .csv
  std::string ungroup;              // export: one row per element of this array (e.g. /lines)
  std::string sheet_name = "Sheet1";
  std::vector<ExportColumnConfig> columns;  // "" = from the mapping
};

// The built-in sink of routes that feed payment reconciliation (`sink: reconciliation`).
inline constexpr const char* kReconciliationSink = "reconciliation";

// Payment reconciliation (`reconciliation:`): payments and orders reach it through routes
// whose sink is `reconciliation`; changed order states go to the status routes.
struct ReconciliationConfig {
  bool enabled = false;
  std::vector<std::string> rules = {"reference", "exact_amount", "tolerance_amount", "oldest_first"};
  std::string tolerance_absolute = "10";  // decimal text; "" = none
  std::string tolerance_percent;          // decimal text; "" = none
  // Ingest routes each taking {"orderId","paidAmount",...} (the CRM write-back, a notification
  // to finance); empty = none. `status_route: a` or `status_route: [a, b]`.
  std::vector<std::string> status_routes;
  std::string customer_entity = "customer";  // payer account -> customer through the xref
  std::string customer_system = "bank";
};

// The built-in sink of routes that carry approval decisions into the gate (docs/approvals.md).
inline constexpr const char* kApprovalsSink = "approvals";

// The built-in sink of routes that feed the customer sync (`sink: sync`, docs/sync.md).
inline constexpr const char* kSyncSink = "sync";

// One side of the customer sync (`sync.sides.<name>`): where its records come from, how they
// turn into canonical customers and which routes write to it.
struct SyncSideConfig {
  std::string name;                      // "crm", "k3cloud"
  std::vector<std::string> sources;      // record.source_system values of this side; default {name}
  std::string route;                     // the write route (updates, lifecycle writes)
  std::string create_route;              // creates; "" = route
  std::string mapping;                   // canonical <-> side body (reverse reads, forward writes); "" = canonical
  std::string id_path = "/customerId";   // JSON pointer to the side's id in its record
  std::string modified_path = "/modifiedAt";  // JSON pointer to its modification time
  std::string created_id_path;           // where a create's delivery result has the new id; "" = remote id
  std::string on_delete = "flag";        // mirror | flag | ignore: when THIS side deletes
  std::string on_forbid = "mirror";      //   ... forbids / re-enables
  std::string flag_field;                // what a flag of another side writes here
  std::vector<std::string> carries;      // synced fields this side has; empty = all
};

// Two-way customer sync (`sync:`).
struct SyncConfig {
  bool enabled = false;
  std::vector<SyncSideConfig> sides;     // in file order: the first wins exact-time ties
  std::vector<std::string> fields;       // synced canonical fields
  std::map<std::string, std::string> owner;  // field -> side
  std::vector<std::string> json_fields;  // synced as JSON (contacts, bankAccounts)
  bool create_unlinked = true;
  // required: until POST /api/v1/sync/first-sync ran, a customer without a cross-reference is
  // put on the review list instead of created (it may exist on the other side under another
  // id); skip: nothing to match (both systems start empty), create from the first change.
  std::string first_sync = "required";
  std::string match_tax_field = "taxRegisterCode";
  std::string match_name_field = "name";
  std::string match_phone_field = "phone";
  bool review_name_only = true;
  // Customers arriving within this window of each other (and at most batch_max of them) are
  // planned together: the same customer changed on both sides is then found as a conflict.
  int64_t batch_window_ms = 200;
  int batch_max = 32;
};

struct GatewayConfig {
  std::string instance_name = "qiao";
  std::string data_dir = "./data";
  std::string timezone = "Asia/Shanghai";
  std::string log_level = "info";
  std::string log_file;             // "" = stderr
  std::string plugins_dir;          // "" = none
  std::string mappings_dir = "mappings";
  int workers = 8;                  // delivery threads
  int64_t drain_timeout_ms = 10000; // SIGTERM: wait this long for in-flight deliveries
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  int64_t max_body_bytes = 1048576;
  int64_t max_upload_bytes = 67108864;  // files posted to import jobs
  int max_threads = 64;
};

struct StoreConfig {
  std::string driver = "sqlite";
  std::string path;                 // default: <data_dir>/qiao.db
  int busy_timeout_ms = 5000;
  int64_t lease_ms = 30000;         // a claimed message returns to the queue after this
  std::string synchronous = "full"; // full | normal (normal: newest commits may roll back on power loss)
};

struct SecurityConfig {
  std::string bootstrap_admin_key;  // secret; if set, an admin key with this value exists at start
  bool require_auth = true;
  std::vector<std::string> secrets; // every resolved ${env:}/${file:} value, for log redaction
};

struct Config {
  std::string dir;                  // the config directory
  GatewayConfig gateway;
  ServerConfig server;
  StoreConfig store;
  SecurityConfig security;
  std::map<std::string, ConnectorConfig> connectors;
  std::map<std::string, RouteConfig> routes;
  std::map<std::string, ScheduleConfig> schedules;
  std::map<std::string, JobConfig> jobs;
  ReconciliationConfig reconciliation;
  SyncConfig sync;
};

struct LoadResult {
  std::optional<Config> config;           // set only when diagnostics is empty
  std::vector<Diagnostic> diagnostics;    // sorted by file, line, column
};

// Reads every *.yaml / *.yml file in dir (sorted by name), resolves ${env:NAME} and
// ${file:PATH} references, and validates the whole: sections, keys (did-you-mean), types,
// required fields, connector settings against each connector's schema in the registry,
// references between sections (route -> connector, mapping file), cron expressions.
LoadResult loadConfig(const std::string& dir, const sdk::Registry& registry);

}  // namespace qiao::config
