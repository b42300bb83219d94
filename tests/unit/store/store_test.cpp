// Schema, ingest and claiming: leases, fencing, per-key order, retry scheduling.
#include "store_test_util.h"

namespace qiao::store::testing {
namespace {

using Kind = Completion::Kind;

TEST_F(StoreTest, MigrationsAreIdempotent) {
  int v = store_->schemaVersion();
  EXPECT_GE(v, 1);
  ASSERT_TRUE(store_->migrate().ok());
  EXPECT_EQ(store_->schemaVersion(), v);
  int64_t id = ingestOne(msg("r", "{\"a\":1}"));
  store_.reset();
  store_ = open();  // second open of an existing file
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->schemaVersion(), v);
  EXPECT_EQ(get(id).record.payload, "{\"a\":1}");  // data kept
}

TEST_F(StoreTest, OpenFailsCleanlyOnUnusablePath) {
  SqliteOptions o;
  o.path = "/proc/definitely/not/here.db";
  auto r = openSqliteStore(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kStoreError);
  EXPECT_NE(r.error().message.find("store: open"), std::string::npos) << r.error().message;
}

TEST_F(StoreTest, IngestStoresTheRecordAsPending) {
  int64_t id = ingestOne(msg("crm-to-erp", "{\"x\":1}", "idem-1", "cust-1", "SO-1"), kT0);
  Message m = get(id);
  EXPECT_EQ(m.route, "crm-to-erp");
  EXPECT_EQ(m.status, MessageStatus::kPending);
  EXPECT_EQ(m.attempt, 0);
  EXPECT_EQ(m.next_attempt_at_ms, kT0);
  EXPECT_EQ(m.order_key, "cust-1");
  EXPECT_EQ(m.record.business_key, "SO-1");
  EXPECT_EQ(m.record.idempotency_key, "idem-1");
  EXPECT_EQ(m.record.trace_id, "trace-{\"x\":1}");
  EXPECT_EQ(m.record.entity, "order");
  EXPECT_EQ(m.record.source_system, "crm");
  EXPECT_EQ(m.record.created_at_ms, kT0);
}

TEST_F(StoreTest, DuplicateIdempotencyKeyGivesOneMessage) {
  std::vector<NewMessage> batch{msg("r", "1", "k1"), msg("r", "2", "k1"), msg("r", "3", "k2"),
                                msg("other", "4", "k1"), msg("r", "5", ""), msg("r", "6", "")};
  auto r = store_->ingest(batch, kT0);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 6u);
  EXPECT_FALSE((*r)[0].duplicate);
  EXPECT_TRUE((*r)[1].duplicate);  // same batch
  EXPECT_EQ((*r)[1].id, (*r)[0].id);
  EXPECT_FALSE((*r)[2].duplicate);
  EXPECT_FALSE((*r)[3].duplicate);  // keys are per route
  EXPECT_NE((*r)[3].id, (*r)[0].id);
  EXPECT_FALSE((*r)[4].duplicate);  // empty key: no deduplication
  EXPECT_FALSE((*r)[5].duplicate);
  EXPECT_NE((*r)[4].id, (*r)[5].id);

  std::vector<NewMessage> again{msg("r", "changed", "k1")};
  auto r2 = store_->ingest(again, kT0 + 10);
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE((*r2)[0].duplicate);
  EXPECT_EQ((*r2)[0].id, (*r)[0].id);
  EXPECT_EQ(get((*r)[0].id).record.payload, "1");  // the first one is kept

  MessageFilter f;
  f.route = "r";
  auto list = store_->listMessages(f);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 4u);
}

