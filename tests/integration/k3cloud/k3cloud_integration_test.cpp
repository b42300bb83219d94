// The k3cloud connector against qiao-sim's K/3 Cloud simulator: every auth mode, the
// Save → Submit → Audit flow, K/3's own errors, sessions that get lost, and query paging.
#include <atomic>
#include <thread>
#include <vector>

#include "k3_sim_fixture.h"
#include "qiao/core/log.h"

namespace k3test {
namespace {

using qiao::ErrorClass;
using qiao::ErrorCode;

TEST_F(K3SimTest, DescriptorDeclaresTheSinkAndRejectsBadSettings) {
  qiao::sdk::Registry registry;
  qiao_register_k3cloud(registry);
  const auto* d = registry.find("k3cloud");
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->isSink());
  auto bad = d->make_sink({"erp", R"({"base_url":"ftp://x","acct_id":"a"})"}, {"erp", ""});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kConfigInvalid);
  auto good = d->make_sink({"erp", settings().dump()}, {"erp", dir_->path()});
  ASSERT_TRUE(good.ok()) << good.error().message;
  auto h = (*good)->health();
  EXPECT_TRUE(h.healthy) << h.detail;
}

class K3AuthModes : public K3SimTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(K3AuthModes, SavesAnOrderWithItsReference) {
  const std::string mode = GetParam();
  bool positional = mode.find("/positional") != std::string::npos;
  std::string auth = mode.substr(0, mode.find('/'));
  auto sink = makeSink(settings(auth, positional ? json{{"body_style", "positional"}} : json::object()));
  ASSERT_NE(sink, nullptr);
  auto rec = record("1");
  auto d = sink->deliver(rec);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_FALSE(d->remote_id.empty());
  auto result = json::parse(d->result_json);
  EXPECT_EQ(result["Number"], d->remote_id);
  EXPECT_EQ(result["Status"], "A");
  EXPECT_EQ(result["FormId"], "SAL_SaleOrder");
  EXPECT_FALSE(result["Id"].get<std::string>().empty());
  EXPECT_EQ(countByRef(rec.idempotency_key), 1);
  // A second order reuses the session (or, signed, needs none).
  ASSERT_TRUE(sink->deliver(record("2")).ok());
  EXPECT_EQ(logins(), auth == "xapi" ? 0 : 1);
  EXPECT_EQ(sink->client().loginCount(), auth == "xapi" ? 0 : 1);
  EXPECT_EQ(bills().size(), 2u);
  // A retry of the first (attempt 2) finds it through ExecuteBillQuery in this mode and style.
  rec.attempt = 2;
  auto again = sink->deliver(rec);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->remote_id, d->remote_id);
  EXPECT_EQ(calls("ExecuteBillQuery"), 1);
  EXPECT_EQ(bills().size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Modes, K3AuthModes,
                         ::testing::Values("validate_user", "app_secret", "sign", "xapi",
                                           "validate_user/positional", "sign/positional"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n)
                             if (c == '/') c = '_';
                           return n;
                         });

TEST_F(K3SimTest, LogsNameLoginsButNoSecrets) {
  std::string log_file = dir_->file(name_ + ".log");
  ASSERT_TRUE(qiao::log::setOutputFile(log_file));
  {
    auto sink = makeSink(settings("app_secret"));
    EXPECT_TRUE(sink->deliver(record("1")).ok());
    post("/sim/k3cloud/_sessions/expire", json::object());
    EXPECT_TRUE(sink->deliver(record("2")).ok());
    auto wrong = makeSink(settings("validate_user", {{"password", "Wr0ng-pass-5521"}}));
    EXPECT_FALSE(wrong->deliver(record("3")).ok());
  }
  qiao::log::setOutputFile("");
  std::string text = tk::readFile(log_file);
  EXPECT_NE(text.find("k3cloud.login"), std::string::npos) << text;
  EXPECT_NE(text.find("k3cloud.session_lost"), std::string::npos) << text;
  EXPECT_NE(text.find("k3cloud.login_failed"), std::string::npos) << text;
  EXPECT_EQ(text.find("sim-app-secret"), std::string::npos) << text;
  EXPECT_EQ(text.find("Wr0ng-pass-5521"), std::string::npos) << text;
}

TEST_F(K3SimTest, WrongCredentialsAreAuthErrorsWithoutTheSecret) {
  auto sink = makeSink(settings("validate_user", {{"password", "wrong-Pw-7781"}}));
  auto d = sink->deliver(record("1"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().klass, ErrorClass::kAuthExpired);
  EXPECT_NE(d.error().message.find("用户名或密码错误"), std::string::npos) << d.error().message;
  EXPECT_EQ(d.error().message.find("wrong-Pw-7781"), std::string::npos) << d.error().message;
  auto signed_sink = makeSink(settings("xapi", {{"app_secret", "not-the-secret-991"}}));
  auto s = signed_sink->deliver(record("2"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().klass, ErrorClass::kAuthExpired);
  EXPECT_NE(s.error().message.find("MsgCode 1"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find("not-the-secret-991"), std::string::npos);
  EXPECT_EQ(bills().size(), 0u);
}

TEST_F(K3SimTest, SaveSubmitAuditReachesAudited) {
  auto sink = makeSink(settings("sign", {{"submit", true}, {"audit", true},
                                         {"need_return_fields", {"FBillNo"}}}));
  auto d = sink->deliver(record("1"));
  ASSERT_TRUE(d.ok()) << d.error().message;
  auto result = json::parse(d->result_json);
  EXPECT_EQ(result["Status"], "C");
  auto all = bills();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["FDocumentStatus"], "C");
  EXPECT_EQ(all[0]["FBillNo"], d->remote_id);
  EXPECT_EQ(calls("Submit"), 1);
  EXPECT_EQ(calls("Audit"), 1);

  // The same end state in one round trip: Save's own IsAutoSubmitAndAudit.
  auto one_trip = makeSink(settings("sign", {{"auto_submit_audit", true}}));
  auto o = one_trip->deliver(record("auto"));
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(json::parse(o->result_json)["Status"], "C");
  EXPECT_EQ(calls("Submit"), 1);
  EXPECT_EQ(calls("Audit"), 1);
  EXPECT_EQ(bills()[1]["FDocumentStatus"], "C");

  auto submit_only = makeSink(settings("sign", {{"submit", true}}));
  auto s = submit_only->deliver(record("2"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(json::parse(s->result_json)["Status"], "B");
}

TEST_F(K3SimTest, MissingBaseDataIsPermanentWithK3sOwnMessage) {
  auto sink = makeSink(settings());
  auto d = sink->deliver(record("1", orderBody("C999")));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().klass, ErrorClass::kPermanent);
  EXPECT_EQ(d.error().code, ErrorCode::kRemotePermanent);
  const auto& m = d.error().message;
  EXPECT_NE(m.find("FCustId: "), std::string::npos) << m;
  EXPECT_NE(m.find("C999"), std::string::npos) << m;
  EXPECT_NE(m.find("在系统中不存在"), std::string::npos) << m;
  EXPECT_EQ(bills().size(), 0u);
  // A forbidden customer is refused too, because IsVerifyBaseDataField defaults to true.
  auto forbidden = sink->deliver(record("2", orderBody("C100003")));
  ASSERT_FALSE(forbidden.ok());
  EXPECT_NE(forbidden.error().message.find("已禁用"), std::string::npos) << forbidden.error().message;
}

TEST_F(K3SimTest, QuirkyRepliesStillParse) {
  post("/sim/k3cloud/_config", {{"is_success_as_string", true}, {"unicode_escape", true}});
  auto sink = makeSink(settings("validate_user", {{"submit", true}}));
  auto ok = sink->deliver(record("1"));
  EXPECT_TRUE(ok.ok()) << ok.error().message;
  auto bad = sink->deliver(record("2", orderBody("C999")));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().klass, ErrorClass::kPermanent);
  EXPECT_NE(bad.error().message.find("在系统中不存在"), std::string::npos) << bad.error().message;
  post("/sim/k3cloud/_config", {{"is_success_as_string", false}, {"unicode_escape", false}});
}

TEST_F(K3SimTest, SessionExpiryMidRunLogsInOnceAndSucceeds) {
  auto sink = makeSink(settings("app_secret", {{"submit", true}}));
  ASSERT_TRUE(sink->deliver(record("1")).ok());
  ASSERT_EQ(logins(), 1);
  post("/sim/k3cloud/_sessions/expire", json::object());
  auto d = sink->deliver(record("2"));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(logins(), 2);
  EXPECT_EQ(sink->client().loginCount(), 2);
  EXPECT_EQ(countByRef("idem-" + name_ + "-2"), 1);
  // A read that finds its session lost is repeated transparently after one re-login.
  post("/sim/k3cloud/_sessions/expire", json::object());
  k3::BillQuery q;
  q.form_id = "SAL_SaleOrder";
  q.field_keys = "FID,FBillNo";
  auto rows = sink->client().executeBillQuery(q);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(rows->size(), 2u);
  EXPECT_EQ(logins(), 3);
}

TEST_F(K3SimTest, ConcurrentWorkersShareOneReLogin) {
  auto sink = makeSink(settings("validate_user"));
  ASSERT_TRUE(sink->deliver(record("warm")).ok());
  ASSERT_EQ(logins(), 1);
  post("/sim/k3cloud/_sessions/expire", json::object());
  constexpr int kWorkers = 16;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::vector<std::string> errors(kWorkers);
  for (int i = 0; i < kWorkers; ++i) {
    threads.emplace_back([&, i] {
      auto d = sink->deliver(record("c" + std::to_string(i)));
      if (d.ok()) ok++;
      else errors[i] = d.error().message;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_TRUE(e.empty()) << e;
  EXPECT_EQ(ok.load(), kWorkers);
  EXPECT_EQ(logins(), 2) << "one re-login shared by all workers";
  EXPECT_EQ(sink->client().loginCount(), 2);
  EXPECT_EQ(bills().size(), static_cast<size_t>(kWorkers + 1));
}

TEST_F(K3SimTest, ExecuteBillQueryPagesUntilAShortPage) {
  json customers = json::array();
  for (int i = 0; i < 22; ++i) {
    char no[32];
    std::snprintf(no, sizeof no, "CP%03d", i);
    customers.push_back({{"FNumber", no}, {"FName", std::string("分页客户") + no},
                         {"FCreateOrgId", {{"FNumber", "100"}}}});
  }
  post("/sim/k3cloud/_basedata/BD_Customer", customers);
  auto sink = makeSink(settings());
  auto& client = sink->client();
  k3::BillQuery q;
  q.form_id = "BD_Customer";
  q.field_keys = "FCUSTID,FNumber,FName";
  q.filter_string = "FNumber LIKE 'CP%'";
  q.order_string = "FNumber ASC";
  q.limit = 10;
  int64_t before = calls("ExecuteBillQuery");
  auto rows = client.queryAll(q, 1000);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 22u);
  EXPECT_EQ(calls("ExecuteBillQuery") - before, 3);  // 10 + 10 + 2
  for (size_t i = 0; i < rows->size(); ++i) {
    char no[32];
    std::snprintf(no, sizeof no, "CP%03zu", i);
    EXPECT_EQ((*rows)[i][1], no);  // in order, no page overlaps or gaps
  }
  auto capped = client.queryAll(q, 15);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->size(), 15u);
  // An exact multiple of Limit needs one more (empty) page to know it is the end.
  q.filter_string = "FNumber LIKE 'CP00%' OR FNumber LIKE 'CP01%'";
  before = calls("ExecuteBillQuery");
  auto twenty = client.queryAll(q, 1000);
  ASSERT_TRUE(twenty.ok());
  EXPECT_EQ(twenty->size(), 20u);
  EXPECT_EQ(calls("ExecuteBillQuery") - before, 3);
}

TEST_F(K3SimTest, QueryErrorsAndClientOperations) {
  auto sink = makeSink(settings());
  auto& client = sink->client();
  k3::BillQuery bad;
  bad.form_id = "SAL_SaleOrder";
  bad.field_keys = "FID,FFoo";
  auto rows = client.executeBillQuery(bad);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().klass, ErrorClass::kPermanent);
  EXPECT_NE(rows.error().message.find("元数据中标识为FFoo的字段不存在"), std::string::npos)
      << rows.error().message;
  // Save, View, Delete through the client.
  auto body = orderBody();
  auto saved = client.save("SAL_SaleOrder", body["data"]);
  ASSERT_TRUE(saved.ok()) << saved.error().message;
  auto viewed = client.view("SAL_SaleOrder", saved->number);
  ASSERT_TRUE(viewed.ok()) << viewed.error().message;
  EXPECT_EQ(viewed->result["DocumentStatus"], "A");
  auto deleted = client.deleteBills("SAL_SaleOrder", {saved->id, {}});
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(bills().size(), 0u);
  auto gone = client.view("SAL_SaleOrder", saved->number);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().klass, ErrorClass::kPermanent);
  // BatchSave: successes per DIndex.
  json batch = {{"Model", json::array({body["data"]["Model"], body["data"]["Model"]})}};
  auto many = client.batchSave("SAL_SaleOrder", batch);
  ASSERT_TRUE(many.ok()) << many.error().message;
  EXPECT_EQ(many->status.success_entities.size(), 2u);
  EXPECT_EQ(bills().size(), 2u);
}

}  // namespace
}  // namespace k3test
