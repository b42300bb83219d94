#include "oa_weaver_sim.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>

#include "oa_sim_common.h"

namespace qiao::sim {
namespace {

using nlohmann::json;
using oa::nowMs;

constexpr size_t kMaxTokens = 10000;

json authError(const std::string& msg) {
  return {{"code", -1}, {"msg", msg}, {"msgShowType", "none"}, {"status", false}};
}

std::string b64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(len > 0 ? static_cast<size_t>(len) : 0);
  return out;
}

bool unb64(const std::string& text, std::string* out) {
  std::string clean;
  for (char c : text)
    if (c != '\r' && c != '\n' && c != ' ') clean.push_back(c);
  if (clean.empty() || clean.size() % 4) return false;
  std::string buf(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
  if (n < 0) return false;
  size_t pad = (clean.back() == '=') + (clean[clean.size() - 2] == '=');
  buf.resize(static_cast<size_t>(n) - pad);
  *out = std::move(buf);
  return true;
}

}  // namespace

struct WeaverSim::Keys {
  EVP_PKEY* key = nullptr;
  std::string spk;  // base64 SubjectPublicKeyInfo
  Keys() {
    key = EVP_RSA_gen(2048);
    if (!key) return;
    int len = i2d_PUBKEY(key, nullptr);
    std::string der(static_cast<size_t>(len), '\0');
    auto* p = reinterpret_cast<unsigned char*>(der.data());
    i2d_PUBKEY(key, &p);
    spk = b64(reinterpret_cast<const unsigned char*>(der.data()), der.size());
  }
  ~Keys() { EVP_PKEY_free(key); }
};

WeaverSim::WeaverSim() : keys_(std::make_unique<Keys>()) {}
WeaverSim::~WeaverSim() = default;

bool WeaverSim::decrypt(const std::string& text, std::string* out) const {
  std::string cipher;
  if (!keys_->key || !unb64(text, &cipher)) return false;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(keys_->key, nullptr);
  bool ok = ctx && EVP_PKEY_decrypt_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0;
  size_t n = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(cipher.data());
  ok = ok && EVP_PKEY_decrypt(ctx, nullptr, &n, in, cipher.size()) > 0;
  std::string plain(n, '\0');
  ok = ok && EVP_PKEY_decrypt(ctx, reinterpret_cast<unsigned char*>(plain.data()), &n, in, cipher.size()) > 0;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) return false;
  plain.resize(n);
  *out = std::move(plain);
  return true;
}

void WeaverSim::handle(Exchange& ex) {
  const std::string& sub = ex.subpath();
  try {
    if (sub.rfind("api/", 0) == 0) return api(ex, sub.substr(4));
    if (!sub.empty() && sub.front() == '_') return admin(ex, sub);
  } catch (const json::exception& e) {
    if (ex.done()) return;
    return ex.replyJson(200, oa::paError("PARAM_ERROR", "request", std::string("参数错误: ") + e.what()));
  }
  ex.replyJson(404, {{"error", "the Weaver simulator serves /sim/weaver/api/ec/dev/auth/{regist,applytoken}, "
                               "/sim/weaver/api/workflow/paService/... and admin endpoints _config, _stats, "
                               "_faults, _reset, _tokens, _requests"}});
}

