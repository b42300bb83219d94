// The sink's settings and how a record becomes a request body; secrets stay out of errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "wecom_sink.h"

namespace w = qiao::connectors::wecom;
using nlohmann::json;

namespace {
w::WecomSinkConfig appConfig() {
  auto c = w::parseWecomSinkConfig(
      R"({"corp_id":"wwcorp","agent_id":1000002,"secret":"TOPSECRET-1","touser":["a","b"]})");
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? *c : w::WecomSinkConfig{};
}
}  // namespace

TEST(WecomSinkConfig, DefaultsAndRecipients) {
  auto c = appConfig();
  EXPECT_EQ(c.mode, "app");
  EXPECT_EQ(c.base_url, "https://qyapi.weixin.qq.com");
  EXPECT_EQ(c.touser, "a|b");
  EXPECT_EQ(c.agent_id, 1000002);
  EXPECT_TRUE(c.duplicate_check);
  EXPECT_EQ(c.duplicate_check_interval_s, 1800);
}

TEST(WecomSinkConfig, EveryProblemIsReportedWithoutSecrets) {
  auto c = w::parseWecomSinkConfig(
      R"({"mode":"app","secret":"TOPSECRET-2","robot_key":"ROBOTKEY-2","base_url":"ftp://x",
          "msgtype":"voice","duplicate_window":"5h"})");
  ASSERT_FALSE(c.ok());
  const auto& m = c.error().message;
  for (const char* want : {"corp_id", "agent_id", "base_url", "msgtype", "duplicate_window"})
    EXPECT_NE(m.find(want), std::string::npos) << want << " in " << m;
  EXPECT_EQ(m.find("TOPSECRET"), std::string::npos);
  EXPECT_EQ(m.find("ROBOTKEY"), std::string::npos);
  auto robot = w::parseWecomSinkConfig(R"({"mode":"robot"})");
  ASSERT_FALSE(robot.ok());
  EXPECT_NE(robot.error().message.find("robot_key"), std::string::npos);
  EXPECT_FALSE(w::parseWecomSinkConfig(R"({"corp_id":"c","agent_id":"12x","secret":"s"})").ok());
  auto slash = w::parseWecomSinkConfig(
      R"({"mode":"robot","robot_key":"k","base_url":"http://127.0.0.1:9/"})");
  ASSERT_TRUE(slash.ok());
  EXPECT_EQ(slash->base_url, "http://127.0.0.1:9");
}

TEST(WecomSinkRecord, AppMessagesFromRecords) {
  auto c = appConfig();
  auto text = w::buildFromRecord(c, R"({"content":"hello"})");
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto j = json::parse(text->json);
  EXPECT_EQ(j["touser"], "a|b");  // the default recipients
  EXPECT_EQ(j["text"]["content"], "hello");
  EXPECT_EQ(j["enable_duplicate_check"], 1);
  auto card = w::buildFromRecord(
      c, R"({"msgtype":"textcard","touser":"z","title":"T","description":"D","url":"https://e.com"})");
  ASSERT_TRUE(card.ok()) << card.error().message;
  auto cj = json::parse(card->json);
  EXPECT_EQ(cj["touser"], "z");
  EXPECT_EQ(cj["textcard"]["url"], "https://e.com");
  auto tc = w::buildFromRecord(
      c, R"({"msgtype":"template_card","template_card":{"card_type":"text_notice"}})");
  ASSERT_TRUE(tc.ok());
  EXPECT_FALSE(w::buildFromRecord(c, R"({"msgtype":"template_card"})").ok());
  EXPECT_FALSE(w::buildFromRecord(c, R"({"msgtype":"voice","content":"x"})").ok());
  EXPECT_FALSE(w::buildFromRecord(c, "[1,2]").ok());
  EXPECT_FALSE(w::buildFromRecord(c, R"({"content":""})").ok());
}

TEST(WecomSinkRecord, RobotMessagesFromRecords) {
  auto c = w::parseWecomSinkConfig(R"({"mode":"robot","robot_key":"k","msgtype":"markdown"})");
  ASSERT_TRUE(c.ok());
  auto md = w::buildFromRecord(*c, R"({"content":"**hi**"})");
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(json::parse(md->json)["msgtype"], "markdown");
  auto t = w::buildFromRecord(*c, R"({"msgtype":"text","content":"x","mentioned_list":["@all"]})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(json::parse(t->json)["text"]["mentioned_list"][0], "@all");
  EXPECT_FALSE(w::buildFromRecord(*c, R"({"msgtype":"textcard","title":"t"})").ok());
}
