// The wecom client library against the WeCom simulator in qiao-sim over libcurl: a token
// expiry in the middle of 8 concurrent senders costs exactly one more gettoken; 45009 is a
// transient kRateLimited error with the 60 s block, and a 45009 from gettoken stops further
// gettoken calls; external contacts are paged by cursor, merged and mapped into the CRM
// customer record.
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "wecom_contacts.h"
#include "wecom_message.h"
#include "wecom_sim_harness.h"

namespace wecom_it {
namespace {

using SimClient = SimFixture;

std::string textMessage(const std::string& to, const std::string& content) {
  w::AppTarget t;
  t.touser = to;
  t.agent_id = 1000002;
  auto m = w::buildAppText(t, content);
  return m.ok() ? m->json : "";
}

TEST_F(SimClient, TokenExpiryMidRunIsRecoveredOnceByEightWorkers) {
  admin("POST", "_config", {{"member_per_min", 0}});  // 0 = no per-member limit
  constexpr int kWorkers = 8, kEach = 25;
  std::atomic<int> sent{0}, failed{0};
  std::atomic<bool> expired{false};
  std::vector<std::thread> workers;
  std::string first_error;
  std::mutex mu;
  for (int wkr = 0; wkr < kWorkers; ++wkr) {
    workers.emplace_back([&, wkr] {
      for (int i = 0; i < kEach; ++i) {
        // One worker pulls the rug once everyone is running: every token dies at once.
        if (wkr == 0 && i == 10 && !expired.exchange(true)) {
          auto r = tk::http("POST", port_, "/sim/wecom/_tokens/expire");
          EXPECT_EQ(r.status, 200);
        }
        auto reply = client_->sendAppMessage(textMessage("zhangsan", "w" + std::to_string(wkr) + "-" + std::to_string(i)));
        if (reply.ok()) {
          ++sent;
        } else {
          ++failed;
          std::lock_guard lk(mu);
          if (first_error.empty()) first_error = reply.error().message;
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(failed.load(), 0) << first_error;
  EXPECT_EQ(sent.load(), kWorkers * kEach);
  EXPECT_TRUE(expired.load());
  // One token before, one after the expiry — counted at the simulator, not in the client.
  EXPECT_EQ(simCalls("gettoken"), 2);
  EXPECT_EQ(tokens_->gettokenCalls(), 2u);
  json stats = admin("GET", "_stats");
  EXPECT_GE(stats["errcodes"].value("42001", 0), 1);  // somebody did hit the expired token
  EXPECT_EQ(stats["messages"]["app_sent"], kWorkers * kEach);
}

TEST_F(SimClient, RateLimitsAre45009WithTheBlockWindow) {
  // Group robot: 20 a minute, the 21st is refused.
  const std::string msg = R"({"msgtype":"text","text":{"content":"robot"}})";
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client_->sendRobotMessage("sim-robot-key", msg).ok()) << i;
  auto limited = client_->sendRobotMessage("sim-robot-key", msg);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().code, qiao::ErrorCode::kRateLimited);
  EXPECT_EQ(limited.error().klass, qiao::ErrorClass::kTransient);
  EXPECT_EQ(limited.error().retry_after_ms, 60'000);
  EXPECT_EQ(limited.error().message.find("sim-robot-key"), std::string::npos);  // the key is the credential

  // Per member, when the simulator is set to answer instead of dropping silently.
  admin("POST", "_config", {{"member_per_min", 2}, {"member_limit", "error"}});
  EXPECT_TRUE(client_->sendAppMessage(textMessage("lisi", "1")).ok());
  EXPECT_TRUE(client_->sendAppMessage(textMessage("lisi", "2")).ok());
  auto third = client_->sendAppMessage(textMessage("lisi", "3"));
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, qiao::ErrorCode::kRateLimited);

  // 45009 on gettoken itself: the manager stops asking for the block window.
  auto tokens = std::make_shared<w::TokenManager>(transport_, base_, kCorp, kSecret);
  const int64_t before = simCalls("gettoken");
  admin("POST", "_faults", {{"errcode", 45009}, {"count", 1}, {"path", "gettoken"}});
  auto t1 = tokens->get();
  ASSERT_FALSE(t1.ok());
  EXPECT_EQ(t1.error().code, qiao::ErrorCode::kRateLimited);
  auto t2 = tokens->get();
  ASSERT_FALSE(t2.ok());
  EXPECT_EQ(t2.error().code, qiao::ErrorCode::kRateLimited);
  EXPECT_GT(t2.error().retry_after_ms, 50'000);
  EXPECT_EQ(simCalls("gettoken"), before + 1);  // the second get() never reached WeCom
}

TEST_F(SimClient, ServerErrorsAndBusyAreTransientTokenErrorsRefreshOnGetCalls) {
  admin("POST", "_contacts/seed", {{"userid", "zhangsan"}, {"count", 3}});
  ASSERT_TRUE(w::listExternalContacts(*client_, "zhangsan").ok());
  admin("POST", "_faults", {{"mode", "status"}, {"status", 502}, {"count", 1}, {"path", "externalcontact/list"}});
  auto r = w::listExternalContacts(*client_, "zhangsan");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().klass, qiao::ErrorClass::kTransient);
  admin("POST", "_faults", {{"errcode", -1}, {"count", 1}, {"path", "externalcontact/list"}});
  r = w::listExternalContacts(*client_, "zhangsan");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().klass, qiao::ErrorClass::kTransient);
  EXPECT_NE(r.error().message.find("errcode -1"), std::string::npos);
  // A GET API after every token expired: one refresh, one retry, success.
  admin("POST", "_tokens/expire");
  auto again = w::listExternalContacts(*client_, "zhangsan");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->size(), 3u);
  EXPECT_EQ(simCalls("gettoken"), 2);
  // A member without customers (84061) is an empty list; an unknown member is an error.
  auto none = w::listExternalContacts(*client_, "wangwu");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto unknown = w::listExternalContacts(*client_, "ghost");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().klass, qiao::ErrorClass::kPermanent);
}

TEST_F(SimClient, ExternalContactsArePagedMergedAndMapped) {
  admin("POST", "_contacts/seed", {{"userid", "zhangsan"}, {"count", 120}});
  admin("POST", "_contacts/seed", {{"userid", "lisi"}, {"count", 30}, {"prefix", "wmLi"}});
  admin("POST", "_contacts",
        {{"external_contact", {{"external_userid", "wmBoth"}, {"name", "王经理"}, {"type", 2},
                               {"position", "采购总监"}, {"corp_name", "华东精密"},
                               {"corp_full_name", "苏州华东精密机械有限公司"}}},
         {"follow_user", {{{"userid", "zhangsan"}, {"remark", "王总"}, {"remark_mobiles", {"13800138000"}},
                           {"tags", {{{"tag_id", "etA"}, {"tag_name", "A"}, {"group_name", "等级"}}}}},
                          {{"userid", "lisi"}, {"remark", "王经理"}}}}});
  auto all = w::batchGetAllByUsers(*client_, {"zhangsan", "lisi"}, 50);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->size(), 151u);
  std::set<std::string> ids;
  for (const auto& c : *all) ids.insert(c.external_userid);
  EXPECT_EQ(ids.size(), 151u);
  EXPECT_EQ(simCalls("externalcontact/batch/get_by_user"), 4);  // 152 pairs / 50 a page

