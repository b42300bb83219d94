#include "http_result.h"

#include <curl/curl.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "qiao/core/log.h"

namespace qiao::connectors::http {
namespace {

constexpr size_t kBodyExcerptBytes = 2048;
constexpr int64_t kMaxRetryAfterMs = 24LL * 3600 * 1000;
constexpr size_t kMaxResultBytes = 64 * 1024;  // larger answers are not kept as results

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool looksLikeJson(const HttpReply& reply) {
  if (reply.content_type.find("json") != std::string::npos) return true;
  auto t = trim(reply.body);
  return !t.empty() && (t.front() == '{' || t.front() == '[');
}

// A 2xx body that is a JSON object, parsed once; discarded otherwise.
nlohmann::json objectBody(const HttpReply& reply) {
  if (reply.body.empty() || !looksLikeJson(reply)) return nlohmann::json(nlohmann::json::value_t::discarded);
  auto j = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return nlohmann::json(nlohmann::json::value_t::discarded);
  return j;
}

std::string remoteIdFromBody(const nlohmann::json& body, const std::string& pointer) {
  if (pointer.empty() || body.is_discarded()) return "";
  try {
    nlohmann::json::json_pointer ptr(pointer);
    if (!body.contains(ptr)) return "";
    const auto& v = body.at(ptr);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number() || v.is_boolean()) return v.dump();
  } catch (const nlohmann::json::exception&) {
    // The pointer does not apply: fall back to Location.
  }
  return "";
}

std::string describeStatus(const HttpReply& reply, const std::string& display_url,
                           const HttpSinkConfig& cfg) {
  std::string msg = "HTTP " + std::to_string(reply.status) + " from " + cfg.method + " " +
                    display_url;
  auto body = excerpt(trim(reply.body), kBodyExcerptBytes, cfg.auth_token);
  if (!body.empty()) msg += ": " + body;
  return msg;
}

}  // namespace

int64_t parseRetryAfterMs(const std::string& raw, int64_t now_ms) {
  auto value = trim(raw);
  if (value.empty()) return 0;
  bool digits = true;
  for (unsigned char c : value) digits = digits && std::isdigit(c);
  int64_t ms = 0;
  if (digits) {
    if (value.size() > 9) return kMaxRetryAfterMs;
    ms = std::stoll(value) * 1000;
  } else {
    time_t when = curl_getdate(value.c_str(), nullptr);
    if (when < 0) return 0;
    ms = static_cast<int64_t>(when) * 1000 - now_ms;
  }
  if (ms < 0) return 0;
  return ms > kMaxRetryAfterMs ? kMaxRetryAfterMs : ms;
}

std::string excerpt(const std::string& text, size_t max_bytes, const std::string& secret) {
  std::string out = text;
  if (!secret.empty()) {
    for (size_t pos = out.find(secret); pos != std::string::npos;
         pos = out.find(secret, pos + 3)) {
      out.replace(pos, secret.size(), "***");
    }
  }
  out = log::redact(out);
  if (out.size() > max_bytes) {
    size_t cut = max_bytes;
    // Step back over UTF-8 continuation bytes so the cut never splits a character.
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "...";
  }
  return out;
}

Result<sdk::Delivery> classifyReply(const HttpReply& reply, const HttpSinkConfig& cfg,
                                    const std::string& display_url, int64_t now_ms) {
  long s = reply.status;
  if (s >= 200 && s < 300) {
    sdk::Delivery d;
    auto body = objectBody(reply);
    d.remote_id = remoteIdFromBody(body, cfg.remote_id_field);
    if (d.remote_id.empty()) d.remote_id = trim(reply.location);
    // The answer is kept for on_delivered (xref, write-backs) when it is a small object.
    if (!body.is_discarded() && reply.body.size() <= kMaxResultBytes) d.result_json = body.dump();
    return d;
  }
  auto msg = describeStatus(reply, display_url, cfg);
  if (s == 408 || s == 425 || s == 429 || s >= 500) {
    Error e = Error::transient(ErrorCode::kRemoteTransient, std::move(msg));
    e.retry_after_ms = parseRetryAfterMs(reply.retry_after, now_ms);
    return e;
  }
  if (s == 401) return Error::authExpired(std::move(msg));
  return Error::permanent(ErrorCode::kRemotePermanent, std::move(msg));
}

Error classifyTransportError(int curl_code, const std::string& detail,
                             const std::string& display_url, const HttpSinkConfig& cfg) {
  auto code = static_cast<CURLcode>(curl_code);
  std::string what = cfg.method + " " + display_url + ": " +
                     excerpt(detail.empty() ? curl_easy_strerror(code) : detail, 512,
                             cfg.auth_token);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Error::transient(ErrorCode::kTimeout, "timed out: " + what);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return Error::transient(ErrorCode::kRemoteTransient, "connection failed: " + what);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Error::permanent(ErrorCode::kConfigInvalid, "bad url: " + what);
    default:
      // TLS trust problems and anything unexpected stay queued (transient): retrying after
      // an operator fixes the certificate must not find the records dead-lettered.
      return Error::transient(ErrorCode::kConnectorError, "request failed: " + what);
  }
}

}  // namespace qiao::connectors::http
