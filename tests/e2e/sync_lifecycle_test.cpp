// Customer sync lifecycle end to end (issue 5 point 6): a customer forbidden / re-enabled in
// K/3 or deleted in the CRM is handled by the configured policy (mirror, flag, ignore) — with
// the real `qiao run` and qiao-sim's CRM (customers API, webhooks) and K/3 (BD_Customer, Forbid
// / Enable through ExcuteOperation) on 127.0.0.1. Each case checks the other system's state
// through the simulator and that the policy application is visible (log line, sync API).
//   MirrorForbidEnableAndDelete — K/3 forbid → CRM forbidden; K/3 enable → CRM active;
//                                 CRM delete → K/3 Forbid operation (no Save)
//   FlagForbidAndDelete         — K/3 forbid → CRM syncRemark, still active; CRM delete →
//                                 K/3 FDescription, still enabled
//   IgnoreForbidWritesNothing   — K/3 forbid → nothing written, the note logged, link shows it
#include <string>

#include "sync_flow.h"

namespace qiao::e2e {
namespace {

constexpr const char* kHookSecret = "sync-lifecycle-hook-secret";

struct Policies {
  std::string k3_on_forbid = "mirror";  // when K/3 forbids / re-enables
  std::string crm_on_delete = "mirror"; // when the CRM deletes
};

class SyncLifecycleTest : public SyncGatewayTest {
 protected:
  void writeSyncConfig(const Policies& p) {
    SyncConfig c;
    c.hook_secret = kHookSecret;
    c.retry_attempts = 4;
    c.retry_max_backoff_ms = 300;
    c.batch_window = "300ms";
    c.crm_on_delete = p.crm_on_delete;
    c.k3_on_forbid = p.k3_on_forbid;
    c.k3_flag_field = "FDescription";
    writeSyncGatewayConfig(c);
  }

  // K/3 customers seeded, the gateway started, the first pull's creates in the CRM done:
  // returns the linked (crm id, k3 id) pairs.
  std::vector<std::pair<std::string, std::string>> startLinked(const Policies& p) {
    EXPECT_EQ(sim("POST", "/sim/k3cloud/_customers/seed", R"({"count":3,"seed":11,"overlap_with_crm":0})").status, 200);
    writeSyncConfig(p);
    auto r = subscribeCrmWebhooks(kHookSecret);
    EXPECT_EQ(r.status, 201) << r.body;
    startGateway();
    size_t active = 0;
    for (const json& d : k3All()) active += d.value("FForbidStatus", "A") == "A";
    EXPECT_GE(active, 3u);
    EXPECT_TRUE(testkit::waitFor([&] { return links().size() == active && openWrites() == 0; }, 30000))
        << links().size() << " links of " << active << "\n" << debugState();
    waitQuiet();
    return links();
  }

