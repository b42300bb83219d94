// A signed webhook pushed through the real `qiao run` to a qiao-sim receiver: accepted only
// with a good signature, durable before the reply, one message per event id.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>
#include <random>

#include "gateway_fixture.h"

namespace qiao::e2e {
namespace {

// Independent of the connector's own code: hex(HMAC-SHA256(key, data)).
std::string hmacHex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kDigits[mac[i] >> 4];
    out += kDigits[mac[i] & 15];
  }
  return out;
}

class WebhookE2eTest : public GatewayFixture {
 protected:
  void start() {
    std::mt19937_64 rng(std::random_device{}());
    secret_ = "whsec-e2e-" + std::to_string(rng()) + std::to_string(rng());
    testkit::writeFile(dir_->file("secrets/crm_hook"), secret_ + "\n");
    GatewayOptions o;
    o.extra_yaml =
        "  crm_orders:\n"
        "    source: crm_hook\n"
        "    sink: erp\n"
        "    entity: order\n"
        "    business_key: /orderId\n";
    o.extra_connectors_yaml =
        "  crm_hook:\n"
        "    type: webhook\n"
        "    secret: ${file:" + dir_->file("secrets/crm_hook") + "}\n"
        "    tolerance: 5m\n";
    writeConfig(o);
    startGateway();
  }

  // POST /hooks/{connector} signed over "<ts>.<body>", with no API key.
  testkit::HttpResponse push(const std::string& body, const std::string& event_id,
                             const std::string& secret, const std::string& connector = "crm_hook") {
    std::string ts = std::to_string(std::time(nullptr));
    std::map<std::string, std::string> h{
        {"Content-Type", "application/json"},
        {"X-Qiao-Timestamp", ts},
        {"X-Qiao-Signature", "sha256=" + hmacHex(secret, ts + "." + body)},
        {"X-Event-Id", event_id}};
    return send("POST", "/hooks/" + connector, body, h);
  }
  testkit::HttpResponse send(const std::string& method, const std::string& path,
                             const std::string& body, const std::map<std::string, std::string>& h) {
    auto r = testkit::http(method, api_port_, path, body, h);
    seen_ += r.body;
    for (const auto& [k, v] : r.headers) seen_ += "\n" + k + ": " + v;
    return r;
  }
  json routeMessages() {
    auto r = api("GET", "/api/v1/messages?route=crm_orders");
    EXPECT_EQ(r.status, 200) << r.body;
    seen_ += r.body;
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j["items"] : json::array();
  }
  static std::string errorCode(const testkit::HttpResponse& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }

  std::string secret_;
  std::string seen_;
};

TEST_F(WebhookE2eTest, SignedPushIsDeliveredOnceAndForgeriesAreRefused) {
  start();
  const std::string body = R"({"orderId":"SO-WH-1","amount":"12.50"})";

  auto r = push(body, "evt-e2e-1", secret_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"accepted":1})");
  // Durable before the reply: the message is there as soon as the 200 is.
  auto items = routeMessages();
  ASSERT_EQ(items.size(), 1u) << items.dump();
  int64_t id = items[0]["id"].get<int64_t>();
  auto msg = waitStatus(id, "delivered");
  EXPECT_EQ(msg["business_key"], "SO-WH-1");
  EXPECT_EQ(msg["idempotency_key"], "evt-e2e-1");
  EXPECT_EQ(msg["entity"], "order");  // the route's, as the connector sets none
  EXPECT_EQ(msg["source_system"], "crm_hook");
  EXPECT_EQ(simStats()["effects"], 1);

  // The sender retries the same event (re-signed, a new timestamp): still one message.
  r = push(body, "evt-e2e-1", secret_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(routeMessages().size(), 1u);

  // A forged signature: 401, nothing ingested, no bearer challenge.
  r = push(R"({"orderId":"SO-FORGED"})", "evt-e2e-2", "not-the-secret");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(errorCode(r), "unauthorized");
  EXPECT_EQ(r.headers.count("www-authenticate"), 0u);
  // No signature at all.
  r = send("POST", "/hooks/crm_hook", R"({"orderId":"SO-NOSIG"})", {{"X-Event-Id", "evt-e2e-3"}});
  EXPECT_EQ(r.status, 401) << r.body;
  // Not JSON, though signed: 400 malformed_json.
  r = push("{\"orderId\":", "evt-e2e-4", secret_);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(errorCode(r), "malformed_json");
  // GET is not a verification endpoint for this connector.
  r = send("GET", "/hooks/crm_hook?echostr=1", "", {});
  EXPECT_EQ(r.status, 400) << r.body;
  // No route reads from these: 404.
  EXPECT_EQ(errorCode(push(body, "evt-e2e-5", secret_, "nobody")), "connector_not_found");
  EXPECT_EQ(errorCode(push(body, "evt-e2e-6", secret_, "erp")), "connector_not_found");
  EXPECT_EQ(routeMessages().size(), 1u);

  // A second event is a second message.
  r = push(R"({"orderId":"SO-WH-2"})", "evt-e2e-7", secret_);
  ASSERT_EQ(r.status, 200) << r.body;
  items = routeMessages();
  ASSERT_EQ(items.size(), 2u);
  waitStatus(items[1]["id"].get<int64_t>(), "delivered");
  EXPECT_EQ(simStats()["effects"], 2);

  // The secret never leaves: not in any response, not in the gateway's log.
  EXPECT_EQ(seen_.find(secret_), std::string::npos);
  EXPECT_EQ(gatewayLog().find(secret_), std::string::npos);
  EXPECT_NE(gatewayLog().find("/hooks/crm_hook"), std::string::npos);  // the 401s were logged
}

}  // namespace
}  // namespace qiao::e2e