TEST_F(StoreTest, IngestRejectsEmptyRoute) {
  std::vector<NewMessage> batch{msg("", "1")};
  auto r = store_->ingest(batch, kT0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(StoreTest, ClaimLeasesAndRespectsLimit) {
  std::vector<int64_t> all;
  for (int i = 0; i < 5; ++i) all.push_back(ingestOne(msg("r", std::to_string(i))));
  ingestOne(msg("elsewhere", "x"));
  ingestOne(msg("r", "later"), kT0 + 60000);  // not due yet

  auto first = claim("w1", {"r"}, 3, kT0 + 1, 10000);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(ids(first), (std::vector<int64_t>{all[0], all[1], all[2]}));  // oldest first
  for (const auto& m : first) {
    EXPECT_EQ(m.status, MessageStatus::kInflight);
    EXPECT_EQ(m.claimed_by, "w1");
    EXPECT_EQ(m.lease_until_ms, kT0 + 1 + 10000);
    EXPECT_EQ(m.attempt, 1);
    EXPECT_FALSE(m.record.payload.empty());
  }
  EXPECT_EQ(get(all[0]).status, MessageStatus::kInflight);

  auto second = claim("w1", {"r"}, 3, kT0 + 2);
  EXPECT_EQ(ids(second), (std::vector<int64_t>{all[3], all[4]}));
  EXPECT_TRUE(claim("w1", {"r"}, 3, kT0 + 3).empty());
  EXPECT_TRUE(claim("w1", {}, 3, kT0 + 3).empty());
  EXPECT_TRUE(claim("w1", {"r"}, 0, kT0 + 3).empty());
  auto other = claim("w1", {"elsewhere", "r", "elsewhere"}, 10, kT0 + 3);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].route, "elsewhere");
}

TEST_F(StoreTest, ExpiredLeaseIsReclaimedByAnotherWorker) {
  int64_t id = ingestOne(msg("r", "p"));
  auto a = claim("w1", {"r"}, 10, kT0, 1000);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(claim("w2", {"r"}, 10, kT0 + 500).empty());   // lease still held
  EXPECT_TRUE(claim("w2", {"r"}, 10, kT0 + 1000).empty());  // lease_until is inclusive
  auto b = claim("w2", {"r"}, 10, kT0 + 1001, 1000);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].id, id);
  EXPECT_EQ(b[0].attempt, 2);
  EXPECT_EQ(b[0].claimed_by, "w2");
}

TEST_F(StoreTest, StaleCompletionIsIgnored) {
  int64_t id = ingestOne(msg("r", "p"));
  auto a = claim("w1", {"r"}, 1, kT0, 1000);
  ASSERT_EQ(a.size(), 1u);
  auto b = claim("w2", {"r"}, 1, kT0 + 2000, 1000);
  ASSERT_EQ(b.size(), 1u);

  // w1 wakes up late: its outcome must not overwrite w2's lease.
  ASSERT_TRUE(completeOne(a[0], Kind::kDelivered, kT0 + 2100).ok());
  Message m = get(id);
  EXPECT_EQ(m.status, MessageStatus::kInflight);
  EXPECT_EQ(m.claimed_by, "w2");
  EXPECT_EQ(m.attempt, 2);
  ASSERT_TRUE(completeOne(a[0], Kind::kDead, kT0 + 2100, "late").ok());
  EXPECT_EQ(get(id).status, MessageStatus::kInflight);
  auto dl = store_->listDeadLetters({});
  ASSERT_TRUE(dl.ok());
  EXPECT_TRUE(dl->empty());
  auto journal = store_->attempts(id);
  ASSERT_TRUE(journal.ok());
  EXPECT_TRUE(journal->empty());

  ASSERT_TRUE(completeOne(b[0], Kind::kDelivered, kT0 + 2200).ok());
  m = get(id);
  EXPECT_EQ(m.status, MessageStatus::kDelivered);
  EXPECT_EQ(m.remote_id, "R-" + std::to_string(id));
  EXPECT_EQ(m.delivered_at_ms, kT0 + 2200);
  EXPECT_EQ(m.claimed_by, "");
  journal = store_->attempts(id);
  ASSERT_TRUE(journal.ok());
  ASSERT_EQ(journal->size(), 1u);
  EXPECT_EQ((*journal)[0].attempt, 2);
  EXPECT_EQ((*journal)[0].status, "delivered");
  EXPECT_EQ((*journal)[0].worker, "w2");
  EXPECT_EQ((*journal)[0].latency_us, 1234);

  // A repeated completion after delivery is stale as well.
  ASSERT_TRUE(completeOne(b[0], Kind::kRetry, kT0 + 2300, "x", kT0 + 9000).ok());
  EXPECT_EQ(get(id).status, MessageStatus::kDelivered);
}

