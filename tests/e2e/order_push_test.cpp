// Issue 4's order push flow end to end, through qiao-sim's K/3 Cloud and CRM simulators:
// accepted orders reach K/3 once (Save + Submit + Audit), the ERP number goes back to the
// CRM, and every failure keeps K/3's own message.
#include <signal.h>

#include <map>
#include <set>

#include "k3_flow.h"

namespace qiao::e2e {
namespace {

using OrderPushTest = K3FlowTest;

int64_t k3Count(const json& stats, const char* key) {
  return stats.is_object() && stats.contains(key) ? stats[key].get<int64_t>() : -1;
}

TEST_F(OrderPushTest, OrderReachesK3AndTheErpNumberGoesBackToTheCrm) {
  startFlow();
  json orders = json::array();
  for (int n = 1; n <= 3; ++n) {
    orders.push_back(order(n));
    createInCrm(orders.back());
  }
  auto ids = push(orders);
  ASSERT_EQ(ids.size(), 3u);
  for (int64_t id : ids) waitStatus(id, "delivered");

  json bills = k3Bills();
  ASSERT_EQ(bills.size(), 3u) << bills.dump();
  std::map<std::string, json> by_no;
  for (const auto& b : bills) by_no[b.value("FBillNo", "")] = b;
  for (int n = 1; n <= 3; ++n) {
    const std::string no = orderId(n);
    ASSERT_TRUE(by_no.count(no)) << bills.dump();
    EXPECT_EQ(by_no[no].value("FDocumentStatus", ""), "C") << by_no[no].dump();  // audited

    // The write-back is its own message; wait for it to land in the CRM.
    json crm;
    ASSERT_TRUE(testkit::waitFor([&] {
      crm = crmOrder(no);
      return crm.is_object() && crm.contains("erpBillNo");
    }, 15000)) << crm.dump() << gatewayLog();
    EXPECT_EQ(crm["erpBillNo"], no);
    EXPECT_EQ(crm["erpStatus"], "C");
    EXPECT_EQ(crm["erpId"], std::to_string(by_no[no]["FID"].get<int64_t>()));

    auto x = api("GET", "/api/v1/xref?entity=order&system=k3cloud&local=" + no);
    ASSERT_EQ(x.status, 200) << x.body;
    auto xj = json::parse(x.body);
    EXPECT_EQ(xj["remote_number"], no);
    EXPECT_EQ(xj["remote_id"], crm["erpId"]);
  }
  json st = k3Stats();
  EXPECT_EQ(st["calls"]["Save"], 3) << st.dump();
  EXPECT_EQ(k3Count(st, "logins"), 1) << st.dump();  // one session serves every worker
}

TEST_F(OrderPushTest, MissingBaseDataIsADeadLetterWithK3sMessageThenReplayed) {
  startFlow();
  json o = order(7, "C999001");
  createInCrm(o);
  auto ids = push(json::array({o}));
  ASSERT_EQ(ids.size(), 1u);
  json msg = waitStatus(ids[0], "dead");
  auto dl = api("GET", "/api/v1/dead-letters?route=k3_orders");
  ASSERT_EQ(dl.status, 200) << dl.body;
  auto items = json::parse(dl.body)["items"];
  ASSERT_EQ(items.size(), 1u) << dl.body;
  std::string reason = items[0]["reason"].get<std::string>();
  // K/3's own words, Chinese intact, with the field.
  EXPECT_NE(reason.find("FCustId"), std::string::npos) << reason;
  EXPECT_NE(reason.find("C999001"), std::string::npos) << reason;
  EXPECT_NE(reason.find("不存在"), std::string::npos) << reason;
  EXPECT_EQ(items[0]["attempts"], 1);  // permanent: never retried
  EXPECT_TRUE(k3Bills().empty());

  // IT adds the customer in K/3, then replays.
  k3("_basedata/BD_Customer",
     R"([{"FNumber":"C999001","FName":"无锡新区精工有限公司","FCreateOrgId":{"FNumber":"100"},)"
     R"("FUseOrgId":{"FNumber":"100"}}])");
  auto rp = api("POST", "/api/v1/dead-letters/" + std::to_string(items[0]["id"].get<int64_t>()) +
                            "/replay", R"({"reason":"customer created in K/3"})");
  ASSERT_EQ(rp.status, 200) << rp.body;
  waitStatus(ids[0], "delivered");
  EXPECT_EQ(k3Bills().size(), 1u);
  ASSERT_TRUE(testkit::waitFor([&] { return crmOrder(orderId(7)).contains("erpBillNo"); }, 15000))
      << gatewayLog();
}

TEST_F(OrderPushTest, SessionExpiryMidRunLogsInAgainOnce) {
  startFlow();
  json batch = json::array();
  for (int n = 1; n <= 40; ++n) {
    batch.push_back(order(n));
    createInCrm(batch.back());
  }
  auto first = push(json(std::vector<json>(batch.begin(), batch.begin() + 20)));
  ASSERT_EQ(first.size(), 20u);
  for (int64_t id : first) waitStatus(id, "delivered");
  ASSERT_EQ(k3Count(k3Stats(), "logins"), 1);

  k3("_sessions/expire", "{}");  // K/3 restarted, or the session timed out
  auto second = push(json(std::vector<json>(batch.begin() + 20, batch.end())));
  ASSERT_EQ(second.size(), 20u);
  for (int64_t id : second) waitStatus(id, "delivered");
  json st = k3Stats();
  EXPECT_EQ(k3Count(st, "logins"), 2) << st.dump();  // one re-login, not one per worker
  EXPECT_EQ(k3Bills().size(), 40u);  // the Saves refused for the lost session were not stored
  EXPECT_GE(k3Count(st, "session_lost"), 1) << st.dump();
}

TEST_F(OrderPushTest, TimeoutAfterCommitNeverCreatesTheOrderTwice) {
  Flow f;
  f.k3_timeout = "1s";
  startFlow(f);
  json o = order(11);
  createInCrm(o);
  // K/3 stores the order, then the answer is lost (our timeout is 1 s).
  k3("_faults", R"({"mode":"timeout_after_commit","delay_ms":2500,"count":1,"services":["Save"]})");
  auto ids = push(json::array({o}));
  ASSERT_EQ(ids.size(), 1u);
  json msg = waitStatus(ids[0], "delivered", 30000);
  ASSERT_GE(msg["attempts"].size(), 2u) << msg.dump(2);  // the first try timed out
  json bills = k3Bills();
  ASSERT_EQ(bills.size(), 1u) << bills.dump();
  EXPECT_EQ(bills[0]["FDocumentStatus"], "C");  // the found bill was submitted and audited
  EXPECT_EQ(k3Stats()["calls"]["Save"], 1);     // looked up, not saved again
  ASSERT_TRUE(testkit::waitFor([&] { return crmOrder(orderId(11)).contains("erpBillNo"); }, 15000))
      << gatewayLog();
}

// The acceptance run of issue 4: 1,000 orders, 20% transient faults on both K/3 and the CRM,
// and the gateway killed with SIGKILL three times while it delivers. Every order exists once
// in K/3 and every CRM order learned its ERP number.
TEST_F(OrderPushTest, ThousandOrdersWithFaultsAndThreeKillsLandExactlyOnce) {
  constexpr int kOrders = 1000;
  Flow f;
  f.max_attempts = 1000;  // transient faults must never exhaust the budget here
  f.k3_timeout = "2s";
  startFlow(f);
  json all = json::array();
  for (int n = 1; n <= kOrders; ++n) {
    all.push_back(order(n));
    createInCrm(all.back());
  }
  k3("_faults", R"({"mode":"rate","status":503,"percent":20,"seed":7})");
  auto crm = sim("POST", "/sim/crm/_faults", R"({"mode":"rate","status":503,"percent":20,"seed":7})");
  ASSERT_EQ(crm.status, 200) << crm.body;
  for (int i = 0; i < kOrders; i += 100)
    ASSERT_EQ(push(json(std::vector<json>(all.begin() + i, all.begin() + i + 100))).size(), 100u);

  for (int kill = 0; kill < 3; ++kill) {
    // Let some work happen, then crash in the middle of it.
    size_t before = k3Bills().size();
    testkit::waitFor([&] { return k3Bills().size() >= before + 150; }, 20000, 50);
    stopGateway(SIGKILL);
    startGateway();
  }
  auto writebacks = [&] {
    auto r = sim("GET", "/sim/crm/_stats");
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j["writes"]["erp_status"].get<int64_t>() : -1;
  };
  ASSERT_TRUE(testkit::waitFor([&] { return writebacks() >= kOrders; }, 240000, 250))
      << "write-backs: " << writebacks() << "\n" << gatewayLog().substr(0, 4000);

  // Faults off, so that the checks below read what the simulators hold.
  k3("_faults", R"({"mode":"none"})");
  ASSERT_EQ(sim("POST", "/sim/crm/_faults", R"({"mode":"none"})").status, 200);
  json bills = k3Bills();
  std::set<std::string> numbers;
  for (const auto& b : bills) numbers.insert(b.value("FBillNo", ""));
  EXPECT_EQ(bills.size(), static_cast<size_t>(kOrders));  // none twice
  EXPECT_EQ(numbers.size(), static_cast<size_t>(kOrders));
  for (int n = 1; n <= kOrders; ++n) {
    json c = crmOrder(orderId(n));
    ASSERT_TRUE(c.contains("erpBillNo")) << orderId(n) << " " << c.dump();
    EXPECT_EQ(c["erpBillNo"], orderId(n));
  }
  EXPECT_EQ(writebacks(), kOrders);  // each CRM order written back once
}

}  // namespace
}  // namespace qiao::e2e
