// Shared helpers for the reconciliation tests: real-looking orders and receipts.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "qiao/recon/engine.h"
#include "qiao/recon/rows.h"

namespace qiao::recon::testing {

inline Decimal dec(const char* s) { return *Decimal::parse(s); }
inline Date day(const char* s) { return *parseDate(s); }

inline Order order(std::string no, std::string customer, const char* amount, const char* date,
                   std::string erp = "", std::string currency = "CNY") {
  Order o;
  o.order_no = std::move(no);
  o.erp_bill_no = std::move(erp);
  o.customer_id = std::move(customer);
  o.currency = std::move(currency);
  o.amount = dec(amount);
  o.order_date = day(date);
  return o;
}

inline Payment bank(std::string id, std::string payer, const char* amount, const char* date,
                    std::string remark = "", std::string currency = "CNY") {
  Payment p;
  p.payment_id = std::move(id);
  p.source = PaymentSource::kBank;
  p.payer_name = std::move(payer);
  p.payer_account = "6222 0212 0000 1234";
  p.amount = dec(amount);
  p.date = day(date);
  p.remark = std::move(remark);
  p.currency = std::move(currency);
  return p;
}

inline Payment k3(std::string bill_no, std::string customer, const char* amount, const char* date,
                  std::optional<std::string> source_order = std::nullopt) {
  Payment p;
  p.payment_id = std::move(bill_no);
  p.source = PaymentSource::kK3;
  p.customer_id = std::move(customer);
  p.amount = dec(amount);
  p.date = day(date);
  p.currency = "CNY";
  p.source_order_no = std::move(source_order);
  return p;
}

// Customers of the scenarios.
inline constexpr const char* kHuadong = "C100001";  // 苏州华东精密机械有限公司
inline constexpr const char* kBeilun = "C100002";   // 宁波北仑模具有限责任公司
inline constexpr const char* kJiangnan = "C100003"; // 无锡江南电缆股份有限公司

inline Engine makeEngine(Config config = {}) {
  auto e = Engine::create(std::move(config));
  EXPECT_TRUE(e.ok());
  Engine engine = std::move(e.value());
  EXPECT_TRUE(engine.addCustomerName(kHuadong, "苏州华东精密机械有限公司").ok());
  EXPECT_TRUE(engine.addCustomerName(kBeilun, "宁波北仑模具有限责任公司").ok());
  EXPECT_TRUE(engine.addCustomerName(kJiangnan, "无锡江南电缆股份有限公司").ok());
  return engine;
}

inline void add(Engine& e, const Order& o) {
  auto r = e.addOrder(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
}
inline void add(Engine& e, const Payment& p) {
  auto r = e.addPayment(p);
  ASSERT_TRUE(r.ok()) << r.error().message;
}

// Sum checks from the public results alone (independent of the engine's own bookkeeping).
inline void expectBooksBalance(const Engine& e) {
  ASSERT_TRUE(e.checkInvariants().ok()) << e.checkInvariants().error().message;
  for (const PaymentResult& p : e.payments()) {
    Decimal sum;
    for (const Allocation& a : e.allocationsOfPayment(p.payment_id)) {
      sum += a.amount;
      if (a.amount.signum() < 0) {
        EXPECT_EQ(a.rule, kRuleReversal) << p.payment_id;
        EXPECT_LT(p.amount.signum(), 0) << p.payment_id;
      }
    }
    EXPECT_EQ(sum, p.allocated) << p.payment_id;
    EXPECT_EQ(sum + p.unallocated, p.amount) << p.payment_id;
  }
  for (const OrderResult& o : e.orders()) {
    Decimal sum, over;
    for (const Allocation& a : e.allocationsOfOrder(o.order_no)) {
      sum += a.amount;
      if (a.overpayment) over += a.amount;
    }
    EXPECT_LE(o.paid - over + o.written_off, o.amount) << o.order_no;
    EXPECT_EQ(o.paid + o.written_off + o.outstanding - o.overpaid, o.amount) << o.order_no;
  }
}

}  // namespace qiao::recon::testing
