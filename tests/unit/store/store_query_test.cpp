// Listings and counts over every status, after the schema keeps payloads in their own table
// and counts non-final rows through partial indexes.
#include <algorithm>

#include "store_test_util.h"

namespace qiao::store::testing {
namespace {

using Kind = Completion::Kind;

class QueryTest : public StoreTest {
 protected:
  // Route "a": 2 delivered, 1 dead, 2 inflight, 3 pending. Route "b": 1 pending, 1 dead.
  void SetUp() override {
    StoreTest::SetUp();
    for (int i = 0; i < 8; ++i) a_.push_back(ingestOne(msg("a", "{\"a\":" + std::to_string(i) + "}")));
    for (int i = 0; i < 2; ++i) b_.push_back(ingestOne(msg("b", "{\"b\":" + std::to_string(i) + "}")));
    auto first = claim("w1", {"a"}, 3, kT0);
    ASSERT_EQ(first.size(), 3u);
    ASSERT_TRUE(completeOne(first[0], Kind::kDelivered, kT0 + 1).ok());
    ASSERT_TRUE(completeOne(first[1], Kind::kDelivered, kT0 + 1).ok());
    ASSERT_TRUE(completeOne(first[2], Kind::kDead, kT0 + 1, "bad").ok());
    auto held = claim("w2", {"a"}, 2, kT0 + 2);
    ASSERT_EQ(held.size(), 2u);
    auto b = claim("w3", {"b"}, 1, kT0 + 2);
    ASSERT_EQ(b.size(), 1u);
    ASSERT_TRUE(completeOne(b[0], Kind::kDead, kT0 + 3, "bad").ok());
  }

  std::vector<int64_t> list(const std::string& route, std::optional<MessageStatus> status,
                            int limit = 50) {
    std::vector<int64_t> out;
    MessageFilter f;
    f.route = route;
    f.status = status;
    f.limit = limit;
    for (int page = 0; page < 20; ++page) {  // pages through everything, limit at a time
      auto r = store_->listMessages(f);
      EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
      if (!r.ok() || r->empty()) break;
      EXPECT_LE(static_cast<int>(r->size()), limit);
      for (const Message& m : *r) {
        if (status) EXPECT_EQ(m.status, *status);
        EXPECT_FALSE(m.record.payload.empty()) << m.id;  // joined from message_payloads
        out.push_back(m.id);
      }
      f.after_id = r->back().id;
    }
    EXPECT_TRUE(std::is_sorted(out.begin(), out.end()));
    return out;
  }

