#include "wecom_sim.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "wecom_cipher.h"

namespace qiao::sim {
namespace {

using nlohmann::json;
using wecom::errcodeBody;

constexpr size_t kMaxTokens = 10000;
constexpr const char* kDefaultCallbackToken = "simCallbackToken";
constexpr const char* kDefaultAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

size_t queryNumber(const Exchange& ex, const std::string& key, size_t fallback) {
  const std::string v = ex.query(key);
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos)
    return fallback;
  return std::stoul(v);
}

}  // namespace

WecomSim::WecomSim() {
  wecom::CallbackTarget t;
  t.token = kDefaultCallbackToken;
  t.encoding_aes_key = kDefaultAesKey;
  std::string err;
  wecom::aesKeyFromEncoding(t.encoding_aes_key, &t.key32, &err);
  t.receive_id = config_.corp_id;
  t.agent_id = std::to_string(config_.apps.begin()->first);
  callbacks_.setTarget(t);
}

WecomSim::~WecomSim() = default;

wecom::CorpInfo WecomSim::corp() {
  std::lock_guard lock(config_mu_);
  return {config_.corp_id,
          config_.apps.empty() ? "" : std::to_string(config_.apps.begin()->first),
          config_.members};
}

void WecomSim::handle(Exchange& ex) {
  const std::string& sub = ex.subpath();
  // A field of the wrong JSON type deep in a body: the answer WeCom gives, not a dropped
  // connection.
  try {
    if (sub.rfind("cgi-bin/", 0) == 0) return api(ex, sub.substr(8));
    if (!sub.empty() && sub.front() == '_') return admin(ex, sub);
  } catch (const json::exception& e) {
    if (ex.done()) return;
    if (sub.rfind("cgi-bin/", 0) == 0)
      return answer(ex, sub.substr(8), errcodeBody(40058, std::string("invalid parameter: ") + e.what()));
    return ex.replyJson(400, {{"error", std::string("bad request: ") + e.what()}});
  }
  ex.replyJson(404, {{"error", "the WeCom simulator serves /sim/wecom/cgi-bin/... and admin "
                               "endpoints _config, _stats, _faults, _reset, _tokens, _messages, "
                               "_approvals, _contacts, _callbacks"}});
}

void WecomSim::answer(Exchange& ex, const std::string& api, const json& body) {
  {
    std::lock_guard lock(stats_mu_);
    int64_t code = body.value("errcode", int64_t{0});
    if (code != 0) ++errcodes_[std::to_string(code)];
  }
  // WeCom mirrors the errcode in headers; they are for logs only (reference §1).
  HeaderList extra{{"Error-Code", std::to_string(body.value("errcode", int64_t{0}))}};
  ex.reply(200, body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json",
           extra);
  (void)api;
}

