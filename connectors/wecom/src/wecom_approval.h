// Approvals (审批) through the WeCom server API (reference wecom.md §5), on top of Client (so
// every call shares the token manager: one refresh on 40014/42001, HTTP 200 with errcode ≠ 0
// is an error):
//   oa/applyevent          submit, with the older approver + attr form (well attested; the
//                          newer `process` form is not used — its semantics are uncertain)
//   oa/getapprovaldetail   one application, parsed into the same ApprovalInfo as callbacks
//   oa/getapprovalinfo     sp_no list for a time range, string cursor new_cursor →
//                          new_next_cursor, paged until the cursor comes back empty
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wecom_client.h"
#include "wecom_xml.h"

namespace qiao::connectors::wecom {

struct ApprovalNode {
  int attr = 1;  // 1 或签 (any one approves), 2 会签 (all must approve)
  std::vector<std::string> userids;
};

struct ApplyEventRequest {
  std::string creator_userid;       // must be in the app's visible range (else 301025)
  std::string template_id;
  bool use_template_approver = false;  // true: the template's own flow, approvers ignored
  std::vector<ApprovalNode> approvers;
  std::vector<std::string> notifyers;
  int notify_type = 0;              // 0 = leave out (WeCom rejects 0); 1 at submit, 2 after, 3 both
  std::string contents_json;        // apply_data.contents: a JSON array text
  std::vector<std::string> summary_lines;  // at most 3 lines of at most 20 characters
};

// The request body; errors (kInvalidArgument) name the field that is wrong.
Result<std::string> buildApplyEventBody(const ApplyEventRequest& request);
// POST oa/applyevent; the new sp_no.
Result<std::string> submitApproval(Client& client, const ApplyEventRequest& request);

struct ApprovalDetailResult {
  ApprovalInfo info;      // numbers kept as text, lists for every repeated element
  std::string info_json;  // the `info` object as WeCom sent it
};
// POST oa/getapprovaldetail.
Result<ApprovalDetailResult> getApprovalDetail(Client& client, const std::string& sp_no);

struct ApprovalListQuery {
  int64_t start_unix_s = 0;
  int64_t end_unix_s = 0;  // > start, at most 31 days later
  std::string cursor;      // "" = first page
  int size = 100;          // 1..100
  std::vector<std::pair<std::string, std::string>> filters;  // template_id, creator, sp_status, department
};
struct ApprovalPage {
  std::vector<std::string> sp_nos;
  std::string next_cursor;  // "" = no more pages
};
// POST oa/getapprovalinfo, one page.
Result<ApprovalPage> listApprovals(Client& client, const ApprovalListQuery& query);
// Every sp_no between start and end: ranges longer than 31 days are split, each range is
// paged until the cursor comes back empty (a short page is not the end). At most max_pages.
Result<std::vector<std::string>> listAllApprovals(
    Client& client, int64_t start_unix_s, int64_t end_unix_s,
    const std::vector<std::pair<std::string, std::string>>& filters = {},
    size_t max_pages = 1000);

// sp_status of an application → qiao's state words: 1 in_approval, 2 approved, 3 rejected,
// 4 withdrawn, 6 withdrawn (after approval), 7 terminated (deleted), 10 approved (paid);
// anything else "unknown".
std::string_view approvalState(int sp_status);
// StatuChangeEvent → submitted, approved, rejected, transferred, reminded, withdrawn,
// withdrawn_after_approval, commented; anything else "changed".
std::string_view approvalChangeName(int statu_change_event);

// The record payload for an approval (JSON object text): spNo, spName, templateId,
// spStatus, state, applyTime, applyer, records (with every approver's speech), approvers
// (flattened), decision (the latest approve/reject with its comment), comments, notifyers;
// plus changeEvent/change/createTime when given (callbacks) and the extra string fields.
std::string approvalPayload(const ApprovalInfo& info, std::string_view create_time = {},
                            std::string_view change_event = {},
                            const std::vector<std::pair<std::string, std::string>>& extra = {});

}  // namespace qiao::connectors::wecom
