// The delivery runtime against the receiver simulator, one test per fault kind, through the
// real gateway process, its HTTP API and its SQLite file.
#include <signal.h>

#include "gateway_fixture.h"

namespace qiao::e2e {
namespace {

class DeliveryTest : public GatewayFixture {
 protected:
  void start(GatewayOptions o = {}) {
    writeConfig(o);
    startGateway();
  }
  int64_t ingestOne(const std::string& order_id, const std::string& idem = "") {
    auto ids = ingest(R"({"orderId":")" + order_id + R"(","amount":"100.00"})", idem);
    EXPECT_EQ(ids.size(), 1u);
    return ids.empty() ? 0 : ids[0];
  }
  static int attemptsWith(const json& msg, const std::string& cls) {
    int n = 0;
    for (const auto& a : msg["attempts"]) n += a.value("error_class", "") == cls;
    return n;
  }
};

TEST_F(DeliveryTest, DeliversAndRecordsRemoteId) {
  start();
  int64_t id = ingestOne("SO-1");
  auto msg = waitStatus(id, "delivered");
  EXPECT_EQ(msg["business_key"], "SO-1");
  EXPECT_FALSE(msg.value("remote_id", "").empty());
  ASSERT_EQ(msg["attempts"].size(), 1u);
  EXPECT_EQ(msg["attempts"][0]["status"], "delivered");
  EXPECT_EQ(simStats()["effects"], 1);
}

TEST_F(DeliveryTest, ServerErrorsAreRetriedUntilDelivered) {
  start();
  setFault(R"({"mode":"status","status":503,"count":3})");
  int64_t id = ingestOne("SO-503");
  auto msg = waitStatus(id, "delivered");
  EXPECT_EQ(attemptsWith(msg, "transient"), 3);
  EXPECT_EQ(msg["attempts"].size(), 4u);
  EXPECT_EQ(simStats()["effects"], 1);
}

TEST_F(DeliveryTest, TooManyRequestsHonoursRetryAfter) {
  start();
  setFault(R"({"mode":"status","status":429,"retry_after":1,"count":1})");
  int64_t id = ingestOne("SO-429");
  auto msg = waitStatus(id, "delivered");
  ASSERT_EQ(msg["attempts"].size(), 2u);
  int64_t first = msg["attempts"][0]["at_ms"].get<int64_t>();
  int64_t second = msg["attempts"][1]["at_ms"].get<int64_t>();
  // Backoff alone would be <= 50 ms; Retry-After asked for a full second.
  EXPECT_GE(second - first, 900) << msg.dump(2);
}

TEST_F(DeliveryTest, TimeoutsAreRetried) {
  start();
  setFault(R"({"mode":"timeout","delay_ms":2500,"count":2})");
  int64_t id = ingestOne("SO-TIMEOUT");
  auto msg = waitStatus(id, "delivered", 20000);
  EXPECT_EQ(attemptsWith(msg, "transient"), 2);
}

TEST_F(DeliveryTest, ConnectionResetsAreRetried) {
  start();
  setFault(R"({"mode":"reset","count":2})");
  int64_t id = ingestOne("SO-RESET");
  auto msg = waitStatus(id, "delivered");
  // libcurl retries a reset on a reused connection once by itself, so two resets may cost
  // one attempt or two; either way they are transient and the record arrives once.
  EXPECT_GE(attemptsWith(msg, "transient"), 1);
  EXPECT_LE(attemptsWith(msg, "transient"), 2);
  EXPECT_EQ(simStats()["effects"], 1);
}

TEST_F(DeliveryTest, ExpiredSessionIsRetriedAtOnce) {
  start();
  setFault(R"({"mode":"status","status":401,"count":1})");
  int64_t id = ingestOne("SO-401");
  auto msg = waitStatus(id, "delivered");
  ASSERT_EQ(msg["attempts"].size(), 2u) << msg.dump(2);
  EXPECT_EQ(msg["attempts"][0]["error_class"], "auth_expired");
  EXPECT_EQ(msg["attempts"][1]["status"], "delivered");
}

TEST_F(DeliveryTest, SlowRepliesWithinTheTimeoutSucceedFirstTime) {
  start();
  setFault(R"({"mode":"slow","delay_ms":300,"count":1})");
  int64_t id = ingestOne("SO-SLOW");
  auto msg = waitStatus(id, "delivered");
  EXPECT_EQ(msg["attempts"].size(), 1u);
}

TEST_F(DeliveryTest, TimeoutAfterCommitHasOneEffect) {
  start();
  setFault(R"({"mode":"timeout_after_commit","delay_ms":2500,"count":1})");
  int64_t id = ingestOne("SO-TAC");
  auto msg = waitStatus(id, "delivered", 20000);
  EXPECT_GE(msg["attempts"].size(), 2u);
  auto stats = simStats();
  EXPECT_EQ(stats["effects"], 1) << stats.dump();
  EXPECT_GE(stats["duplicates"].get<int>(), 1) << stats.dump();
}

TEST_F(DeliveryTest, PermanentErrorGoesToDeadLettersAndReplayFixesIt) {
  start();
  setFault(R"({"mode":"status","status":400,"body":"{\"error\":\"客户编码 C-9 不存在\"}","count":1})");
  int64_t id = ingestOne("SO-400");
  auto msg = waitStatus(id, "dead");
  EXPECT_EQ(msg["attempts"].size(), 1u) << "a permanent error must not be retried";
  EXPECT_NE(msg["last_error"].get<std::string>().find("客户编码 C-9 不存在"), std::string::npos) << msg.dump();

  auto dl = api("GET", "/api/v1/dead-letters?route=orders");
  ASSERT_EQ(dl.status, 200);
  auto list = json::parse(dl.body);
  ASSERT_EQ(list["items"].size(), 1u);
  int64_t dl_id = list["items"][0]["id"].get<int64_t>();
  EXPECT_NE(list["items"][0]["reason"].get<std::string>().find("C-9"), std::string::npos);

  auto r = api("POST", "/api/v1/dead-letters/" + std::to_string(dl_id) + "/replay",
               R"({"payload":{"orderId":"SO-400","amount":"100.00","customer":"C-1"},"reason":"fixed customer"})");
  ASSERT_EQ(r.status, 200) << r.body;
  msg = waitStatus(id, "delivered");
  EXPECT_EQ(msg["payload"]["customer"], "C-1");
  EXPECT_EQ(api("POST", "/api/v1/dead-letters/" + std::to_string(dl_id) + "/replay").status, 409);
}

TEST_F(DeliveryTest, ExhaustedRetriesDeadLetterWithTheLastReason) {
  GatewayOptions o;
  o.max_attempts = 3;
  start(o);
  setFault(R"({"mode":"status","status":502,"count":10})");
  int64_t id = ingestOne("SO-502");
  auto msg = waitStatus(id, "dead");
  EXPECT_EQ(msg["attempts"].size(), 3u);
  EXPECT_NE(msg["last_error"].get<std::string>().find("gave up after 3 attempts"), std::string::npos);
}

TEST_F(DeliveryTest, SameIdempotencyKeyIsOneMessageAndOneDelivery) {
  start();
  int64_t a = ingestOne("SO-DUP", "crm-evt-77");
  int64_t b = ingestOne("SO-DUP", "crm-evt-77");
  EXPECT_EQ(a, b);
  waitStatus(a, "delivered");
  auto stats = simStats();
  EXPECT_EQ(stats["requests"], 1) << stats.dump();
  EXPECT_EQ(stats["effects"], 1);
}

TEST_F(DeliveryTest, PerKeyOrderingHoldsAcrossRetries) {
  GatewayOptions o;
  o.ordered = true;
  start(o);
  setFault(R"({"mode":"status","status":500,"count":2})");
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(ingestOne("SO-ORD", "ord-" + std::to_string(i)));
  for (auto id : ids) waitStatus(id, "delivered");
  auto r = sim("GET", "/sim/receiver/erp/_records?limit=100");
  ASSERT_EQ(r.status, 200);
  auto recs = json::parse(r.body);
  std::vector<std::string> keys;
  for (const auto& rec : recs["records"]) {
    auto k = rec["headers"].value("idempotency-key", rec["headers"].value("Idempotency-Key", ""));
    if (keys.empty() || keys.back() != k) keys.push_back(k);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"ord-0", "ord-1", "ord-2", "ord-3", "ord-4"}));
}

