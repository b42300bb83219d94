#include "wecom_contacts.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

namespace qiao::connectors::wecom {
namespace {

using nlohmann::json;

constexpr size_t kMembersPerCall = 50;

std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return "";
}

int64_t number(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) {
    const std::string s = it->get<std::string>();
    if (!s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos)
      return std::stoll(s);
  }
  return 0;
}

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it != j.end() && it->is_array())
    for (const auto& e : *it)
      if (e.is_string() && !e.get<std::string>().empty()) out.push_back(e.get<std::string>());
  return out;
}

Error badReply(const std::string& what, const std::string& msg) {
  return Error::transient(ErrorCode::kRemoteTransient, "wecom " + what + ": " + msg);
}

ExternalContact contactFromJson(const json& ec) {
  ExternalContact c;
  c.external_userid = text(ec, "external_userid");
  c.name = text(ec, "name");
  c.position = text(ec, "position");
  c.avatar = text(ec, "avatar");
  c.corp_name = text(ec, "corp_name");
  c.corp_full_name = text(ec, "corp_full_name");
  c.unionid = text(ec, "unionid");
  c.type = static_cast<int>(number(ec, "type"));
  c.gender = static_cast<int>(number(ec, "gender"));
  return c;
}

FollowUser followFromJson(const json& f) {
  FollowUser u;
  u.userid = text(f, "userid");
  u.remark = text(f, "remark");
  u.description = text(f, "description");
  u.remark_corp_name = text(f, "remark_corp_name");
  u.state = text(f, "state");
  u.oper_userid = text(f, "oper_userid");
  u.createtime = number(f, "createtime");
  u.add_way = static_cast<int>(number(f, "add_way"));
  u.remark_mobiles = strings(f, "remark_mobiles");
  u.tag_ids = strings(f, "tag_id");  // batch shape
  if (auto t = f.find("tags"); t != f.end() && t->is_array()) {  // get shape
    for (const auto& tag : *t) {
      if (!tag.is_object()) continue;
      if (!text(tag, "tag_id").empty()) u.tag_ids.push_back(text(tag, "tag_id"));
      if (!text(tag, "tag_name").empty()) u.tag_names.push_back(text(tag, "tag_name"));
    }
  }
  return u;
}

json parseReply(const ApiReply& reply) { return json::parse(reply.body, nullptr, false); }

}  // namespace

Result<std::vector<std::string>> listExternalContacts(Client& client, const std::string& userid) {
  if (userid.empty())
    return Error::permanent(ErrorCode::kInvalidArgument, "wecom externalcontact/list: userid is empty");
  auto reply = client.getWithToken("/cgi-bin/externalcontact/list",
                                   "userid=" + urlEncodeComponent(userid));
  if (!reply.ok()) {
    const std::string& m = reply.error().message;
    const size_t at = m.find("errcode 84061");
    if (at != std::string::npos && (at + 13 == m.size() || !std::isdigit(static_cast<unsigned char>(m[at + 13]))))
      return std::vector<std::string>{};  // the member has no customers
    return reply.takeError();
  }
  json j = parseReply(*reply);
  return j.is_object() ? strings(j, "external_userid") : std::vector<std::string>{};
}

Result<ExternalContact> getExternalContact(Client& client, const std::string& external_userid,
                                           size_t max_pages) {
  if (external_userid.empty())
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "wecom externalcontact/get: external_userid is empty");
  ExternalContact out;
  std::string cursor;
  for (size_t page = 0; page < max_pages; ++page) {
    std::string query = "external_userid=" + urlEncodeComponent(external_userid);
    if (!cursor.empty()) query += "&cursor=" + urlEncodeComponent(cursor);
    auto reply = client.getWithToken("/cgi-bin/externalcontact/get", query);
    if (!reply.ok()) return reply.takeError();
    json j = parseReply(*reply);
    if (!j.is_object() || !j.contains("external_contact") || !j["external_contact"].is_object())
      return badReply("externalcontact/get", "reply has no external_contact object");
    if (page == 0) out = contactFromJson(j["external_contact"]);
    if (auto f = j.find("follow_user"); f != j.end() && f->is_array())
      for (const auto& u : *f)
        if (u.is_object()) out.follow_users.push_back(followFromJson(u));
    const std::string next = text(j, "next_cursor");
    if (next.empty()) return out;
    if (next == cursor) return badReply("externalcontact/get", "the cursor did not move");
    cursor = next;
  }
  return badReply("externalcontact/get", "more than " + std::to_string(max_pages) + " pages of follow users");
}

