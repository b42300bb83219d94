#include "wecom_source.h"

#include <openssl/sha.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "qiao/core/log.h"
#include "wecom_approval.h"
#include "wecom_callback.h"

namespace qiao::connectors::wecom {
namespace {

using nlohmann::json;

constexpr size_t kMaxNonce = 128;

Error configError(const std::string& what) {
  return Error::permanent(ErrorCode::kConfigInvalid, "wecom source config: " + what);
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// Integer milliseconds (what the config layer hands over) or text such as "300s", "5m".
bool durationMs(const json& v, int64_t* out) {
  if (v.is_number_integer()) {
    *out = v.get<int64_t>();
    return true;
  }
  if (!v.is_string()) return false;
  const std::string s = v.get<std::string>();
  size_t i = 0;
  int64_t n = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && n < 1'000'000'000)
    n = n * 10 + (s[i++] - '0');
  if (i == 0) return false;
  const std::string unit = s.substr(i);
  if (unit == "ms") *out = n;
  else if (unit == "s") *out = n * 1000;
  else if (unit == "m") *out = n * 60'000;
  else if (unit == "h") *out = n * 3'600'000;
  else return false;
  return true;
}

std::string query(const sdk::WebhookRequest& r, const char* key) {
  auto it = r.query.find(key);
  return it == r.query.end() ? "" : it->second;
}

std::string sha1Hex(const std::string& text, size_t chars) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : d) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out.substr(0, chars);
}

int64_t toInt(const std::string& s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoll(s);
}

}  // namespace

Result<WecomSourceConfig> parseWecomSourceConfig(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return configError("the block is not an object");
  WecomSourceConfig c;
  std::vector<std::string> problems;
  c.corp_id = str(j, "corp_id");
  c.receive_id = str(j, "receive_id");
  c.callback_token = str(j, "callback_token");
  c.encoding_aes_key = str(j, "encoding_aes_key");
  if (!str(j, "approval_entity").empty()) c.approval_entity = str(j, "approval_entity");
  if (!str(j, "contact_entity").empty()) c.contact_entity = str(j, "contact_entity");
  if (auto it = j.find("callback_window"); it != j.end() && !it->is_null()) {
    int64_t ms = 0;
    if (!durationMs(*it, &ms) || ms < 1000 || ms > 86'400'000)
      problems.push_back("'callback_window' must be a duration between 1s and 24h");
    else
      c.callback_window_s = ms / 1000;
  }
  if (auto it = j.find("nonce_cache_size"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 10'000'000)
      problems.push_back("'nonce_cache_size' must be 1..10000000");
    else
      c.nonce_cache_size = static_cast<size_t>(it->get<int64_t>());
  }
  if (c.corp_id.empty()) problems.push_back("a callback source needs 'corp_id' (the receiveid checked after decryption)");
  if (c.callback_token.empty()) problems.push_back("a callback source needs 'callback_token' (接收消息 → Token)");
  if (c.encoding_aes_key.empty()) problems.push_back("a callback source needs 'encoding_aes_key' (接收消息 → EncodingAESKey)");
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    return configError(all);
  }
  if (c.receive_id.empty()) c.receive_id = c.corp_id;
  log::registerSecret(c.callback_token);
  log::registerSecret(c.encoding_aes_key);
  return c;
}

WecomSource::WecomSource(WecomSourceConfig config, CallbackKeys keys, std::string name,
                         const Clock& clock)
    : config_(std::move(config)), keys_(std::move(keys)), name_(std::move(name)), clock_(clock) {}

Result<std::unique_ptr<WecomSource>> WecomSource::create(WecomSourceConfig config,
                                                         std::string name, const Clock& clock) {
  auto keys = makeCallbackKeys(config.callback_token, config.encoding_aes_key, config.receive_id);
  if (!keys.ok())  // the message names the rule, not the key
    return configError(keys.error().message);
  return std::make_unique<WecomSource>(std::move(config), std::move(keys).value(),
                                       std::move(name), clock);
}

Result<sdk::PollResult> WecomSource::poll(const std::string& watermark, size_t) {
  sdk::PollResult r;  // pushes only
  r.watermark = watermark;
  return r;
}

sdk::Health WecomSource::health() { return {true, "waiting for WeCom callbacks"}; }

Error WecomSource::refuse(const std::string& reason, const sdk::WebhookRequest& request) {
  ++refused_;
  log::warn("wecom.callback_refused", {{"connector", name_},
                                       {"method", request.method},
                                       {"reason", log::redact(reason)}});
  return Error::permanent(ErrorCode::kUnauthorized, reason);
}

Result<sdk::WebhookReply> WecomSource::onWebhook(const sdk::WebhookRequest& request) {
  const int64_t now_s = clock_.nowMs() / 1000;
  if (request.method == "GET") return verifyUrl(request, now_s);
  if (request.method == "POST") return receive(request, now_s);
  return Error::permanent(ErrorCode::kInvalidArgument,
                          "WeCom callbacks are GET (URL verification) or POST (events), not " +
                              request.method.substr(0, 16));
}

Result<sdk::WebhookReply> WecomSource::verifyUrl(const sdk::WebhookRequest& request, int64_t now_s) {
  CallbackQuery q{query(request, "msg_signature"), query(request, "timestamp"),
                  query(request, "nonce"), query(request, "echostr")};
  auto plain = answerUrlVerification(keys_, q, now_s, config_.callback_window_s);
  if (!plain.ok()) return refuse(plain.error().message, request);
  log::info("wecom.url_verified", {{"connector", name_}});
  sdk::WebhookReply reply;
  reply.status = 200;
  reply.content_type = "text/plain";
  reply.body = std::move(plain).value();  // the plaintext only: no quotes, BOM or newline
  return reply;
}

