// on_delivered: a delivered order leaves an ID cross-reference row and a write-back message
// for another route, whose http sink fills its URL from the record; both commit with the
// delivery. A write-back that fails is retried on its own route, never re-sending the order.
#include "gateway_fixture.h"

namespace qiao::e2e {
namespace {

class OnDeliveredTest : public GatewayFixture {
 protected:
  void start(const std::string& then = "writeback") {
    startSim();
    GatewayOptions o;
    o.max_attempts = 4;
    o.extra_connectors_yaml =
        "  crm_status:\n"
        "    type: http\n"
        "    method: PUT\n"
        "    url: http://127.0.0.1:" + std::to_string(sim_port_) +
        "/sim/receiver/crm/api/orders/{/record/orderId}/erp-status\n"
        "    timeout: 1s\n"
        "  audit:\n"
        "    type: http\n"
        "    url: http://127.0.0.1:" + std::to_string(sim_port_) + "/sim/receiver/audit/in\n"
        "    timeout: 1s\n";
    o.extra_yaml =
        "  pushed:\n"
        "    sink: erp\n"
        "    entity: order\n"
        "    business_key: /orderId\n"
        "    on_delivered:\n"
        "      xref: {entity: order, system: erp, remote_id: /id}\n"
        "      then: " + then + "\n"
        "    retry: {max_attempts: 4, initial_backoff_ms: 50, max_backoff_ms: 200}\n"
        "  writeback:\n"
        "    sink: crm_status\n"
        "    entity: order_status\n"
        "    retry: {max_attempts: 10, initial_backoff_ms: 50, max_backoff_ms: 200}\n"
        "  audit_trail:\n"
        "    sink: audit\n"
        "    entity: order_audit\n";
    writeConfig(o);
    startGateway();
  }
  json records(const std::string& receiver) {
    auto r = sim("GET", "/sim/receiver/" + receiver + "/_records?limit=100");
    return json::parse(r.body)["records"];
  }
};

TEST_F(OnDeliveredTest, DeliveryWritesXrefAndWritesBack) {
  start();
  auto r = api("POST", "/api/v1/routes/pushed/messages",
               R"({"orderId":"SO 1/A","amount":"12.50"})");
  ASSERT_EQ(r.status, 202) << r.body;
  int64_t id = json::parse(r.body)["accepted"][0]["id"].get<int64_t>();
  waitStatus(id, "delivered");

  ASSERT_TRUE(testkit::waitFor([&] { return records("crm").size() == 1; }, 10000))
      << gatewayLog();
  json wb = records("crm")[0];
  EXPECT_EQ(wb["method"], "PUT");
  EXPECT_EQ(wb["uri"], "/sim/receiver/crm/api/orders/SO%201%2FA/erp-status");
  json body = json::parse(wb["body"].get<std::string>());
  EXPECT_EQ(body["record"]["orderId"], "SO 1/A");
  EXPECT_EQ(body["result"]["id"], "R-1");  // the erp receiver's answer
  EXPECT_EQ(body["from"]["route"], "pushed");
  EXPECT_EQ(body["from"]["message_id"], id);
  // gateway.timezone defaults to Asia/Shanghai: "2026-11-26T08:00:05+08:00".
  std::string at = body["from"]["delivered_at"].get<std::string>();
  EXPECT_EQ(at.size(), 25u) << at;
  EXPECT_EQ(at.substr(19), "+08:00") << at;

  auto x = api("GET", "/api/v1/xref?entity=order&system=erp&local=SO%201%2FA");
  ASSERT_EQ(x.status, 200) << x.body;
  EXPECT_EQ(json::parse(x.body)["remote_id"], "R-1");
  auto back = api("GET", "/api/v1/xref?entity=order&system=erp&remote=R-1");
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(json::parse(back.body)["local_id"], "SO 1/A");
  auto none = api("GET", "/api/v1/xref?entity=order&system=erp&local=SO-404");
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(api("GET", "/api/v1/xref?entity=order").status, 400);

  // The write-back is a message of its own, with the order's business key.
  auto list = api("GET", "/api/v1/messages?route=writeback");
  ASSERT_EQ(list.status, 200) << list.body;
  auto items = json::parse(list.body)["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["business_key"], "SO 1/A");
}

// then: [a, b] — one delivery, one follow-up on each route (a write-back and a notification),
// each with its own idempotency key so neither shadows the other.
TEST_F(OnDeliveredTest, ThenListFansOutToEveryRoute) {
  start("[writeback, audit_trail]");
  auto r = api("POST", "/api/v1/routes/pushed/messages", R"({"orderId":"SO-2","amount":"3"})");
  ASSERT_EQ(r.status, 202) << r.body;
  int64_t id = json::parse(r.body)["accepted"][0]["id"].get<int64_t>();
  waitStatus(id, "delivered");
  ASSERT_TRUE(testkit::waitFor([&] { return records("crm").size() == 1 && records("audit").size() == 1; },
                               10000))
      << gatewayLog();
  json audit = json::parse(records("audit")[0]["body"].get<std::string>());
  EXPECT_EQ(audit["record"]["orderId"], "SO-2");
  EXPECT_EQ(audit["from"]["message_id"], id);
  for (const char* route : {"writeback", "audit_trail"}) {
    auto list = api("GET", std::string("/api/v1/messages?route=") + route);
    ASSERT_EQ(list.status, 200) << list.body;
    auto items = json::parse(list.body)["items"];
    ASSERT_EQ(items.size(), 1u) << route;
    EXPECT_EQ(items[0]["business_key"], "SO-2");
  }
}

TEST_F(OnDeliveredTest, FailingWriteBackRetriesWithoutResendingTheOrder) {
  start();
  setFault(R"({"mode":"status","status":503,"count":3})", "crm");
  auto r = api("POST", "/api/v1/routes/pushed/messages", R"({"orderId":"SO-2"})");
  ASSERT_EQ(r.status, 202) << r.body;
  int64_t id = json::parse(r.body)["accepted"][0]["id"].get<int64_t>();
  waitStatus(id, "delivered");
  ASSERT_TRUE(testkit::waitFor([&] { return simStats("crm")["effects"] == 1; }, 15000))
      << simStats("crm").dump() << gatewayLog();
  EXPECT_EQ(simStats("erp")["effects"], 1);  // the order went out once
}

}  // namespace
}  // namespace qiao::e2e