Result<ContactPage> batchGetByUser(Client& client, const std::vector<std::string>& userids,
                                   const std::string& cursor, int limit) {
  const std::string what = "wecom externalcontact/batch/get_by_user: ";
  if (userids.empty() || userids.size() > 100)
    return Error::permanent(ErrorCode::kInvalidArgument, what + "1..100 userids per call");
  if (limit < 1 || limit > 100)
    return Error::permanent(ErrorCode::kInvalidArgument, what + "limit must be 1..100");
  json body{{"userid_list", userids}, {"cursor", cursor}, {"limit", limit}};
  auto reply = client.postWithToken("/cgi-bin/externalcontact/batch/get_by_user",
                                    body.dump(-1, ' ', false, json::error_handler_t::replace));
  if (!reply.ok()) return reply.takeError();
  json j = parseReply(*reply);
  if (!j.is_object() || !j.contains("external_contact_list") || !j["external_contact_list"].is_array())
    return badReply("externalcontact/batch/get_by_user", "reply has no external_contact_list");
  ContactPage page;
  for (const auto& item : j["external_contact_list"]) {
    if (!item.is_object() || !item.contains("external_contact")) continue;
    ExternalContact c = contactFromJson(item["external_contact"]);
    if (auto f = item.find("follow_info"); f != item.end() && f->is_object())
      c.follow_users.push_back(followFromJson(*f));
    page.contacts.push_back(std::move(c));
  }
  page.next_cursor = text(j, "next_cursor");
  return page;
}

Result<std::vector<ExternalContact>> batchGetAllByUsers(Client& client,
                                                        const std::vector<std::string>& userids,
                                                        int limit, size_t max_pages) {
  std::map<std::string, ExternalContact> merged;
  size_t pages = 0;
  for (size_t at = 0; at < userids.size(); at += kMembersPerCall) {
    std::vector<std::string> chunk(userids.begin() + static_cast<std::ptrdiff_t>(at),
                                   userids.begin() + static_cast<std::ptrdiff_t>(std::min(userids.size(), at + kMembersPerCall)));
    std::string cursor;
    do {
      if (pages++ >= max_pages)
        return Error::transient(ErrorCode::kRemoteTransient,
                                "wecom externalcontact/batch/get_by_user: more than " +
                                    std::to_string(max_pages) + " pages");
      auto page = batchGetByUser(client, chunk, cursor, limit);
      if (!page.ok()) return page.takeError();
      if (!page->next_cursor.empty() && page->next_cursor == cursor)
        return badReply("externalcontact/batch/get_by_user", "the cursor did not move");
      for (auto& c : page->contacts) {
        auto [it, fresh] = merged.try_emplace(c.external_userid, c);
        if (fresh) continue;
        for (auto& f : c.follow_users) {
          const bool known = std::any_of(it->second.follow_users.begin(), it->second.follow_users.end(),
                                         [&](const FollowUser& g) { return g.userid == f.userid; });
          if (!known) it->second.follow_users.push_back(std::move(f));
        }
      }
      cursor = page->next_cursor;
    } while (!cursor.empty());
  }
  std::vector<ExternalContact> out;
  out.reserve(merged.size());
  for (auto& [id, c] : merged) out.push_back(std::move(c));
  return out;
}

std::string customerPayload(const ExternalContact& c) {
  std::string name, source;
  std::string remark_corp, mobile;
  for (const auto& f : c.follow_users) {
    if (remark_corp.empty()) remark_corp = f.remark_corp_name;
    if (mobile.empty() && !f.remark_mobiles.empty()) mobile = f.remark_mobiles.front();
  }
  if (!c.corp_full_name.empty()) {
    name = c.corp_full_name;
    source = "corp_full_name";
  } else if (!c.corp_name.empty()) {
    name = c.corp_name;
    source = "corp_name";
  } else if (!remark_corp.empty()) {
    name = remark_corp;
    source = "remark_corp_name";
  } else {
    name = c.name;  // a WeChat individual without a company: the person is the customer
    source = "contact_name";
  }
  json p{{"name", name}, {"nameSource", source}, {"wecomExternalUserId", c.external_userid},
         {"wecomType", c.type == 2 ? "wecom" : c.type == 1 ? "wechat" : "unknown"},
         {"status", "active"}};
  if (!c.corp_name.empty() && c.corp_name != name) p["shortName"] = c.corp_name;
  json person{{"name", c.name}, {"isDefault", true}};
  if (!c.position.empty()) person["title"] = c.position;
  if (!mobile.empty()) {
    person["mobile"] = mobile;
    p["phone"] = mobile;
  }
  p["contacts"] = json::array({person});
  if (!c.unionid.empty()) p["unionId"] = c.unionid;
  json follow = json::array();
  for (const auto& f : c.follow_users) {
    json one{{"userid", f.userid}, {"createTime", f.createtime}};
    if (!f.remark.empty()) one["remark"] = f.remark;
    if (!f.description.empty()) one["description"] = f.description;
    if (!f.tag_names.empty()) one["tags"] = f.tag_names;
    if (!f.tag_ids.empty()) one["tagIds"] = f.tag_ids;
    if (!f.state.empty()) one["state"] = f.state;
    follow.push_back(std::move(one));
  }
  p["followUsers"] = follow;
  return p.dump(-1, ' ', false, json::error_handler_t::replace);
}

Record customerRecord(const ExternalContact& contact) {
  Record r;
  r.payload = customerPayload(contact);
  r.entity = "customer";
  r.source_system = "wecom";
  r.business_key = contact.external_userid;
  return r;
}

}  // namespace qiao::connectors::wecom
