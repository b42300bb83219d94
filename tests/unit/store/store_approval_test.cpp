// The approval gate in the store: a held message is never claimed, its submit message is
// ingested with it, a decision arrives once (approve → pending, reject → dead letter plus a
// follow-up), timeouts are found and escalations replace the request.
#include "store_test_util.h"

namespace qiao::store::testing {
namespace {

using Kind = Completion::Kind;

NewMessage gated(const std::string& payload, const std::string& idem, int64_t timeout_at = 0) {
  NewMessage m = msg("orders", payload, idem, "", "SO-1");
  ApprovalGate g;
  g.rule = "/totalAmount gt 100000";
  g.via_route = "gm_approval";
  g.request = msg("gm_approval", "{\"record\":" + payload + "}", idem.empty() ? "" : idem + "/approval")
                  .record;
  g.timeout_at_ms = timeout_at;
  m.gate = g;
  return m;
}

ApprovalDecision decision(int64_t id, const std::string& state, const std::string& approver,
                          const std::string& comment, const std::string& reason, int64_t now) {
  ApprovalDecision d;
  d.message_id = id;
  d.state = state;
  d.approver = approver;
  d.comment = comment;
  d.reason = reason;
  d.now_ms = now;
  return d;
}

class StoreApprovalTest : public StoreTest {
 protected:
  Approval approval(int64_t id) {
    auto a = store_->getApproval(id);
    EXPECT_TRUE(a.ok() && a->has_value());
    return a.ok() && a->has_value() ? **a : Approval{};
  }
  // Claims and delivers the submit message, as the via route's sink answering request_id.
  void submit(const std::string& request_id, int64_t now) {
    auto got = claim("w", {"gm_approval"}, 10, now);
    ASSERT_EQ(got.size(), 1u);
    Completion c;
    c.message_id = got[0].id;
    c.attempt = got[0].attempt;
    c.kind = Kind::kDelivered;
    c.remote_id = request_id;
    c.worker = "w";
    c.now_ms = now;
    c.approval_request = true;
    c.approval_system = "wecom_oa";
    std::vector<Completion> v{c};
    ASSERT_TRUE(store_->complete(v).ok());
  }
  std::vector<std::string> journal(int64_t id) {
    auto a = store_->attempts(id);
    EXPECT_TRUE(a.ok());
    std::vector<std::string> out;
    if (a.ok())
      for (const auto& x : *a) out.push_back(x.status);
    return out;
  }
};

TEST_F(StoreApprovalTest, HeldMessageIsNeverClaimedAndItsRequestIsIngestedWithIt) {
  int64_t id = ingestOne(gated("{\"totalAmount\":\"250000\"}", "k1"), kT0);
  EXPECT_EQ(get(id).status, MessageStatus::kAwaitingApproval);
  EXPECT_TRUE(claim("w", {"orders"}, 10, kT0 + 1'000'000).empty());
  Approval a = approval(id);
  EXPECT_EQ(a.state, "waiting");
  EXPECT_EQ(a.route, "orders");
  EXPECT_EQ(a.via_route, "gm_approval");
  EXPECT_EQ(a.rule, "/totalAmount gt 100000");
  Message req = get(a.request_message_id);
  EXPECT_EQ(req.route, "gm_approval");
  EXPECT_EQ(req.status, MessageStatus::kPending);
  EXPECT_EQ(req.record.idempotency_key, "k1/approval");
  EXPECT_EQ(journal(id), std::vector<std::string>{"awaiting_approval"});

  // The same message again: a duplicate; no second request, no second approval row.
  std::vector<NewMessage> again{gated("{\"totalAmount\":\"250000\"}", "k1")};
  auto r = store_->ingest(again, kT0 + 5);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->at(0).duplicate);
  EXPECT_EQ(claim("w", {"gm_approval"}, 10, kT0 + 10).size(), 1u);
  ApprovalFilter f;
  f.state = "open";
  auto open = store_->listApprovals(f);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->size(), 1u);
}

TEST_F(StoreApprovalTest, SubmitThenApproveMakesTheMessageDeliverableOnce) {
  int64_t id = ingestOne(gated("{\"totalAmount\":\"250000\"}", "k1"), kT0);
  submit("202611270001", kT0 + 10);
  Approval a = approval(id);
  EXPECT_EQ(a.state, "submitted");
  EXPECT_EQ(a.request_id, "202611270001");
  EXPECT_EQ(a.system, "wecom_oa");
  auto found = store_->findApprovalByRequest("", "202611270001");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->message_id, id);
  auto other = store_->findApprovalByRequest("oa", "202611270001");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());

  ApprovalDecision d = decision(id, "approved", "zhangsan", "同意", "approved by zhangsan: 同意", kT0 + 20);
  auto first = store_->decideApproval(d);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(*first);
  auto second = store_->decideApproval(d);  // a retried callback
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  EXPECT_EQ(get(id).status, MessageStatus::kPending);
  EXPECT_EQ(claim("w", {"orders"}, 10, kT0 + 30).size(), 1u);
  a = approval(id);
  EXPECT_EQ(a.state, "approved");
  EXPECT_EQ(a.approver, "zhangsan");
  EXPECT_EQ(a.comment, "同意");
  EXPECT_EQ(journal(id), (std::vector<std::string>{"awaiting_approval", "approval_submitted", "approved"}));
}

