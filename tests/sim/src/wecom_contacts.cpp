#include "wecom_contacts.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "wecom_cipher.h"

namespace qiao::sim::wecom {
namespace {

using nlohmann::json;

int64_t nowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string tag(const char* name, const std::string& text) {
  return std::string("<") + name + ">" + cdata(text) + "</" + name + ">";
}

// Cursors are opaque strings to the client: hex of the last (member, customer) pair.
std::string hexOf(const std::string& s) {
  static const char* k = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += k[c >> 4];
    out += k[c & 15];
  }
  return out;
}

bool unhex(const std::string& s, std::string* out) {
  auto val = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  if (s.size() % 2) return false;
  out->clear();
  for (size_t i = 0; i < s.size(); i += 2) {
    int hi = val(s[i]), lo = val(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    *out += static_cast<char>(hi * 16 + lo);
  }
  return true;
}

bool follows(const std::vector<json>& list, const std::string& userid) {
  return std::any_of(list.begin(), list.end(),
                     [&](const json& f) { return f.value("userid", std::string()) == userid; });
}

}  // namespace

json ContactBook::followInfo(const json& f) {
  json info = f;
  json ids = json::array();
  if (f.contains("tags") && f["tags"].is_array())
    for (const auto& t : f["tags"])
      if (t.is_object() && t.contains("tag_id")) ids.push_back(t["tag_id"]);
  info.erase("tags");
  info["tag_id"] = ids;
  return info;
}

json ContactBook::list(const std::string& userid, const CorpInfo& corp) const {
  if (userid.empty()) return errcodeBody(41002, "userid is required");  // doc: missing parameter
  if (!corp.members.empty() && !corp.members.count(userid))
    return errcodeBody(60111, "invalid string value `" + userid + "`: userid not found");
  json ids = json::array();
  std::lock_guard lock(mu_);
  for (const auto& [id, c] : by_id_)
    if (follows(c.follow, userid)) ids.push_back(id);
  if (ids.empty()) return errcodeBody(84061, "not external contact");
  json out = errcodeBody(0, "ok");
  out["external_userid"] = ids;
  return out;
}

json ContactBook::get(const std::string& external_userid, const std::string& cursor,
                      size_t follow_page) const {
  if (external_userid.empty()) return errcodeBody(40096, "invalid external userid");
  std::lock_guard lock(mu_);
  auto it = by_id_.find(external_userid);
  if (it == by_id_.end()) return errcodeBody(40096, "invalid external userid " + external_userid);
  size_t start = 0;
  if (!cursor.empty()) {
    std::string text;
    if (!unhex(cursor, &text) || text.empty() || text.size() > 9 ||
        !std::all_of(text.begin(), text.end(), ::isdigit))
      return errcodeBody(40058, "invalid cursor");
    start = std::stoul(text);
  }
  const auto& all = it->second.follow;
  json page = json::array();
  size_t i = start;
  for (; i < all.size() && page.size() < std::max<size_t>(1, follow_page); ++i) page.push_back(all[i]);
  json out = errcodeBody(0, "ok");
  out["external_contact"] = it->second.external_contact;
  out["follow_user"] = page;
  if (i < all.size()) out["next_cursor"] = hexOf(std::to_string(i));
  return out;
}

json ContactBook::batchByUser(const json& req, const CorpInfo& corp) const {
  if (!req.is_object()) return errcodeBody(40058, "invalid parameter: body is not a JSON object");
  auto ul = req.find("userid_list");
  if (ul == req.end() || !ul->is_array() || ul->empty())
    return errcodeBody(40058, "userid_list is required");
  if (ul->size() > 100) return errcodeBody(40058, "field userid_list exceed max length 100");
  std::vector<std::string> users;
  for (const auto& u : *ul) {
    if (!u.is_string()) return errcodeBody(40058, "userid_list holds strings");
    const std::string id = u.get<std::string>();
    if (!corp.members.empty() && !corp.members.count(id))
      return errcodeBody(60111, "userid not found: " + id);
    if (std::find(users.begin(), users.end(), id) == users.end()) users.push_back(id);
  }
  int64_t limit = 50;
  if (req.contains("limit")) {
    if (!req["limit"].is_number_integer() || req["limit"].get<int64_t>() < 1 ||
        req["limit"].get<int64_t>() > 100)
      return errcodeBody(40058, "limit must be 1..100");
    limit = req["limit"].get<int64_t>();
  }
  std::string after;  // "<user index, 4 digits>\x1f<external_userid>"
  const std::string cursor = req.value("cursor", std::string());
  if (!cursor.empty() && !unhex(cursor, &after)) return errcodeBody(40058, "invalid cursor");
  json items = json::array();
  std::string last;
  bool more = false;
  std::lock_guard lock(mu_);
  for (size_t ui = 0; ui < users.size() && !more; ++ui) {
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "%04zu", ui);
    for (const auto& [id, c] : by_id_) {  // map order: by external_userid
      if (!follows(c.follow, users[ui])) continue;
      const std::string key = std::string(prefix) + '\x1f' + id;
      if (!after.empty() && key <= after) continue;
      if (static_cast<int64_t>(items.size()) == limit) {
        more = true;
        break;
      }
      for (const auto& f : c.follow)
        if (f.value("userid", std::string()) == users[ui])
          items.push_back({{"external_contact", c.external_contact}, {"follow_info", followInfo(f)}});
      last = key;
    }
  }
  json out = errcodeBody(0, "ok");
  out["external_contact_list"] = items;
  out["next_cursor"] = more ? hexOf(last) : "";
  return out;
}

