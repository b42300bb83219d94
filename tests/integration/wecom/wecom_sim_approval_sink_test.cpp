// The `wecom` sink in mode approval against the WeCom simulator: a record opens one approval
// (remote_id = sp_no); with idempotency_control set, a retry of the same record finds the
// approval the lost try opened instead of opening a second; bad records are permanent errors
// that name the field and never reach WeCom.
#include "wecom_sim_harness.h"

void qiao_register_wecom(qiao::sdk::Registry& registry);

namespace wecom_it {
namespace {

class SimApprovalSink : public SimFixture {
 protected:
  std::unique_ptr<qiao::sdk::Sink> makeSink(bool with_control) {
    qiao::sdk::Registry reg;
    qiao_register_wecom(reg);
    json cfg{{"mode", "approval"}, {"corp_id", kCorp}, {"secret", kSecret}, {"base_url", base_},
             {"template_id", "tpl-large-order"}, {"creator_userid", "zhangsan"}};
    if (with_control) cfg["idempotency_control"] = "Text-idem";
    auto sink = reg.find("wecom")->make_sink({"wecom_approval", cfg.dump()}, {});
    EXPECT_TRUE(sink.ok()) << (sink.ok() ? "" : sink.error().message);
    return sink.ok() ? std::move(sink).value() : nullptr;
  }
  static qiao::Record order(const std::string& key, int attempt) {
    qiao::Record r;
    r.idempotency_key = key;
    r.attempt = attempt;
    r.payload = R"({"approvers":[{"attr":1,"userid":["GM"]}],"notifyers":["Finance"],)"
                R"("contents":[{"control":"Money","id":"Money-1","value":{"new_money":"150000.00"}}],)"
                R"("summary":["订单 SO-1 金额 150000.00"]})";
    return r;
  }
  size_t approvals() { return admin("GET", "_approvals")["approvals"].size(); }
};

TEST_F(SimApprovalSink, RetryFindsTheApprovalInsteadOfOpeningASecond) {
  auto sink = makeSink(true);
  ASSERT_TRUE(sink);
  auto first = sink->deliver(order("orders:SO-1", 1));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first->remote_id.empty());
  json all = admin("GET", "_approvals")["approvals"];
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["sp_no"], first->remote_id);
  EXPECT_EQ(all[0]["applyer"]["userid"], "zhangsan");
  EXPECT_EQ(all[0]["template_id"], "tpl-large-order");
  EXPECT_EQ(all[0]["apply_data"]["contents"][1]["value"]["text"], "orders:SO-1");

  // The reply of try 1 was "lost": try 2 looks first and finds it.
  auto again = sink->deliver(order("orders:SO-1", 2));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->remote_id, first->remote_id);
  EXPECT_EQ(json::parse(again->result_json)["found_on_retry"], true);
  EXPECT_EQ(simCalls("oa/applyevent"), 1);
  EXPECT_EQ(approvals(), 1u);

  // A retry of a record whose first try never arrived opens its approval now.
  auto other = sink->deliver(order("orders:SO-2", 2));
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_NE(other->remote_id, first->remote_id);
  EXPECT_EQ(approvals(), 2u);
}

TEST_F(SimApprovalSink, WithoutTheControlARetryResubmitsAndBadRecordsAreRefused) {
  auto sink = makeSink(false);
  ASSERT_TRUE(sink);
  ASSERT_TRUE(sink->deliver(order("k", 1)).ok());
  ASSERT_TRUE(sink->deliver(order("k", 2)).ok());
  EXPECT_EQ(approvals(), 2u);  // the documented risk when no control carries the key

  qiao::Record bad = order("k2", 1);
  bad.payload = R"({"approvers":[{"attr":1}]})";
  auto r = sink->deliver(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().klass, qiao::ErrorClass::kPermanent);
  EXPECT_NE(r.error().message.find("approvers[0]"), std::string::npos) << r.error().message;
  bad.payload = R"({"creator_userid":"outsider","approvers":[{"attr":1,"userid":["GM"]}]})";
  r = sink->deliver(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().klass, qiao::ErrorClass::kPermanent);
  EXPECT_NE(r.error().message.find("301025"), std::string::npos) << r.error().message;
  EXPECT_EQ(simCalls("oa/applyevent"), 3);  // the malformed record never reached WeCom
}

}  // namespace
}  // namespace wecom_it
