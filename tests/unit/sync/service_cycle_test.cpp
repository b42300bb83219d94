// The sync service over a real SQLite file: the write / confirm cycle, echoes, conflicts,
// ownership, writes still in flight, failed writes.
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "qiao/testkit/testkit.h"
#include "service_fixture.h"

namespace qiao::sync::test {
namespace {

using nlohmann::json;

struct Rig {
  testkit::TempDir dir;
  FakeClock clock;
  SideSim crm{"crm", "customerId", "C", &clock};
  SideSim k3{"k3cloud", "k3Id", "1005", &clock};
  std::unique_ptr<Service> svc;

  explicit Rig(SyncConfig config = serviceConfig()) {
    auto s = Service::open(serviceOptions(dir.file("qiao.db"), &clock, std::move(config)));
    EXPECT_TRUE(s.ok()) << s.error().message;
    svc = std::move(s.value());
  }
  void tick(int64_t ms = 1000) { clock.now += ms; }
  IngestResult in(const std::string& side, const std::string& id) {
    SideSim& s = side == "crm" ? crm : k3;
    auto r = svc->ingestChange(side, s.json(id));
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? r.value() : IngestResult{};
  }
  void deliverAll(const std::vector<SyncWrite>& writes) {
    deliver(*svc, {{"crm", &crm}, {"k3cloud", &k3}}, writes);
  }
  // A linked pair C1 <-> 10051, both sides equal, no writes open.
  std::pair<std::string, std::string> linkedPair() {
    json rec = company("苏州华东精密机械有限公司", "91320594MA1P8EXA2U", "0512-62588888");
    rec["address"] = "工业园区星湖街328号";
    rec["grade"] = "A";
    rec["creditLimit"] = "500000";
    std::string c = crm.create(rec);
    IngestResult r = in("crm", c);
    EXPECT_EQ(r.writes.size(), 1u);
    deliverAll(r.writes);
    EXPECT_EQ(k3.records.size(), 1u);
    std::string k = k3.records.begin()->first;
    tick();
    EXPECT_EQ(in("k3cloud", k).writes.size(), 0u);  // the echo of the create
    return {c, k};
  }
};

TEST(SyncServiceCycle, CreateConfirmThenOnlyChangedFieldsAndEchoesStop) {
  Rig rig;
  std::string c = rig.crm.create(company("苏州华东精密机械有限公司", "91320594MA1P8EXA2U", "0512-62588888"));
  IngestResult r = rig.in("crm", c);
  ASSERT_EQ(r.writes.size(), 1u);
  const SyncWrite& create = r.writes[0];
  EXPECT_EQ(create.kind, "create");
  EXPECT_EQ(create.side, "k3cloud");
  EXPECT_EQ(create.link_id, "crm:" + c);
  EXPECT_EQ(create.idempotency_key, "qiao-sync-" + create.write_id);
  std::vector<std::string> fields = create.changed_fields;
  EXPECT_EQ(fields, (std::vector<std::string>{"name", "phone", "taxRegisterCode"}));
  json body = json::parse(create.record_json);
  EXPECT_EQ(body["name"], "苏州华东精密机械有限公司");
  EXPECT_EQ(body["status"], "active");
  EXPECT_EQ(rig.svc->counts().pending, 1u);

  ASSERT_TRUE(rig.svc->confirmWrite(create.write_id, "100501").ok());
  EXPECT_EQ(rig.svc->counts().pending, 0u);
  auto link = rig.svc->linksJson(10, 0, "k3cloud", "100501");
  ASSERT_TRUE(link.ok());
  EXPECT_NE(link->find("\"crm\":{\"id\":\"" + c + "\""), std::string::npos) << *link;
  // on_delivered twice: fine with the same id, refused with another.
  EXPECT_TRUE(rig.svc->confirmWrite(create.write_id, "100501").ok());
  EXPECT_EQ(rig.svc->confirmWrite(create.write_id, "100502").error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(rig.svc->confirmWrite("w999", "").error().code, ErrorCode::kNotFound);

  // K/3 now holds what we wrote; its pull reports it with K/3's own time: an echo.
  json k3rec = body;
  k3rec["k3Id"] = "100501";
  k3rec["modifiedAt"] = "2026-11-30T00:00:05Z";
  auto echo = rig.svc->ingestChange("k3cloud", k3rec.dump());
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ(echo->writes.size(), 0u);
  EXPECT_EQ(echo->echoes, 1u);

  // A later CRM change: an update of only that field, aimed at the FCUSTID.
  rig.tick();
  rig.crm.edit(c, "phone", "138 0013 8000");
  IngestResult u = rig.in("crm", c);
  ASSERT_EQ(u.writes.size(), 1u);
  EXPECT_EQ(u.writes[0].kind, "update");
  EXPECT_EQ(u.writes[0].target_id, "100501");
  EXPECT_EQ(u.writes[0].changed_fields, std::vector<std::string>{"phone"});
  json ub = json::parse(u.writes[0].record_json);
  EXPECT_EQ(ub["k3Id"], "100501");
  EXPECT_EQ(ub["phone"], "138 0013 8000");
  EXPECT_EQ(ub["name"], "苏州华东精密机械有限公司");  // full record, only phone changed
  // The same CRM record again (webhook redelivered): nothing.
  EXPECT_EQ(rig.in("crm", c).writes.size(), 0u);
}

TEST(SyncServiceCycle, EchoOfOwnWriteBeforeConfirmationAndEditsDuringFlight) {
  Rig rig;
  auto [c, k] = rig.linkedPair();
  rig.tick();
  rig.crm.edit(c, "phone", "138 0013 8000");
  IngestResult u = rig.in("crm", c);
  ASSERT_EQ(u.writes.size(), 1u);
  // A K/3 user edits the address while our phone write is still on its way: K/3 still
  // shows the old phone. That is not a K/3 edit of phone: only the address travels.
  rig.tick();
  rig.k3.edit(k, "address", "星湖街328号2幢");
  IngestResult during = rig.in("k3cloud", k);
  ASSERT_EQ(during.writes.size(), 1u);
  EXPECT_EQ(during.writes[0].side, "crm");
  EXPECT_EQ(during.writes[0].changed_fields, std::vector<std::string>{"address"});
  EXPECT_EQ(during.conflicts, 0u);
  // Our write lands; the pull sees it before on_delivered confirmed it: an echo.
  rig.tick();
  rig.k3.apply(u.writes[0]);
  EXPECT_EQ(rig.in("k3cloud", k).writes.size(), 0u);
  rig.deliverAll({u.writes[0]});
  rig.deliverAll(during.writes);
  // Both sides agree.
  EXPECT_EQ(rig.crm.records[c]["address"], "星湖街328号2幢");
  EXPECT_EQ(rig.k3.records[k]["phone"], "138 0013 8000");
  EXPECT_EQ(rig.in("crm", c).writes.size(), 0u);
  EXPECT_EQ(rig.in("k3cloud", k).writes.size(), 0u);
}

TEST(SyncServiceCycle, ConcurrentEditOfSharedFieldRecordsOneConflictNewestWins) {
  Rig rig;
  auto [c, k] = rig.linkedPair();
  rig.tick(60000);
  rig.crm.edit(c, "phone", "138 0013 8000");
  rig.tick(60000);  // K/3's edit is a minute later
  rig.k3.edit(k, "phone", "0512-62580000");
  rig.k3.edit(k, "address", "星湖街328号2幢");
  auto r = rig.svc->ingestCycle({{"crm", {rig.crm.json(c)}}, {"k3cloud", {rig.k3.json(k)}}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->conflicts, 1u);
  ASSERT_EQ(r->writes.size(), 1u);
  EXPECT_EQ(r->writes[0].side, "crm");
  std::vector<std::string> changed = r->writes[0].changed_fields;
  EXPECT_EQ(changed, (std::vector<std::string>{"address", "phone"}));
  auto cj = rig.svc->conflictsJson(10, 0);
  ASSERT_TRUE(cj.ok());
  json j = json::parse(*cj);
  ASSERT_EQ(j["total"], 1);
  const json& item = j["items"][0];
  EXPECT_EQ(item["linkId"], "crm:" + c);
  EXPECT_EQ(item["field"], "phone");
  EXPECT_EQ(item["rule"], "newest-wins");
  EXPECT_EQ(item["winner"]["side"], "k3cloud");
  EXPECT_EQ(item["winner"]["value"], "0512-62580000");
  ASSERT_EQ(item["values"].size(), 2u);
  EXPECT_EQ(item["values"][0]["side"], "crm");
  EXPECT_EQ(item["values"][0]["value"], "138 0013 8000");
  EXPECT_EQ(item["values"][0]["modifiedAt"], "2026-11-30T00:01:01Z");
  EXPECT_EQ(item["values"][1]["modifiedAt"], "2026-11-30T00:02:01Z");
  rig.deliverAll(r->writes);
  EXPECT_EQ(rig.crm.records[c]["phone"], "0512-62580000");
  EXPECT_EQ(rig.in("crm", c).writes.size(), 0u);  // the echo
}

TEST(SyncServiceCycle, OwnedFieldEditedOnNonOwnerIsOverriddenAndRecorded) {
  Rig rig;
  auto [c, k] = rig.linkedPair();
  rig.tick();
  rig.k3.edit(k, "grade", "C");  // grade belongs to the CRM
  IngestResult r = rig.in("k3cloud", k);
  ASSERT_EQ(r.writes.size(), 1u);
  EXPECT_EQ(r.writes[0].side, "k3cloud");
  EXPECT_EQ(r.writes[0].target_id, k);
  EXPECT_EQ(r.writes[0].changed_fields, std::vector<std::string>{"grade"});
  EXPECT_EQ(json::parse(r.writes[0].record_json)["grade"], "A");
  EXPECT_EQ(r.conflicts, 1u);
  json j = json::parse(*rig.svc->conflictsJson(10, 0));
  EXPECT_EQ(j["items"][0]["rule"], "ownership");
  EXPECT_EQ(j["items"][0]["winner"]["side"], "crm");
  EXPECT_EQ(j["items"][0]["values"][0]["value"], "C");
  rig.deliverAll(r.writes);
  EXPECT_EQ(rig.k3.records[k]["grade"], "A");
  // The owner's own edit simply flows.
  rig.tick();
  rig.k3.edit(k, "creditLimit", "800000");
  IngestResult own = rig.in("k3cloud", k);
  ASSERT_EQ(own.writes.size(), 1u);
  EXPECT_EQ(own.writes[0].side, "crm");
  EXPECT_EQ(own.conflicts, 0u);
}

TEST(SyncServiceCycle, FailedWriteIsListedNotRevertedAndCarriedByTheNextWrite) {
  Rig rig;
  auto [c, k] = rig.linkedPair();
  rig.tick();
  rig.crm.edit(c, "phone", "138 0013 8000");
  IngestResult u = rig.in("crm", c);
  ASSERT_EQ(u.writes.size(), 1u);
  ASSERT_TRUE(rig.svc->failWrite(u.writes[0].write_id, "K/3 MsgCode 11: FTEL 无效").ok());
  auto failed = rig.svc->writesJson("failed", 10, 0);
  ASSERT_TRUE(failed.ok());
  json fj = json::parse(*failed);
  ASSERT_EQ(fj["total"], 1);
  EXPECT_EQ(fj["items"][0]["failReason"], "K/3 MsgCode 11: FTEL 无效");
  EXPECT_EQ(rig.svc->pendingWrites().size(), 0u);
  // K/3 still has the old phone; a K/3 edit of another field must not bring it back to the CRM.
  rig.tick();
  rig.k3.edit(k, "address", "星湖街1号");
  IngestResult r = rig.in("k3cloud", k);
  ASSERT_EQ(r.writes.size(), 1u);
  EXPECT_EQ(r.writes[0].side, "crm");
  EXPECT_EQ(r.writes[0].changed_fields, std::vector<std::string>{"address"});
  rig.deliverAll(r.writes);
  EXPECT_EQ(rig.crm.records[c]["phone"], "138 0013 8000");
  // The next write to K/3 carries the owed phone again; the failed one is superseded.
  rig.tick();
  rig.crm.edit(c, "shortName", "华东精密");
  IngestResult next = rig.in("crm", c);
  ASSERT_EQ(next.writes.size(), 1u);
  std::vector<std::string> carried = next.writes[0].changed_fields;
  EXPECT_EQ(carried, (std::vector<std::string>{"phone", "shortName"}));
  EXPECT_EQ(rig.svc->counts().failed, 0u);
  rig.deliverAll(next.writes);
  EXPECT_EQ(rig.k3.records[k]["phone"], "138 0013 8000");
  EXPECT_EQ(rig.in("k3cloud", k).writes.size(), 0u);
  EXPECT_EQ(rig.svc->failWrite("w999", "x").error().code, ErrorCode::kNotFound);
}

TEST(SyncServiceCycle, WritesBehindAPendingCreateWaitForItsId) {
  Rig rig;
  std::string c = rig.crm.create(company("宁波北仑模具有限责任公司", "", "0574-86881234"));
  IngestResult r = rig.in("crm", c);
  ASSERT_EQ(r.writes.size(), 1u);
  rig.tick();
  rig.crm.edit(c, "address", "北仑区新碶街道");
  IngestResult later = rig.in("crm", c);
  EXPECT_EQ(later.writes.size(), 0u);
  EXPECT_EQ(later.deferred, 1u);
  EXPECT_EQ(rig.svc->counts().deferred, 1u);
  auto released = rig.svc->confirmWrite(r.writes[0].write_id, "100777");
  ASSERT_TRUE(released.ok());
  ASSERT_EQ(released->size(), 1u);
  EXPECT_EQ((*released)[0].target_id, "100777");
  EXPECT_EQ((*released)[0].changed_fields, std::vector<std::string>{"address"});
  EXPECT_EQ(json::parse((*released)[0].record_json)["k3Id"], "100777");
  EXPECT_EQ(rig.svc->counts().pending, 1u);
}

TEST(SyncServiceCycle, OwnCreateSeenInAPullBeforeConfirmationIsAdoptedNotCreatedBack) {
  Rig rig;
  std::string c = rig.crm.create(company("无锡江南电缆股份有限公司", "91110108551385082Q", "0510-88888888"));
  IngestResult r = rig.in("crm", c);
  ASSERT_EQ(r.writes.size(), 1u);
  rig.tick();
  std::string k = rig.k3.apply(r.writes[0]);  // K/3 saved it; the answer is not back yet
  IngestResult pulled = rig.in("k3cloud", k);
  EXPECT_EQ(pulled.writes.size(), 0u);
  EXPECT_EQ(rig.svc->counts().links, 1u);
  EXPECT_EQ(rig.svc->counts().pending, 0u);
  EXPECT_TRUE(rig.svc->confirmWrite(r.writes[0].write_id, k).ok());
  EXPECT_EQ(rig.svc->confirmWrite(r.writes[0].write_id, "999").error().code,
            ErrorCode::kAlreadyExists);
}

TEST(SyncServiceCycle, BadInputIsAClearError) {
  Rig rig;
  auto unknown = rig.svc->ingestChange("erp", R"({"customerId":"X"})");
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("unknown side 'erp'"), std::string::npos);
  auto no_id = rig.svc->ingestChange("k3cloud", R"({"name":"x"})");
  EXPECT_NE(no_id.error().message.find("k3Id: missing"), std::string::npos) << no_id.error().message;
  auto bad = rig.svc->ingestChange("crm", R"({"customerId":"C1","name":["a"]})");
  EXPECT_NE(bad.error().message.find("name: expected a string, got array"), std::string::npos);
  auto status = rig.svc->ingestChange("crm", R"({"customerId":"C1","status":"gone"})");
  EXPECT_NE(status.error().message.find("status: 'gone'"), std::string::npos);
  auto batch = rig.svc->ingestBatch("crm", {R"({"customerId":"C1","name":"甲有限公司"})", "{not json",
                                            R"({"customerId":"C2","name":"乙有限公司"})"});
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->rejected.size(), 1u);
  EXPECT_EQ(batch->rejected[0].index, 1u);
  EXPECT_EQ(batch->writes.size(), 2u);
  EXPECT_FALSE(rig.svc->conflictsJson(0, 0).ok());
  ServiceOptions o = serviceOptions(rig.dir.file("other.db"), &rig.clock);
  o.id_fields["wecom"] = "externalUserId";
  EXPECT_EQ(Service::open(o).error().code, ErrorCode::kConfigInvalid);
}

TEST(SyncServiceCycle, JsonFieldsCompareCanonicallyAndTravelAsJson) {
  Rig rig;
  json rec = company("常州武进纺织机械有限公司", "", "0519-86543210");
  rec["contacts"] = json::array({{{"name", "王伟"}, {"mobile", "13900001111"}}});
  std::string c = rig.crm.create(rec);
  IngestResult r = rig.in("crm", c);
  ASSERT_EQ(r.writes.size(), 1u);
  json body = json::parse(r.writes[0].record_json);
  ASSERT_TRUE(body["contacts"].is_array());
  EXPECT_EQ(body["contacts"][0]["name"], "王伟");
  rig.deliverAll(r.writes);
  // Same contacts with keys in another order: no change.
  rig.tick();
  rig.crm.edit(c, "contacts", json::parse(R"([{"mobile":"13900001111","name":"王伟"}])"));
  EXPECT_EQ(rig.in("crm", c).writes.size(), 0u);
}

}  // namespace
}  // namespace qiao::sync::test

