#include "gateway_fixture.h"

#include <signal.h>

#include <random>

namespace qiao::e2e {

using testkit::http;

void GatewayFixture::SetUp() {
  dir_ = std::make_unique<testkit::TempDir>();
  config_dir_ = dir_->file("config");
  std::mt19937_64 rng(std::random_device{}());
  admin_key_ = "e2e-admin-" + std::to_string(rng()) + std::to_string(rng());
  testkit::writeFile(dir_->file("secrets/admin_key"), admin_key_ + "\n");
  startSim();
}

void GatewayFixture::TearDown() {
  if (gw_) gw_->kill(SIGKILL);
  if (sim_) sim_->kill(SIGKILL);
  if (HasFailure()) std::cerr << "---- gateway log ----\n" << gatewayLog() << "\n";
}

void GatewayFixture::startSim() {
  sim_port_ = testkit::freePort();
  sim_ = std::make_unique<testkit::Child>(
      testkit::binPath("qiao-sim"),
      std::vector<std::string>{"--host", "127.0.0.1", "--port", std::to_string(sim_port_)},
      dir_->file("sim.log"));
  ASSERT_TRUE(testkit::waitFor([&] { return sim("GET", "/sim/receiver/erp/_stats").status == 200; }, 10000))
      << "qiao-sim did not start: " << testkit::readFile(dir_->file("sim.log"));
}

void GatewayFixture::writeConfig(const GatewayOptions& o) {
  api_port_ = testkit::freePort();
  std::string data = dir_->file("data");
  std::string yaml =
      "gateway:\n"
      "  instance_name: e2e\n"
      "  data_dir: " + data + "\n"
      "  log_file: " + dir_->file("qiao.log") + "\n"
      "  log_level: info\n"
      "  workers: 8\n" +
      (o.mappings_dir.empty() ? std::string() : "  mappings_dir: " + o.mappings_dir + "\n") +
      "  drain_timeout_ms: " + std::to_string(o.drain_timeout_ms) + "\n" +
      (o.plugins_dir.empty() ? "" : "  plugins_dir: " + o.plugins_dir + "\n") +
      "server:\n"
      "  host: 127.0.0.1\n"
      "  port: " + std::to_string(api_port_) + "\n"
      "  max_body_bytes: 65536\n"
      "store:\n"
      "  driver: sqlite\n"
      "  lease_ms: " + std::to_string(o.lease_ms) + "\n"
      "security:\n"
      "  require_auth: true\n"
      "  bootstrap_admin_key: ${file:" + dir_->file("secrets/admin_key") + "}\n"
      "connectors:\n"
      "  erp:\n"
      "    type: http\n"
      "    url: http://127.0.0.1:" + std::to_string(sim_port_) + "/sim/receiver/erp/orders\n"
      "    timeout: " + o.sink_timeout + "\n"
      "    connect_timeout: 1s\n"
      "    concurrency: " + std::to_string(o.concurrency) + "\n"
      "    circuit_breaker:\n"
      "      failure_threshold: " + std::to_string(o.failure_threshold) + "\n"
      "      open_ms: " + std::to_string(o.open_ms) + "\n" +
      o.extra_connectors_yaml +
      "routes:\n"
      "  orders:\n"
      "    sink: erp\n"
      "    entity: order\n"
      "    business_key: /orderId\n"
      "    ordered: " + (o.ordered ? "true" : "false") + "\n"
      "    retry:\n"
      "      max_attempts: " + std::to_string(o.max_attempts) + "\n"
      "      initial_backoff_ms: " + std::to_string(o.initial_backoff_ms) + "\n"
      "      max_backoff_ms: " + std::to_string(o.max_backoff_ms) + "\n" +
      o.extra_yaml;
  testkit::writeFile(config_dir_ + "/gateway.yaml", yaml);
}

void GatewayFixture::startGateway() {
  gw_ = std::make_unique<testkit::Child>(testkit::binPath("qiao"),
                                         std::vector<std::string>{"run", "--config", config_dir_},
                                         dir_->file("qiao.out"));
  ASSERT_TRUE(testkit::waitFor([&] { return api("GET", "/readyz").status == 200; }, 15000))
      << "gateway did not become ready:\n" << testkit::readFile(dir_->file("qiao.out")) << gatewayLog();
}

void GatewayFixture::stopGateway(int signal) {
  gw_->kill(signal);
  int rc = gw_->wait(20000);
  if (signal == SIGTERM) EXPECT_EQ(rc, 0) << "gateway did not exit cleanly on SIGTERM";
  gw_.reset();
}

testkit::HttpResponse GatewayFixture::api(const std::string& method, const std::string& path,
                                          const std::string& body, const std::string& key) {
  std::map<std::string, std::string> headers{{"Authorization", "Bearer " + (key.empty() ? admin_key_ : key)}};
  return http(method, api_port_, path, body, headers);
}

testkit::HttpResponse GatewayFixture::sim(const std::string& method, const std::string& path,
                                          const std::string& body) {
  return http(method, sim_port_, path, body);
}

json GatewayFixture::simStats(const std::string& receiver) {
  auto r = sim("GET", "/sim/receiver/" + receiver + "/_stats");
  EXPECT_EQ(r.status, 200) << r.body;
  return json::parse(r.body, nullptr, false);
}

void GatewayFixture::setFault(const std::string& fault_json, const std::string& receiver) {
  auto r = sim("POST", "/sim/receiver/" + receiver + "/_faults", fault_json);
  ASSERT_EQ(r.status, 200) << r.body;
}

json GatewayFixture::message(int64_t id) {
  auto r = api("GET", "/api/v1/messages/" + std::to_string(id));
  EXPECT_EQ(r.status, 200) << r.body;
  return json::parse(r.body, nullptr, false);
}

json GatewayFixture::waitStatus(int64_t id, const std::string& status, int timeout_ms) {
  json last;
  testkit::waitFor([&] {
    last = message(id);
    return last.is_object() && last.value("status", "") == status;
  }, timeout_ms, 50);
  EXPECT_EQ(last.value("status", ""), status) << last.dump(2);
  return last;
}

std::vector<int64_t> GatewayFixture::ingest(const std::string& body, const std::string& idem) {
  std::map<std::string, std::string> headers{{"Authorization", "Bearer " + admin_key_}};
  if (!idem.empty()) headers["Idempotency-Key"] = idem;
  auto r = http("POST", api_port_, "/api/v1/routes/orders/messages", body, headers);
  EXPECT_EQ(r.status, 202) << r.body;
  std::vector<int64_t> ids;
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("accepted"))
    for (const auto& a : j["accepted"]) ids.push_back(a["id"].get<int64_t>());
  return ids;
}

std::string GatewayFixture::gatewayLog() {
  return testkit::readFile(dir_->file("qiao.log")) + testkit::readFile(dir_->file("qiao.out"));
}

}  // namespace qiao::e2e
