// The order push flow of config/demo, for end-to-end tests: CRM order → standard mapping →
// K/3 Cloud Save + Submit + Audit (qiao-sim's k3cloud) → ID cross-reference → write-back of
// the ERP number to the CRM (qiao-sim's crm). Orders use the simulator's seeded base data.
#pragma once

#include <string>

#include "gateway_fixture.h"

namespace qiao::e2e {

// The first lines of the k3cloud connector `name` at qiao-sim's K/3 Cloud on sim_port, signed in
// as the simulator's app with the secret in secret_file (which holds "sim-app-secret"). The
// connector's other keys follow, indented four spaces.
std::string k3SimConnector(const std::string& name, int sim_port, const std::string& secret_file);

class K3FlowTest : public GatewayFixture {
 protected:
  struct Flow {
    int k3_concurrency = 8;   // 0: not set (the connector's default)
    int crm_concurrency = 4;  // of crm_status; 0: not set
    int max_attempts = 10;
    int max_backoff_ms = 500;
    std::string k3_timeout = "2s";
    bool submit_audit = true;  // false: Save only (submit and audit not set: their default)
    std::string then = "order_status_to_crm";  // the k3_orders route's on_delivered.then
    std::string k3_orders_extra;   // more keys of the k3_orders route (indented 4 spaces)
    std::string extra_connectors;  // more connectors (indented 2 spaces)
    std::string extra_routes;      // more routes (indented 2 spaces)
  };

  // Writes the flow's config (connectors k3, crm_status; routes k3_orders → order_status_to_crm)
  // and starts the gateway.
  void startFlow(const Flow& flow);
  void startFlow() { startFlow(Flow{}); }
  // The retry of the flow's routes (indented 4 spaces), for more routes to use.
  static std::string retryYaml(const Flow& flow);

  // A canonical CRM order (docs/crm-model.md) using the K/3 simulator's seeded base data.
  static json order(int n, const std::string& customer = "C100001");
  static std::string orderId(int n);

  // Creates the order in the CRM simulator (the write-back needs it there), no webhook.
  void createInCrm(const json& order);
  // Posts records to the k3_orders route; returns their message ids.
  std::vector<int64_t> push(const json& orders);

  json crmOrder(const std::string& order_id);
  json k3Stats();
  json k3Bills();  // every stored SAL_SaleOrder
  void k3(const std::string& path, const std::string& body);  // POST to /sim/k3cloud/<path>
};

}  // namespace qiao::e2e
