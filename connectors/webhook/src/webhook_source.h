// The `webhook` source: checks an HMAC-SHA256 signature (and a replay window) on a pushed
// JSON request and turns its body into records. It never polls.
#pragma once

#include <cstdint>
#include <string>

#include "qiao/core/clock.h"
#include "qiao/sdk/connector.h"

namespace qiao::connectors::webhook {

struct WebhookConfig {
  std::string secret;                            // HMAC key; never logged
  // Header names as configured (shown in messages); looked up case-insensitively.
  std::string signature_header = "X-Qiao-Signature";
  std::string timestamp_header = "X-Qiao-Timestamp";  // "" = none
  bool require_timestamp = true;
  int64_t tolerance_ms = 300000;
  std::string event_id_header = "X-Event-Id";    // "" = none
  std::string entity;                            // "" = the route's entity
  std::string records_pointer;                   // "" = the body itself
};

// Parses the connector's settings JSON (as the config layer hands it over).
Result<WebhookConfig> parseWebhookConfig(const std::string& json_text);

class WebhookSource final : public sdk::Source {
 public:
  WebhookSource(WebhookConfig config, std::string name, const Clock& clock = Clock::system());

  Result<sdk::PollResult> poll(const std::string& watermark, size_t max_records) override;
  Result<sdk::WebhookReply> onWebhook(const sdk::WebhookRequest& request) override;
  sdk::Health health() override;

 private:
  Status authenticate(const sdk::WebhookRequest& request) const;

  WebhookConfig config_;
  std::string name_;
  const Clock& clock_;
};

// Lower-case hex HMAC-SHA256 of data under key (what a sender puts after "sha256=").
std::string hmacSha256Hex(const std::string& key, const std::string& data);

}  // namespace qiao::connectors::webhook