TEST_F(StoreTest, PerKeyOrderingOnlyOldestPerKeyIsClaimable) {
  int64_t a1 = ingestOne(msg("r", "a1", "", "A"));
  int64_t b1 = ingestOne(msg("r", "b1", "", "B"));
  int64_t a2 = ingestOne(msg("r", "a2", "", "A"));
  int64_t u1 = ingestOne(msg("r", "u1"));
  int64_t a3 = ingestOne(msg("r", "a3", "", "A"));
  int64_t b2 = ingestOne(msg("r", "b2", "", "B"));
  int64_t a_other = ingestOne(msg("r2", "a-other-route", "", "A"));

  auto c1 = claim("w", {"r", "r2"}, 10, kT0 + 1);
  EXPECT_EQ(ids(c1), (std::vector<int64_t>{a1, b1, u1, a_other}));
  EXPECT_TRUE(claim("w", {"r"}, 10, kT0 + 2).empty());  // a2/b2 wait behind inflight heads

  ASSERT_TRUE(completeOne(c1[0], Kind::kDelivered, kT0 + 3).ok());  // A1 done
  auto c2 = claim("w", {"r"}, 10, kT0 + 4);
  EXPECT_EQ(ids(c2), (std::vector<int64_t>{a2}));  // B still blocked by inflight b1

  // A2 fails and waits for a retry: A3 must keep waiting behind it.
  ASSERT_TRUE(completeOne(c2[0], Kind::kRetry, kT0 + 5, "timeout", kT0 + 5000).ok());
  EXPECT_TRUE(claim("w", {"r"}, 10, kT0 + 6).empty());

  ASSERT_TRUE(completeOne(c1[1], Kind::kDelivered, kT0 + 7).ok());  // B1 done
  EXPECT_EQ(ids(claim("w", {"r"}, 10, kT0 + 8)), (std::vector<int64_t>{b2}));

  auto c3 = claim("w", {"r"}, 10, kT0 + 5000);
  EXPECT_EQ(ids(c3), (std::vector<int64_t>{a2}));
  ASSERT_TRUE(completeOne(c3[0], Kind::kDead, kT0 + 5001, "rejected").ok());
  // A dead head no longer blocks its key.
  EXPECT_EQ(ids(claim("w", {"r"}, 10, kT0 + 5002)), (std::vector<int64_t>{a3}));
}

TEST_F(StoreTest, RetrySchedulesNextAttempt) {
  int64_t id = ingestOne(msg("r", "p"));
  auto a = claim("w", {"r"}, 1, kT0);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_TRUE(completeOne(a[0], Kind::kRetry, kT0 + 10, "HTTP 503", kT0 + 5000).ok());
  Message m = get(id);
  EXPECT_EQ(m.status, MessageStatus::kPending);
  EXPECT_EQ(m.next_attempt_at_ms, kT0 + 5000);
  EXPECT_EQ(m.last_error, "HTTP 503");
  EXPECT_EQ(m.attempt, 1);
  EXPECT_EQ(m.claimed_by, "");

  std::vector<std::string> routes{"r"};
  auto due = store_->nextDueMs(routes);
  ASSERT_TRUE(due.ok());
  ASSERT_TRUE(due->has_value());
  EXPECT_EQ(**due, kT0 + 5000);
  std::vector<std::string> none{"nothing-here"};
  auto due_none = store_->nextDueMs(none);
  ASSERT_TRUE(due_none.ok());
  EXPECT_FALSE(due_none->has_value());

  EXPECT_TRUE(claim("w", {"r"}, 1, kT0 + 4999).empty());
  auto b = claim("w", {"r"}, 1, kT0 + 5000);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].attempt, 2);
  auto journal = store_->attempts(id);
  ASSERT_TRUE(journal.ok());
  ASSERT_EQ(journal->size(), 1u);
  EXPECT_EQ((*journal)[0].status, "failed");
  EXPECT_EQ((*journal)[0].error, "HTTP 503");
}

}  // namespace
}  // namespace qiao::store::testing
