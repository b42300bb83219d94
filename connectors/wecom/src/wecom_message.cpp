#include "wecom_message.h"

#include <nlohmann/json.hpp>

namespace qiao::connectors::wecom {
namespace {

using nlohmann::json;

Error fail(std::string what) {
  return Error::permanent(ErrorCode::kInvalidArgument, "wecom message: " + std::move(what));
}

// Length of the UTF-8 sequence starting at i, or 1 when it is not a valid sequence.
size_t sequenceLength(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n <= 1 || i + n > s.size()) return 1;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  return n;
}

// Raw UTF-8 out (no \u escapes); invalid bytes become U+FFFD instead of throwing.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void putLimited(json& obj, const char* key, std::string_view value, size_t max_bytes,
                const std::string& path, BuiltMessage& out) {
  std::string_view cut = truncateUtf8(value, max_bytes);
  if (cut.size() < value.size()) out.truncated.push_back(path);
  obj[key] = std::string(cut);
}

Result<json> appBase(const AppTarget& to, const char* msgtype) {
  if (to.touser.empty() && to.toparty.empty() && to.totag.empty())
    return fail("no recipient: set touser, toparty or totag (WeCom errcode 82001)");
  if (to.agent_id <= 0) return fail("agent_id must be a positive integer");
  json j = json::object();
  if (!to.touser.empty()) j["touser"] = to.touser;
  if (!to.toparty.empty()) j["toparty"] = to.toparty;
  if (!to.totag.empty()) j["totag"] = to.totag;
  j["msgtype"] = msgtype;
  j["agentid"] = to.agent_id;
  if (to.safe != 0) j["safe"] = to.safe;
  if (to.enable_duplicate_check) {
    j["enable_duplicate_check"] = 1;
    j["duplicate_check_interval"] = to.duplicate_check_interval_s;
  }
  return j;
}

Result<json> parseCard(std::string_view card_json) {
  json card = json::parse(card_json, nullptr, false);
  if (card.is_discarded() || !card.is_object())
    return fail("template_card must be a JSON object");
  auto t = card.find("card_type");
  if (t == card.end() || !t->is_string() || t->get<std::string>().empty())
    return fail("template_card.card_type is missing (text_notice, news_notice, ...)");
  return card;
}

}  // namespace

std::string_view truncateUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t i = 0;
  while (i < text.size()) {
    size_t n = sequenceLength(text, i);
    if (i + n > max_bytes) break;
    i += n;
  }
  return text.substr(0, i);
}

std::string_view truncateUtf8Chars(std::string_view text, size_t max_chars) {
  size_t i = 0;
  for (size_t c = 0; c < max_chars && i < text.size(); ++c) i += sequenceLength(text, i);
  return text.substr(0, i);
}

Result<BuiltMessage> buildAppText(const AppTarget& to, std::string_view content) {
  if (content.empty()) return fail("text.content is empty");
  auto j = appBase(to, "text");
  if (!j.ok()) return j.takeError();
  BuiltMessage out;
  json body = json::object();
  putLimited(body, "content", content, kAppTextMaxBytes, "text.content", out);
  (*j)["text"] = std::move(body);
  out.json = dump(*j);
  return out;
}

Result<BuiltMessage> buildAppMarkdown(const AppTarget& to, std::string_view content) {
  if (content.empty()) return fail("markdown.content is empty");
  auto j = appBase(to, "markdown");
  if (!j.ok()) return j.takeError();
  BuiltMessage out;
  json body = json::object();
  putLimited(body, "content", content, kAppMarkdownMaxBytes, "markdown.content", out);
  (*j)["markdown"] = std::move(body);
  out.json = dump(*j);
  return out;
}

Result<BuiltMessage> buildAppTextCard(const AppTarget& to, std::string_view title,
                                      std::string_view description, std::string_view url,
                                      std::string_view btntxt) {
  if (title.empty()) return fail("textcard.title is empty");
  if (description.empty()) return fail("textcard.description is empty (WeCom errcode 41033)");
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    return fail("textcard.url must start with http:// or https://");
  if (url.size() > kTextCardUrlMaxBytes)
    return fail("textcard.url is longer than 2048 bytes (a cut URL would be wrong)");
  auto j = appBase(to, "textcard");
  if (!j.ok()) return j.takeError();
  BuiltMessage out;
  json card = json::object();
  putLimited(card, "title", title, kTextCardTitleMaxBytes, "textcard.title", out);
  putLimited(card, "description", description, kTextCardDescriptionMaxBytes,
             "textcard.description", out);
  card["url"] = std::string(url);
  if (!btntxt.empty()) {
    std::string_view b = truncateUtf8Chars(btntxt, kTextCardButtonMaxChars);
    if (b.size() < btntxt.size()) out.truncated.push_back("textcard.btntxt");
    card["btntxt"] = std::string(b);
  }
  (*j)["textcard"] = std::move(card);
  out.json = dump(*j);
  return out;
}

Result<BuiltMessage> buildAppTemplateCard(const AppTarget& to, std::string_view card_json) {
  auto card = parseCard(card_json);
  if (!card.ok()) return card.takeError();
  auto j = appBase(to, "template_card");
  if (!j.ok()) return j.takeError();
  (*j)["template_card"] = std::move(*card);
  return BuiltMessage{dump(*j), {}};
}

Result<BuiltMessage> buildRobotText(std::string_view content,
                                    const std::vector<std::string>& mentioned_list,
                                    const std::vector<std::string>& mentioned_mobile_list) {
  if (content.empty()) return fail("text.content is empty");
  BuiltMessage out;
  json text = json::object();
  putLimited(text, "content", content, kRobotTextMaxBytes, "text.content", out);
  if (!mentioned_list.empty()) text["mentioned_list"] = mentioned_list;
  if (!mentioned_mobile_list.empty()) text["mentioned_mobile_list"] = mentioned_mobile_list;
  out.json = dump(json{{"msgtype", "text"}, {"text", std::move(text)}});
  return out;
}

Result<BuiltMessage> buildRobotMarkdown(std::string_view content) {
  if (content.empty()) return fail("markdown.content is empty");
  BuiltMessage out;
  json md = json::object();
  putLimited(md, "content", content, kRobotMarkdownMaxBytes, "markdown.content", out);
  out.json = dump(json{{"msgtype", "markdown"}, {"markdown", std::move(md)}});
  return out;
}

Result<BuiltMessage> buildRobotTemplateCard(std::string_view card_json) {
  auto card = parseCard(card_json);
  if (!card.ok()) return card.takeError();
  return BuiltMessage{dump(json{{"msgtype", "template_card"}, {"template_card", std::move(*card)}}),
                      {}};
}

}  // namespace qiao::connectors::wecom
