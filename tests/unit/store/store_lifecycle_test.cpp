// Dead letters and replay, lease release/renewal, listings, and the small key-value tables.
#include "store_test_util.h"

namespace qiao::store::testing {
namespace {

using Kind = Completion::Kind;

class DeadLetterTest : public StoreTest {
 protected:
  // One message dead after its first attempt; returns the dead letter id.
  int64_t makeDead() {
    msg_id_ = ingestOne(msg("crm-to-erp", "{\"qty\":-1}", "idem", "", "SO-77"));
    auto a = claim("w1", {"crm-to-erp"}, 1, kT0);
    EXPECT_EQ(a.size(), 1u);
    if (a.empty()) return 0;
    EXPECT_TRUE(completeOne(a[0], Kind::kDead, kT0 + 5, "qty must be positive").ok());
    auto list = store_->listDeadLetters({});
    EXPECT_TRUE(list.ok() && list->size() == 1u);
    return list.ok() && !list->empty() ? (*list)[0].id : 0;
  }
  int64_t msg_id_ = 0;
};

TEST_F(DeadLetterTest, DeadMessageIsListedAsDeadLetter) {
  int64_t dl_id = makeDead();
  ASSERT_NE(dl_id, 0);
  Message m = get(msg_id_);
  EXPECT_EQ(m.status, MessageStatus::kDead);
  EXPECT_EQ(m.last_error, "qty must be positive");

  auto dl = store_->getDeadLetter(dl_id);
  ASSERT_TRUE(dl.ok());
  ASSERT_TRUE(dl->has_value());
  EXPECT_EQ((*dl)->message_id, msg_id_);
  EXPECT_EQ((*dl)->route, "crm-to-erp");
  EXPECT_EQ((*dl)->business_key, "SO-77");
  EXPECT_EQ((*dl)->reason, "qty must be positive");
  EXPECT_EQ((*dl)->error_class, "permanent");
  EXPECT_EQ((*dl)->attempts, 1);
  EXPECT_EQ((*dl)->created_at_ms, kT0 + 5);
  EXPECT_EQ((*dl)->replayed_at_ms, 0);

  DeadLetterFilter f;
  f.business_key = "SO-77";
  auto by_key = store_->listDeadLetters(f);
  ASSERT_TRUE(by_key.ok());
  EXPECT_EQ(by_key->size(), 1u);
  f.business_key = "SO-78";
  by_key = store_->listDeadLetters(f);
  ASSERT_TRUE(by_key.ok());
  EXPECT_TRUE(by_key->empty());

  auto journal = store_->attempts(msg_id_);
  ASSERT_TRUE(journal.ok());
  ASSERT_EQ(journal->size(), 1u);
  EXPECT_EQ((*journal)[0].status, "dead");

  auto depths = store_->queueDepths();
  ASSERT_TRUE(depths.ok());
  ASSERT_EQ(depths->size(), 1u);
  EXPECT_EQ((*depths)[0].route, "crm-to-erp");
  EXPECT_EQ((*depths)[0].dead, 1);
  EXPECT_EQ((*depths)[0].pending, 0);
  auto missing = store_->getDeadLetter(dl_id + 100);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(DeadLetterTest, ReplayWithCorrectedPayload) {
  int64_t dl_id = makeDead();
  ASSERT_NE(dl_id, 0);
  ReplayRequest req;
  req.dead_letter_id = dl_id;
  req.corrected_payload = "{\"qty\":1}";
  req.actor = "key:ops1";
  req.reason = "fixed \"qty\" sign";
  req.now_ms = kT0 + 1000;
  auto r = store_->replay(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, msg_id_);

  Message m = get(msg_id_);
  EXPECT_EQ(m.status, MessageStatus::kPending);
  EXPECT_EQ(m.attempt, 0);
  EXPECT_EQ(m.next_attempt_at_ms, kT0 + 1000);
  EXPECT_EQ(m.record.payload, "{\"qty\":1}");
  EXPECT_EQ(m.record.updated_at_ms, kT0 + 1000);

  auto dl = store_->getDeadLetter(dl_id);
  ASSERT_TRUE(dl.ok() && dl->has_value());
  EXPECT_EQ((*dl)->replayed_at_ms, kT0 + 1000);
  EXPECT_EQ((*dl)->replayed_by, "key:ops1");
  auto open_only = store_->listDeadLetters({});
  ASSERT_TRUE(open_only.ok());
  EXPECT_TRUE(open_only->empty());
  DeadLetterFilter all;
  all.include_replayed = true;
  auto with_replayed = store_->listDeadLetters(all);
  ASSERT_TRUE(with_replayed.ok());
  EXPECT_EQ(with_replayed->size(), 1u);

  auto audit = store_->listAudit(10, 0);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  const AuditEntry& e = (*audit)[0];
  EXPECT_EQ(e.action, "dlq.replay");
  EXPECT_EQ(e.object, "dead_letter:" + std::to_string(dl_id));
  EXPECT_EQ(e.actor, "key:ops1");
  EXPECT_EQ(e.at_ms, kT0 + 1000);
  EXPECT_EQ(e.detail, "{\"message_id\":" + std::to_string(msg_id_) +
                          ",\"payload_changed\":true,\"reason\":\"fixed \\\"qty\\\" sign\","
                          "\"previous_payload\":{\"qty\":-1}}");

  // The replayed message is claimable again, from attempt 1.
  auto again = claim("w2", {"crm-to-erp"}, 5, kT0 + 1000);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempt, 1);

  auto second = store_->replay(req);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(second.error().message.find("already replayed"), std::string::npos)
      << second.error().message;
  auto audit2 = store_->listAudit(10, 0);
  ASSERT_TRUE(audit2.ok());
  EXPECT_EQ(audit2->size(), 1u);  // the failed replay left nothing behind

  req.dead_letter_id = dl_id + 42;
  auto unknown = store_->replay(req);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_NE(unknown.error().message.find("not found"), std::string::npos);
}

TEST_F(DeadLetterTest, ReplayWithoutCorrectionAndBadJson) {
  int64_t dl_id = makeDead();
  ASSERT_NE(dl_id, 0);
  ReplayRequest req;
  req.dead_letter_id = dl_id;
  req.corrected_payload = "{not json";
  req.actor = "cli:root";
  req.now_ms = kT0 + 10;
  auto bad = store_->replay(req);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kMalformedJson);
  EXPECT_EQ(get(msg_id_).status, MessageStatus::kDead);

