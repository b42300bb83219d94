// The `wecom` simulator: WeCom (企业微信) as qiao meets it (docs/connectors/wecom.md, section
// "The simulator"). Mounted at /sim/wecom/, so a connector's base_url is
// http://127.0.0.1:<port>/sim/wecom and its calls land on /sim/wecom/cgi-bin/...
//   cgi-bin/gettoken                               tokens per app secret, short TTL on request
//   cgi-bin/message/send, cgi-bin/webhook/send     app and group-robot messages, rate limited
//   cgi-bin/oa/applyevent|getapprovaldetail|getapprovalinfo
//   cgi-bin/externalcontact/list|get|batch/get_by_user
//   _config _stats _faults _reset _tokens[/expire] _messages _approvals[/{sp_no}[/{action}]]
//   _contacts[/seed|/{id}/event] _callbacks[/verify|/wait|/{seq}/replay]
// Business errors are HTTP 200 with errcode ≠ 0, as WeCom answers them.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "sim_faults.h"
#include "sim_server.h"
#include "wecom_callbacks.h"
#include "wecom_contacts.h"
#include "wecom_messages.h"
#include "wecom_oa.h"

namespace qiao::sim {

class WecomSim : public Simulator {
 public:
  WecomSim();
  ~WecomSim() override;
  std::string name() const override { return "wecom"; }
  void handle(Exchange& ex) override;

 private:
  struct Config {
    std::string corp_id = "wwsimcorp0000001";
    std::map<int64_t, std::string> apps{{1000002, "sim-wecom-secret"}};  // agentid → secret
    int64_t token_ttl_s = 7200;
    std::set<std::string> robot_keys{"sim-robot-key"};
    std::set<std::string> members{"zhangsan", "lisi", "wangwu", "GM", "RegionMgr", "Finance"};
    wecom::MessageLimits limits;
    int64_t latency_ms = 0;
    size_t follow_page = 500;
    bool callback_on_submit = true;  // WeCom also calls back on submission (StatuChangeEvent 1)
  };
  struct Token {
    int64_t agent_id = 0;
    int64_t expires_ms = 0;
  };

  void api(Exchange& ex, const std::string& path);
  void admin(Exchange& ex, const std::string& op);
  void gettoken(Exchange& ex);
  // The token's app, or false after answering 41001 / 40014 / 42001.
  bool checkToken(Exchange& ex, int64_t* agent_id);
  void answer(Exchange& ex, const std::string& api, const nlohmann::json& body);
  void publish(const std::string& kind, const wecom::ApiResult& r);
  bool configure(const nlohmann::json& body, std::string* error);
  nlohmann::json configJson();
  nlohmann::json stats();
  wecom::CorpInfo corp();

  wecom::MessageBook messages_;
  wecom::ApprovalBook approvals_;
  wecom::ContactBook contacts_;
  wecom::CallbackSender callbacks_;

  std::mutex config_mu_;
  Config config_;

  std::mutex tokens_mu_;
  std::map<std::string, Token> tokens_;
  int64_t tokens_issued_ = 0;

  std::mutex faults_mu_;
  FaultPlan faults_;
  std::string fault_path_;  // only cgi-bin paths starting with this ("" = all)

  std::mutex stats_mu_;
  std::map<std::string, int64_t> calls_;     // api → requests
  std::map<std::string, int64_t> errcodes_;  // errcode → answers
  int64_t faults_injected_ = 0;
};

}  // namespace qiao::sim
