// Notifications as a route step, through the real `qiao run` and qiao-sim (K/3 Cloud, CRM,
// WeCom): an order K/3 accepted is followed (on_delivered.then, next to the CRM write-back) by
// one WeCom app message to its salesperson naming the order and K/3's bill number; an order
// K/3 refuses tells nobody until it is replayed and accepted; a payment matched by the
// reconciliation is followed by one message to finance with the amounts. WeCom failures are
// retried (transient errcode) or dead-lettered (permanent errcode, unknown salesperson) without
// holding back the order route or its write-back.
#include <chrono>
#include <thread>

#include "k3_flow.h"

namespace qiao::e2e {
namespace {

constexpr int kNotifyAttempts = 6;

class NotifyFlowTest : public K3FlowTest {
 protected:
  // The demo's order flow (as k3_flow.cpp writes it, K/3 saving only) with two notification
  // routes, and the reconciliation with its payment-status route, whose follow-up notifies
  // finance.
  void startNotifyFlow() {
    testkit::writeFile(dir_->file("secrets/wecom_secret"), "sim-wecom-secret\n");
    Flow f;
    f.k3_concurrency = 0;
    f.crm_concurrency = 0;
    f.max_attempts = kNotifyAttempts;
    f.max_backoff_ms = 400;
    f.submit_audit = false;
    f.then = "[order_status_to_crm, notify_sales]";
    const std::string wecom =
        "    type: wecom\n"
        "    corp_id: wwsimcorp0000001\n"
        "    agent_id: 1000002\n"
        "    secret: ${file:" + dir_->file("secrets/wecom_secret") + "}\n"
        "    base_url: http://127.0.0.1:" + std::to_string(sim_port_) + "/sim/wecom\n"
        "    msgtype: markdown\n"
        "    timeout: 2s\n"
        "    circuit_breaker: {failure_threshold: 50, open_ms: 1000}\n";
    f.extra_connectors =
        "  wecom_sales:\n" + wecom +
        "  wecom_finance:\n" + wecom +
        "    touser: Finance\n";
    const std::string retry = retryYaml(f);
    f.extra_routes =
        "  notify_sales:\n"
        "    sink: wecom_sales\n"
        "    entity: notification\n"
        "    business_key: /record/orderId\n"
        "    mapping: order_accepted_to_wecom\n" + retry +
        "  recon_orders:\n"
        "    sink: reconciliation\n"
        "    entity: order\n"
        "    business_key: /orderId\n"
        "  recon_payments:\n"
        "    sink: reconciliation\n"
        "    entity: payment\n"
        "    business_key: /paymentId\n"
        "  payment_status:\n"
        "    sink: erp\n"
        "    business_key: /orderId\n"
        "  notify_finance:\n"
        "    sink: wecom_finance\n"
        "    entity: notification\n"
        "    business_key: /orderId\n"
        "    mapping: payment_matched_to_wecom\n" + retry +
        "reconciliation:\n"
        "  status_route: [payment_status, notify_finance]\n";
    startFlow(f);
  }

