// Faults between the connector and K/3: 5xx, HTML pages, resets, throttling, and the reply
// lost after K/3 committed the Save (the retry must find the bill, not save it twice).
#include "k3_sim_fixture.h"

namespace k3test {
namespace {

using qiao::ErrorClass;
using qiao::ErrorCode;

TEST_F(K3SimTest, ServerErrorsAndResetsAreTransient) {
  auto sink = makeSink(settings());
  ASSERT_TRUE(sink->deliver(record("warm")).ok());
  post("/sim/k3cloud/_faults", {{"mode", "status"}, {"status", 503}, {"retry_after", 3},
                                {"count", 1}, {"services", {"Save"}}});
  auto d503 = sink->deliver(record("1"));
  ASSERT_FALSE(d503.ok());
  EXPECT_EQ(d503.error().klass, ErrorClass::kTransient) << d503.error().message;
  EXPECT_EQ(d503.error().retry_after_ms, 3000);

  post("/sim/k3cloud/_config", {{"html_502_count", 1}});
  auto html = sink->deliver(record("2"));
  ASSERT_FALSE(html.ok());
  EXPECT_EQ(html.error().klass, ErrorClass::kTransient);
  EXPECT_NE(html.error().message.find("502 Bad Gateway"), std::string::npos) << html.error().message;
  EXPECT_LT(html.error().message.size(), 600u);

  // libcurl repeats once on a fresh connection when a reused one is reset: fault two tries.
  post("/sim/k3cloud/_faults", {{"mode", "reset"}, {"count", 2}, {"services", {"Save"}}});
  auto reset = sink->deliver(record("3"));
  ASSERT_FALSE(reset.ok());
  EXPECT_EQ(reset.error().klass, ErrorClass::kTransient) << reset.error().message;
  post("/sim/k3cloud/_faults", {{"mode", "none"}});

  post("/sim/k3cloud/_faults", {{"mode", "status"}, {"status", 429}, {"retry_after", 2},
                                {"count", 1}, {"services", {"Save"}}});
  auto throttled = sink->deliver(record("4"));
  ASSERT_FALSE(throttled.ok());
  EXPECT_EQ(throttled.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(throttled.error().retry_after_ms, 2000);

  // None of the failed tries left a bill behind; the retries (attempt 2) save each once.
  EXPECT_EQ(bills().size(), 1u);
  for (const char* k : {"1", "2", "3", "4"}) {
    auto d = sink->deliver(record(k, json(), 2));
    ASSERT_TRUE(d.ok()) << k << ": " << d.error().message;
  }
  EXPECT_EQ(bills().size(), 5u);
}

TEST_F(K3SimTest, TimeoutAfterCommitThenRetryFindsTheBill) {
  auto sink = makeSink(settings("sign", {{"timeout", "1s"}, {"submit", true}, {"audit", true}}));
  ASSERT_NE(sink, nullptr);
  post("/sim/k3cloud/_faults", {{"mode", "timeout_after_commit"}, {"delay_ms", 2500},
                                {"count", 1}, {"services", {"Save"}}});
  auto rec = record("1");
  auto first = sink->deliver(rec);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().klass, ErrorClass::kTransient);
  EXPECT_EQ(first.error().code, ErrorCode::kTimeout);
  EXPECT_NE(first.error().message.find("looks the bill up by FNetOrderBillNo='" + rec.idempotency_key + "'"),
            std::string::npos) << first.error().message;
  // K/3 did save it, unsubmitted.
  ASSERT_EQ(countByRef(rec.idempotency_key), 1);

  int64_t saves = calls("Save");
  rec.attempt = 2;  // what the store sets on the retry
  auto second = sink->deliver(rec);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(calls("Save"), saves) << "no second Save";
  EXPECT_EQ(countByRef(rec.idempotency_key), 1) << "no duplicate bill";
  auto all = bills();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(second->remote_id, all[0]["FBillNo"]);
  auto result = json::parse(second->result_json);
  EXPECT_EQ(result["Status"], "C");  // the retry went on with Submit and Audit
  EXPECT_EQ(all[0]["FDocumentStatus"], "C");
  // A third try (say the write-back was lost) finds it audited and changes nothing.
  rec.attempt = 3;
  int64_t audits = calls("Audit");
  auto third = sink->deliver(rec);
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_EQ(third->remote_id, second->remote_id);
  EXPECT_EQ(calls("Audit"), audits);
  EXPECT_EQ(bills().size(), 1u);
}

TEST_F(K3SimTest, FirstTriesDoNotQueryUnlessAlways) {
  auto sink = makeSink(settings());
  ASSERT_TRUE(sink->deliver(record("1")).ok());
  EXPECT_EQ(calls("ExecuteBillQuery"), 0) << "attempt 1 in retries mode saves directly";
  // The same record delivered again on attempt 1 (e.g. a replayed dead letter) is saved again:
  // the documented limit of `retries` mode; `always` closes it.
  auto always = makeSink(settings("validate_user", {{"lookup_before_save", "always"}}));
  auto rec = record("2");
  auto a = always->deliver(rec);
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto b = always->deliver(rec);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(a->remote_id, b->remote_id);
  EXPECT_EQ(countByRef(rec.idempotency_key), 1);
  EXPECT_EQ(calls("ExecuteBillQuery"), 2);
}

TEST_F(K3SimTest, MappingsOwnReferenceFieldIsUsedForTheLookup) {
  auto sink = makeSink(settings("validate_user", {{"lookup_before_save", "always"}}));
  auto body = orderBody();
  body["data"]["Model"]["FNetOrderBillNo"] = "WEB-2026-0001";
  auto a = sink->deliver(record("1", body));
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto b = sink->deliver(record("other-key", body));  // another message, same order
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(a->remote_id, b->remote_id);
  EXPECT_EQ(countByRef("WEB-2026-0001"), 1);
}

TEST_F(K3SimTest, WrongAccountIdOnSignedRequests) {
  auto sink = makeSink(settings("xapi", {{"acct_id", "no-such-acct"}}));
  auto d = sink->deliver(record("1"));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("Fail to verify thirty passport"), std::string::npos)
      << d.error().message;
  EXPECT_NE(d.error().message.find("acct_id"), std::string::npos) << d.error().message;
}

}  // namespace
}  // namespace k3test
