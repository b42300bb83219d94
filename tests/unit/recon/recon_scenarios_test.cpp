// The named scenarios of issue 7, one test each, with real-looking Chinese payers.
#include <gtest/gtest.h>

#include "recon_fixture.h"

namespace qiao::recon::testing {
namespace {

TEST(ReconScenario, ExactMatchByRemarkWithFullWidthNumber) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0000101", kHuadong, "10000.00", "2026-10-08"));
  add(e, order("SO-2026-0000102", kHuadong, "10000.00", "2026-10-09"));
  // Typed in a Chinese input method: full-width letters, digits and dash.
  add(e, bank("B20261101-01", "苏州华东精密机械有限公司", "10000.00", "2026-11-01", "货款ＳＯ－２０２６－００００１０２"));
  e.run();
  auto allocs = e.allocationsOfPayment("B20261101-01");
  ASSERT_EQ(allocs.size(), 1u);
  EXPECT_EQ(allocs[0].order_no, "SO-2026-0000102");  // the remark decides, not the age
  EXPECT_EQ(allocs[0].rule, kRuleReference);
  EXPECT_DOUBLE_EQ(allocs[0].confidence, 0.95);
  EXPECT_EQ(e.order("SO-2026-0000102")->status, OrderStatus::kPaid);
  EXPECT_EQ(e.order("SO-2026-0000101")->status, OrderStatus::kUnpaid);
  EXPECT_EQ(e.payment("B20261101-01")->status, PaymentStatus::kMatched);
  expectBooksBalance(e);
}

TEST(ReconScenario, RemarkWithExtraOrDroppedPrefixAndErpNumber) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0000201", kBeilun, "3000.00", "2026-10-01", "XSDD000201"));
  add(e, order("SO-2026-0000202", kBeilun, "4000.00", "2026-10-02", "XSDD000202"));
  add(e, order("SO-2026-0000203", kBeilun, "5000.00", "2026-10-03"));
  add(e, bank("B1", "张三", "3000.00", "2026-11-01", "NO.SO2026-0000201 付款"));  // extra prefix
  add(e, bank("B2", "李四", "4000.00", "2026-11-01", "ERPxsdd000202"));        // ERP number, lower case
  add(e, bank("B3", "王五", "5000.00", "2026-11-01", "订单2026/0000203货款"));      // prefix dropped
  e.run();
  auto a1 = e.allocationsOfPayment("B1");
  auto a2 = e.allocationsOfPayment("B2");
  auto a3 = e.allocationsOfPayment("B3");
  ASSERT_EQ(a1.size(), 1u);
  ASSERT_EQ(a2.size(), 1u);
  ASSERT_EQ(a3.size(), 1u);
  EXPECT_EQ(a1[0].order_no, "SO-2026-0000201");
  EXPECT_DOUBLE_EQ(a1[0].confidence, 0.85);
  EXPECT_EQ(a2[0].order_no, "SO-2026-0000202");
  EXPECT_DOUBLE_EQ(a2[0].confidence, 0.85);  // "ERP" glued in front of the number
  EXPECT_EQ(a3[0].order_no, "SO-2026-0000203");
  EXPECT_DOUBLE_EQ(a3[0].confidence, 0.85);
  // Unknown payers, but the reference tells the customer: the payment takes it over.
  EXPECT_EQ(e.payment("B3")->customer_id, std::optional<std::string>(kBeilun));
  expectBooksBalance(e);
}

TEST(ReconScenario, K3ReceiptSourceOrderField) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0000301", kJiangnan, "8800.00", "2026-10-01", "XSDD000301"));
  add(e, order("SO-2026-0000302", kJiangnan, "8800.00", "2026-09-01", "XSDD000302"));
  add(e, k3("SKD00000451", kJiangnan, "8800.00", "2026-11-02", "XSDD000301"));
  e.run();
  auto a = e.allocationsOfPayment("SKD00000451");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].order_no, "SO-2026-0000301");  // not the older one with the same amount
  EXPECT_DOUBLE_EQ(a[0].confidence, 1.0);
}

