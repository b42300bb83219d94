// The planner: echo suppression, ownership, newest-wins, conflicts, lifecycle policies.
#include <gtest/gtest.h>

#include "qiao/sync/match.h"
#include "qiao/sync/planner.h"

namespace qiao::sync {
namespace {

SyncConfig config() {
  SyncConfig c;
  c.sides = {{"crm", LifecyclePolicy::kFlag, LifecyclePolicy::kMirror, "syncRemark", {}},
             {"k3", LifecyclePolicy::kMirror, LifecyclePolicy::kMirror, "", {}}};
  c.fields = {"name", "phone", "address", "grade", "creditLimit"};
  c.owner = {{"grade", "crm"}, {"creditLimit", "k3"}};
  return c;
}

const FieldMap kBase = {{"name", "苏州华东精密机械有限公司"},
                        {"phone", "051262588888"},
                        {"address", "工业园区星湖街328号"},
                        {"grade", "A"},
                        {"creditLimit", "500000"}};

// One customer linked crm C1 <-> k3 100501, both sides holding kBase.
SyncState linkedState(const SyncConfig& c, const FieldMap& base = kBase) {
  SyncState st;
  Link l;
  l.link_id = "crm:C1";
  l.base = base;
  l.base_known = true;
  l.sides["crm"] = {"C1", contentHash(base, c.fieldsOf("crm"), false, false), false, false};
  l.sides["k3"] = {"100501", contentHash(base, c.fieldsOf("k3"), false, false), false, false};
  EXPECT_TRUE(st.add(l).ok());
  return st;
}

CustomerRecord rec(std::string id, FieldMap f, int64_t t) {
  CustomerRecord r;
  r.id = std::move(id);
  r.fields = std::move(f);
  r.modified_ms = t;
  return r;
}

FieldMap with(FieldMap f, const std::string& k, const std::string& v) {
  f[k] = v;
  return f;
}

Plan mustPlan(const SyncConfig& c, const SyncState& st, const std::vector<ChangeBatch>& b) {
  auto p = plan(c, st, b);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? std::move(p).value() : Plan{};
}

TEST(SyncConfigCheck, EveryProblemListedAtOnce) {
  SyncConfig c = config();
  c.owner["fax"] = "crm";
  c.owner["name"] = "wecom";
  c.sides[1].carries = {"name", "mobile"};
  c.sides[0].flag_field = "phone";
  Status s = c.validate();
  ASSERT_FALSE(s.ok());
  const std::string& m = s.error().message;
  EXPECT_NE(m.find("owner.fax: not a synced field"), std::string::npos) << m;
  EXPECT_NE(m.find("owner.name: unknown side 'wecom'"), std::string::npos) << m;
  EXPECT_NE(m.find("sides[1].carries: 'mobile' is not in fields"), std::string::npos) << m;
  EXPECT_NE(m.find("sides[0].flag_field: 'phone' is a synced field"), std::string::npos) << m;
  EXPECT_TRUE(config().validate().ok());
}

TEST(SyncHash, StableOrderFreeAndSensitiveToContentAndFlags) {
  SyncConfig c = config();
  uint64_t h = contentHash(kBase, c.fieldsOf("crm"), false, false);
  FieldMap extra = with(kBase, "notSynced", "x");
  EXPECT_EQ(contentHash(extra, c.fieldsOf("crm"), false, false), h);
  EXPECT_NE(contentHash(with(kBase, "phone", "051262588889"), c.fieldsOf("crm"), false, false), h);
  EXPECT_NE(contentHash(kBase, c.fieldsOf("crm"), true, false), h);
  // "ab"+"c" and "a"+"bc" differ
  EXPECT_NE(contentHash({{"name", "ab"}, {"phone", "c"}}, {"name", "phone"}, false, false),
            contentHash({{"name", "a"}, {"phone", "bc"}}, {"name", "phone"}, false, false));
  // empty value == absent
  EXPECT_EQ(contentHash(with(kBase, "fax", ""), {"fax", "name"}, false, false),
            contentHash(kBase, {"fax", "name"}, false, false));
  // stored across builds: pinned
  EXPECT_EQ(contentHash(FieldMap{{"name", "甲"}}, {"name"}, false, false),
            16600514142099662905ull);  // FNV-1a 64 computed independently
}

TEST(SyncPlan, EchoOfOwnWriteIsDropped) {
  SyncConfig c = config();
  SyncState st = linkedState(c);
  // k3 reports the record exactly as the gateway last wrote it (newer modify date: our write)
  Plan p = mustPlan(c, st, {{"k3", {rec("100501", kBase, 9000)}}});
  EXPECT_TRUE(p.writes.empty());
  EXPECT_TRUE(p.links.empty());
  ASSERT_EQ(p.echoes.size(), 1u);
  EXPECT_EQ(p.echoes[0], (Echo{"k3", "100501"}));
}

TEST(SyncPlan, ChangeWritesOnlyTheChangedFieldsThenItsEchoStops) {
  SyncConfig c = config();
  SyncState st = linkedState(c);
  FieldMap crm = with(with(kBase, "phone", "051262589999"), "address", "星湖街328号2幢");
  Plan p = mustPlan(c, st, {{"crm", {rec("C1", crm, 1000)}}});
  ASSERT_EQ(p.writes.size(), 1u);
  const Write& w = p.writes[0];
  EXPECT_EQ(w.kind, WriteKind::kUpdate);
  EXPECT_EQ(w.side, "k3");
  EXPECT_EQ(w.target_id, "100501");
  EXPECT_EQ(w.fields, (FieldMap{{"address", "星湖街328号2幢"}, {"phone", "051262589999"}}));
  EXPECT_TRUE(p.conflicts.empty());
  ASSERT_TRUE(st.apply(p.links).ok());
  // k3 now reports what we wrote: an echo, nothing written back to crm
  FieldMap k3now = crm;
  Plan echo = mustPlan(c, st, {{"k3", {rec("100501", k3now, 2000)}}});
  EXPECT_TRUE(echo.writes.empty());
  EXPECT_EQ(echo.echoes.size(), 1u);
}

TEST(SyncPlan, OwnedFieldsComeFromTheOwner) {
  SyncConfig c = config();
  SyncState st = linkedState(c);
  // crm (later) edits creditLimit which k3 owns; k3 edits grade which crm owns
  Plan p = mustPlan(c, st, {{"crm", {rec("C1", with(kBase, "creditLimit", "900000"), 5000)}},
                            {"k3", {rec("100501", with(kBase, "grade", "C"), 1000)}}});
  EXPECT_TRUE(p.conflicts.empty());
  ASSERT_EQ(p.writes.size(), 2u);
  EXPECT_EQ(p.writes[0].side, "crm");
  EXPECT_EQ(p.writes[0].fields, (FieldMap{{"creditLimit", "500000"}}));
  EXPECT_EQ(p.writes[1].side, "k3");
  EXPECT_EQ(p.writes[1].fields, (FieldMap{{"grade", "A"}}));
  ASSERT_EQ(p.overrides.size(), 2u);
  // in canonical (sorted) field order
  EXPECT_EQ(p.overrides[0],
            (Override{"crm:C1", "creditLimit", "crm", "C1", "900000", "k3", "500000"}));
  EXPECT_EQ(p.overrides[1], (Override{"crm:C1", "grade", "k3", "100501", "C", "crm", "A"}));
  // the owner's own edit goes through
  Plan q = mustPlan(c, st, {{"k3", {rec("100501", with(kBase, "creditLimit", "800000"), 1000)}}});
  ASSERT_EQ(q.writes.size(), 1u);
  EXPECT_EQ(q.writes[0].side, "crm");
  EXPECT_EQ(q.writes[0].fields, (FieldMap{{"creditLimit", "800000"}}));
}

TEST(SyncPlan, SharedFieldNewestWinsAndTheConflictIsRecorded) {
  SyncConfig c = config();
  SyncState st = linkedState(c);
  Plan p = mustPlan(c, st,
                    {{"crm", {rec("C1", with(kBase, "phone", "13800138000"), 1764200000000)}},
                     {"k3", {rec("100501", with(kBase, "phone", "051262580000"), 1764200060000)}}});
  ASSERT_EQ(p.conflicts.size(), 1u);
  const Conflict& cf = p.conflicts[0];
  EXPECT_EQ(cf.field, "phone");
  EXPECT_EQ(cf.winner_side, "k3");
  EXPECT_EQ(cf.winner_value, "051262580000");
  EXPECT_EQ(cf.rule, "newest");
  ASSERT_EQ(cf.values.size(), 2u);
  EXPECT_EQ(cf.values[0], (ConflictValue{"crm", "C1", "13800138000", 1764200000000}));
  EXPECT_EQ(cf.values[1], (ConflictValue{"k3", "100501", "051262580000", 1764200060000}));
  ASSERT_EQ(p.writes.size(), 1u);  // only the loser is corrected
  EXPECT_EQ(p.writes[0].side, "crm");
  EXPECT_EQ(p.writes[0].fields, (FieldMap{{"phone", "051262580000"}}));
}

TEST(SyncPlan, ExactTieGoesToTheFirstListedSide) {
  SyncConfig c = config();
  SyncState st = linkedState(c);
  Plan p = mustPlan(c, st, {{"k3", {rec("100501", with(kBase, "address", "B"), 7)}},
                            {"crm", {rec("C1", with(kBase, "address", "A"), 7)}}});
  ASSERT_EQ(p.conflicts.size(), 1u);
  EXPECT_EQ(p.conflicts[0].winner_side, "crm");
  EXPECT_EQ(p.conflicts[0].rule, "tie: first side");
  // the same edit on both sides is no conflict and needs no write
  Plan same = mustPlan(c, st, {{"k3", {rec("100501", with(kBase, "address", "A"), 7)}},
                               {"crm", {rec("C1", with(kBase, "address", "A"), 9)}}});
  EXPECT_TRUE(same.conflicts.empty());
  EXPECT_TRUE(same.writes.empty());
  ASSERT_EQ(same.links.size(), 1u);
  EXPECT_EQ(fieldValue(same.links[0].base, "address"), "A");
}

TEST(SyncPlan, SameInputsSamePlan) {
  SyncConfig c = config();
  SyncState st = linkedState(c);
  std::vector<ChangeBatch> b = {{"crm", {rec("C1", with(kBase, "name", "x"), 5)}},
                                {"k3", {rec("100501", with(kBase, "name", "y"), 5),
                                        rec("100777", {{"name", "新客户有限公司"}}, 3)}}};
  Plan p1 = mustPlan(c, st, b);
  Plan p2 = mustPlan(c, st, b);
  EXPECT_EQ(p1.writes, p2.writes);
  EXPECT_EQ(p1.conflicts, p2.conflicts);
  EXPECT_EQ(p1.links, p2.links);
  EXPECT_EQ(p1.writes.size(), 2u);  // k3 corrected (tie: crm wins) + create on crm
}

TEST(SyncPlan, FirstSyncFillsGapsAndRecordsRealDifferences) {
  SyncConfig c = config();
  SyncState st;
  ASSERT_TRUE(st.add(linkFromMatch("crm", "C1", "k3", "100501")).ok());
  FieldMap crm = {{"name", "苏州华东精密机械有限公司"}, {"phone", "0512-62588888"}, {"grade", "A"}};
  FieldMap k3 = {{"name", "苏州华东精密机械有限责任公司"},
                 {"address", "工业园区星湖街328号"},
                 {"creditLimit", "500000"}};
  Plan p = mustPlan(c, st, {{"crm", {rec("C1", crm, 200)}}, {"k3", {rec("100501", k3, 100)}}});
  ASSERT_EQ(p.conflicts.size(), 1u);  // name differs on both sides
  EXPECT_EQ(p.conflicts[0].field, "name");
  EXPECT_EQ(p.conflicts[0].winner_side, "crm");
  EXPECT_EQ(p.conflicts[0].rule, "first sync: newest");
  ASSERT_EQ(p.writes.size(), 2u);
  EXPECT_EQ(p.writes[0].side, "crm");
  EXPECT_EQ(p.writes[0].fields,
            (FieldMap{{"address", "工业园区星湖街328号"}, {"creditLimit", "500000"}}));
  EXPECT_EQ(p.writes[1].side, "k3");
  EXPECT_EQ(p.writes[1].fields, (FieldMap{{"grade", "A"},
                                          {"name", "苏州华东精密机械有限公司"},
                                          {"phone", "0512-62588888"}}));
}

TEST(SyncPlan, UnlinkedRecordIsCreatedOrReviewed) {
  SyncConfig c = config();
  SyncState st = linkedState(c);
  CustomerRecord fresh = rec("C9", {{"name", "无锡新区电子有限公司"}, {"phone", "0510-1"}}, 1);
  Plan p = mustPlan(c, st, {{"crm", {fresh}}});
  ASSERT_EQ(p.writes.size(), 1u);
  EXPECT_EQ(p.writes[0].kind, WriteKind::kCreate);
  EXPECT_EQ(p.writes[0].side, "k3");
  EXPECT_EQ(p.writes[0].link_id, "crm:C9");
  EXPECT_EQ(p.writes[0].fields, fresh.fields);
  ASSERT_TRUE(st.apply(p.links).ok());
  ASSERT_TRUE(st.setSideId("crm:C9", "k3", "100900").ok());
  // the created record read back from k3 is an echo
  Plan echo = mustPlan(c, st, {{"k3", {rec("100900", fresh.fields, 2)}}});
  EXPECT_TRUE(echo.writes.empty());
  EXPECT_EQ(echo.echoes.size(), 1u);

  c.create_unlinked = false;
  Plan r = mustPlan(c, st, {{"crm", {rec("C10", {{"name", "x"}}, 1)}}});
  EXPECT_TRUE(r.writes.empty());
  ASSERT_EQ(r.review.size(), 1u);
  EXPECT_EQ(r.review[0].reason, "no cross-reference and create_unlinked is off");
}

TEST(SyncPolicy, ForbidInK3IsMirroredAndRecorded) {
  SyncConfig c = config();
  SyncState st = linkedState(c);
  CustomerRecord k3 = rec("100501", kBase, 10);
  k3.forbidden = true;
  Plan p = mustPlan(c, st, {{"k3", {k3}}});
  ASSERT_EQ(p.writes.size(), 1u);
  EXPECT_EQ(p.writes[0].kind, WriteKind::kForbid);
  EXPECT_EQ(p.writes[0].side, "crm");
  EXPECT_EQ(p.writes[0].target_id, "C1");
  ASSERT_EQ(p.policies.size(), 1u);
  EXPECT_EQ(p.policies[0].event, "forbid");
  EXPECT_EQ(p.policies[0].policy, LifecyclePolicy::kMirror);
  EXPECT_EQ(p.policies[0].written_sides, std::vector<std::string>{"crm"});
  ASSERT_TRUE(st.apply(p.links).ok());
  // the CRM now reports it forbidden: an echo; re-enabling in k3 is mirrored as well
  CustomerRecord crm = rec("C1", kBase, 11);
  crm.forbidden = true;
  EXPECT_TRUE(mustPlan(c, st, {{"crm", {crm}}}).writes.empty());
  k3.forbidden = false;
  Plan en = mustPlan(c, st, {{"k3", {k3}}});
  ASSERT_EQ(en.writes.size(), 1u);
  EXPECT_EQ(en.writes[0].kind, WriteKind::kEnable);
}

TEST(SyncPolicy, DeleteInCrmIsFlaggedOnK3OnlyWhenK3HasAFlagField) {
  SyncConfig c = config();
  SyncState st = linkedState(c);
  CustomerRecord crm = rec("C1", kBase, 10);
  crm.deleted = true;
  // k3 has no flag_field: nothing written, and the note says so
  Plan p = mustPlan(c, st, {{"crm", {crm}}});
  EXPECT_TRUE(p.writes.empty());
  ASSERT_EQ(p.policies.size(), 1u);
  EXPECT_EQ(p.policies[0].event, "delete");
  EXPECT_EQ(p.policies[0].policy, LifecyclePolicy::kFlag);
  EXPECT_EQ(p.policies[0].note, "k3 has no flag_field: not flagged");
  c.sides[1].flag_field = "FDescription";
  p = mustPlan(c, st, {{"crm", {crm}}});
  ASSERT_EQ(p.writes.size(), 1u);
  EXPECT_EQ(p.writes[0].kind, WriteKind::kFlag);
  EXPECT_EQ(p.writes[0].fields, (FieldMap{{"FDescription", "delete on crm"}}));
  // afterwards crm is out of the link: its later changes are reviewed, not synced
  ASSERT_TRUE(st.apply(p.links).ok());
  crm.fields["phone"] = "1";
  Plan later = mustPlan(c, st, {{"crm", {crm}}});
  EXPECT_TRUE(later.writes.empty());
  ASSERT_EQ(later.review.size(), 1u);
}

TEST(SyncPolicy, DeleteMirrorAndIgnore) {
  SyncConfig c = config();
  SyncState st = linkedState(c);
  CustomerRecord k3 = rec("100501", kBase, 10);
  k3.deleted = true;
  Plan p = mustPlan(c, st, {{"k3", {k3}}});  // k3: on_delete mirror
  ASSERT_EQ(p.writes.size(), 1u);
  EXPECT_EQ(p.writes[0], (Write{WriteKind::kDelete, "crm", "C1", "crm:C1", {},
                                "delete on k3 (mirror)"}));
  c.sides[1].on_delete = LifecyclePolicy::kIgnore;
  p = mustPlan(c, st, {{"k3", {k3}}});
  EXPECT_TRUE(p.writes.empty());
  ASSERT_EQ(p.policies.size(), 1u);
  EXPECT_EQ(p.policies[0].policy, LifecyclePolicy::kIgnore);
  EXPECT_EQ(p.policies[0].note, "ignored by policy");
}

TEST(SyncPolicy, DeleteMirroredToASideThatCannotDeleteIsAForbidThere) {
  SyncConfig c = config();
  c.sides[0].on_delete = LifecyclePolicy::kMirror;
  c.sides[1].delete_as_forbid = true;  // K/3
  SyncState st = linkedState(c);
  CustomerRecord crm = rec("C1", kBase, 10);
  crm.deleted = true;
  Plan p = mustPlan(c, st, {{"crm", {crm}}});
  ASSERT_EQ(p.writes.size(), 1u);
  EXPECT_EQ(p.writes[0], (Write{WriteKind::kForbid, "k3", "100501", "crm:C1", {},
                                "delete on crm (mirror)"}));
  ASSERT_EQ(p.policies.size(), 1u);
  EXPECT_EQ(p.policies[0].note, "k3 cannot delete: forbidden instead");
  ASSERT_EQ(p.links.size(), 1u);
  EXPECT_TRUE(p.links[0].sides.at("crm").deleted);
  EXPECT_TRUE(p.links[0].sides.at("k3").forbidden);
  EXPECT_FALSE(p.links[0].sides.at("k3").deleted);
  ASSERT_TRUE(st.apply(p.links).ok());
  // The forbid moved K/3's modification time: its next pull is the state we wrote, no news.
  CustomerRecord k3 = rec("100501", kBase, 20);
  k3.forbidden = true;
  Plan pulled = mustPlan(c, st, {{"k3", {k3}}});
  EXPECT_TRUE(pulled.writes.empty());
  EXPECT_TRUE(pulled.review.empty()) << pulled.review[0].reason;
  EXPECT_TRUE(pulled.policies.empty());
  // A K/3 user's later edit is kept in the link's base, and written nowhere (the CRM is gone).
  k3.fields["phone"] = "051262580000";
  Plan edited = mustPlan(c, st, {{"k3", {k3}}});
  EXPECT_TRUE(edited.writes.empty());
  EXPECT_TRUE(edited.review.empty());
  // Already forbidden there: nothing to write.
  SyncState forbidden = linkedState(c);
  Link l = *forbidden.link("crm:C1");
  l.sides["k3"].forbidden = true;
  ASSERT_TRUE(forbidden.apply({l}).ok());
  Plan none = mustPlan(c, forbidden, {{"crm", {crm}}});
  EXPECT_TRUE(none.writes.empty());
  EXPECT_TRUE(none.links.at(0).sides.at("k3").forbidden);
}

TEST(SyncPolicy, ForbidFlaggedThenClearedOnEnable) {
  SyncConfig c = config();
  c.sides[1].on_forbid = LifecyclePolicy::kFlag;  // k3 forbids -> flag on crm
  SyncState st = linkedState(c);
  CustomerRecord k3 = rec("100501", kBase, 10);
  k3.forbidden = true;
  Plan p = mustPlan(c, st, {{"k3", {k3}}});
  ASSERT_EQ(p.writes.size(), 1u);
  EXPECT_EQ(p.writes[0], (Write{WriteKind::kFlag, "crm", "C1", "crm:C1",
                                {{"syncRemark", "forbid on k3"}}, "forbid on k3 (flag)"}));
  ASSERT_TRUE(st.apply(p.links).ok());
  // crm stays active: its next report (not forbidden) is no event and no echo problem
  EXPECT_TRUE(mustPlan(c, st, {{"crm", {rec("C1", kBase, 11)}}}).writes.empty());
  k3.forbidden = false;
  Plan en = mustPlan(c, st, {{"k3", {k3}}});
  ASSERT_EQ(en.writes.size(), 1u);
  EXPECT_EQ(en.writes[0].fields, (FieldMap{{"syncRemark", ""}}));
  ASSERT_EQ(en.policies.size(), 1u);
  EXPECT_EQ(en.policies[0].event, "enable");
}

TEST(SyncPlan, NeverSyncedDeletedOrForbiddenRecordsAreReviewedNotCreated) {
  SyncConfig c = config();
  SyncState st;
  CustomerRecord gone = rec("C5", {{"name", "已注销客户有限公司"}}, 1);
  gone.deleted = true;
  CustomerRecord blocked = rec("100777", {{"name", "冻结客户有限公司"}}, 1);
  blocked.forbidden = true;
  Plan p = mustPlan(c, st, {{"crm", {gone}}, {"k3", {blocked}}});
  EXPECT_TRUE(p.writes.empty());
  EXPECT_TRUE(p.links.empty());
  ASSERT_EQ(p.review.size(), 2u);
  EXPECT_EQ(p.review[0], (ReviewItem{"crm", "C5", "deleted on crm before it was ever synced"}));
  EXPECT_EQ(p.review[1],
            (ReviewItem{"k3", "100777", "forbidden on k3 and never synced: not created"}));
}

TEST(SyncPlan, FirstSyncLinksPairsHoldsAmbiguousAndCreatesTheRest) {
  SyncConfig c = config();
  std::vector<CustomerRecord> crm = {
      rec("C1", {{"name", "苏州华东精密机械有限公司"}, {"phone", "051262588888"}}, 5),
      rec("C2", {{"name", "杭州东方轴承有限公司"}, {"phone", "057188001234"}}, 5),
      rec("C3", {{"name", "杭州东方轴承股份有限公司"}, {"phone", "0571-88001234"}}, 5),
      rec("C4", {{"name", "温州瑞安阀门有限公司"}, {"phone", "057765550000"}}, 5)};
  std::vector<CustomerRecord> k3 = {
      rec("200", {{"name", "（苏州）华东精密机械"}, {"phone", "0512-6258 8888"}}, 4),
      rec("201", {{"name", "杭州东方轴承有限责任公司"}, {"phone", "057188001234"}}, 4)};
  auto m = matchCustomers({"crm", "k3", &crm, &k3});
  ASSERT_TRUE(m.ok());
  SyncState st;
  ASSERT_TRUE(addFirstSync(st, m.value(), "crm", "k3").ok());
  EXPECT_EQ(st.size(), 1u);
  EXPECT_EQ(st.heldCount(), 3u);  // C2, C3, 201
  Plan p = mustPlan(c, st, {{"crm", crm}, {"k3", k3}});
  // C1/200 merged (name conflict, crm newer), C4 created on k3; C2, C3, 201 only reviewed
  std::vector<std::string> targets;
  for (const Write& w : p.writes) {
    targets.push_back(std::string(toString(w.kind)) + " " + w.side + " " + w.target_id);
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"update k3 200", "create k3 "}));
  EXPECT_EQ(p.writes[1].link_id, "crm:C4");
  ASSERT_EQ(p.review.size(), 3u);
  for (const ReviewItem& r : p.review) {
    EXPECT_EQ(r.reason.rfind("held: first-sync review (name_phone)", 0), 0u) << r.reason;
  }
  ASSERT_EQ(p.conflicts.size(), 2u);  // name and phone written differently
  EXPECT_EQ(p.conflicts[0].rule, "first sync: newest");
  st.release("crm", "C2");
  EXPECT_EQ(mustPlan(c, st, {{"crm", {crm[1]}}}).writes.size(), 1u);
}