void WecomSim::api(Exchange& ex, const std::string& path) {
  FaultAction fault;
  {
    std::lock_guard lock(faults_mu_);
    if (fault_path_.empty() || path.rfind(fault_path_, 0) == 0) fault = faults_.next();
  }
  int64_t latency = 0;
  {
    std::lock_guard lock(config_mu_);
    latency = config_.latency_ms;
  }
  {
    std::lock_guard lock(stats_mu_);
    ++calls_[path];
    if (fault.mode != FaultMode::kNone) ++faults_injected_;
  }
  switch (fault.mode) {
    case FaultMode::kStatus: {
      HeaderList extra;
      if (!fault.retry_after.empty()) extra.emplace_back("Retry-After", fault.retry_after);
      std::string body = fault.body.empty()
                             ? errcodeBody(-1, "injected fault " + std::to_string(fault.status)).dump()
                             : fault.body;
      ex.reply(fault.status, body, "application/json", extra);
      return;
    }
    case FaultMode::kTimeout:
      if (!ex.sleepMs(fault.delay_ms)) return ex.abortConnection();
      ex.replyJson(504, errcodeBody(-1, "injected timeout"));
      return;
    case FaultMode::kReset:
      return ex.abortConnection();
    case FaultMode::kSlow:
      if (!ex.sleepMs(fault.delay_ms)) return ex.abortConnection();
      break;
    default:
      break;
  }
  if (latency > 0 && !ex.sleepMs(latency)) return ex.abortConnection();

  const bool post = ex.method() == "POST";
  if (path == "gettoken") return gettoken(ex);
  if (path == "webhook/send") {
    if (!post) return answer(ex, path, errcodeBody(40058, "webhook/send needs POST"));
    std::set<std::string> keys;
    wecom::MessageLimits limits;
    {
      std::lock_guard lock(config_mu_);
      keys = config_.robot_keys;
      limits = config_.limits;
    }
    return answer(ex, path, messages_.sendRobot(ex.query("key"), ex.body(), keys, limits));
  }
  static const std::set<std::string> kPost{"message/send", "oa/applyevent",
                                           "oa/getapprovaldetail", "oa/getapprovalinfo",
                                           "externalcontact/batch/get_by_user"};
  static const std::set<std::string> kGet{"externalcontact/list", "externalcontact/get"};
  if (!kPost.count(path) && !kGet.count(path)) {
    ex.replyJson(404, errcodeBody(404, "the WeCom simulator has no API cgi-bin/" + path));
    return;
  }
  if (kPost.count(path) && !post)
    return answer(ex, path, errcodeBody(40058, "cgi-bin/" + path + " needs POST with a JSON body"));
  int64_t agent = 0;
  if (!checkToken(ex, &agent)) return;
  const wecom::CorpInfo c = corp();
  json req;
  if (post) {
    req = json::parse(ex.body(), nullptr, false);
    if (path != "message/send" && (req.is_discarded() || !req.is_object()))
      return answer(ex, path, errcodeBody(40058, "invalid parameter: the body is not a JSON object"));
  }
  if (path == "message/send") {
    wecom::MessageLimits limits;
    {
      std::lock_guard lock(config_mu_);
      limits = config_.limits;
    }
    return answer(ex, path, messages_.sendApp(ex.body(), agent, c, limits));
  }
  if (path == "oa/applyevent") {
    auto r = approvals_.apply(req, c);
    bool tell = false;
    {
      std::lock_guard lock(config_mu_);
      tell = config_.callback_on_submit;
    }
    if (tell) publish("approval", r);
    return answer(ex, path, r.body);
  }
  if (path == "oa/getapprovaldetail") return answer(ex, path, approvals_.detail(req));
  if (path == "oa/getapprovalinfo") return answer(ex, path, approvals_.list(req));
  if (path == "externalcontact/list") return answer(ex, path, contacts_.list(ex.query("userid"), c));
  if (path == "externalcontact/get") {
    size_t page = 500;
    {
      std::lock_guard lock(config_mu_);
      page = config_.follow_page;
    }
    return answer(ex, path, contacts_.get(ex.query("external_userid"), ex.query("cursor"), page));
  }
  return answer(ex, path, contacts_.batchByUser(req, c));
}

void WecomSim::gettoken(Exchange& ex) {
  const std::string corpid = ex.query("corpid"), secret = ex.query("corpsecret");
  if (corpid.empty()) return answer(ex, "gettoken", errcodeBody(41002, "corpid missing"));
  if (secret.empty()) return answer(ex, "gettoken", errcodeBody(41004, "corpsecret missing"));
  int64_t agent = -1, ttl = 0;
  {
    std::lock_guard lock(config_mu_);
    if (corpid != config_.corp_id) return answer(ex, "gettoken", errcodeBody(40013, "invalid corpid"));
    for (const auto& [id, s] : config_.apps)
      if (s == secret) agent = id;
    ttl = config_.token_ttl_s;
  }
  if (agent < 0) return answer(ex, "gettoken", errcodeBody(40001, "invalid credential, access_token is invalid or not latest"));
  const std::string token = "simtok_" + wecom::randomAlnum(40);
  {
    std::lock_guard lock(tokens_mu_);
    if (tokens_.size() >= kMaxTokens) {
      // Forget the token that expires first (a bounded map; old tokens then read as 40014).
      auto oldest = std::min_element(tokens_.begin(), tokens_.end(), [](const auto& a, const auto& b) {
        return a.second.expires_ms < b.second.expires_ms;
      });
      tokens_.erase(oldest);
    }
    tokens_[token] = {agent, nowMs() + ttl * 1000};
    ++tokens_issued_;
  }
  json body = errcodeBody(0, "ok");
  body["access_token"] = token;
  body["expires_in"] = ttl;
  answer(ex, "gettoken", body);
}

