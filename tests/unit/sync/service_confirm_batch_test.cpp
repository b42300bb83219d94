// Service::confirmWrites: confirmations committed together decide exactly as confirmWrite one
// by one (links, writes, what is released), including repeats and errors inside one batch.
#include "qiao/testkit/testkit.h"
#include "service_fixture.h"

namespace qiao::sync::test {
namespace {

using nlohmann::json;

std::string rec(const std::string& id_field, const std::string& id, json r, const char* at) {
  r[id_field] = id;
  r["modifiedAt"] = at;
  return r.dump();
}

// n customers per side, every other one the same company (tax code); K/3 addresses differ.
std::pair<std::vector<std::string>, std::vector<std::string>> firstSyncInput(int n) {
  std::vector<std::string> crm, k3;
  for (int i = 0; i < n; ++i) {
    std::string tax = "91320594MA1P" + std::to_string(100000 + i);
    json c = company("苏州华东" + std::to_string(i) + "号精密机械有限公司", "", "0512-" + std::to_string(60000000 + i));
    crm.push_back(rec("customerId", "C" + std::to_string(i), c, "2026-11-29T08:00:00Z"));
    json k = i % 2 == 0 ? c : company("无锡江南" + std::to_string(i) + "号电缆有限公司", "", "0510-" + std::to_string(i));
    if (i % 4 == 0) k["address"] = "星湖街" + std::to_string(i) + "号";
    k3.push_back(rec("k3Id", std::to_string(100000 + i), k, "2026-11-29T09:00:00Z"));
  }
  return {crm, k3};
}

// Everything the service shows about its state.
std::string snapshot(Service& s) {
  SyncCounts c = s.counts();
  std::string out = std::to_string(c.links) + "/" + std::to_string(c.pending) + "/" +
                    std::to_string(c.deferred) + "/" + std::to_string(c.failed) + "/" +
                    std::to_string(c.conflicts) + "\n";
  out += s.linksJson(10000, 0).value() + "\n";
  json writes = json::parse(s.writesJson("", 10000, 0).value());
  for (json& w : writes["items"]) {
    w.erase("createdAt");
    w.erase("updatedAt");
  }
  return out + writes.dump();
}

TEST(SyncServiceConfirmBatch, SameStateAsConfirmingOneByOne) {
  testkit::TempDir dir;
  FakeClock clock;
  auto [crm, k3] = firstSyncInput(60);
  auto one = Service::open(serviceOptions(dir.file("one.db"), &clock));
  auto many = Service::open(serviceOptions(dir.file("many.db"), &clock));
  ASSERT_TRUE(one.ok() && many.ok());
  auto f1 = (*one)->firstSync(crm, k3);
  auto f2 = (*many)->firstSync(crm, k3);
  ASSERT_TRUE(f1.ok() && f2.ok());
  ASSERT_EQ(f1->writes.size(), f2->writes.size());
  ASSERT_GT(f1->writes.size(), 40u);
  ASSERT_EQ(snapshot(**one), snapshot(**many));

  std::vector<Service::Confirmation> all;
  for (std::size_t k = 0; k < f1->writes.size(); ++k) {
    const SyncWrite& w = f1->writes[k];
    all.push_back({w.write_id, w.kind == "create" ? "N" + std::to_string(k) : ""});
  }
  for (const auto& c : all) ASSERT_TRUE((*one)->confirmWrite(c.write_id, c.new_target_id).ok());
  for (std::size_t k = 0; k < all.size(); k += 7) {
    std::vector<Service::Confirmation> batch(all.begin() + static_cast<long>(k),
                                             all.begin() + static_cast<long>(std::min(all.size(), k + 7)));
    batch.push_back(batch.front());  // on_delivered twice in one batch: fine, same id
    auto results = (*many)->confirmWrites(batch);
    ASSERT_EQ(results.size(), batch.size());
    for (const auto& r : results) ASSERT_TRUE(r.ok()) << r.error().message;
  }
  EXPECT_EQ((*many)->counts().pending, 0u);
  EXPECT_EQ(snapshot(**one), snapshot(**many));
  // What was committed: a reopened service shows the same.
  many->reset();
  auto again = Service::open(serviceOptions(dir.file("many.db"), &clock));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(snapshot(**one), snapshot(**again));
}

TEST(SyncServiceConfirmBatch, ErrorsStayWithTheirConfirmationAndReleasesComeBack) {
  testkit::TempDir dir;
  FakeClock clock;
  SideSim crm{"crm", "customerId", "C", &clock};
  auto s = Service::open(serviceOptions(dir.file("qiao.db"), &clock));
  ASSERT_TRUE(s.ok());
  Service& svc = **s;
  std::string c1 = crm.create(company("宁波北仑模具有限责任公司", "", "0574-86881234"));
  std::string c2 = crm.create(company("无锡江南电缆股份有限公司", "", "0510-88888888"));
  auto r1 = svc.ingestChange("crm", crm.json(c1));
  auto r2 = svc.ingestChange("crm", crm.json(c2));
  ASSERT_TRUE(r1.ok() && r2.ok());
  ASSERT_EQ(r1->writes.size(), 1u);
  ASSERT_EQ(r2->writes.size(), 1u);
  clock.now += 1000;
  crm.edit(c1, "address", "北仑区新碶街道");
  auto later = svc.ingestChange("crm", crm.json(c1));
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->deferred, 1u);
  const std::string deferred_id = "w" + std::to_string(std::stoi(r2->writes[0].write_id.substr(1)) + 1);

  auto results = svc.confirmWrites({{r1->writes[0].write_id, "100777"},
                                    {"w999", ""},
                                    {r1->writes[0].write_id, "100778"},  // another id: refused
                                    {r2->writes[0].write_id, ""},        // a create needs its id
                                    {deferred_id, ""},                   // released above, fine
                                    {r2->writes[0].write_id, "100779"}});
  ASSERT_EQ(results.size(), 6u);
  ASSERT_TRUE(results[0].ok()) << results[0].error().message;
  ASSERT_EQ(results[0]->size(), 1u);
  EXPECT_EQ((*results[0])[0].write_id, deferred_id);
  EXPECT_EQ((*results[0])[0].target_id, "100777");
  EXPECT_EQ(json::parse((*results[0])[0].record_json)["k3Id"], "100777");
  EXPECT_EQ(results[1].error().code, ErrorCode::kNotFound);
  EXPECT_EQ(results[2].error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(results[3].error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(results[4].ok());
  EXPECT_TRUE(results[5].ok());
  EXPECT_EQ(svc.counts().pending, 0u);
  EXPECT_EQ(svc.counts().deferred, 0u);
  // Committed: the same answers from the file.
  EXPECT_TRUE(svc.confirmWrite(r1->writes[0].write_id, "100777").ok());
  EXPECT_EQ(svc.confirmWrite(r2->writes[0].write_id, "100778").error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(svc.linksJson(10, 0, "k3cloud", "100779").value().find("\"" + c2 + "\""), std::string::npos);
}

}  // namespace
}  // namespace qiao::sync::test