  std::vector<int64_t> a_, b_;
};

TEST_F(QueryTest, ListsEveryStatusWithAndWithoutRoute) {
  using S = MessageStatus;
  EXPECT_EQ(list("a", S::kDelivered), (std::vector<int64_t>{a_[0], a_[1]}));
  EXPECT_EQ(list("a", S::kDead), (std::vector<int64_t>{a_[2]}));
  EXPECT_EQ(list("a", S::kInflight), (std::vector<int64_t>{a_[3], a_[4]}));
  EXPECT_EQ(list("a", S::kPending), (std::vector<int64_t>{a_[5], a_[6], a_[7]}));
  EXPECT_EQ(list("", S::kDead), (std::vector<int64_t>{a_[2], b_[0]}));
  EXPECT_EQ(list("", S::kPending, 2), (std::vector<int64_t>{a_[5], a_[6], a_[7], b_[1]}));
  EXPECT_EQ(list("", S::kInflight, 1), (std::vector<int64_t>{a_[3], a_[4]}));
  EXPECT_EQ(list("", S::kDelivered), (std::vector<int64_t>{a_[0], a_[1]}));
  EXPECT_EQ(list("b", S::kPending), (std::vector<int64_t>{b_[1]}));
  EXPECT_TRUE(list("b", S::kInflight).empty());
  EXPECT_EQ(list("", std::nullopt, 3).size(), 10u);
  EXPECT_EQ(list("b", std::nullopt).size(), 2u);
}

TEST_F(QueryTest, QueueDepthsCountPendingInflightAndDead) {
  auto depths = store_->queueDepths();
  ASSERT_TRUE(depths.ok()) << depths.error().message;
  ASSERT_EQ(depths->size(), 2u);
  EXPECT_EQ((*depths)[0].route, "a");
  EXPECT_EQ((*depths)[0].pending, 3);
  EXPECT_EQ((*depths)[0].inflight, 2);
  EXPECT_EQ((*depths)[0].dead, 1);
  EXPECT_EQ((*depths)[1].route, "b");
  EXPECT_EQ((*depths)[1].pending, 1);
  EXPECT_EQ((*depths)[1].inflight, 0);
  EXPECT_EQ((*depths)[1].dead, 1);

  // A route whose rows are all final but dead still shows; an all-delivered one does not.
  auto rest = claim("w4", {"a", "b"}, 10, kT0 + 4);
  ASSERT_EQ(rest.size(), 4u);
  for (const Message& m : rest) ASSERT_TRUE(completeOne(m, Kind::kDelivered, kT0 + 5).ok());
  depths = store_->queueDepths();
  ASSERT_TRUE(depths.ok());
  ASSERT_EQ(depths->size(), 2u);
  EXPECT_EQ((*depths)[0].route, "a");
  EXPECT_EQ((*depths)[0].pending, 0);
  EXPECT_EQ((*depths)[0].inflight, 2);
  EXPECT_EQ((*depths)[0].dead, 1);
  EXPECT_EQ((*depths)[1].route, "b");
  EXPECT_EQ((*depths)[1].pending, 0);
  EXPECT_EQ((*depths)[1].dead, 1);
}

TEST_F(QueryTest, ReplayedPayloadIsWhatTheNextClaimReturns) {
  auto dead = store_->listDeadLetters({});
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 2u);
  ReplayRequest req;
  req.dead_letter_id = (*dead)[1].id;  // route b's first message
  req.corrected_payload = "{\"b\":\"fixed\"}";
  req.actor = "cli:test";
  req.now_ms = kT0 + 10;
  auto replayed = store_->replay(req);
  ASSERT_TRUE(replayed.ok()) << replayed.error().message;
  EXPECT_EQ(*replayed, b_[0]);
  EXPECT_EQ(get(b_[0]).record.payload, "{\"b\":\"fixed\"}");
  EXPECT_EQ(get(b_[1]).record.payload, "{\"b\":1}");  // its neighbour is untouched

  auto again = claim("w5", {"b"}, 10, kT0 + 10);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].id, b_[0]);
  EXPECT_EQ(again[0].record.payload, "{\"b\":\"fixed\"}");
  EXPECT_EQ(again[0].attempt, 1);
  EXPECT_EQ(again[1].record.payload, "{\"b\":1}");
  auto depths = store_->queueDepths();
  ASSERT_TRUE(depths.ok());
  ASSERT_EQ(depths->size(), 2u);
  EXPECT_EQ((*depths)[1].dead, 0);
  EXPECT_EQ((*depths)[1].inflight, 2);
}

TEST_F(QueryTest, DuplicateIngestKeepsTheFirstPayload) {
  int64_t first = ingestOne(msg("c", "{\"v\":1}", "k-1"));
  std::vector<NewMessage> dup{msg("c", "{\"v\":2}", "k-1"), msg("c", "{\"v\":3}", "k-2")};
  auto r = store_->ingest(dup, kT0);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE((*r)[0].duplicate);
  EXPECT_EQ((*r)[0].id, first);
  EXPECT_FALSE((*r)[1].duplicate);
  EXPECT_EQ(get(first).record.payload, "{\"v\":1}");
  EXPECT_EQ(get((*r)[1].id).record.payload, "{\"v\":3}");
}

}  // namespace
}  // namespace qiao::store::testing
