#include "wecom_sink.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "qiao/core/log.h"
#include "wecom_curl.h"

namespace qiao::connectors::wecom {
namespace {

using nlohmann::json;

Error configError(const std::string& what) {
  return Error::permanent(ErrorCode::kConfigInvalid, "wecom config: " + what);
}

// "250ms", "10s", "2m", or integer milliseconds.
bool parseDurationMs(const json& v, int64_t* out) {
  if (v.is_number_integer()) {
    *out = v.get<int64_t>();
    return *out >= 0;
  }
  if (!v.is_string()) return false;
  std::string s = v.get<std::string>();
  size_t i = 0;
  int64_t n = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && n < 1'000'000'000)
    n = n * 10 + (s[i++] - '0');
  if (i == 0) return false;
  std::string unit = s.substr(i);
  if (unit.empty() || unit == "ms") *out = n;
  else if (unit == "s") *out = n * 1000;
  else if (unit == "m") *out = n * 60'000;
  else if (unit == "h") *out = n * 3'600'000;
  else return false;
  return true;
}

std::string joined(const json& v) {  // "a|b" or ["a","b"] → "a|b"
  if (v.is_string()) return v.get<std::string>();
  std::string out;
  if (v.is_array())
    for (const auto& e : v)
      if (e.is_string()) out += (out.empty() ? "" : "|") + e.get<std::string>();
  return out;
}

std::vector<std::string> stringList(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it != j.end() && it->is_array())
    for (const auto& e : *it)
      if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

std::string str(const json& j, const char* key, const std::string& fallback = "") {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return fallback;
}

}  // namespace

Result<WecomSinkConfig> parseWecomSinkConfig(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return configError("the block is not an object");
  WecomSinkConfig c;
  std::vector<std::string> problems;
  c.mode = str(j, "mode", c.mode);
  c.corp_id = str(j, "corp_id");
  c.secret = str(j, "secret");
  c.robot_key = str(j, "robot_key");
  c.base_url = str(j, "base_url", c.base_url);
  c.msgtype = str(j, "msgtype", c.msgtype);
  c.touser = j.contains("touser") ? joined(j["touser"]) : "";
  c.toparty = j.contains("toparty") ? joined(j["toparty"]) : "";
  c.totag = j.contains("totag") ? joined(j["totag"]) : "";
  if (auto it = j.find("agent_id"); it != j.end() && !it->is_null()) {
    std::string a = str(j, "agent_id");
    try {
      size_t used = 0;
      c.agent_id = std::stoll(a, &used);
      if (used != a.size() || c.agent_id <= 0) problems.push_back("'agent_id' must be a positive integer");
    } catch (...) {
      problems.push_back("'agent_id' must be a positive integer");
    }
  }
  if (auto it = j.find("duplicate_check"); it != j.end() && !it->is_null()) {
    if (it->is_boolean()) c.duplicate_check = it->get<bool>();
    else if (*it == "true" || *it == "false") c.duplicate_check = *it == "true";
    else problems.push_back("'duplicate_check' must be true or false");
  }
  if (auto it = j.find("tls_verify"); it != j.end() && !it->is_null()) {
    if (it->is_boolean()) c.tls_verify = it->get<bool>();
    else if (*it == "true" || *it == "false") c.tls_verify = *it == "true";
    else problems.push_back("'tls_verify' must be true or false");
  }
  int64_t ms = 0;
  if (j.contains("duplicate_window")) {
    if (!parseDurationMs(j["duplicate_window"], &ms) || ms < 1000 || ms > 4 * 3'600'000)
      problems.push_back("'duplicate_window' must be a duration between 1s and 4h");
    else c.duplicate_check_interval_s = ms / 1000;
  }
  if (j.contains("timeout")) {
    if (!parseDurationMs(j["timeout"], &ms) || ms <= 0) problems.push_back("'timeout' must be a duration");
    else c.timeout_ms = ms;
  }
  if (j.contains("connect_timeout")) {
    if (!parseDurationMs(j["connect_timeout"], &ms) || ms <= 0)
      problems.push_back("'connect_timeout' must be a duration");
    else c.connect_timeout_ms = ms;
  }
  c.approval.template_id = str(j, "template_id");
  c.approval.creator_userid = str(j, "creator_userid");
  c.approval.idempotency_control = str(j, "idempotency_control");
  if (c.mode != "app" && c.mode != "robot" && c.mode != "approval")
    problems.push_back("'mode' must be app, robot or approval");
  if (c.base_url.rfind("http://", 0) != 0 && c.base_url.rfind("https://", 0) != 0)
    problems.push_back("'base_url' must start with http:// or https://");
  while (!c.base_url.empty() && c.base_url.back() == '/') c.base_url.pop_back();
  static const char* kTypes[] = {"text", "markdown", "textcard", "template_card"};
  if (std::find(std::begin(kTypes), std::end(kTypes), c.msgtype) == std::end(kTypes))
    problems.push_back("'msgtype' must be text, markdown, textcard or template_card");
  if (c.mode == "app") {
    if (c.corp_id.empty()) problems.push_back("mode app needs 'corp_id'");
    if (c.agent_id <= 0) problems.push_back("mode app needs 'agent_id'");
    if (c.secret.empty()) problems.push_back("mode app needs 'secret' (the app's own secret)");
  } else if (c.mode == "approval") {
    if (c.corp_id.empty()) problems.push_back("mode approval needs 'corp_id'");
    if (c.secret.empty())
      problems.push_back("mode approval needs 'secret' (of a self-built app allowed to call the approval API)");
  } else if (c.mode == "robot") {
    if (c.robot_key.empty()) problems.push_back("mode robot needs 'robot_key'");
    if (c.msgtype == "textcard") problems.push_back("robots cannot send 'textcard'");
  }
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    return configError(all);
  }
  if (!c.secret.empty()) log::registerSecret(c.secret);
  if (!c.robot_key.empty()) log::registerSecret(c.robot_key);
  return c;
}