namespace qiao::sync::test {
namespace {

TEST(SyncServiceCycle, ConcurrentCallersShareOneServiceSafely) {
  testkit::TempDir dir;
  FakeClock clock;
  auto opened = Service::open(serviceOptions(dir.file("qiao.db"), &clock));
  ASSERT_TRUE(opened.ok());
  Service& svc = **opened;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        nlohmann::json c = company("并发" + std::to_string(t) + "-" + std::to_string(i) + "有限公司", "", "1");
        c["customerId"] = "T" + std::to_string(t) + "-" + std::to_string(i);
        auto r = svc.ingestChange("crm", c.dump());
        if (!r.ok() || r->writes.size() != 1) {
          ++failures;
          continue;
        }
        if (i % 2 == 0 && !svc.confirmWrite(r->writes[0].write_id, "K" + c["customerId"].get<std::string>()).ok()) {
          ++failures;
        }
        (void)svc.conflictsJson(10, 0);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  SyncCounts c = svc.counts();
  EXPECT_EQ(c.links, 200u);
  EXPECT_EQ(c.pending, 100u);
  // Write ids are unique across threads and survive a reopen.
  opened->reset();
  auto again = Service::open(serviceOptions(dir.file("qiao.db"), &clock));
  ASSERT_TRUE(again.ok());
  std::vector<SyncWrite> pending = (*again)->pendingWrites();
  ASSERT_EQ(pending.size(), 100u);
  std::set<std::string> ids;
  for (const SyncWrite& w : pending) ids.insert(w.write_id);
  EXPECT_EQ(ids.size(), 100u);
}

}  // namespace
}  // namespace qiao::sync::test
