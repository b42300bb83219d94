// The `wecom` connector as a route source: WeCom calls back on /hooks/wecom/{connector}
// (or /hooks/{connector}). GET answers the URL verification (echostr decrypted and echoed);
// POST checks, in order, the timestamp window, the envelope, the signature over the sorted
// token/timestamp/nonce/Encrypt, the AES decryption with receiveid = corpid, and a nonce
// replay cache of our own, then turns the event into a record:
//   sys_approval_change      → entity approval_event (payload: approvalPayload)
//   change_external_contact  → entity contact_event
// Refusals are kUnauthorized (HTTP 401) and logged with the reason, never with secrets.
// Idempotency keys come from the event content, so WeCom's retries of one event are one
// message. Other events and messages are acknowledged (HTTP 200, empty body) and dropped
// with a debug log line. The source never polls.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "qiao/core/clock.h"
#include "qiao/sdk/connector.h"
#include "wecom_crypto.h"
#include "wecom_xml.h"

namespace qiao::connectors::wecom {

struct WecomSourceConfig {
  std::string corp_id;
  std::string receive_id;        // "" = corp_id (a suite id for third-party callbacks)
  std::string callback_token;    // secret
  std::string encoding_aes_key;  // secret, 43 characters
  int64_t callback_window_s = 300;   // |now − timestamp| allowed
  size_t nonce_cache_size = 100000;  // nonces remembered (each for 2 × the window)
  std::string approval_entity = "approval_event";
  std::string contact_entity = "contact_event";
};

// Reads the source settings from the connector's JSON block; kConfigInvalid errors list
// every problem and never carry a secret.
Result<WecomSourceConfig> parseWecomSourceConfig(const std::string& json);

class WecomSource final : public sdk::Source {
 public:
  WecomSource(WecomSourceConfig config, CallbackKeys keys, std::string name,
              const Clock& clock = Clock::system());
  static Result<std::unique_ptr<WecomSource>> create(WecomSourceConfig config, std::string name,
                                                     const Clock& clock = Clock::system());

  Result<sdk::PollResult> poll(const std::string& watermark, size_t max_records) override;
  Result<sdk::WebhookReply> onWebhook(const sdk::WebhookRequest& request) override;
  sdk::Health health() override;

  uint64_t refused() const { return refused_.load(); }
  uint64_t accepted() const { return accepted_.load(); }

 private:
  Result<sdk::WebhookReply> verifyUrl(const sdk::WebhookRequest& request, int64_t now_s);
  Result<sdk::WebhookReply> receive(const sdk::WebhookRequest& request, int64_t now_s);
  Error refuse(const std::string& reason, const sdk::WebhookRequest& request);
  // False if the nonce was seen within its lifetime; remembers it otherwise.
  bool rememberNonce(const std::string& nonce, int64_t now_s);
  Result<Record> toRecord(const CallbackEvent& event) const;

  WecomSourceConfig config_;
  CallbackKeys keys_;
  std::string name_;
  const Clock& clock_;

  std::mutex nonce_mu_;
  std::unordered_map<std::string, int64_t> nonces_;     // nonce → forget after (unix s)
  std::deque<std::pair<int64_t, std::string>> nonce_order_;
  std::atomic<uint64_t> refused_{0}, accepted_{0};
};

}  // namespace qiao::connectors::wecom
