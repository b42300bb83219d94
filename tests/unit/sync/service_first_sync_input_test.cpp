// First sync over a FirstSyncInput, as the gateway runs it: records read on demand (twice),
// planned in chunks inside one transaction, writes handed out a page at a time after the
// commit; a bad record refuses the whole first sync; a failing hand-out leaves the rest pending.
#include <map>
#include <set>

#include "qiao/sync/normalize.h"
#include "qiao/testkit/testkit.h"
#include "service_fixture.h"

namespace qiao::sync::test {
namespace {

using nlohmann::json;

std::string unifiedCode(int i) {
  std::string first17 = "9144030" + std::string(10 - std::to_string(i).size(), '0') + std::to_string(i);
  return first17 + unifiedCodeCheckChar(first17);
}

// n customers per side; even i on both sides (same tax code), odd i different companies.
// Counts how often each record is read; `fail` makes one record unreadable.
class CountingInput final : public FirstSyncInput {
 public:
  explicit CountingInput(int n) {
    for (int i = 0; i < n; ++i) {
      json c = company("深圳宝安" + std::to_string(i) + "号五金制品有限公司", unifiedCode(i), "0755-" + std::to_string(27000000 + i));
      c["customerId"] = "C" + std::to_string(i);
      c["modifiedAt"] = "2026-11-29T08:00:00Z";
      lists_[0].push_back(c.dump());
      json k = i % 2 == 0 ? company("深圳宝安" + std::to_string(i) + "号五金制品有限公司", unifiedCode(i), "0755-" + std::to_string(27000000 + i))
                          : company("东莞长安" + std::to_string(i) + "号塑胶有限公司", unifiedCode(n + i), "0769-" + std::to_string(i));
      k["k3Id"] = std::to_string(200000 + i);
      k["modifiedAt"] = "2026-11-29T09:00:00Z";
      lists_[1].push_back(k.dump());
    }
  }
  std::size_t size(std::size_t side) const override { return lists_[side].size(); }
  Result<std::string> record(std::size_t side, std::size_t index) const override {
    ++reads[side];
    if (fail && fail->first == side && fail->second == index)
      return Error::permanent(ErrorCode::kMappingError, "k3cloud customer: no id at /data/Model/FCUSTID");
    if (change_after_reads > 0 && reads[0] + reads[1] > change_after_reads)
      return std::string("{\"k3Id\":\"changed\",\"name\":\"x\"}");
    return lists_[side][index];
  }

  mutable std::size_t reads[2] = {0, 0};
  std::optional<std::pair<std::size_t, std::size_t>> fail;
  std::size_t change_after_reads = 0;  // > 0: later reads give another customer

