// The new wecom pieces without a network: the applyevent body and its checks, state names,
// the approval payload's decision, the customer mapping's fallbacks, the source's nonce
// cache bound and odd requests, and the paging loops (range split, cursor that does not
// move) over a scripted Transport.
#include <gtest/gtest.h>

#include <ctime>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>

#include "wecom_approval.h"
#include "wecom_contacts.h"
#include "wecom_crypto.h"
#include "wecom_source.h"

namespace {

using nlohmann::json;
namespace w = qiao::connectors::wecom;

w::ApplyEventRequest valid() {
  w::ApplyEventRequest r;
  r.creator_userid = "zhangsan";
  r.template_id = "tpl";
  r.approvers = {{2, {"RegionMgr", "Finance"}}, {1, {"GM"}}};
  r.contents_json = R"([{"control":"Text","id":"Text-1","value":{"text":"大额订单"}}])";
  r.summary_lines = {"订单金额一十五万元整"};
  return r;
}

TEST(WecomApplyEvent, BodyHasTheOlderApproverForm) {
  auto body = w::buildApplyEventBody(valid());
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(body->find("\\u"), std::string::npos);  // raw UTF-8 (40033 otherwise)
  json j = json::parse(*body);
  EXPECT_EQ(j["use_template_approver"], 0);
  EXPECT_EQ(j["approver"][0]["attr"], 2);
  EXPECT_EQ(j["approver"][0]["userid"], json::array({"RegionMgr", "Finance"}));
  EXPECT_FALSE(j.contains("notify_type"));  // 0 is rejected by WeCom: left out
  EXPECT_EQ(j["apply_data"]["contents"][0]["value"]["text"], "大额订单");
  EXPECT_EQ(j["summary_list"][0]["summary_info"][0]["lang"], "zh_CN");
  auto tmpl = valid();
  tmpl.use_template_approver = true;
  tmpl.approvers.clear();
  tmpl.notify_type = 3;
  json t = json::parse(*w::buildApplyEventBody(tmpl));
  EXPECT_EQ(t["use_template_approver"], 1);
  EXPECT_FALSE(t.contains("approver"));
  EXPECT_EQ(t["notify_type"], 3);
}

TEST(WecomApplyEvent, BadRequestsNameTheField) {
  auto expectError = [](w::ApplyEventRequest r, const std::string& part) {
    auto b = w::buildApplyEventBody(r);
    ASSERT_FALSE(b.ok()) << part;
    EXPECT_EQ(b.error().code, qiao::ErrorCode::kInvalidArgument);
    EXPECT_NE(b.error().message.find(part), std::string::npos) << b.error().message;
  };
  auto r = valid();
  r.creator_userid.clear();
  expectError(r, "creator_userid");
  r = valid();
  r.approvers[1].attr = 3;
  expectError(r, "approver[1].attr");
  r = valid();
  r.approvers[0].userids.clear();
  expectError(r, "approver[0].userid");
  r = valid();
  r.approvers.clear();
  expectError(r, "approver");
  r = valid();
  r.notify_type = 5;
  expectError(r, "notify_type");
  r = valid();
  r.contents_json = "{}";
  expectError(r, "contents must be a JSON array");
  r = valid();
  r.contents_json = R"([{"control":"Text","value":{}}])";
  expectError(r, "contents[0]");
  r = valid();
  r.summary_lines = {"a", "b", "c", "d"};
  expectError(r, "at most 3 lines");
  r = valid();
  r.summary_lines = {"一二三四五六七八九十一二三四五六七八九十一"};  // 21 characters
  expectError(r, "summary_list[0]");
  r = valid();
  r.summary_lines = {"一二三四五六七八九十一二三四五六七八九十"};  // 20 are fine
  EXPECT_TRUE(w::buildApplyEventBody(r).ok());
}

TEST(WecomApproval, StatesAndDecision) {
  EXPECT_EQ(w::approvalState(1), "in_approval");
  EXPECT_EQ(w::approvalState(2), "approved");
  EXPECT_EQ(w::approvalState(10), "approved");
  EXPECT_EQ(w::approvalState(3), "rejected");
  EXPECT_EQ(w::approvalState(6), "withdrawn");
  EXPECT_EQ(w::approvalState(7), "terminated");
  EXPECT_EQ(w::approvalState(99), "unknown");
  EXPECT_EQ(w::approvalChangeName(8), "withdrawn_after_approval");
  EXPECT_EQ(w::approvalChangeName(10), "commented");

  w::ApprovalInfo a;
  a.sp_no = "202611270001";
  a.sp_status = "3";
  w::ApprovalRecord first, second;
  first.sp_status = "2";
  first.approver_attr = "1";
  first.details = {{"RegionMgr", "可以", "2", "1795744000"}};
  second.sp_status = "3";
  second.details = {{"GM", "金额不对", "3", "1795744100"}, {"Boss", "", "1", "0"}};
  a.sp_records = {first, second};
  json p = json::parse(w::approvalPayload(a, "1795744100", "3"));
  EXPECT_EQ(p["state"], "rejected");
  EXPECT_EQ(p["change"], "rejected");
  EXPECT_EQ(p["decision"]["userid"], "GM");
  EXPECT_EQ(p["decision"]["speech"], "金额不对");
  EXPECT_EQ(p["approvers"].size(), 3u);
  EXPECT_EQ(p["createTime"], 1795744100);
  json bare = json::parse(w::approvalPayload(w::ApprovalInfo{}));
  EXPECT_FALSE(bare.contains("decision"));
  EXPECT_FALSE(bare.contains("changeEvent"));
}

TEST(WecomCustomer, NameFallsBackAndAbsentFieldsStayOut) {
  w::ExternalContact c;
  c.external_userid = "wm1";
  c.name = "赵先生";
  c.type = 2;
  c.corp_name = "华东精密";
  json p = json::parse(w::customerPayload(c));
  EXPECT_EQ(p["name"], "华东精密");
  EXPECT_EQ(p["nameSource"], "corp_name");
  EXPECT_FALSE(p.contains("shortName"));
  EXPECT_FALSE(p.contains("phone"));
  EXPECT_FALSE(p["contacts"][0].contains("mobile"));
  w::ExternalContact person;
  person.external_userid = "wm2";
  person.name = "钱女士";
  person.type = 1;
  w::FollowUser f;
  f.userid = "lisi";
  f.remark_mobiles = {"13912345678", "13800000000"};
  person.follow_users = {f};
  json q = json::parse(w::customerPayload(person));
  EXPECT_EQ(q["name"], "钱女士");
  EXPECT_EQ(q["nameSource"], "contact_name");
  EXPECT_EQ(q["phone"], "13912345678");
  EXPECT_EQ(q["wecomType"], "wechat");
}

// A clock the test moves.
class TestClock : public qiao::Clock {
 public:
  int64_t nowMs() const override { return now_ms; }
  int64_t now_ms = 1'795'744'000'000;
};

const std::string kToken = "unitToken";
const std::string kKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

qiao::sdk::WebhookRequest signedPost(const std::string& xml, const std::string& nonce, int64_t ts) {
  auto keys = w::makeCallbackKeys(kToken, kKey, "wwcorp");
  auto enc = w::encryptPayload(*keys, xml, w::randomPrefix());
  qiao::sdk::WebhookRequest r;
  r.method = "POST";
  r.query = {{"timestamp", std::to_string(ts)}, {"nonce", nonce},
             {"msg_signature", w::callbackSignature(kToken, std::to_string(ts), nonce, *enc)}};
  r.body = "<xml><ToUserName><![CDATA[wwcorp]]></ToUserName><Encrypt><![CDATA[" + *enc + "]]></Encrypt></xml>";
  return r;
}

TEST(WecomSourceUnit, NonceCacheIsBoundedAndOddRequestsAreHandled) {
  TestClock clock;
  auto cfg = w::parseWecomSourceConfig(R"({"corp_id":"wwcorp","callback_token":")" + kToken +
                                       R"(","encoding_aes_key":")" + kKey + R"(","nonce_cache_size":2,"callback_window":60000})");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->callback_window_s, 60);
  auto src = w::WecomSource::create(*cfg, "unit", clock);
  ASSERT_TRUE(src.ok());
  const int64_t ts = clock.now_ms / 1000;
  const std::string text = "<xml><ToUserName>wwcorp</ToUserName><MsgType>text</MsgType><Content>hi</Content></xml>";
  auto a = signedPost(text, "n1", ts);
  auto r = (*src)->onWebhook(a);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->records.empty());  // a text message is acknowledged, not recorded
  EXPECT_EQ((*src)->onWebhook(a).error().code, qiao::ErrorCode::kUnauthorized);
  ASSERT_TRUE((*src)->onWebhook(signedPost(text, "n2", ts)).ok());
  ASSERT_TRUE((*src)->onWebhook(signedPost(text, "n3", ts)).ok());
  // Only two nonces are kept: n1 was pushed out (the bound is a trade-off, not a leak).
  EXPECT_TRUE((*src)->onWebhook(signedPost(text, "n1", ts)).ok());
  EXPECT_FALSE((*src)->onWebhook(signedPost(text, "n3", ts)).ok());
  // After 2 × the window a nonce is forgotten; its timestamp is stale by then anyway.
  clock.now_ms += 121'000;
  auto late = (*src)->onWebhook(signedPost(text, "n3", ts));
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().message.find("window"), std::string::npos);
  EXPECT_TRUE((*src)->onWebhook(signedPost(text, "n3", clock.now_ms / 1000)).ok());

  qiao::sdk::WebhookRequest put;
  put.method = "PUT";
  EXPECT_EQ((*src)->onWebhook(put).error().code, qiao::ErrorCode::kInvalidArgument);
  qiao::sdk::WebhookRequest get;
  get.method = "GET";
  get.query = {{"timestamp", std::to_string(clock.now_ms / 1000)}, {"nonce", "1"}, {"msg_signature", "00"}};
  EXPECT_EQ((*src)->onWebhook(get).error().code, qiao::ErrorCode::kUnauthorized);  // no echostr
  auto garbage = signedPost(text, "n9", clock.now_ms / 1000);
  garbage.body = "<xml><Encrypt>";
  EXPECT_EQ((*src)->onWebhook(garbage).error().code, qiao::ErrorCode::kInvalidArgument);
  EXPECT_GE((*src)->refused(), 4u);
}

