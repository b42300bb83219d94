// The engine state to rows and back: lossless, and damaged rows are refused with their place.
#include <gtest/gtest.h>

#include "recon_fixture.h"

namespace qiao::recon::testing {
namespace {

Engine busyEngine() {
  Engine e = makeEngine();
  Order o = order("SO-2026-0003001", kHuadong, "5000.00", "2026-10-01", "XSDD003001");
  o.planned_receipt_date = day("2026-11-01");
  o.paid_before = dec("500.00");
  add(e, o);
  add(e, order("SO-2026-0003002", kHuadong, "3000.00", "2026-10-02"));
  add(e, order("SO-2026-0003003", kBeilun, "2000.00", "2026-10-03"));
  add(e, bank("B3001", "苏州华东精密机械有限公司", "4495.00", "2026-11-01", "XSDD003001 货款"));
  add(e, bank("B3002", "苏州华东精密机械有限公司", "4000.00", "2026-11-02"));
  Payment red = bank("B3002-R", "苏州华东精密机械有限公司", "-4000.00", "2026-11-03");
  red.reverses_payment_id = "B3002";
  add(e, red);
  add(e, bank("B3003", "某个人", "800.00", "2026-11-04"));
  e.run();
  EXPECT_TRUE(e.match("B3003", "SO-2026-0003003", dec("800"), "fin.sun", "电话确认", 1764000000000).ok());
  return e;
}

TEST(ReconRows, RoundTripIsLossless) {
  Engine e = busyEngine();
  State s = e.exportState();
  auto back = fromRows(toRows(s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->orders, s.orders);
  EXPECT_EQ(back->payments, s.payments);
  EXPECT_EQ(back->allocations, s.allocations);
  EXPECT_EQ(back->customer_names, s.customer_names);
  EXPECT_EQ(back->manual_log, s.manual_log);
  EXPECT_EQ(back->next_seq, s.next_seq);
  auto restored = Engine::restore(Config{}, *back);
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->orders(), e.orders());
  EXPECT_EQ(restored->payments(), e.payments());
  EXPECT_EQ(restored->allocations(), e.allocations());
  EXPECT_EQ(restored->advanceBalances().size(), e.advanceBalances().size());
  // A restored engine keeps working incrementally and does not redo what is stored.
  RunStats nothing = restored->run();
  EXPECT_EQ(nothing.allocations_created, 0u);
  add(*restored, bank("B3004", "苏州华东精密机械有限公司", "3000.00", "2026-11-05"));
  restored->run();
  EXPECT_EQ(restored->order("SO-2026-0003002")->status, OrderStatus::kPaid);
  expectBooksBalance(*restored);
}

TEST(ReconRows, BadCellNamesTableRowAndColumn) {
  Engine e = busyEngine();
  auto tables = toRows(e.exportState());
  for (TableRows& t : tables) {
    if (t.table == "recon_payments") t.rows[1][7] = std::string("12,3x");  // amount
  }
  auto r = fromRows(tables);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("recon_payments row 2 column amount"), std::string::npos) << r.error().message;
}

TEST(ReconRows, InconsistentStateIsRefused) {
  Engine e = busyEngine();
  State s = e.exportState();
  ASSERT_FALSE(s.allocations.empty());
  s.allocations[0].amount = dec("999999.00");  // more than the payment has
  auto r = Engine::restore(Config{}, s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("invariant"), std::string::npos) << r.error().message;
  State unknown = e.exportState();
  unknown.allocations[0].order_no = "SO-NOPE";
  auto u = Engine::restore(Config{}, unknown);
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.error().message.find("SO-NOPE"), std::string::npos);
}

}  // namespace
}  // namespace qiao::recon::testing