TEST(ReconScenario, K3ReceiptForAnOrderNotSyncedYetWaitsForIt) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0000311", kJiangnan, "500.00", "2026-09-01"));
  add(e, k3("SKD00000460", kJiangnan, "1200.00", "2026-11-02", "XSDD000312"));
  e.run();
  EXPECT_TRUE(e.allocationsOfPayment("SKD00000460").empty());  // not spread over SO-…311
  EXPECT_TRUE(e.payment("SKD00000460")->notes & kNoteReferenceNotFound);
  EXPECT_EQ(e.payment("SKD00000460")->status, PaymentStatus::kAdvance);
  add(e, order("SO-2026-0000312", kJiangnan, "1200.00", "2026-10-30", "XSDD000312"));
  e.run();
  auto a = e.allocationsOfPayment("SKD00000460");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].order_no, "SO-2026-0000312");
  EXPECT_EQ(a[0].rule, kRuleReference);
  EXPECT_FALSE(e.payment("SKD00000460")->notes & kNoteReferenceNotFound);
  EXPECT_EQ(e.order("SO-2026-0000311")->status, OrderStatus::kUnpaid);
  // The ERP number can also arrive later on a known order.
  add(e, k3("SKD00000461", kJiangnan, "500.00", "2026-11-03", "XSDD000311"));
  e.run();
  EXPECT_TRUE(e.allocationsOfPayment("SKD00000461").empty());
  Order known = order("SO-2026-0000311", kJiangnan, "500.00", "2026-09-01", "XSDD000311");
  ASSERT_EQ(*e.upsertOrder(known), IngestOutcome::kUpdated);
  e.run();
  EXPECT_EQ(e.order("SO-2026-0000311")->status, OrderStatus::kPaid);
}

TEST(ReconScenario, SplitPayment) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0000401", kHuadong, "10000.00", "2026-10-08"));
  add(e, bank("B401-1", "苏州华东精密机械有限公司", "6000.00", "2026-11-01"));
  e.run();
  EXPECT_EQ(e.order("SO-2026-0000401")->status, OrderStatus::kPartial);
  EXPECT_EQ(e.order("SO-2026-0000401")->outstanding, dec("4000"));
  EXPECT_EQ(e.allocationsOfPayment("B401-1")[0].rule, kRuleOldestFirst);
  // The second instalment arrives later: an incremental run matches the exact open rest.
  add(e, bank("B401-2", "苏州华东精密机械（有限公司）", "4000.00", "2026-11-15"));
  e.run();
  auto a = e.allocationsOfPayment("B401-2");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].rule, kRuleExactAmount);
  EXPECT_DOUBLE_EQ(a[0].confidence, 0.9 * 0.9);  // exact amount, customer from the payer name
  EXPECT_EQ(e.order("SO-2026-0000401")->status, OrderStatus::kPaid);
  EXPECT_EQ(e.order("SO-2026-0000401")->outstanding, dec("0"));
  expectBooksBalance(e);
}

TEST(ReconScenario, OnePaymentForThreeOrders) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0000503", kBeilun, "2000.00", "2026-10-03"));
  add(e, order("SO-2026-0000501", kBeilun, "3000.00", "2026-10-01"));
  add(e, order("SO-2026-0000502", kBeilun, "5000.50", "2026-10-02"));
  add(e, order("SO-2026-0000504", kBeilun, "7000.00", "2026-10-04"));
  add(e, bank("B500", "宁波北仑模具有限责任公司", "10000.50", "2026-11-03", "10月货款"));
  e.run();
  auto a = e.allocationsOfPayment("B500");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].order_no, "SO-2026-0000501");
  EXPECT_EQ(a[1].order_no, "SO-2026-0000502");
  EXPECT_EQ(a[2].order_no, "SO-2026-0000503");
  for (const auto& x : a) EXPECT_EQ(x.rule, kRuleOldestFirst);
  EXPECT_EQ(e.order("SO-2026-0000504")->status, OrderStatus::kUnpaid);
  EXPECT_EQ(e.payment("B500")->unallocated, dec("0"));
  expectBooksBalance(e);
}

