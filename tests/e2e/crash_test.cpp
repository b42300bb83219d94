// Crash test: 2,000 messages, the gateway SIGKILLed three times while delivering, then
// restarted. Every message must reach the receiver and, since the receiver honours
// idempotency keys, no message may have two effects.
#include <signal.h>

#include "gateway_fixture.h"

namespace qiao::e2e {
namespace {

class CrashTest : public GatewayFixture {};

TEST_F(CrashTest, SigkillDuringDeliveryLosesNothingAndDuplicatesNoEffect) {
  GatewayOptions o;
  o.lease_ms = 1500;  // expired leases come back quickly after a kill
  o.concurrency = 16;
  o.max_attempts = 50;
  writeConfig(o);
  startGateway();
  // Slow the receiver a little so kills land while deliveries are in flight.
  setFault(R"({"mode":"slow","delay_ms":5,"count":100000})");

  constexpr int kTotal = 2000;
  constexpr int kBatch = 100;
  for (int b = 0; b < kTotal / kBatch; ++b) {
    std::string body = "[";
    for (int i = 0; i < kBatch; ++i) {
      int n = b * kBatch + i;
      body += std::string(i ? "," : "") + R"({"orderId":"SO-C)" + std::to_string(n) + R"(","qty":1})";
    }
    body += "]";
    auto ids = ingest(body, "crash-batch-" + std::to_string(b));
    ASSERT_EQ(ids.size(), static_cast<size_t>(kBatch));
  }

  for (int kill = 0; kill < 3; ++kill) {
    // Wait until some deliveries happened since the last restart, then kill mid-flight.
    int before = simStats()["effects"].get<int>();
    ASSERT_TRUE(testkit::waitFor([&] { return simStats()["effects"].get<int>() >= before + 150; }, 30000, 5))
        << "no delivery progress before kill " << kill;
    stopGateway(SIGKILL);
    startGateway();
  }
  setFault(R"({"mode":"none"})");

  ASSERT_TRUE(testkit::waitFor([&] { return simStats()["unique_keys"].get<int>() >= kTotal; }, 120000, 100))
      << simStats().dump();
  // Every message delivered in the gateway's own records too.
  ASSERT_TRUE(testkit::waitFor([&] {
    auto r = api("GET", "/metrics");
    return r.body.find("qiao_queue_depth{route=\"orders\"} 0") != std::string::npos &&
           r.body.find("qiao_queue_inflight{route=\"orders\"} 0") != std::string::npos;
  }, 30000, 200));
  auto stats = simStats();
  EXPECT_EQ(stats["unique_keys"], kTotal) << stats.dump();
  EXPECT_EQ(stats["effects"], kTotal) << "duplicate effects: " << stats.dump();
  auto dead = api("GET", "/api/v1/dead-letters");
  EXPECT_EQ(json::parse(dead.body)["items"].size(), 0u) << dead.body;
  std::cerr << "crash test receiver stats: " << stats.dump() << "\n";
}

// Two gateway processes on one SQLite file: work is claimed through leases in the database,
// so each message is delivered by exactly one of them and both take part.
TEST_F(CrashTest, TwoGatewaysShareOneStoreWithoutDoubleDelivery) {
  GatewayOptions o;
  o.concurrency = 4;
  writeConfig(o);
  startGateway();
  setFault(R"({"mode":"slow","delay_ms":10,"count":100000})");
  // A second process: same config and database, its own API port.
  std::string second_dir = dir_->file("config2");
  int second_port = testkit::freePort();
  std::string cfg = testkit::readFile(config_dir_ + "/gateway.yaml");
  cfg.replace(cfg.find("port: " + std::to_string(api_port_)), 6 + std::to_string(api_port_).size(),
              "port: " + std::to_string(second_port));
  cfg.replace(cfg.find("qiao.log"), 8, "qiao2.log");
  testkit::writeFile(second_dir + "/gateway.yaml", cfg);
  testkit::Child second(testkit::binPath("qiao"), {"run", "--config", second_dir}, dir_->file("qiao2.out"));
  ASSERT_TRUE(testkit::waitFor([&] { return testkit::http("GET", second_port, "/readyz").status == 200; }, 15000));

  constexpr int kTotal = 600;
  for (int b = 0; b < kTotal / 100; ++b) {
    std::string body = "[";
    for (int i = 0; i < 100; ++i)
      body += std::string(i ? "," : "") + R"({"orderId":"SO-S)" + std::to_string(b * 100 + i) + "\"}";
    body += "]";
    ASSERT_EQ(ingest(body, "shared-" + std::to_string(b)).size(), 100u);
  }
  ASSERT_TRUE(testkit::waitFor([&] { return simStats()["effects"].get<int>() >= kTotal; }, 60000, 100))
      << simStats().dump();
  auto delivered_by = [](const std::string& metrics) {
    const std::string name = "qiao_messages_delivered_total{route=\"orders\",connector=\"erp\"} ";
    auto pos = metrics.find(name);
    return pos == std::string::npos ? -1 : std::atoi(metrics.c_str() + pos + name.size());
  };
  int first = delivered_by(api("GET", "/metrics").body);
  int other = delivered_by(testkit::http("GET", second_port, "/metrics").body);
  auto stats = simStats();
  EXPECT_EQ(stats["effects"], kTotal) << stats.dump();
  EXPECT_EQ(stats["requests"], kTotal) << "a message was sent twice: " << stats.dump();
  EXPECT_EQ(first + other, kTotal);
  EXPECT_GT(first, 0);
  EXPECT_GT(other, 0) << "the second process never claimed any work";
  std::cerr << "delivered by the first process: " << first << ", by the second: " << other << "\n";
  second.kill(SIGTERM);
  EXPECT_EQ(second.wait(15000), 0);
}

}  // namespace
}  // namespace qiao::e2e