TEST_F(DeliveryTest, CircuitOpensAfterConsecutiveFailuresAndCloses) {
  GatewayOptions o;
  o.failure_threshold = 3;
  o.open_ms = 1500;
  o.concurrency = 1;
  o.max_attempts = 20;
  start(o);
  setFault(R"({"mode":"status","status":503,"count":3})");
  int64_t id = ingestOne("SO-CB");
  bool open = testkit::waitFor([&] {
    auto r = api("GET", "/api/v1/connectors");
    return r.body.find("\"open\"") != std::string::npos;
  }, 10000, 20);
  EXPECT_TRUE(open) << "circuit never reported open";
  auto msg = waitStatus(id, "delivered", 15000);
  auto r = api("GET", "/api/v1/connectors");
  EXPECT_NE(r.body.find("\"closed\""), std::string::npos) << r.body;
}

TEST_F(DeliveryTest, ConcurrencyLimitPerConnectorHolds) {
  GatewayOptions o;
  o.concurrency = 2;
  start(o);
  setFault(R"({"mode":"slow","delay_ms":100,"count":1000})");
  std::string body = "[";
  for (int i = 0; i < 12; ++i) body += std::string(i ? "," : "") + R"({"orderId":"SO-CC)" + std::to_string(i) + "\"}";
  body += "]";
  auto ids = ingest(body, "cc-batch");
  ASSERT_EQ(ids.size(), 12u);
  for (auto id : ids) waitStatus(id, "delivered");
  auto stats = simStats();
  EXPECT_EQ(stats["max_concurrent"], 2) << stats.dump();
}

