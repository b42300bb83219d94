// errcode classes and message builders: UTF-8 byte limits cut on character boundaries.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "wecom_errors.h"
#include "wecom_message.h"

namespace w = qiao::connectors::wecom;
using qiao::ErrorClass;

namespace {
bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}
const std::string kNi = "\xe4\xbd\xa0";          // 你, 3 bytes
const std::string kEmoji = "\xf0\x9f\x98\x80";   // 😀, 4 bytes
w::AppTarget target() {
  w::AppTarget t;
  t.touser = "zhangsan|lisi";
  t.agent_id = 1000002;
  return t;
}
}  // namespace

TEST(WecomErrcode, Classification) {
  EXPECT_EQ(w::classifyErrcode(-1), ErrorClass::kTransient);
  EXPECT_EQ(w::classifyErrcode(6000), ErrorClass::kTransient);
  EXPECT_EQ(w::classifyErrcode(45009), ErrorClass::kTransient);
  EXPECT_EQ(w::classifyErrcode(45033), ErrorClass::kTransient);
  EXPECT_EQ(w::classifyErrcode(40014), ErrorClass::kAuthExpired);
  EXPECT_EQ(w::classifyErrcode(42001), ErrorClass::kAuthExpired);
  for (int64_t c : {41001, 45002, 40058, 40003, 60111, 40033, 48002, 60011, 60020, 81013,
                    82001, 301002, 301025, 93000, 93004, 40013, 40091})
    EXPECT_EQ(w::classifyErrcode(c), ErrorClass::kPermanent) << c;
  EXPECT_EQ(w::classifyErrcode(12345678), ErrorClass::kPermanent);  // unknown
  EXPECT_TRUE(w::isTokenErrcode(40014));
  EXPECT_TRUE(w::isTokenErrcode(42001));
  EXPECT_TRUE(w::isTokenErrcode(40001));
  EXPECT_FALSE(w::isTokenErrcode(41001));
  EXPECT_FALSE(w::isTokenErrcode(45009));
}

TEST(WecomErrcode, Http200WithErrcodeIsAnError) {
  auto ok = w::checkApiReply(200, R"({"errcode":0,"errmsg":"ok","msgid":"m1"})", "message/send");
  ASSERT_TRUE(ok.ok());
  EXPECT_NE(ok->body.find("m1"), std::string::npos);
  auto bad = w::checkApiReply(200, R"({"errcode":60020,"errmsg":"not allow, from ip: 1.2.3.4"})",
                              "message/send");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().klass, ErrorClass::kPermanent);
  EXPECT_NE(bad.error().message.find("errcode 60020"), std::string::npos);
  EXPECT_NE(bad.error().message.find("trusted IPs"), std::string::npos);
  EXPECT_NE(bad.error().message.find("message/send"), std::string::npos);
  auto limited = w::checkApiReply(200, R"({"errcode":45009,"errmsg":"freq"})", "x");
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().klass, ErrorClass::kTransient);
  EXPECT_EQ(limited.error().retry_after_ms, w::kRateLimitBlockMs);
  auto busy = w::checkApiReply(200, R"({"errcode":-1,"errmsg":"busy"})", "x");
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().klass, ErrorClass::kTransient);
}

TEST(WecomErrcode, HttpStatusAndBodyShape) {
  EXPECT_EQ(w::checkApiReply(502, "", "x").error().klass, ErrorClass::kTransient);
  EXPECT_EQ(w::checkApiReply(429, "", "x").error().klass, ErrorClass::kTransient);
  EXPECT_EQ(w::checkApiReply(404, "", "x").error().klass, ErrorClass::kPermanent);
  EXPECT_FALSE(w::checkApiReply(200, "<html>", "x").ok());
  EXPECT_FALSE(w::checkApiReply(200, "[1]", "x").ok());
  EXPECT_FALSE(w::checkApiReply(200, R"({"errcode":"0"})", "x").ok());
}

TEST(WecomUtf8, TruncateNeverSplitsACharacter) {
  std::string s = "ab" + kNi + kEmoji + "c";  // 2 + 3 + 4 + 1 = 10 bytes
  EXPECT_EQ(w::truncateUtf8(s, 100), s);
  EXPECT_EQ(w::truncateUtf8(s, 10), s);
  EXPECT_EQ(w::truncateUtf8(s, 9), "ab" + kNi + kEmoji);
  for (size_t n : {5u, 6u, 7u, 8u}) EXPECT_EQ(w::truncateUtf8(s, n), "ab" + kNi) << n;
  for (size_t n : {2u, 3u, 4u}) EXPECT_EQ(w::truncateUtf8(s, n), "ab") << n;
  EXPECT_EQ(w::truncateUtf8(s, 0), "");
  // Every cut of a long mixed string is valid UTF-8 and within the limit.
  std::string mixed;
  for (int i = 0; i < 200; ++i) mixed += (i % 3 == 0 ? kNi : i % 3 == 1 ? kEmoji : "x");
  for (size_t n = 0; n <= mixed.size(); ++n) {
    auto cut = w::truncateUtf8(mixed, n);
    ASSERT_LE(cut.size(), n);
    ASSERT_GE(cut.size() + 4, std::min(n, mixed.size()));  // at most one char short
    ASSERT_TRUE(validUtf8(cut)) << n;
  }
  EXPECT_EQ(w::truncateUtf8Chars(kNi + kNi + "ab" + kEmoji + "z", 4), kNi + kNi + "ab");
}

