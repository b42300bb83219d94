// The k3cloud simulator in qiao-sim, over plain HTTP: logins and signatures (checked with
// OpenSSL, independently of the simulator's own code), sessions and their expiry.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "k3cloud_sim_client.h"

namespace k3sim_test {
namespace {

std::string hex(const unsigned char* d, size_t n) {
  static const char* k = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += k[d[i] >> 4];
    out += k[d[i] & 15];
  }
  return out;
}

std::string sha256hex(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return hex(d, sizeof d);
}

std::string b64(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// The SDKs' HMAC: base64 of the lower-case hex of HMAC-SHA256.
std::string kdHmac(const std::string& msg, const std::string& key) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), d, &n);
  return b64(hex(d, n));
}

TEST(K3CloudSim, LoginVariantsAndTheirFailures) {
  tk::TempDir dir;
  Sim sim(dir);
  // ValidateUser, named keys: the real envelope plus both cookies' winner.
  auto ok = sim.raw(kAuth + "ValidateUser.common.kdsvc",
                    R"({"acctid":"sim-acct-001","username":"administrator","password":"888888","lcid":2052})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  json j = json::parse(ok.body);
  EXPECT_EQ(j["LoginResultType"], 1);
  EXPECT_EQ(j["IsSuccessByAPI"], true);
  std::string sid = j["KDSVCSessionId"];
  EXPECT_EQ(sid.size(), 36u);
  EXPECT_EQ(j["Context"]["UTimeZone"]["OffsetTicks"], 288000000000LL);
  EXPECT_NE(ok.headers["set-cookie"].find("kdservice-sessionid=" + sid), std::string::npos);
  // Wrong password (positional body): PWError, no session.
  json bad = sim.call(kAuth + "ValidateUser",
                      {{"parameters", {"sim-acct-001", "administrator", "000000", 2052}}});
  EXPECT_EQ(bad["LoginResultType"], 0);
  EXPECT_EQ(bad["Message"], "用户名或密码错误！");
  EXPECT_TRUE(bad["KDSVCSessionId"].is_null());
  // LoginByAppSecret.
  json app = sim.call(kAuth + "LoginByAppSecret",
                      {{"parameters", {"sim-acct-001", "administrator", "sim_app_id",
                                       "sim-app-secret", 2052}}});
  EXPECT_EQ(app["LoginResultType"], 1);
  json app_bad = sim.call(kAuth + "LoginByAppSecret",
                          {{"acctid", "sim-acct-001"}, {"username", "administrator"},
                           {"appid", "sim_app_id"}, {"appsecret", "nope"}, {"lcid", 2052}});
  EXPECT_EQ(app_bad["LoginResultType"], -1);
  EXPECT_EQ(app_bad["IsSuccessByAPI"], false);
  // LoginBySign: SHA-256 over the five strings sorted ordinally.
  std::string ts = std::to_string(std::time(nullptr));
  std::vector<std::string> parts{"sim-acct-001", "administrator", "sim_app_id", "sim-app-secret", ts};
  std::sort(parts.begin(), parts.end());
  std::string sign = sha256hex(parts[0] + parts[1] + parts[2] + parts[3] + parts[4]);
  json signed_in = sim.call(kAuth + "LoginBySign",
                            {{"parameters", {"sim-acct-001", "administrator", "sim_app_id", ts,
                                             sign, 2052}}});
  EXPECT_EQ(signed_in["LoginResultType"], 1);
  EXPECT_FALSE(signed_in["KDSVCSessionId"].get<std::string>().empty());
  json sign_bad = sim.call(kAuth + "LoginBySign",
                           {{"parameters", {"sim-acct-001", "administrator", "sim_app_id",
                                            ts + "1", sign, 2052}}});
  EXPECT_EQ(sign_bad["LoginResultType"], -1);
  json acct_bad = sim.call(kAuth + "ValidateUser",
                           {{"parameters", {"other-acct", "administrator", "888888", 2052}}});
  EXPECT_EQ(acct_bad["LoginResultType"], -1);
  auto s = sim.admin("GET", "_stats");
  EXPECT_EQ(s["logins"], 3);
  EXPECT_EQ(s["login_failures"], 4);
  EXPECT_EQ(s["sessions"], 3);
}

TEST(K3CloudSim, SessionLostEnvelopeExpiryAndTtl) {
  tk::TempDir dir;
  Sim sim(dir);
  json q{{"FormId", "BD_Customer"}, {"FieldKeys", "FNumber"}, {"FilterString", "FNumber='C100001'"}};
  json lost = sim.query(q);  // no session at all: the error sits inside the array
  ASSERT_TRUE(lost.is_array());
  EXPECT_EQ(lost[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
  EXPECT_EQ(lost[0][0]["Result"]["ResponseStatus"]["IsSuccess"], false);
  json save_lost = sim.form("Save", "SAL_SaleOrder", {{"Model", orderModel("S-1")}});
  EXPECT_EQ(status(save_lost)["MsgCode"], 1);
  EXPECT_EQ(status(save_lost)["Errors"][0]["Message"], "会话信息已丢失，请重新登录");
  sim.login();
  EXPECT_EQ(sim.query(q), json::parse(R"([["C100001"]])"));
  EXPECT_EQ(sim.admin("POST", "_sessions/expire")["expired"], 1);
  EXPECT_EQ(status(sim.form("View", "BD_Customer", {{"Number", "C100001"}}))["MsgCode"], 1);
  const json found = json::parse(R"([["C100001"]])");
  sim.login();
  EXPECT_EQ(sim.query(q), found);
  // session_expiry with a count: each of the next `count` calls with a live session loses it.
  sim.admin("POST", "_faults", R"({"mode":"session_expiry","count":2})");
  EXPECT_EQ(sim.query(q)[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
  sim.login();
  EXPECT_EQ(sim.query(q)[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
  sim.login();
  EXPECT_EQ(sim.query(q), found);
  // Without a count it drops every session now.
  sim.admin("POST", "_faults", R"({"mode":"session_expiry"})");
  EXPECT_EQ(sim.query(q)[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
  // A TTL expires sessions that long after their login.
  sim.admin("POST", "_config", R"({"session_ttl_ms":300})");
  sim.login();
  EXPECT_EQ(sim.query(q), found);
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  EXPECT_EQ(sim.query(q)[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
  EXPECT_EQ(sim.admin("GET", "_stats")["session_lost"], 7);
}

TEST(K3CloudSim, SignedHeadersNeedNoSession) {
  tk::TempDir dir;
  Sim sim(dir);
  const std::string app_id = "sim_app_id", secret = "sim-app-secret";
  const std::string service = kForm + "ExecuteBillQuery.common.kdsvc";
  auto headers = [&](const std::string& acct, const std::string& kd_secret) {
    std::string ts = std::to_string(std::time(nullptr) * 1000);
    std::string path = kBase + service;  // the path the client requested
    std::string enc;
    for (unsigned char c : path) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        enc += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        enc += buf;
      }
    }
    std::string to_sign = "POST\n" + enc + "\n\nx-api-nonce:" + ts + "\nx-api-timestamp:" + ts + "\n";
    std::string app_data = acct + ",administrator,2052,0";
    return std::map<std::string, std::string>{
        {"X-Api-ClientID", "sim"},
        {"X-Api-Auth-Version", "2.0"},
        {"x-api-timestamp", ts},
        {"x-api-nonce", ts},
        {"x-api-signheaders", "x-api-timestamp,x-api-nonce"},
        {"X-Api-Signature", kdHmac(to_sign, "app_id")},
        {"X-Kd-Appkey", app_id},
        {"X-Kd-Appdata", b64(app_data)},
        {"X-Kd-Signature", kdHmac(app_id + app_data, kd_secret)}};
  };
  std::string body = R"({"data":{"FormId":"BD_Currency","FieldKeys":"FNumber,FName","FilterString":"FNumber='PRE007'"}})";
  auto ok = sim.raw(service, body, headers("sim-acct-001", secret));
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(json::parse(ok.body), json::parse(R"([["PRE007","美元"]])"));
  auto forged = sim.raw(service, body, headers("sim-acct-001", "guess"));
  EXPECT_EQ(json::parse(forged.body)[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
  auto other = sim.raw(service, body, headers("other-acct", secret));
  EXPECT_EQ(other.status, 500);
  EXPECT_EQ(other.body, "Fail to verify thirty passport");
}

}  // namespace
}  // namespace k3sim_test
