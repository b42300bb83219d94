// The OA simulators in qiao-sim over plain HTTP, with RSA done here by OpenSSL directly (not
// by the connector): Weaver E9 register → applytoken → paService calls (create, status, info,
// my-list search), approval actions and their logs, token expiry and refusal text, bad
// secrets and users; the generic OA's create (idempotency key), lookup, status, actions, auth
// and faults.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "qiao/testkit/testkit.h"

namespace {

using nlohmann::json;
namespace tk = qiao::testkit;

std::string b64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string unb64(const std::string& text) {
  std::string buf(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  size_t pad = (text.back() == '=') + (text[text.size() - 2] == '=');
  buf.resize(static_cast<size_t>(n) - pad);
  return buf;
}

std::string publicKeyB64(EVP_PKEY* key) {
  int len = i2d_PUBKEY(key, nullptr);
  std::string der(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_PUBKEY(key, &p);
  return b64(der);
}

// RSA/ECB/PKCS1Padding with a base64 SPKI key, base64 out: what E9 clients send.
std::string encrypt(const std::string& spk, const std::string& plain) {
  std::string der = unb64(spk);
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  EXPECT_NE(key, nullptr) << "spk is not an X.509 public key";
  if (!key) return "";
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
  EVP_PKEY_encrypt_init(ctx);
  EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING);
  size_t n = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(plain.data());
  EVP_PKEY_encrypt(ctx, nullptr, &n, in, plain.size());
  std::string out(n, '\0');
  EVP_PKEY_encrypt(ctx, reinterpret_cast<unsigned char*>(out.data()), &n, in, plain.size());
  out.resize(n);
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(key);
  return b64(out);
}

std::string form(const std::map<std::string, std::string>& kv) {
  std::string out;
  for (const auto& [k, v] : kv) {
    out += (out.empty() ? "" : "&") + k + "=";
    for (unsigned char c : v) {
      if (std::isalnum(c)) out.push_back(static_cast<char>(c));
      else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        out += buf;
      }
    }
  }
  return out;
}

class OaSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = tk::startQiaoSim(&child_, dir_.file("oa-sim.out"));
    ASSERT_GT(port_, 0) << tk::readFile(dir_.file("oa-sim.out"));
  }
  json send(const std::string& method, const std::string& path, const std::string& body,
            std::map<std::string, std::string> headers = {}) {
    auto r = tk::http(method, port_, path, body, headers);
    status_ = r.status;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << path << " → " << r.status << " " << r.body;
    return j;
  }
  json admin(const std::string& method, const std::string& path, const json& body = json::object()) {
    return send(method, path, body.dump(), {{"Content-Type", "application/json"}});
  }
  // register + applytoken as user `user`; fills spk_, token_, userid_.
  void login(const std::string& user = "8") {
    EVP_PKEY* client = EVP_RSA_gen(2048);
    ASSERT_NE(client, nullptr);
    json reg = send("POST", "/sim/weaver/api/ec/dev/auth/regist", "",
                    {{"appid", "sim-weaver-app"}, {"cpk", publicKeyB64(client)}});
    EVP_PKEY_free(client);
    ASSERT_EQ(reg.value("status", false), true) << reg.dump();
    secret_ = reg.value("secret", "");
    spk_ = reg.value("spk", "");
    ASSERT_FALSE(secret_.empty());
    EXPECT_EQ(reg.value("secrit", ""), secret_);
    json tok = send("POST", "/sim/weaver/api/ec/dev/auth/applytoken", "",
                    {{"appid", "sim-weaver-app"}, {"secret", encrypt(spk_, secret_)}, {"time", "600"}});
    ASSERT_EQ(tok.value("status", false), true) << tok.dump();
    token_ = tok.value("token", "");
    userid_ = encrypt(spk_, user);
  }
  std::map<std::string, std::string> auth() {
    return {{"appid", "sim-weaver-app"}, {"token", token_}, {"userid", userid_}};
  }
  json pa(const std::string& name, const std::map<std::string, std::string>& params) {
    auto h = auth();
    h["Content-Type"] = "application/x-www-form-urlencoded";
    return send("POST", "/sim/weaver/api/workflow/paService/" + name, form(params), h);
  }
  json paGet(const std::string& name, const std::string& id) {
    return send("GET", "/sim/weaver/api/workflow/paService/" + name + "?requestId=" + id, "", auth());
  }
  std::string create(const std::string& name, const std::string& isnextflow = "1") {
    json j = pa("doCreateRequest",
                {{"workflowId", "1001"}, {"requestName", name},
                 {"mainData", R"([{"fieldName":"ddh","fieldValue":"SO-1"},{"fieldName":"je","fieldValue":"120000"}])"},
                 {"otherParams", json{{"isnextflow", isnextflow}}.dump()}});
    EXPECT_EQ(j.value("code", ""), "SUCCESS") << j.dump();
    return j.contains("data") ? j["data"]["requestid"].dump() : "";
  }

  tk::TempDir dir_;
  std::unique_ptr<tk::Child> child_;
  int port_ = 0, status_ = 0;
  std::string secret_, spk_, token_, userid_;
};