TEST(WecomMessage, AppTextAtTheByteLimit) {
  std::string content;
  for (int i = 0; i < 700; ++i) content += kNi;  // 2100 bytes
  auto m = w::buildAppText(target(), content);
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto j = nlohmann::json::parse(m->json);
  std::string got = j["text"]["content"];
  EXPECT_EQ(got.size(), 2046u);  // 682 whole characters; 2048 would split the 683rd
  EXPECT_TRUE(validUtf8(got));
  ASSERT_EQ(m->truncated.size(), 1u);
  EXPECT_EQ(m->truncated[0], "text.content");
  EXPECT_EQ(j["msgtype"], "text");
  EXPECT_EQ(j["agentid"], 1000002);
  EXPECT_EQ(j["touser"], "zhangsan|lisi");
  // raw UTF-8, no \u escapes (errcode 40033)
  EXPECT_EQ(m->json.find("\\u"), std::string::npos);
  EXPECT_NE(m->json.find(kNi), std::string::npos);
  // exactly at the limit: untouched
  auto exact = w::buildAppText(target(), std::string(2048, 'a'));
  ASSERT_TRUE(exact.ok());
  EXPECT_TRUE(exact->truncated.empty());
}

TEST(WecomMessage, MarkdownKeepsHtmlUnescaped) {
  auto m = w::buildAppMarkdown(target(), "<font color=\"info\">ok</font> & <a href=\"x\">y</a>");
  ASSERT_TRUE(m.ok());
  EXPECT_NE(m->json.find("<font color=\\\"info\\\">ok</font> & <a"), std::string::npos) << m->json;
  auto robot = w::buildRobotMarkdown(std::string(4100, 'b'));
  ASSERT_TRUE(robot.ok());
  EXPECT_EQ(nlohmann::json::parse(robot->json)["markdown"]["content"].get<std::string>().size(),
            4096u);
}

TEST(WecomMessage, TextCardLimitsAndChecks) {
  std::string title;
  for (int i = 0; i < 50; ++i) title += kNi;  // 150 bytes > 128
  auto m = w::buildAppTextCard(target(), title, "desc", "https://example.com/o/1",
                               "查看详情更多");
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto j = nlohmann::json::parse(m->json);
  EXPECT_EQ(j["textcard"]["title"].get<std::string>().size(), 126u);
  EXPECT_EQ(j["textcard"]["btntxt"], "查看详情");
  EXPECT_EQ(m->truncated, (std::vector<std::string>{"textcard.title", "textcard.btntxt"}));
  EXPECT_FALSE(w::buildAppTextCard(target(), "t", "", "https://e.com", "").ok());
  EXPECT_FALSE(w::buildAppTextCard(target(), "t", "d", "e.com/x", "").ok());
}

TEST(WecomMessage, RecipientsAndCards) {
  w::AppTarget none;
  none.agent_id = 1;
  auto r = w::buildAppText(none, "x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("82001"), std::string::npos);
  w::AppTarget no_agent = target();
  no_agent.agent_id = 0;
  EXPECT_FALSE(w::buildAppText(no_agent, "x").ok());
  EXPECT_FALSE(w::buildAppTemplateCard(target(), R"({"main_title":{"title":"t"}})").ok());
  EXPECT_FALSE(w::buildAppTemplateCard(target(), "not json").ok());
  auto card = w::buildRobotTemplateCard(R"({"card_type":"text_notice","main_title":{"title":"t"}})");
  ASSERT_TRUE(card.ok());
  EXPECT_EQ(nlohmann::json::parse(card->json)["template_card"]["card_type"], "text_notice");
  auto t = w::buildRobotText("hi", {"@all"}, {"13800000000"});
  ASSERT_TRUE(t.ok());
  auto tj = nlohmann::json::parse(t->json);
  EXPECT_EQ(tj["text"]["mentioned_list"][0], "@all");
  EXPECT_EQ(tj["text"]["mentioned_mobile_list"][0], "13800000000");
}
