// External contacts (客户联系) of the WeCom simulator: externalcontact/list, /get (follow
// users paged by cursor) and /batch/get_by_user (cursor paging over (member, customer)
// pairs), seeded and changed through admin endpoints that produce change_external_contact
// event XML (reference wecom.md §6).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wecom_oa.h"

namespace qiao::sim::wecom {

class ContactBook {
 public:
  // GET externalcontact/list?userid=
  nlohmann::json list(const std::string& userid, const CorpInfo& corp) const;
  // GET externalcontact/get?external_userid=&cursor=; follow_page follow users per page.
  nlohmann::json get(const std::string& external_userid, const std::string& cursor,
                     size_t follow_page) const;
  // POST externalcontact/batch/get_by_user
  nlohmann::json batchByUser(const nlohmann::json& req, const CorpInfo& corp) const;

  // Admin: upsert {"external_contact":{...},"follow_user":[{...}]}; fires add_external_contact
  // (new pair) or edit_external_contact (known pair) for the first follow user.
  ApiResult upsert(const nlohmann::json& body, const CorpInfo& corp, int* http_status);
  // Admin: {"userid","count","prefix"}: count generated customers followed by userid; no events.
  nlohmann::json seed(const nlohmann::json& body, int* http_status);
  // Admin: any change_type with {"userid", "state", "welcome_code", "fail_reason"}; a
  // del_external_contact / del_follow_user also removes the pair.
  ApiResult event(const std::string& external_userid, const nlohmann::json& body,
                  const CorpInfo& corp, int* http_status);
  nlohmann::json all() const;
  size_t size() const;
  void reset();

 private:
  struct Contact {
    nlohmann::json external_contact;  // as WeCom returns it
    std::vector<nlohmann::json> follow;  // follow_user entries as `get` returns them
  };
  static nlohmann::json followInfo(const nlohmann::json& follow);  // batch shape: tag_id[]
  std::string eventXml(const std::string& change_type, const std::string& userid,
                       const std::string& external_userid, const nlohmann::json& extra,
                       const CorpInfo& corp) const;

  mutable std::mutex mu_;
  std::map<std::string, Contact> by_id_;  // external_userid → contact
  int64_t seeded_ = 0;
};

}  // namespace qiao::sim::wecom
