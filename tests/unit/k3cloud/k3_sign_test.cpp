// Signatures (reference §2.3 LoginBySign, §2.6 X-Api headers). The reference gives no worked
// example, so the vectors below were computed independently (Python hashlib/hmac/base64) by
// following the algorithm step by step:
//   LoginBySign: sort [acctID, username, appId, appSecret, str(ts)] by bytes, concatenate,
//                SHA-256, lower-case hex.
//   X-Api:       gwSecret = b64(b64decode(part after '_') XOR "0054f397c6234378b09ca7d3e5debce7")
//                toSign   = "POST\n" + pct(path, '/'→%2F) + "\n\n" + "x-api-nonce:" + ts + "\n"
//                           + "x-api-timestamp:" + ts + "\n"
//                sig(m,k) = b64(lower_hex(HMAC_SHA256(k, m)))
//                appData  = acct + "," + user + "," + lcid + "," + orgNum
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "k3_sign.h"

namespace {

using namespace qiao::connectors::k3cloud;

TEST(K3Sign, Sha256AndHmacKnownAnswers) {
  // FIPS 180-2 "abc" and RFC 4231 test case 2.
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(K3Sign, Base64RoundTrip) {
  EXPECT_EQ(base64Encode("sim-acct-001,administrator,2052,0"),
            "c2ltLWFjY3QtMDAxLGFkbWluaXN0cmF0b3IsMjA1Miww");
  std::string out;
  ASSERT_TRUE(base64Decode("MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0", &out));
  EXPECT_EQ(out, "123456789012345678901234");
  ASSERT_TRUE(base64Decode("YWI=", &out));
  EXPECT_EQ(out, "ab");
  EXPECT_FALSE(base64Decode("abc", &out));
}

TEST(K3Sign, LoginBySignSortsOrdinallyAndHashes) {
  // Sorted: "1700000000" < "administrator" < "sim-acct-001" < "sim-app-secret" < "sim_app_id"
  // ('-' 0x2D sorts before '_' 0x5F).
  EXPECT_EQ(loginBySignSignature("sim-acct-001", "administrator", "sim_app_id", "sim-app-secret",
                                 1700000000),
            "cb42263e75668d24c79f7b791206a06945596471336e8718f2deec5c84c8312e");
  // UTF-8 user names sort after ASCII ("管理员" < "账套" by bytes and by code point).
  EXPECT_EQ(loginBySignSignature("账套", "管理员", "app", "sec", 1700000000),
            "2aff7964c52ec61ff3590687bb42ce8f688fca4f144974b964fac08e4870b1d7");
  // The order of the arguments does not matter, only their sorted order.
  EXPECT_EQ(loginBySignSignature("sec", "app", "管理员", "账套", 1700000000),
            loginBySignSignature("账套", "管理员", "app", "sec", 1700000000));
  EXPECT_NE(loginBySignSignature("sim-acct-001", "administrator", "sim_app_id", "sim-app-secret",
                                 1700000001),
            loginBySignSignature("sim-acct-001", "administrator", "sim_app_id", "sim-app-secret",
                                 1700000000));
}

TEST(K3Sign, PercentEncodedPath) {
  EXPECT_EQ(percentEncodePath("/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.Save.common.kdsvc"),
            "%2Fk3cloud%2FKingdee.BOS.WebApi.ServicesStub.DynamicFormService.Save.common.kdsvc");
  EXPECT_EQ(percentEncodePath("/a b~_-"), "%2Fa%20b~_-");
}

TEST(K3Sign, GatewaySecretFromAppId) {
  EXPECT_EQ(clientIdOf("224455_MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0"), "224455");
  EXPECT_EQ(gatewaySecretOf("224455_MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0"),
            "AQIGAFMFDg9aBgMBBwcCDlUIAFNQBVcH");
  // A part that is not 32 characters is used as it is (Java/Go SDKs).
  EXPECT_EQ(clientIdOf("sim_app_id"), "sim");
  EXPECT_EQ(gatewaySecretOf("sim_app_id"), "app_id");
}

TEST(K3Sign, XApiHeadersForAWorkedExample) {
  XApiInput in;
  in.app_id = "224455_MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0";
  in.app_secret = "sim-app-secret";
  in.acct_id = "sim-acct-001";
  in.username = "administrator";
  in.lcid = 2052;
  in.org_num = "0";
  in.path = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.Save.common.kdsvc";
  in.timestamp_ms = 1700000000123;
  std::map<std::string, std::string> h;
  for (auto& [k, v] : xapiHeaders(in)) h[k] = v;
  EXPECT_EQ(h.size(), 9u);
  EXPECT_EQ(h["X-Api-ClientID"], "224455");
  EXPECT_EQ(h["X-Api-Auth-Version"], "2.0");
  EXPECT_EQ(h["x-api-timestamp"], "1700000000123");
  EXPECT_EQ(h["x-api-nonce"], "1700000000123");
  EXPECT_EQ(h["x-api-signheaders"], "x-api-timestamp,x-api-nonce");
  EXPECT_EQ(h["X-Api-Signature"],
            "NmM1NjAxOTU3MDM1N2QxNTVlNjIwM2M2ZTRiNTEyMTVlNDU0ZmQwZDZkYjExYmU5YmMwZmRiMWQ4MTY0YjNlNQ==");
  EXPECT_EQ(h["X-Api-Signature"].size(), 88u);
  EXPECT_EQ(h["X-Kd-Appkey"], in.app_id);
  EXPECT_EQ(h["X-Kd-Appdata"], "c2ltLWFjY3QtMDAxLGFkbWluaXN0cmF0b3IsMjA1Miww");
  EXPECT_EQ(h["X-Kd-Signature"],
            "NjE5YThlNDU0MjM0MzJhYjRhMzcxOGFmMzFiNzY5NjFmNmE2YWU5ZDhhNTcyMDdhZmJmNzk5NmE2Yzg4YTJmOA==");
}

TEST(K3Sign, XApiHeadersForTheSimulatorTenant) {
  XApiInput in;
  in.app_id = "sim_app_id";
  in.app_secret = "sim-app-secret";
  in.acct_id = "sim-acct-001";
  in.username = "administrator";
  in.path = "/sim/k3cloud/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.Save.common.kdsvc";
  in.timestamp_ms = 1700000000123;
  std::map<std::string, std::string> h;
  for (auto& [k, v] : xapiHeaders(in)) h[k] = v;
  EXPECT_EQ(h["X-Api-Signature"],
            "M2I5ODdkNmI2NTFiNWVlZTFkYWRkY2Y1NzdmOTY2YWU3Mjg2NWI1MDkxZWRlZDA2YmJiOGM4ZmE1NTFkZjZhMg==");
  EXPECT_EQ(h["X-Kd-Signature"],
            "ODNlNzk5NzZlMjZjNGNkYzczZjc1MTE4MTRiMzc5ZWRlNTZhN2QxY2E2NjRjMTU5NDNmMTJmNmI3MzFjZjI4OQ==");
  // The secret itself never travels.
  for (auto& [k, v] : h) EXPECT_EQ(v.find("sim-app-secret"), std::string::npos) << k;
}

}  // namespace
