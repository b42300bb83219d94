#include "wecom_approval_sink.h"

#include <ctime>
#include <nlohmann/json.hpp>

namespace qiao::connectors::wecom {
namespace {

using nlohmann::json;

constexpr int64_t kLookbackS = 86400;
constexpr size_t kMaxCandidates = 200;

Error bad(const std::string& msg) {
  return Error::permanent(ErrorCode::kInvalidArgument, "wecom approval: " + msg);
}

bool stringList(const json& v, std::vector<std::string>* out) {
  if (!v.is_array()) return false;
  for (const auto& e : v) {
    if (!e.is_string()) return false;
    out->push_back(e.get<std::string>());
  }
  return true;
}

// True if the approval's contents carry `key` in control `control_id`.
bool carriesKey(const std::string& info_json, const std::string& control_id, const std::string& key) {
  json info = json::parse(info_json, nullptr, false);
  if (!info.is_object() || !info.contains("apply_data")) return false;
  const json& data = info["apply_data"];
  if (!data.is_object() || !data.contains("contents") || !data["contents"].is_array()) return false;
  for (const auto& c : data["contents"]) {
    if (!c.is_object() || !c.contains("id") || c["id"] != control_id) continue;
    auto v = c.find("value");
    if (v != c.end() && v->is_object() && v->contains("text") && (*v)["text"] == key) return true;
  }
  return false;
}

}  // namespace

Result<ApplyEventRequest> approvalFromRecord(const ApprovalSinkSettings& s, const Record& record) {
  json p = json::parse(record.payload, nullptr, false);
  if (p.is_discarded() || !p.is_object()) return bad("the record is not a JSON object");
  ApplyEventRequest r;
  auto text = [&](const char* key, const std::string& fallback, std::string* out) -> Status {
    auto it = p.find(key);
    if (it == p.end() || it->is_null()) {
      *out = fallback;
      return {};
    }
    if (!it->is_string()) return bad(std::string("'") + key + "' must be a string");
    *out = it->get<std::string>();
    return {};
  };
  QIAO_RETURN_IF_ERROR(text("creator_userid", s.creator_userid, &r.creator_userid));
  QIAO_RETURN_IF_ERROR(text("template_id", s.template_id, &r.template_id));
  if (auto it = p.find("use_template_approver"); it != p.end() && !it->is_null()) {
    if (!it->is_boolean()) return bad("'use_template_approver' must be true or false");
    r.use_template_approver = it->get<bool>();
  }
  if (auto it = p.find("approvers"); it != p.end() && !it->is_null()) {
    if (!it->is_array()) return bad("'approvers' must be a list of {attr, userid}");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& n = (*it)[i];
      ApprovalNode node;
      auto attr = n.is_object() ? n.find("attr") : n.end();
      if (!n.is_object() || attr == n.end() || !attr->is_number_integer() ||
          !stringList(n.value("userid", json()), &node.userids))
        return bad("'approvers[" + std::to_string(i) + "]' must be {\"attr\": 1|2, \"userid\": [\"…\"]}");
      node.attr = attr->get<int>();
      r.approvers.push_back(std::move(node));
    }
  }
  if (p.contains("notifyers") && !stringList(p["notifyers"], &r.notifyers))
    return bad("'notifyers' must be a list of userids");
  if (auto it = p.find("notify_type"); it != p.end() && !it->is_null()) {
    if (!it->is_number_integer()) return bad("'notify_type' must be 1, 2 or 3");
    r.notify_type = it->get<int>();
  }
  if (p.contains("summary") && !stringList(p["summary"], &r.summary_lines))
    return bad("'summary' must be a list of lines");
  json contents = p.value("contents", json::array());
  if (!contents.is_array()) return bad("'contents' must be the apply_data.contents list");
  if (!s.idempotency_control.empty()) {
    if (record.idempotency_key.empty()) return bad("the record has no idempotency key to write into the template");
    contents.push_back({{"control", "Text"}, {"id", s.idempotency_control},
                        {"value", {{"text", record.idempotency_key}}}});
  }
  r.contents_json = contents.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

Result<sdk::Delivery> deliverApproval(Client& client, const ApprovalSinkSettings& s,
                                      const Record& record) {
  auto request = approvalFromRecord(s, record);
  if (!request.ok()) return request.takeError();
  auto done = [](const std::string& sp_no, bool found) {
    sdk::Delivery d;
    d.remote_id = sp_no;
    d.result_json = json{{"sp_no", sp_no}, {"found_on_retry", found}}.dump();
    return d;
  };
  if (record.attempt > 1 && !s.idempotency_control.empty()) {
    // An earlier try may have been applied; look before submitting again.
    const int64_t now = std::time(nullptr);
    auto listed = listAllApprovals(client, now - kLookbackS, now + 60,
                                   {{"creator", request->creator_userid},
                                    {"template_id", request->template_id}});
    if (!listed.ok()) return listed.takeError();
    size_t checked = 0;
    for (auto it = listed->rbegin(); it != listed->rend() && checked < kMaxCandidates; ++it, ++checked) {
      auto detail = getApprovalDetail(client, *it);
      if (!detail.ok()) return detail.takeError();
      if (carriesKey(detail->info_json, s.idempotency_control, record.idempotency_key))
        return done(*it, true);
    }
  }
  auto sp_no = submitApproval(client, *request);
  if (!sp_no.ok()) return sp_no.takeError();
  return done(*sp_no, false);
}

}  // namespace qiao::connectors::wecom
