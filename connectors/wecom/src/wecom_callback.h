// One call per callback request, for an endpoint built on the crypto and XML parts: checks
// the timestamp window (WeCom defines no replay protection; retries may reuse the original
// timestamp, so the window is generous), the signature, the receiveid, then parses the event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "wecom_crypto.h"
#include "wecom_xml.h"

namespace qiao::connectors::wecom {

// The query parameters, each URL-decoded exactly once.
struct CallbackQuery {
  std::string msg_signature;
  std::string timestamp;
  std::string nonce;
  std::string echostr;  // GET only
};

constexpr int64_t kDefaultCallbackSkewS = 600;

// GET: the plaintext to answer with (HTTP 200, that body only).
Result<std::string> answerUrlVerification(const CallbackKeys& keys, const CallbackQuery& q,
                                          int64_t now_unix_s,
                                          int64_t max_skew_s = kDefaultCallbackSkewS);

// POST: envelope → signature → decrypt → event.
Result<CallbackEvent> openCallback(const CallbackKeys& keys, const CallbackQuery& q,
                                   std::string_view body, int64_t now_unix_s,
                                   int64_t max_skew_s = kDefaultCallbackSkewS);

}  // namespace qiao::connectors::wecom
