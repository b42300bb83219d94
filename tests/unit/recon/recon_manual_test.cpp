// Finance overrides: manual match / unmatch, and that automatic runs never undo them.
#include <gtest/gtest.h>

#include "recon_fixture.h"

namespace qiao::recon::testing {
namespace {

class ReconManual : public ::testing::Test {
 protected:
  void SetUp() override {
    add(e, order("SO-2026-0002001", kHuadong, "5000.00", "2026-10-01"));
    add(e, order("SO-2026-0002002", kHuadong, "5000.00", "2026-10-05"));
    add(e, bank("B2001", "苏州华东精密机械有限公司", "5000.00", "2026-11-01"));
    e.run();
  }
  Engine e = makeEngine();
};

TEST_F(ReconManual, ManualMatchSurvivesRerun) {
  // Automatic: exact amount, the older order.
  ASSERT_EQ(e.allocationsOfPayment("B2001")[0].order_no, "SO-2026-0002001");
  // Finance knows better: the money was for the second order.
  ASSERT_TRUE(e.match("B2001", "SO-2026-0002002", dec("5000"), "fin.zhao", "客户来电确认", 1700000000000).ok());
  auto a = e.allocationsOfPayment("B2001");
  ASSERT_EQ(a.size(), 1u);  // the automatic one was released to make room
  EXPECT_TRUE(a[0].manual);
  EXPECT_EQ(a[0].user, "fin.zhao");
  EXPECT_EQ(e.order("SO-2026-0002001")->status, OrderStatus::kUnpaid);
  e.run();
  RunStats s = e.rematchAll();
  a = e.allocationsOfPayment("B2001");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].order_no, "SO-2026-0002002");
  EXPECT_EQ(a[0].rule, kRuleManual);
  EXPECT_EQ(a[0].reason, "客户来电确认");
  EXPECT_EQ(e.order("SO-2026-0002001")->status, OrderStatus::kUnpaid);
  EXPECT_EQ(s.allocations_created, 0u);
  ASSERT_EQ(e.manualLog().size(), 1u);
  EXPECT_EQ(e.manualLog()[0].user, "fin.zhao");
  expectBooksBalance(e);
}

TEST_F(ReconManual, UnmatchHoldsThePayment) {
  ASSERT_TRUE(e.unmatch("B2001", "SO-2026-0002001", "fin.zhao", "不是这笔订单", 1).ok());
  EXPECT_EQ(e.payment("B2001")->status, PaymentStatus::kAdvance);
  EXPECT_TRUE(e.payment("B2001")->notes & kNoteManualHold);
  e.run();
  e.rematchAll();
  EXPECT_TRUE(e.allocationsOfPayment("B2001").empty());  // automatic runs leave it alone
  EXPECT_EQ(e.manualLog().back().kind, ManualAction::Kind::kUnmatch);
  EXPECT_EQ(e.manualLog().back().amount, dec("5000"));
  ASSERT_TRUE(e.releaseHold("B2001", "fin.zhao", "重新自动核销", 2).ok());
  e.run();
  EXPECT_EQ(e.allocationsOfPayment("B2001").size(), 1u);
  expectBooksBalance(e);
}

TEST_F(ReconManual, ManualOverpaymentNeedsTheFlag) {
  add(e, bank("B2002", "苏州华东精密机械有限公司", "6000.00", "2026-11-02"));
  ASSERT_TRUE(e.unmatch("B2001", "SO-2026-0002001", "fin.zhao", "held", 1).ok());
  e.run();  // B2002: 5000 to SO-2026-0002001 (oldest), 1000 to SO-2026-0002002
  auto over = e.match("B2001", "SO-2026-0002002", dec("5000"), "fin.zhao", "多付", 2);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("exceeds the open amount 4000.00"), std::string::npos);
  ASSERT_TRUE(e.match("B2001", "SO-2026-0002002", dec("5000"), "fin.zhao", "多付", 3, true).ok());
  auto o = e.order("SO-2026-0002002");
  EXPECT_EQ(o->status, OrderStatus::kOverpaid);
  EXPECT_EQ(o->overpaid, dec("1000"));
  expectBooksBalance(e);
}

TEST_F(ReconManual, BadRequestsAreRefusedWithReasons) {
  EXPECT_EQ(e.match("NOPE", "SO-2026-0002001", dec("1"), "u", "r", 0).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(e.match("B2001", "NOPE", dec("1"), "u", "r", 0).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(e.match("B2001", "SO-2026-0002002", dec("1"), "", "r", 0).ok());
  EXPECT_FALSE(e.match("B2001", "SO-2026-0002002", dec("-1"), "u", "r", 0).ok());
  EXPECT_FALSE(e.match("B2001", "SO-2026-0002002", dec("6000"), "u", "r", 0, true).ok());  // more than paid
  EXPECT_EQ(e.unmatch("B2001", "SO-2026-0002002", "u", "r", 0).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(e.manualLog().empty());
  expectBooksBalance(e);
}

TEST_F(ReconManual, ReversalUnwindsManualLast) {
  add(e, order("SO-2026-0002003", kHuadong, "1000.00", "2026-10-07"));
  add(e, bank("B2003", "苏州华东精密机械有限公司", "3000.00", "2026-11-03"));
  e.run();  // B2003: oldest open = SO-2026-0002002 gets 3000
  ASSERT_TRUE(e.match("B2003", "SO-2026-0002003", dec("1000"), "fin.zhao", "指定", 1).ok());
  // The manual 1000 took the newest automatic allocation's room: SO-2026-0002002 now has 2000.
  EXPECT_EQ(e.order("SO-2026-0002002")->paid, dec("2000"));
  Payment red = bank("B2003-R", "苏州华东精密机械有限公司", "-2500.00", "2026-11-04");
  red.reverses_payment_id = "B2003";
  add(e, red);
  e.run();
  EXPECT_EQ(e.order("SO-2026-0002002")->paid, dec("0"));   // automatic first
  EXPECT_EQ(e.order("SO-2026-0002003")->paid, dec("500"));  // then manual, flagged
  EXPECT_TRUE(e.payment("B2003-R")->notes & kNoteReversalUnwoundManual);
  expectBooksBalance(e);
}

TEST_F(ReconManual, HeldPaymentWithReversalSurvivesRematch) {
  add(e, bank("B2004", "苏州华东精密机械有限公司", "7000.00", "2026-11-05"));
  e.run();  // B2004: 5000 to SO-2026-0002002, 2000 advance
  ASSERT_TRUE(e.unmatch("B2004", "SO-2026-0002002", "fin.zhao", "待确认", 1).ok());
  ASSERT_TRUE(e.match("B2004", "SO-2026-0002002", dec("3000"), "fin.zhao", "确认3000", 2).ok());
  Payment red = bank("B2004-R", "苏州华东精密机械有限公司", "-5000.00", "2026-11-06");
  red.reverses_payment_id = "B2004";
  add(e, red);
  e.run();  // cancels the 4000 free, then 1000 of the manual allocation
  auto before = e.payments();
  auto orders_before = e.orders();
  expectBooksBalance(e);
  e.rematchAll();
  expectBooksBalance(e);
  auto after = e.payments();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {  // notes may differ: they record history
    EXPECT_EQ(after[i].allocated, before[i].allocated) << after[i].payment_id;
    EXPECT_EQ(after[i].status, before[i].status) << after[i].payment_id;
  }
  EXPECT_EQ(e.orders(), orders_before);
  EXPECT_EQ(e.advanceBalance(kHuadong, "CNY"), dec("0"));
}

}  // namespace
}  // namespace qiao::recon::testing
