// First sync through the service: natural-key pairs linked, ambiguous groups reviewed (never
// created), the rest created elsewhere; review decisions; 20,000 per side under a time bound.
#include <chrono>

#include "qiao/sync/normalize.h"
#include "qiao/testkit/testkit.h"
#include "service_fixture.h"

namespace qiao::sync::test {
namespace {

using nlohmann::json;

std::string crmRec(const std::string& id, json rec) {
  rec["customerId"] = id;
  rec["modifiedAt"] = "2026-11-29T08:00:00Z";
  return rec.dump();
}
std::string k3Rec(const std::string& id, json rec) {
  rec["k3Id"] = id;
  rec["modifiedAt"] = "2026-11-29T09:00:00Z";
  return rec.dump();
}

std::vector<std::string> kindsFor(const std::vector<SyncWrite>& ws, const std::string& link) {
  std::vector<std::string> out;
  for (const SyncWrite& w : ws) {
    if (w.link_id == link) out.push_back(w.side + ":" + w.kind);
  }
  return out;
}

TEST(SyncServiceFirstSync, PairsReviewGroupsAndCreates) {
  testkit::TempDir dir;
  FakeClock clock;
  auto svc = Service::open(serviceOptions(dir.file("qiao.db"), &clock));
  ASSERT_TRUE(svc.ok()) << svc.error().message;
  Service& s = **svc;
  std::vector<std::string> crm = {
      crmRec("C1", company("苏州华东精密机械有限公司", "91320594MA1P8EXA2U", "0512-62588888")),
      crmRec("C2", company("福州闽江电子有限公司", "91350100M000100Y43", "0591-1")),
      crmRec("C3", company("福州闽江电子有限责任公司", "91350100M000100Y43", "0591-2")),
      crmRec("C4", company("宁波北仑模具有限责任公司", "", "0574-86881234")),
  };
  json k3a = company("苏州华东精密机械有限公司", "91320594MA1P8EXA2U", "0512-62588888");
  k3a["address"] = "工业园区星湖街328号";  // only K/3 has it: copied to the CRM
  std::vector<std::string> k3 = {
      k3Rec("100501", k3a),
      k3Rec("100502", company("福州闽江电子有限公司", "91350100M000100Y43", "0591-1")),
      k3Rec("100503", company("无锡江南电缆股份有限公司", "91110108551385082Q", "0510-1")),
      "{\"k3Id\": 5}",  // a record without a name is still a record; a bad one is rejected:
      "[]",
  };
  auto r = s.firstSync(crm, k3);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->pairs, 1u);
  EXPECT_EQ(r->review_groups, 1u);
  EXPECT_EQ(r->unmatched_crm, 1u);  // C4
  EXPECT_EQ(r->unmatched_k3, 2u);   // 100503 and 5
  ASSERT_EQ(r->rejected_k3.size(), 1u);
  EXPECT_EQ(r->rejected_k3[0].index, 4u);
  EXPECT_EQ(kindsFor(r->writes, "crm:C1"), std::vector<std::string>{"crm:update"});
  EXPECT_EQ(kindsFor(r->writes, "crm:C4"), std::vector<std::string>{"k3cloud:create"});
  EXPECT_EQ(kindsFor(r->writes, "k3cloud:100503"), std::vector<std::string>{"crm:create"});
  EXPECT_TRUE(kindsFor(r->writes, "crm:C2").empty());
  EXPECT_TRUE(kindsFor(r->writes, "crm:C3").empty());
  EXPECT_TRUE(kindsFor(r->writes, "k3cloud:100502").empty());
  EXPECT_EQ(s.counts().held, 3u);

  auto review = s.reviewJson(10, 0);
  ASSERT_TRUE(review.ok());
  json rj = json::parse(*review);
  ASSERT_EQ(rj["total"], 1);
  const json& item = rj["items"][0];
  EXPECT_EQ(item["kind"], "first_sync");
  EXPECT_EQ(item["members"].size(), 3u);
  const int64_t review_id = item["id"];

  // A held customer changing is not created anywhere.
  clock.now += 1000;
  auto held = s.ingestChange("crm", crmRec("C3", company("福州闽江电子有限责任公司", "91350100M000100Y43", "0591-3")));
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->writes.size(), 0u);
  EXPECT_EQ(held->reviews, 1u);

