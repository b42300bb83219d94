// The `k3cloud` simulator: Kingdee K/3 Cloud WebAPI at /sim/k3cloud/k3cloud/<Service>.common.kdsvc
// (also /K3Cloud/), faithful to /work/shared/reference/kingdee-k3cloud.md; admin endpoints
// under /sim/k3cloud/_... (see docs/simulators.md, section `k3cloud`).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sim_faults.h"
#include "sim_server.h"

namespace qiao::sim {

namespace k3 {
class Auth;
class Forms;
}  // namespace k3

class K3Sim : public Simulator {
 public:
  K3Sim();
  ~K3Sim() override;
  std::string name() const override { return "k3cloud"; }
  void handle(Exchange& ex) override;
  nlohmann::json saveState() override;
  void loadState(const nlohmann::json& state) override;
  bool dirty() const override { return dirty_.load(); }

  struct Config {
    int64_t latency_ms = 0;
    bool is_success_as_string = false;  // "IsSuccess":"true" as in the doc templates
    bool unicode_escape = false;        // Chinese as \uXXXX
    int64_t html_502_count = 0;         // next N service calls get a proxy's HTML 502 page
    int64_t session_ttl_ms = 0;         // 0 = sessions never expire
    bool view_result_as_string = false;  // View's Result.Result as JSON text (seen by clients)
  };
  // A business error answered instead of performing the call (e.g. MsgCode 13 网控, 14 调用限制).
  struct MsgFault {
    int64_t remaining = 0;
    int msg_code = 0;
    std::string message;
    std::vector<std::string> services;  // empty = every business service
  };

 private:
  struct Call;  // one service request being answered
  void service(Exchange& ex, const std::string& rest);
  nlohmann::json dispatch(Call& call, Exchange& ex);
  void admin(Exchange& ex, const std::string& op);
  void reply(Exchange& ex, const Call& call, const nlohmann::json& body, const Config& cfg);
  void countCall(const std::string& method);
  nlohmann::json stats();

  std::unique_ptr<k3::Forms> forms_;
  std::unique_ptr<k3::Auth> auth_;
  std::mutex cfg_mu_;  // guards cfg_, faults_, fault_services_, msg_fault_
  Config cfg_;
  FaultPlan faults_;
  std::vector<std::string> fault_services_;  // empty = every service
  MsgFault msg_fault_;
  std::mutex stats_mu_;
  std::map<std::string, int64_t> calls_;
  std::atomic<int64_t> logins_{0}, login_failures_{0}, session_lost_{0}, faults_injected_{0};
  std::atomic<int64_t> in_flight_{0}, max_in_flight_{0};
  std::atomic<bool> dirty_{false};
};

}  // namespace qiao::sim
