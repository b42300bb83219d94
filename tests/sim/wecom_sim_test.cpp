// The WeCom simulator in qiao-sim over plain HTTP: tokens (errcodes, short TTL, expire-all),
// app messages (validation, UTF-8 byte limits, per-member limit), group robots (key, 20 a
// minute → 45009), approvals (applyevent, detail, list with cursor, approve/reject/withdraw)
// whose encrypted callbacks are checked with the connector's own crypto (connectors/wecom),
// external contacts with cursor paging, and fault injection.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "qiao/testkit/testkit.h"
#include "wecom_crypto.h"
#include "wecom_xml.h"

namespace {

using nlohmann::json;
namespace tk = qiao::testkit;
namespace w = qiao::connectors::wecom;

const std::string kCorp = "wwsimcorp0000001";
const std::string kSecret = "sim-wecom-secret";
const std::string kCbToken = "qiaoTestToken";
const std::string kAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

class WecomSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = tk::startQiaoSim(&child_, dir_.file("wecom-sim.out"));
    ASSERT_GT(port_, 0) << tk::readFile(dir_.file("wecom-sim.out"));
  }
  json call(const std::string& method, const std::string& path, const json& body = nullptr) {
    auto r = tk::http(method, port_, "/sim/wecom/" + path, body.is_null() ? "" : body.dump(),
                      {{"Content-Type", "application/json"}});
    last_status_ = r.status;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << path << " → " << r.status << " " << r.body;
    return j;
  }
  json raw(const std::string& method, const std::string& path, const std::string& body) {
    auto r = tk::http(method, port_, "/sim/wecom/" + path, body, {{"Content-Type", "application/json"}});
    last_status_ = r.status;
    return json::parse(r.body, nullptr, false);
  }
  std::string token() {
    json j = call("GET", "cgi-bin/gettoken?corpid=" + kCorp + "&corpsecret=" + kSecret);
    EXPECT_EQ(j.value("errcode", -99), 0) << j.dump();
    return j.value("access_token", "");
  }
  json api(const std::string& path, const std::string& tok, const json& body) {
    return call("POST", "cgi-bin/" + path + "?access_token=" + tok, body);
  }
  int64_t gettokenCalls() { return call("GET", "_stats")["calls"].value("gettoken", int64_t{0}); }
  static json text(const std::string& to, const std::string& content) {
    return {{"touser", to}, {"msgtype", "text"}, {"agentid", 1000002}, {"text", {{"content", content}}}};
  }
  static std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  }

  tk::TempDir dir_;
  std::unique_ptr<tk::Child> child_;
  int port_ = 0;
  int last_status_ = 0;
};

