// External contacts (客户联系) through the WeCom server API (reference wecom.md §6), on top of
// Client (shared token manager, one refresh on 40014/42001, errcode ≠ 0 is an error):
//   externalcontact/list               the customers of one member (one response, no paging)
//   externalcontact/get                one customer, follow users paged by cursor
//   externalcontact/batch/get_by_user  (customer, member) pairs for ≤100 members, cursor paged
// and the mapping of a customer into the CRM customer record (docs/crm-model.md) — the third
// source of customer sync.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qiao/core/record.h"
#include "wecom_client.h"

namespace qiao::connectors::wecom {

struct FollowUser {  // a member who has the customer (follow_user / follow_info)
  std::string userid, remark, description, remark_corp_name, state, oper_userid;
  int64_t createtime = 0;
  int add_way = 0;
  std::vector<std::string> remark_mobiles;
  std::vector<std::string> tag_ids;    // both shapes
  std::vector<std::string> tag_names;  // only from `get` (batch gives ids only)
};

struct ExternalContact {
  std::string external_userid, name, position, avatar, corp_name, corp_full_name, unionid;
  int type = 0;    // 1 WeChat user, 2 WeCom user (corp_name/corp_full_name only for 2)
  int gender = 0;  // 0 unknown, 1 male, 2 female
  std::vector<FollowUser> follow_users;
};

// GET externalcontact/list?userid=; errcode 84061 (the member has no customers) is an empty
// list, not an error.
Result<std::vector<std::string>> listExternalContacts(Client& client, const std::string& userid);

// GET externalcontact/get, following next_cursor through the follow users (at most max_pages).
Result<ExternalContact> getExternalContact(Client& client, const std::string& external_userid,
                                           size_t max_pages = 100);

struct ContactPage {
  std::vector<ExternalContact> contacts;  // one per (customer, member) pair, one follow user each
  std::string next_cursor;                // "" = last page
};
// POST externalcontact/batch/get_by_user, one page (userids 1..100, limit 1..100).
Result<ContactPage> batchGetByUser(Client& client, const std::vector<std::string>& userids,
                                   const std::string& cursor, int limit = 50);

// Every customer of these members: members in chunks of 50 (some corps refuse more than 64
// in one call), each chunk paged until the cursor is empty; the pairs of one customer merged
// into one contact with all its follow users, ordered by external_userid. At most max_pages.
Result<std::vector<ExternalContact>> batchGetAllByUsers(Client& client,
                                                        const std::vector<std::string>& userids,
                                                        int limit = 100, size_t max_pages = 10000);

// The CRM customer record (JSON object text); see docs/connectors/wecom.md for what WeCom
// has and has not: name (corp_full_name, corp_name, a member's remark_corp_name, else the
// person), shortName, contacts[0] (the person; mobile from remark_mobiles), phone,
// wecomExternalUserId, wecomType, unionId, followUsers, status "active".
std::string customerPayload(const ExternalContact& contact);
// The same as a Record: entity "customer", business_key = the external_userid.
Record customerRecord(const ExternalContact& contact);

}  // namespace qiao::connectors::wecom
