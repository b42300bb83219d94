// Approvals (审批) of the WeCom simulator: oa/applyevent with the older approver + attr form,
// oa/getapprovaldetail, oa/getapprovalinfo (time range, filters, string cursor), and admin
// state changes (approve / reject / withdraw / comment) that produce the
// sys_approval_change event XML exactly as reference wecom.md §5.4 shows it.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qiao::sim::wecom {

// A WeCom API answer (errcode inside) plus, when something changed, the event to call back.
struct ApiResult {
  nlohmann::json body;
  std::string event_key;  // sp_no / external_userid; "" = no event
  std::string event_xml;
};

// Who and where, for event XML.
struct CorpInfo {
  std::string corp_id;
  std::string agent_id;
  std::set<std::string> members;  // valid userids; empty = anyone
};

nlohmann::json errcodeBody(int64_t errcode, const std::string& errmsg);

class ApprovalBook {
 public:
  ApiResult apply(const nlohmann::json& req, const CorpInfo& corp);
  nlohmann::json detail(const nlohmann::json& req) const;
  nlohmann::json list(const nlohmann::json& req) const;
  // Admin: action approve|reject|withdraw|comment, body {"userid"|"approver", "comment"}.
  // *http_status 404 / 409 / 400 when the action does not apply (body explains).
  ApiResult act(const std::string& sp_no, const std::string& action, const nlohmann::json& body,
                const CorpInfo& corp, int* http_status);
  nlohmann::json all() const;
  size_t size() const;
  void reset();

 private:
  struct Detail {
    std::string userid, speech;
    int sp_status = 1;  // 1 审批中, 2 已同意, 3 已驳回
    int64_t sptime = 0;
  };
  struct Node {
    int sp_status = 1;
    int attr = 1;  // 1 或签, 2 会签
    std::vector<Detail> details;
  };
  struct Comment {
    std::string userid, content, id;
    int64_t time = 0;
  };
  struct Approval {
    std::string sp_no, sp_name, template_id, creator, party = "1";
    int sp_status = 1;  // 1 审批中 2 已通过 3 已驳回 4 已撤销 6 通过后撤销
    int64_t apply_time = 0;
    std::vector<Node> nodes;
    std::vector<std::string> notifyers;
    nlohmann::json apply_data;
    std::vector<Comment> comments;
  };
  nlohmann::json infoJson(const Approval& a) const;
  std::string eventXml(const Approval& a, int change_event, const CorpInfo& corp) const;

  mutable std::mutex mu_;
  std::map<std::string, Approval> by_no_;
  int64_t seq_ = 0;
};

}  // namespace qiao::sim::wecom
