#include "wecom_xml.h"

#include <pugixml.hpp>

namespace qiao::connectors::wecom {
namespace {

constexpr size_t kMaxXml = 1024 * 1024;

Error fail(std::string what) {
  return Error::permanent(ErrorCode::kInvalidArgument, "wecom callback XML: " + std::move(what));
}

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

// Text of a child element (CDATA or plain); "" if absent.
std::string text(const pugi::xml_node& parent, const char* name) {
  return trim(parent.child(name).text().as_string());
}

Result<pugi::xml_node> loadRoot(pugi::xml_document& doc, std::string_view xml) {
  if (xml.size() > kMaxXml)
    return fail("body of " + std::to_string(xml.size()) + " bytes exceeds the 1 MiB limit");
  auto res = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!res)
    return fail(std::string("not well-formed at byte ") + std::to_string(res.offset) + ": " +
                res.description());
  pugi::xml_node root = doc.child("xml");
  if (!root) {
    pugi::xml_node first = doc.first_child();
    return fail(std::string("root element must be <xml>, got <") +
                (first ? first.name() : "") + ">");
  }
  return root;
}

ApprovalInfo parseApproval(const pugi::xml_node& a) {
  ApprovalInfo info;
  info.sp_no = text(a, "SpNo");
  if (info.sp_no.empty()) info.sp_no = text(a, "SpNoStr");
  info.sp_name = text(a, "SpName");
  info.sp_status = text(a, "SpStatus");
  info.template_id = text(a, "TemplateId");
  info.apply_time = text(a, "ApplyTime");
  info.applyer_userid = text(a.child("Applyer"), "UserId");
  info.applyer_party = text(a.child("Applyer"), "Party");
  info.statu_change_event = text(a, "StatuChangeEvent");
  for (pugi::xml_node r : a.children("SpRecord")) {
    ApprovalRecord rec;
    rec.sp_status = text(r, "SpStatus");
    rec.approver_attr = text(r, "ApproverAttr");
    for (pugi::xml_node d : r.children("Details")) {
      ApprovalDetail det;
      det.approver_userid = text(d.child("Approver"), "UserId");
      det.speech = text(d, "Speech");
      det.sp_status = text(d, "SpStatus");
      det.sp_time = text(d, "SpTime");
      rec.details.push_back(std::move(det));
    }
    info.sp_records.push_back(std::move(rec));
  }
  for (pugi::xml_node n : a.children("Notifyer")) info.notifyers.push_back(text(n, "UserId"));
  for (pugi::xml_node c : a.children("Comments")) {
    ApprovalComment com;
    com.userid = text(c.child("CommentUserInfo"), "UserId");
    com.time = text(c, "CommentTime");
    com.content = text(c, "CommentContent");
    com.id = text(c, "CommentId");
    info.comments.push_back(std::move(com));
  }
  return info;
}

}  // namespace

Result<Envelope> parseEnvelope(std::string_view xml) {
  pugi::xml_document doc;
  auto root = loadRoot(doc, xml);
  if (!root.ok()) return root.takeError();
  Envelope env;
  env.to_user_name = text(*root, "ToUserName");
  env.encrypt = text(*root, "Encrypt");
  env.agent_id = text(*root, "AgentID");
  if (!root->child("Encrypt")) return fail("missing element <xml><Encrypt>");
  if (env.encrypt.empty()) return fail("element <xml><Encrypt> is empty");
  return env;
}

Result<CallbackEvent> parseEvent(std::string_view xml) {
  pugi::xml_document doc;
  auto root_r = loadRoot(doc, xml);
  if (!root_r.ok()) return root_r.takeError();
  const pugi::xml_node root = *root_r;
  CallbackEvent ev;
  ev.to_user_name = text(root, "ToUserName");
  ev.from_user_name = text(root, "FromUserName");
  ev.create_time = text(root, "CreateTime");
  ev.msg_type = text(root, "MsgType");
  ev.event = text(root, "Event");
  ev.change_type = text(root, "ChangeType");
  ev.agent_id = text(root, "AgentID");
  ev.user_id = text(root, "UserID");
  ev.external_user_id = text(root, "ExternalUserID");
  ev.state = text(root, "State");
  ev.welcome_code = text(root, "WelcomeCode");
  ev.fail_reason = text(root, "FailReason");
  ev.content = text(root, "Content");
  ev.msg_id = text(root, "MsgId");
  if (ev.msg_type.empty()) return fail("missing element <xml><MsgType>");
  if (ev.event == "sys_approval_change") {
    pugi::xml_node a = root.child("ApprovalInfo");
    if (!a) return fail("sys_approval_change without element <xml><ApprovalInfo>");
    ev.approval = parseApproval(a);
    if (ev.approval->sp_no.empty())
      return fail("sys_approval_change without element <xml><ApprovalInfo><SpNo>");
  } else if (ev.event == "change_external_contact") {
    if (ev.change_type.empty())
      return fail("change_external_contact without element <xml><ChangeType>");
    if (ev.user_id.empty()) return fail("change_external_contact without element <xml><UserID>");
  }
  return ev;
}

}  // namespace qiao::connectors::wecom
