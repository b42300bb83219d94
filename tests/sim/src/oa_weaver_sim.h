// The `weaver` simulator: Weaver e-cology 9 (泛微 E9) REST as qiao meets it
// (docs/connectors/oa.md, "The simulators"). Mounted at /sim/weaver/, so a connector's
// base_url is http://127.0.0.1:<port>/sim/weaver.
//   api/ec/dev/auth/regist        headers appid + cpk → secret + spk (a real RSA key pair)
//   api/ec/dev/auth/applytoken    headers appid + secret (RSA/PKCS#1, base64) + time → token
//   api/workflow/paService/doCreateRequest|getRequestStatus|getWorkflowRequest|
//                          getMyWorkflowRequestList   headers appid + token + userid (RSA)
//   _config _stats _faults _reset _tokens[/expire] _requests[/{id}[/{action}]]
// action: approve | reject | withdraw | terminate | resubmit, body {approver, comment}.
// Auth failures answer HTTP 200 {"code":-1,"msg":...,"status":false}; paService answers
// {"code":"SUCCESS"|"PARAM_ERROR"|...,"data":...,"errMsg":{...}}, as E9 does.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "oa_weaver_book.h"
#include "sim_faults.h"
#include "sim_server.h"

namespace qiao::sim {

class WeaverSim : public Simulator {
 public:
  WeaverSim();
  ~WeaverSim() override;
  std::string name() const override { return "weaver"; }
  void handle(Exchange& ex) override;

 private:
  struct Config {
    std::set<std::string> app_ids{"sim-weaver-app"};
    std::map<std::string, std::string> users{{"1", "系统管理员"}, {"2", "张经理"}, {"8", "销售李四"}};
    std::map<std::string, std::set<std::string>> workflows{{"1001", {}}};  // id → fields (empty: any)
    int64_t token_ttl_max_s = 1800;  // the `time` header is capped here
    int64_t latency_ms = 0;
  };
  struct Token {
    std::string app_id;
    int64_t expires_ms = 0;
  };
  struct Registration {
    std::string secret;
    std::string cpk;
  };

  void api(Exchange& ex, const std::string& path);
  // Each returns the HTTP status and body; api() sends it (late, for timeout_after_commit).
  std::pair<int, nlohmann::json> regist(Exchange& ex);
  std::pair<int, nlohmann::json> applytoken(Exchange& ex);
  std::pair<int, nlohmann::json> paService(Exchange& ex, const std::string& name);
  void admin(Exchange& ex, const std::string& op);
  bool configure(const nlohmann::json& body, std::string* error);
  nlohmann::json configJson();
  nlohmann::json stats();
  // The RSA-encrypted base64 value decrypted with the server key; false if it does not decrypt.
  bool decrypt(const std::string& b64, std::string* out) const;

  struct Keys;
  std::unique_ptr<Keys> keys_;  // the server key pair (spk = its public half)
  oa::WeaverBook book_;

  std::mutex config_mu_;
  Config config_;

  std::mutex auth_mu_;
  std::map<std::string, Registration> registrations_;  // appid → registration
  std::map<std::string, Token> tokens_;

  std::mutex faults_mu_;
  FaultPlan faults_;
  std::string fault_path_;  // only api paths starting with this ("" = all)

  std::mutex stats_mu_;
  std::map<std::string, int64_t> calls_;  // api → requests
  int64_t registers_ = 0, tokens_issued_ = 0, token_refusals_ = 0, faults_injected_ = 0;
};

}  // namespace qiao::sim
