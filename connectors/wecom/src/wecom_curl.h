// The libcurl Transport: kept-alive easy handles in a small pool. Errors name the call
// (`what`) and libcurl's reason, never the URL (it carries secrets in its query).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "wecom_token.h"

namespace qiao::connectors::wecom {

struct CurlOptions {
  int64_t timeout_ms = 10'000;
  int64_t connect_timeout_ms = 3'000;
  bool tls_verify = true;
};

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(CurlOptions options);
  ~CurlTransport() override;
  Result<HttpResponse> get(const std::string& url, const std::string& what) override;
  Result<HttpResponse> postJson(const std::string& url, const std::string& body,
                                const std::string& what) override;

 private:
  Result<HttpResponse> perform(const std::string& url, const std::string* body,
                               const std::string& what);
  void* acquire();
  void release(void* handle);

  CurlOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;  // CURL* easy handles
};

}  // namespace qiao::connectors::wecom
