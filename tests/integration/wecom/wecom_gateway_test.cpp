// WeCom callbacks through the real `qiao run`: the WeCom simulator POSTs its encrypted
// sys_approval_change callbacks to /hooks/wecom_cb, where the `wecom` source turns them into
// approval_event messages of a route (delivered to a qiao-sim receiver). URL verification
// (GET) echoes the plaintext through the gateway; a replayed callback is answered 401 and
// logged with its reason, never with the Token or the EncodingAESKey.
#include <nlohmann/json.hpp>

#include "gateway_fixture.h"

namespace qiao::e2e {
namespace {

const std::string kCbToken = "gwCallbackTokenSECRET";
const std::string kAesKey = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

class WecomGatewayTest : public GatewayFixture {
 protected:
  void start() {
    startSim();
    testkit::writeFile(dir_->file("secrets/wecom_token"), kCbToken + "\n");
    testkit::writeFile(dir_->file("secrets/wecom_aes"), kAesKey + "\n");
    GatewayOptions o;
    o.extra_connectors_yaml =
        "  wecom_cb:\n"
        "    type: wecom\n"
        "    corp_id: wwsimcorp0000001\n"
        "    callback_token: ${file:" + dir_->file("secrets/wecom_token") + "}\n"
        "    encoding_aes_key: ${file:" + dir_->file("secrets/wecom_aes") + "}\n"
        "    callback_window: 5m\n";
    o.extra_yaml =
        "  approvals:\n"
        "    source: wecom_cb\n"
        "    sink: erp\n"
        "    entity: approval_event\n";
    writeConfig(o);
    startGateway();
    json cfg{{"callback", {{"url", "http://127.0.0.1:" + std::to_string(api_port_) + "/hooks/wecom_cb"},
                           {"token", kCbToken}, {"encoding_aes_key", kAesKey}, {"backoff_ms", 100}}}};
    auto r = sim("POST", "/sim/wecom/_config", cfg.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  json simJson(const std::string& method, const std::string& path, const json& body = nullptr) {
    auto r = sim(method, path, body.is_null() ? "" : body.dump());
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json routeMessages() {
    auto r = api("GET", "/api/v1/messages?route=approvals");
    EXPECT_EQ(r.status, 200) << r.body;
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j["items"] : json::array();
  }
};

TEST_F(WecomGatewayTest, ApprovalCallbacksBecomeMessagesAndReplaysAre401) {
  start();
  json verify = simJson("POST", "/sim/wecom/_callbacks/verify");
  EXPECT_EQ(verify["ok"], true) << verify.dump();
  EXPECT_EQ(verify["status"], 200);

  json tok = simJson("GET", "/sim/wecom/cgi-bin/gettoken?corpid=wwsimcorp0000001&corpsecret=sim-wecom-secret");
  const std::string token = tok.value("access_token", "");
  json apply{{"creator_userid", "zhangsan"}, {"template_id", "tpl-large-order"},
             {"approver", {{{"attr", 1}, {"userid", {"GM"}}}}},
             {"apply_data", {{"contents", {{{"control", "Money"}, {"id", "Money-1"}, {"value", {{"new_money", "150000.00"}}}}}}}}};
  json applied = simJson("POST", "/sim/wecom/cgi-bin/oa/applyevent?access_token=" + token, apply);
  ASSERT_EQ(applied.value("errcode", -1), 0) << applied.dump();
  const std::string sp_no = applied["sp_no"];
  simJson("POST", "/sim/wecom/_approvals/" + sp_no + "/approve", {{"userid", "GM"}, {"comment", "同意"}});
  json idle = simJson("POST", "/sim/wecom/_callbacks/wait?timeout_ms=10000");
  ASSERT_EQ(idle["stats"]["delivered"], 2) << idle.dump() << gatewayLog();

  json items = routeMessages();
  ASSERT_EQ(items.size(), 2u) << items.dump();
  json approved;
  for (const auto& it : items) {
    json m = waitStatus(it["id"].get<int64_t>(), "delivered");
    EXPECT_EQ(m["business_key"], sp_no);
    EXPECT_EQ(m["entity"], "approval_event");
    EXPECT_EQ(m["source_system"], "wecom_cb");
    EXPECT_EQ(m["idempotency_key"].get<std::string>().rfind("wecom:approval:" + sp_no + ":", 0), 0u);
    json p = json::parse(m["payload"].is_string() ? m["payload"].get<std::string>() : m["payload"].dump());
    if (p.value("state", "") == "approved") approved = p;
  }
  ASSERT_TRUE(approved.is_object()) << items.dump();
  EXPECT_EQ(approved["decision"]["speech"], "同意");

  // The simulator sends the last callback again, byte for byte: the nonce was used.
  json log = simJson("GET", "/sim/wecom/_callbacks");
  const int64_t seq = log["callbacks"].back()["seq"];
  json replay = simJson("POST", "/sim/wecom/_callbacks/" + std::to_string(seq) + "/replay");
  EXPECT_EQ(replay["status"], 401) << replay.dump();
  EXPECT_EQ(routeMessages().size(), 2u);
  const std::string logText = gatewayLog();
  EXPECT_NE(logText.find("wecom.callback_refused"), std::string::npos);
  EXPECT_NE(logText.find("already used"), std::string::npos);
  EXPECT_EQ(logText.find(kCbToken), std::string::npos);
  EXPECT_EQ(logText.find(kAesKey), std::string::npos);

  // The same callback with one character of its signature changed (and a fresh nonce, so the
  // replay check cannot be what refuses it) is refused as tampered, and nothing is recorded.
  json last = log["callbacks"].back();
  std::string query = last["query"].get<std::string>();
  size_t at = query.find("msg_signature=");
  ASSERT_NE(at, std::string::npos) << query;
  at += 14;
  query[at] = query[at] == 'a' ? 'b' : 'a';
  size_t nonce = query.find("nonce=");
  ASSERT_NE(nonce, std::string::npos) << query;
  query.insert(nonce + 6, "x9");
  auto tampered = testkit::http("POST", api_port_, "/hooks/wecom_cb?" + query, last["body"].get<std::string>(),
                                {{"Content-Type", "text/xml"}});
  EXPECT_EQ(tampered.status, 401) << tampered.body;
  EXPECT_EQ(routeMessages().size(), 2u);
  EXPECT_TRUE(testkit::waitFor([&] { return gatewayLog().find("signature") != std::string::npos; }, 5000))
      << gatewayLog();
}

}  // namespace
}  // namespace qiao::e2e