ApiResult ContactBook::upsert(const json& body, const CorpInfo& corp, int* http_status) {
  *http_status = 400;
  if (!body.is_object() || !body.contains("external_contact") || !body["external_contact"].is_object())
    return {{{"error", "body needs an external_contact object"}}, "", ""};
  json ec = body["external_contact"];
  const std::string id = ec.value("external_userid", std::string());
  if (id.empty()) return {{{"error", "external_contact.external_userid is required"}}, "", ""};
  std::vector<json> follow;
  if (body.contains("follow_user")) {
    if (!body["follow_user"].is_array()) return {{{"error", "follow_user must be a list"}}, "", ""};
    for (const auto& f : body["follow_user"]) {
      if (!f.is_object() || f.value("userid", std::string()).empty())
        return {{{"error", "every follow_user needs a userid"}}, "", ""};
      json g = f;
      if (!g.contains("createtime")) g["createtime"] = nowS();
      follow.push_back(std::move(g));
    }
  }
  *http_status = 200;
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  const bool known = it != by_id_.end() && !follow.empty() &&
                     follows(it->second.follow, follow.front().value("userid", std::string()));
  by_id_[id] = Contact{ec, follow};
  ApiResult r;
  r.body = {{"external_userid", id}, {"created", !known}};
  if (!follow.empty() && body.value("event", true)) {
    const json& f = follow.front();
    r.event_key = id;
    r.event_xml = eventXml(known ? "edit_external_contact" : "add_external_contact",
                           f.value("userid", std::string()), id,
                           {{"State", f.value("state", std::string())}}, corp);
  }
  return r;
}

json ContactBook::seed(const json& body, int* http_status) {
  *http_status = 400;
  if (!body.is_object()) return {{"error", "body must be a JSON object"}};
  const std::string userid = body.value("userid", std::string("zhangsan"));
  int64_t count = body.value("count", int64_t{10});
  const std::string prefix = body.value("prefix", std::string("wmSim"));
  if (count < 1 || count > 100000) return {{"error", "count must be 1..100000"}};
  *http_status = 200;
  std::lock_guard lock(mu_);
  const int64_t created_at = nowS() - 86400;
  for (int64_t i = 0; i < count; ++i) {
    char id[64];
    std::snprintf(id, sizeof id, "%s%06lld", prefix.c_str(), static_cast<long long>(++seeded_));
    const bool corp_user = i % 3 != 2;  // every third is a WeChat individual (type 1)
    json ec{{"external_userid", id}, {"name", "联系人" + std::to_string(seeded_)},
            {"type", corp_user ? 2 : 1}, {"gender", static_cast<int>(i % 3)},
            {"avatar", "http://wework.qpic.cn/sim/" + std::string(id)}};
    if (corp_user) {
      ec["position"] = "采购经理";
      ec["corp_name"] = "模拟机械" + std::to_string(seeded_);
      ec["corp_full_name"] = "苏州模拟机械" + std::to_string(seeded_) + "有限公司";
    } else {
      ec["unionid"] = "oSimUnion" + std::to_string(seeded_);
    }
    json f{{"userid", userid}, {"remark", "模拟客户" + std::to_string(seeded_)},
           {"description", ""}, {"createtime", created_at + i}, {"add_way", 1},
           {"oper_userid", userid}, {"state", ""},
           {"tags", json::array({{{"group_name", "客户等级"}, {"tag_name", i % 2 ? "B" : "A"},
                                   {"tag_id", i % 2 ? "etSimB" : "etSimA"}, {"type", 1}}})},
           {"remark_corp_name", corp_user ? "" : "个体户" + std::to_string(seeded_)},
           {"remark_mobiles", i % 2 == 0 ? json::array({"1380013" + std::to_string(1000 + seeded_ % 9000)})
                                         : json::array()}};
    auto& c = by_id_[id];
    c.external_contact = ec;
    if (!follows(c.follow, userid)) c.follow.push_back(f);
  }
  return {{"seeded", count}, {"userid", userid}, {"total", by_id_.size()}};
}