TEST(ReconScenario, OnePaymentNamingThreeOrders) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0000601", kBeilun, "1000.00", "2026-10-01"));
  add(e, order("SO-2026-0000602", kBeilun, "2000.00", "2026-10-02"));
  add(e, order("SO-2026-0000603", kBeilun, "3000.00", "2026-10-03"));
  add(e, order("SO-2026-0000604", kBeilun, "500.00", "2026-09-03"));  // older, not named
  add(e, bank("B600", "宁波北仑模具有限责任公司", "6000.00", "2026-11-03",
              "SO-2026-0000603,SO-2026-0000601/SO-2026-0000602"));
  e.run();
  auto a = e.allocationsOfPayment("B600");
  ASSERT_EQ(a.size(), 3u);
  for (const auto& x : a) EXPECT_EQ(x.rule, kRuleReference);
  EXPECT_EQ(e.order("SO-2026-0000604")->status, OrderStatus::kUnpaid);
  EXPECT_EQ(e.order("SO-2026-0000603")->status, OrderStatus::kPaid);
}

TEST(ReconScenario, FeeDeductedWithinTolerance) {
  Config c;
  c.tolerance.absolute = dec("20");
  Engine e = makeEngine(c);
  add(e, order("SO-2026-0000701", kJiangnan, "50000.00", "2026-10-01"));
  add(e, order("SO-2026-0000702", kJiangnan, "30000.00", "2026-10-02"));
  add(e, bank("B701", "无锡江南电缆股份有限公司", "29985.00", "2026-11-01"));  // ¥15 bank fee
  e.run();
  auto a = e.allocationsOfPayment("B701");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].order_no, "SO-2026-0000702");
  EXPECT_EQ(a[0].rule, kRuleToleranceAmount);
  EXPECT_EQ(a[0].amount, dec("29985"));
  EXPECT_EQ(a[0].difference, dec("15"));
  auto o = e.order("SO-2026-0000702");
  EXPECT_EQ(o->status, OrderStatus::kPaid);
  EXPECT_EQ(o->written_off, dec("15"));
  EXPECT_EQ(o->paid, dec("29985"));
  EXPECT_TRUE(e.payment("B701")->notes & kNoteFeeWrittenOff);
  expectBooksBalance(e);
}

TEST(ReconScenario, FeeDeductedFromAPaymentNamingItsOrder) {
  Engine e = makeEngine();  // default tolerance: ¥10
  add(e, order("SO-2026-0000731", kJiangnan, "12000.00", "2026-10-01"));
  add(e, order("SO-2026-0000732", kJiangnan, "500.00", "2026-09-01"));
  add(e, bank("B731", "无锡江南电缆股份有限公司", "11992.50", "2026-11-01", "SO-2026-0000731 货款"));
  e.run();
  auto a = e.allocationsOfPayment("B731");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].rule, kRuleReference);
  EXPECT_EQ(a[0].difference, dec("7.50"));
  EXPECT_EQ(e.order("SO-2026-0000731")->status, OrderStatus::kPaid);
  EXPECT_EQ(e.order("SO-2026-0000732")->status, OrderStatus::kUnpaid);
  expectBooksBalance(e);
}

TEST(ReconScenario, ShortfallBeyondToleranceIsPartial) {
  Config c;
  c.tolerance.absolute = dec("20");
  c.tolerance.percent = dec("0.05");  // 0.05 % of 30000 = 15
  c.tolerance.require_both = true;
  Engine e = makeEngine(c);
  add(e, order("SO-2026-0000711", kJiangnan, "30000.00", "2026-10-02"));
  add(e, bank("B711", "无锡江南电缆股份有限公司", "29982.00", "2026-11-01"));  // 18 short: abs ok, pct not
  e.run();
  auto a = e.allocationsOfPayment("B711");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].rule, kRuleOldestFirst);
  EXPECT_EQ(e.order("SO-2026-0000711")->status, OrderStatus::kPartial);
  EXPECT_EQ(e.order("SO-2026-0000711")->outstanding, dec("18"));
}

TEST(ReconScenario, PercentToleranceAlone) {
  Config c;
  c.tolerance.absolute.reset();
  c.tolerance.percent = dec("0.1");
  Engine e = makeEngine(c);
  add(e, order("SO-2026-0000721", kJiangnan, "200000.00", "2026-10-02"));
  add(e, bank("B721", "无锡江南电缆股份有限公司", "199800.00", "2026-11-01"));  // exactly 0.1 %
  e.run();
  EXPECT_EQ(e.allocationsOfPayment("B721")[0].rule, kRuleToleranceAmount);
  EXPECT_EQ(e.order("SO-2026-0000721")->status, OrderStatus::kPaid);
}

