// Request bodies for app messages (POST /cgi-bin/message/send) and group-robot webhooks
// (POST /cgi-bin/webhook/send?key=…). Limits are UTF-8 BYTES (a CJK character is 3): text
// fields that are too long are cut on a character boundary — never inside a multi-byte
// character — and the cut is reported in `truncated`. JSON is written as raw UTF-8 (WeCom
// rejects or shows literally `\uXXXX` escapes: errcode 40033).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/result.h"

namespace qiao::connectors::wecom {

// Byte limits (reference wecom.md §4).
constexpr size_t kAppTextMaxBytes = 2048;
constexpr size_t kAppMarkdownMaxBytes = 2048;
constexpr size_t kTextCardTitleMaxBytes = 128;
constexpr size_t kTextCardDescriptionMaxBytes = 512;
constexpr size_t kTextCardUrlMaxBytes = 2048;
constexpr size_t kTextCardButtonMaxChars = 4;  // characters, not bytes
constexpr size_t kRobotTextMaxBytes = 2048;
constexpr size_t kRobotMarkdownMaxBytes = 4096;

// The longest prefix of text that is at most max_bytes long and ends on a UTF-8 character
// boundary. Invalid bytes count as one character each (they are not joined to neighbours).
std::string_view truncateUtf8(std::string_view text, size_t max_bytes);
// The first max_chars UTF-8 characters.
std::string_view truncateUtf8Chars(std::string_view text, size_t max_chars);

struct BuiltMessage {
  std::string json;                    // the request body
  std::vector<std::string> truncated;  // JSON paths of fields that were cut ("text.content")
};

// Recipients and options of an app message.
struct AppTarget {
  std::string touser;  // "u1|u2" or "@all"
  std::string toparty;
  std::string totag;
  int64_t agent_id = 0;
  int safe = 0;
  bool enable_duplicate_check = false;
  int64_t duplicate_check_interval_s = 1800;
};

Result<BuiltMessage> buildAppText(const AppTarget& to, std::string_view content);
Result<BuiltMessage> buildAppMarkdown(const AppTarget& to, std::string_view content);
// url must be absolute (http/https); btntxt may be empty (WeCom shows 详情).
Result<BuiltMessage> buildAppTextCard(const AppTarget& to, std::string_view title,
                                      std::string_view description, std::string_view url,
                                      std::string_view btntxt);
// card_json: the template_card object as JSON text; it must carry card_type. Sent as given.
Result<BuiltMessage> buildAppTemplateCard(const AppTarget& to, std::string_view card_json);

// Group robot. mentioned lists are userids / mobiles ("@all" allowed).
Result<BuiltMessage> buildRobotText(std::string_view content,
                                    const std::vector<std::string>& mentioned_list,
                                    const std::vector<std::string>& mentioned_mobile_list);
Result<BuiltMessage> buildRobotMarkdown(std::string_view content);
Result<BuiltMessage> buildRobotTemplateCard(std::string_view card_json);

}  // namespace qiao::connectors::wecom
