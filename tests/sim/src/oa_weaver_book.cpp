#include "oa_weaver_book.h"

#include "oa_sim_common.h"

namespace qiao::sim::oa {
namespace {

using nlohmann::json;

// A form value is JSON text; a JSON body already holds the value.
json asJson(const std::map<std::string, json>& params, const std::string& key) {
  auto it = params.find(key);
  if (it == params.end()) return nullptr;
  if (it->second.is_string()) {
    json parsed = json::parse(it->second.get<std::string>(), nullptr, false);
    if (!parsed.is_discarded() && (parsed.is_array() || parsed.is_object())) return parsed;
  }
  return it->second;
}

std::string asText(const std::map<std::string, json>& params, const std::string& key) {
  auto it = params.find(key);
  if (it == params.end() || it->second.is_null()) return "";
  return it->second.is_string() ? it->second.get<std::string>() : it->second.dump();
}

bool parseId(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 12 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  *out = std::stoll(s);
  return true;
}

}  // namespace

json paError(const std::string& code, const std::string& key, const std::string& message) {
  return {{"code", code}, {"errMsg", {{key, message}}}};
}

json WeaverBook::logJson(const Log& l) {
  std::string at = chinaTime(l.at_ms);
  return {{"nodeName", l.node_name},   {"operateType", l.operate_type},
          {"operatorId", l.operator_id}, {"operatorName", l.operator_name},
          {"operateDate", at.substr(0, 10)}, {"operateTime", at.substr(11)},
          {"remark", l.remark}};
}

json WeaverBook::create(const std::map<std::string, json>& params, const WeaverUser& user,
                        const std::map<std::string, std::set<std::string>>& workflows) {
  const std::string wf = asText(params, "workflowId");
  auto wit = workflows.find(wf);
  // E9 reports a malformed create as workflowId 0 / PARAM_ERROR.
  if (wf.empty() || wit == workflows.end()) return paError("PARAM_ERROR", "workflowId", "流程不存在或无创建权限: " + wf);
  const std::string name = asText(params, "requestName");
  if (name.empty()) return paError("PARAM_ERROR", "requestName", "requestName 不能为空");
  json main = asJson(params, "mainData");
  if (!main.is_array() || main.empty()) return paError("PARAM_ERROR", "mainData", "mainData 格式错误或为空");
  for (const auto& f : main) {
    if (!f.is_object() || !f.contains("fieldName") || !f["fieldName"].is_string() || !f.contains("fieldValue"))
      return paError("PARAM_ERROR", "mainData", "mainData 每项需要 fieldName 与 fieldValue");
    const std::string fn = f["fieldName"];
    if (!wit->second.empty() && !wit->second.count(fn))
      return paError("PARAM_ERROR", "error_param_" + fn, "表单中不存在字段 " + fn);
  }
  json detail = asJson(params, "detailData");
  if (!detail.is_null() && !detail.is_array()) return paError("PARAM_ERROR", "detailData", "detailData 格式错误");
  json other = asJson(params, "otherParams");
  const bool next = !(other.is_object() && other.contains("isnextflow") &&
                      (other["isnextflow"] == "0" || other["isnextflow"] == 0));
  std::lock_guard lock(mu_);
  Request r;
  r.id = next_id_++;
  r.workflow_id = wf;
  r.name = name;
  r.creator_id = user.id;
  r.creator_name = user.name;
  r.main_data = main;
  r.detail_data = detail.is_null() ? json::array() : detail;
  r.created_ms = r.updated_ms = nowMs();
  if (next) {
    r.node_type = 1;
    r.node_name = "部门经理审批";
    r.status = "审批中";
    r.logs.push_back({"申请", "提交", user.id, user.name, "", r.created_ms});
  } else {
    r.node_type = 0;
    r.node_name = "申请";
    r.status = "创建";
  }
  ++created_;
  requests_[r.id] = r;
  return {{"code", "SUCCESS"}, {"data", {{"requestid", r.id}}}, {"errMsg", json::object()}};
}

json WeaverBook::status(const std::string& request_id) const {
  int64_t id = 0;
  std::lock_guard lock(mu_);
  auto it = parseId(request_id, &id) ? requests_.find(id) : requests_.end();
  if (it == requests_.end()) return paError("PARAM_ERROR", "requestId", "流程不存在: " + request_id);
  const Request& r = it->second;
  return {{"code", "SUCCESS"},
          {"data", {{"requestId", std::to_string(r.id)}, {"requestName", r.name},
                    {"currentNodeId", std::to_string(3970 + r.node_type)},
                    {"currentNodeType", std::to_string(r.node_type)}, {"status", r.status},
                    {"creatorId", r.creator_id}, {"creatertype", 0}, {"isremark", 0},
                    {"workflowId", std::stoll(r.workflow_id)},
                    {"workflowBaseInfo", {{"workflowName", "订单审批"}, {"workflowTypeId", "1"}}}}},
          {"errMsg", json::object()}};
}

json WeaverBook::info(const std::string& request_id) const {
  int64_t id = 0;
  std::lock_guard lock(mu_);
  auto it = parseId(request_id, &id) ? requests_.find(id) : requests_.end();
  if (it == requests_.end()) return paError("PARAM_ERROR", "requestId", "流程不存在: " + request_id);
  const Request& r = it->second;
  json logs = json::array();
  for (const auto& l : r.logs) logs.push_back(logJson(l));
  std::string last_op = r.logs.empty() ? "" : r.logs.back().operator_name;
  return {{"code", "SUCCESS"},
          {"data", {{"requestId", std::to_string(r.id)}, {"requestName", r.name},
                    {"creatorId", r.creator_id}, {"creatorName", r.creator_name},
                    {"createTime", chinaTime(r.created_ms)}, {"lastOperateTime", chinaTime(r.updated_ms)},
                    {"lastOperatorName", last_op}, {"currentNodeId", std::to_string(3970 + r.node_type)},
                    {"currentNodeName", r.node_name}, {"status", r.status},
                    {"workflowBaseInfo", {{"workflowId", r.workflow_id}, {"workflowName", "订单审批"}}},
                    {"workflowMainTableInfo", {{"requestRecords", r.main_data}}},
                    {"workflowDetailTableInfos", r.detail_data},
                    {"workflowRequestLogs", logs}}},
          {"errMsg", json::object()}};
}

json WeaverBook::myList(const std::map<std::string, json>& params, const WeaverUser& user) const {
  json conditions = asJson(params, "conditions");
  std::string name_filter;
  if (conditions.is_object() && conditions.contains("requestname") && conditions["requestname"].is_string())
    name_filter = conditions["requestname"];
  int64_t page = 1, size = 10;
  parseId(asText(params, "pageNo"), &page);
  parseId(asText(params, "pageSize"), &size);
  if (page < 1) page = 1;
  if (size < 1 || size > 1000) size = 10;
  json out = json::array();
  std::lock_guard lock(mu_);
  int64_t skipped = 0;
  for (auto it = requests_.rbegin(); it != requests_.rend(); ++it) {  // newest first
    const Request& r = it->second;
    if (r.creator_id != user.id) continue;
    if (!name_filter.empty() && r.name.find(name_filter) == std::string::npos) continue;  // LIKE %x%
    if (skipped++ < (page - 1) * size) continue;
    if (static_cast<int64_t>(out.size()) >= size) break;
    out.push_back({{"requestId", std::to_string(r.id)}, {"requestName", r.name},
                   {"createTime", chinaTime(r.created_ms)}, {"creatorId", r.creator_id},
                   {"currentNodeName", r.node_name}, {"status", r.status},
                   {"workflowBaseInfo", {{"workflowId", r.workflow_id}, {"workflowName", "订单审批"}}}});
  }
  return out;  // a bare array, as the docs show it
}

json WeaverBook::adminJson(const Request& r) const {
  json logs = json::array();
  for (const auto& l : r.logs) logs.push_back(logJson(l));
  return {{"requestId", std::to_string(r.id)}, {"workflowId", r.workflow_id}, {"requestName", r.name},
          {"creatorId", r.creator_id}, {"nodeType", r.node_type}, {"nodeName", r.node_name},
          {"status", r.status}, {"mainData", r.main_data}, {"detailData", r.detail_data},
          {"logs", logs}, {"updatedMs", r.updated_ms}};
}

json WeaverBook::act(const std::string& request_id, const std::string& action, const json& body, int* http) {
  int64_t id = 0;
  std::lock_guard lock(mu_);
  auto it = parseId(request_id, &id) ? requests_.find(id) : requests_.end();
  if (it == requests_.end()) {
    *http = 404;
    return {{"error", "no request " + request_id}};
  }
  Request& r = it->second;
  const std::string approver = body.value("approver", std::string("2"));
  const std::string approver_name = body.value("approver_name", approver == "2" ? std::string("张经理") : approver);
  const std::string comment = body.value("comment", std::string());
  const bool open = r.node_type == 1 || r.node_type == 2;
  struct Move { const char* type; int node; const char* node_name; const char* status; bool needs_open; };
  static const std::map<std::string, Move> kMoves{
      {"approve", {"批准", 3, "归档", "已归档", true}},
      {"reject", {"退回", 0, "申请", "退回", true}},
      {"withdraw", {"撤回", 0, "申请", "撤回", true}},
      {"terminate", {"强制归档", 3, "归档", "强制归档", true}},
      {"resubmit", {"提交", 1, "部门经理审批", "审批中", false}}};
  auto m = kMoves.find(action);
  if (m == kMoves.end()) {
    *http = 400;
    return {{"error", "unknown action " + action + " (approve, reject, withdraw, terminate, resubmit)"}};
  }
  if (m->second.needs_open != open) {
    *http = 409;
    return {{"error", "request " + request_id + " is at node type " + std::to_string(r.node_type) +
                          "; cannot " + action}};
  }
  const bool by_creator = action == "withdraw" || action == "resubmit";
  Log l{r.node_name, m->second.type, by_creator ? r.creator_id : approver,
        by_creator ? r.creator_name : approver_name, comment, nowMs()};
  r.logs.push_back(l);
  r.node_type = m->second.node;
  r.node_name = m->second.node_name;
  r.status = m->second.status;
  r.updated_ms = l.at_ms;
  *http = 200;
  return adminJson(r);
}

json WeaverBook::all() const {
  std::lock_guard lock(mu_);
  json out = json::array();
  for (const auto& [id, r] : requests_) out.push_back(adminJson(r));
  return out;
}

json WeaverBook::one(const std::string& request_id, int* http) const {
  int64_t id = 0;
  std::lock_guard lock(mu_);
  auto it = parseId(request_id, &id) ? requests_.find(id) : requests_.end();
  *http = it == requests_.end() ? 404 : 200;
  if (it == requests_.end()) return {{"error", "no request " + request_id}};
  return adminJson(it->second);
}

int64_t WeaverBook::created() const {
  std::lock_guard lock(mu_);
  return created_;
}

void WeaverBook::reset() {
  std::lock_guard lock(mu_);
  requests_.clear();
  created_ = 0;
}

}  // namespace qiao::sim::oa
