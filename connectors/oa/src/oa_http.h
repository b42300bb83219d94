// HTTP for the OA clients: libcurl with a pool of kept-alive easy handles, no cookies ever
// (a stale JSESSIONID makes E9 act as the wrong user). Errors name the call, never the URL's
// query or a header value.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "qiao/core/result.h"

namespace qiao::connectors::oa {

struct HttpReply {
  long status = 0;
  std::string body;
  std::string retry_after;
};

struct HttpOptions {
  int64_t timeout_ms = 15'000;
  int64_t connect_timeout_ms = 3'000;
  bool tls_verify = true;
};

class Http {
 public:
  explicit Http(HttpOptions options);
  ~Http();
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;

  // One request. headers are "Name: value" lines. A transport failure is a classified Error
  // (timeouts, refused and reset connections: transient). `what` names the call in errors.
  Result<HttpReply> send(const std::string& method, const std::string& url,
                         const std::vector<std::string>& headers, const std::string& body,
                         const std::string& what);
  // Opens a TCP (TLS) connection only.
  Status connectOnly(const std::string& url);

 private:
  void* acquire();
  void release(void* handle);
  HttpOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;
};

// A non-2xx reply as an Error: 408/425/429/5xx transient (with Retry-After), 401 auth
// expired, other 4xx permanent. The body excerpt is cut to 512 bytes and redacted.
Error httpStatusError(const HttpReply& reply, const std::string& what);

// Text safe for an error message: redacted (registered secrets), at most max bytes.
std::string excerpt(const std::string& text, size_t max = 512);

// application/x-www-form-urlencoded value.
std::string formEncode(const std::string& s);

}  // namespace qiao::connectors::oa