TEST_F(WecomSimTest, GettokenChecksCorpAndSecretAndTokensExpire) {
  EXPECT_EQ(call("GET", "cgi-bin/gettoken?corpsecret=x")["errcode"], 41002);
  EXPECT_EQ(call("GET", "cgi-bin/gettoken?corpid=" + kCorp)["errcode"], 41004);
  EXPECT_EQ(call("GET", "cgi-bin/gettoken?corpid=wrong&corpsecret=" + kSecret)["errcode"], 40013);
  EXPECT_EQ(call("GET", "cgi-bin/gettoken?corpid=" + kCorp + "&corpsecret=wrong")["errcode"], 40001);
  ASSERT_EQ(last_status_, 200);  // business errors are HTTP 200

  call("POST", "_config", {{"token_ttl_s", 1}});
  json t = call("GET", "cgi-bin/gettoken?corpid=" + kCorp + "&corpsecret=" + kSecret);
  EXPECT_EQ(t["expires_in"], 1);
  const std::string tok = t["access_token"];
  const json msg = text("zhangsan", "hello");
  EXPECT_EQ(api("message/send", tok, msg)["errcode"], 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  EXPECT_EQ(api("message/send", tok, msg)["errcode"], 42001);
  EXPECT_EQ(api("message/send", "made-up", msg)["errcode"], 40014);
  EXPECT_EQ(call("POST", "cgi-bin/message/send", msg)["errcode"], 41001);

  call("POST", "_config", {{"token_ttl_s", 7200}});
  const std::string fresh = token();
  EXPECT_EQ(api("message/send", fresh, msg)["errcode"], 0);
  EXPECT_EQ(call("POST", "_tokens/expire")["expired"], 1);
  EXPECT_EQ(api("message/send", fresh, msg)["errcode"], 42001);
  EXPECT_EQ(gettokenCalls(), 6);
  EXPECT_EQ(call("GET", "_stats")["tokens_issued"], 2);
}

TEST_F(WecomSimTest, AppMessagesAreValidatedWithUtf8ByteLimits) {
  call("POST", "_config", {{"apps", {{{"agent_id", 1000002}, {"secret", kSecret}},
                                      {{"agent_id", 1000003}, {"secret", "other-secret"}}}}});
  const std::string tok = token();
  json m = text("zhangsan", "x");
  m["agentid"] = 1000003;
  EXPECT_EQ(api("message/send", tok, m)["errcode"], 301002);
  m = text("zhangsan", "x");
  m["msgtype"] = "fax";
  EXPECT_EQ(api("message/send", tok, m)["errcode"], 40008);
  // 683 × 你 is 2049 bytes (over by one byte), 682 × 你 is 2046.
  EXPECT_EQ(api("message/send", tok, text("zhangsan", repeat("你", 683)))["errcode"], 45002);
  EXPECT_EQ(api("message/send", tok, text("zhangsan", repeat("你", 682)))["errcode"], 0);
  EXPECT_EQ(raw("POST", "cgi-bin/message/send?access_token=" + tok,
                R"({"touser":"zhangsan","msgtype":"text","agentid":1000002,"text":{"content":"\u4f60"}})")["errcode"],
            40033);
  EXPECT_EQ(api("message/send", tok, text("", "x"))["errcode"], 82001);
  EXPECT_EQ(api("message/send", tok, text("ghost|nobody", "x"))["errcode"], 81013);
  json partly = api("message/send", tok, text("zhangsan|ghost", "x"));
  EXPECT_EQ(partly["errcode"], 0);
  EXPECT_EQ(partly["invaliduser"], "ghost");
  json typed = text("zhangsan", "x");
  typed["touser"] = 42;  // not a string: WeCom's parameter error, not a dropped connection
  EXPECT_EQ(api("message/send", tok, typed)["errcode"], 82001);
  EXPECT_EQ(api("oa/applyevent", tok, {{"creator_userid", 7}})["errcode"], 40058);
  EXPECT_EQ(last_status_, 200);
  json card = {{"touser", "lisi"}, {"msgtype", "textcard"}, {"agentid", 1000002},
               {"textcard", {{"title", "t"}, {"url", "https://example.com"}}}};
  EXPECT_EQ(api("message/send", tok, card)["errcode"], 41033);

  json kept = call("GET", "_messages?channel=app");
  ASSERT_EQ(kept["messages"].size(), 2u);
  EXPECT_EQ(kept["messages"][1]["touser"], json::array({"zhangsan"}));
  EXPECT_EQ(kept["messages"][0]["body"]["text"]["content"], repeat("你", 682));
}

TEST_F(WecomSimTest, PerMemberLimitDropsSilentlyOrAnswers45009) {
  call("POST", "_config", {{"member_per_min", 3}});
  const std::string tok = token();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(api("message/send", tok, text("zhangsan|lisi", "m"))["errcode"], 0);
  json kept = call("GET", "_messages?channel=app");
  ASSERT_EQ(kept["messages"].size(), 4u);
  EXPECT_EQ(kept["messages"][3]["touser"].size(), 0u);  // the 4th reached nobody, silently
  EXPECT_EQ(kept["messages"][3]["dropped"].size(), 2u);
  EXPECT_EQ(call("GET", "_stats")["messages"]["dropped_by_member_limit"], 2);

  call("POST", "_config", {{"member_limit", "error"}});
  EXPECT_EQ(api("message/send", tok, text("zhangsan", "m"))["errcode"], 45009);
  EXPECT_EQ(api("message/send", tok, text("wangwu", "m"))["errcode"], 0);
}

TEST_F(WecomSimTest, RobotKeyAndTwentyAMinute) {
  json msg{{"msgtype", "text"}, {"text", {{"content", "robot says hi"}}}};
  EXPECT_EQ(call("POST", "cgi-bin/webhook/send?key=wrong", msg)["errcode"], 93000);
  json md{{"msgtype", "markdown"}, {"markdown", {{"content", std::string(4097, 'a')}}}};
  EXPECT_EQ(call("POST", "cgi-bin/webhook/send?key=sim-robot-key", md)["errcode"], 40058);
  int ok = 0, limited = 0;
  for (int i = 0; i < 22; ++i) {
    int code = call("POST", "cgi-bin/webhook/send?key=sim-robot-key", msg)["errcode"];
    (code == 0 ? ok : limited) += 1;
    if (code != 0) {
      EXPECT_EQ(code, 45009);
    }
  }
  EXPECT_EQ(ok, 20);
  EXPECT_EQ(limited, 2);
}

// Decrypts one callback the sim POSTed to its own receiver, with the connector's crypto.
w::CallbackEvent openCallback(const json& rec, const w::CallbackKeys& keys) {
  const std::string uri = rec["uri"];
  std::map<std::string, std::string> q;
  for (size_t at = uri.find('?') + 1; at > 0 && at < uri.size();) {
    size_t amp = uri.find('&', at);
    std::string kv = uri.substr(at, amp == std::string::npos ? std::string::npos : amp - at);
    q[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
    at = amp == std::string::npos ? uri.size() : amp + 1;
  }
  auto env = w::parseEnvelope(rec["body"].get<std::string>());
  EXPECT_TRUE(env.ok());
  auto xml = w::decryptCallback(keys, q["msg_signature"], q["timestamp"], q["nonce"], env->encrypt);
  EXPECT_TRUE(xml.ok()) << (xml.ok() ? "" : xml.error().message);
  // A flipped signature digit must fail: the signature covers what was sent.
  std::string bad = q["msg_signature"];
  bad[0] = bad[0] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(w::decryptCallback(keys, bad, q["timestamp"], q["nonce"], env->encrypt).ok());
  auto ev = w::parseEvent(xml.ok() ? *xml : "<xml/>");
  EXPECT_TRUE(ev.ok());
  return ev.ok() ? *ev : w::CallbackEvent{};
}

TEST_F(WecomSimTest, ApprovalFlowFiresEncryptedCallbacks) {
  const std::string cb = "http://127.0.0.1:" + std::to_string(port_) + "/sim/receiver/wecomcb";
  json cfg = call("POST", "_config", {{"callback", {{"url", cb}, {"token", kCbToken},
                                                     {"encoding_aes_key", kAesKey}, {"backoff_ms", 50}}}});
  ASSERT_EQ(last_status_, 200) << cfg.dump();
  const std::string tok = token();
  json apply{{"creator_userid", "zhangsan"},
             {"template_id", "3Tka1eD6v6JfzhDMqPd3aMkFdxqtJMc2ZRioeFXkaaa"},
             {"use_template_approver", 0},
             {"approver", {{{"attr", 2}, {"userid", {"RegionMgr", "Finance"}}}, {{"attr", 1}, {"userid", {"GM"}}}}},
             {"notifyer", {"lisi"}},
             {"apply_data", {{"contents", {{{"control", "Money"}, {"id", "Money-1"}, {"value", {{"new_money", "150000.00"}}}}}}}}};
  json bad = apply;
  bad["notify_type"] = 0;
  EXPECT_EQ(api("oa/applyevent", tok, bad)["errcode"], 301025);
  bad = apply;
  bad["creator_userid"] = "outsider";
  EXPECT_EQ(api("oa/applyevent", tok, bad)["errcode"], 301025);
  json r = api("oa/applyevent", tok, apply);
  ASSERT_EQ(r["errcode"], 0) << r.dump();
  const std::string sp_no = r["sp_no"];
  ASSERT_TRUE(r["sp_no"].is_string());
  EXPECT_EQ(api("oa/getapprovaldetail", tok, {{"sp_no", sp_no}})["info"]["sp_status"], 1);

  // 会签 needs both; then GM (或签) finishes it.
  EXPECT_EQ(call("POST", "_approvals/" + sp_no + "/approve", {{"userid", "RegionMgr"}, {"comment", "区域同意"}})["sp_status"], 1);
  EXPECT_EQ(call("POST", "_approvals/" + sp_no + "/approve", {{"userid", "GM"}})["error"].is_string(), true);
  EXPECT_EQ(last_status_, 400);  // GM's node is not current yet
  EXPECT_EQ(call("POST", "_approvals/" + sp_no + "/approve", {{"userid", "Finance"}, {"comment", "财务同意"}})["sp_status"], 1);
  EXPECT_EQ(call("POST", "_approvals/" + sp_no + "/approve", {{"userid", "GM"}, {"comment", "同意，尽快发货"}})["sp_status"], 2);
  json d = api("oa/getapprovaldetail", tok, {{"sp_no", sp_no}})["info"];
  EXPECT_EQ(d["sp_status"], 2);
  EXPECT_EQ(d["sp_record"][1]["details"][0]["speech"], "同意，尽快发货");
  EXPECT_EQ(call("POST", "_approvals/" + sp_no + "/reject", {{"userid", "GM"}})["error"].is_string(), true);
  EXPECT_EQ(last_status_, 409);

  ASSERT_EQ(call("POST", "_callbacks/wait?timeout_ms=10000")["idle"], true);
  json recs = tk::http("GET", port_, "/sim/receiver/wecomcb/_records").status == 200
                  ? json::parse(tk::http("GET", port_, "/sim/receiver/wecomcb/_records").body)
                  : json();
  ASSERT_EQ(recs["records"].size(), 4u) << recs.dump();  // submit + three approvals
  auto keys = w::makeCallbackKeys(kCbToken, kAesKey, kCorp);
  ASSERT_TRUE(keys.ok());
  std::vector<int> events;
  for (const auto& rec : recs["records"]) {
    w::CallbackEvent ev = openCallback(rec, *keys);
    EXPECT_EQ(ev.event, "sys_approval_change");
    ASSERT_TRUE(ev.approval.has_value());
    EXPECT_EQ(ev.approval->sp_no, sp_no);
    events.push_back(std::stoi(ev.approval->statu_change_event));
  }
  EXPECT_EQ(events, (std::vector<int>{1, 2, 2, 2}));
  w::CallbackEvent last = openCallback(recs["records"][3], *keys);
  EXPECT_EQ(last.approval->sp_status, "2");
  ASSERT_EQ(last.approval->sp_records.size(), 2u);
  ASSERT_EQ(last.approval->sp_records[0].details.size(), 2u);
  EXPECT_EQ(last.approval->sp_records[0].details[1].speech, "财务同意");
  EXPECT_EQ(last.approval->notifyers, std::vector<std::string>{"lisi"});
  // A wrong receiveid is refused by the connector.
  auto other = w::makeCallbackKeys(kCbToken, kAesKey, "wwsomeoneelse");
  auto env = w::parseEnvelope(recs["records"][0]["body"].get<std::string>());
  ASSERT_TRUE(env.ok());
  EXPECT_FALSE(w::decryptPayload(*other, env->encrypt).ok());

  // Reject and withdraw on two more.
  const std::string sp2 = api("oa/applyevent", tok, apply)["sp_no"];
  EXPECT_EQ(call("POST", "_approvals/" + sp2 + "/reject", {{"userid", "Finance"}, {"comment", "金额不对"}})["sp_status"], 3);
  const std::string sp3 = api("oa/applyevent", tok, apply)["sp_no"];
  json wd = call("POST", "_approvals/" + sp3 + "/withdraw", json::object());
  EXPECT_EQ(wd["sp_status"], 4);
  EXPECT_EQ(wd["statu_change_event"], 6);
  ASSERT_EQ(call("POST", "_callbacks/wait?timeout_ms=10000")["idle"], true);
  EXPECT_EQ(call("GET", "_callbacks")["callbacks"].size(), 4u + 4u);
}

TEST_F(WecomSimTest, ApprovalListPagesWithCursor) {
  const std::string tok = token();
  json apply{{"creator_userid", "zhangsan"}, {"template_id", "tpl-a"},
             {"approver", {{{"attr", 1}, {"userid", {"GM"}}}}},
             {"apply_data", {{"contents", json::array()}}}};
  std::set<std::string> made;
  for (int i = 0; i < 5; ++i) made.insert(api("oa/applyevent", tok, apply)["sp_no"].get<std::string>());
  apply["creator_userid"] = "lisi";
  made.insert(api("oa/applyevent", tok, apply)["sp_no"].get<std::string>());
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  json q{{"starttime", std::to_string(now - 3600)}, {"endtime", std::to_string(now + 60)}, {"size", 4},
         {"new_cursor", ""}, {"filters", {{{"key", "creator"}, {"value", "zhangsan"}}}}};
  std::set<std::string> seen;
  int pages = 0;
  do {
    json page = api("oa/getapprovalinfo", tok, q);
    ASSERT_EQ(page["errcode"], 0) << page.dump();
    for (const auto& s : page["sp_no_list"]) EXPECT_TRUE(seen.insert(s.get<std::string>()).second);
    q["new_cursor"] = page["new_next_cursor"];
  } while (!q["new_cursor"].get<std::string>().empty() && ++pages < 10);
  EXPECT_EQ(pages, 1);  // 4 + 1
  EXPECT_EQ(seen.size(), 5u);
  q["starttime"] = std::to_string(now - 40 * 86400);
  EXPECT_EQ(api("oa/getapprovalinfo", tok, q)["errcode"], 301025);  // more than 31 days
}

TEST_F(WecomSimTest, ExternalContactsPageByCursor) {
  const std::string tok = token();
  call("POST", "_contacts/seed", {{"userid", "zhangsan"}, {"count", 7}});
  call("POST", "_contacts/seed", {{"userid", "lisi"}, {"count", 3}, {"prefix", "wmLi"}});
  json two{{"external_contact", {{"external_userid", "wmBoth"}, {"name", "王经理"}, {"type", 2},
                                 {"corp_name", "华东精密"}, {"corp_full_name", "苏州华东精密机械有限公司"}}},
           {"follow_user", {{{"userid", "zhangsan"}, {"remark", "王"}, {"remark_mobiles", {"13800138000"}}},
                            {{"userid", "lisi"}, {"tags", {{{"tag_id", "etA"}, {"tag_name", "A"}}}}}}}};
  call("POST", "_contacts", two);
  EXPECT_EQ(call("GET", "cgi-bin/externalcontact/list?access_token=" + tok + "&userid=zhangsan")["external_userid"].size(), 8u);
  EXPECT_EQ(call("GET", "cgi-bin/externalcontact/list?access_token=" + tok + "&userid=wangwu")["errcode"], 84061);

  std::set<std::string> pairs;
  std::string cursor;
  int pages = 0;
  do {
    json page = api("externalcontact/batch/get_by_user", tok,
                    {{"userid_list", {"zhangsan", "lisi"}}, {"cursor", cursor}, {"limit", 4}});
    ASSERT_EQ(page["errcode"], 0) << page.dump();
    for (const auto& item : page["external_contact_list"]) {
      EXPECT_TRUE(item["follow_info"]["tag_id"].is_array());
      pairs.insert(item["follow_info"]["userid"].get<std::string>() + "/" +
                   item["external_contact"]["external_userid"].get<std::string>());
    }
    cursor = page["next_cursor"];
    ++pages;
  } while (!cursor.empty() && pages < 20);
  EXPECT_EQ(pairs.size(), 8u + 4u);  // 7 + wmBoth for zhangsan, 3 + wmBoth for lisi
  EXPECT_EQ(pages, 3);

  call("POST", "_config", {{"follow_page", 1}});
  json one = call("GET", "cgi-bin/externalcontact/get?access_token=" + tok + "&external_userid=wmBoth");
  EXPECT_EQ(one["follow_user"].size(), 1u);
  ASSERT_TRUE(one["next_cursor"].is_string());
  json rest = call("GET", "cgi-bin/externalcontact/get?access_token=" + tok +
                              "&external_userid=wmBoth&cursor=" + one["next_cursor"].get<std::string>());
  EXPECT_EQ(rest["follow_user"][0]["userid"], "lisi");
  EXPECT_FALSE(rest.contains("next_cursor"));
  EXPECT_EQ(call("GET", "cgi-bin/externalcontact/get?access_token=" + tok + "&external_userid=nope")["errcode"], 40096);
}

TEST_F(WecomSimTest, FaultsInjectErrcodesStatusesAndResets) {
  const std::string tok = token();
  call("POST", "_faults", {{"errcode", -1}, {"count", 1}, {"path", "message/send"}});
  EXPECT_EQ(api("message/send", tok, text("zhangsan", "x"))["errcode"], -1);
  EXPECT_EQ(last_status_, 200);
  EXPECT_EQ(api("message/send", tok, text("zhangsan", "x"))["errcode"], 0);
  call("POST", "_faults", {{"mode", "status"}, {"status", 503}, {"count", 1}});
  auto r = tk::http("GET", port_, "/sim/wecom/cgi-bin/gettoken?corpid=" + kCorp + "&corpsecret=" + kSecret);
  EXPECT_EQ(r.status, 503);
  call("POST", "_faults", {{"mode", "reset"}, {"count", 1}});
  r = tk::http("GET", port_, "/sim/wecom/cgi-bin/gettoken?corpid=" + kCorp + "&corpsecret=" + kSecret);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(call("GET", "_stats")["faults_injected"], 3);
  EXPECT_EQ(call("GET", "cgi-bin/gettoken?corpid=" + kCorp + "&corpsecret=" + kSecret)["errcode"], 0);
}

}  // namespace
