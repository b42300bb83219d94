// Approvals end to end against the WeCom simulator: submit through the client (applyevent),
// approve in the simulator, which POSTs an encrypted sys_approval_change callback; that
// request, byte for byte, goes to the `wecom` source's onWebhook as the gateway would hand it
// over, and comes out as an approval_event record with state approved and the approver's
// comment. A tampered signature, a replayed nonce and a stale timestamp are refused with
// kUnauthorized (HTTP 401); a retry of the same event has the same idempotency key; URL
// verification echoes the plaintext; change_external_contact becomes a contact_event.
#include <chrono>
#include <ctime>

#include "qiao/core/clock.h"
#include "wecom_approval.h"
#include "wecom_crypto.h"
#include "wecom_sim_harness.h"
#include "wecom_source.h"

void qiao_register_wecom(qiao::sdk::Registry& registry);

namespace wecom_it {
namespace {

class ShiftedClock : public qiao::Clock {
 public:
  explicit ShiftedClock(int64_t shift_ms) : shift_ms_(shift_ms) {}
  int64_t nowMs() const override { return qiao::Clock::system().nowMs() + shift_ms_; }

 private:
  int64_t shift_ms_;
};

class SimCallback : public SimFixture {
 protected:
  std::unique_ptr<qiao::sdk::Source> makeSource(const std::string& extra = "") {
    qiao::sdk::Registry reg;
    qiao_register_wecom(reg);
    const auto* d = reg.find("wecom");
    EXPECT_TRUE(d && d->isSource());
    const std::string cfg = R"({"corp_id":")" + kCorp + R"(","callback_token":")" + kCbToken +
                            R"(","encoding_aes_key":")" + kAesKey + R"(")" + extra + "}";
    auto src = d->make_source(qiao::sdk::InstanceConfig{"wecom_cb", cfg}, qiao::sdk::Context{});
    EXPECT_TRUE(src.ok()) << (src.ok() ? "" : src.error().message);
    return src.ok() ? std::move(src).value() : nullptr;
  }
  w::ApplyEventRequest largeOrder() {
    w::ApplyEventRequest r;
    r.creator_userid = "zhangsan";
    r.template_id = "3Tka1eD6v6JfzhDMqPd3aMkFdxqtJMc2ZRioeFXkaaa";
    r.approvers = {{1, {"GM"}}};
    r.notifyers = {"Finance"};
    r.contents_json = R"([{"control":"Money","id":"Money-1","value":{"new_money":"150000.00"}},)"
                      R"({"control":"Text","id":"Text-1","value":{"text":"SO-2026-0000001"}}])";
    r.summary_lines = {"订单 SO-2026-0000001", "金额 150000.00"};
    return r;
  }
};

TEST_F(SimCallback, SubmitApproveCallbackBecomesAnApprovedRecord) {
  callbacksTo("gw");
  auto src = makeSource();
  ASSERT_TRUE(src);
  auto sp_no = w::submitApproval(*client_, largeOrder());
  ASSERT_TRUE(sp_no.ok()) << sp_no.error().message;
  auto detail = w::getApprovalDetail(*client_, *sp_no);
  ASSERT_TRUE(detail.ok()) << detail.error().message;
  EXPECT_EQ(detail->info.sp_status, "1");
  EXPECT_EQ(w::approvalState(std::stoi(detail->info.sp_status)), "in_approval");
  ASSERT_EQ(detail->info.sp_records.size(), 1u);
  EXPECT_EQ(detail->info.sp_records[0].details[0].approver_userid, "GM");

  admin("POST", "_approvals/" + *sp_no + "/approve", {{"userid", "GM"}, {"comment", "同意，尽快发货"}});
  auto requests = received("gw");
  ASSERT_EQ(requests.size(), 2u);  // submitted, approved

  std::vector<qiao::Record> records;
  for (const auto& req : requests) {
    auto reply = src->onWebhook(req);
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->body, "");  // an empty 200 stops WeCom's retries
    ASSERT_EQ(reply->records.size(), 1u);
    records.push_back(reply->records[0]);
  }
  EXPECT_EQ(records[0].entity, "approval_event");
  json submitted = json::parse(records[0].payload);
  EXPECT_EQ(submitted["state"], "in_approval");
  EXPECT_EQ(submitted["change"], "submitted");
  json approved = json::parse(records[1].payload);
  EXPECT_EQ(records[1].business_key, *sp_no);
  EXPECT_EQ(approved["spNo"], *sp_no);
  EXPECT_EQ(approved["spStatus"], 2);
  EXPECT_EQ(approved["state"], "approved");
  EXPECT_EQ(approved["change"], "approved");
  EXPECT_EQ(approved["decision"]["userid"], "GM");
  EXPECT_EQ(approved["decision"]["speech"], "同意，尽快发货");
  EXPECT_EQ(approved["applyer"]["userid"], "zhangsan");
  EXPECT_EQ(approved["corpId"], kCorp);
  EXPECT_NE(records[0].idempotency_key, records[1].idempotency_key);
  EXPECT_EQ(records[1].idempotency_key.rfind("wecom:approval:" + *sp_no + ":2:", 0), 0u);

  // The list API finds it too.
  const int64_t now = std::time(nullptr);
  auto listed = w::listAllApprovals(*client_, now - 3600, now + 60);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  EXPECT_EQ(*listed, std::vector<std::string>{*sp_no});
}

