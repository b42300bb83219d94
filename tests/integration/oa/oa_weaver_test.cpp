// The `oa` connector, kind weaver, against the Weaver E9 simulator: register → applytoken →
// doCreateRequest → approval by the simulator's admin → normalised status; token expiry with
// 8 concurrent workers; rejected / withdrawn / terminated / draft; a retried submit that
// finds the first request; faults classified; the registration kept in a file.
#include <atomic>
#include <map>
#include <chrono>
#include <thread>
#include <vector>

#include "oa_harness.h"

namespace oa_it {
namespace {

using qiao::ErrorClass;
using qiao::ErrorCode;

using WeaverTest = OaSimFixture;

TEST_F(WeaverTest, RegisterTokenCreateApproveGivesApprovedWithComment) {
  auto c = client(weaverSettings(port_));
  ASSERT_NE(c, nullptr);
  auto id = c->submit(order("SO-1001"), "key-approve");
  ASSERT_TRUE(id.ok()) << id.error().message;
  json req = admin("GET", "/sim/weaver/_requests/" + *id);
  EXPECT_EQ(req["requestName"], "订单审批 SO-1001 [key-approve]");
  EXPECT_EQ(req["creatorId"], "8");  // the userid header decrypted by the simulator
  json main = req["mainData"];
  ASSERT_EQ(main.size(), 3u) << main.dump();
  EXPECT_EQ(main[0]["fieldName"], "ddh");
  EXPECT_EQ(main[0]["fieldValue"], "SO-1001");
  EXPECT_EQ(main[1]["fieldValue"], "150000");

  auto st = c->status(*id);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->state, "in_approval");
  EXPECT_EQ(st->approver, "");

  const int64_t before = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  admin("POST", "/sim/weaver/_requests/" + *id + "/approve", {{"approver", "2"}, {"comment", "<p>同意，按合同价执行</p>"}});
  st = c->status(*id);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->state, "approved");
  EXPECT_EQ(st->approver, "张经理");
  EXPECT_EQ(st->comment, "同意，按合同价执行");  // HTML of the sign-off stripped
  EXPECT_NEAR(static_cast<double>(st->updated_ms), static_cast<double>(before), 5000.0);
  EXPECT_NE(st->raw_state.find("nodetype=3"), std::string::npos) << st->raw_state;
  EXPECT_EQ(c->tokenFetches(), 1);
  json stats = admin("GET", "/sim/weaver/_stats");
  EXPECT_EQ(stats["registers"], 1);
  EXPECT_EQ(stats["tokens_issued"], 1);
}

