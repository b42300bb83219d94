// Path matching, authentication and dispatch.
#include <string>

#include "api.h"
#include "qiao/core/log.h"

namespace qiao::http::detail {
namespace {

constexpr uint8_t kIngestRoles = kRoleIngest | kRoleOperator | kRoleAdmin;
constexpr uint8_t kOperatorRoles = kRoleOperator | kRoleAdmin;
constexpr uint8_t kFinanceRoles = kRoleFinance | kRoleAdmin;

// Splits "/a/b/c" into at most 6 segments; false if there are more.
struct Segments {
  std::array<std::string_view, 6> s{};
  size_t n = 0;
};
bool split(std::string_view path, Segments* out) {
  if (path.empty() || path.front() != '/') return false;
  path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  while (!path.empty()) {
    if (out->n == out->s.size()) return false;
    size_t slash = path.find('/');
    out->s[out->n++] = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return true;
}

bool isLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" ||
         host.rfind("127.", 0) == 0;
}

const char* classLabel(int i) { return i == 0 ? "2xx" : i == 1 ? "4xx" : "5xx"; }

}  // namespace

const char* endpointName(Endpoint e) {
  switch (e) {
    case Endpoint::kIngest: return "ingest";
    case Endpoint::kGetMessage: return "get_message";
    case Endpoint::kListMessages: return "list_messages";
    case Endpoint::kListDeadLetters: return "list_dead_letters";
    case Endpoint::kGetDeadLetter: return "get_dead_letter";
    case Endpoint::kReplayOne: return "replay";
    case Endpoint::kReplayBulk: return "replay_bulk";
    case Endpoint::kConnectors: return "connectors";
    case Endpoint::kXref: return "xref";
    case Endpoint::kJobs: return "jobs";
    case Endpoint::kJobRun: return "job_run";
    case Endpoint::kJobFile: return "job_file";
    case Endpoint::kReconPayments: return "recon_payments";
    case Endpoint::kReconOrders: return "recon_orders";
    case Endpoint::kReconSummary: return "recon_summary";
    case Endpoint::kReconMatches: return "recon_matches";
    case Endpoint::kApprovals: return "approvals";
    case Endpoint::kSyncConflicts: return "sync_conflicts";
    case Endpoint::kSyncReview: return "sync_review";
    case Endpoint::kSyncResolve: return "sync_resolve";
    case Endpoint::kSyncLinks: return "sync_links";
    case Endpoint::kSyncWrites: return "sync_writes";
    case Endpoint::kSyncFirstSync: return "sync_first_sync";
    case Endpoint::kHealthz: return "healthz";
    case Endpoint::kReadyz: return "readyz";
    case Endpoint::kMetrics: return "metrics";
    case Endpoint::kWebhook: return "webhook";
    case Endpoint::kNotFound:
    case Endpoint::kCount: break;
  }
  return "unknown";
}

std::string actorOf(const Principal& who) { return "key:" + who.key_id; }

void setError(Response& resp, int status, const char* code, std::string_view message) {
  resp.status = status;
  resp.content_type = "application/json";
  resp.error_code = code;
  resp.body = errorBody(code, message);
}

void setStoreError(Response& resp, const Error& e, const char* not_found_code) {
  switch (e.code) {
    case ErrorCode::kNotFound:
      setError(resp, 404, not_found_code, e.message);
      return;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kConflict:
      setError(resp, 409, "conflict", e.message);
      return;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kMappingError:
      setError(resp, 400, "invalid_request", e.message);
      return;
    case ErrorCode::kStoreError:
    case ErrorCode::kStoreBusy:
    case ErrorCode::kLeaseLost:
      // The detail (paths, SQL) is for the operator's log, not for the client.
      log::warn("http.store_error", {{"error", e.message}});
      setError(resp, 503, "store_unavailable", "the message store is unavailable; retry later");
      resp.retry_after = true;
      return;
    default:
      log::warn("http.internal_error", {{"error", e.message}});
      setError(resp, 500, "internal", "internal error");
      return;
  }
}

Api::Api(runtime::Gateway& gateway, const ApiServerOptions& options)
    : gateway_(gateway),
      options_(options),
      auth_(gateway.store(), gateway.config().security.bootstrap_admin_key),
      loopback_(isLoopback(options.host)) {
  // Series are created once so the hot path only touches atomics.
  auto& reg = gateway.metrics();
  for (size_t e = 0; e < static_cast<size_t>(Endpoint::kCount); ++e) {
    const char* name = endpointName(static_cast<Endpoint>(e));
    for (int c = 0; c < 3; ++c) {
      requests_[e * 3 + c] = &reg.counter("qiao_http_requests_total", "HTTP API requests",
                                          {{"endpoint", name}, {"code", classLabel(c)}});
    }
    latency_[e] = &reg.histogram("qiao_http_request_seconds", "HTTP API request latency",
                                 {{"endpoint", name}});
  }
}

void Api::observe(Endpoint e, int status, int64_t latency_us) {
  size_t i = static_cast<size_t>(e);
  int c = status >= 500 ? 2 : status >= 400 ? 1 : 0;
  requests_[i * 3 + c]->inc();
  latency_[i]->observe(static_cast<double>(latency_us) / 1e6);
}

Api::Matched Api::match(std::string_view method, std::string_view path) const {
  Matched m;
  Segments seg;
  if (!split(path, &seg)) return m;
  auto set = [&](Endpoint e, const char* allow, std::string_view arg = {}) {
    m.endpoint = e;
    m.allow = allow;
    m.method_ok = std::string_view(allow) == method;
    m.arg = arg;
  };
  const auto& s = seg.s;
  if (seg.n == 1) {
    if (s[0] == "healthz") set(Endpoint::kHealthz, "GET");
    else if (s[0] == "readyz") set(Endpoint::kReadyz, "GET");
    else if (s[0] == "metrics") set(Endpoint::kMetrics, "GET");
    return m;
  }
  if (seg.n == 3 && s[0] == "hooks" && s[1] == "wecom" && !s[2].empty()) {
    // WeCom's callback URL, /hooks/wecom/{connector}: the same connector hook.
    set(Endpoint::kWebhook, "GET, POST", s[2]);
    m.method_ok = method == "GET" || method == "POST";
    return m;
  }
  if (seg.n == 2 && s[0] == "hooks" && !s[1].empty()) {
    // GET too: some senders verify the URL with a GET before they push.
    set(Endpoint::kWebhook, "GET, POST", s[1]);
    m.method_ok = method == "GET" || method == "POST";
    return m;
  }
  if (seg.n < 3 || s[0] != "api" || s[1] != "v1") return m;
  if (s[2] == "routes" && seg.n == 5 && s[4] == "messages" && !s[3].empty()) {
    set(Endpoint::kIngest, "POST", s[3]);
  } else if (s[2] == "messages") {
    if (seg.n == 3) set(Endpoint::kListMessages, "GET");
    else if (seg.n == 4) set(Endpoint::kGetMessage, "GET", s[3]);
  } else if (s[2] == "dead-letters") {
    if (seg.n == 3) set(Endpoint::kListDeadLetters, "GET");
    else if (seg.n == 4 && s[3] == "replay") set(Endpoint::kReplayBulk, "POST");
    else if (seg.n == 4) set(Endpoint::kGetDeadLetter, "GET", s[3]);
    else if (seg.n == 5 && s[4] == "replay") set(Endpoint::kReplayOne, "POST", s[3]);
  } else if (s[2] == "connectors" && seg.n == 3) {
    set(Endpoint::kConnectors, "GET");
  } else if (s[2] == "xref" && seg.n == 3) {
    set(Endpoint::kXref, "GET");
  } else if (s[2] == "jobs" && seg.n == 3) {
    set(Endpoint::kJobs, "GET");
  } else if (s[2] == "jobs" && seg.n == 5 && !s[3].empty() && s[4] == "run") {
    set(Endpoint::kJobRun, "POST", s[3]);
  } else if (s[2] == "jobs" && seg.n == 5 && !s[3].empty() && s[4] == "files") {
    set(Endpoint::kJobFile, "POST", s[3]);
  } else if (s[2] == "approvals" && seg.n == 3) {
    set(Endpoint::kApprovals, "GET");
  } else if (s[2] == "reconciliation" && seg.n == 4) {
    if (s[3] == "payments") set(Endpoint::kReconPayments, "GET");
    else if (s[3] == "orders") set(Endpoint::kReconOrders, "GET");
    else if (s[3] == "summary") set(Endpoint::kReconSummary, "GET");
    else if (s[3] == "matches") set(Endpoint::kReconMatches, "POST");
  } else if (s[2] == "sync" && seg.n == 4) {
    if (s[3] == "conflicts") set(Endpoint::kSyncConflicts, "GET");
    else if (s[3] == "review") set(Endpoint::kSyncReview, "GET");
    else if (s[3] == "links") set(Endpoint::kSyncLinks, "GET");
    else if (s[3] == "writes") set(Endpoint::kSyncWrites, "GET");
    else if (s[3] == "first-sync") set(Endpoint::kSyncFirstSync, "POST");
  } else if (s[2] == "sync" && seg.n == 5 && s[3] == "review" && !s[4].empty()) {
    set(Endpoint::kSyncResolve, "POST", s[4]);
  }
  return m;
}

void Api::handle(Request& req, Response& resp) {
  Matched m = match(req.method, req.path);
  resp.endpoint = m.endpoint;
  if (m.endpoint == Endpoint::kNotFound) {
    setError(resp, 404, "not_found", "no such endpoint");
    return;
  }
  if (!m.method_ok) {
    setError(resp, 405, "method_not_allowed",
             std::string("this endpoint accepts only ") + m.allow);
    resp.allow = m.allow;
    return;
  }

  uint8_t allowed = 0;
  switch (m.endpoint) {
    case Endpoint::kHealthz:
    case Endpoint::kReadyz:
    case Endpoint::kWebhook: break;  // the connector authenticates the sender its own way
    case Endpoint::kIngest: allowed = kIngestRoles; break;
    case Endpoint::kMetrics: allowed = loopback_ ? 0 : kOperatorRoles; break;
    case Endpoint::kReconPayments:
    case Endpoint::kReconOrders:
    case Endpoint::kReconSummary:
    case Endpoint::kReconMatches: allowed = kFinanceRoles; break;
    default: allowed = kOperatorRoles; break;
  }
  Principal who;
  if (!options_.require_auth) {
    who.role = kRoleAdmin;
    who.key_id = "local-dev";
  } else if (allowed != 0) {
    switch (auth_.authenticate(req.authorization, &who)) {
      case Authenticator::Outcome::kOk: break;
      case Authenticator::Outcome::kMissing:
        setError(resp, 401, "unauthorized", "missing API key: send Authorization: Bearer <key>");
        resp.www_authenticate = true;
        return;
      case Authenticator::Outcome::kInvalid:
        setError(resp, 401, "unauthorized", "invalid or revoked API key");
        resp.www_authenticate = true;
        return;
      case Authenticator::Outcome::kStoreError:
        setError(resp, 503, "store_unavailable", "cannot check the API key; retry later");
        resp.retry_after = true;
        return;
    }
    if ((who.role & allowed) == 0) {
      setError(resp, 403, "forbidden", "this API key's role may not use this endpoint");
      return;
    }
  }
  if (req.body_too_large) {
    setError(resp, 413, "payload_too_large",
             "request body exceeds " + std::to_string(options_.max_body_bytes) + " bytes");
    return;
  }

  switch (m.endpoint) {
    case Endpoint::kIngest: ingest(req, m.arg, resp); return;
    case Endpoint::kGetMessage: getMessage(m.arg, resp); return;
    case Endpoint::kListMessages: listMessages(req, resp); return;
    case Endpoint::kListDeadLetters: listDeadLetters(req, resp); return;
    case Endpoint::kGetDeadLetter: getDeadLetter(m.arg, resp); return;
    case Endpoint::kReplayOne: replayOne(req, m.arg, who, resp); return;
    case Endpoint::kReplayBulk: replayBulk(req, who, resp); return;
    case Endpoint::kConnectors: connectors(resp); return;
    case Endpoint::kXref: xref(req, resp); return;
    case Endpoint::kJobs: jobs(resp); return;
    case Endpoint::kJobRun: runJob(m.arg, who, resp); return;
    case Endpoint::kJobFile: postJobFile(req, m.arg, who, resp); return;
    case Endpoint::kReconPayments: reconPayments(req, resp); return;
    case Endpoint::kReconOrders: reconOrders(req, resp); return;
    case Endpoint::kReconSummary: reconSummary(req, resp); return;
    case Endpoint::kReconMatches: reconMatches(req, who, resp); return;
    case Endpoint::kApprovals: listApprovals(req, resp); return;
    case Endpoint::kSyncConflicts:
    case Endpoint::kSyncReview:
    case Endpoint::kSyncLinks:
    case Endpoint::kSyncWrites: syncList(req, m.endpoint, resp); return;
    case Endpoint::kSyncResolve: syncResolve(req, m.arg, who, resp); return;
    case Endpoint::kSyncFirstSync: syncFirstSync(req, who, resp); return;
    case Endpoint::kHealthz:
      resp.status = 200;
      resp.body = "{\"status\":\"ok\"}";
      return;
    case Endpoint::kReadyz: readyz(resp); return;
    case Endpoint::kMetrics: metricsText(resp); return;
    case Endpoint::kWebhook: webhook(req, m.arg, resp); return;
    case Endpoint::kNotFound:
    case Endpoint::kCount: break;
  }
  setError(resp, 404, "not_found", "no such endpoint");
}

}  // namespace qiao::http::detail