TEST_F(OaSimTest, WeaverRegisterTokenCreateApprove) {
  login();
  const std::string id = create("订单审批 SO-1 [k-1]");
  ASSERT_FALSE(id.empty());
  json st = paGet("getRequestStatus", id);
  EXPECT_EQ(st["data"]["currentNodeType"], "1");
  json r = admin("POST", "/sim/weaver/_requests/" + id + "/approve", {{"approver", "2"}, {"comment", "同意，按合同价"}});
  ASSERT_EQ(status_, 200) << r.dump();
  st = paGet("getRequestStatus", id);
  EXPECT_EQ(st["data"]["currentNodeType"], "3");
  json info = paGet("getWorkflowRequest", id);
  const json& logs = info["data"]["workflowRequestLogs"];
  ASSERT_EQ(logs.size(), 2u) << info.dump();
  EXPECT_EQ(logs[1]["operateType"], "批准");
  EXPECT_EQ(logs[1]["remark"], "同意，按合同价");
  EXPECT_EQ(logs[1]["operatorName"], "张经理");
  // A second approval of a finished request is refused.
  admin("POST", "/sim/weaver/_requests/" + id + "/approve");
  EXPECT_EQ(status_, 409);
}

TEST_F(OaSimTest, WeaverRejectWithdrawAndDraft) {
  login();
  const std::string a = create("A"), b = create("B"), c = create("C", "0");
  admin("POST", "/sim/weaver/_requests/" + a + "/reject", {{"comment", "价格太低"}});
  admin("POST", "/sim/weaver/_requests/" + b + "/withdraw");
  json ia = paGet("getWorkflowRequest", a), ib = paGet("getWorkflowRequest", b), sc = paGet("getRequestStatus", c);
  EXPECT_EQ(ia["data"]["status"], "退回");
  EXPECT_EQ(ia["data"]["workflowRequestLogs"].back()["operateType"], "退回");
  EXPECT_EQ(ib["data"]["workflowRequestLogs"].back()["operateType"], "撤回");
  EXPECT_EQ(sc["data"]["currentNodeType"], "0");
  admin("POST", "/sim/weaver/_requests/" + c + "/approve");  // a draft cannot be approved
  EXPECT_EQ(status_, 409);
}

TEST_F(OaSimTest, WeaverSearchesMyRequestsByTitle) {
  login();
  create("订单 SO-1 [key-1]");
  create("订单 SO-2 [key-2]");
  json list = pa("getMyWorkflowRequestList", {{"conditions", R"({"requestname":"[key-2]"})"}, {"pageNo", "1"}, {"pageSize", "10"}});
  ASSERT_TRUE(list.is_array()) << list.dump();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["requestName"], "订单 SO-2 [key-2]");
  // Another user does not see them.
  userid_ = encrypt(spk_, "1");
  list = pa("getMyWorkflowRequestList", {{"conditions", R"({"requestname":"[key-2]"})"}});
  EXPECT_TRUE(list.is_array() && list.empty()) << list.dump();
}