TEST_F(WeaverTest, TokenExpiryMidRunIsRecoveredOnceByEightWorkers) {
  auto c = client(weaverSettings(port_));
  ASSERT_NE(c, nullptr);
  auto first = c->submit(order("SO-0"), "warm");
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(c->tokenFetches(), 1);
  ASSERT_EQ(admin("POST", "/sim/weaver/_tokens/expire")["expired"], 1);

  constexpr int kWorkers = 8, kEach = 5;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWorkers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto id = c->submit(order("SO-" + std::to_string(t) + "-" + std::to_string(i)),
                            "k-" + std::to_string(t) + "-" + std::to_string(i));
        if (!id.ok() || !c->status(*id).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(c->tokenFetches(), 2) << "one applytoken at start, exactly one after the expiry";
  json stats = admin("GET", "/sim/weaver/_stats");
  EXPECT_EQ(stats["tokens_issued"], 2);
  EXPECT_GE(stats["token_refusals"].get<int>(), 1);
  EXPECT_EQ(stats["calls"]["ec/dev/auth/applytoken"], 2);
  EXPECT_EQ(stats["registers"], 1);
  EXPECT_EQ(weaverCreated(), 1 + kWorkers * kEach);
}

TEST_F(WeaverTest, ColdStartWithEightWorkersAsksForOneToken) {
  auto c = client(weaverSettings(port_));
  ASSERT_NE(c, nullptr);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      if (!c->submit(order("SO-c" + std::to_string(t)), "cold-" + std::to_string(t)).ok()) ++failures;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(c->tokenFetches(), 1);
  EXPECT_EQ(admin("GET", "/sim/weaver/_stats")["registers"], 1);
}

TEST_F(WeaverTest, RejectedWithdrawnTerminatedAndDraftAreNormalised) {
  auto c = client(weaverSettings(port_));
  ASSERT_NE(c, nullptr);
  auto rej = c->submit(order("SO-R"), "r");
  auto wd = c->submit(order("SO-W"), "w");
  auto term = c->submit(order("SO-T"), "t");
  ASSERT_TRUE(rej.ok() && wd.ok() && term.ok());
  admin("POST", "/sim/weaver/_requests/" + *rej + "/reject", {{"approver", "2"}, {"comment", "价格低于底价"}});
  admin("POST", "/sim/weaver/_requests/" + *wd + "/withdraw", {{"comment", "客户改单"}});
  admin("POST", "/sim/weaver/_requests/" + *term + "/terminate", {{"approver", "1"}, {"approver_name", "系统管理员"}});
  auto r = c->status(*rej), w = c->status(*wd), t = c->status(*term);
  ASSERT_TRUE(r.ok() && w.ok() && t.ok());
  EXPECT_EQ(r->state, "rejected");
  EXPECT_EQ(r->comment, "价格低于底价");
  EXPECT_EQ(r->approver, "张经理");
  EXPECT_EQ(w->state, "withdrawn");
  EXPECT_EQ(w->approver, "销售李四");  // withdrawn by the creator
  EXPECT_EQ(t->state, "terminated");
  // Resubmitted after the rejection: in approval again.
  admin("POST", "/sim/weaver/_requests/" + *rej + "/resubmit");
  EXPECT_EQ(c->status(*rej)->state, "in_approval");

  auto draft_client = client(weaverSettings(port_, {{"is_next_flow", false}}));
  auto d = draft_client->submit(order("SO-D"), "d");
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(draft_client->status(*d)->state, "draft");
}

TEST_F(WeaverTest, RetriedSubmitFindsTheFirstRequest) {
  auto first = client(weaverSettings(port_));
  auto id = first->submit(order("SO-5"), "order-5");
  ASSERT_TRUE(id.ok());
  auto again = first->submit(order("SO-5"), "order-5");  // same client: remembered
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *id);
  // A new process (nothing remembered), attempt 2: found by the key in the title.
  auto restarted = client(weaverSettings(port_));
  auto retried = restarted->submit(order("SO-5"), "order-5", 2);
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  EXPECT_EQ(*retried, *id);
  EXPECT_EQ(weaverCreated(), 1);
  // A different key with a similar title is a new request.
  auto other = restarted->submit(order("SO-5"), "order-5b", 2);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, *id);
  EXPECT_EQ(weaverCreated(), 2);
}

TEST_F(WeaverTest, LostAnswerThenRetryCreatesOneRequest) {
  auto c = client(weaverSettings(port_, {{"timeout", 1000}}));
  ASSERT_TRUE(c->health().ok());  // token first, so the fault hits the create
  admin("POST", "/sim/weaver/_faults", {{"mode", "timeout_after_commit"}, {"delay_ms", 2500}, {"count", 1},
                                        {"path", "workflow/paService/doCreateRequest"}});
  auto lost = c->submit(order("SO-L"), "lost-1");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().klass, ErrorClass::kTransient) << lost.error().message;
  EXPECT_EQ(weaverCreated(), 1);  // the OA did create it
  auto retry = c->submit(order("SO-L"), "lost-1", 2);
  ASSERT_TRUE(retry.ok()) << retry.error().message;
  EXPECT_EQ(weaverCreated(), 1);
  EXPECT_EQ(admin("GET", "/sim/weaver/_requests/" + *retry)["requestName"], "订单审批 SO-L [lost-1]");
}