bool WecomSim::checkToken(Exchange& ex, int64_t* agent_id) {
  const std::string token = ex.query("access_token");
  const std::string api = ex.subpath().substr(8);
  json refusal;
  if (token.empty()) {
    refusal = errcodeBody(41001, "access_token missing");
  } else {
    std::lock_guard lock(tokens_mu_);
    auto it = tokens_.find(token);
    if (it == tokens_.end())
      refusal = errcodeBody(40014, "invalid access_token");
    else if (it->second.expires_ms <= nowMs())
      refusal = errcodeBody(42001, "access_token expired");
    else
      *agent_id = it->second.agent_id;
  }
  if (refusal.is_null()) return true;
  answer(ex, api, refusal);
  return false;
}

void WecomSim::publish(const std::string& kind, const wecom::ApiResult& r) {
  if (!r.event_xml.empty()) callbacks_.publish(kind, r.event_key, r.event_xml);
}

bool WecomSim::configure(const json& body, std::string* error) {
  if (!body.is_object()) {
    *error = "config must be a JSON object";
    return false;
  }
  try {
    std::lock_guard lock(config_mu_);
    Config c = config_;
    wecom::CallbackTarget t = callbacks_.target();
    if (body.contains("corp_id")) c.corp_id = body["corp_id"].get<std::string>();
    if (body.contains("apps")) {
      c.apps.clear();
      for (const auto& a : body["apps"])
        c.apps[a.at("agent_id").get<int64_t>()] = a.at("secret").get<std::string>();
      if (c.apps.empty()) throw std::invalid_argument("apps must name at least one app");
    }
    if (body.contains("token_ttl_s")) c.token_ttl_s = body["token_ttl_s"].get<int64_t>();
    if (body.contains("robot_keys")) c.robot_keys = body["robot_keys"].get<std::set<std::string>>();
    if (body.contains("members")) c.members = body["members"].get<std::set<std::string>>();
    if (body.contains("member_per_min")) c.limits.member_per_min = body["member_per_min"].get<int>();
    if (body.contains("member_limit")) {
      const std::string m = body["member_limit"].get<std::string>();
      if (m != "drop" && m != "error") throw std::invalid_argument("member_limit must be drop or error");
      c.limits.member_error = m == "error";
    }
    if (body.contains("robot_per_min")) c.limits.robot_per_min = body["robot_per_min"].get<int>();
    if (body.contains("latency_ms")) c.latency_ms = body["latency_ms"].get<int64_t>();
    if (body.contains("follow_page")) c.follow_page = body["follow_page"].get<size_t>();
    if (body.contains("callback_on_submit")) c.callback_on_submit = body["callback_on_submit"].get<bool>();
    if (c.token_ttl_s < 1 || c.latency_ms < 0 || c.follow_page < 1)
      throw std::invalid_argument("token_ttl_s >= 1, latency_ms >= 0, follow_page >= 1");
    if (body.contains("callback")) {
      const json& cb = body["callback"];
      t.url = cb.value("url", t.url);
      t.token = cb.value("token", t.token);
      t.encoding_aes_key = cb.value("encoding_aes_key", t.encoding_aes_key);
      t.attempts = cb.value("attempts", t.attempts);
      t.backoff_ms = cb.value("backoff_ms", t.backoff_ms);
      t.agent_id = cb.value("agent_id", t.agent_id);
      if (t.attempts < 1 || t.backoff_ms < 0) throw std::invalid_argument("callback attempts >= 1, backoff_ms >= 0");
      if (!t.url.empty() && t.url.rfind("http://", 0) != 0)
        throw std::invalid_argument("callback url must start with http://");
      if (!wecom::aesKeyFromEncoding(t.encoding_aes_key, &t.key32, error)) return false;
    }
    t.receive_id = c.corp_id;
    config_ = std::move(c);
    callbacks_.setTarget(t);
  } catch (const std::exception& e) {
    *error = std::string("bad config: ") + e.what();
    return false;
  }
  return true;
}