void WeaverSim::api(Exchange& ex, const std::string& path) {
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
  if (oa::actOutFault(ex, fault, json{{"code", "SYSTEM_INNER_ERROR"}, {"errMsg", {{"fault", "injected"}}}}.dump()))
    return;
  if (latency > 0 && !ex.sleepMs(latency)) return ex.abortConnection();
  if (ex.method() != "POST" && ex.method() != "GET")
    return ex.replyJson(405, {{"error", "use GET or POST"}});
  std::pair<int, json> answer;
  if (path == "ec/dev/auth/regist") answer = regist(ex);
  else if (path == "ec/dev/auth/applytoken") answer = applytoken(ex);
  else if (path.rfind("workflow/paService/", 0) == 0) answer = paService(ex, path.substr(19));
  else answer = {404, {{"error", "the Weaver simulator has no API /api/" + path}}};
  // The effect is done; the answer comes too late for the client.
  if (fault.mode == FaultMode::kTimeoutAfterCommit && !ex.sleepMs(fault.delay_ms)) return ex.abortConnection();
  ex.reply(answer.first, answer.second.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::pair<int, json> WeaverSim::regist(Exchange& ex) {
  const std::string appid = ex.header("appid"), cpk = ex.header("cpk");
  {
    std::lock_guard lock(config_mu_);
    if (!config_.app_ids.count(appid)) return {200, authError("appid不存在或未开启: " + appid)};
  }
  std::string der;
  if (cpk.empty() || !unb64(cpk, &der)) return {200, authError("cpk 为空或格式错误")};
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EVP_PKEY* client = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  if (!client) return {200, authError("cpk 不是有效的 RSA 公钥")};
  EVP_PKEY_free(client);
  const std::string secret = oa::randomHex(8) + "-" + oa::randomHex(4) + "-" + oa::randomHex(4) + "-" +
                             oa::randomHex(4) + "-" + oa::randomHex(12);
  {
    std::lock_guard lock(auth_mu_);
    registrations_[appid] = {secret, cpk};
  }
  {
    std::lock_guard lock(stats_mu_);
    ++registers_;
  }
  return {200, {{"code", 0}, {"msg", "ok"}, {"msgShowType", "none"}, {"status", true},
                {"secret", secret}, {"secrit", secret}, {"spk", keys_->spk}}};
}

std::pair<int, json> WeaverSim::applytoken(Exchange& ex) {
  const std::string appid = ex.header("appid");
  std::string expected;
  {
    std::lock_guard lock(auth_mu_);
    auto it = registrations_.find(appid);
    if (it == registrations_.end()) return {200, authError("appid未注册: " + appid)};
    expected = it->second.secret;
  }
  std::string secret;
  if (!decrypt(ex.header("secret"), &secret) || secret != expected)
    return {200, authError("secret解密失败,请检查加密内容.")};
  int64_t ttl = 1800, max_ttl = 1800;
  {
    std::lock_guard lock(config_mu_);
    max_ttl = config_.token_ttl_max_s;
  }
  const std::string t = ex.header("time");
  if (!t.empty() && t.size() < 9 && t.find_first_not_of("0123456789") == std::string::npos) ttl = std::stoll(t);
  ttl = std::clamp<int64_t>(ttl, 1, max_ttl);
  const std::string token = oa::randomHex(8) + "-" + oa::randomHex(4) + "-" + oa::randomHex(4) + "-" +
                            oa::randomHex(4) + "-" + oa::randomHex(12);
  {
    std::lock_guard lock(auth_mu_);
    if (tokens_.size() >= kMaxTokens) {
      auto oldest = std::min_element(tokens_.begin(), tokens_.end(), [](const auto& a, const auto& b) {
        return a.second.expires_ms < b.second.expires_ms;
      });
      tokens_.erase(oldest);
    }
    tokens_[token] = {appid, nowMs() + ttl * 1000};
  }
  {
    std::lock_guard lock(stats_mu_);
    ++tokens_issued_;
  }
  return {200, {{"code", 0}, {"msg", "获取成功!"}, {"msgShowType", "none"}, {"status", true}, {"token", token}}};
}

std::pair<int, json> WeaverSim::paService(Exchange& ex, const std::string& name) {
  static const std::set<std::string> kGet{"getRequestStatus", "getWorkflowRequest"};
  static const std::set<std::string> kPost{"doCreateRequest", "getMyWorkflowRequestList"};
  if (!kGet.count(name) && !kPost.count(name))
    return {404, {{"error", "the Weaver simulator has no paService/" + name}}};
  if (kGet.count(name) ? ex.method() != "GET" : ex.method() != "POST")
    return {405, {{"error", "paService/" + name + " needs " + (kGet.count(name) ? "GET" : "POST")}}};
  const std::string appid = ex.header("appid"), token = ex.header("token");
  {
    std::lock_guard lock(auth_mu_);
    auto it = tokens_.find(token);
    if (token.empty() || it == tokens_.end() || it->second.expires_ms <= nowMs() || it->second.app_id != appid) {
      std::lock_guard s(stats_mu_);
      ++token_refusals_;
      return {200, authError("token不存在或者超时：" + token)};
    }
  }
  std::string user_id;
  if (!decrypt(ex.header("userid"), &user_id)) return {200, authError("userid解密失败,请检查加密内容.")};
  oa::WeaverUser user{user_id, ""};
  std::map<std::string, std::set<std::string>> workflows;
  {
    std::lock_guard lock(config_mu_);
    auto u = config_.users.find(user_id);
    if (u == config_.users.end()) return {200, oa::paError("USER_EXCEPTION", "userid", "用户不存在: " + user_id)};
    user.name = u->second;
    workflows = config_.workflows;
  }
  std::map<std::string, json> params;
  if (ex.method() == "GET") {
    for (const char* k : {"requestId", "requestid"})
      if (!ex.query(k).empty()) params["requestId"] = ex.query(k);
  } else if (ex.header("Content-Type").find("json") != std::string::npos) {
    json body = json::parse(ex.body(), nullptr, false);
    if (!body.is_object()) return {200, oa::paError("PARAM_ERROR", "body", "参数格式错误")};
    for (const auto& [k, v] : body.items()) params[k] = v;
  } else {
    for (const auto& [k, v] : oa::parseForm(ex.body())) params[k] = v;
  }
  if (name == "doCreateRequest") return {200, book_.create(params, user, workflows)};
  if (name == "getMyWorkflowRequestList") return {200, book_.myList(params, user)};
  const std::string id = params.count("requestId") ? params["requestId"].get<std::string>() : "";
  if (name == "getRequestStatus") return {200, book_.status(id)};
  return {200, book_.info(id)};
}

bool WeaverSim::configure(const json& body, std::string* error) {
  if (!body.is_object()) {
    *error = "config must be a JSON object";
    return false;
  }
  try {
    std::lock_guard lock(config_mu_);
    Config c = config_;
    if (body.contains("app_ids")) c.app_ids = body["app_ids"].get<std::set<std::string>>();
    if (body.contains("users")) c.users = body["users"].get<std::map<std::string, std::string>>();
    if (body.contains("workflows")) c.workflows = body["workflows"].get<std::map<std::string, std::set<std::string>>>();
    if (body.contains("token_ttl_max_s")) c.token_ttl_max_s = body["token_ttl_max_s"].get<int64_t>();
    if (body.contains("latency_ms")) c.latency_ms = body["latency_ms"].get<int64_t>();
    if (c.token_ttl_max_s < 1 || c.latency_ms < 0) throw std::invalid_argument("token_ttl_max_s >= 1, latency_ms >= 0");
    config_ = std::move(c);
  } catch (const std::exception& e) {
    *error = std::string("bad config: ") + e.what();
    return false;
  }
  return true;
}

json WeaverSim::configJson() {
  std::lock_guard lock(config_mu_);
  return {{"app_ids", config_.app_ids}, {"users", config_.users}, {"workflows", config_.workflows},
          {"token_ttl_max_s", config_.token_ttl_max_s}, {"latency_ms", config_.latency_ms}};
}

json WeaverSim::stats() {
  json out;
  {
    std::lock_guard lock(stats_mu_);
    out["calls"] = calls_;
    out["registers"] = registers_;
    out["tokens_issued"] = tokens_issued_;
    out["token_refusals"] = token_refusals_;
    out["faults_injected"] = faults_injected_;
  }
  out["requests_created"] = book_.created();
  return out;
}

void WeaverSim::admin(Exchange& ex, const std::string& op) {
  const bool post = ex.method() == "POST";
  const auto parts = oa::splitPath(op);
  json body = json::object();
  if (post && !ex.body().empty()) {
    body = json::parse(ex.body(), nullptr, false);
    if (body.is_discarded()) return ex.replyJson(400, {{"error", "body is not valid JSON"}});
  }
  const std::string head = parts.empty() ? op : parts[0];
  if (head == "_config") {
    std::string err;
    if (post && !configure(body, &err)) return ex.replyJson(400, {{"error", err}});
    return ex.replyJson(200, configJson());
  }
  if (head == "_stats") return ex.replyJson(200, stats());
  if (head == "_faults") return oa::faultsEndpoint(ex, body, faults_mu_, faults_, fault_path_);
  if (head == "_reset" && post) {
    book_.reset();
    {
      std::lock_guard lock(faults_mu_);
      faults_.clear();
      fault_path_.clear();
    }
    {
      std::lock_guard lock(auth_mu_);
      tokens_.clear();
      registrations_.clear();
    }
    {
      std::lock_guard lock(stats_mu_);
      calls_.clear();
      registers_ = tokens_issued_ = token_refusals_ = faults_injected_ = 0;
    }
    return ex.replyJson(200, {{"reset", true}});
  }
  if (head == "_tokens") {
    std::lock_guard lock(auth_mu_);
    const int64_t now = nowMs();
    if (parts.size() == 2 && parts[1] == "expire" && post) {
      int64_t expired = 0;
      for (auto& [k, t] : tokens_)
        if (t.expires_ms > now) {
          t.expires_ms = now - 1;  // "token不存在或者超时" from now on
          ++expired;
        }
      return ex.replyJson(200, {{"expired", expired}});
    }
    int64_t live = 0;
    for (const auto& [k, t] : tokens_) live += t.expires_ms > now ? 1 : 0;
    return ex.replyJson(200, {{"live", live}, {"known", tokens_.size()}, {"registered", registrations_.size()}});
  }
  if (head == "_requests") {
    int status = 200;
    if (parts.size() == 1) return ex.replyJson(200, {{"requests", book_.all()}});
    if (parts.size() == 2) {
      json r = book_.one(parts[1], &status);
      return ex.replyJson(status, r);
    }
    if (parts.size() == 3 && post) {
      json r = book_.act(parts[1], parts[2], body, &status);
      return ex.replyJson(status, r);
    }
  }
  ex.replyJson(404, {{"error", "unknown admin endpoint " + op + " (" + ex.method() + ")"}});
}

}  // namespace qiao::sim
