// Mode `approval` of the `wecom` sink: each record submits one approval (oa/applyevent) and
// the delivery's remote_id is the sp_no. WeCom has no idempotency key, so a resend after a
// lost reply would open a second approval; with `idempotency_control` set (the id of a Text
// control of the template) the record's idempotency key is written into that control, and a
// retry (record.attempt > 1) first looks for an approval of the last day that carries it
// and returns that sp_no instead of submitting again — never a blind resend.
#pragma once

#include <string>

#include "qiao/core/record.h"
#include "qiao/sdk/connector.h"
#include "wecom_approval.h"

namespace qiao::connectors::wecom {

struct ApprovalSinkSettings {
  std::string template_id;          // default when the record has none
  std::string creator_userid;       // default when the record has none
  std::string idempotency_control;  // "" = no lookup on retries
};

// The request from a record payload: {"creator_userid", "template_id",
// "use_template_approver", "approvers":[{"attr","userid":[…]}], "notifyers", "notify_type",
// "contents":[…], "summary":[…]}; settings fill what the record leaves out. Errors name the
// field (kInvalidArgument, permanent).
Result<ApplyEventRequest> approvalFromRecord(const ApprovalSinkSettings& settings,
                                             const Record& record);

Result<sdk::Delivery> deliverApproval(Client& client, const ApprovalSinkSettings& settings,
                                      const Record& record);

}  // namespace qiao::connectors::wecom
