#include "weaver_client.h"

#include "oa_states.h"
#include "oa_template.h"

namespace qiao::connectors::oa {
namespace {

using nlohmann::json;
constexpr const char* kPa = "/api/workflow/paService/";

std::string text(const json& v) {
  std::string out;
  if (!v.is_null()) scalarText(v, &out);
  return out;
}

// {"msg":"token不存在或者超时：...","code":-1,"status":false}; also "登录信息超时" (errorCode
// 002) [secondary: two independent public clients check for exactly these].
bool tokenRefused(long http_status, const json& j) {
  if (http_status == 401) return true;
  if (!j.is_object()) return false;
  const std::string msg = j.contains("msg") ? text(j["msg"]) : "";
  if (msg.find("token") != std::string::npos && msg.find("超时") != std::string::npos) return true;
  if (msg.find("登录信息超时") != std::string::npos) return true;
  return text(j.value("errorCode", json())) == "002";
}

std::string stripHtml(const std::string& s) {
  std::string out;
  bool tag = false;
  for (char c : s) {
    if (c == '<') tag = true;
    else if (c == '>') tag = false;
    else if (!tag) out.push_back(c);
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) out.pop_back();
  return out;
}

// The list calls answer a bare array in the docs; some builds wrap it.
const json* listOf(const json& j) {
  if (j.is_array()) return &j;
  if (!j.is_object()) return nullptr;
  for (const char* k : {"data", "datas", "list", "dataList"}) {
    if (!j.contains(k)) continue;
    if (j[k].is_array()) return &j[k];
    if (const json* inner = listOf(j[k])) return inner;
  }
  return nullptr;
}

}  // namespace

std::string weaverCode(const json& j) {
  if (!j.is_object() || !j.contains("code")) return "";
  const json& c = j["code"];
  if (c.is_object()) return text(c.value("name", json()));
  return text(c);
}

WeaverClient::WeaverClient(OaSettings settings)
    : s_(std::move(settings)),
      http_(HttpOptions{s_.timeout_ms, s_.connect_timeout_ms, s_.tls_verify}),
      auth_(http_, s_) {}

std::string WeaverClient::initialState() const {
  return s_.weaver.is_next_flow ? qiao::oa::kInApproval : qiao::oa::kDraft;
}

Result<json> WeaverClient::call(const std::string& method, const std::string& path,
                                const std::vector<std::pair<std::string, json>>& params,
                                const std::string& what) {
  std::string url = s_.base_url + kPa + path, body;
  std::vector<std::string> headers{"appid: " + s_.weaver.app_id};
  const bool get = method == "GET";
  auto asText = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  if (get || s_.weaver.form_encoding) {
    std::string enc;
    for (const auto& [k, v] : params) enc += (enc.empty() ? "" : "&") + k + "=" + formEncode(asText(v));
    if (get) url += (enc.empty() ? "" : "?") + enc;
    else body = enc;
    if (!get) headers.push_back("Content-Type: application/x-www-form-urlencoded; charset=utf-8");
  } else {
    json obj = json::object();
    for (const auto& [k, v] : params) obj[k] = v;
    body = obj.dump();
    headers.push_back("Content-Type: application/json; charset=utf-8");
  }
  for (int round = 0; round < 2; ++round) {
    QIAO_ASSIGN_OR_RETURN(auto token, auth_.get());
    std::vector<std::string> h = headers;
    h.push_back("token: " + token.value);
    h.push_back("userid: " + token.userid);
    QIAO_ASSIGN_OR_RETURN(auto reply, http_.send(method, url, h, body, "weaver " + what));
    json j = json::parse(reply.body, nullptr, false);
    if (tokenRefused(reply.status, j)) {
      auth_.invalidate(token.generation);
      if (round == 0) continue;  // E9 did nothing with a refused token: safe to repeat once
      return Error::authExpired("weaver " + what + ": the OA refused a fresh token: " + excerpt(reply.body));
    }
    if (reply.status < 200 || reply.status > 299) return httpStatusError(reply, "weaver " + what);
    if (j.is_discarded())
      return Error::transient(ErrorCode::kRemoteTransient, "weaver " + what + ": the answer is not JSON: " + excerpt(reply.body));
    const std::string code = weaverCode(j);
    if (code.empty() || code == "SUCCESS") return j;
    std::string msg = "weaver " + what + " answered " + code;
    if (j.contains("errMsg") && !j["errMsg"].empty()) msg += ": " + excerpt(j["errMsg"].dump());
    else if (j.contains("msg")) msg += ": " + excerpt(text(j["msg"]));
    // SYSTEM_INNER_ERROR (程序异常) may pass; PARAM_ERROR, NO_PERMISSION, USER_EXCEPTION will not.
    if (code == "SYSTEM_INNER_ERROR") return Error::transient(ErrorCode::kRemoteTransient, msg);
    return Error::permanent(ErrorCode::kRemotePermanent, msg);
  }
  return Error::transient(ErrorCode::kRemoteTransient, "weaver " + what + ": no answer");
}

Result<std::string> WeaverClient::requestName(const json& record, const std::string& key) const {
  QIAO_ASSIGN_OR_RETURN(auto t, Template::parse(s_.weaver.request_name, "request_name"));
  QIAO_ASSIGN_OR_RETURN(std::string name, t.expand(record, {{"key", key}}, false));
  if (s_.weaver.key_in_request_name) name += " [" + key + "]";
  return name;
}

Result<json> WeaverClient::mainData(const json& record, const std::string& key) const {
  json out = json::array();
  if (s_.weaver.main_fields.empty()) {
    // No mapping: every top-level scalar, named as in the record.
    for (const auto& [k, v] : record.items()) {
      std::string value;
      if (scalarText(v, &value)) out.push_back({{"fieldName", k}, {"fieldValue", value}});
    }
  } else {
    for (const auto& [name, tmpl] : s_.weaver.main_fields) {
      QIAO_ASSIGN_OR_RETURN(auto t, Template::parse(tmpl, "main_fields." + name));
      QIAO_ASSIGN_OR_RETURN(std::string value, t.expand(record, {{"key", key}}, false));
      out.push_back({{"fieldName", name}, {"fieldValue", value}});
    }
  }
  if (out.empty())  // E9 refuses an empty mainData
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "weaver doCreateRequest: the record gives no mainData field (set main_fields)");
  return out;
}