  json crmCustomer(const std::string& id) { return json::parse(crm("GET", "customers/" + id).body, nullptr, false); }
  // As a K/3 user: FForbidStatus set on the customer (by FNumber), FModifyDate bumped.
  void k3UserSetForbid(const std::string& k3_id, const char* status) {
    json doc = k3Customer(k3_id);
    ASSERT_TRUE(doc.is_object()) << k3_id;
    auto r = sim("POST", "/sim/k3cloud/_basedata/BD_Customer",
                 json::array({{{"FNumber", doc["FNumber"]}, {"FForbidStatus", status}}}).dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::string debugState() {
    return "dead letters: " + api("GET", "/api/v1/dead-letters").body + "\nwrites: " +
           api("GET", "/api/v1/sync/writes?limit=20").body + "\nfailed: " +
           api("GET", "/api/v1/sync/writes?status=failed").body + "\nreview: " + api("GET", "/api/v1/sync/review").body;
  }
  // The link of a customer as the sync API shows it: sides.<side>.{id,forbidden,deleted}.
  json link(const std::string& side, const std::string& id) {
    json l = syncApi("links?side=" + side + "&id=" + id);
    if (l.is_object() && l.contains("items") && !l["items"].empty()) return l["items"][0];
    return l;
  }
  json k3Calls() { return json::parse(sim("GET", "/sim/k3cloud/_stats").body, nullptr, false).value("calls", json::object()); }
  int64_t k3Calls(const char* method) { return k3Calls().value(method, int64_t{0}); }
  int64_t crmQiaoEffects() {
    json s = json::parse(sim("GET", "/sim/crm/_stats").body, nullptr, false);
    return s.value("by_actor", json::object()).value("qiao", json::object()).value("effects", int64_t{0});
  }
  // No open write, and the counters stopped moving over three 2 s pulls.
  void waitQuiet() {
    int64_t last_k3 = -1, last_crm = -1;
    int stable = 0;
    bool ok = testkit::waitFor([&] {
      int64_t open = openWrites(), k3 = k3Calls("Save") + k3Calls("ExcuteOperation"), c = crmQiaoEffects();
      stable = open == 0 && k3 == last_k3 && c == last_crm ? stable + 1 : 0;
      last_k3 = k3;
      last_crm = c;
      return stable >= 5;
    }, 40000, 1000);
    ASSERT_TRUE(ok) << "sync did not settle\n" << debugState();
  }
  bool logHas(const std::string& text) { return gatewayLog().find(text) != std::string::npos; }
};

// (a) mirror, (c) re-enable, (b) mirror: a CRM delete is a Forbid in K/3.
TEST_F(SyncLifecycleTest, MirrorForbidEnableAndDelete) {
  auto pairs = startLinked({"mirror", "mirror"});
  ASSERT_GE(pairs.size(), 3u);
  const std::string crm_a = pairs[0].first, k3_a = pairs[0].second;
  const std::string crm_b = pairs[1].first, k3_b = pairs[1].second;
  ASSERT_EQ(crmCustomer(crm_a).value("status", ""), "active");

  // (a) Forbidden in K/3 → forbidden in the CRM.
  k3UserSetForbid(k3_a, "B");
  ASSERT_TRUE(testkit::waitFor([&] { return crmCustomer(crm_a).value("status", "") == "forbidden"; }, 20000))
      << crmCustomer(crm_a).dump(1) << "\n" << debugState();
  waitQuiet();
  EXPECT_TRUE(logHas("forbid on k3cloud " + k3_a + ": mirror -> crm")) << gatewayLog();
  json l = link("crm", crm_a);
  EXPECT_EQ(l["sides"]["crm"].value("forbidden", false), true) << l.dump();
  EXPECT_EQ(l["sides"]["k3cloud"].value("forbidden", false), true) << l.dump();
  EXPECT_EQ(k3Customer(k3_a).value("FForbidStatus", ""), "B") << "nothing writes K/3 back";

  // (c) Re-enabled in K/3 → active in the CRM.
  k3UserSetForbid(k3_a, "A");
  ASSERT_TRUE(testkit::waitFor([&] { return crmCustomer(crm_a).value("status", "") == "active"; }, 20000))
      << crmCustomer(crm_a).dump(1) << "\n" << debugState();
  waitQuiet();
  EXPECT_TRUE(logHas("enable on k3cloud " + k3_a + ": mirror -> crm")) << gatewayLog();
  EXPECT_EQ(link("crm", crm_a)["sides"]["crm"].value("forbidden", true), false);

  // (b) Deleted in the CRM → forbidden in K/3 through the Forbid operation, not a Save: the
  // document stays audited, its fields untouched.
  json before = k3Customer(k3_b);
  ASSERT_EQ(before.value("FForbidStatus", ""), "A");
  const int64_t saves = k3Calls("Save"), ops = k3Calls("ExcuteOperation");
  const int64_t reviews = syncApi("review").value("total", int64_t{-1});  // the seed's forbidden one
  auto del = crm("DELETE", "customers/" + crm_b);
  ASSERT_EQ(del.status, 200) << del.body;
  ASSERT_TRUE(testkit::waitFor([&] { return k3Customer(k3_b).value("FForbidStatus", "") == "B"; }, 20000))
      << k3Customer(k3_b).dump(1) << "\n" << debugState();
  waitQuiet();
  json after = k3Customer(k3_b);
  EXPECT_EQ(k3Calls("ExcuteOperation") - ops, 1) << k3Calls().dump();
  EXPECT_EQ(k3Calls("Save"), saves) << "a forbid is no Save: " << k3Calls().dump();
  EXPECT_EQ(after.value("FDocumentStatus", ""), "C");
  for (const char* k : {"FName", "FTEL", "FADDRESS", "FNumber", "FDescription"})
    EXPECT_EQ(after.value(k, json()), before.value(k, json())) << k;
  EXPECT_TRUE(logHas("delete on crm " + crm_b + ": mirror -> k3cloud (k3cloud cannot delete: forbidden instead)"))
      << gatewayLog();
  json deleted_link = link("crm", crm_b);
  EXPECT_EQ(deleted_link["sides"]["crm"].value("deleted", false), true) << deleted_link.dump();
  EXPECT_EQ(deleted_link["sides"]["k3cloud"].value("forbidden", false), true) << deleted_link.dump();
  EXPECT_EQ(deleted_link["sides"]["k3cloud"].value("deleted", true), false) << deleted_link.dump();
  // The Forbid moved K/3's FModifyDate; the pulls since (waitQuiet) saw the state we wrote.
  EXPECT_EQ(syncApi("review").value("total", int64_t{-1}), reviews) << syncApi("review").dump();
  EXPECT_EQ(syncApi("writes?status=failed").value("total", int64_t{-1}), 0) << debugState();
  EXPECT_EQ(crmCustomer(crm_b).value("status", ""), "deleted") << "nothing undeletes the CRM customer";
}

// (a) flag and (b) flag: the other side's flag field is written, the customer stays active.
TEST_F(SyncLifecycleTest, FlagForbidAndDelete) {
  auto pairs = startLinked({"flag", "flag"});
  ASSERT_GE(pairs.size(), 3u);
  const std::string crm_a = pairs[0].first, k3_a = pairs[0].second;
  const std::string crm_b = pairs[1].first, k3_b = pairs[1].second;

  k3UserSetForbid(k3_a, "B");
  ASSERT_TRUE(testkit::waitFor([&] { return crmCustomer(crm_a).value("syncRemark", "") == "forbid on k3cloud"; }, 20000))
      << crmCustomer(crm_a).dump(1) << "\n" << debugState();
  waitQuiet();
  EXPECT_EQ(crmCustomer(crm_a).value("status", ""), "active") << "flag leaves the CRM customer active";
  EXPECT_TRUE(logHas("forbid on k3cloud " + k3_a + ": flag -> crm")) << gatewayLog();
  EXPECT_EQ(link("crm", crm_a)["sides"]["k3cloud"].value("forbidden", false), true);

  const int64_t ops = k3Calls("ExcuteOperation");
  auto del = crm("DELETE", "customers/" + crm_b);
  ASSERT_EQ(del.status, 200) << del.body;
  ASSERT_TRUE(testkit::waitFor([&] { return k3Customer(k3_b).value("FDescription", "") == "delete on crm"; }, 20000))
      << k3Customer(k3_b).dump(1) << "\n" << debugState();
  waitQuiet();
  json after = k3Customer(k3_b);
  EXPECT_EQ(after.value("FForbidStatus", ""), "A") << "flag leaves the K/3 customer enabled";
  EXPECT_EQ(after.value("FDocumentStatus", ""), "C");
  EXPECT_EQ(k3Calls("ExcuteOperation"), ops) << "no Forbid under flag";
  EXPECT_TRUE(logHas("delete on crm " + crm_b + ": flag -> k3cloud")) << gatewayLog();
  EXPECT_EQ(syncApi("writes?status=failed").value("total", int64_t{-1}), 0) << debugState();
}

// (a) ignore: nothing is written to the CRM, but the application is logged and the link
// records K/3's forbidden state.
TEST_F(SyncLifecycleTest, IgnoreForbidWritesNothing) {
  auto pairs = startLinked({"ignore", "mirror"});
  ASSERT_GE(pairs.size(), 3u);
  const std::string crm_a = pairs[0].first, k3_a = pairs[0].second;
  json crm_before = crmCustomer(crm_a);
  const int64_t effects = crmQiaoEffects();

  k3UserSetForbid(k3_a, "B");
  ASSERT_TRUE(testkit::waitFor([&] { return logHas("forbid on k3cloud " + k3_a + ": ignore"); }, 20000)) << gatewayLog();
  waitQuiet();
  EXPECT_TRUE(logHas("forbid on k3cloud " + k3_a + ": ignore (ignored by policy)")) << gatewayLog();
  EXPECT_EQ(crmQiaoEffects(), effects) << "nothing written to the CRM";
  json crm_after = crmCustomer(crm_a);
  EXPECT_EQ(crm_after.value("status", ""), "active");
  EXPECT_EQ(crm_after.value("version", json()), crm_before.value("version", json()));
  json l = link("k3cloud", k3_a);
  EXPECT_EQ(l["sides"]["k3cloud"].value("forbidden", false), true) << l.dump();
  EXPECT_EQ(l["sides"]["crm"].value("forbidden", true), false) << l.dump();
}

}  // namespace
}  // namespace qiao::e2e