TEST(ReconScenario, OverpaymentBecomesAdvanceAndIsAppliedLater) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0000801", kHuadong, "8000.00", "2026-10-01"));
  add(e, bank("B801", "苏州华东精密机械有限公司", "10000.00", "2026-11-01", "SO-2026-0000801"));
  e.run();
  EXPECT_EQ(e.order("SO-2026-0000801")->status, OrderStatus::kPaid);
  EXPECT_EQ(e.payment("B801")->unallocated, dec("2000"));
  EXPECT_EQ(e.payment("B801")->status, PaymentStatus::kPartial);
  EXPECT_EQ(e.advanceBalance(kHuadong, "CNY"), dec("2000"));
  // A new order of the customer takes the advance on the next run.
  add(e, order("SO-2026-0000802", kHuadong, "1500.00", "2026-11-05"));
  RunStats s = e.run();
  EXPECT_EQ(s.payments_processed, 0u);
  EXPECT_EQ(e.order("SO-2026-0000802")->status, OrderStatus::kPaid);
  EXPECT_EQ(e.advanceBalance(kHuadong, "CNY"), dec("500"));
  expectBooksBalance(e);
}

TEST(ReconScenario, ReversalUnwindsItsOriginal) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0000901", kBeilun, "6000.00", "2026-10-01"));
  add(e, order("SO-2026-0000902", kBeilun, "3000.00", "2026-10-02"));
  add(e, k3("SKD901", kBeilun, "10000.00", "2026-11-01"));
  e.run();
  EXPECT_EQ(e.advanceBalance(kBeilun, "CNY"), dec("1000"));
  ASSERT_EQ(e.takeChangedOrders().size(), 2u);
  Payment red = k3("SKD901-R", kBeilun, "-10000.00", "2026-11-03");
  red.reverses_payment_id = "SKD901";
  add(e, red);
  RunStats s = e.run();
  EXPECT_EQ(s.reversals_applied, 1u);
  EXPECT_EQ(e.order("SO-2026-0000901")->status, OrderStatus::kUnpaid);
  EXPECT_EQ(e.order("SO-2026-0000902")->status, OrderStatus::kUnpaid);
  EXPECT_EQ(e.payment("SKD901")->status, PaymentStatus::kReversed);
  EXPECT_EQ(e.payment("SKD901-R")->status, PaymentStatus::kReversal);
  EXPECT_EQ(e.payment("SKD901-R")->allocated, dec("-9000"));
  EXPECT_EQ(e.advanceBalance(kBeilun, "CNY"), dec("0"));
  for (const Allocation& a : e.allocationsOfPayment("SKD901-R")) {
    EXPECT_EQ(a.rule, kRuleReversal);
    EXPECT_LT(a.amount.signum(), 0);
    EXPECT_NE(a.unwinds_seq, 0);
  }
  EXPECT_EQ(e.takeChangedOrders(), (std::vector<std::string>{"SO-2026-0000901", "SO-2026-0000902"}));
  expectBooksBalance(e);
}

TEST(ReconScenario, PartialRedReceiptFoundByPayerAndAmount) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0000911", kBeilun, "4000.00", "2026-10-01"));
  add(e, bank("B911", "宁波北仑模具有限责任公司", "5000.00", "2026-11-01"));
  e.run();
  EXPECT_EQ(e.advanceBalance(kBeilun, "CNY"), dec("1000"));
  // A negative bank row, same payer and amount, no link: the engine finds the original.
  add(e, bank("B911-R", "宁波北仑模具有限责任公司", "-5000.00", "2026-11-02", "退回"));
  e.run();
  EXPECT_EQ(e.order("SO-2026-0000911")->status, OrderStatus::kUnpaid);
  EXPECT_EQ(e.advanceBalance(kBeilun, "CNY"), dec("0"));
  // A reversal naming an original that is not there yet waits for it.
  Payment red = bank("B999-R", "宁波北仑模具有限责任公司", "-700.00", "2026-11-05");
  red.reverses_payment_id = "B999";
  add(e, red);
  RunStats s = e.run();
  EXPECT_EQ(s.reversals_waiting, 1u);
  EXPECT_TRUE(e.payment("B999-R")->notes & kNoteReversalWithoutOriginal);
  expectBooksBalance(e);
}

