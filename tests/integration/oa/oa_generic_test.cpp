// The `oa` connector, kind generic, against the generic OA simulator: create with the
// idempotency key, status through the status map, approver / comment / time, lookup on a
// retried submit after a lost answer, faults classified, unknown states refused clearly; and
// the sink built through the connector's descriptor.
#include <chrono>

#include "oa_harness.h"
#include "qiao/sdk/connector.h"

void qiao_register_oa(qiao::sdk::Registry& registry);

namespace oa_it {
namespace {

using qiao::ErrorClass;
using GenericTest = OaSimFixture;

TEST_F(GenericTest, CreateApproveAndReadBack) {
  auto c = client(genericSettings(port_, {{"create_body", {{"title", "订单 {/orderNo}"}, {"amount", "{/amount}"},
                                                           {"ref", "{key}"}}}}));
  ASSERT_NE(c, nullptr);
  auto id = c->submit(order("SO-1"), "g-1");
  ASSERT_TRUE(id.ok()) << id.error().message;
  json a = admin("GET", "/sim/oa/_approvals/" + *id);
  EXPECT_EQ(a["form"]["title"], "订单 SO-1");
  EXPECT_EQ(a["form"]["amount"], 150000);  // a whole-value placeholder keeps the number
  EXPECT_EQ(a["form"]["ref"], "g-1");
  EXPECT_EQ(a["externalId"], "g-1");       // the Idempotency-Key header
  auto st = c->status(*id);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->state, "in_approval");
  EXPECT_EQ(st->raw_state, "PENDING");
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  admin("POST", "/sim/oa/_approvals/" + *id + "/approve", {{"approver", "总经理"}, {"comment", "同意"}});
  st = c->status(*id);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->state, "approved");
  EXPECT_EQ(st->approver, "总经理");
  EXPECT_EQ(st->comment, "同意");
  EXPECT_NEAR(static_cast<double>(st->updated_ms), static_cast<double>(now), 5000.0);
}

TEST_F(GenericTest, RejectedWithdrawnAndCancelledAreNormalised) {
  auto c = client(genericSettings(port_));
  auto r = c->submit(order("A"), "a"), w = c->submit(order("B"), "b"), x = c->submit(order("C"), "c");
  ASSERT_TRUE(r.ok() && w.ok() && x.ok());
  admin("POST", "/sim/oa/_approvals/" + *r + "/reject", {{"approver", "finance"}, {"comment", "超出信用额度"}});
  admin("POST", "/sim/oa/_approvals/" + *w + "/withdraw");
  admin("POST", "/sim/oa/_approvals/" + *x + "/cancel");
  EXPECT_EQ(c->status(*r)->state, "rejected");
  EXPECT_EQ(c->status(*r)->comment, "超出信用额度");
  EXPECT_EQ(c->status(*w)->state, "withdrawn");
  EXPECT_EQ(c->status(*x)->state, "terminated");
}

TEST_F(GenericTest, RetriedSubmitIsFoundByLookup) {
  auto c = client(genericSettings(port_, {{"timeout", 1000}}));
  admin("POST", "/sim/oa/_faults", {{"mode", "timeout_after_commit"}, {"delay_ms", 2500}, {"count", 1}});
  auto lost = c->submit(order("SO-L"), "lost-2");
  ASSERT_FALSE(lost.ok());
  auto restarted = client(genericSettings(port_));
  auto retry = restarted->submit(order("SO-L"), "lost-2", 2);
  ASSERT_TRUE(retry.ok()) << retry.error().message;
  EXPECT_EQ(genericCreated(), 1);
  json calls = admin("GET", "/sim/oa/_stats")["calls"];
  EXPECT_EQ(calls["GET approvals"], 1) << "one lookup by key";
  EXPECT_EQ(calls["POST approvals"], 1) << "no second create: " << calls.dump();
}

TEST_F(GenericTest, FaultsAndUnknownStatesAreClassified) {
  auto c = client(genericSettings(port_, {{"timeout", 1000}, {"status_map", {{"PENDING", "in_approval"}}}}));
  admin("POST", "/sim/oa/_faults", {{"mode", "status"}, {"status", 502}, {"count", 1}});
  auto e = c->submit(order("X"), "x1");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().klass, ErrorClass::kTransient);
  admin("POST", "/sim/oa/_faults", {{"mode", "timeout"}, {"delay_ms", 3000}, {"count", 1}});
  e = c->submit(order("X"), "x2");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().klass, ErrorClass::kTransient);
  admin("POST", "/sim/oa/_faults", {{"mode", "status"}, {"status", 422}, {"count", 1}});
  e = c->submit(order("X"), "x3");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().klass, ErrorClass::kPermanent);
  EXPECT_NE(e.error().message.find("HTTP 422"), std::string::npos) << e.error().message;
  auto id = c->submit(order("X"), "x4");
  ASSERT_TRUE(id.ok());
  admin("POST", "/sim/oa/_approvals/" + *id + "/approve");
  auto st = c->status(*id);  // APPROVED is not in this status_map
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().klass, ErrorClass::kPermanent);
  EXPECT_NE(st.error().message.find("\"APPROVED\" is not in status_map"), std::string::npos) << st.error().message;
  auto wrong_token = client(genericSettings(port_, {{"auth_token", "nope-secret-value"}}));
  auto denied = wrong_token->submit(order("X"), "x5");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().klass, ErrorClass::kAuthExpired);
  EXPECT_EQ(denied.error().message.find("nope-secret-value"), std::string::npos);
}

TEST_F(GenericTest, SinkThroughTheDescriptor) {
  qiao::sdk::Registry registry;
  qiao_register_oa(registry);
  const auto* d = registry.find("oa");
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(d->isSink());
  auto sink = d->make_sink({"approvals", genericSettings(port_).dump()}, {"approvals", dir_.path()});
  ASSERT_TRUE(sink.ok()) << sink.error().message;
  qiao::Record r;
  r.payload = order("SO-S");
  r.idempotency_key = "sink-1";
  r.attempt = 1;
  auto del = (*sink)->deliver(r);
  ASSERT_TRUE(del.ok()) << del.error().message;
  json result = json::parse(del->result_json);
  EXPECT_EQ(result["requestId"], del->remote_id);
  EXPECT_EQ(result["state"], "in_approval");
  r.attempt = 2;
  auto again = (*sink)->deliver(r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->remote_id, del->remote_id);
  EXPECT_EQ(genericCreated(), 1);
  EXPECT_TRUE((*sink)->health().healthy);
  auto weaver = d->make_sink({"e9", weaverSettings(port_).dump()}, {"e9", dir_.path()});
  ASSERT_TRUE(weaver.ok()) << weaver.error().message;
  auto wd = (*weaver)->deliver(r);
  ASSERT_TRUE(wd.ok()) << wd.error().message;
  EXPECT_EQ(json::parse(wd->result_json)["state"], "in_approval");
  // The registration went to the instance's data dir.
  EXPECT_NE(tk::readFile(dir_.file("weaver-registration.json")).find("sim-weaver-app"), std::string::npos);
}

}  // namespace
}  // namespace oa_it