Result<json> WeaverClient::detailData(const json& record, const std::string& key) const {
  json out = json::array();
  for (const auto& d : s_.weaver.detail_tables) {
    const json::json_pointer ptr(d.rows);
    if (!record.contains(ptr) || !record.at(ptr).is_array())
      return Error::permanent(ErrorCode::kInvalidArgument,
                              "detail_tables " + d.table + ": the record has no list at " + d.rows);
    json records = json::array();
    int order = 1;
    for (const auto& row : record.at(ptr)) {
      json fields = json::array();
      for (const auto& [name, tmpl] : d.fields) {
        QIAO_ASSIGN_OR_RETURN(auto t, Template::parse(tmpl, "detail_tables." + d.table + "." + name));
        QIAO_ASSIGN_OR_RETURN(std::string value, t.expand(row, {{"key", key}}, false));
        fields.push_back({{"fieldName", name}, {"fieldValue", value}});
      }
      records.push_back({{"recordOrder", order++}, {"workflowRequestTableFields", fields}});
    }
    out.push_back({{"tableDBName", d.table}, {"workflowRequestTableRecords", records}});
  }
  return out;
}

Result<Submitted> WeaverClient::create(const std::string& record_json, const std::string& key) {
  json record = json::parse(record_json, nullptr, false);
  if (!record.is_object())
    return Error::permanent(ErrorCode::kInvalidArgument, "weaver doCreateRequest: the record is not a JSON object");
  QIAO_ASSIGN_OR_RETURN(std::string name, requestName(record, key));
  QIAO_ASSIGN_OR_RETURN(json main, mainData(record, key));
  QIAO_ASSIGN_OR_RETURN(json detail, detailData(record, key));
  std::vector<std::pair<std::string, json>> params{
      {"workflowId", s_.weaver.workflow_id},
      {"requestName", name},
      {"mainData", main},
      {"otherParams", json{{"isnextflow", s_.weaver.is_next_flow ? "1" : "0"}}}};
  if (!detail.empty()) params.emplace_back("detailData", detail);
  QIAO_ASSIGN_OR_RETURN(json j, call("POST", "doCreateRequest", params, "doCreateRequest"));
  std::string id;
  if (j.contains("data") && j["data"].is_object()) id = text(j["data"].value("requestid", json()));
  if (id.empty() || id == "0" || id[0] == '-')
    return Error::permanent(ErrorCode::kRemotePermanent,
                            "weaver doCreateRequest: no request id in the answer: " + excerpt(j.dump()));
  return Submitted{id, initialState(), false};
}