  const w::ExternalContact* both = nullptr;
  for (const auto& c : *all)
    if (c.external_userid == "wmBoth") both = &c;
  ASSERT_NE(both, nullptr);
  ASSERT_EQ(both->follow_users.size(), 2u);  // one pair per member, merged
  json mapped = json::parse(w::customerPayload(*both));
  EXPECT_EQ(mapped["name"], "苏州华东精密机械有限公司");
  EXPECT_EQ(mapped["nameSource"], "corp_full_name");
  EXPECT_EQ(mapped["shortName"], "华东精密");
  EXPECT_EQ(mapped["phone"], "13800138000");
  EXPECT_EQ(mapped["contacts"][0]["name"], "王经理");
  EXPECT_EQ(mapped["contacts"][0]["title"], "采购总监");
  EXPECT_EQ(mapped["contacts"][0]["mobile"], "13800138000");
  EXPECT_EQ(mapped["wecomExternalUserId"], "wmBoth");
  EXPECT_EQ(mapped["wecomType"], "wecom");
  EXPECT_EQ(mapped["followUsers"].size(), 2u);
  EXPECT_EQ(mapped["followUsers"][0]["tagIds"], json::array({"etA"}));  // batch gives ids only
  EXPECT_FALSE(mapped.contains("customerCode"));  // not known to WeCom
  auto rec = w::customerRecord(*both);
  EXPECT_EQ(rec.entity, "customer");
  EXPECT_EQ(rec.business_key, "wmBoth");

  // A WeChat individual (type 1): no company, a member's remark_corp_name if any.
  for (const auto& c : *all) {
    if (c.type != 1) continue;
    json p = json::parse(w::customerPayload(c));
    EXPECT_EQ(p["nameSource"], "remark_corp_name") << p.dump();
    EXPECT_EQ(p["wecomType"], "wechat");
    EXPECT_TRUE(p.contains("unionId"));
    break;
  }

  // get: follow users paged by cursor, with tag names.
  admin("POST", "_config", {{"follow_page", 1}});
  auto one = w::getExternalContact(*client_, "wmBoth");
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_EQ(one->follow_users.size(), 2u);
  EXPECT_EQ(one->follow_users[0].tag_names, std::vector<std::string>{"A"});
  EXPECT_EQ(simCalls("externalcontact/get"), 2);
  auto missing = w::getExternalContact(*client_, "wmNobody");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("40096"), std::string::npos);
}

}  // namespace
}  // namespace wecom_it
