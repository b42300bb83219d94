// Logins and sessions of the K/3 simulator (reference section 2): ValidateUser,
// LoginByAppSecret(2), LoginBySign(2) with the sorted-concat SHA-256 signature, the
// kdservice-sessionid / ASP.NET_SessionId cookies, and the stateless X-Api / X-Kd signature
// headers. One seeded tenant (see docs/simulators.md).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "k3_common.h"
#include "sim_server.h"

namespace qiao::sim::k3 {

struct Tenant {
  std::string acct_id = "sim-acct-001";
  std::string acct_name = "qiao 模拟账套";
  std::string user = "administrator";
  std::string password = "888888";
  std::string app_id = "sim_app_id";
  std::string app_secret = "sim-app-secret";
  int64_t user_id = 100008;
};

// Crypto helpers, also used to document the algorithms in one place.
std::string sha256Hex(const std::string& data);
std::string hmacSha256Hex(const std::string& key, const std::string& msg);
std::string base64Encode(const std::string& raw);
bool base64Decode(const std::string& text, std::string* raw);
// base64(lowercase_hex(HMAC_SHA256(key, msg))) — the SDKs' "HMAC" (reference 2.6).
std::string kdHmac(const std::string& msg, const std::string& key);
// LoginBySign's sign: SHA-256 hex of the five strings sorted ordinally and concatenated.
std::string loginSign(const std::string& acct, const std::string& user, const std::string& app_id,
                      const std::string& app_secret, const std::string& timestamp);
// The gateway secret hidden in an app id "<clientId>_<32-char obfuscated secret>".
std::string gatewaySecret(const std::string& obfuscated);
std::string percentEncode(const std::string& s);

class Auth {
 public:
  enum class Login { kValidateUser, kAppSecret, kSign };
  struct LoginResult {
    bool ok = false;
    json body;
    HeaderList headers;  // Set-Cookie
  };
  // args: acctID, username, then the secret part (password | appId,appSecret |
  // appId,timestamp,sign), then lcid.
  LoginResult login(Login kind, const std::vector<std::string>& args);
  void logout(const Exchange& ex);

  enum class Access { kSession, kSigned, kLost, kBadPassport };
  // service_path: the request path after "/sim/k3cloud" (the client signs its own path).
  Access authorize(const Exchange& ex, const std::string& service_path);

  size_t expireAll();
  void loseNext(int64_t n) { lose_next_ = n; }
  void setTtlMs(int64_t ms) { ttl_ms_ = ms; }
  int64_t ttlMs() const { return ttl_ms_; }
  size_t count() const;
  const Tenant& tenant() const { return tenant_; }

 private:
  struct Session {
    std::string kd_id, asp_id;
    int64_t created_ms = 0;
  };
  std::string newId(bool guid);
  std::vector<std::string> presentedIds(const Exchange& ex) const;
  bool signedOk(const Exchange& ex, const std::string& service_path, bool* bad_passport) const;

  Tenant tenant_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Session>> sessions_;  // both ids → session
  std::mutex rng_mu_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::atomic<int64_t> lose_next_{0};
  std::atomic<int64_t> ttl_ms_{0};  // 0 = sessions never expire
};

}  // namespace qiao::sim::k3
