#include "wecom_oa.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "wecom_cipher.h"

namespace qiao::sim::wecom {
namespace {

using nlohmann::json;

constexpr int64_t kMaxSpanS = 31 * 86400;

int64_t nowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "20261127" in China time (sp_no starts with the date of submission).
std::string chinaDate(int64_t unix_s) {
  std::time_t t = static_cast<std::time_t>(unix_s + 8 * 3600);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

// A number given as JSON number or numeric string; false otherwise.
bool intField(const json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  if (it->is_number_integer()) {
    *out = it->get<int64_t>();
    return true;
  }
  if (!it->is_string()) return false;
  const std::string s = it->get<std::string>();
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), ::isdigit)) return false;
  *out = std::stoll(s);
  return true;
}

std::string hexOf(const std::string& s) {
  static const char* k = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += k[c >> 4];
    out += k[c & 15];
  }
  return out;
}

std::string unhex(const std::string& s) {
  std::string out;
  auto val = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  if (s.size() % 2) return "";
  for (size_t i = 0; i < s.size(); i += 2) {
    int hi = val(s[i]), lo = val(s[i + 1]);
    if (hi < 0 || lo < 0) return "";
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string tag(const char* name, const std::string& text) {
  return std::string("<") + name + ">" + cdata(text) + "</" + name + ">";
}
std::string num(const char* name, int64_t v) {
  return std::string("<") + name + ">" + std::to_string(v) + "</" + name + ">";
}

}  // namespace

json errcodeBody(int64_t errcode, const std::string& errmsg) {
  return {{"errcode", errcode}, {"errmsg", errmsg}};
}

ApiResult ApprovalBook::apply(const json& req, const CorpInfo& corp) {
  auto fail = [](const std::string& msg) { return ApiResult{errcodeBody(301025, msg), "", ""}; };
  if (!req.is_object()) return {errcodeBody(40058, "invalid parameter: body is not a JSON object"), "", ""};
  Approval a;
  a.creator = req.value("creator_userid", std::string());
  a.template_id = req.value("template_id", std::string());
  if (a.creator.empty()) return fail("creator_userid is required");
  if (!corp.members.empty() && !corp.members.count(a.creator))
    return fail("creator_userid not in app visiable range");
  if (a.template_id.empty()) return fail("template_id is required");
  int64_t use_template = 0;
  if (req.contains("use_template_approver") && !intField(req, "use_template_approver", &use_template))
    return fail("use_template_approver must be 0 or 1");
  if (req.contains("notify_type")) {
    int64_t nt = 0;
    if (!intField(req, "notify_type", &nt) || nt < 1 || nt > 3)
      return fail("notify_type must be 1, 2 or 3 (omit it for the default)");
  }
  if (use_template == 1) {
    Node n;  // the template's own flow: one approver, the general manager
    n.details.push_back({"GM", "", 1, 0});
    a.nodes.push_back(n);
  } else {
    auto ap = req.find("approver");
    if (ap == req.end() || !ap->is_array() || ap->empty())
      return fail("approver is required when use_template_approver is 0");
    for (const auto& node : *ap) {
      int64_t attr = 0;
      auto uids = node.is_object() ? node.find("userid") : node.end();
      if (!node.is_object() || !intField(node, "attr", &attr) || (attr != 1 && attr != 2) ||
          uids == node.end() || !uids->is_array() || uids->empty())
        return fail("each approver needs attr 1 or 2 and a non-empty userid list");
      Node n;
      n.attr = static_cast<int>(attr);
      for (const auto& u : *uids) {
        if (!u.is_string() || u.get<std::string>().empty()) return fail("approver userid must be a string");
        if (!corp.members.empty() && !corp.members.count(u.get<std::string>()))
          return fail("approver userid " + u.get<std::string>() + " is not a member");
        n.details.push_back({u.get<std::string>(), "", 1, 0});
      }
      a.nodes.push_back(std::move(n));
    }
  }
  if (auto nf = req.find("notifyer"); nf != req.end()) {
    if (!nf->is_array()) return fail("notifyer must be a list of userids");
    for (const auto& u : *nf)
      if (u.is_string()) a.notifyers.push_back(u.get<std::string>());
  }
  auto data = req.find("apply_data");
  if (data == req.end() || !data->is_object() || !data->contains("contents") ||
      !(*data)["contents"].is_array())
    return fail("apply_data.contents is required");
  for (const auto& c : (*data)["contents"])
    if (!c.is_object() || !c.contains("control") || !c.contains("id") || !c.contains("value"))
      return fail("each apply_data.contents item needs control, id and value");
  a.apply_data = *data;
  a.sp_name = req.value("sp_name", std::string("模拟审批 ") + a.template_id.substr(0, 8));
  a.apply_time = nowS();
  ApiResult r;
  std::lock_guard lock(mu_);
  char seq[32];
  std::snprintf(seq, sizeof seq, "%04lld", static_cast<long long>(++seq_ % 10000));
  a.sp_no = chinaDate(a.apply_time) + seq;
  while (by_no_.count(a.sp_no)) a.sp_no += "0";
  r.body = errcodeBody(0, "ok");
  r.body["sp_no"] = a.sp_no;
  r.event_key = a.sp_no;
  r.event_xml = eventXml(a, 1, corp);  // 1 提单
  by_no_[a.sp_no] = std::move(a);
  return r;
}

json ApprovalBook::infoJson(const Approval& a) const {
  json records = json::array();
  for (const auto& n : a.nodes) {
    json details = json::array();
    for (const auto& d : n.details)
      details.push_back({{"approver", {{"userid", d.userid}}}, {"speech", d.speech},
                         {"sp_status", d.sp_status}, {"sptime", d.sptime},
                         {"media_id", json::array()}});
    records.push_back({{"sp_status", n.sp_status}, {"approverattr", n.attr}, {"details", details}});
  }
  json notifyer = json::array();
  for (const auto& u : a.notifyers) notifyer.push_back({{"userid", u}});
  json comments = json::array();
  for (const auto& c : a.comments)
    comments.push_back({{"commentUserInfo", {{"userid", c.userid}}}, {"commenttime", c.time},
                        {"commentcontent", c.content}, {"commentid", c.id},
                        {"media_id", json::array()}});
  return {{"sp_no", a.sp_no},       {"sp_name", a.sp_name},       {"sp_status", a.sp_status},
          {"template_id", a.template_id}, {"apply_time", a.apply_time},
          {"applyer", {{"userid", a.creator}, {"partyid", a.party}}},
          {"sp_record", records},   {"notifyer", notifyer},       {"apply_data", a.apply_data},
          {"comments", comments}};
}

std::string ApprovalBook::eventXml(const Approval& a, int change_event, const CorpInfo& corp) const {
  std::string x = "<xml>" + tag("ToUserName", corp.corp_id) + tag("FromUserName", "sys") +
                  num("CreateTime", nowS()) + tag("MsgType", "event") +
                  tag("Event", "sys_approval_change") + "<AgentID>" + corp.agent_id +
                  "</AgentID><ApprovalInfo>" + tag("SpNoStr", a.sp_no) + "<SpNo>" + a.sp_no +
                  "</SpNo>" + tag("SpName", a.sp_name) + num("SpStatus", a.sp_status) +
                  tag("TemplateId", a.template_id) + num("ApplyTime", a.apply_time) +
                  "<Applyer>" + tag("UserId", a.creator) + tag("Party", a.party) + "</Applyer>";
  for (const auto& n : a.nodes) {
    x += "<SpRecord>" + num("SpStatus", n.sp_status) + num("ApproverAttr", n.attr);
    for (const auto& d : n.details)
      x += "<Details><Approver>" + tag("UserId", d.userid) + "</Approver>" +
           tag("Speech", d.speech) + num("SpStatus", d.sp_status) + num("SpTime", d.sptime) +
           "<Attach></Attach></Details>";
    x += "</SpRecord>";
  }
  for (const auto& u : a.notifyers) x += "<Notifyer>" + tag("UserId", u) + "</Notifyer>";
  for (const auto& c : a.comments)
    x += "<Comments><CommentUserInfo>" + tag("UserId", c.userid) + "</CommentUserInfo>" +
         num("CommentTime", c.time) + tag("CommentContent", c.content) +
         tag("CommentId", c.id) + "<Attach></Attach></Comments>";
  x += num("StatuChangeEvent", change_event) + "</ApprovalInfo></xml>";
  return x;
}

json ApprovalBook::detail(const json& req) const {
  std::string sp_no;
  if (req.is_object() && req.contains("sp_no")) {
    const auto& v = req["sp_no"];
    sp_no = v.is_string() ? v.get<std::string>() : v.is_number_integer() ? std::to_string(v.get<int64_t>()) : "";
  }
  if (sp_no.empty()) return errcodeBody(301025, "sp_no is required");
  std::lock_guard lock(mu_);
  auto it = by_no_.find(sp_no);
  if (it == by_no_.end()) return errcodeBody(301025, "sp_no " + sp_no + " does not exist");
  json out = errcodeBody(0, "ok");
  out["info"] = infoJson(it->second);
  return out;
}

json ApprovalBook::list(const json& req) const {
  int64_t start = 0, end = 0, size = 100;
  if (!req.is_object() || !intField(req, "starttime", &start) || !intField(req, "endtime", &end) ||
      end <= start || end - start > kMaxSpanS)
    return errcodeBody(301025, "invalid starttime or endtime (unix seconds, span at most 31 days)");
  if (req.contains("size") && (!intField(req, "size", &size) || size < 1 || size > 100))
    return errcodeBody(301025, "size must be 1..100");
  std::string cursor = req.value("new_cursor", std::string());
  std::string after_key;
  if (!cursor.empty()) {
    after_key = unhex(cursor);
    if (after_key.empty()) return errcodeBody(301025, "invalid new_cursor");
  }
  std::map<std::string, std::set<std::string>> filters;
  if (auto f = req.find("filters"); f != req.end()) {
    if (!f->is_array()) return errcodeBody(301025, "filters must be a list");
    for (const auto& e : *f) {
      std::string key = e.is_object() ? e.value("key", std::string()) : "";
      if (key != "template_id" && key != "creator" && key != "sp_status" && key != "department")
        return errcodeBody(301025, "unknown filter key '" + key + "'");
      const auto& v = e["value"];
      filters[key].insert(v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  auto pass = [&](const Approval& a) {
    for (const auto& [key, values] : filters) {
      const std::string have = key == "template_id" ? a.template_id
                               : key == "creator"   ? a.creator
                               : key == "sp_status" ? std::to_string(a.sp_status)
                                                    : a.party;
      if (!values.count(have)) return false;
    }
    return true;
  };
  std::vector<std::pair<std::string, const Approval*>> hits;  // sort key "time|sp_no"
  std::lock_guard lock(mu_);
  for (const auto& [no, a] : by_no_) {
    if (a.apply_time < start || a.apply_time > end || !pass(a)) continue;
    char t[24];
    std::snprintf(t, sizeof t, "%012lld|", static_cast<long long>(a.apply_time));
    hits.emplace_back(t + no, &a);
  }
  std::sort(hits.begin(), hits.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  json list = json::array();
  std::string last;
  size_t i = 0;
  while (i < hits.size() && !after_key.empty() && hits[i].first <= after_key) ++i;
  for (; i < hits.size() && static_cast<int64_t>(list.size()) < size; ++i) {
    list.push_back(hits[i].second->sp_no);
    last = hits[i].first;
  }
  json out = errcodeBody(0, "ok");
  out["sp_no_list"] = list;
  out["new_next_cursor"] = i < hits.size() ? hexOf(last) : "";
  return out;
}

ApiResult ApprovalBook::act(const std::string& sp_no, const std::string& action, const json& body,
                            const CorpInfo& corp, int* http_status) {
  auto refuse = [&](int status, const std::string& msg) {
    *http_status = status;
    return ApiResult{{{"error", msg}}, "", ""};
  };
  std::string who = body.is_object() ? body.value("userid", body.value("approver", std::string())) : "";
  std::string comment = body.is_object() ? body.value("comment", std::string()) : "";
  std::lock_guard lock(mu_);
  auto it = by_no_.find(sp_no);
  if (it == by_no_.end()) return refuse(404, "no approval " + sp_no);
  Approval& a = it->second;
  int change = 0;
  if (action == "approve" || action == "reject") {
    if (a.sp_status != 1) return refuse(409, "approval " + sp_no + " is not in approval (sp_status " + std::to_string(a.sp_status) + ")");
    auto node = std::find_if(a.nodes.begin(), a.nodes.end(), [](const Node& n) { return n.sp_status == 1; });
    if (node == a.nodes.end()) return refuse(409, "no pending approval node");
    auto d = std::find_if(node->details.begin(), node->details.end(), [&](const Detail& x) {
      return x.sp_status == 1 && (who.empty() || x.userid == who);
    });
    if (d == node->details.end()) return refuse(400, "'" + who + "' is not a pending approver of the current node");
    d->speech = comment;
    d->sptime = nowS();
    if (action == "approve") {
      d->sp_status = 2;
      const bool all = std::all_of(node->details.begin(), node->details.end(),
                                   [](const Detail& x) { return x.sp_status == 2; });
      if (node->attr == 1 || all) node->sp_status = 2;
      if (std::all_of(a.nodes.begin(), a.nodes.end(), [](const Node& n) { return n.sp_status == 2; }))
        a.sp_status = 2;
      change = 2;
    } else {
      d->sp_status = 3;
      node->sp_status = 3;
      a.sp_status = 3;
      change = 3;
    }
  } else if (action == "withdraw") {
    if (a.sp_status != 1 && a.sp_status != 2)
      return refuse(409, "approval " + sp_no + " cannot be withdrawn (sp_status " + std::to_string(a.sp_status) + ")");
    change = a.sp_status == 1 ? 6 : 8;
    a.sp_status = a.sp_status == 1 ? 4 : 6;
  } else if (action == "comment") {
    if (comment.empty()) return refuse(400, "comment is required");
    a.comments.push_back({who.empty() ? a.creator : who, comment,
                          std::to_string(a.comments.size() + 1) + sp_no, nowS()});
    change = 10;
  } else {
    return refuse(404, "unknown action '" + action + "' (approve, reject, withdraw, comment)");
  }
  *http_status = 200;
  ApiResult r;
  r.body = {{"sp_no", sp_no}, {"sp_status", a.sp_status}, {"statu_change_event", change}};
  r.event_key = sp_no;
  r.event_xml = eventXml(a, change, corp);
  return r;
}

json ApprovalBook::all() const {
  std::lock_guard lock(mu_);
  json list = json::array();
  for (const auto& [no, a] : by_no_) list.push_back(infoJson(a));
  return list;
}

size_t ApprovalBook::size() const {
  std::lock_guard lock(mu_);
  return by_no_.size();
}

void ApprovalBook::reset() {
  std::lock_guard lock(mu_);
  by_no_.clear();
  seq_ = 0;
}

}  // namespace qiao::sim::wecom
