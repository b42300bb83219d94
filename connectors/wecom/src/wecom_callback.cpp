#include "wecom_callback.h"

#include <charconv>

namespace qiao::connectors::wecom {
namespace {

Status checkTimestamp(std::string_view ts, int64_t now, int64_t max_skew) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), v);
  if (ts.empty() || ec != std::errc() || end != ts.data() + ts.size())
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "wecom callback: timestamp is missing or not a number");
  int64_t skew = v > now ? v - now : now - v;
  if (skew > max_skew)
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "wecom callback: timestamp is " + std::to_string(skew) +
                                " s away from now (window " + std::to_string(max_skew) +
                                " s; replay or clock skew)");
  return Status::okStatus();
}

}  // namespace

Result<std::string> answerUrlVerification(const CallbackKeys& keys, const CallbackQuery& q,
                                          int64_t now_unix_s, int64_t max_skew_s) {
  QIAO_RETURN_IF_ERROR(checkTimestamp(q.timestamp, now_unix_s, max_skew_s));
  if (q.echostr.empty())
    return Error::permanent(ErrorCode::kInvalidArgument, "wecom callback: echostr is missing");
  return verifyUrl(keys, q.msg_signature, q.timestamp, q.nonce, q.echostr);
}

Result<CallbackEvent> openCallback(const CallbackKeys& keys, const CallbackQuery& q,
                                   std::string_view body, int64_t now_unix_s,
                                   int64_t max_skew_s) {
  QIAO_RETURN_IF_ERROR(checkTimestamp(q.timestamp, now_unix_s, max_skew_s));
  auto env = parseEnvelope(body);
  if (!env.ok()) return env.takeError();
  auto xml = decryptCallback(keys, q.msg_signature, q.timestamp, q.nonce, env->encrypt);
  if (!xml.ok()) return xml.takeError();
  return parseEvent(*xml);
}

}  // namespace qiao::connectors::wecom
