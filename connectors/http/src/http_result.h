// Maps what came back from the target (an HTTP status or a transport failure) to a Delivery
// or a classified Error. Pure functions, so the policy can be tested without a network.
#pragma once

#include <cstdint>
#include <string>

#include "http_config.h"
#include "qiao/core/result.h"
#include "qiao/sdk/connector.h"

namespace qiao::connectors::http {

struct HttpReply {
  long status = 0;
  std::string body;
  std::string content_type;
  std::string location;
  std::string retry_after;
};

// Retry-After as delay-seconds or an HTTP-date; 0 when absent or unparsable.
int64_t parseRetryAfterMs(const std::string& value, int64_t now_ms);

// At most max_bytes of text (cut on a UTF-8 boundary), with `secret` replaced by "***".
std::string excerpt(const std::string& text, size_t max_bytes, const std::string& secret);

// 2xx → Delivery (remote id from the body's JSON pointer, else Location, else "");
// 408/425/429/5xx → transient; 401 → auth expired; anything else → permanent.
Result<sdk::Delivery> classifyReply(const HttpReply& reply, const HttpSinkConfig& cfg,
                                    const std::string& display_url, int64_t now_ms);

// A libcurl failure (CURLcode) before a complete reply arrived.
Error classifyTransportError(int curl_code, const std::string& detail,
                             const std::string& display_url, const HttpSinkConfig& cfg);

}  // namespace qiao::connectors::http