TEST_F(WeaverTest, FaultsAreClassified) {
  auto c = client(weaverSettings(port_, {{"timeout", 1000}}));
  ASSERT_TRUE(c->health().ok());
  admin("POST", "/sim/weaver/_faults", {{"mode", "status"}, {"status", 503}, {"count", 1}, {"retry_after", 7}});
  auto e503 = c->submit(order("SO-F"), "f1");
  ASSERT_FALSE(e503.ok());
  EXPECT_EQ(e503.error().klass, ErrorClass::kTransient);
  EXPECT_EQ(e503.error().retry_after_ms, 7000);
  admin("POST", "/sim/weaver/_faults", {{"mode", "timeout"}, {"delay_ms", 3000}, {"count", 1}});
  auto slow = c->status("100001");
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().klass, ErrorClass::kTransient);
  EXPECT_EQ(slow.error().code, ErrorCode::kTimeout) << slow.error().message;
  admin("POST", "/sim/weaver/_faults", {{"mode", "reset"}, {"count", 1}});
  auto reset = c->submit(order("SO-F"), "f2");
  ASSERT_FALSE(reset.ok());
  EXPECT_EQ(reset.error().klass, ErrorClass::kTransient);
  admin("POST", "/sim/weaver/_faults", {{"mode", "status"}, {"status", 200}, {"count", 1},
                                        {"body", {{"code", "SYSTEM_INNER_ERROR"}, {"errMsg", {{"e", "db"}}}}}});
  auto inner = c->submit(order("SO-F"), "f3");
  ASSERT_FALSE(inner.ok());
  EXPECT_EQ(inner.error().klass, ErrorClass::kTransient);
  // The OA refusing the form is permanent and names the field.
  admin("POST", "/sim/weaver/_config", {{"workflows", {{"1001", {"ddh", "je"}}}}});
  auto bad = c->submit(order("SO-F"), "f4");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().klass, ErrorClass::kPermanent);
  EXPECT_NE(bad.error().message.find("error_param_kh"), std::string::npos) << bad.error().message;
  auto unknown = c->status("999999");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().klass, ErrorClass::kPermanent);
  auto missing = c->submit(R"({"amount": 1})", "f5");  // no /orderNo for the title
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/orderNo"), std::string::npos) << missing.error().message;
}

TEST_F(WeaverTest, RegistrationIsKeptAndRenewedWhenTheOaForgetsIt) {
  const std::string file = dir_.file("reg.json");
  auto a = client(weaverSettings(port_, {{"registration_file", file}}));
  ASSERT_TRUE(a->submit(order("SO-1"), "p1").ok());
  EXPECT_NE(tk::readFile(file).find("\"spk\""), std::string::npos);
  auto b = client(weaverSettings(port_, {{"registration_file", file}}));  // a restart
  ASSERT_TRUE(b->submit(order("SO-2"), "p2").ok());
  EXPECT_EQ(admin("GET", "/sim/weaver/_stats")["registers"], 1) << "the kept registration was reused";
  admin("POST", "/sim/weaver/_reset");  // the OA forgets registrations and tokens
  auto c = client(weaverSettings(port_, {{"registration_file", file}}));
  auto id = c->submit(order("SO-3"), "p3");
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(admin("GET", "/sim/weaver/_stats")["registers"], 1);  // counted since the reset
}

TEST_F(WeaverTest, JsonBodyAndDetailTables) {
  auto c = client(weaverSettings(port_, {{"body_encoding", "json"},
                                         {"detail_tables", json::array({{{"table", "formtable_main_12_dt1"},
                                                                         {"rows", "/lines"},
                                                                         {"fields", {{"wlbm", "{/sku}"}, {"sl", "{/qty}"}}}}})}}));
  json rec = {{"orderNo", "SO-9"}, {"amount", 5}, {"customer", "x"},
              {"lines", json::array({{{"sku", "A-1"}, {"qty", 2}}, {{"sku", "B-2"}, {"qty", 3}}})}};
  auto id = c->submit(rec.dump(), "detail-1");
  ASSERT_TRUE(id.ok()) << id.error().message;
  json req = admin("GET", "/sim/weaver/_requests/" + *id);
  const json& d = req["detailData"];
  ASSERT_EQ(d.size(), 1u) << req.dump();
  EXPECT_EQ(d[0]["tableDBName"], "formtable_main_12_dt1");
  ASSERT_EQ(d[0]["workflowRequestTableRecords"].size(), 2u);
  std::map<std::string, std::string> second;
  for (const auto& f : d[0]["workflowRequestTableRecords"][1]["workflowRequestTableFields"])
    second[f["fieldName"]] = f["fieldValue"];
  EXPECT_EQ(second["wlbm"], "B-2");
  EXPECT_EQ(second["sl"], "3");
}

}  // namespace
}  // namespace oa_it
