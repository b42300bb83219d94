#include "k3_auth.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <sstream>

namespace qiao::sim::k3 {
namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string sha256Raw(const std::string& data) {
  Poco::SHA2Engine e(Poco::SHA2Engine::SHA_256);
  e.update(data);
  const auto& d = e.digest();
  return std::string(d.begin(), d.end());
}

std::string toHex(const std::string& raw) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// Constant from the official SDKs (reference 2.6), used to de-obfuscate the gateway secret.
constexpr const char* kSecretKey = "0054f397c6234378b09ca7d3e5debce7";

json loginFailure(int type, const std::string& message) {
  return {{"Message", message},          {"MessageCode", nullptr}, {"LoginResultType", type},
          {"Context", nullptr},          {"KDSVCSessionId", nullptr}, {"FormId", nullptr},
          {"RedirectFormParam", nullptr}, {"FormInputObject", nullptr},
          {"ErrorStackTrace", nullptr},  {"Lcid", 0},               {"AccessToken", nullptr},
          {"KdAccessResult", nullptr},   {"IsSuccessByAPI", false}};
}

}  // namespace

std::string sha256Hex(const std::string& data) { return toHex(sha256Raw(data)); }

std::string hmacSha256Hex(const std::string& key, const std::string& msg) {
  std::string k = key.size() > 64 ? sha256Raw(key) : key;
  k.resize(64, '\0');
  std::string ipad(64, '\0'), opad(64, '\0');
  for (size_t i = 0; i < 64; ++i) {
    ipad[i] = static_cast<char>(k[i] ^ 0x36);
    opad[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  return toHex(sha256Raw(opad + sha256Raw(ipad + msg)));
}

std::string base64Encode(const std::string& raw) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << raw;
  enc.close();
  return out.str();
}

bool base64Decode(const std::string& text, std::string* raw) {
  try {
    std::istringstream in(text);
    Poco::Base64Decoder dec(in);
    std::string out((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
    *raw = out;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string kdHmac(const std::string& msg, const std::string& key) {
  return base64Encode(hmacSha256Hex(key, msg));
}

std::string loginSign(const std::string& acct, const std::string& user, const std::string& app_id,
                      const std::string& app_secret, const std::string& timestamp) {
  std::vector<std::string> parts{acct, user, app_id, app_secret, timestamp};
  std::sort(parts.begin(), parts.end());  // byte order = ordinal for these ASCII/UTF-8 strings
  std::string joined;
  for (const auto& p : parts) joined += p;
  return sha256Hex(joined);
}

std::string gatewaySecret(const std::string& obfuscated) {
  if (obfuscated.size() != 32) return obfuscated;
  std::string raw;
  if (!base64Decode(obfuscated, &raw)) return obfuscated;
  for (size_t i = 0; i < raw.size() && i < 32; ++i) raw[i] = static_cast<char>(raw[i] ^ kSecretKey[i]);
  return base64Encode(raw);
}

std::string percentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Auth::newId(bool guid) {
  std::lock_guard lock(rng_mu_);
  std::string out;
  static const char* kHex = "0123456789abcdef";
  static const char* kAlpha = "abcdefghijklmnopqrstuvwxyz012345";
  if (!guid) {
    for (int i = 0; i < 24; ++i) out += kAlpha[rng_() % 32];
    return out;
  }
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    out += kHex[rng_() % 16];
  }
  return out;
}

Auth::LoginResult Auth::login(Login kind, const std::vector<std::string>& a) {
  auto arg = [&](size_t i) { return i < a.size() ? a[i] : std::string(); };
  LoginResult r;
  if (arg(0) != tenant_.acct_id) {
    r.body = loginFailure(-1, "数据中心不存在，请检查账套ID（acctID）。");
    return r;
  }
  bool user_ok = iequals(arg(1), tenant_.user);
  switch (kind) {
    case Login::kValidateUser:
      if (!user_ok || arg(2) != tenant_.password) {
        r.body = loginFailure(0, "用户名或密码错误！");
        return r;
      }
      break;
    case Login::kAppSecret:
      if (!user_ok || arg(2) != tenant_.app_id || arg(3) != tenant_.app_secret) {
        r.body = loginFailure(-1, "第三方系统登录授权验证失败：应用ID、应用密钥或用户名不正确。");
        return r;
      }
      break;
    case Login::kSign:
      if (!user_ok || arg(2) != tenant_.app_id ||
          !iequals(arg(4), loginSign(arg(0), arg(1), arg(2), tenant_.app_secret, arg(3)))) {
        r.body = loginFailure(-1, "第三方系统登录授权验证失败：签名信息不正确。");
        return r;
      }
      break;
  }
  auto s = std::make_shared<Session>();
  s->kd_id = newId(true);
  s->asp_id = newId(false);
  s->created_ms = nowMs();
  {
    std::unique_lock lock(mu_);
    sessions_[s->kd_id] = s;
    sessions_[s->asp_id] = s;
  }
  json context{{"UserLocale", "zh-CN"},
               {"LogLocale", "zh-CN"},
               {"DBid", tenant_.acct_id},
               {"DatabaseType", 3},
               {"SessionId", s->asp_id},
               {"UseLanguages", json::array({{{"LocaleId", kLcid}, {"LocaleName", "中文(简体)"}}})},
               {"UserId", tenant_.user_id},
               {"UserName", tenant_.user},
               {"CustomName", tenant_.acct_name},
               {"DisplayVersion", "8.2.0.202411"},
               {"DataCenterName", tenant_.acct_name},
               {"UserToken", newId(true)},
               {"CurrentOrganizationInfo",
                {{"ID", 1}, {"AcctOrgType", "1"}, {"Name", "蓝海机械有限公司"}}},
               {"IsCH_ZH_AutoTrans", false},
               {"ClientType", 32},
               {"UTimeZone",
                {{"OffsetTicks", int64_t{288000000000}},
                 {"StandardName", "(UTC+08:00)北京，重庆，香港特别行政区，乌鲁木齐"},
                 {"Id", 230},
                 {"Number", "1078_SYS"},
                 {"CanBeUsed", true}}},
               {"STimeZone", {{"OffsetTicks", int64_t{288000000000}}}},
               {"Gsid", nullptr},
               {"TRLevel", 0},
               {"ProductEdition", 0},
               {"DataCenterNumber", "001"}};
  r.ok = true;
  r.body = {{"Message", nullptr},
            {"MessageCode", "CheckPasswordPolicy"},
            {"LoginResultType", 1},
            {"Context", std::move(context)},
            {"KDSVCSessionId", s->kd_id},
            {"FormId", nullptr},
            {"RedirectFormParam", nullptr},
            {"FormInputObject", nullptr},
            {"ErrorStackTrace", nullptr},
            {"Lcid", 0},
            {"AccessToken", nullptr},
            {"KdAccessResult", nullptr},
            {"IsSuccessByAPI", true}};
  // ASP.NET first: while the framework keeps one header per name, kdservice-sessionid wins.
  r.headers.emplace_back("Set-Cookie", "ASP.NET_SessionId=" + s->asp_id + "; path=/; HttpOnly");
  r.headers.emplace_back("Set-Cookie", "kdservice-sessionid=" + s->kd_id + "; path=/");
  return r;
}

std::vector<std::string> Auth::presentedIds(const Exchange& ex) const {
  std::vector<std::string> ids;
  for (const char* h : {"kdservice-sessionid", "SID"}) {
    std::string v = ex.header(h);
    if (!v.empty()) ids.push_back(v);
  }
  std::string cookies = ex.header("Cookie");
  size_t pos = 0;
  while (pos < cookies.size()) {
    size_t end = cookies.find(';', pos);
    std::string pair = cookies.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? cookies.size() : end + 1;
    while (!pair.empty() && pair.front() == ' ') pair.erase(0, 1);
    auto eq = pair.find('=');
    if (eq == std::string::npos) continue;
    std::string name = pair.substr(0, eq);
    if (iequals(name, "kdservice-sessionid") || iequals(name, "ASP.NET_SessionId"))
      ids.push_back(pair.substr(eq + 1));
  }
  return ids;
}

void Auth::logout(const Exchange& ex) {
  std::unique_lock lock(mu_);
  for (const auto& id : presentedIds(ex)) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) continue;
    auto s = it->second;
    sessions_.erase(s->kd_id);
    sessions_.erase(s->asp_id);
  }
}

bool Auth::signedOk(const Exchange& ex, const std::string& service_path, bool* bad_passport) const {
  std::string app_key = ex.header("X-Kd-Appkey");
  if (app_key != tenant_.app_id) return false;
  std::string app_data;
  if (!base64Decode(ex.header("X-Kd-Appdata"), &app_data)) return false;
  std::vector<std::string> parts;
  std::stringstream ss(app_data);
  for (std::string p; std::getline(ss, p, ',');) parts.push_back(p);
  if (parts.size() < 3) return false;
  if (parts[0] != tenant_.acct_id) {
    *bad_passport = true;
    return false;
  }
  if (!iequals(parts[1], tenant_.user)) return false;
  if (ex.header("X-Kd-Signature") != kdHmac(app_key + app_data, tenant_.app_secret)) return false;
  // Gateway part: X-Api-Signature over the request path with the secret hidden in the app id.
  auto us = app_key.find('_');
  std::string client_id = app_key.substr(0, us);
  if (ex.header("X-Api-ClientID") != client_id) return false;
  std::string rest = us == std::string::npos ? "" : app_key.substr(us + 1);
  std::vector<std::string> secrets{gatewaySecret(rest), rest.substr(0, rest.find('_')), ""};
  std::string to_sign_tail = "\n\nx-api-nonce:" + ex.header("x-api-nonce") +
                             "\nx-api-timestamp:" + ex.header("x-api-timestamp") + "\n";
  std::string got = ex.header("X-Api-Signature");
  for (const std::string& path : {ex.path(), service_path}) {
    std::string msg = "POST\n" + percentEncode(path) + to_sign_tail;
    for (const auto& secret : secrets)
      if (got == kdHmac(msg, secret)) return true;
  }
  return false;
}

Auth::Access Auth::authorize(const Exchange& ex, const std::string& service_path) {
  auto ids = presentedIds(ex);
  bool live = false;
  if (!ids.empty() && ttl_ms_.load() == 0 && lose_next_.load() == 0) {
    // The common case, no expiry configured: a shared lock is enough.
    std::shared_lock lock(mu_);
    for (const auto& id : ids) live = live || sessions_.count(id) > 0;
    if (live) return Access::kSession;
  }
  if (!ids.empty()) {
    std::unique_lock lock(mu_);
    for (const auto& id : ids) {
      auto it = sessions_.find(id);
      if (it == sessions_.end()) continue;
      auto s = it->second;
      int64_t ttl = ttl_ms_.load();
      bool expired = ttl > 0 && nowMs() - s->created_ms > ttl;
      int64_t lose = lose_next_.load();
      bool forced = false;
      while (!expired && lose > 0 && !(forced = lose_next_.compare_exchange_weak(lose, lose - 1))) {
      }
      if (expired || forced) {
        sessions_.erase(s->kd_id);
        sessions_.erase(s->asp_id);
        break;
      }
      live = true;
      break;
    }
  }
  if (live) return Access::kSession;
  // A signed request needs no session: the server re-creates one silently (reference 2.7).
  if (!ex.header("X-Kd-Appkey").empty()) {
    bool bad_passport = false;
    if (signedOk(ex, service_path, &bad_passport)) return Access::kSigned;
    if (bad_passport) return Access::kBadPassport;
  }
  return Access::kLost;
}

size_t Auth::expireAll() {
  std::unique_lock lock(mu_);
  size_t n = sessions_.size() / 2;
  sessions_.clear();
  return n;
}

size_t Auth::count() const {
  std::shared_lock lock(mu_);
  return sessions_.size() / 2;
}

}  // namespace qiao::sim::k3