TEST_F(OaSimTest, WeaverExpiredTokenAndBadCredentials) {
  login();
  admin("POST", "/sim/weaver/_tokens/expire");
  json refused = paGet("getRequestStatus", "100001");
  EXPECT_EQ(refused.value("status", true), false);
  EXPECT_NE(refused.value("msg", "").find("token不存在或者超时"), std::string::npos) << refused.dump();
  json bad = send("POST", "/sim/weaver/api/ec/dev/auth/applytoken", "",
                  {{"appid", "sim-weaver-app"}, {"secret", encrypt(spk_, "wrong")}});
  EXPECT_NE(bad.value("msg", "").find("secret解密失败"), std::string::npos) << bad.dump();
  json unknown = send("POST", "/sim/weaver/api/ec/dev/auth/regist", "", {{"appid", "nope"}, {"cpk", "x"}});
  EXPECT_EQ(unknown.value("code", 0), -1);
  EXPECT_EQ(admin("GET", "/sim/weaver/_stats")["token_refusals"], 1);
}

TEST_F(OaSimTest, WeaverParamErrorsAndFaults) {
  login();
  admin("POST", "/sim/weaver/_config", {{"workflows", {{"1001", {"ddh"}}}}});
  json j = pa("doCreateRequest", {{"workflowId", "1001"}, {"requestName", "x"},
                                  {"mainData", R"([{"fieldName":"zz","fieldValue":"1"}])"}});
  EXPECT_EQ(j.value("code", ""), "PARAM_ERROR");
  EXPECT_TRUE(j["errMsg"].contains("error_param_zz")) << j.dump();
  j = pa("doCreateRequest", {{"workflowId", "999"}, {"requestName", "x"}, {"mainData", R"([{"fieldName":"ddh","fieldValue":"1"}])"}});
  EXPECT_EQ(j.value("code", ""), "PARAM_ERROR");
  admin("POST", "/sim/weaver/_faults", {{"mode", "status"}, {"status", 503}, {"count", 1}, {"path", "workflow/"}});
  auto r = tk::http("GET", port_, "/sim/weaver/api/workflow/paService/getRequestStatus?requestId=1", "", auth());
  EXPECT_EQ(r.status, 503);
  r = tk::http("GET", port_, "/sim/weaver/api/workflow/paService/getRequestStatus?requestId=1", "", auth());
  EXPECT_EQ(r.status, 200);
}

TEST_F(OaSimTest, GenericCreateIsIdempotentAndActionsShow) {
  const std::map<std::string, std::string> h{{"Authorization", "Bearer sim-oa-token"}, {"Idempotency-Key", "k-1"},
                                             {"Content-Type", "application/json"}};
  json a = send("POST", "/sim/oa/api/approvals", R"({"orderNo":"SO-1","amount":150000})", h);
  EXPECT_EQ(status_, 201);
  json again = send("POST", "/sim/oa/api/approvals", R"({"orderNo":"SO-1","amount":150000})", h);
  EXPECT_EQ(status_, 200);
  EXPECT_EQ(again["id"], a["id"]);
  EXPECT_EQ(admin("GET", "/sim/oa/_stats")["created"], 1);
  const std::string id = a["id"];
  json found = send("GET", "/sim/oa/api/approvals?externalId=k-1", "", {{"Authorization", "Bearer sim-oa-token"}});
  EXPECT_EQ(found["id"], id);
  send("GET", "/sim/oa/api/approvals?externalId=k-404", "", {{"Authorization", "Bearer sim-oa-token"}});
  EXPECT_EQ(status_, 404);
  admin("POST", "/sim/oa/_approvals/" + id + "/reject", {{"approver", "finance"}, {"comment", "账期太长"}});
  json st = send("GET", "/sim/oa/api/approvals/" + id, "", {{"Authorization", "Bearer sim-oa-token"}});
  EXPECT_EQ(st["status"], "REJECTED");
  EXPECT_EQ(st["approver"], "finance");
  EXPECT_EQ(st["comment"], "账期太长");
  send("GET", "/sim/oa/api/approvals/" + id, "", {{"Authorization", "Bearer wrong"}});
  EXPECT_EQ(status_, 401);
}

}  // namespace