// Scripted replies, one per request; records the bodies it was sent.
class ScriptedTransport : public w::Transport {
 public:
  std::deque<std::string> replies;
  std::vector<std::string> bodies;
  qiao::Result<w::HttpResponse> get(const std::string& url, const std::string&) override {
    if (url.find("gettoken") != std::string::npos)
      return w::HttpResponse{200, R"({"errcode":0,"access_token":"T","expires_in":7200})"};
    return next("");
  }
  qiao::Result<w::HttpResponse> postJson(const std::string&, const std::string& body,
                                         const std::string&) override {
    return next(body);
  }

 private:
  qiao::Result<w::HttpResponse> next(const std::string& body) {
    bodies.push_back(body);
    if (replies.empty()) return w::HttpResponse{200, R"({"errcode":-1})"};
    std::string r = replies.front();
    replies.pop_front();
    return w::HttpResponse{200, r};
  }
};

TEST(WecomPaging, LongRangesAreSplitAndStuckCursorsStop) {
  auto t = std::make_shared<ScriptedTransport>();
  auto tokens = std::make_shared<w::TokenManager>(t, "http://x", "c", "s");
  w::Client client(t, tokens, "http://x");
  // 40 days = two ranges; the first has a short page followed by more (not the end).
  t->replies = {R"({"errcode":0,"sp_no_list":["1"],"new_next_cursor":"c1"})",
                R"({"errcode":0,"sp_no_list":["2","3"],"new_next_cursor":""})",
                R"({"errcode":0,"sp_no_list":["3","4"],"new_next_cursor":""})"};
  const int64_t start = 1'700'000'000;
  auto all = w::listAllApprovals(client, start, start + 40 * 86400);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(*all, (std::vector<std::string>{"1", "2", "3", "4"}));
  ASSERT_EQ(t->bodies.size(), 3u);
  EXPECT_EQ(json::parse(t->bodies[1])["new_cursor"], "c1");
  EXPECT_EQ(json::parse(t->bodies[2])["starttime"], std::to_string(start + 31 * 86400));

  t->replies = {R"({"errcode":0,"sp_no_list":["1"],"new_next_cursor":"same"})",
                R"({"errcode":0,"sp_no_list":["1"],"new_next_cursor":"same"})"};
  auto stuck = w::listAllApprovals(client, start, start + 100);
  ASSERT_FALSE(stuck.ok());
  EXPECT_NE(stuck.error().message.find("did not move"), std::string::npos);

  t->replies = {R"({"errcode":0,"external_contact_list":[],"next_cursor":"k"})",
                R"({"errcode":0,"external_contact_list":[],"next_cursor":"k"})"};
  auto contacts = w::batchGetAllByUsers(client, {"u1"});
  ASSERT_FALSE(contacts.ok());
  EXPECT_NE(contacts.error().message.find("did not move"), std::string::npos);
  EXPECT_FALSE(w::batchGetByUser(client, {}, "", 50).ok());
  EXPECT_FALSE(w::listApprovals(client, {start, start + 32 * 86400, "", 100, {}}).ok());
}

}  // namespace