bool WecomSource::rememberNonce(const std::string& nonce, int64_t now_s) {
  std::lock_guard lock(nonce_mu_);
  auto forgetFront = [&] {
    auto it = nonces_.find(nonce_order_.front().second);
    if (it != nonces_.end() && it->second == nonce_order_.front().first) nonces_.erase(it);
    nonce_order_.pop_front();
  };
  while (!nonce_order_.empty() && nonce_order_.front().first <= now_s) forgetFront();
  auto it = nonces_.find(nonce);
  if (it != nonces_.end() && it->second > now_s) return false;
  while (!nonce_order_.empty() && nonces_.size() >= config_.nonce_cache_size) forgetFront();
  // A timestamp older than the window is refused anyway, so 2 × window covers every skew.
  const int64_t forget_at = now_s + 2 * config_.callback_window_s;
  nonces_[nonce] = forget_at;
  nonce_order_.emplace_back(forget_at, nonce);
  return true;
}

Result<sdk::WebhookReply> WecomSource::receive(const sdk::WebhookRequest& request, int64_t now_s) {
  const std::string ts = query(request, "timestamp"), nonce = query(request, "nonce");
  const std::string sig = query(request, "msg_signature");
  int64_t t = 0;
  if (ts.empty() || ts.size() > 12 || ts.find_first_not_of("0123456789") != std::string::npos)
    return refuse("wecom callback: timestamp is missing or not a number", request);
  t = std::stoll(ts);
  const int64_t skew = t > now_s ? t - now_s : now_s - t;
  if (skew > config_.callback_window_s)
    return refuse("wecom callback: timestamp is " + std::to_string(skew) + " s away from now (window " +
                      std::to_string(config_.callback_window_s) + " s; replay or clock skew)",
                  request);
  if (nonce.empty() || nonce.size() > kMaxNonce)
    return refuse("wecom callback: nonce is missing or longer than 128 bytes", request);
  auto env = parseEnvelope(request.body);
  if (!env.ok())
    return Error::permanent(ErrorCode::kInvalidArgument, "wecom callback: " + env.error().message);
  auto xml = decryptCallback(keys_, sig, ts, nonce, env->encrypt);
  if (!xml.ok()) return refuse(xml.error().message, request);
  // Only authentic requests reach the cache, so nobody can fill it with made-up nonces.
  if (!rememberNonce(nonce, now_s))
    return refuse("wecom callback: nonce " + nonce + " was already used (replayed request)", request);
  auto event = parseEvent(*xml);
  if (!event.ok())
    return Error::permanent(ErrorCode::kInvalidArgument, "wecom callback: " + event.error().message);
  sdk::WebhookReply reply;
  reply.status = 200;  // an empty 200 tells WeCom it arrived and stops its retries
  reply.content_type = "text/plain";
  auto record = toRecord(*event);
  if (!record.ok()) {
    log::debug("wecom.callback_ignored", {{"connector", name_},
                                          {"msg_type", event->msg_type},
                                          {"event", event->event}});
    return reply;
  }
  ++accepted_;
  reply.records.push_back(std::move(record).value());
  return reply;
}

Result<Record> WecomSource::toRecord(const CallbackEvent& ev) const {
  Record r;  // source_system stays empty: the gateway sets the connector's name
  if (ev.event == "sys_approval_change" && ev.approval) {
    const ApprovalInfo& a = *ev.approval;
    std::vector<std::pair<std::string, std::string>> extra{{"event", ev.event},
                                                           {"corpId", ev.to_user_name}};
    if (!ev.agent_id.empty()) extra.emplace_back("agentId", ev.agent_id);
    r.payload = approvalPayload(a, ev.create_time, a.statu_change_event, extra);
    r.entity = config_.approval_entity;
    r.business_key = a.sp_no;
    // WeCom's retries carry the same event; two changes in one second (会签) differ in content.
    r.idempotency_key = "wecom:approval:" + a.sp_no + ":" + a.statu_change_event + ":" +
                        ev.create_time + ":" + sha1Hex(r.payload, 12);
    return r;
  }
  if (ev.event == "change_external_contact") {
    json p{{"event", ev.event},
           {"changeType", ev.change_type},
           {"userId", ev.user_id},
           {"externalUserId", ev.external_user_id},
           {"createTime", toInt(ev.create_time)},
           {"corpId", ev.to_user_name}};
    if (!ev.state.empty()) p["state"] = ev.state;
    if (!ev.welcome_code.empty()) p["welcomeCode"] = ev.welcome_code;
    if (!ev.fail_reason.empty()) p["failReason"] = ev.fail_reason;
    r.payload = p.dump(-1, ' ', false, json::error_handler_t::replace);
    r.entity = config_.contact_entity;
    r.business_key = ev.external_user_id;
    r.idempotency_key = "wecom:contact:" + ev.change_type + ":" + ev.user_id + ":" +
                        ev.external_user_id + ":" + ev.create_time;
    return r;
  }
  return Error::permanent(ErrorCode::kNotFound, "not an event this source records");
}

}  // namespace qiao::connectors::wecom
