#include "wecom_approval.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace qiao::connectors::wecom {
namespace {

using nlohmann::json;

constexpr int64_t kMaxRangeS = 31 * 86400;

Error invalid(const std::string& msg) {
  return Error::permanent(ErrorCode::kInvalidArgument, "wecom oa/applyevent: " + msg);
}

Error badReply(const std::string& what, const std::string& msg) {
  return Error::transient(ErrorCode::kRemoteTransient, "wecom " + what + ": " + msg);
}

size_t utf8Chars(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// A JSON value as text: strings as they are, integers in decimal, others "".
std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  if (it->is_number_unsigned()) return std::to_string(it->get<uint64_t>());
  return "";
}

const json& arrayAt(const json& j, const char* key) {
  static const json kEmpty = json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

int64_t toInt(std::string_view s) {
  if (s.empty() || s.size() > 18) return 0;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

ApprovalInfo infoFromJson(const json& info) {
  ApprovalInfo a;
  a.sp_no = text(info, "sp_no");
  a.sp_name = text(info, "sp_name");
  a.sp_status = text(info, "sp_status");
  a.template_id = text(info, "template_id");
  a.apply_time = text(info, "apply_time");
  if (auto ap = info.find("applyer"); ap != info.end() && ap->is_object()) {
    a.applyer_userid = text(*ap, "userid");
    a.applyer_party = text(*ap, "partyid");
  }
  for (const auto& r : arrayAt(info, "sp_record")) {
    if (!r.is_object()) continue;
    ApprovalRecord rec;
    rec.sp_status = text(r, "sp_status");
    rec.approver_attr = text(r, "approverattr");
    for (const auto& d : arrayAt(r, "details")) {
      if (!d.is_object()) continue;
      ApprovalDetail det;
      if (auto ap = d.find("approver"); ap != d.end() && ap->is_object()) det.approver_userid = text(*ap, "userid");
      det.speech = text(d, "speech");
      det.sp_status = text(d, "sp_status");
      det.sp_time = text(d, "sptime");
      rec.details.push_back(std::move(det));
    }
    a.sp_records.push_back(std::move(rec));
  }
  for (const auto& n : arrayAt(info, "notifyer"))
    if (n.is_object()) a.notifyers.push_back(text(n, "userid"));
  for (const auto& c : arrayAt(info, "comments")) {
    if (!c.is_object()) continue;
    ApprovalComment com;
    if (auto u = c.find("commentUserInfo"); u != c.end() && u->is_object()) com.userid = text(*u, "userid");
    com.time = text(c, "commenttime");
    com.content = text(c, "commentcontent");
    com.id = text(c, "commentid");
    a.comments.push_back(std::move(com));
  }
  return a;
}

}  // namespace

Result<std::string> buildApplyEventBody(const ApplyEventRequest& r) {
  if (r.creator_userid.empty()) return invalid("creator_userid is required");
  if (r.template_id.empty()) return invalid("template_id is required");
  if (r.notify_type < 0 || r.notify_type > 3) return invalid("notify_type must be 1, 2 or 3 (0 = leave out)");
  json body{{"creator_userid", r.creator_userid}, {"template_id", r.template_id},
            {"use_template_approver", r.use_template_approver ? 1 : 0}};
  if (!r.use_template_approver) {
    if (r.approvers.empty()) return invalid("approver: at least one node when use_template_approver is false");
    json nodes = json::array();
    for (size_t i = 0; i < r.approvers.size(); ++i) {
      const auto& n = r.approvers[i];
      const std::string where = "approver[" + std::to_string(i) + "]";
      if (n.attr != 1 && n.attr != 2) return invalid(where + ".attr must be 1 (或签) or 2 (会签)");
      if (n.userids.empty()) return invalid(where + ".userid must name at least one member");
      for (const auto& u : n.userids)
        if (u.empty()) return invalid(where + ".userid holds an empty userid");
      nodes.push_back({{"attr", n.attr}, {"userid", n.userids}});
    }
    body["approver"] = nodes;
    if (!r.notifyers.empty()) body["notifyer"] = r.notifyers;
  }
  if (r.notify_type != 0) body["notify_type"] = r.notify_type;
  json contents = json::parse(r.contents_json.empty() ? "[]" : r.contents_json, nullptr, false);
  if (contents.is_discarded() || !contents.is_array())
    return invalid("apply_data.contents must be a JSON array");
  for (size_t i = 0; i < contents.size(); ++i) {
    const json& c = contents[i];
    if (!c.is_object() || !c.contains("control") || !c.contains("id") || !c.contains("value"))
      return invalid("apply_data.contents[" + std::to_string(i) + "] needs control, id and value");
  }
  body["apply_data"] = {{"contents", contents}};
  if (r.summary_lines.size() > 3) return invalid("summary_list: at most 3 lines");
  if (!r.summary_lines.empty()) {
    json lines = json::array();
    for (size_t i = 0; i < r.summary_lines.size(); ++i) {
      if (utf8Chars(r.summary_lines[i]) > 20)
        return invalid("summary_list[" + std::to_string(i) + "]: at most 20 characters");
      lines.push_back({{"summary_info", json::array({{{"text", r.summary_lines[i]}, {"lang", "zh_CN"}}})}});
    }
    body["summary_list"] = lines;
  }
  // Raw UTF-8 out: \uXXXX escapes give errcode 40033.
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::string> submitApproval(Client& client, const ApplyEventRequest& request) {
  auto body = buildApplyEventBody(request);
  if (!body.ok()) return body.takeError();
  auto reply = client.postWithToken("/cgi-bin/oa/applyevent", *body);
  if (!reply.ok()) return reply.takeError();
  json j = json::parse(reply->body, nullptr, false);
  const std::string sp_no = j.is_object() ? text(j, "sp_no") : "";
  if (sp_no.empty()) return badReply("oa/applyevent", "reply has no sp_no");
  return sp_no;
}

Result<ApprovalDetailResult> getApprovalDetail(Client& client, const std::string& sp_no) {
  if (sp_no.empty())
    return Error::permanent(ErrorCode::kInvalidArgument, "wecom oa/getapprovaldetail: sp_no is empty");
  auto reply = client.postWithToken("/cgi-bin/oa/getapprovaldetail", json{{"sp_no", sp_no}}.dump());
  if (!reply.ok()) return reply.takeError();
  json j = json::parse(reply->body, nullptr, false);
  auto info = j.is_object() ? j.find("info") : j.end();
  if (!j.is_object() || info == j.end() || !info->is_object())
    return badReply("oa/getapprovaldetail", "reply has no info object");
  ApprovalDetailResult out;
  out.info = infoFromJson(*info);
  out.info_json = info->dump(-1, ' ', false, json::error_handler_t::replace);
  if (out.info.sp_no.empty()) out.info.sp_no = sp_no;
  return out;
}

Result<ApprovalPage> listApprovals(Client& client, const ApprovalListQuery& q) {
  const std::string what = "wecom oa/getapprovalinfo: ";
  if (q.end_unix_s <= q.start_unix_s || q.end_unix_s - q.start_unix_s > kMaxRangeS)
    return Error::permanent(ErrorCode::kInvalidArgument,
                            what + "the end must be after the start and at most 31 days later");
  if (q.size < 1 || q.size > 100)
    return Error::permanent(ErrorCode::kInvalidArgument, what + "size must be 1..100");
  json body{{"starttime", std::to_string(q.start_unix_s)}, {"endtime", std::to_string(q.end_unix_s)},
            {"new_cursor", q.cursor}, {"size", q.size}};
  if (!q.filters.empty()) {
    json f = json::array();  // "filters", plural: the singular is silently ignored by WeCom
    for (const auto& [k, v] : q.filters) f.push_back({{"key", k}, {"value", v}});
    body["filters"] = f;
  }
  auto reply = client.postWithToken("/cgi-bin/oa/getapprovalinfo", body.dump());
  if (!reply.ok()) return reply.takeError();
  json j = json::parse(reply->body, nullptr, false);
  if (!j.is_object() || !j.contains("sp_no_list") || !j["sp_no_list"].is_array())
    return badReply("oa/getapprovalinfo", "reply has no sp_no_list");
  ApprovalPage page;
  for (const auto& s : j["sp_no_list"]) {
    if (s.is_string()) page.sp_nos.push_back(s.get<std::string>());
    else if (s.is_number_integer()) page.sp_nos.push_back(std::to_string(s.get<int64_t>()));
  }
  page.next_cursor = text(j, "new_next_cursor");
  return page;
}

Result<std::vector<std::string>> listAllApprovals(
    Client& client, int64_t start, int64_t end,
    const std::vector<std::pair<std::string, std::string>>& filters, size_t max_pages) {
  std::vector<std::string> all;
  size_t pages = 0;
  for (int64_t from = start; from < end; from += kMaxRangeS) {
    ApprovalListQuery q;
    q.start_unix_s = from;
    q.end_unix_s = std::min(end, from + kMaxRangeS);
    q.filters = filters;
    do {
      if (pages++ >= max_pages)
        return Error::transient(ErrorCode::kRemoteTransient,
                                "wecom oa/getapprovalinfo: more than " + std::to_string(max_pages) +
                                    " pages; narrow the time range");
      auto page = listApprovals(client, q);
      if (!page.ok()) return page.takeError();
      if (!page->next_cursor.empty() && page->next_cursor == q.cursor)
        return badReply("oa/getapprovalinfo", "the cursor did not move");
      all.insert(all.end(), page->sp_nos.begin(), page->sp_nos.end());
      q.cursor = page->next_cursor;
    } while (!q.cursor.empty());
  }
  // Ranges meet at their ends: an application exactly on a boundary may come twice.
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

std::string_view approvalState(int s) {
  switch (s) {
    case 1: return "in_approval";
    case 2: case 10: return "approved";
    case 3: return "rejected";
    case 4: case 6: return "withdrawn";
    case 7: return "terminated";
    default: return "unknown";
  }
}

std::string_view approvalChangeName(int e) {
  switch (e) {
    case 1: return "submitted";
    case 2: return "approved";
    case 3: return "rejected";
    case 4: return "transferred";
    case 5: return "reminded";
    case 6: return "withdrawn";
    case 8: return "withdrawn_after_approval";
    case 10: return "commented";
    default: return "changed";
  }
}

std::string approvalPayload(const ApprovalInfo& a, std::string_view create_time,
                            std::string_view change_event,
                            const std::vector<std::pair<std::string, std::string>>& extra) {
  const int status = static_cast<int>(toInt(a.sp_status));
  json p{{"spNo", a.sp_no},           {"spName", a.sp_name},
         {"templateId", a.template_id}, {"spStatus", status},
         {"state", approvalState(status)}, {"applyTime", toInt(a.apply_time)},
         {"applyer", {{"userid", a.applyer_userid}, {"party", a.applyer_party}}}};
  if (!change_event.empty()) {
    const int ev = static_cast<int>(toInt(change_event));
    p["changeEvent"] = ev;
    p["change"] = approvalChangeName(ev);
  }
  if (!create_time.empty()) p["createTime"] = toInt(create_time);
  json records = json::array(), approvers = json::array(), decision;
  int64_t decided_at = -1;
  for (const auto& r : a.sp_records) {
    json details = json::array();
    for (const auto& d : r.details) {
      json one{{"userid", d.approver_userid}, {"speech", d.speech},
               {"spStatus", static_cast<int>(toInt(d.sp_status))}, {"spTime", toInt(d.sp_time)}};
      details.push_back(one);
      approvers.push_back(one);
      const int ds = static_cast<int>(toInt(d.sp_status));
      if ((ds == 2 || ds == 3) && toInt(d.sp_time) >= decided_at) {
        decided_at = toInt(d.sp_time);
        decision = one;
      }
    }
    records.push_back({{"spStatus", static_cast<int>(toInt(r.sp_status))},
                       {"approverAttr", static_cast<int>(toInt(r.approver_attr))},
                       {"details", details}});
  }
  p["records"] = records;
  p["approvers"] = approvers;
  if (!decision.is_null()) p["decision"] = decision;
  json comments = json::array();
  for (const auto& c : a.comments)
    comments.push_back({{"userid", c.userid}, {"time", toInt(c.time)}, {"content", c.content}, {"id", c.id}});
  p["comments"] = comments;
  p["notifyers"] = a.notifyers;
  for (const auto& [k, v] : extra) p[k] = v;
  return p.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace qiao::connectors::wecom
