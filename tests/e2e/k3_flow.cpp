#include "k3_flow.h"

#include <cstdio>

namespace qiao::e2e {

namespace {
constexpr const char* kCrmToken = "sim-crm-token";  // the CRM simulator's default token
}

std::string k3SimConnector(const std::string& name, int sim_port, const std::string& secret_file) {
  return "  " + name + ":\n"
         "    type: k3cloud\n"
         "    base_url: http://127.0.0.1:" + std::to_string(sim_port) + "/sim/k3cloud/k3cloud/\n"
         "    acct_id: sim-acct-001\n"
         "    auth: sign\n"
         "    username: administrator\n"
         "    app_id: sim_app_id\n"
         "    app_secret: ${file:" + secret_file + "}\n";
}

void K3FlowTest::startFlow(const Flow& f) {
  // Secrets reach the config as ${file:} references, as in production.
  testkit::writeFile(dir_->file("secrets/k3_app_secret"), "sim-app-secret\n");
  testkit::writeFile(dir_->file("secrets/crm_token"), std::string(kCrmToken) + "\n");
  const std::string sim = "http://127.0.0.1:" + std::to_string(sim_port_);
  GatewayOptions o;
  o.mappings_dir = testkit::sourcePath("mappings/standard");
  auto concurrency = [](int n) {
    return n > 0 ? "    concurrency: " + std::to_string(n) + "\n" : std::string();
  };
  o.extra_connectors_yaml =
      k3SimConnector("k3", sim_port_, dir_->file("secrets/k3_app_secret")) +
      (f.submit_audit ? "    submit: true\n    audit: true\n" : "") +
      "    timeout: " + f.k3_timeout + "\n" + concurrency(f.k3_concurrency) +
      // The fault tests inject 20% errors on purpose: the breaker must not hold the run
      // back for its default 30 s each time it opens.
      "    circuit_breaker: {failure_threshold: 50, open_ms: 1000}\n"
      "  crm_status:\n"
      "    type: http\n"
      "    method: PUT\n"
      "    url: " + sim + "/sim/crm/api/orders/{/orderId}/erp-status\n"
      "    auth_token: ${file:" + dir_->file("secrets/crm_token") + "}\n"
      "    headers: {X-Actor: qiao}\n"
      "    timeout: 2s\n" + concurrency(f.crm_concurrency) +
      "    circuit_breaker: {failure_threshold: 50, open_ms: 1000}\n" + f.extra_connectors;
  const std::string retry = retryYaml(f);
  o.extra_yaml =
      "  k3_orders:\n"
      "    sink: k3\n"
      "    entity: order\n"
      "    business_key: /orderId\n"
      "    mapping: crm_order_to_k3_sale_order_finance\n" + retry +
      "    on_delivered:\n"
      "      xref: {entity: order, system: k3cloud}\n"
      "      then: " + f.then + "\n" + f.k3_orders_extra +
      "  order_status_to_crm:\n"
      "    sink: crm_status\n"
      "    entity: order_status\n"
      "    business_key: /record/orderId\n"
      "    mapping: crm_order_status_from_k3\n" + retry + f.extra_routes;
  writeConfig(o);
  startGateway();
}

std::string K3FlowTest::retryYaml(const Flow& f) {
  return "    retry: {max_attempts: " + std::to_string(f.max_attempts) +
         ", initial_backoff_ms: 50, max_backoff_ms: " + std::to_string(f.max_backoff_ms) + "}\n";
}

std::string K3FlowTest::orderId(int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "SO-E2E-%06d", n);
  return buf;
}

json K3FlowTest::order(int n, const std::string& customer) {
  return json{{"orderId", orderId(n)},
              {"orderDate", "2026-11-26"},
              {"createdAt", "2026-11-26T08:00:00+08:00"},
              {"customerCode", customer},
              {"customerName", "苏州华东精密机械有限公司"},
              {"customerContact", "王经理"},
              {"customerPhone", "13800138000"},
              {"salesOrg", "100"},
              {"salesPersonCode", "EMP001"},
              {"deptCode", "BM001"},
              {"currency", "CNY"},
              {"paymentTerms", "NET30"},
              {"status", "confirmed"},
              {"totalAmount", "226.00"},
              {"taxAmount", "26.00"},
              {"requestedDeliveryDate", "2026-12-10"},
              {"lines", json::array({json{{"lineNo", 1},
                                          {"materialCode", "M00" + std::to_string(1 + n % 5)},
                                          {"qty", "2"},
                                          {"unit", "PCS"},
                                          {"price", "100.00"},
                                          {"taxRate", "13"},
                                          {"warehouse", "CK001"}}})}};
}

void K3FlowTest::createInCrm(const json& order) {
  auto r = testkit::http("POST", sim_port_, "/sim/crm/api/orders", order.dump(),
                         {{"Authorization", std::string("Bearer ") + kCrmToken}});
  ASSERT_TRUE(r.status == 200 || r.status == 201) << r.status << " " << r.body;
}

std::vector<int64_t> K3FlowTest::push(const json& orders) {
  auto r = api("POST", "/api/v1/routes/k3_orders/messages", orders.dump());
  EXPECT_EQ(r.status, 202) << r.body;
  std::vector<int64_t> ids;
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("accepted"))
    for (const auto& a : j["accepted"]) ids.push_back(a["id"].get<int64_t>());
  return ids;
}

json K3FlowTest::crmOrder(const std::string& order_id) {
  auto r = testkit::http("GET", sim_port_, "/sim/crm/api/orders/" + order_id, "",
                         {{"Authorization", std::string("Bearer ") + kCrmToken}});
  return r.status == 200 ? json::parse(r.body, nullptr, false) : json();
}

json K3FlowTest::k3Stats() {
  auto r = sim("GET", "/sim/k3cloud/_stats");
  EXPECT_EQ(r.status, 200) << r.body;
  return json::parse(r.body, nullptr, false);
}

json K3FlowTest::k3Bills() {
  auto r = sim("GET", "/sim/k3cloud/_bills/SAL_SaleOrder");
  EXPECT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body, nullptr, false);
  // The listing is an array, or an object holding one.
  if (j.is_object())
    for (const char* k : {"bills", "items", "documents"})
      if (j.contains(k)) return j[k];
  return j;
}

void K3FlowTest::k3(const std::string& path, const std::string& body) {
  auto r = sim("POST", "/sim/k3cloud/" + path, body);
  ASSERT_EQ(r.status, 200) << path << ": " << r.body;
}

}  // namespace qiao::e2e
