// The `crm` simulator: a sales CRM as qiao meets it (docs/simulators.md, section crm).
//   /sim/crm/api/orders[/{id}[/erp-status|/payment-status]]   orders and their write-backs
//   /sim/crm/api/customers[/{id}]                              customers, paged by modifiedAt
//   /sim/crm/_stats _config _faults _reset _orders _customers[/seed|/bulk] _webhooks[/deliveries]
// /api/* needs `Authorization: Bearer <token>`; `X-Actor` names who writes (default "user").
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "crm_customers.h"
#include "crm_orders.h"
#include "crm_webhooks.h"
#include "sim_faults.h"
#include "sim_server.h"

namespace qiao::sim {

class CrmSim : public Simulator {
 public:
  CrmSim();
  ~CrmSim() override;
  std::string name() const override { return "crm"; }
  void handle(Exchange& ex) override;
  nlohmann::json saveState() override;
  void loadState(const nlohmann::json& state) override;
  bool dirty() const override { return dirty_.load(); }

 private:
  struct Config {
    int64_t latency_ms = 0;
    std::string token = "sim-crm-token";  // "" = no authentication
    bool echo_webhooks = true;            // also tell of writes made by X-Actor "qiao"
  };
  void api(Exchange& ex, const std::string& path);
  // tell: whether changes made by this request are told to webhook subscribers.
  crm::Reply dispatch(Exchange& ex, const std::string& path, bool tell, std::string* kind);
  void admin(Exchange& ex, const std::string& op);
  void account(const crm::Reply& r, const std::string& kind, const std::string& actor);
  nlohmann::json stats();
  nlohmann::json configJson();

  crm::OrderBook orders_;
  crm::CustomerBook customers_;
  crm::WebhookSender webhooks_;

  std::mutex config_mu_;
  Config config_;

  std::mutex faults_mu_;
  FaultPlan faults_;
  std::string fault_path_;  // only api paths starting with this ("" = all)

  std::mutex stats_mu_;
  std::map<std::string, int64_t> effects_;  // kind -> count
  std::map<std::string, std::map<std::string, int64_t>> by_actor_;
  int64_t requests_ = 0, duplicates_ = 0, noops_ = 0, unauthorized_ = 0, faults_injected_ = 0;
  int64_t in_flight_ = 0, max_in_flight_ = 0;

  std::atomic<bool> dirty_{false};
};

}  // namespace qiao::sim