  // App messages the WeCom simulator accepted, oldest first.
  json appMessages() {
    auto r = sim("GET", "/sim/wecom/_messages?channel=app");
    EXPECT_EQ(r.status, 200) << r.body;
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j["messages"] : json::array();
  }
  static std::string contentOf(const json& m) {
    return m["body"]["markdown"].value("content", std::string());
  }
  json routeMessages(const std::string& route) {
    auto r = api("GET", "/api/v1/messages?route=" + route);
    EXPECT_EQ(r.status, 200) << r.body;
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j["items"] : json::array();
  }
  // Waits until the route has n messages and returns them settled (delivered or dead).
  json settled(const std::string& route, size_t n) {
    EXPECT_TRUE(testkit::waitFor([&] { return routeMessages(route).size() >= n; }, 15000))
        << route << ": " << routeMessages(route).dump() << gatewayLog();
    json items;
    testkit::waitFor([&] {
      items = routeMessages(route);
      for (const auto& m : items)
        if (m["status"] != "delivered" && m["status"] != "dead") return false;
      return true;
    }, 15000, 50);
    EXPECT_EQ(items.size(), n) << items.dump();
    return items;
  }
  std::string billNumber(const std::string& order_id) {
    auto r = api("GET", "/api/v1/xref?entity=order&system=k3cloud&local=" + order_id);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false).value("remote_number", std::string());
  }
  void fault(const json& spec) {
    auto r = sim("POST", "/sim/wecom/_faults", spec.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  int64_t deadLetterOf(const std::string& route, const std::string& key) {
    auto r = api("GET", "/api/v1/dead-letters?route=" + route);
    EXPECT_EQ(r.status, 200) << r.body;
    const json items = json::parse(r.body, nullptr, false).value("items", json::array());
    for (const auto& d : items)
      if (d.value("business_key", "") == key) return d["id"].get<int64_t>();
    ADD_FAILURE() << "no dead letter for " << key << " in " << route << ": " << r.body;
    return 0;
  }
  static std::string deadReason(const json& items, const std::string& key) {
    for (const auto& d : items)
      if (d.value("business_key", "") == key) return d.value("reason", "");
    return "";
  }
};

TEST_F(NotifyFlowTest, AcceptedOrderTellsItsSalespersonOnceARefusedOneNobody) {
  startNotifyFlow();
  json accepted = order(1), refused = order(2, "C999001");  // K/3 does not know C999001
  createInCrm(accepted);
  createInCrm(refused);
  auto ids = push(json::array({accepted, refused}));
  ASSERT_EQ(ids.size(), 2u);
  waitStatus(ids[0], "delivered");
  waitStatus(ids[1], "dead");
  // Both follow-ups of the accepted order ran: the write-back and the notification.
  ASSERT_TRUE(testkit::waitFor([&] { return crmOrder(orderId(1)).contains("erpBillNo"); }, 15000)) << gatewayLog();
  json notes = settled("notify_sales", 1);
  EXPECT_EQ(notes[0]["status"], "delivered") << notes.dump();
  EXPECT_EQ(notes[0]["business_key"], orderId(1));

  const std::string bill = billNumber(orderId(1));
  ASSERT_FALSE(bill.empty());
  json sent = appMessages();
  ASSERT_EQ(sent.size(), 1u) << sent.dump(2);
  EXPECT_EQ(sent[0]["touser"], json::array({"zhangsan"})) << sent[0].dump();  // EMP001
  EXPECT_EQ(sent[0]["msgtype"], "markdown");
  const std::string content = contentOf(sent[0]);
  EXPECT_NE(content.find("订单号：<font color=\"info\">" + orderId(1) + "</font>"), std::string::npos) << content;
  EXPECT_NE(content.find("K/3 单号：" + bill + "\n"), std::string::npos) << content;
  EXPECT_NE(content.find("金额：226.00 CNY"), std::string::npos) << content;
  EXPECT_EQ(content.find(orderId(2)), std::string::npos) << content;
  EXPECT_EQ(notes[0]["remote_id"], sent[0]["msgid"]);  // WeCom's msgid kept

  // The refused order is fixed in K/3 and replayed: now, and only now, its salesperson hears.
  k3("_basedata/BD_Customer",
     R"([{"FNumber":"C999001","FName":"无锡新区精工有限公司","FCreateOrgId":{"FNumber":"100"},)"
     R"("FUseOrgId":{"FNumber":"100"}}])");
  auto rp = api("POST", "/api/v1/dead-letters/" + std::to_string(deadLetterOf("k3_orders", orderId(2))) +
                            "/replay", R"({"reason":"customer created in K/3"})");
  ASSERT_EQ(rp.status, 200) << rp.body;
  waitStatus(ids[1], "delivered");
  settled("notify_sales", 2);
  sent = appMessages();
  ASSERT_EQ(sent.size(), 2u) << sent.dump(2);
  EXPECT_NE(contentOf(sent[1]).find("K/3 单号：" + billNumber(orderId(2))), std::string::npos) << sent[1].dump();
  EXPECT_NE(contentOf(sent[1]).find(orderId(2)), std::string::npos);
}

TEST_F(NotifyFlowTest, WecomFailuresAreRetriedOrDeadLetteredWithoutHoldingTheOrder) {
  startNotifyFlow();
  // Two "system busy" answers: retried, one message in the end.
  fault({{"errcode", -1}, {"count", 2}, {"path", "message/send"}});
  json busy = order(3);
  createInCrm(busy);
  auto ids = push(json::array({busy}));
  ASSERT_EQ(ids.size(), 1u);
  waitStatus(ids[0], "delivered");
  json notes = settled("notify_sales", 1);
  ASSERT_EQ(notes[0]["status"], "delivered") << notes.dump();
  json note = message(notes[0]["id"].get<int64_t>());
  EXPECT_EQ(note["attempts"].size(), 3u) << note.dump(2);
  json sent = appMessages();
  ASSERT_EQ(sent.size(), 1u) << sent.dump(2);
  EXPECT_NE(contentOf(sent[0]).find(orderId(3)), std::string::npos);

  // A permanent errcode (40058) dead-letters the notification at once; the order and its CRM
  // write-back go through. Replayed, it is sent once.
  fault({{"errcode", 40058}, {"count", 1}, {"path", "message/send"}});
  // And a salesperson K/3 knows but without a WeCom userid: a mapping error naming the map.
  json stranger = order(5);
  stranger["salesPersonCode"] = "EMP002";
  json rejected = order(4);
  createInCrm(rejected);
  createInCrm(stranger);
  ids = push(json::array({rejected}));
  ASSERT_EQ(ids.size(), 1u);
  waitStatus(ids[0], "delivered");
  auto more = push(json::array({stranger}));
  ASSERT_EQ(more.size(), 1u);
  waitStatus(more[0], "delivered");
  ASSERT_TRUE(testkit::waitFor([&] {
    return crmOrder(orderId(4)).contains("erpBillNo") && crmOrder(orderId(5)).contains("erpBillNo");
  }, 15000)) << gatewayLog();
  notes = settled("notify_sales", 3);
  auto dl = api("GET", "/api/v1/dead-letters?route=notify_sales");
  ASSERT_EQ(dl.status, 200) << dl.body;
  json dead = json::parse(dl.body)["items"];
  ASSERT_EQ(dead.size(), 2u) << dl.body;
  EXPECT_NE(deadReason(dead, orderId(4)).find("40058"), std::string::npos) << dl.body;
  EXPECT_NE(deadReason(dead, orderId(5)).find("not in value map 'wecom_users'"), std::string::npos) << dl.body;
  EXPECT_NE(deadReason(dead, orderId(5)).find("EMP002"), std::string::npos) << dl.body;
  for (const auto& d : dead) EXPECT_EQ(d["attempts"], 1) << d.dump();  // permanent: not retried
  EXPECT_EQ(appMessages().size(), 1u);

  auto rp = api("POST", "/api/v1/dead-letters/" + std::to_string(deadLetterOf("notify_sales", orderId(4))) +
                            "/replay", R"({"reason":"WeCom parameter fixed"})");
  ASSERT_EQ(rp.status, 200) << rp.body;
  ASSERT_TRUE(testkit::waitFor([&] { return appMessages().size() == 2; }, 15000)) << gatewayLog();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  sent = appMessages();
  ASSERT_EQ(sent.size(), 2u) << sent.dump(2);
  EXPECT_NE(contentOf(sent[1]).find(orderId(4)), std::string::npos) << sent[1].dump();
}

TEST_F(NotifyFlowTest, MatchedPaymentTellsFinanceWithTheAmounts) {
  startNotifyFlow();
  auto recOrder = [](const std::string& id, const std::string& amount) {
    return json{{"orderId", id}, {"customerCode", "C1"}, {"customerName", "C1 公司"},
                {"currency", "CNY"}, {"totalAmount", amount}, {"orderDate", "2026-11-01"}}.dump();
  };
  ASSERT_EQ(api("POST", "/api/v1/routes/recon_orders/messages", recOrder("SO-N1", "1000.00")).status, 202);
  ASSERT_EQ(api("POST", "/api/v1/routes/recon_orders/messages", recOrder("SO-N2", "500.00")).status, 202);
  ASSERT_EQ(api("POST", "/api/v1/routes/recon_payments/messages",
                R"({"paymentId":"B1","source":"bank","date":"2026-11-20","amount":"1000.00","currency":"CNY","customerCode":"C1","remark":"货款 SO-N1"})")
                .status, 202);
  json notes = settled("notify_finance", 1);
  ASSERT_EQ(api("POST", "/api/v1/routes/recon_payments/messages",
                R"({"paymentId":"B2","source":"bank","date":"2026-11-21","amount":"300.00","currency":"CNY","customerCode":"C1","remark":"SO-N2 首付"})")
                .status, 202);
  notes = settled("notify_finance", 2);
  for (const auto& n : notes) EXPECT_EQ(n["status"], "delivered") << notes.dump();

  json sent = appMessages();
  ASSERT_EQ(sent.size(), 2u) << sent.dump(2);
  for (const auto& m : sent) EXPECT_EQ(m["touser"], json::array({"Finance"})) << m.dump();  // the connector's
  const std::string paid = contentOf(sent[0]), partial = contentOf(sent[1]);
  EXPECT_NE(paid.find("订单已结清"), std::string::npos) << paid;
  EXPECT_NE(paid.find("订单号：SO-N1"), std::string::npos) << paid;
  EXPECT_NE(paid.find("已收：<font color=\"info\">1000.00 CNY</font>"), std::string::npos) << paid;
  EXPECT_NE(paid.find("未收：0.00 CNY"), std::string::npos) << paid;
  EXPECT_NE(partial.find("部分回款"), std::string::npos) << partial;
  EXPECT_NE(partial.find("订单号：SO-N2"), std::string::npos) << partial;
  EXPECT_NE(partial.find("300.00 CNY"), std::string::npos) << partial;
  EXPECT_NE(partial.find("未收：<font color=\"warning\">200.00 CNY</font>"), std::string::npos) << partial;
  EXPECT_TRUE(routeMessages("notify_sales").empty());  // nobody else was told
}

}  // namespace
}  // namespace qiao::e2e