ApiResult ContactBook::event(const std::string& id, const json& body, const CorpInfo& corp,
                             int* http_status) {
  static const std::set<std::string> kTypes{"add_external_contact", "edit_external_contact",
                                            "add_half_external_contact", "del_external_contact",
                                            "del_follow_user", "transfer_fail"};
  *http_status = 400;
  const std::string type = body.is_object() ? body.value("change_type", std::string()) : "";
  if (!kTypes.count(type)) return {{{"error", "change_type must be one of add_external_contact, edit_external_contact, add_half_external_contact, del_external_contact, del_follow_user, transfer_fail"}}, "", ""};
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    *http_status = 404;
    return {{{"error", "no external contact " + id}}, "", ""};
  }
  std::string userid = body.value("userid", std::string());
  if (userid.empty() && !it->second.follow.empty())
    userid = it->second.follow.front().value("userid", std::string());
  if (type == "del_external_contact" || type == "del_follow_user") {
    auto& f = it->second.follow;
    f.erase(std::remove_if(f.begin(), f.end(),
                           [&](const json& x) { return x.value("userid", std::string()) == userid; }),
            f.end());
  }
  json extra = json::object();
  if (body.contains("state")) extra["State"] = body.value("state", std::string());
  if (body.contains("welcome_code")) extra["WelcomeCode"] = body.value("welcome_code", std::string());
  if (body.contains("fail_reason")) extra["FailReason"] = body.value("fail_reason", std::string());
  if (body.contains("source")) extra["Source"] = body.value("source", std::string());
  *http_status = 200;
  return {{{"external_userid", id}, {"change_type", type}, {"userid", userid}}, id,
          eventXml(type, userid, id, extra, corp)};
}

std::string ContactBook::eventXml(const std::string& change_type, const std::string& userid,
                                  const std::string& external_userid, const json& extra,
                                  const CorpInfo& corp) const {
  std::string x = "<xml>" + tag("ToUserName", corp.corp_id) + tag("FromUserName", "sys") +
                  "<CreateTime>" + std::to_string(nowS()) + "</CreateTime>" +
                  tag("MsgType", "event") + tag("Event", "change_external_contact") +
                  tag("ChangeType", change_type) + tag("UserID", userid) +
                  tag("ExternalUserID", external_userid);
  for (const auto& [k, v] : extra.items())
    x += "<" + k + ">" + cdata(v.is_string() ? v.get<std::string>() : v.dump()) + "</" + k + ">";
  return x + "</xml>";
}

json ContactBook::all() const {
  std::lock_guard lock(mu_);
  json list = json::array();
  for (const auto& [id, c] : by_id_)
    list.push_back({{"external_contact", c.external_contact}, {"follow_user", c.follow}});
  return list;
}

size_t ContactBook::size() const {
  std::lock_guard lock(mu_);
  return by_id_.size();
}

void ContactBook::reset() {
  std::lock_guard lock(mu_);
  by_id_.clear();
  seeded_ = 0;
}

}  // namespace qiao::sim::wecom