TEST_F(SimCallback, TamperedReplayedAndStaleCallbacksAreRefused) {
  callbacksTo("gw");
  auto sp_no = w::submitApproval(*client_, largeOrder());
  ASSERT_TRUE(sp_no.ok()) << sp_no.error().message;
  admin("POST", "_approvals/" + *sp_no + "/reject", {{"userid", "GM"}, {"comment", "金额不对"}});
  auto requests = received("gw");
  ASSERT_EQ(requests.size(), 2u);
  auto src = makeSource();
  ASSERT_TRUE(src);

  auto tampered = requests[1];
  std::string& sig = tampered.query["msg_signature"];
  sig[5] = sig[5] == '0' ? '1' : '0';
  auto r = src->onWebhook(tampered);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, qiao::ErrorCode::kUnauthorized);
  EXPECT_NE(r.error().message.find("signature"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find(kCbToken), std::string::npos);

  auto first = src->onWebhook(requests[1]);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->records.size(), 1u);
  json rejected = json::parse(first->records[0].payload);
  EXPECT_EQ(rejected["state"], "rejected");
  EXPECT_EQ(rejected["decision"]["speech"], "金额不对");

  auto replay = src->onWebhook(requests[1]);  // the same bytes again
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.error().code, qiao::ErrorCode::kUnauthorized);
  EXPECT_NE(replay.error().message.find("already used"), std::string::npos) << replay.error().message;

  // Ten minutes later the timestamp is out of the 5-minute window.
  auto cfg = w::parseWecomSourceConfig(R"({"corp_id":")" + kCorp + R"(","callback_token":")" +
                                       kCbToken + R"(","encoding_aes_key":")" + kAesKey + R"("})");
  ASSERT_TRUE(cfg.ok());
  ShiftedClock later(10 * 60 * 1000);
  auto late_src = w::WecomSource::create(*cfg, "late", later);
  ASSERT_TRUE(late_src.ok());
  auto stale = (*late_src)->onWebhook(requests[0]);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, qiao::ErrorCode::kUnauthorized);
  EXPECT_NE(stale.error().message.find("window"), std::string::npos);

  // Another corp's key material: refused at decryption.
  auto other = makeSource(R"(,"receive_id":"wwsomeoneelse")");
  auto wrong = other->onWebhook(requests[0]);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, qiao::ErrorCode::kUnauthorized);
}