Result<std::string> WeaverClient::lookup(const std::string& key) {
  if (!s_.weaver.key_in_request_name) return std::string();  // nothing to search by
  const std::string marker = "[" + key + "]";
  // getMyWorkflowRequestList: requests this user started, filtered by title [secondary].
  QIAO_ASSIGN_OR_RETURN(json j, call("POST", "getMyWorkflowRequestList",
                                     {{"conditions", json{{"requestname", marker}}},
                                      {"pageNo", "1"}, {"pageSize", "20"}},
                                     "getMyWorkflowRequestList"));
  const json* list = listOf(j);
  if (!list) return std::string();
  for (const auto& item : *list) {
    if (!item.is_object()) continue;
    const std::string name = text(item.value("requestName", json()));
    if (name.size() < marker.size() || name.compare(name.size() - marker.size(), marker.size(), marker) != 0)
      continue;  // the title search is a substring match: insist on our exact suffix
    if (item.contains("workflowBaseInfo") && item["workflowBaseInfo"].is_object()) {
      const std::string wf = text(item["workflowBaseInfo"].value("workflowId", json()));
      if (!wf.empty() && wf != s_.weaver.workflow_id) continue;
    }
    std::string id = text(item.value("requestId", json()));
    if (!id.empty()) return id;
  }
  return std::string();
}

Result<qiao::oa::ApprovalStatus> WeaverClient::status(const std::string& request_id) {
  if (request_id.empty() || request_id.find_first_not_of("0123456789") != std::string::npos)
    return Error::permanent(ErrorCode::kInvalidArgument, "weaver: request id must be a number (got \"" + request_id + "\")");
  QIAO_ASSIGN_OR_RETURN(json st, call("GET", "getRequestStatus", {{"requestId", request_id}}, "getRequestStatus"));
  QIAO_ASSIGN_OR_RETURN(json info, call("GET", "getWorkflowRequest", {{"requestId", request_id}}, "getWorkflowRequest"));
  const json& sd = st.contains("data") && st["data"].is_object() ? st["data"] : st;
  const json& id = info.contains("data") && info["data"].is_object() ? info["data"] : info;
  const std::string node_text = text(sd.value("currentNodeType", json()));
  const std::string status_text = text(sd.value("status", json()));
  // The newest sign-off log: the latest operateDate + operateTime (order of the list is not
  // documented), later entries win ties.
  const json* last = nullptr;
  std::string last_at;
  if (id.contains("workflowRequestLogs") && id["workflowRequestLogs"].is_array()) {
    for (const auto& log : id["workflowRequestLogs"]) {
      if (!log.is_object()) continue;
      std::string at = text(log.value("operateDate", json())) + " " + text(log.value("operateTime", json()));
      if (!last || at >= last_at) {
        last = &log;
        last_at = at;
      }
    }
  }
  const std::string op = last ? text(last->value("operateType", json())) : "";
  qiao::oa::ApprovalStatus out;
  out.raw_state = "nodetype=" + node_text + "; status=" + status_text + "; operateType=" + op;
  const auto& map = s_.weaver.status_map;
  if (auto it = map.find(status_text); !status_text.empty() && it != map.end()) out.state = it->second;
  else if (auto it2 = map.find(op); !op.empty() && it2 != map.end()) out.state = it2->second;
  else if (!node_text.empty() && node_text.find_first_not_of("0123456789") == std::string::npos)
    out.state = stateFromNodeType(std::stoi(node_text));
  if (out.state.empty())
    return Error::permanent(ErrorCode::kRemotePermanent,
                            "weaver request " + request_id + ": cannot tell its state (" + out.raw_state +
                                "); add the status text to status_map");
  if (last && qiao::oa::isFinalState(out.state)) {  // who decided, not who submitted
    out.approver = text(last->value("operatorName", json()));
    if (out.approver.empty()) out.approver = text(last->value("operatorId", json()));
    out.comment = stripHtml(text(last->value("remark", json())));
  }
  out.updated_ms = parseOaLocalTime(text(id.value("lastOperateTime", json())));
  if (out.updated_ms == 0 && last) out.updated_ms = parseOaLocalTime(last_at);
  return out;
}

Status WeaverClient::health() {
  auto t = auth_.get();
  if (!t.ok()) return t.error();
  return {};
}

}  // namespace qiao::connectors::oa
