// Property tests over random order / payment sets (fixed seeds, bounded sizes): the books
// always balance, and the result does not depend on the order the input arrived in.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>

#include "recon_fixture.h"

namespace qiao::recon::testing {
namespace {

struct World {
  std::vector<Order> orders;
  std::vector<Payment> payments;  // may contain exact duplicates
};

const char* kNames[] = {"苏州华东精密机械有限公司", "宁波北仑模具有限责任公司", "无锡江南电缆股份有限公司",
                        "东莞市长安五金制品有限公司"};
const char* kNameVariants[] = {"苏州华东精密机械（有限公司）", "宁波北仑模具有限公司", "无锡江南电缆股份公司",
                               "东莞市长安五金制品 有限公司"};
const char* kCustomers[] = {"C100001", "C100002", "C100003", "C100004"};

std::string cents(int64_t c) {
  std::string s = std::to_string(c / 100) + ".";
  int64_t f = c % 100;
  return s + (f < 10 ? "0" : "") + std::to_string(f);
}

World generate(uint64_t seed, int n_orders, int n_payments) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  World w;
  std::vector<int64_t> amounts;
  for (int i = 0; i < n_orders; ++i) {
    char no[48], erp[48], date[48];
    std::snprintf(no, sizeof no, "SO-2026-%07d", 1000 + i);
    std::snprintf(erp, sizeof erp, "XSDD%06d", 500 + i);
    std::snprintf(date, sizeof date, "2026-%02d-%02d", 9 + pick(2), 1 + pick(28));
    int64_t c = pick(4) == 0 ? 100000 : 10000 + static_cast<int64_t>(rng() % 2000000);
    amounts.push_back(c);
    Order o = order(no, kCustomers[pick(4)], cents(c).c_str(), date, pick(2) ? erp : "", pick(10) == 0 ? "USD" : "CNY");
    if (pick(2)) o.planned_receipt_date = o.order_date + 30;
    w.orders.push_back(o);
  }
  for (int i = 0; i < n_payments; ++i) {
    char id[48], date[48];
    std::snprintf(id, sizeof id, "P%05d", i);
    std::snprintf(date, sizeof date, "2026-11-%02d", 1 + pick(28));
    int target = pick(n_orders);
    int cust = pick(4);
    int64_t c = 0;
    std::string remark, payer = pick(2) ? kNames[cust] : kNameVariants[cust];
    switch (pick(7)) {
      case 0: c = amounts[target]; remark = "货款" + w.orders[target].order_no; break;
      case 1: c = amounts[target] / 2 + 1; remark = "NO." + w.orders[target].order_no.substr(3); break;
      case 2: c = amounts[target]; break;
      case 3: c = amounts[target] - 1 - pick(1500); break;  // fee
      case 4: c = 5000 + static_cast<int64_t>(rng() % 5000000); break;
      case 5: c = amounts[target]; payer = "个人" + std::to_string(pick(100)); break;  // unknown payer
      default: {
        if (w.payments.empty()) { c = amounts[target]; break; }
        const Payment& orig = w.payments[static_cast<std::size_t>(pick(static_cast<int>(w.payments.size())))];
        if (orig.amount.signum() < 0) { c = amounts[target]; break; }
        Payment red = orig;
        red.payment_id = std::string(id) + "-R";
        red.amount = orig.amount.negate();
        red.date = orig.date + 1;
        if (pick(2)) red.reverses_payment_id = orig.payment_id;
        w.payments.push_back(red);
        continue;
      }
    }
    if (c <= 0) c = 100;
    Payment p = bank(id, payer, cents(c).c_str(), date, remark, pick(12) == 0 ? "USD" : "CNY");
    if (pick(5) == 0) p.customer_id = kCustomers[cust];
    w.payments.push_back(p);
    if (pick(8) == 0) w.payments.push_back(p);  // the same receipt seen twice
  }
  return w;
}

Engine build(const World& w, uint64_t shuffle_seed) {
  Engine e = makeEngine();
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(e.addCustomerName(kCustomers[i], kNames[i]).ok());
  World s = w;
  if (shuffle_seed != 0) {
    std::mt19937_64 rng(shuffle_seed);
    std::shuffle(s.orders.begin(), s.orders.end(), rng);
    std::shuffle(s.payments.begin(), s.payments.end(), rng);
  }
  for (const Order& o : s.orders) EXPECT_TRUE(e.addOrder(o).ok());
  for (const Payment& p : s.payments) EXPECT_TRUE(e.addPayment(p).ok());
  return e;
}

using AllocKey = std::tuple<std::string, std::string, std::string, std::string, std::string, double, bool>;
std::vector<AllocKey> keys(const Engine& e) {
  std::vector<AllocKey> out;
  for (const Allocation& a : e.allocations()) {
    out.emplace_back(a.payment_id, a.order_no, a.amount.toString(), a.difference.toString(), a.rule, a.confidence,
                     a.manual);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void expectNoSideExceeded(const Engine& e) {
  for (const PaymentResult& p : e.payments()) {
    if (p.amount.signum() > 0) {
      EXPECT_GE(p.allocated.signum(), 0) << p.payment_id;
      EXPECT_LE(p.allocated, p.amount) << p.payment_id;
    } else {
      EXPECT_LE(p.allocated.signum(), 0) << p.payment_id;
      EXPECT_GE(p.allocated, p.amount) << p.payment_id;
    }
  }
  for (const OrderResult& o : e.orders()) {
    EXPECT_LE(o.paid + o.written_off, o.amount) << o.order_no;  // no manual overpayments here
    EXPECT_GE(o.paid.signum(), 0) << o.order_no;
  }
}

TEST(ReconProperty, BooksBalanceAndInputOrderDoesNotMatter) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    World w = generate(seed, 12 + static_cast<int>(seed % 20), 20 + static_cast<int>(seed % 30));
    Engine a = build(w, 0);
    a.run();
    expectBooksBalance(a);
    expectNoSideExceeded(a);
    ASSERT_FALSE(a.allocations().empty());
    for (uint64_t shuffle = 1; shuffle <= 3; ++shuffle) {
      Engine b = build(w, seed * 100 + shuffle);
      b.run();
      EXPECT_EQ(a.orders(), b.orders());
      EXPECT_EQ(a.payments(), b.payments());
      EXPECT_EQ(a.allocations(), b.allocations());  // including seq: processing order is canonical
    }
  }
}

TEST(ReconProperty, IncrementalBatchesBalanceAndRematchEqualsOneShot) {
  for (uint64_t seed = 101; seed <= 130; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    World w = generate(seed, 25, 40);
    Engine one = build(w, 0);
    one.run();
    Engine inc = makeEngine();
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(inc.addCustomerName(kCustomers[i], kNames[i]).ok());
    std::mt19937_64 rng(seed);
    std::size_t oi = 0, pi = 0;
    for (int batch = 0; batch < 4; ++batch) {
      std::size_t o_end = batch == 3 ? w.orders.size() : std::min(w.orders.size(), oi + rng() % 10);
      std::size_t p_end = batch == 3 ? w.payments.size() : std::min(w.payments.size(), pi + rng() % 15);
      for (; oi < o_end; ++oi) ASSERT_TRUE(inc.addOrder(w.orders[oi]).ok());
      for (; pi < p_end; ++pi) ASSERT_TRUE(inc.addPayment(w.payments[pi]).ok());
      inc.run();
      expectBooksBalance(inc);
      expectNoSideExceeded(inc);
    }
    inc.rematchAll();
    expectBooksBalance(inc);
    EXPECT_EQ(keys(one), keys(inc));
    EXPECT_EQ(one.orders(), inc.orders());
    EXPECT_EQ(one.payments(), inc.payments());
  }
}

TEST(ReconProperty, ManualMatchesSurviveRematchOnRandomData) {
  for (uint64_t seed = 201; seed <= 215; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    World w = generate(seed, 20, 30);
    Engine e = build(w, 0);
    e.run();
    // Finance moves some payments by hand: whatever of the payment is free, to some order.
    std::vector<Allocation> manual;
    std::mt19937_64 rng(seed);
    auto pays = e.payments();
    auto orders = e.orders();
    for (int k = 0; k < 5; ++k) {
      const PaymentResult& p = pays[rng() % pays.size()];
      const OrderResult& o = orders[rng() % orders.size()];
      if (p.amount.signum() <= 0 || p.currency != o.currency || o.outstanding.isZero()) continue;
      Decimal amount = std::min(o.outstanding, *e.payment(p.payment_id)->amount.divide(Decimal::fromInt(3), 2, RoundingMode::kDown));
      if (amount.signum() <= 0) continue;
      if (e.match(p.payment_id, o.order_no, amount, "fin.qa", "property", k).ok()) {
        Allocation m;
        m.payment_id = p.payment_id;
        m.order_no = o.order_no;
        m.amount = amount;
        manual.push_back(m);
      }
    }
    expectBooksBalance(e);
    e.rematchAll();
    expectBooksBalance(e);
    std::size_t found = 0;
    for (const Allocation& a : e.allocations()) found += a.manual ? 1 : 0;
    EXPECT_EQ(found, manual.size());
    for (const Allocation& m : manual) {
      bool present = false;
      for (const Allocation& a : e.allocationsOfPayment(m.payment_id)) {
        present |= a.manual && a.order_no == m.order_no && a.amount == m.amount;
      }
      EXPECT_TRUE(present) << m.payment_id << " -> " << m.order_no;
    }
  }
}

TEST(ReconProperty, OrderUpdatesKeepTheBooksBalanced) {
  for (uint64_t seed = 301; seed <= 320; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    World w = generate(seed, 20, 35);
    Engine e = build(w, 0);
    e.run();
    std::mt19937_64 rng(seed);
    for (int k = 0; k < 12; ++k) {
      Order o = w.orders[rng() % w.orders.size()];
      int64_t c = static_cast<int64_t>(o.amount.coefficient()) * static_cast<int64_t>(50 + rng() % 100) / 100;
      o.amount = *Decimal::fromUnscaled(c, 2);
      auto r = e.upsertOrder(o);
      ASSERT_TRUE(r.ok()) << r.error().message;
      expectBooksBalance(e);
      if (k % 4 == 3) e.run();
    }
    e.run();
    expectBooksBalance(e);
    expectNoSideExceeded(e);
    e.rematchAll();
    expectBooksBalance(e);
    expectNoSideExceeded(e);
  }
}

}  // namespace
}  // namespace qiao::recon::testing
