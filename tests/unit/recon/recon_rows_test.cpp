// The engine state to rows and back: lossless, and damaged rows are refused with their place.
#include <gtest/gtest.h>

#include <map>

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
  Payment waiting = bank("B3009-R", "宁波北仑模具有限责任公司", "-300.00", "2026-11-04");
  waiting.reverses_payment_id = "B3009";  // its original has not arrived
  add(e, waiting);
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
  add(*restored, bank("B3009", "宁波北仑模具有限责任公司", "300.00", "2026-11-01"));
  RunStats later = restored->run();
  EXPECT_EQ(later.reversals_applied, 1u);  // the stored waiting reversal found its original
  EXPECT_EQ(restored->payment("B3009")->status, PaymentStatus::kReversed);
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

// A tiny stand-in for the store: tables keyed by their primary key.
struct FakeStore {
  std::map<std::string, std::map<std::string, Row>> tables;
  int fail_after = -1;  // fail the n-th upsert (0-based) once
  int upserts = 0;
  RowWriter writer() {
    RowWriter w;
    w.clear_allocations = [this] {
      tables["recon_allocations"].clear();
      return Status();
    };
    w.upsert = [this](std::string_view table, const Row& row) -> Status {
      if (fail_after >= 0 && upserts++ == fail_after) {
        fail_after = -1;
        return Error::transient(ErrorCode::kStoreBusy, "busy");
      }
      std::string key = *row[0];
      if (table == "recon_customer_names") key += "|" + *row[1];
      tables[std::string(table)][key] = row;
      return {};
    };
    w.delete_allocation = [this](int64_t seq) {
      tables["recon_allocations"].erase(std::to_string(seq));
      return Status();
    };
    return w;
  }
  Result<Engine> load() const {
    std::vector<TableRows> rows;
    for (const auto& [name, t] : tables) {
      TableRows tr{name, columnsOf(name), {}};
      for (const auto& [key, row] : t) tr.rows.push_back(row);
      rows.push_back(std::move(tr));
    }
    auto state = fromRows(rows);
    if (!state.ok()) return state.takeError();
    return Engine::restore(Config{}, *state);
  }
};

void expectSameBooks(const Engine& a, const Engine& b) {
  EXPECT_EQ(a.orders(), b.orders());
  EXPECT_EQ(a.payments(), b.payments());
  EXPECT_EQ(a.allocations(), b.allocations());
  EXPECT_EQ(a.manualLog(), b.manualLog());
}

TEST(ReconRows, WriteChangesKeepsTheStoreEqualToTheEngine) {
  FakeStore store;
  Engine e = busyEngine();
  ASSERT_TRUE(e.writeChanges(store.writer()).ok());
  {
    auto loaded = store.load();
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    expectSameBooks(e, *loaded);
  }
  // Only the new payment and what it touched are written the second time.
  add(e, bank("B3005", "苏州华东精密机械有限公司", "1000.00", "2026-11-06"));
  e.run();
  int before = store.upserts;
  ASSERT_TRUE(e.writeChanges(store.writer()).ok());
  EXPECT_LT(store.upserts - before, 10);
  // Unmatch deletes a stored allocation; a failing writer leaves it queued.
  ASSERT_TRUE(e.unmatch("B3003", "SO-2026-0003003", "fin.sun", "撤销", 2).ok());
  store.fail_after = 0;
  store.upserts = 0;
  ASSERT_FALSE(e.writeChanges(store.writer()).ok());
  ASSERT_TRUE(e.writeChanges(store.writer()).ok());
  {
    auto loaded = store.load();
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    expectSameBooks(e, *loaded);
  }
  // An order update rewrites its row and the allocations it released.
  Order cut = order("SO-2026-0003002", kHuadong, "2000.00", "2026-10-02");
  ASSERT_EQ(*e.upsertOrder(cut), IngestOutcome::kUpdated);
  ASSERT_TRUE(e.writeChanges(store.writer()).ok());
  {
    auto loaded = store.load();
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    expectSameBooks(e, *loaded);
  }
  // rematchAll rewrites everything.
  e.rematchAll();
  ASSERT_TRUE(e.writeChanges(store.writer()).ok());
  auto loaded = store.load();
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  expectSameBooks(e, *loaded);
}

}  // namespace
}  // namespace qiao::recon::testing
