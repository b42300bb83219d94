// The `http` sink: one JSON request per record over libcurl, with kept-alive connections.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http_config.h"
#include "url_template.h"
#include "qiao/sdk/connector.h"

namespace qiao::connectors::http {

// Once per process, thread-safe.
void ensureCurlGlobalInit();

// The libcurl options every request of this connector sets (sink, its health check, source):
// the URL, http/https only, no signals, the connect timeout, `transfer_timeout_ms` for the
// whole transfer, TLS verification and CA file, and `errbuf` (CURL_ERROR_SIZE) for the detail.
void setCommonCurlOptions(void* curl, const HttpSinkConfig& cfg, const std::string& url,
                          long transfer_timeout_ms, char* errbuf);
// Runs the request set up on `curl`; *status = the HTTP status (0 when none). Afterwards the
// handle no longer points into the caller's frame (error buffer, header list).
CURLcode performRequest(void* curl, long* status);

// Request header lines ("Name: value") as the curl_slist CURLOPT_HTTPHEADER takes; freed with it.
class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList();
  void add(const std::string& line);
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

class HttpSink final : public sdk::Sink {
 public:
  HttpSink(HttpSinkConfig cfg, std::string instance_name);
  ~HttpSink() override;

  Result<sdk::Delivery> deliver(const Record& record) override;
  sdk::Health health() override;

 private:
  struct Handle;  // a CURL easy handle and its connection cache
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> handle);

  HttpSinkConfig cfg_;
  UrlTemplate url_;  // cfg_.url, placeholders resolved per record
  std::string instance_name_;
  std::string display_url_;
  std::vector<std::string> static_headers_;  // "Name: value" lines sent on every request
  // Idle handles. A delivering thread takes one and gives it back, so a thread that delivers
  // in a loop keeps reusing the same warm connection; the pool grows to the concurrency.
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Handle>> pool_;
};

}  // namespace qiao::connectors::http