TEST_F(DeliveryTest, SigtermDrainsAndRestartDeliversTheRest) {
  start();
  setFault(R"({"mode":"slow","delay_ms":200,"count":1000})");
  std::string body = "[";
  for (int i = 0; i < 40; ++i) body += std::string(i ? "," : "") + R"({"orderId":"SO-T)" + std::to_string(i) + "\"}";
  body += "]";
  auto ids = ingest(body, "sigterm-batch");
  ASSERT_EQ(ids.size(), 40u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stopGateway(SIGTERM);
  EXPECT_NE(gatewayLog().find("gateway.stopped"), std::string::npos);
  setFault(R"({"mode":"none"})");
  startGateway();
  for (auto id : ids) waitStatus(id, "delivered", 20000);
  EXPECT_EQ(simStats()["effects"], 40);
}

TEST_F(DeliveryTest, SigtermWithADeliveryStuckPastTheDrainTimeoutStillExitsAndLosesNothing) {
  GatewayOptions o;
  o.sink_timeout = "10s";
  o.drain_timeout_ms = 300;
  start(o);
  // The receiver records the order, then holds the reply for 4 s: longer than the drain.
  setFault(R"({"mode":"timeout_after_commit","delay_ms":4000,"count":1})");
  int64_t id = ingestOne("SO-STUCK");
  ASSERT_TRUE(testkit::waitFor([&] { return simStats()["effects"].get<int>() == 1; }, 5000));
  stopGateway(SIGTERM);
  // It gave up on the stuck call (rather than waiting it out) and said so.
  EXPECT_NE(gatewayLog().find("\"event\":\"gateway.drain_timeout\",\"in_flight\":\"1\""), std::string::npos)
      << gatewayLog();
  EXPECT_NE(gatewayLog().find("\"abandoned\":\"1\""), std::string::npos);
  // Its lease was released: a new process delivers it again, and the key keeps one effect.
  startGateway();
  waitStatus(id, "delivered", 20000);
  EXPECT_EQ(simStats()["effects"], 1);
}

TEST_F(DeliveryTest, MessagesOfARouteRemovedFromTheConfigAreReportedAtStart) {
  GatewayOptions o;
  o.max_attempts = 50;
  start(o);
  setFault(R"({"mode":"status","status":503,"count":100000})");
  int64_t id = ingestOne("SO-ORPHAN");
  ASSERT_TRUE(testkit::waitFor([&] { return message(id)["attempts"].size() >= 1; }, 5000));
  stopGateway(SIGTERM);
  std::string cfg = testkit::readFile(config_dir_ + "/gateway.yaml");
  cfg.replace(cfg.find("  orders:\n"), 10, "  orders_v2:\n");
  testkit::writeFile(config_dir_ + "/gateway.yaml", cfg);
  startGateway();
  std::string log = gatewayLog();
  EXPECT_NE(log.find("\"event\":\"gateway.orphaned_messages\",\"route\":\"orders\",\"pending\":\"1\""),
            std::string::npos) << log;
}

TEST_F(DeliveryTest, ConfiguredSecretNeverReachesLogsOrResponses) {
  start();
  int64_t id = ingestOne("SO-SECRET");
  waitStatus(id, "delivered");
  std::string responses;
  for (const char* path : {"/api/v1/messages?route=orders", "/api/v1/connectors", "/metrics",
                           "/api/v1/dead-letters", "/readyz", "/api/v1/messages/999999"})
    responses += api("GET", path).body;
  responses += api("GET", "/api/v1/messages", "", "wrong-key").body;
  EXPECT_EQ(responses.find(admin_key_), std::string::npos);
  EXPECT_FALSE(gatewayLog().empty());
  EXPECT_EQ(gatewayLog().find(admin_key_), std::string::npos);
}

}  // namespace
}  // namespace qiao::e2e