TEST(SyncPlan, BadBatchesAreErrors) {
  SyncConfig c = config();
  SyncState st = linkedState(c);
  auto p = plan(c, st, {{"wecom", {}}});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "batch #0: unknown side 'wecom'");
  p = plan(c, st, {{"crm", {rec("C1", kBase, 1)}}, {"crm", {rec("C1", kBase, 2)}}});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "batch #1 (crm) record #0: id 'C1' appears twice for crm");
}

TEST(SyncPlan, ThirdSideCarriesOnlyItsFields) {
  SyncConfig c = config();
  c.sides.push_back({"wecom", LifecyclePolicy::kIgnore, LifecyclePolicy::kIgnore, "", {"name", "phone"}});
  ASSERT_TRUE(c.validate().ok());
  SyncState st;
  Link l;
  l.link_id = "crm:C1";
  l.base = kBase;
  l.base_known = true;
  for (const char* s : {"crm", "k3", "wecom"}) {
    l.sides[s] = {std::string(s) + "-id", contentHash(kBase, c.fieldsOf(s), false, false), false,
                  false};
  }
  ASSERT_TRUE(st.add(l).ok());
  // wecom shows only name + phone: hashing over its own fields makes that an echo
  EXPECT_EQ(mustPlan(c, st, {{"wecom", {rec("wecom-id", {{"name", kBase.at("name")},
                                                         {"phone", kBase.at("phone")}}, 1)}}})
                .echoes.size(),
            1u);
  Plan p = mustPlan(c, st, {{"k3", {rec("k3-id", with(with(kBase, "phone", "9"), "address", "Z"), 2)}}});
  ASSERT_EQ(p.writes.size(), 2u);
  EXPECT_EQ(p.writes[0].side, "crm");
  EXPECT_EQ(p.writes[0].fields, (FieldMap{{"address", "Z"}, {"phone", "9"}}));
  EXPECT_EQ(p.writes[1].side, "wecom");
  EXPECT_EQ(p.writes[1].fields, (FieldMap{{"phone", "9"}}));
}

}  // namespace
}  // namespace qiao::sync
