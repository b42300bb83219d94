#include "wecom_messages.h"

#include <chrono>
#include <vector>

namespace qiao::sim::wecom {
namespace {

using nlohmann::json;

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> splitBar(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t bar = s.find('|', start);
    if (bar == std::string::npos) bar = s.size();
    if (bar > start) out.push_back(s.substr(start, bar - start));
    start = bar + 1;
  }
  return out;
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// The payload object of msgtype, or null.
const json* part(const json& req, const std::string& type) {
  auto it = req.find(type);
  return it != req.end() && it->is_object() ? &*it : nullptr;
}

// Errors shared by app and robot: a parse failure, \u escapes (40033).
bool parseBody(const std::string& body, json* out, json* error) {
  if (body.find("\\u") != std::string::npos) {
    *error = errcodeBody(40033, "invalid charset. please check your request, if include \\uxxxx will create fail!");
    return false;
  }
  *out = json::parse(body, nullptr, false);
  if (out->is_discarded() || !out->is_object()) {
    *error = errcodeBody(40058, "invalid parameter: the body is not a JSON object");
    return false;
  }
  return true;
}

}  // namespace

bool MessageBook::admit(std::map<std::string, std::deque<int64_t>>& windows,
                        const std::string& who, int per_min, int64_t now_ms) {
  auto& w = windows[who];
  while (!w.empty() && w.front() <= now_ms - 60'000) w.pop_front();
  if (per_min > 0 && static_cast<int>(w.size()) >= per_min) return false;
  w.push_back(now_ms);
  return true;
}

json MessageBook::sendApp(const std::string& body, int64_t agent_id, const CorpInfo& corp,
                          const MessageLimits& limits) {
  json req, err;
  if (!parseBody(body, &req, &err)) return err;
  auto ag = req.find("agentid");
  if (ag == req.end()) return errcodeBody(40058, "agentid is required");
  int64_t agent = ag->is_number_integer() ? ag->get<int64_t>()
                  : ag->is_string() && !ag->get<std::string>().empty() &&
                          ag->get<std::string>().find_first_not_of("0123456789") == std::string::npos
                      ? std::stoll(ag->get<std::string>())
                      : -1;
  if (agent != agent_id) return errcodeBody(301002, "not allow operate another agent with this accesstoken");
  const std::string type = str(req, "msgtype");
  static const std::set<std::string> kTypes{"text", "markdown", "textcard", "template_card",
                                            "image", "voice", "video", "file", "news", "mpnews",
                                            "miniprogram_notice"};
  if (!kTypes.count(type)) return errcodeBody(40008, "invalid message type '" + type + "'");
  const json* p = part(req, type);
  if (!p) return errcodeBody(40058, "missing field '" + type + "'");
  if (type == "text" || type == "markdown") {
    const std::string c = str(*p, "content");
    if (c.empty()) return errcodeBody(41016, "missing content");  // 41016: content missing
    if (c.size() > 2048) return errcodeBody(45002, "content size out of limit: " + std::to_string(c.size()) + " bytes > 2048");
  } else if (type == "textcard") {
    if (str(*p, "description").empty()) return errcodeBody(41033, "missing description");
    if (str(*p, "title").size() > 128 || str(*p, "description").size() > 512)
      return errcodeBody(45002, "textcard title > 128 or description > 512 bytes");
    const std::string url = str(*p, "url");
    if (url.empty() || url.size() > 2048 || (url.rfind("http://", 0) && url.rfind("https://", 0)))
      return errcodeBody(40058, "textcard.url must be an http(s) URL of at most 2048 bytes");
  } else if (type == "template_card") {
    if (str(*p, "card_type").empty()) return errcodeBody(40058, "template_card.card_type is required");
  }
  const std::string touser = str(req, "touser"), toparty = str(req, "toparty"), totag = str(req, "totag");
  if (touser.empty() && toparty.empty() && totag.empty())
    return errcodeBody(82001, "all touser & toparty & totag invalid: none given");
  std::vector<std::string> valid, invalid;
  if (touser == "@all") {
    valid.assign(corp.members.begin(), corp.members.end());
  } else {
    for (const auto& u : splitBar(touser))
      (corp.members.empty() || corp.members.count(u) ? valid : invalid).push_back(u);
  }
  if (valid.empty() && toparty.empty() && totag.empty())
    return errcodeBody(81013, "user & party & tag all invalid");
  const int64_t now = nowMs();
  std::lock_guard lock(mu_);
  std::vector<std::string> delivered, dropped;
  if (limits.member_error) {
    for (const auto& u : valid) {
      auto& w = member_windows_[u];
      while (!w.empty() && w.front() <= now - 60'000) w.pop_front();
      if (limits.member_per_min > 0 && static_cast<int>(w.size()) >= limits.member_per_min) {
        ++limited_;
        return errcodeBody(45009, "api freq out of limit: " + u + " got " +
                                      std::to_string(limits.member_per_min) + " messages this minute");
      }
    }
  }
  for (const auto& u : valid)
    (admit(member_windows_, u, limits.member_per_min, now) ? delivered : dropped).push_back(u);
  dropped_ += static_cast<int64_t>(dropped.size());
  ++app_sent_;
  const std::string msgid = "simmsg" + std::to_string(next_msgid_++);
  json record{{"channel", "app"},          {"msgid", msgid},     {"agentid", agent},
              {"msgtype", type},           {"touser", delivered}, {"dropped", dropped},
              {"toparty", toparty},        {"totag", totag},     {"body", req},
              {"time_ms", now}};
  kept_.push_back(std::move(record));
  while (kept_.size() > kKept) kept_.pop_front();
  json out = errcodeBody(0, "ok");
  std::string inv;
  for (const auto& u : invalid) inv += (inv.empty() ? "" : "|") + u;
  out["invaliduser"] = inv;
  out["msgid"] = msgid;
  return out;
}

json MessageBook::sendRobot(const std::string& key, const std::string& body,
                            const std::set<std::string>& robot_keys, const MessageLimits& limits) {
  if (key.empty() || !robot_keys.count(key))
    return errcodeBody(93000, "invalid webhook url, please check the key");
  json req, err;
  if (!parseBody(body, &req, &err)) return err;
  const std::string type = str(req, "msgtype");
  static const std::set<std::string> kTypes{"text", "markdown", "image", "news", "file", "voice",
                                            "template_card"};
  if (!kTypes.count(type)) return errcodeBody(40008, "invalid message type '" + type + "'");
  const json* p = part(req, type);
  if (!p) return errcodeBody(40058, "missing field '" + type + "'");
  if (type == "text" || type == "markdown") {
    const std::string c = str(*p, "content");
    const size_t max = type == "text" ? 2048 : 4096;
    if (c.empty()) return errcodeBody(40058, type + ".content is required");
    if (c.size() > max)
      return errcodeBody(40058, type + ".content exceed max length " + std::to_string(max));
  }
  const int64_t now = nowMs();
  std::lock_guard lock(mu_);
  if (!admit(robot_windows_, key, limits.robot_per_min, now)) {
    ++limited_;
    return errcodeBody(45009, "api freq out of limit: more than " +
                                  std::to_string(limits.robot_per_min) + " messages a minute");
  }
  ++robot_sent_;
  kept_.push_back({{"channel", "robot"}, {"robot", key.substr(0, 4) + "…"}, {"msgtype", type},
                   {"body", req}, {"time_ms", now}});
  while (kept_.size() > kKept) kept_.pop_front();
  return errcodeBody(0, "ok");
}

json MessageBook::messages(size_t offset, size_t limit, const std::string& channel) const {
  std::lock_guard lock(mu_);
  json list = json::array();
  size_t seen = 0;
  for (const auto& m : kept_) {
    if (!channel.empty() && m.value("channel", std::string()) != channel) continue;
    if (seen++ < offset) continue;
    if (list.size() >= limit) break;
    list.push_back(m);
  }
  return {{"kept", kept_.size()}, {"messages", list}};
}

json MessageBook::stats() const {
  std::lock_guard lock(mu_);
  return {{"app_sent", app_sent_}, {"robot_sent", robot_sent_},
          {"dropped_by_member_limit", dropped_}, {"rate_limited", limited_}};
}

void MessageBook::reset() {
  std::lock_guard lock(mu_);
  kept_.clear();
  member_windows_.clear();
  robot_windows_.clear();
  next_msgid_ = 1;
  app_sent_ = robot_sent_ = dropped_ = limited_ = 0;
}

}  // namespace qiao::sim::wecom
