// Callback bodies: the encrypted envelope and the decrypted event XML (pugixml). Repeated
// elements (SpRecord, Details, Notifyer, Comments) are always lists, whether 0, 1 or n occur
// (a single-object mapping silently dropped approvers in other SDKs). Unknown elements are
// ignored; malformed XML and missing required elements are errors that name the element.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/result.h"

namespace qiao::connectors::wecom {

// <xml><ToUserName/><Encrypt/><AgentID/></xml>
struct Envelope {
  std::string to_user_name;
  std::string encrypt;   // trimmed of surrounding whitespace (it breaks the signature)
  std::string agent_id;  // may be empty (some events omit it)
};
Result<Envelope> parseEnvelope(std::string_view xml);

struct ApprovalDetail {      // <SpRecord><Details>
  std::string approver_userid;  // <Approver><UserId>
  std::string speech;
  std::string sp_status;
  std::string sp_time;
};
struct ApprovalRecord {      // <SpRecord>
  std::string sp_status;
  std::string approver_attr;  // 1 或签, 2 会签
  std::vector<ApprovalDetail> details;
};
struct ApprovalComment {
  std::string userid;
  std::string time;
  std::string content;
  std::string id;
};
struct ApprovalInfo {        // <ApprovalInfo> of sys_approval_change
  std::string sp_no;         // kept as text: numeric in callbacks, a string in the API
  std::string sp_name;
  std::string sp_status;
  std::string template_id;
  std::string apply_time;
  std::string applyer_userid;
  std::string applyer_party;
  std::string statu_change_event;
  std::vector<ApprovalRecord> sp_records;
  std::vector<std::string> notifyers;  // <Notifyer><UserId>
  std::vector<ApprovalComment> comments;
};

struct CallbackEvent {
  std::string to_user_name;
  std::string from_user_name;
  std::string create_time;
  std::string msg_type;  // "event", "text", ...
  std::string event;     // "sys_approval_change", "change_external_contact", ...
  std::string change_type;
  std::string agent_id;
  // change_external_contact
  std::string user_id;
  std::string external_user_id;
  std::string state;
  std::string welcome_code;
  std::string fail_reason;
  // text messages
  std::string content;
  std::string msg_id;
  std::optional<ApprovalInfo> approval;  // set for sys_approval_change
};

// Parses a decrypted callback. Requires <xml> and <MsgType>; for sys_approval_change requires
// <ApprovalInfo><SpNo>; for change_external_contact requires <ChangeType> and <UserID>.
Result<CallbackEvent> parseEvent(std::string_view xml);

}  // namespace qiao::connectors::wecom
