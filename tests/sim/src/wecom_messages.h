// Messages of the WeCom simulator: app messages (message/send) and group-robot webhooks
// (webhook/send), validated as WeCom does (msgtype, agentid, recipients, UTF-8 byte limits,
// no \uXXXX escapes), rate limited per member and per robot, and recorded for tests to read.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "wecom_oa.h"

namespace qiao::sim::wecom {

struct MessageLimits {
  int member_per_min = 30;      // app messages to one member per minute
  bool member_error = false;    // false: excess dropped silently (documented); true: 45009
  int robot_per_min = 20;       // per robot key per minute → 45009
};

class MessageBook {
 public:
  static constexpr size_t kKept = 20000;
  // body: the raw request text; agent_id: the token's app.
  nlohmann::json sendApp(const std::string& body, int64_t agent_id, const CorpInfo& corp,
                         const MessageLimits& limits);
  nlohmann::json sendRobot(const std::string& key, const std::string& body,
                           const std::set<std::string>& robot_keys, const MessageLimits& limits);
  nlohmann::json messages(size_t offset, size_t limit, const std::string& channel) const;
  nlohmann::json stats() const;
  void reset();

 private:
  // true if `who` may get one more within the minute (and counts it).
  bool admit(std::map<std::string, std::deque<int64_t>>& windows, const std::string& who,
             int per_min, int64_t now_ms);

  mutable std::mutex mu_;
  std::deque<nlohmann::json> kept_;
  std::map<std::string, std::deque<int64_t>> member_windows_, robot_windows_;
  int64_t next_msgid_ = 1, app_sent_ = 0, robot_sent_ = 0, dropped_ = 0, limited_ = 0;
};

}  // namespace qiao::sim::wecom
