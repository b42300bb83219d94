// The request store of the `weaver` simulator: what doCreateRequest creates, what the
// paService read calls answer, and the admin actions that move a request (approve, reject,
// withdraw, terminate, resubmit) with an approver and a comment, logged as E9 logs them.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qiao::sim::oa {

struct WeaverUser {
  std::string id;
  std::string name;
};

class WeaverBook {
 public:
  // Params as sent (form values are JSON text for mainData/detailData/otherParams).
  // workflows: id → allowed field names (empty = any).
  nlohmann::json create(const std::map<std::string, nlohmann::json>& params, const WeaverUser& user,
                        const std::map<std::string, std::set<std::string>>& workflows);
  nlohmann::json status(const std::string& request_id) const;
  nlohmann::json info(const std::string& request_id) const;
  nlohmann::json myList(const std::map<std::string, nlohmann::json>& params, const WeaverUser& user) const;

  // Admin: action on a request; *http is the status to answer with.
  nlohmann::json act(const std::string& request_id, const std::string& action,
                     const nlohmann::json& body, int* http);
  nlohmann::json all() const;
  nlohmann::json one(const std::string& request_id, int* http) const;
  int64_t created() const;
  void reset();

 private:
  struct Log {
    std::string node_name, operate_type, operator_id, operator_name, remark;
    int64_t at_ms = 0;
  };
  struct Request {
    int64_t id = 0;
    std::string workflow_id, name, creator_id, creator_name, status, node_name;
    int node_type = 0;
    nlohmann::json main_data, detail_data;
    std::vector<Log> logs;
    int64_t created_ms = 0, updated_ms = 0;
  };
  static nlohmann::json logJson(const Log& l);
  nlohmann::json adminJson(const Request& r) const;

  mutable std::mutex mu_;
  std::map<int64_t, Request> requests_;
  int64_t next_id_ = 100001;
  int64_t created_ = 0;
};

// {"code":"PARAM_ERROR","errMsg":{key: message}} and friends.
nlohmann::json paError(const std::string& code, const std::string& key, const std::string& message);

}  // namespace qiao::sim::oa