TEST(ReconScenario, DuplicateReceiptCountedOnce) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0001001", kJiangnan, "12000.00", "2026-10-01"));
  Payment p = bank("B1001", "无锡江南电缆股份有限公司", "6000.00", "2026-11-01");
  ASSERT_EQ(*e.addPayment(p), IngestOutcome::kAdded);
  e.run();
  ASSERT_EQ(*e.addPayment(p), IngestOutcome::kDuplicate);  // the same statement imported again
  e.run();
  EXPECT_EQ(e.order("SO-2026-0001001")->paid, dec("6000"));
  EXPECT_EQ(e.payments().size(), 1u);
  Payment changed = p;
  changed.amount = dec("6500.00");
  auto r = e.addPayment(changed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(r.error().message.find("amount"), std::string::npos);
}

TEST(ReconScenario, WrongRemarkButRightAmount) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0001101", kHuadong, "4560.00", "2026-10-01"));
  add(e, order("SO-2026-0001102", kHuadong, "7800.00", "2026-10-02"));
  add(e, order("SO-2026-0001199", kBeilun, "7800.00", "2026-10-03"));  // another customer's
  // Remark names a number that does not exist: the exact amount decides.
  add(e, bank("B1101", "苏州华东精密机械有限公司", "7800.00", "2026-11-01", "SO-2026-0009999"));
  // Remark names the other customer's order by mistake; the payer has an order of that amount.
  add(e, bank("B1102", "苏州华东精密机械有限公司", "4560.00", "2026-11-02", "SO-2026-0001199"));
  e.run();
  auto a1 = e.allocationsOfPayment("B1101");
  auto a2 = e.allocationsOfPayment("B1102");
  ASSERT_EQ(a1.size(), 1u);
  ASSERT_EQ(a2.size(), 1u);
  EXPECT_EQ(a1[0].order_no, "SO-2026-0001102");
  EXPECT_EQ(a1[0].rule, kRuleExactAmount);
  EXPECT_EQ(a2[0].order_no, "SO-2026-0001101");
  EXPECT_EQ(a2[0].rule, kRuleExactAmount);
  EXPECT_TRUE(e.payment("B1102")->notes & kNotePayerDiffers);
  EXPECT_EQ(e.order("SO-2026-0001199")->status, OrderStatus::kUnpaid);
}

TEST(ReconScenario, UnknownPayerStaysUnmatched) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0001201", kHuadong, "3000.00", "2026-10-01"));
  add(e, bank("B1201", "深圳市某某贸易有限公司", "3000.00", "2026-11-01", "货款"));
  e.run();
  auto p = e.payment("B1201");
  EXPECT_EQ(p->status, PaymentStatus::kUnmatched);
  EXPECT_FALSE(p->customer_id.has_value());
  EXPECT_TRUE(p->notes & kNoteUnknownPayer);
  EXPECT_EQ(p->unallocated, dec("3000"));
  EXPECT_TRUE(e.advanceBalances().empty());
  EXPECT_EQ(e.order("SO-2026-0001201")->status, OrderStatus::kUnpaid);
}

TEST(ReconScenario, ResolverCallbackNamesTheCustomer) {
  auto created = Engine::create(Config{}, [](const Payment& p) -> std::optional<std::string> {
    if (p.payer_account == "6222 0212 0000 1234") return std::string(kJiangnan);
    return std::nullopt;
  });
  ASSERT_TRUE(created.ok());
  Engine e = std::move(created.value());
  add(e, order("SO-2026-0001301", kJiangnan, "900.00", "2026-10-01"));
  add(e, bank("B1301", "江南电缆（个人代付）", "900.00", "2026-11-01"));
  e.run();
  EXPECT_EQ(e.order("SO-2026-0001301")->status, OrderStatus::kPaid);
  EXPECT_DOUBLE_EQ(e.allocationsOfPayment("B1301")[0].confidence, 0.9);
}