 private:
  std::vector<std::string> lists_[2];
};

TEST(SyncServiceFirstSyncInput, ChunksHandEveryWriteOutOnceInOrderAfterTheCommit) {
  testkit::TempDir dir;
  FakeClock clock;
  const int n = 5000;  // 10,000 records: five chunks
  CountingInput input(n);
  auto svc = Service::open(serviceOptions(dir.file("qiao.db"), &clock));
  ASSERT_TRUE(svc.ok()) << svc.error().message;
  std::vector<std::size_t> page_sizes;
  std::vector<std::string> ids;
  std::size_t pending_during_first_page = 0;
  FirstSyncOptions o;
  o.pages = [&](std::vector<SyncWrite>&& page) {
    // Handed out after the commit and outside the service's lock: it may be called.
    if (page_sizes.empty()) pending_during_first_page = (*svc)->counts().pending;
    page_sizes.push_back(page.size());
    for (const SyncWrite& w : page) ids.push_back(w.write_id);
    return Status();
  };
  std::map<std::string, std::pair<std::size_t, std::size_t>> last;  // phase -> done, total
  std::size_t progress_calls = 0;
  o.progress = [&](std::string_view phase, std::size_t done, std::size_t total) {
    auto& [d, t] = last[std::string(phase)];
    EXPECT_GE(done, d) << phase;  // only forward
    d = done;
    t = total;
    ++progress_calls;
  };
  auto r = (*svc)->firstSync(input, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  // Progress: every phase to its end, a call per chunk (not per record).
  EXPECT_EQ(last["keys"], std::make_pair(std::size_t{2 * n}, std::size_t{2 * n}));
  EXPECT_EQ(last["plan"], std::make_pair(std::size_t{2 * n}, std::size_t{2 * n}));
  EXPECT_EQ(last["handout"], std::make_pair(std::size_t{n}, std::size_t{n}));
  EXPECT_LE(progress_calls, 3u * 2 * n / Service::kFirstSyncChunk + 3);
  EXPECT_EQ(r->pairs, static_cast<std::size_t>(n / 2));
  EXPECT_EQ(r->write_count, static_cast<std::size_t>(n));  // n/2 unmatched each side: creates
  EXPECT_TRUE(r->writes.empty());                          // went to the pages instead
  EXPECT_TRUE(r->handout_error.empty());
  EXPECT_EQ(pending_during_first_page, static_cast<std::size_t>(n));
  // Every record read twice: its keys, then its chunk.
  EXPECT_EQ(input.reads[0], static_cast<std::size_t>(2 * n));
  EXPECT_EQ(input.reads[1], static_cast<std::size_t>(2 * n));
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  for (std::size_t size : page_sizes) EXPECT_LE(size, Service::kFirstSyncChunk);
  // Oldest first, as pendingWrites pages them.
  std::vector<std::string> paged;
  for (std::string after;;) {
    auto page = (*svc)->pendingWrites(after, 777);
    if (page.empty()) break;
    after = page.back().write_id;
    for (const SyncWrite& w : page) paged.push_back(w.write_id);
  }
  EXPECT_EQ(paged, ids);
  EXPECT_TRUE((*svc)->pendingWrites("not-a-write", 10).empty());
  // The same after a reopen: it was one commit.
  svc->reset();
  auto again = Service::open(serviceOptions(dir.file("qiao.db"), &clock));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->counts().links, static_cast<std::size_t>(n / 2 + n));
  EXPECT_EQ((*again)->counts().pending, static_cast<std::size_t>(n));
}

TEST(SyncServiceFirstSyncInput, ABadRecordRefusesEverythingNamingSideAndIndex) {
  testkit::TempDir dir;
  FakeClock clock;
  CountingInput input(3000);
  input.fail = {{1, 2345}};
  auto svc = Service::open(serviceOptions(dir.file("qiao.db"), &clock));
  ASSERT_TRUE(svc.ok());
  FirstSyncOptions o;
  o.refuse_bad_records = true;
  auto r = (*svc)->firstSync(input, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("1 record cannot be read"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("k3cloud[2345]: k3cloud customer: no id at /data/Model/FCUSTID"),
            std::string::npos) << r.error().message;
  EXPECT_EQ((*svc)->counts().links, 0u);
  EXPECT_EQ((*svc)->counts().pending, 0u);
  // Fixed, it runs.
  input.fail.reset();
  auto ok = (*svc)->firstSync(input, o);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->pairs, 1500u);
  // Without refusing, the bad record is left out and listed.
  testkit::TempDir dir2;
  auto svc2 = Service::open(serviceOptions(dir2.file("qiao.db"), &clock));
  ASSERT_TRUE(svc2.ok());
  input.fail = {{0, 8}};  // C8 has a partner on K/3: one pair less
  auto lenient = (*svc2)->firstSync(input);
  ASSERT_TRUE(lenient.ok()) << lenient.error().message;
  ASSERT_EQ(lenient->rejected_crm.size(), 1u);
  EXPECT_EQ(lenient->rejected_crm[0].index, 8u);
  EXPECT_EQ(lenient->pairs, 1499u);
}

TEST(SyncServiceFirstSyncInput, AnInputChangingBetweenItsPassesLeavesNothing) {
  testkit::TempDir dir;
  FakeClock clock;
  CountingInput input(3000);
  input.change_after_reads = 6000 + 2500;  // keys read (6,000), then the plan's 2nd chunk changes
  auto svc = Service::open(serviceOptions(dir.file("qiao.db"), &clock));
  ASSERT_TRUE(svc.ok());
  auto r = (*svc)->firstSync(input);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("changed between reading its keys and planning it"), std::string::npos)
      << r.error().message;
  // The first chunk's rows were written inside the transaction: rolled back with the rest.
  EXPECT_EQ((*svc)->counts().links, 0u);
  EXPECT_EQ((*svc)->counts().pending, 0u);
  svc->reset();
  auto again = Service::open(serviceOptions(dir.file("qiao.db"), &clock));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->counts().links, 0u);
  input.change_after_reads = 0;
  input.reads[0] = input.reads[1] = 0;
  auto ok = (*again)->firstSync(input);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->pairs, 1500u);
  EXPECT_EQ(ok->writes.size(), 3000u);
}