Result<BuiltMessage> buildFromRecord(const WecomSinkConfig& cfg, const std::string& payload) {
  json p = json::parse(payload, nullptr, false);
  if (p.is_discarded() || !p.is_object())
    return Error::permanent(ErrorCode::kMalformedJson, "wecom: the record is not a JSON object");
  const std::string type = str(p, "msgtype", cfg.msgtype);
  std::string card;
  if (type == "template_card") {
    auto it = p.find("template_card");
    if (it == p.end() || !it->is_object())
      return Error::permanent(ErrorCode::kInvalidArgument,
                              "wecom: msgtype template_card needs a 'template_card' object");
    card = it->dump();
  }
  if (cfg.mode == "robot") {
    if (type == "text")
      return buildRobotText(str(p, "content"), stringList(p, "mentioned_list"),
                            stringList(p, "mentioned_mobile_list"));
    if (type == "markdown") return buildRobotMarkdown(str(p, "content"));
    if (type == "template_card") return buildRobotTemplateCard(card);
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "wecom: robots send text, markdown or template_card, not '" + type + "'");
  }
  AppTarget to;
  to.touser = p.contains("touser") ? joined(p["touser"]) : cfg.touser;
  to.toparty = p.contains("toparty") ? joined(p["toparty"]) : cfg.toparty;
  to.totag = p.contains("totag") ? joined(p["totag"]) : cfg.totag;
  to.agent_id = cfg.agent_id;
  to.enable_duplicate_check = cfg.duplicate_check;
  to.duplicate_check_interval_s = cfg.duplicate_check_interval_s;
  if (type == "text") return buildAppText(to, str(p, "content"));
  if (type == "markdown") return buildAppMarkdown(to, str(p, "content"));
  if (type == "textcard")
    return buildAppTextCard(to, str(p, "title"), str(p, "description"), str(p, "url"),
                            str(p, "btntxt"));
  if (type == "template_card") return buildAppTemplateCard(to, card);
  return Error::permanent(ErrorCode::kInvalidArgument,
                          "wecom: unknown msgtype '" + type +
                              "' (text, markdown, textcard, template_card)");
}

WecomSink::WecomSink(WecomSinkConfig cfg, std::shared_ptr<Transport> transport)
    : cfg_(std::move(cfg)), transport_(std::move(transport)) {
  if (!transport_)
    transport_ = std::make_shared<CurlTransport>(
        CurlOptions{cfg_.timeout_ms, cfg_.connect_timeout_ms, cfg_.tls_verify});
  std::shared_ptr<TokenManager> tokens;
  if (cfg_.mode == "app" || cfg_.mode == "approval")
    tokens = sharedTokenManager(transport_, cfg_.base_url, cfg_.corp_id, cfg_.secret);
  client_ = std::make_unique<Client>(transport_, tokens, cfg_.base_url);
}

Result<sdk::Delivery> WecomSink::deliver(const Record& record) {
  if (cfg_.mode == "approval") return deliverApproval(*client_, cfg_.approval, record);
  auto built = buildFromRecord(cfg_, record.payload);
  if (!built.ok()) return built.takeError();
  auto reply = cfg_.mode == "robot" ? client_->sendRobotMessage(cfg_.robot_key, built->json)
                                    : client_->sendAppMessage(built->json);
  if (!reply.ok()) return reply.takeError();
  json r = json::parse(reply->body, nullptr, false);
  sdk::Delivery d;
  json result = json::object();
  if (r.is_object()) {
    d.remote_id = str(r, "msgid");
    // Partly invalid recipients still count as sent; keep them visible.
    for (const char* k : {"msgid", "invaliduser", "invalidparty", "invalidtag", "unlicenseduser"})
      if (!str(r, k).empty()) result[k] = str(r, k);
  }
  if (!built->truncated.empty()) result["truncated"] = built->truncated;
  if (!result.empty()) d.result_json = result.dump(-1, ' ', false, json::error_handler_t::replace);
  return d;
}

sdk::Health WecomSink::health() {
  if (cfg_.mode == "approval") return {true, "approvals"};
  return {true, cfg_.mode == "robot" ? "robot webhook" : "app " + std::to_string(cfg_.agent_id)};
}

}  // namespace qiao::connectors::wecom