TEST(ReconScenario, NoCrossCurrencyAllocation) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0001401", kHuadong, "1000.00", "2026-10-01"));
  add(e, bank("B1401", "苏州华东精密机械有限公司", "1000.00", "2026-11-01", "SO-2026-0001401", "USD"));
  add(e, bank("B1402", "苏州华东精密机械有限公司", "150.00", "2026-11-01", "", "USD"));
  e.run();
  EXPECT_TRUE(e.allocationsOfPayment("B1401").empty());
  EXPECT_TRUE(e.payment("B1401")->notes & kNoteCurrencyMismatch);
  EXPECT_TRUE(e.payment("B1402")->notes & kNoteCurrencyMismatch);
  EXPECT_EQ(e.order("SO-2026-0001401")->status, OrderStatus::kUnpaid);
  EXPECT_EQ(e.advanceBalance(kHuadong, "USD"), dec("1150"));
  auto m = e.match("B1401", "SO-2026-0001401", dec("1000"), "fin.wang", "test", 1);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("cross-currency"), std::string::npos);
}

TEST(ReconScenario, AdvanceReceiptStaysAdvanceWithoutReference) {
  Engine e = makeEngine();
  add(e, order("SO-2026-0001501", kBeilun, "2000.00", "2026-10-01"));
  Payment adv = k3("SKD1501", kBeilun, "2000.00", "2026-11-01");
  adv.purpose = Purpose::kAdvance;
  add(e, adv);
  Payment linked = k3("SKD1502", kBeilun, "500.00", "2026-11-01", "SO-2026-0001501");
  linked.purpose = Purpose::kAdvance;
  add(e, linked);
  e.run();
  EXPECT_EQ(e.payment("SKD1501")->status, PaymentStatus::kAdvance);
  EXPECT_EQ(e.order("SO-2026-0001501")->paid, dec("500"));
  EXPECT_EQ(e.advanceBalance(kBeilun, "CNY"), dec("2000"));
}

TEST(ReconScenario, RejectsMoreDecimalsThanTheScale) {
  Engine e = makeEngine();
  auto r = e.addPayment(bank("B1", "x", "10.005", "2026-11-01"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("more than 2 decimals"), std::string::npos);
  EXPECT_TRUE(e.addPayment(bank("B2", "x", "10.500", "2026-11-01")).ok());  // 10.50: fine
  auto z = e.addPayment(bank("B3", "x", "0", "2026-11-01"));
  ASSERT_FALSE(z.ok());
  auto o = e.addOrder(order("SO-X", kHuadong, "-5", "2026-11-01"));
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.error().message.find("SO-X"), std::string::npos);
}

TEST(ReconScenario, AmbiguousPayerNameResolvesToNoOne) {
  Engine e = makeEngine();
  ASSERT_TRUE(e.addCustomerName("C100009", "苏州华东精密机械股份有限公司").ok());  // same name, other code
  add(e, order("SO-2026-0001701", kHuadong, "100.00", "2026-10-01"));
  add(e, bank("B1701", "苏州华东精密机械有限公司", "100.00", "2026-11-01"));
  e.run();
  EXPECT_TRUE(e.payment("B1701")->notes & kNoteAmbiguousPayerName);
  EXPECT_EQ(e.payment("B1701")->status, PaymentStatus::kUnmatched);
}