TEST_F(SimCallback, RetriesOfOneEventShareTheIdempotencyKey) {
  callbacksTo("gw");
  auto sp_no = w::submitApproval(*client_, largeOrder());
  ASSERT_TRUE(sp_no.ok());
  auto requests = received("gw");
  ASSERT_EQ(requests.size(), 1u);
  json log = admin("GET", "_callbacks");
  const std::string plaintext = log["callbacks"][0]["plaintext"];
  // WeCom's retry: the same event, encrypted and signed again with a new nonce.
  auto keys = w::makeCallbackKeys(kCbToken, kAesKey, kCorp);
  ASSERT_TRUE(keys.ok());
  const std::string ts = requests[0].query["timestamp"];
  auto enc = w::encryptPayload(*keys, plaintext, w::randomPrefix());
  ASSERT_TRUE(enc.ok());
  qiao::sdk::WebhookRequest retry = requests[0];
  retry.query["nonce"] = "1234567890";
  retry.query["msg_signature"] = w::callbackSignature(kCbToken, ts, "1234567890", *enc);
  retry.body = "<xml><ToUserName><![CDATA[" + kCorp + "]]></ToUserName><Encrypt><![CDATA[" + *enc +
               "]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>";
  auto src = makeSource();
  auto a = src->onWebhook(requests[0]);
  auto b = src->onWebhook(retry);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->records.size(), 1u);
  ASSERT_EQ(b->records.size(), 1u);
  EXPECT_EQ(a->records[0].idempotency_key, b->records[0].idempotency_key);
  EXPECT_EQ(a->records[0].payload, b->records[0].payload);
}

TEST_F(SimCallback, UrlVerificationEchoesThePlaintext) {
  auto src = makeSource();
  auto keys = w::makeCallbackKeys(kCbToken, kAesKey, kCorp);
  ASSERT_TRUE(keys.ok());
  auto echostr = w::encryptPayload(*keys, "5927782489442352469", w::randomPrefix());
  ASSERT_TRUE(echostr.ok());
  const std::string ts = std::to_string(std::time(nullptr));
  qiao::sdk::WebhookRequest get;
  get.method = "GET";
  get.query = {{"msg_signature", w::callbackSignature(kCbToken, ts, "42", *echostr)},
               {"timestamp", ts}, {"nonce", "42"}, {"echostr", *echostr}};
  auto r = src->onWebhook(get);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "5927782489442352469");
  EXPECT_TRUE(r->records.empty());
  get.query["nonce"] = "43";  // the signature no longer matches
  auto bad = src->onWebhook(get);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, qiao::ErrorCode::kUnauthorized);
}

TEST_F(SimCallback, ExternalContactChangesBecomeContactEvents) {
  callbacksTo("gw");
  admin("POST", "_contacts",
        {{"external_contact", {{"external_userid", "wmNew"}, {"name", "赵先生"}, {"type", 1}}},
         {"follow_user", {{{"userid", "lisi"}, {"state", "expo2026"}}}}});
  admin("POST", "_contacts/wmNew/event", {{"change_type", "del_follow_user"}, {"userid", "lisi"}});
  auto requests = received("gw");
  ASSERT_EQ(requests.size(), 2u);
  auto src = makeSource(R"(,"contact_entity":"wecom_customer_change")");
  std::vector<json> payloads;
  for (const auto& req : requests) {
    auto r = src->onWebhook(req);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->records.size(), 1u);
    EXPECT_EQ(r->records[0].entity, "wecom_customer_change");
    EXPECT_EQ(r->records[0].business_key, "wmNew");
    payloads.push_back(json::parse(r->records[0].payload));
  }
  EXPECT_EQ(payloads[0]["changeType"], "add_external_contact");
  EXPECT_EQ(payloads[0]["state"], "expo2026");
  EXPECT_EQ(payloads[0]["userId"], "lisi");
  EXPECT_EQ(payloads[1]["changeType"], "del_follow_user");
}

TEST_F(SimCallback, BadSourceConfigIsRefusedWithoutSecrets) {
  qiao::sdk::Registry reg;
  qiao_register_wecom(reg);
  const auto* d = reg.find("wecom");
  ASSERT_NE(d, nullptr);
  auto none = d->make_source({"cb", R"({"corp_id":"ww1"})"}, {});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("callback_token"), std::string::npos);
  auto short_key = d->make_source({"cb", R"({"corp_id":"ww1","callback_token":"T0KEN-SECRET","encoding_aes_key":"tooShortKeySECRET"})"}, {});
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(short_key.error().code, qiao::ErrorCode::kConfigInvalid);
  EXPECT_EQ(short_key.error().message.find("tooShortKeySECRET"), std::string::npos);
  EXPECT_EQ(short_key.error().message.find("T0KEN-SECRET"), std::string::npos);
}

}  // namespace
}  // namespace wecom_it