TEST(SyncServiceFirstSyncInput, AFailingHandOutKeepsTheRestPending) {
  testkit::TempDir dir;
  FakeClock clock;
  CountingInput input(5000);
  auto svc = Service::open(serviceOptions(dir.file("qiao.db"), &clock));
  ASSERT_TRUE(svc.ok());
  std::size_t taken = 0;
  FirstSyncOptions o;
  o.pages = [&](std::vector<SyncWrite>&& page) {
    if (taken > 0) return Status(Error::transient(ErrorCode::kStoreBusy, "store busy"));
    taken += page.size();
    return Status();
  };
  auto r = (*svc)->firstSync(input, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->handout_error, "store busy");
  EXPECT_EQ(taken, Service::kFirstSyncChunk);
  // Committed all the same: every write is pending, those not handed out included.
  EXPECT_EQ((*svc)->counts().pending, 5000u);
  EXPECT_EQ((*svc)->pendingWrites().size(), 5000u);
}

}  // namespace
}  // namespace qiao::sync::test

namespace qiao::sync::test {
namespace {

TEST(SyncServiceFirstSyncInput, BeforeTheFirstSyncUnlinkedCustomersWaitOnTheReviewList) {
  testkit::TempDir dir;
  FakeClock clock;
  ServiceOptions o = serviceOptions(dir.file("qiao.db"), &clock);
  o.wait_for_first_sync = true;
  CountingInput input(40);
  std::vector<std::string> crm_changes;
  for (std::size_t i = 0; i < 3; ++i) crm_changes.push_back(*input.record(0, i));
  {
    auto svc = Service::open(o);
    ASSERT_TRUE(svc.ok()) << svc.error().message;
    // A K/3 pull and a CRM webhook before anyone ran the first sync: nothing is created.
    auto pulled = (*svc)->ingestBatch("k3cloud", {*input.record(1, 0), *input.record(1, 1)});
    ASSERT_TRUE(pulled.ok()) << pulled.error().message;
    EXPECT_TRUE(pulled->writes.empty());
    EXPECT_EQ(pulled->reviews, 2u);
    auto changed = (*svc)->ingestBatch("crm", crm_changes);
    ASSERT_TRUE(changed.ok());
    EXPECT_TRUE(changed->writes.empty());
    // The same customer again updates its one item.
    ASSERT_TRUE((*svc)->ingestChange("crm", crm_changes[0]).ok());
    EXPECT_EQ((*svc)->counts().links, 0u);
    EXPECT_EQ((*svc)->counts().open_reviews, 5u);
    auto review = json::parse(*(*svc)->reviewJson(100, 0));
    EXPECT_NE(review["items"][0]["reason"].get<std::string>().find("waiting for the first sync"), std::string::npos);
    // Pairing by hand would make a link the first sync then refuses: not before it.
    auto paired = (*svc)->resolveReview(review["items"][0]["id"].get<int64_t>(), {{"crm", "C0"}, {"k3cloud", "200001"}}, "li.na");
    ASSERT_FALSE(paired.ok());
    EXPECT_NE(paired.error().message.find("no first sync has run yet"), std::string::npos);
  }
  auto svc = Service::open(o);  // still waiting after a restart
  ASSERT_TRUE(svc.ok());
  auto again = (*svc)->ingestChange("crm", crm_changes[1]);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->writes.empty());
  // The first sync matches them all and closes the items that waited for it.
  auto fs = (*svc)->firstSync(input);
  ASSERT_TRUE(fs.ok()) << fs.error().message;
  EXPECT_EQ(fs->pairs, 20u);
  EXPECT_EQ(fs->waiting_resolved, 5u);
  EXPECT_EQ((*svc)->counts().open_reviews, 0u);
  // From now on an unlinked customer is created as usual, also after a restart.
  svc->reset();
  auto after = Service::open(o);
  ASSERT_TRUE(after.ok());
  json fresh = company("珠海香洲新材料有限公司", "", "0756-2211000");
  fresh["customerId"] = "C-new";
  fresh["modifiedAt"] = "2026-11-29T10:00:00Z";
  auto created = (*after)->ingestChange("crm", fresh.dump());
  ASSERT_TRUE(created.ok()) << created.error().message;
  ASSERT_EQ(created->writes.size(), 1u);
  EXPECT_EQ(created->writes[0].kind, "create");
}

}  // namespace
}  // namespace qiao::sync::test
