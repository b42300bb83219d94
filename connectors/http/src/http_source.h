// The `http` source: an incremental pull of a JSON list endpoint (settings `pull:`), e.g. a
// CRM's customers, as a safety net beside its webhooks.
//
// Each poll GETs `url` with since_param = watermark - overlap, page after page through the
// reply's next cursor (bounded by max_records and pull.max_pages); skips the (id, modified)
// pairs the watermark says were already emitted; and emits the rest oldest first. Any error
// (a non-2xx reply, a timeout, a reply that is not JSON, a record without its id or modified
// time) fails the whole poll: nothing is returned and the watermark stays where it was, so the
// next fire reads the same records again.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "http_config.h"
#include "http_pull.h"
#include "qiao/sdk/connector.h"

namespace qiao::connectors::http {

class HttpSource final : public sdk::Source {
 public:
  HttpSource(HttpSinkConfig cfg, HttpPullConfig pull, std::string instance_name);
  ~HttpSource() override;

  Result<sdk::PollResult> poll(const std::string& watermark, size_t max_records) override;
  sdk::Health health() override;

  // The URL of one page request (exposed for tests).
  std::string pageUrl(const std::optional<int64_t>& lower, const std::string& cursor) const;

 private:
  struct Page;
  // GETs one page and reads its items and next cursor; page_no only names it in errors.
  Result<Page> fetch(const std::string& url, int page_no);

  HttpSinkConfig cfg_;  // the shared settings: url, auth_token, headers, timeouts, TLS
  HttpPullConfig pull_;
  std::string instance_name_;
  std::string display_url_;
  std::mutex mu_;         // guards curl_: one request at a time
  void* curl_ = nullptr;  // a CURL easy handle, kept so its connection is reused
};

// Settings for the source: the connection part of the sink's settings plus `pull:`.
Result<HttpSinkConfig> parseHttpSourceConnection(const std::string& settings_json);

}  // namespace qiao::connectors::http
