// Forbid in K/3 and delete in the CRM under mirror / flag / ignore, through the service.
#include "qiao/testkit/testkit.h"
#include "service_fixture.h"

namespace qiao::sync::test {
namespace {

using nlohmann::json;

class SyncServiceLifecycle : public ::testing::TestWithParam<LifecyclePolicy> {
 protected:
  testkit::TempDir dir;
  FakeClock clock;
  SideSim crm{"crm", "customerId", "C", &clock};
  SideSim k3{"k3cloud", "k3Id", "1005", &clock};
  std::unique_ptr<Service> svc;
  std::string c, k;

  void SetUp() override {
    auto s = Service::open(
        serviceOptions(dir.file("qiao.db"), &clock, serviceConfig(GetParam(), GetParam())));
    ASSERT_TRUE(s.ok()) << s.error().message;
    svc = std::move(s.value());
    c = crm.create(company("苏州华东精密机械有限公司", "91320594MA1P8EXA2U", "0512-62588888"));
    auto r = svc->ingestChange("crm", crm.json(c));
    ASSERT_TRUE(r.ok());
    deliver(*svc, {{"crm", &crm}, {"k3cloud", &k3}}, r->writes);
    k = k3.records.begin()->first;
    clock.now += 1000;
  }
};

TEST_P(SyncServiceLifecycle, ForbidInK3) {
  k3.edit(k, "status", "forbidden");
  auto r = svc->ingestChange("k3cloud", k3.json(k));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->policy_notes.size(), 1u);
  EXPECT_NE(r->policy_notes[0].find("forbid on k3cloud " + k), std::string::npos);
  switch (GetParam()) {
    case LifecyclePolicy::kMirror: {
      ASSERT_EQ(r->writes.size(), 1u);
      EXPECT_EQ(r->writes[0].kind, "forbid");
      EXPECT_EQ(r->writes[0].side, "crm");
      EXPECT_EQ(r->writes[0].target_id, c);
      EXPECT_EQ(r->writes[0].changed_fields, std::vector<std::string>{"status"});
      EXPECT_EQ(json::parse(r->writes[0].record_json)["status"], "forbidden");
      deliver(*svc, {{"crm", &crm}, {"k3cloud", &k3}}, r->writes);
      EXPECT_EQ(crm.records[c]["status"], "forbidden");
      // The CRM's echo, and re-enabling flows back the same way.
      EXPECT_EQ(svc->ingestChange("crm", crm.json(c))->writes.size(), 0u);
      clock.now += 1000;
      k3.edit(k, "status", "active");
      auto en = svc->ingestChange("k3cloud", k3.json(k));
      ASSERT_EQ(en->writes.size(), 1u);
      EXPECT_EQ(en->writes[0].kind, "enable");
      break;
    }
    case LifecyclePolicy::kFlag: {
      ASSERT_EQ(r->writes.size(), 1u);
      EXPECT_EQ(r->writes[0].kind, "flag");
      EXPECT_EQ(r->writes[0].changed_fields, std::vector<std::string>{"syncRemark"});
      json body = json::parse(r->writes[0].record_json);
      EXPECT_EQ(body["syncRemark"], "forbid on k3cloud");
      EXPECT_EQ(body["status"], "active");  // left active in the CRM
      break;
    }
    case LifecyclePolicy::kIgnore:
      EXPECT_EQ(r->writes.size(), 0u);
      EXPECT_NE(r->policy_notes[0].find("ignored by policy"), std::string::npos);
      break;
  }
}

TEST_P(SyncServiceLifecycle, DeleteInCrm) {
  crm.edit(c, "status", "deleted");
  crm.edit(c, "deleted", true);
  auto r = svc->ingestChange("crm", crm.json(c));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->policy_notes.size(), 1u);
  EXPECT_NE(r->policy_notes[0].find("delete on crm " + c), std::string::npos);
  switch (GetParam()) {
    case LifecyclePolicy::kMirror:
      ASSERT_EQ(r->writes.size(), 1u);
      EXPECT_EQ(r->writes[0].kind, "delete");
      EXPECT_EQ(r->writes[0].target_id, k);
      EXPECT_EQ(json::parse(r->writes[0].record_json)["deleted"], true);
      break;
    case LifecyclePolicy::kFlag:
      ASSERT_EQ(r->writes.size(), 1u);
      EXPECT_EQ(r->writes[0].kind, "flag");
      EXPECT_EQ(r->writes[0].side, "k3cloud");
      EXPECT_EQ(json::parse(r->writes[0].record_json)["remark"], "delete on crm");
      break;
    case LifecyclePolicy::kIgnore:
      EXPECT_EQ(r->writes.size(), 0u);
      break;
  }
  deliver(*svc, {{"crm", &crm}, {"k3cloud", &k3}}, r->writes);
  // Later changes of the deleted CRM record are reviewed, never synced.
  clock.now += 1000;
  crm.edit(c, "phone", "1");
  auto after = svc->ingestChange("crm", crm.json(c));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->writes.size(), 0u);
  EXPECT_EQ(after->reviews, 1u);
}

INSTANTIATE_TEST_SUITE_P(Policies, SyncServiceLifecycle,
                         ::testing::Values(LifecyclePolicy::kMirror, LifecyclePolicy::kFlag,
                                           LifecyclePolicy::kIgnore),
                         [](const auto& info) { return std::string(toString(info.param)); });

}  // namespace
}  // namespace qiao::sync::test