  req.corrected_payload.reset();
  auto r = store_->replay(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(get(msg_id_).record.payload, "{\"qty\":-1}");
  auto audit = store_->listAudit(10, 0);
  ASSERT_TRUE(audit.ok() && audit->size() == 1u);
  EXPECT_NE((*audit)[0].detail.find("\"payload_changed\":false"), std::string::npos);
}

// The attempt budget starts over after a replay, but Record::attempt keeps counting: a sink
// must know that an earlier try (before the dead letter) may have taken effect.
TEST_F(DeadLetterTest, RecordAttemptCountsTriesBeforeAReplay) {
  int64_t dl_id = makeDead();
  ASSERT_NE(dl_id, 0);
  ReplayRequest req;
  req.dead_letter_id = dl_id;
  req.actor = "cli:root";
  req.now_ms = kT0 + 10;
  ASSERT_TRUE(store_->replay(req).ok());
  auto again = claim("w2", {"crm-to-erp"}, 1, kT0 + 11);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempt, 1);         // the fence and the retry budget
  EXPECT_EQ(again[0].record.attempt, 2);  // what the sink is told
}

TEST_F(StoreTest, ReleaseWorkerReturnsItsLeases) {
  for (int i = 0; i < 4; ++i) ingestOne(msg("r", std::to_string(i)));
  auto w1 = claim("w1", {"r"}, 3, kT0);
  auto w2 = claim("w2", {"r"}, 3, kT0);
  ASSERT_EQ(w1.size(), 3u);
  ASSERT_EQ(w2.size(), 1u);
  ASSERT_TRUE(store_->releaseWorker("w1").ok());
  for (const auto& m : w1) {
    Message now = get(m.id);
    EXPECT_EQ(now.status, MessageStatus::kPending);
    EXPECT_EQ(now.attempt, 1);  // kept: the fencing token must not be handed out twice
    EXPECT_EQ(now.claimed_by, "");
    EXPECT_EQ(now.lease_until_ms, 0);
  }
  EXPECT_EQ(get(w2[0].id).status, MessageStatus::kInflight);
  EXPECT_EQ(get(w2[0].id).claimed_by, "w2");
  auto again = claim("w3", {"r"}, 10, kT0 + 1);  // due at once, no lease expiry needed
  EXPECT_EQ(ids(again), ids(w1));
  for (const auto& m : again) EXPECT_EQ(m.attempt, 2);
  // A delivery of w1 that was still running when it shut down is fenced off.
  ASSERT_TRUE(completeOne(w1[0], Kind::kDelivered, kT0 + 2).ok());
  EXPECT_EQ(get(w1[0].id).status, MessageStatus::kInflight);
  EXPECT_EQ(get(w1[0].id).claimed_by, "w3");
}

TEST_F(StoreTest, ReleaseCompletionGivesTheAttemptBack) {
  int64_t id = ingestOne(msg("r", "p"));
  auto a = claim("w", {"r"}, 1, kT0);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_TRUE(completeOne(a[0], Kind::kRelease, kT0 + 7).ok());
  Message m = get(id);
  EXPECT_EQ(m.status, MessageStatus::kPending);
  EXPECT_EQ(m.attempt, 0);
  EXPECT_EQ(m.next_attempt_at_ms, kT0 + 7);
  auto journal = store_->attempts(id);
  ASSERT_TRUE(journal.ok());
  EXPECT_TRUE(journal->empty());  // a release is not an attempt
}

TEST_F(StoreTest, RenewLeasesExtendsOnlyOwnLeases) {
  int64_t id = ingestOne(msg("r", "p"));
  auto a = claim("w1", {"r"}, 1, kT0, 1000);
  ASSERT_EQ(a.size(), 1u);
  std::vector<int64_t> ids_v{id};
  ASSERT_TRUE(store_->renewLeases("intruder", ids_v, kT0 + 999999).ok());
  EXPECT_EQ(get(id).lease_until_ms, kT0 + 1000);
  ASSERT_TRUE(store_->renewLeases("w1", ids_v, kT0 + 10000).ok());
  EXPECT_EQ(get(id).lease_until_ms, kT0 + 10000);
  EXPECT_TRUE(claim("w2", {"r"}, 1, kT0 + 5000).empty());
  EXPECT_EQ(claim("w2", {"r"}, 1, kT0 + 10001).size(), 1u);
}

TEST_F(StoreTest, ListMessagesFiltersAndPages) {
  for (int i = 0; i < 7; ++i) ingestOne(msg(i % 2 ? "odd" : "even", std::to_string(i), "", "",
                                            i == 3 ? "SO-3" : ""));
  MessageFilter f;
  f.limit = 3;
  std::vector<int64_t> seen;
  for (int page = 0; page < 10; ++page) {
    auto r = store_->listMessages(f);
    ASSERT_TRUE(r.ok());
    if (r->empty()) break;
    EXPECT_LE(r->size(), 3u);
    for (const auto& m : *r) seen.push_back(m.id);
    f.after_id = r->back().id;
  }
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  MessageFilter odd;
  odd.route = "odd";
  odd.status = MessageStatus::kPending;
  auto r = store_->listMessages(odd);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 3u);
  MessageFilter bk;
  bk.business_key = "SO-3";
  r = store_->listMessages(bk);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].record.payload, "3");
  odd.status = MessageStatus::kDelivered;
  r = store_->listMessages(odd);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());

  claim("w", {"even"}, 1, kT0);
  auto depths = store_->queueDepths();
  ASSERT_TRUE(depths.ok());
  ASSERT_EQ(depths->size(), 2u);
  EXPECT_EQ((*depths)[0].route, "even");
  EXPECT_EQ((*depths)[0].pending, 3);
  EXPECT_EQ((*depths)[0].inflight, 1);
  EXPECT_EQ((*depths)[1].route, "odd");
  EXPECT_EQ((*depths)[1].pending, 3);
}

