// The named scenarios of issue 7 through the service's JSON entry points, over a real SQLite
// file; each ends by reopening the file and checking that every JSON answer is the same.
#include <gtest/gtest.h>

#include "service_fixture.h"

namespace qiao::recon::testing {
namespace {

class ReconService : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open(ServiceOptions o) {
    svc_.reset();
    opts_ = std::move(o);
    svc_ = openService(opts_);
    ASSERT_NE(svc_, nullptr);
  }
  void open() { open(serviceOptions(dir_.file("qiao.db"), &clock_)); }

  void order(const std::string& id, const std::string& customer, const std::string& amount,
             const std::string& date, Json extra = Json::object()) {
    auto r = svc_->upsertOrderJson(orderJson(id, customer, amount, date, std::move(extra)));
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  void pay(const std::string& json) {
    auto r = svc_->addPaymentJson(json);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  RunResult run() {
    auto r = svc_->run();
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? std::move(r.value()) : RunResult{};
  }
  Json payment(const std::string& id) { return parsed(svc_->paymentJson(id)); }
  Json orderOf(const std::string& id) { return parsed(svc_->orderJson(id)); }
  std::vector<std::string> changedIds(const RunResult& r) {
    std::vector<std::string> ids;
    for (const auto& c : r.changed) ids.push_back(c.order_id);
    return ids;
  }

  // Closes and reopens the file: the same answers to every question.
  void expectSameAfterReopen() {
    ASSERT_OK(svc_->checkInvariants());
    std::string before = snapshot(*svc_);
    open(opts_);
    ASSERT_OK(svc_->checkInvariants());
    EXPECT_EQ(snapshot(*svc_), before);
    // Nothing is left to do: a run after reopening changes nothing.
    RunResult again = run();
    EXPECT_EQ(again.stats.payments_processed, 0u);
    EXPECT_TRUE(again.changed.empty());
    EXPECT_EQ(snapshot(*svc_), before);
  }

  testkit::TempDir dir_;
  FakeClock clock_;
  ServiceOptions opts_;
  std::unique_ptr<Service> svc_;
};

TEST_F(ReconService, ExactMatchByRemark) {
  order("SO-2026-0000101", kHuadongCode, "10000.00", "2026-10-08");
  order("SO-2026-0000102", kHuadongCode, "10000.00", "2026-10-09");
  pay(bankJson("B20261101-01", "苏州华东精密机械有限公司", "10000.00", "2026-11-01", "货款ＳＯ－２０２６－００００１０２"));
  RunResult r = run();
  EXPECT_EQ(changedIds(r), std::vector<std::string>{"SO-2026-0000102"});
  Json change = Json::parse(r.changed.at(0).json);
  EXPECT_EQ(change["orderId"], "SO-2026-0000102");
  EXPECT_EQ(change["paidAmount"], "10000.00");
  EXPECT_EQ(change["outstandingAmount"], "0.00");
  EXPECT_EQ(change["paymentStatus"], "paid");
  EXPECT_EQ(change["currency"], "CNY");
  EXPECT_EQ(change["paymentUpdatedAt"], "2026-11-30T00:00:00Z");
  Json p = payment("B20261101-01");
  EXPECT_EQ(p["status"], "matched");
  ASSERT_EQ(p["allocations"].size(), 1u);
  EXPECT_EQ(p["allocations"][0]["orderId"], "SO-2026-0000102");
  EXPECT_EQ(p["allocations"][0]["rule"], "reference");
  EXPECT_EQ(p["allocations"][0]["confidence"], "0.95");
  EXPECT_EQ(orderOf("SO-2026-0000101")["paymentStatus"], "unpaid");
  expectSameAfterReopen();
}

TEST_F(ReconService, SplitPayment) {
  order("SO-2026-0000401", kHuadongCode, "10000.00", "2026-10-08");
  pay(bankJson("B401-1", "苏州华东精密机械有限公司", "6000.00", "2026-11-01"));
  RunResult r1 = run();
  ASSERT_EQ(r1.changed.size(), 1u);
  EXPECT_EQ(Json::parse(r1.changed[0].json)["paymentStatus"], "partial");
  EXPECT_EQ(Json::parse(r1.changed[0].json)["outstandingAmount"], "4000.00");
  // A restart between the two instalments: the second one still finds the open rest.
  open(opts_);
  pay(bankJson("B401-2", "苏州华东精密机械（有限公司）", "4000.00", "2026-11-15"));
  RunResult r2 = run();
  ASSERT_EQ(r2.changed.size(), 1u);
  EXPECT_EQ(Json::parse(r2.changed[0].json)["paymentStatus"], "paid");
  Json p = payment("B401-2");
  EXPECT_EQ(p["allocations"][0]["rule"], "exact_amount");
  EXPECT_EQ(orderOf("SO-2026-0000401")["outstandingAmount"], "0.00");
  expectSameAfterReopen();
}

TEST_F(ReconService, OnePaymentForThreeOrders) {
  order("SO-2026-0000503", kBeilunCode, "2000.00", "2026-10-03");
  order("SO-2026-0000501", kBeilunCode, "3000.00", "2026-10-01");
  order("SO-2026-0000502", kBeilunCode, "5000.50", "2026-10-02");
  order("SO-2026-0000504", kBeilunCode, "7000.00", "2026-10-04");
  pay(bankJson("B500", "宁波北仑模具有限责任公司", "10000.50", "2026-11-03", "10月货款"));
  RunResult r = run();
  EXPECT_EQ(changedIds(r), (std::vector<std::string>{"SO-2026-0000501", "SO-2026-0000502", "SO-2026-0000503"}));
  Json p = payment("B500");
  ASSERT_EQ(p["allocations"].size(), 3u);
  EXPECT_EQ(p["allocations"][0]["orderId"], "SO-2026-0000501");
  EXPECT_EQ(p["allocations"][1]["orderId"], "SO-2026-0000502");
  EXPECT_EQ(p["allocations"][1]["amount"], "5000.50");
  EXPECT_EQ(p["allocations"][2]["orderId"], "SO-2026-0000503");
  EXPECT_EQ(p["unallocated"], "0.00");
  EXPECT_EQ(orderOf("SO-2026-0000504")["paymentStatus"], "unpaid");
  expectSameAfterReopen();
}

TEST_F(ReconService, FeeDeducted) {
  ServiceOptions o = serviceOptions(dir_.file("qiao.db"), &clock_);
  o.config.tolerance.absolute = *Decimal::parse("20");
  open(o);
  order("SO-2026-0000701", kJiangnanCode, "50000.00", "2026-10-01");
  order("SO-2026-0000702", kJiangnanCode, "30000.00", "2026-10-02");
  pay(bankJson("B701", "无锡江南电缆股份有限公司", "29985.00", "2026-11-01", "", {{"fee", "15.00"}}));
  run();
  Json p = payment("B701");
  ASSERT_EQ(p["allocations"].size(), 1u);
  EXPECT_EQ(p["allocations"][0]["orderId"], "SO-2026-0000702");
  EXPECT_EQ(p["allocations"][0]["rule"], "tolerance_amount");
  EXPECT_EQ(p["allocations"][0]["difference"], "15.00");
  EXPECT_EQ(p["notes"], Json::array({"fee_written_off"}));
  Json ord = orderOf("SO-2026-0000702");
  EXPECT_EQ(ord["paymentStatus"], "paid");
  EXPECT_EQ(ord["writtenOff"], "15.00");
  EXPECT_EQ(ord["paidAmount"], "29985.00");
  expectSameAfterReopen();
}

TEST_F(ReconService, OverpaymentBecomesAdvance) {
  order("SO-2026-0000801", kHuadongCode, "8000.00", "2026-10-01");
  pay(bankJson("B801", "苏州华东精密机械有限公司", "10000.00", "2026-11-01", "SO-2026-0000801"));
  run();
  Json p = payment("B801");
  EXPECT_EQ(p["status"], "partial");
  EXPECT_EQ(p["unallocated"], "2000.00");
  Json sum = parsed(svc_->summaryJson(2026, 11));
  EXPECT_EQ(sum["currencies"][0]["advance"], "2000.00");
  // The advance waits across a restart and pays the customer's next order.
  open(opts_);
  order("SO-2026-0000802", kHuadongCode, "1500.00", "2026-11-05");
  RunResult r = run();
  EXPECT_EQ(changedIds(r), std::vector<std::string>{"SO-2026-0000802"});
  EXPECT_EQ(orderOf("SO-2026-0000802")["paymentStatus"], "paid");
  EXPECT_EQ(parsed(svc_->summaryJson(2026, 11))["currencies"][0]["advance"], "500.00");
  expectSameAfterReopen();
}

TEST_F(ReconService, ReversalUnwinds) {
  order("SO-2026-0000901", kBeilunCode, "6000.00", "2026-10-01");
  order("SO-2026-0000902", kBeilunCode, "3000.00", "2026-10-02");
  pay(k3Json("SKD901", kBeilunCode, "10000.00", "2026-11-01"));
  EXPECT_EQ(run().changed.size(), 2u);
  pay(k3Json("SKD901-R", kBeilunCode, "-10000.00", "2026-11-03", {{"reversalOf", "SKD901"}}));
  RunResult r = run();
  EXPECT_EQ(r.stats.reversals_applied, 1u);
  EXPECT_EQ(changedIds(r), (std::vector<std::string>{"SO-2026-0000901", "SO-2026-0000902"}));
  for (const auto& c : r.changed) {
    Json j = Json::parse(c.json);
    EXPECT_EQ(j["paymentStatus"], "unpaid");
    EXPECT_EQ(j["paidAmount"], "0.00");
  }
  EXPECT_EQ(payment("SKD901")["status"], "reversed");
  Json red = payment("SKD901-R");
  EXPECT_EQ(red["status"], "reversal");
  EXPECT_EQ(red["allocated"], "-9000.00");
  EXPECT_EQ(red["reversalOf"], "SKD901");
  for (const auto& a : red["allocations"]) EXPECT_EQ(a["rule"], "reversal");
  expectSameAfterReopen();
}

TEST_F(ReconService, K3MultiEntryReceiptAndItsReversal) {
  order("SO-2026-0000003", kJiangnanCode, "8005.00", "2026-11-01");
  order("SO-2026-0000004", kJiangnanCode, "4503.00", "2026-11-02");
  // The shape k3_receivebill_to_crm_payment produces: one entry per order, one deposit.
  std::string bill = k3Json("SKD00000234", kJiangnanCode, "15000.00", "2026-12-03", {
      {"payerName", "杭州恒通机电有限公司"}, {"orderRefs", {"SO-2026-0000003", "SO-2026-0000004"}},
      {"remark", "三笔合并付款 SO-2026-0000003"},
      {"allocations", {{{"entryId", "200455"}, {"orderRef", "SO-2026-0000003"}, {"amount", "8000.00"}, {"purpose", "sales"}, {"fee", "5"}},
                       {{"entryId", "200456"}, {"orderRef", "SO-2026-0000004"}, {"amount", "4500.50"}, {"purpose", "sales"}},
                       {{"entryId", "200457"}, {"amount", "2499.50"}, {"purpose", "advance"}, {"date", "2026-12-02"}, {"comment", "下一单定金"}}}}});
  ASSERT_EQ(*svc_->addPaymentJson(bill), IngestOutcome::kAdded);
  ASSERT_EQ(*svc_->addPaymentJson(bill), IngestOutcome::kDuplicate);
  run();
  Json whole = payment("SKD00000234");
  ASSERT_EQ(whole["entries"].size(), 3u);
  EXPECT_EQ(whole["entries"][0]["paymentId"], "SKD00000234#200455");
  EXPECT_EQ(whole["entries"][0]["receiptId"], "SKD00000234");
  EXPECT_EQ(whole["entries"][0]["allocations"][0]["orderId"], "SO-2026-0000003");
  EXPECT_EQ(whole["entries"][0]["allocations"][0]["difference"], "5.00");  // fee within ¥10
  EXPECT_EQ(whole["entries"][1]["allocations"][0]["orderId"], "SO-2026-0000004");
  EXPECT_EQ(whole["entries"][2]["status"], "advance");  // the deposit stays 预收
  EXPECT_EQ(whole["entries"][2]["date"], "2026-12-02");
  EXPECT_EQ(orderOf("SO-2026-0000003")["paymentStatus"], "paid");
  // The same bill with one entry less is a changed fact, refused.
  Json changed = Json::parse(bill);
  changed["allocations"].erase(2);
  changed["amount"] = "12500.50";
  auto bad = svc_->addPaymentJson(changed.dump());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kAlreadyExists);
  // A red receipt for the whole bill cancels every entry.
  pay(k3Json("SKD00000299", kJiangnanCode, "-15000.00", "2026-12-05", {{"reversalOf", "SKD00000234"}}));
  RunResult r = run();
  EXPECT_EQ(r.stats.reversals_applied, 3u);
  EXPECT_EQ(orderOf("SO-2026-0000003")["paymentStatus"], "unpaid");
  EXPECT_EQ(orderOf("SO-2026-0000004")["paymentStatus"], "unpaid");
  EXPECT_EQ(payment("SKD00000234#200457")["status"], "reversed");
  EXPECT_EQ(parsed(svc_->summaryJson(2026, 12))["currencies"][0]["advance"], "0.00");
  expectSameAfterReopen();
}

TEST_F(ReconService, DuplicateReceiptCountedOnce) {
  order("SO-2026-0001001", kJiangnanCode, "12000.00", "2026-10-01");
  std::string row = bankJson("B1001", "无锡江南电缆股份有限公司", "6000.00", "2026-11-01");
  ASSERT_EQ(*svc_->addPaymentJson(row), IngestOutcome::kAdded);
  run();
  open(opts_);  // the statement is imported again after a restart
  ASSERT_EQ(*svc_->addPaymentJson(row), IngestOutcome::kDuplicate);
  // Key order and the amount's spelling do not make it another receipt.
  Json same = Json::parse(row);
  same["amount"] = "6000";
  ASSERT_EQ(*svc_->addPaymentJson(same.dump()), IngestOutcome::kDuplicate);
  run();
  EXPECT_EQ(orderOf("SO-2026-0001001")["paidAmount"], "6000.00");
  EXPECT_EQ(parsed(svc_->paymentsJson({}))["total"], 1);
  Json other = Json::parse(row);
  other["amount"] = "6500.00";
  auto r = svc_->addPaymentJson(other.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(r.error().message.find("amount"), std::string::npos) << r.error().message;
  expectSameAfterReopen();
}

TEST_F(ReconService, WrongRemarkButRightAmount) {
  order("SO-2026-0001101", kHuadongCode, "4560.00", "2026-10-01");
  order("SO-2026-0001102", kHuadongCode, "7800.00", "2026-10-02");
  order("SO-2026-0001199", kBeilunCode, "7800.00", "2026-10-03");
  pay(bankJson("B1101", "苏州华东精密机械有限公司", "7800.00", "2026-11-01", "SO-2026-0009999"));
  pay(bankJson("B1102", "苏州华东精密机械有限公司", "4560.00", "2026-11-02", "SO-2026-0001199"));
  run();
  Json p1 = payment("B1101");
  Json p2 = payment("B1102");
  EXPECT_EQ(p1["allocations"][0]["orderId"], "SO-2026-0001102");
  EXPECT_EQ(p1["allocations"][0]["rule"], "exact_amount");
  EXPECT_EQ(p2["allocations"][0]["orderId"], "SO-2026-0001101");
  EXPECT_EQ(p2["notes"], Json::array({"payer_differs"}));
  EXPECT_EQ(orderOf("SO-2026-0001199")["paymentStatus"], "unpaid");
  expectSameAfterReopen();
}

TEST_F(ReconService, UnknownPayerIsUnmatched) {
  order("SO-2026-0001201", kHuadongCode, "3000.00", "2026-10-01");
  pay(bankJson("B1201", "深圳市某某贸易有限公司", "3000.00", "2026-11-01", "货款"));
  RunResult r = run();
  EXPECT_TRUE(r.changed.empty());
  PaymentQuery q;
  q.status = "unmatched";
  Json list = parsed(svc_->paymentsJson(q));
  ASSERT_EQ(list["total"], 1);
  EXPECT_EQ(list["items"][0]["paymentId"], "B1201");
  EXPECT_EQ(list["items"][0]["notes"], Json::array({"unknown_payer"}));
  EXPECT_FALSE(list["items"][0].contains("customerCode"));
  EXPECT_EQ(orderOf("SO-2026-0001201")["paymentStatus"], "unpaid");
  expectSameAfterReopen();
}

TEST_F(ReconService, ResolverAndNamesFromOrders) {
  ServiceOptions o = serviceOptions(dir_.file("qiao.db"), &clock_);
  o.customer_names.clear();
  o.resolver = [](const Payment& p) -> std::optional<std::string> {
    if (p.payer_account == "6228480010000000001") return std::string("C100009");
    return std::nullopt;
  };
  open(o);
  // The order's customerName becomes a payer name of its customer.
  order("SO-2026-0001301", "C100008", "900.00", "2026-10-01", {{"customerName", "常州新北机床有限公司"}});
  order("SO-2026-0001302", "C100009", "700.00", "2026-10-01");
  pay(bankJson("B1301", "常州新北机床（有限公司）", "900.00", "2026-11-01"));
  pay(bankJson("B1302", "张三", "700.00", "2026-11-01", "", {{"payerAccount", "6228480010000000001"}}));
  run();
  EXPECT_EQ(orderOf("SO-2026-0001301")["paymentStatus"], "paid");
  EXPECT_EQ(payment("B1302")["customerSource"], "resolver");
  EXPECT_EQ(orderOf("SO-2026-0001302")["paymentStatus"], "paid");
  expectSameAfterReopen();
}

TEST_F(ReconService, BadInputNamesTheField) {
  struct Case {
    std::string json;
    std::string expect;
  };
  std::vector<Case> orders = {
      {"[1]", "must be a JSON object"},
      {"{\"orderId\":", "not valid JSON"},
      {R"({"orderDate":"2026-10-01"})", "orderId: required"},
      {orderJson("SO-1", kHuadongCode, "12.345", "2026-10-01"), "order \"SO-1\": totalAmount: 12.345 has more than 2 decimals"},
      {R"({"orderId":"SO-1","customerCode":"C1","currency":"CNY","totalAmount":12.5,"orderDate":"2026-10-01"})",
       "totalAmount: must be a decimal string"},
      {orderJson("SO-1", kHuadongCode, "-1", "2026-10-01"), "totalAmount: -1 is negative"},
      {orderJson("SO-1", kHuadongCode, "1", "2026-13-01"), "orderDate: date \"2026-13-01\""},
      {orderJson("SO-1", "", "1", "2026-10-01"), "customerCode: required"},
  };
  for (const auto& c : orders) {
    auto r = svc_->upsertOrderJson(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
  }
  std::vector<Case> payments = {
      {bankJson("B1", "x", "0", "2026-11-01"), "payment \"B1\": amount: must not be 0"},
      {bankJson("B1", "x", "1", "2026-11-01", "", {{"source", "alipay"}}), "source: \"alipay\" is not a payment source"},
      {bankJson("B1", "x", "1", "2026-11-01", "", {{"purpose", "gift"}}), "purpose: \"gift\" is not a purpose"},
      {bankJson("B1", "x", "1", "2026-11-01", "", {{"orderRefs", {1}}}), "orderRefs[0]: must be a string"},
      {bankJson("B1", "x", "100", "2026-11-01", "", {{"reversalOf", "B0"}}), "reversalOf: a reversal must have a negative amount"},
      {k3Json("K1", kHuadongCode, "10", "2026-11-01", {{"allocations", {{{"entryId", "1"}, {"amount", "4"}}, {{"entryId", "2"}, {"amount", "5"}}}}}),
       "payment \"K1\": allocations: entries add up to 9, amount is 10"},
      {k3Json("K1", kHuadongCode, "10", "2026-11-01", {{"allocations", {{{"entryId", "1"}, {"amount", "5"}}, {{"entryId", "1"}, {"amount", "5"}}}}}),
       "allocations[1].entryId: \"1\" appears twice"},
      {k3Json("K1", kHuadongCode, "10", "2026-11-01", {{"allocations", {{{"entryId", "1"}, {"amount", "5"}}, {{"entryId", "2"}}}}}),
       "allocations[1].amount: required"},
  };
  for (const auto& c : payments) {
    auto r = svc_->addPaymentJson(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
  }
  PaymentQuery q;
  q.status = "lost";
  auto r = svc_->paymentsJson(q);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("status: "), std::string::npos);
  q = {};
  q.from = "yesterday";
  ASSERT_FALSE(svc_->paymentsJson(q).ok());
  // Nothing of the refused input reached the books or the file.
  EXPECT_EQ(parsed(svc_->paymentsJson({}))["total"], 0);
  EXPECT_EQ(parsed(svc_->ordersJson({}))["total"], 0);
  expectSameAfterReopen();
}

}  // namespace
}  // namespace qiao::recon::testing