TEST(ReconScenario, OrderAmountLoweredReleasesAutomaticMoney) {
  Engine e = makeEngine();
  Order o = order("SO-2026-0001801", kJiangnan, "10000.00", "2026-10-01");
  add(e, o);
  add(e, bank("B1801", "无锡江南电缆股份有限公司", "6000.00", "2026-11-01"));
  add(e, bank("B1802", "无锡江南电缆股份有限公司", "4000.00", "2026-11-02"));
  e.run();
  ASSERT_EQ(e.order("SO-2026-0001801")->status, OrderStatus::kPaid);
  e.takeChangedOrders();
  EXPECT_EQ(*e.upsertOrder(o), IngestOutcome::kDuplicate);
  o.amount = dec("8000.00");  // the CRM cut a line
  ASSERT_EQ(*e.upsertOrder(o), IngestOutcome::kUpdated);
  EXPECT_EQ(e.order("SO-2026-0001801")->status, OrderStatus::kPaid);
  EXPECT_EQ(e.order("SO-2026-0001801")->paid, dec("8000"));
  EXPECT_EQ(e.payment("B1802")->unallocated, dec("2000"));  // the newest automatic money went back
  EXPECT_EQ(e.payment("B1801")->unallocated, dec("0"));
  EXPECT_EQ(e.takeChangedOrders(), std::vector<std::string>{"SO-2026-0001801"});
  expectBooksBalance(e);
  // The freed money finds the customer's next order.
  add(e, order("SO-2026-0001802", kJiangnan, "2000.00", "2026-11-10"));
  e.run();
  EXPECT_EQ(e.order("SO-2026-0001802")->status, OrderStatus::kPaid);
  // Customer cannot move while money sits on the order.
  Order moved = o;
  moved.customer_id = kBeilun;
  EXPECT_FALSE(e.upsertOrder(moved).ok());
  expectBooksBalance(e);
}

TEST(ReconScenario, OrderAmountLoweredBelowManualMoneyIsOverpaid) {
  Engine e = makeEngine();
  Order o = order("SO-2026-0001901", kJiangnan, "5000.00", "2026-10-01");
  add(e, o);
  add(e, bank("B1901", "某人", "5000.00", "2026-11-01"));
  e.run();
  ASSERT_TRUE(e.match("B1901", "SO-2026-0001901", dec("5000"), "fin.qian", "代付", 1).ok());
  o.amount = dec("4000.00");
  o.erp_bill_no = "XSDD001901";
  ASSERT_EQ(*e.upsertOrder(o), IngestOutcome::kUpdated);
  EXPECT_EQ(e.order("SO-2026-0001901")->status, OrderStatus::kOverpaid);
  EXPECT_EQ(e.order("SO-2026-0001901")->overpaid, dec("1000"));
  EXPECT_TRUE(e.allocationsOfOrder("SO-2026-0001901")[0].overpayment);
  expectBooksBalance(e);
  // The new ERP number is searchable.
  add(e, bank("B1902", "路人", "10.00", "2026-11-03", "xsdd001901"));
  e.run();
  EXPECT_EQ(e.allocationsOfPayment("B1902").size(), 0u);  // nothing open, but it was found:
  EXPECT_TRUE(e.payment("B1902")->notes & kNoteReferencedOrderPaid);
}