json WecomSim::configJson() {
  wecom::CallbackTarget t = callbacks_.target();
  std::lock_guard lock(config_mu_);
  json apps = json::array();
  for (const auto& [id, s] : config_.apps) apps.push_back({{"agent_id", id}, {"secret", s}});
  return {{"corp_id", config_.corp_id},
          {"apps", apps},
          {"token_ttl_s", config_.token_ttl_s},
          {"robot_keys", config_.robot_keys},
          {"members", config_.members},
          {"member_per_min", config_.limits.member_per_min},
          {"member_limit", config_.limits.member_error ? "error" : "drop"},
          {"robot_per_min", config_.limits.robot_per_min},
          {"latency_ms", config_.latency_ms},
          {"follow_page", config_.follow_page},
          {"callback_on_submit", config_.callback_on_submit},
          {"callback", {{"url", t.url}, {"token", t.token}, {"encoding_aes_key", t.encoding_aes_key},
                        {"agent_id", t.agent_id}, {"attempts", t.attempts}, {"backoff_ms", t.backoff_ms}}}};
}

json WecomSim::stats() {
  json out;
  {
    std::lock_guard lock(stats_mu_);
    out["calls"] = calls_;
    out["errcodes"] = errcodes_;
    out["faults_injected"] = faults_injected_;
  }
  {
    std::lock_guard lock(tokens_mu_);
    out["tokens_issued"] = tokens_issued_;
  }
  out["messages"] = messages_.stats();
  out["approvals"] = approvals_.size();
  out["contacts"] = contacts_.size();
  out["callbacks"] = callbacks_.stats();
  return out;
}