TEST_F(StoreTest, XrefWatermarksAuditAndApiKeysRoundTrip) {
  ASSERT_TRUE(store_->putXref({"customer", "k3cloud", "C-1", "100", kT0}).ok());
  ASSERT_TRUE(store_->putXref({"customer", "k3cloud", "C-1", "101", kT0 + 1}).ok());  // update
  auto byLocal = store_->findXrefByLocal("customer", "k3cloud", "C-1");
  ASSERT_TRUE(byLocal.ok() && byLocal->has_value());
  EXPECT_EQ((*byLocal)->remote_id, "101");
  EXPECT_EQ((*byLocal)->updated_at_ms, kT0 + 1);
  auto byRemote = store_->findXrefByRemote("customer", "k3cloud", "101");
  ASSERT_TRUE(byRemote.ok() && byRemote->has_value());
  EXPECT_EQ((*byRemote)->local_id, "C-1");
  auto gone = store_->findXrefByRemote("customer", "k3cloud", "100");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto otherSystem = store_->findXrefByLocal("customer", "sap", "C-1");
  ASSERT_TRUE(otherSystem.ok());
  EXPECT_FALSE(otherSystem->has_value());

  auto none = store_->getWatermark("crm.orders");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store_->setWatermark("crm.orders", "2024-01-01T00:00:00Z", kT0).ok());
  ASSERT_TRUE(store_->setWatermark("crm.orders", "2024-02-01T00:00:00Z", kT0 + 1).ok());
  auto wm = store_->getWatermark("crm.orders");
  ASSERT_TRUE(wm.ok() && wm->has_value());
  EXPECT_EQ(**wm, "2024-02-01T00:00:00Z");

  ASSERT_TRUE(store_->appendAudit({0, kT0, "cli:root", "key.create", "api_key:k1", "{}"}).ok());
  ASSERT_TRUE(store_->appendAudit({0, kT0 + 1, "cli:root", "key.revoke", "api_key:k1", "{}"}).ok());
  auto audit = store_->listAudit(1, 0);
  ASSERT_TRUE(audit.ok() && audit->size() == 1u);
  EXPECT_EQ((*audit)[0].action, "key.create");
  auto rest = store_->listAudit(10, (*audit)[0].id);
  ASSERT_TRUE(rest.ok() && rest->size() == 1u);
  EXPECT_EQ((*rest)[0].action, "key.revoke");
  EXPECT_EQ((*rest)[0].at_ms, kT0 + 1);

  ASSERT_TRUE(store_->putApiKey({"k1", "aa11", "admin", "ops", kT0, false}).ok());
  ASSERT_TRUE(store_->putApiKey({"k2", "bb22", "ingest", "crm", kT0, false}).ok());
  auto key = store_->findApiKeyByHash("aa11");
  ASSERT_TRUE(key.ok() && key->has_value());
  EXPECT_EQ((*key)->key_id, "k1");
  EXPECT_EQ((*key)->role, "admin");
  EXPECT_FALSE((*key)->revoked);
  ASSERT_TRUE(store_->putApiKey({"k1", "aa11", "admin", "ops", kT0 + 5, true}).ok());  // revoke
  key = store_->findApiKeyByHash("aa11");
  ASSERT_TRUE(key.ok() && key->has_value());
  EXPECT_TRUE((*key)->revoked);
  EXPECT_EQ((*key)->created_at_ms, kT0);
  Status clash = store_->putApiKey({"k3", "aa11", "admin", "dup", kT0, false});
  EXPECT_FALSE(clash.ok());  // hashes are unique
  if (!clash.ok()) {
    EXPECT_EQ(clash.error().code, ErrorCode::kStoreError);
  }
  auto keys = store_->listApiKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[1].key_id, "k2");
  auto unknown = store_->findApiKeyByHash("zz");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
}

}  // namespace
}  // namespace qiao::store::testing
