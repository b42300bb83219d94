// POST|GET /hooks/{connector}: a request pushed to a source connector. No API key: the
// connector authenticates the sender with its own scheme (a signature, a token).
#include <string>

#include "api.h"
#include "qiao/core/log.h"
#include "qiao/sdk/connector.h"

namespace qiao::http::detail {
namespace {

std::string shortName(std::string_view s) {
  return s.size() <= 64 ? std::string(s) : std::string(s.substr(0, 64)) + "...";
}

// A content type a connector may hand back: printable ASCII, no line breaks.
bool safeContentType(const std::string& v) {
  if (v.empty() || v.size() > 200) return false;
  for (char c : v) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Maps an error from Gateway::webhook to the standard error shape. The sender retries on
// 5xx, so only what a retry can fix (store, transient) is a 503.
void setWebhookError(Response& resp, const std::string& connector, const Error& e) {
  // The connector's message goes to the sender; redact as a second line of defence.
  std::string msg = log::redact(e.message);
  switch (e.code) {
    case ErrorCode::kNotFound:
      setError(resp, 404, "connector_not_found", msg);
      return;
    case ErrorCode::kUnauthorized:
      setError(resp, 401, "unauthorized", msg);  // no WWW-Authenticate: not a bearer scheme
      return;
    case ErrorCode::kForbidden:
      setError(resp, 403, "forbidden", msg);
      return;
    case ErrorCode::kPayloadTooLarge:
      setError(resp, 413, "payload_too_large", msg);
      return;
    case ErrorCode::kMalformedJson:
      setError(resp, 400, "malformed_json", msg);
      return;
    case ErrorCode::kStoreError:
    case ErrorCode::kStoreBusy:
    case ErrorCode::kLeaseLost:
      log::warn("http.store_error", {{"connector", connector}, {"error", e.message}});
      setError(resp, 503, "store_unavailable", "the message store is unavailable; retry later");
      resp.retry_after = true;
      return;
    case ErrorCode::kInternal:
      log::warn("http.internal_error", {{"connector", connector}, {"error", e.message}});
      setError(resp, 500, "internal", "internal error");
      return;
    default:
      break;
  }
  if (e.klass != ErrorClass::kPermanent) {
    log::warn("http.webhook_unavailable", {{"connector", connector}, {"error", e.message}});
    setError(resp, 503, "unavailable", "the connector cannot take this request now; retry later");
    resp.retry_after = true;
    return;
  }
  setError(resp, 400, "invalid_request", msg);
}

}  // namespace

void Api::webhook(Request& req, std::string_view connector_raw, Response& resp) {
  std::string connector;
  if (!percentDecode(connector_raw, false, &connector)) {
    setError(resp, 404, "connector_not_found", "unknown connector '" + shortName(connector_raw) + "'");
    return;
  }
  sdk::WebhookRequest wr;
  QueryParams params;
  std::string bad;
  if (!parseQuery(req.query, &params, &bad)) {
    setError(resp, 400, "invalid_parameter", "bad percent-encoding in query parameter '" +
                                                 shortName(bad) + "'");
    return;
  }
  for (auto& [k, v] : params) wr.query.emplace(std::move(k), std::move(v));  // first one wins
  wr.method = std::string(req.method);
  wr.path = std::string(req.path);
  wr.headers = std::move(req.headers);
  wr.body = std::move(req.body);

  auto reply = gateway_.webhook(connector, wr);
  if (!reply.ok()) {
    setWebhookError(resp, connector, reply.error());
    return;
  }
  if (reply->status < 200 || reply->status > 599) {
    log::warn("http.internal_error", {{"connector", connector},
                                      {"error", "webhook reply status " + std::to_string(reply->status)}});
    setError(resp, 500, "internal", "internal error");
    return;
  }
  resp.status = reply->status;
  resp.content_type_text = safeContentType(reply->content_type) ? reply->content_type : "text/plain";
  resp.body = std::move(reply->body);
}

}  // namespace qiao::http::detail
