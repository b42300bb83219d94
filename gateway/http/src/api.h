// The API without the transport: the POCO adapter (api_server.cpp) turns a request into a
// Request, calls Api::handle and writes the Response. Keeping POCO out of here keeps the
// endpoint logic small and readable.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "auth.h"
#include "qiao/core/metrics.h"
#include "qiao/http/api_server.h"
#include "qiao/runtime/gateway.h"
#include "wire.h"

namespace qiao::http::detail {

enum class Endpoint : uint8_t {
  kIngest, kGetMessage, kListMessages, kListDeadLetters, kGetDeadLetter, kReplayOne,
  kReplayBulk, kConnectors, kXref, kJobs, kJobRun, kJobFile, kReconPayments, kReconOrders,
  kReconSummary, kReconMatches, kApprovals, kSyncConflicts, kSyncReview, kSyncResolve, kSyncLinks,
  kSyncWrites, kSyncFirstSync, kHealthz, kReadyz, kMetrics, kWebhook, kNotFound, kCount
};

struct Request {
  std::string_view method;
  std::string_view path;            // raw, without the query
  std::string_view query;           // raw, after '?'
  std::string_view authorization;
  std::string_view idempotency_key;
  std::string_view trace_id;
  std::string body;
  bool body_too_large = false;
  // Only for /hooks/...: every header, names lower-cased (the connector checks its own
  // signature headers). Other endpoints skip this so the ingest path stays cheap.
  std::map<std::string, std::string> headers;
};

// POST /api/v1/jobs/{job}/files: a spreadsheet, read up to server.max_upload_bytes.
inline bool isUpload(std::string_view path) {
  return path.substr(0, 13) == "/api/v1/jobs/" && path.size() > 19 &&
         path.substr(path.size() - 6) == "/files";
}

// Requests whose headers the transport collects into Request::headers.
inline bool wantsAllHeaders(std::string_view path) {
  return path.substr(0, 7) == "/hooks/";
}

struct Response {
  int status = 200;
  std::string body;
  const char* content_type = "application/json";
  std::string content_type_text;    // set by a webhook reply; wins over content_type
  const char* allow = nullptr;      // 405: the Allow header
  bool www_authenticate = false;    // 401
  bool retry_after = false;         // 503: Retry-After: 1
  const char* error_code = nullptr; // for the request log
  Endpoint endpoint = Endpoint::kNotFound;  // for the request log and metrics
};

class Api {
 public:
  Api(runtime::Gateway& gateway, const ApiServerOptions& options);
  void handle(Request& req, Response& resp);
  // Counts the request in qiao_http_requests_total / qiao_http_request_seconds.
  void observe(Endpoint e, int status, int64_t latency_us);

 private:
  struct Matched {
    Endpoint endpoint = Endpoint::kNotFound;
    const char* allow = nullptr;   // methods the path accepts
    bool method_ok = false;
    std::string_view arg;          // {route} or {id}
  };
  Matched match(std::string_view method, std::string_view path) const;

  // handlers_messages.cpp
  void ingest(const Request& req, std::string_view route, Response& resp);
  void getMessage(std::string_view id, Response& resp);
  void listMessages(const Request& req, Response& resp);
  // handlers_ops.cpp
  void listDeadLetters(const Request& req, Response& resp);
  void getDeadLetter(std::string_view id, Response& resp);
  void replayOne(const Request& req, std::string_view id, const Principal& who, Response& resp);
  void replayBulk(const Request& req, const Principal& who, Response& resp);
  void connectors(Response& resp);
  void xref(const Request& req, Response& resp);
  void jobs(Response& resp);
  // handlers_jobs.cpp
  void runJob(std::string_view job, const Principal& who, Response& resp);
  void postJobFile(const Request& req, std::string_view job, const Principal& who, Response& resp);
  void reconPayments(const Request& req, Response& resp);
  void reconOrders(const Request& req, Response& resp);
  void reconSummary(const Request& req, Response& resp);
  void reconMatches(const Request& req, const Principal& who, Response& resp);
  // handlers_sync.cpp
  void syncList(const Request& req, Endpoint e, Response& resp);
  void syncResolve(const Request& req, std::string_view id, const Principal& who, Response& resp);
  void syncFirstSync(const Request& req, const Principal& who, Response& resp);
  void readyz(Response& resp);
  void metricsText(Response& resp);
  // handlers_approvals.cpp
  void listApprovals(const Request& req, Response& resp);
  // handlers_webhook.cpp
  void webhook(Request& req, std::string_view connector, Response& resp);

  runtime::Gateway& gateway_;
  ApiServerOptions options_;
  Authenticator auth_;
  bool loopback_;
  std::array<metrics::Counter*, static_cast<size_t>(Endpoint::kCount) * 3> requests_{};
  std::array<metrics::Histogram*, static_cast<size_t>(Endpoint::kCount)> latency_{};
};

void setError(Response& resp, int status, const char* code, std::string_view message);
// Maps a runtime/store error to a response: NotFound -> 404 with not_found_code, store
// errors -> 503 store_unavailable, everything else -> 500 internal.
void setStoreError(Response& resp, const Error& e, const char* not_found_code);
const char* endpointName(Endpoint e);
// A query's parameters into a map; false (resp set: 400) on bad percent-encoding or a name not
// in `allowed`, naming the allowed ones.
bool readParams(const Request& req, const std::vector<std::string>& allowed,
                std::map<std::string, std::string>* out, Response& resp);
std::string actorOf(const Principal& who);


// The query of a list endpoint: limit and cursor (paging), route and key (the business key)
// go into the filter; any other parameter goes to `extra(name, value, &error)`, which
// returns false when it is bad or unknown. False (with resp set) on the first bad one.
template <typename Filter, typename Extra>
bool parseListQuery(std::string_view query, Filter* filter, const char* allowed, Extra extra,
                    Response& resp) {
  QueryParams params;
  std::string bad;
  if (!parseQuery(query, &params, &bad)) {
    setError(resp, 400, "invalid_parameter", "bad percent-encoding in parameter " + bad.substr(0, 64));
    return false;
  }
  filter->limit = 50;
  for (const auto& [name, value] : params) {
    bool handled = false;
    std::string err;
    if (!parsePaging(name, value, 500, &filter->limit, &filter->after_id, &handled, &err)) {
      setError(resp, 400, "invalid_parameter", err);
      return false;
    }
    if (handled) continue;
    if (name == "route") {
      filter->route = value;
    } else if (name == "key") {
      filter->business_key = value;
    } else if (!extra(name, value, &err)) {
      if (err.empty())
        err = "unknown parameter '" + name.substr(0, 64) + "' (allowed: " + allowed + ")";
      setError(resp, 400, "invalid_parameter", err);
      return false;
    }
  }
  return true;
}

// {"items":[...],"next_cursor":"<last id>"|null}: a cursor only when the page was full.
template <typename List, typename ToJson>
void writePage(const List& list, int limit, ToJson to_json, Response& resp) {
  nlohmann::ordered_json items = nlohmann::ordered_json::array();
  for (const auto& x : list) items.push_back(to_json(x));
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["items"] = std::move(items);
  if (!list.empty() && static_cast<int>(list.size()) >= limit) {
    j["next_cursor"] = std::to_string(list.back().id);
  } else {
    j["next_cursor"] = nullptr;
  }
  resp.status = 200;
  resp.body = dumpSafe(j);
}

}  // namespace qiao::http::detail