  EXPECT_EQ(s.resolveReview(review_id, {{"crm", "C9"}, {"k3cloud", "100502"}}, "li.na").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.resolveReview(review_id, {{"crm", "C2"}, {"k3cloud", "100502"}}, "").error().code,
            ErrorCode::kInvalidArgument);
  auto decided = s.resolveReview(review_id, {{"crm", "C2"}, {"k3cloud", "100502"}}, "li.na");
  ASSERT_TRUE(decided.ok()) << decided.error().message;
  EXPECT_EQ(decided->link_id, "crm:C2");
  EXPECT_EQ(kindsFor(decided->writes, "crm:C3"), std::vector<std::string>{"k3cloud:create"});
  EXPECT_TRUE(kindsFor(decided->writes, "crm:C2").empty());  // identical content
  EXPECT_EQ(s.counts().held, 0u);
  json all = json::parse(*s.reviewJson(10, 0, "all"));
  EXPECT_EQ(all["items"][0]["status"], "resolved");
  EXPECT_EQ(all["items"][0]["resolvedBy"], "li.na");
  EXPECT_EQ(all["items"][0]["decision"]["k3cloud"], "100502");
  EXPECT_EQ(s.resolveReview(review_id, {}, "li.na").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.firstSync(crm, k3).error().code, ErrorCode::kAlreadyExists);
}

std::string unifiedCode(int i) {
  std::string first17 = "9132050" + std::string(10 - std::to_string(i).size(), '0') + std::to_string(i);
  return first17 + unifiedCodeCheckChar(first17);
}

TEST(SyncServiceFirstSync, TwentyThousandPerSideHalfOverlapUnderATimeBound) {
  testkit::TempDir dir;
  FakeClock clock;
  const int n = 20000;
  std::vector<std::string> crm, k3;
  crm.reserve(n);
  k3.reserve(n);
  const char* forms[] = {"有限公司", "有限责任公司", "股份有限公司"};
  for (int i = 0; i < n; ++i) {
    // CRM i and K/3 i are the same company for even i (tax code), different companies otherwise.
    std::string tax = unifiedCode(i);
    json c = company("苏州华东" + std::to_string(i) + "号精密机械" + forms[i % 3], tax, "0512-" + std::to_string(60000000 + i));
    crm.push_back(crmRec("C" + std::to_string(i), c));
    json k = i % 2 == 0 ? c : company("无锡江南" + std::to_string(i) + "号电缆" + forms[i % 3], unifiedCode(n + i), "0510-" + std::to_string(i));
    if (i % 4 == 0) k["address"] = "星湖街" + std::to_string(i) + "号";
    k3.push_back(k3Rec(std::to_string(100000 + i), k));
  }
  auto start = std::chrono::steady_clock::now();
  {
    auto svc = Service::open(serviceOptions(dir.file("qiao.db"), &clock));
    ASSERT_TRUE(svc.ok());
    auto r = (*svc)->firstSync(crm, k3);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->pairs, static_cast<std::size_t>(n / 2));
    EXPECT_EQ(r->review_groups, 0u);
    std::size_t creates = 0, updates = 0;
    for (const SyncWrite& w : r->writes) {
      if (w.kind == "create") ++creates;
      if (w.kind == "update") ++updates;
    }
    EXPECT_EQ(creates, static_cast<std::size_t>(n));     // n/2 unmatched on each side
    EXPECT_EQ(updates, static_cast<std::size_t>(n / 4));  // the K/3 addresses to the CRM
  }
  double first = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto svc = Service::open(serviceOptions(dir.file("qiao.db"), &clock));
  ASSERT_TRUE(svc.ok());
  SyncCounts c = (*svc)->counts();
  EXPECT_EQ(c.links, static_cast<std::size_t>(n / 2 + n));
  EXPECT_EQ(c.pending, static_cast<std::size_t>(n + n / 4));
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("first sync %d per side: %.2f s (plus reopen: %.2f s)\n", n, first, total);
  EXPECT_LT(total, 60.0);  // a few seconds on the dev box; generous for sanitizer builds
}

}  // namespace
}  // namespace qiao::sync::test