void WecomSim::admin(Exchange& ex, const std::string& op) {
  const bool post = ex.method() == "POST";
  const auto parts = split(op);
  json body;
  if (post && !ex.body().empty()) {
    body = json::parse(ex.body(), nullptr, false);
    if (body.is_discarded()) return ex.replyJson(400, {{"error", "body is not valid JSON"}});
  }
  if (!post && !body.is_null()) body = nullptr;
  if (body.is_null()) body = json::object();
  const std::string& head = parts.empty() ? op : parts[0];

  if (head == "_config") {
    std::string err;
    if (post && !configure(body, &err)) return ex.replyJson(400, {{"error", err}});
    return ex.replyJson(200, configJson());
  }
  if (head == "_stats") return ex.replyJson(200, stats());
  if (head == "_faults") {
    if (post) {
      json spec = body;
      // {"errcode": N} is short for an HTTP 200 answer carrying that errcode.
      if (spec.contains("errcode") && !spec.contains("mode")) {
        spec["mode"] = "status";
        spec["status"] = 200;
        spec["body"] = errcodeBody(spec["errcode"].is_number_integer() ? spec["errcode"].get<int64_t>() : -1,
                                   "injected errcode");
      }
      std::string err;
      std::lock_guard lock(faults_mu_);
      if (!faults_.configure(spec, &err)) return ex.replyJson(400, {{"error", err}});
      fault_path_ = spec.value("path", std::string());
    }
    std::lock_guard lock(faults_mu_);
    json d = faults_.describe();
    if (!fault_path_.empty()) d["path"] = fault_path_;
    return ex.replyJson(200, {{"faults", d}});
  }
  if (head == "_reset" && post) {
    messages_.reset();
    approvals_.reset();
    contacts_.reset();
    callbacks_.reset();
    {
      std::lock_guard lock(faults_mu_);
      faults_.clear();
      fault_path_.clear();
    }
    {
      std::lock_guard lock(tokens_mu_);
      tokens_.clear();
      tokens_issued_ = 0;
    }
    {
      std::lock_guard lock(stats_mu_);
      calls_.clear();
      errcodes_.clear();
      faults_injected_ = 0;
    }
    return ex.replyJson(200, {{"reset", true}});
  }
  if (head == "_tokens") {
    std::lock_guard lock(tokens_mu_);
    const int64_t now = nowMs();
    int64_t expired = 0;
    if (parts.size() == 2 && parts[1] == "expire" && post) {
      for (auto& [k, t] : tokens_)
        if (t.expires_ms > now) {
          t.expires_ms = now - 1;  // answers 42001 from now on
          ++expired;
        }
      return ex.replyJson(200, {{"expired", expired}});
    }
    int64_t live = 0;
    for (const auto& [k, t] : tokens_) live += t.expires_ms > now ? 1 : 0;
    return ex.replyJson(200, {{"issued", tokens_issued_}, {"live", live}, {"known", tokens_.size()}});
  }
  if (head == "_messages")
    return ex.replyJson(200, messages_.messages(queryNumber(ex, "offset", 0),
                                                queryNumber(ex, "limit", 1000), ex.query("channel")));
  if (head == "_approvals") {
    if (parts.size() == 1) return ex.replyJson(200, {{"approvals", approvals_.all()}});
    if (parts.size() == 2) {
      json d = approvals_.detail(json{{"sp_no", parts[1]}});
      return ex.replyJson(d.value("errcode", 0) == 0 ? 200 : 404, d);
    }
    if (parts.size() == 3 && post) {
      int status = 200;
      auto r = approvals_.act(parts[1], parts[2], body, corp(), &status);
      if (status == 200) publish("approval", r);
      return ex.replyJson(status, r.body);
    }
  }
  if (head == "_contacts") {
    int status = 200;
    if (parts.size() == 1 && !post) return ex.replyJson(200, {{"contacts", contacts_.all()}});
    if (parts.size() == 1) {
      auto r = contacts_.upsert(body, corp(), &status);
      if (status == 200) publish("contact", r);
      return ex.replyJson(status, r.body);
    }
    if (parts.size() == 2 && parts[1] == "seed" && post) {
      json r = contacts_.seed(body, &status);
      return ex.replyJson(status, r);
    }
    if (parts.size() == 3 && parts[2] == "event" && post) {
      auto r = contacts_.event(parts[1], body, corp(), &status);
      if (status == 200) publish("contact", r);
      return ex.replyJson(status, r.body);
    }
  }
  if (head == "_callbacks") {
    if (parts.size() == 1)
      return ex.replyJson(200, callbacks_.log(queryNumber(ex, "offset", 0), queryNumber(ex, "limit", 1000)));
    if (parts.size() == 2 && parts[1] == "verify" && post) return ex.replyJson(200, callbacks_.verifyUrl());
    if (parts.size() == 2 && parts[1] == "wait" && post) {
      bool idle = callbacks_.waitIdle(static_cast<int64_t>(std::min<size_t>(queryNumber(ex, "timeout_ms", 5000), 60000)));
      return ex.replyJson(idle ? 200 : 504, {{"idle", idle}, {"stats", callbacks_.stats()}});
    }
    if (parts.size() == 3 && parts[2] == "replay" && post) {
      const std::string& seq = parts[1];
      if (seq.empty() || seq.size() > 12 || seq.find_first_not_of("0123456789") != std::string::npos)
        return ex.replyJson(400, {{"error", "seq must be a number"}});
      return ex.replyJson(200, callbacks_.replay(std::stoll(seq)));
    }
  }
  ex.replyJson(404, {{"error", "unknown admin endpoint " + op + " (" + ex.method() + ")"}});
}

}  // namespace qiao::sim