TEST(ReconConfig, RulesAndLimitsAreChecked) {
  auto rules = parseRules({"exact_amount", "reference"});
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(*rules, (std::vector<MatchRule>{MatchRule::kExactAmount, MatchRule::kReference}));
  auto unknown = parseRules({"reference", "fuzzy"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("rules[1]: unknown rule \"fuzzy\""), std::string::npos);
  EXPECT_FALSE(parseRules({"reference", "reference"}).ok());
  Config c;
  c.scale = 7;
  EXPECT_FALSE(validate(c).ok());
  c = Config{};
  c.tolerance.absolute = dec("0.005");
  EXPECT_NE(validate(c).error().message.find("tolerance.absolute"), std::string::npos);
  c = Config{};
  c.tolerance.percent = dec("100");
  EXPECT_FALSE(validate(c).ok());
  c = Config{};
  c.confidence.oldest_first = 1.5;
  EXPECT_NE(validate(c).error().message.find("confidence.oldest_first"), std::string::npos);
  EXPECT_FALSE(Engine::create(c).ok());
  // Rules can be switched off: without oldest_first a lump sum stays advance.
  Config only_exact;
  only_exact.rules = {MatchRule::kExactAmount};
  Engine e = makeEngine(only_exact);
  add(e, order("SO-1", kHuadong, "100.00", "2026-10-01"));
  add(e, bank("B1", "苏州华东精密机械有限公司", "150.00", "2026-11-01", "SO-1"));
  e.run();
  EXPECT_TRUE(e.allocationsOfPayment("B1").empty());
  EXPECT_EQ(e.payment("B1")->status, PaymentStatus::kAdvance);
}

TEST(ReconReport, FilteredListings) {
  Engine e = makeEngine();
  add(e, order("SO-A", kHuadong, "100.00", "2026-10-01"));
  add(e, order("SO-B", kBeilun, "200.00", "2026-10-01"));
  add(e, bank("B1", "苏州华东精密机械有限公司", "100.00", "2026-11-01"));
  add(e, bank("B2", "路人", "5.00", "2026-11-20"));
  e.run();
  OrderFilter paid;
  paid.status = OrderStatus::kPaid;
  ASSERT_EQ(e.orders(paid).size(), 1u);
  EXPECT_EQ(e.orders(paid)[0].order_no, "SO-A");
  OrderFilter beilun;
  beilun.customer_id = kBeilun;
  EXPECT_EQ(e.orders(beilun).size(), 1u);
  PaymentFilter late;
  late.from = day("2026-11-10");
  ASSERT_EQ(e.payments(late).size(), 1u);
  EXPECT_EQ(e.payments(late)[0].payment_id, "B2");
  PaymentFilter unmatched;
  unmatched.status = PaymentStatus::kUnmatched;
  EXPECT_EQ(e.payments(unmatched).size(), 1u);
  PaymentFilter exceptions;  // the workbook's exceptions sheet
  exceptions.any_notes = kNoteUnknownPayer | kNoteCurrencyMismatch;
  ASSERT_EQ(e.payments(exceptions).size(), 1u);
  EXPECT_EQ(e.payments(exceptions)[0].payment_id, "B2");
  PaymentFilter nobody;
  nobody.customer_id = "C-NONE";
  EXPECT_TRUE(e.payments(nobody).empty());
}

TEST(ReconReport, MonthSummaryAndAging) {
  Engine e = makeEngine();
  Order a = order("SO-2026-0001601", kHuadong, "10000.00", "2026-08-01");
  a.planned_receipt_date = day("2026-11-10");
  Order b = order("SO-2026-0001602", kHuadong, "5000.00", "2026-09-15");
  b.planned_receipt_date = day("2026-11-20");
  Order c = order("SO-2026-0001603", kBeilun, "2000.00", "2026-07-01");  // due 2026-07-01
  add(e, a);
  add(e, b);
  add(e, c);
  add(e, bank("B1", "苏州华东精密机械有限公司", "10000.00", "2026-11-05", "SO-2026-0001601"));
  add(e, bank("B2", "苏州华东精密机械有限公司", "1000.00", "2026-12-02", "SO-2026-0001602"));
  add(e, bank("B3", "路人甲", "300.00", "2026-11-07"));
  e.run();
  ASSERT_TRUE(e.match("B3", "SO-2026-0001603", dec("300"), "fin.li", "电话确认", 5).ok());
  auto s = e.summary(2026, 11);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 1u);
  const MonthSummary& m = (*s)[0];
  EXPECT_EQ(m.collected, dec("10300"));
  EXPECT_EQ(m.auto_matched, dec("10000"));
  EXPECT_EQ(m.manual_matched, dec("300"));
  EXPECT_EQ(*m.auto_share, dec("0.9709"));  // 10000 / 10300
  EXPECT_EQ(m.planned, dec("15000"));
  EXPECT_EQ(m.planned_collected, dec("10000"));  // December's 1000 is after the month
  EXPECT_EQ(*m.attainment, dec("0.6667"));
  EXPECT_EQ(m.outstanding, dec("5700"));  // 4000 (b, after Dec payment) + 1700 (c)
  auto aging = e.aging(day("2026-12-31"));
  ASSERT_EQ(aging.size(), 1u);
  EXPECT_EQ(aging[0].d31_60, dec("4000"));  // b: due 11-20, 41 days
  EXPECT_EQ(aging[0].d90_plus, dec("1700"));  // c: due 07-01
  EXPECT_EQ(aging[0].d0_30, dec("0"));
  EXPECT_EQ(aging[0].orders, 2u);
  auto early = e.aging(day("2026-11-15"));
  EXPECT_EQ(early[0].not_due, dec("4000"));
  EXPECT_FALSE(e.summary(2026, 13).ok());
}

}  // namespace
}  // namespace qiao::recon::testing
