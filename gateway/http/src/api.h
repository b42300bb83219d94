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
  kReplayBulk, kConnectors, kHealthz, kReadyz, kMetrics, kWebhook, kNotFound, kCount
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
  void readyz(Response& resp);
  void metricsText(Response& resp);
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
std::string actorOf(const Principal& who);

}  // namespace qiao::http::detail
