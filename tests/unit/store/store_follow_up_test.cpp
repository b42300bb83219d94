// A delivered completion carries the xref rows and follow-up messages of the route's
// on_delivered: they commit with the delivery, and only when the fence accepts it.
#include "store_test_util.h"

namespace qiao::store::testing {
namespace {

using Kind = Completion::Kind;

Completion delivered(const Message& m, int64_t now) {
  Completion c;
  c.message_id = m.id;
  c.attempt = m.attempt;
  c.kind = Kind::kDelivered;
  c.remote_id = "XSDD000001";
  c.worker = m.claimed_by;
  c.now_ms = now;
  XrefEntry x;
  x.entity = "order";
  x.system = "k3cloud";
  x.local_id = "SO-1";
  x.remote_id = "100001";
  x.remote_number = "XSDD000001";
  x.updated_at_ms = now;
  c.xrefs.push_back(x);
  c.follow_ups.push_back(msg("writeback", "{\"n\":1}", "idem-1/writeback", "", "SO-1"));
  return c;
}

TEST_F(StoreTest, DeliveredCompletionWritesXrefAndFollowUpTogether) {
  ingestOne(msg("push", "{}", "idem-1", "", "SO-1"));
  auto a = claim("w", {"push"}, 1, kT0);
  ASSERT_EQ(a.size(), 1u);
  std::vector<Completion> v{delivered(a[0], kT0 + 5)};
  ASSERT_TRUE(store_->complete(v).ok());

  auto x = store_->findXrefByLocal("order", "k3cloud", "SO-1");
  ASSERT_TRUE(x.ok() && x->has_value());
  EXPECT_EQ((*x)->remote_id, "100001");
  EXPECT_EQ((*x)->remote_number, "XSDD000001");
  // Found by either identity.
  auto byNumber = store_->findXrefByRemote("order", "k3cloud", "XSDD000001");
  ASSERT_TRUE(byNumber.ok() && byNumber->has_value());
  EXPECT_EQ((*byNumber)->local_id, "SO-1");
  auto byId = store_->findXrefByRemote("order", "k3cloud", "100001");
  ASSERT_TRUE(byId.ok() && byId->has_value());

  auto next = claim("w", {"writeback"}, 10, kT0 + 6);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].record.payload, "{\"n\":1}");
  EXPECT_EQ(next[0].record.business_key, "SO-1");
  EXPECT_EQ(next[0].record.attempt, 1);
}

TEST_F(StoreTest, StaleDeliveredCompletionWritesNeitherXrefNorFollowUp) {
  ingestOne(msg("push", "{}", "idem-1", "", "SO-1"));
  auto first = claim("w1", {"push"}, 1, kT0, 1000);
  ASSERT_EQ(first.size(), 1u);
  // The lease runs out and another worker takes the message: attempt 2 now owns it.
  auto second = claim("w2", {"push"}, 1, kT0 + 2000, 1000);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].record.attempt, 2);
  std::vector<Completion> stale{delivered(first[0], kT0 + 2001)};
  ASSERT_TRUE(store_->complete(stale).ok());
  auto x = store_->findXrefByLocal("order", "k3cloud", "SO-1");
  ASSERT_TRUE(x.ok());
  EXPECT_FALSE(x->has_value());
  EXPECT_TRUE(claim("w", {"writeback"}, 10, kT0 + 2002).empty());
}

TEST_F(StoreTest, FollowUpWithAKnownIdempotencyKeyIsNotIngestedTwice) {
  ingestOne(msg("push", "{}", "idem-1", "", "SO-1"));
  ingestOne(msg("push", "{}", "idem-2", "", "SO-1"));
  auto a = claim("w", {"push"}, 2, kT0);
  ASSERT_EQ(a.size(), 2u);
  // Both deliveries hand on the same follow-up key (one logical write-back).
  std::vector<Completion> v{delivered(a[0], kT0 + 1), delivered(a[1], kT0 + 1)};
  ASSERT_TRUE(store_->complete(v).ok());
  EXPECT_EQ(claim("w", {"writeback"}, 10, kT0 + 2).size(), 1u);
}

}  // namespace
}  // namespace qiao::store::testing