TEST_F(StoreApprovalTest, RejectionDeadLettersTheMessageAndHandsOnAFollowUp) {
  int64_t id = ingestOne(gated("{\"totalAmount\":\"250000\"}", "k1"), kT0);
  submit("sp-9", kT0 + 10);
  ApprovalDecision d = decision(id, "rejected", "lisi", "价格太低", "approval rejected by lisi: 价格太低", kT0 + 20);
  d.follow_ups.push_back(msg("rejected_to_crm", "{\"decision\":\"rejected\"}", "k1/rejected"));
  auto r = store_->decideApproval(d);
  ASSERT_TRUE(r.ok() && *r);
  Message m = get(id);
  EXPECT_EQ(m.status, MessageStatus::kDead);
  EXPECT_EQ(m.last_error, "approval rejected by lisi: 价格太低");
  DeadLetterFilter df;
  df.route = "orders";
  auto dl = store_->listDeadLetters(df);
  ASSERT_TRUE(dl.ok());
  ASSERT_EQ(dl->size(), 1u);
  EXPECT_EQ(dl->at(0).error_class, "approval");
  EXPECT_EQ(dl->at(0).reason, "approval rejected by lisi: 价格太低");
  EXPECT_EQ(claim("w", {"rejected_to_crm"}, 10, kT0 + 30).size(), 1u);
  EXPECT_TRUE(claim("w", {"orders"}, 10, kT0 + 30).empty());
  // An approval arriving after the rejection changes nothing.
  d.state = "approved";
  auto late = store_->decideApproval(d);
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(*late);
  EXPECT_EQ(get(id).status, MessageStatus::kDead);
}

TEST_F(StoreApprovalTest, FailedSubmitIsJournalledAndTheMessageKeepsWaiting) {
  int64_t id = ingestOne(gated("{\"totalAmount\":\"250000\"}", "k1"), kT0);
  auto got = claim("w", {"gm_approval"}, 10, kT0 + 10);
  ASSERT_EQ(got.size(), 1u);
  Completion c;
  c.message_id = got[0].id;
  c.attempt = got[0].attempt;
  c.kind = Kind::kDead;
  c.error = "errcode 301055: template not found";
  c.error_class = "permanent";
  c.worker = "w";
  c.now_ms = kT0 + 20;
  c.approval_request = true;
  std::vector<Completion> v{c};
  ASSERT_TRUE(store_->complete(v).ok());
  EXPECT_EQ(get(id).status, MessageStatus::kAwaitingApproval);
  EXPECT_EQ(approval(id).state, "waiting");
  auto a = store_->attempts(id);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ(a->at(1).status, "approval_submit_failed");
  EXPECT_NE(a->at(1).error.find("template not found"), std::string::npos) << a->at(1).error;
}

TEST_F(StoreApprovalTest, TimeoutsAreFoundAndEscalationReplacesTheRequest) {
  int64_t id = ingestOne(gated("{\"totalAmount\":\"250000\"}", "k1", kT0 + 1000), kT0);
  ingestOne(gated("{\"totalAmount\":\"300000\"}", "k2"), kT0);  // no deadline
  auto due = store_->dueApprovals(kT0 + 999, 10);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
  due = store_->dueApprovals(kT0 + 1000, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->at(0).message_id, id);
  int64_t old_request = due->at(0).request_message_id;

  ApprovalEscalation e;
  e.message_id = id;
  e.request = msg("director_approval", "{\"record\":{}}", "k1/approval/escalated-1");
  e.timeout_at_ms = kT0 + 5000;
  e.now_ms = kT0 + 1000;
  auto r = store_->escalateApproval(e);
  ASSERT_TRUE(r.ok() && *r);
  // A second process that read the same row escalates nothing more.
  auto again = store_->escalateApproval(e);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  Approval a = approval(id);
  EXPECT_EQ(a.via_route, "director_approval");
  EXPECT_NE(a.request_message_id, old_request);
  EXPECT_EQ(a.escalations, 1);
  EXPECT_EQ(a.timeout_at_ms, kT0 + 5000);
  due = store_->dueApprovals(kT0 + 2000, 10);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
  EXPECT_EQ(claim("w", {"director_approval"}, 10, kT0 + 1001).size(), 1u);

  ApprovalDecision expire = decision(id, "expired", "", "", "approval timed out", kT0 + 6000);
  auto x = store_->decideApproval(expire);
  ASSERT_TRUE(x.ok() && *x);
  EXPECT_EQ(get(id).status, MessageStatus::kDead);
  // Escalating a decided approval does nothing.
  e.escalations = 1;
  e.request.record.idempotency_key = "k1/approval/escalated-2";
  auto late = store_->escalateApproval(e);
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(*late);
}

TEST_F(StoreApprovalTest, WaitingStateSurvivesReopen) {
  int64_t id = ingestOne(gated("{\"totalAmount\":\"250000\"}", "k1", kT0 + 1000), kT0);
  submit("sp-1", kT0 + 10);
  store_.reset();
  store_ = open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(get(id).status, MessageStatus::kAwaitingApproval);
  Approval a = approval(id);
  EXPECT_EQ(a.state, "submitted");
  EXPECT_EQ(a.request_id, "sp-1");
  EXPECT_EQ(a.timeout_at_ms, kT0 + 1000);
  MessageFilter mf;
  mf.route = "orders";
  mf.status = MessageStatus::kAwaitingApproval;
  auto list = store_->listMessages(mf);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
}

}  // namespace
}  // namespace qiao::store::testing
