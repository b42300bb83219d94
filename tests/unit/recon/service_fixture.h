// Helpers for the reconciliation service tests: canonical JSON records, a service over a temp
// SQLite file, a controllable clock, and a reader of the JSON answers.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "qiao/core/clock.h"
#include "qiao/recon/service.h"
#include "qiao/testkit/testkit.h"

namespace qiao::recon::testing {

using Json = nlohmann::json;

class FakeClock final : public Clock {
 public:
  int64_t nowMs() const override { return now; }
  int64_t now = 1795996800000;  // 2026-11-30T00:00:00Z
};

inline constexpr const char* kHuadongCode = "C100001";  // 苏州华东精密机械有限公司
inline constexpr const char* kBeilunCode = "C100002";   // 宁波北仑模具有限责任公司
inline constexpr const char* kJiangnanCode = "C100003"; // 无锡江南电缆股份有限公司

inline std::string orderJson(const std::string& id, const std::string& customer, const std::string& amount,
                             const std::string& date, Json extra = Json::object()) {
  Json j = {{"orderId", id},          {"orderDate", date},  {"customerCode", customer},
            {"currency", "CNY"},      {"totalAmount", amount}, {"status", "confirmed"},
            {"lines", Json::array({{{"lineNo", 1}, {"materialCode", "MAT-003001"}, {"qty", "1"}, {"price", amount}}})}};
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  return j.dump();
}

inline std::string bankJson(const std::string& id, const std::string& payer, const std::string& amount,
                            const std::string& date, const std::string& remark = "", Json extra = Json::object()) {
  Json j = {{"paymentId", id}, {"source", "bank"}, {"date", date}, {"payerName", payer},
            {"payerAccount", "6222021200001234"}, {"amount", amount}, {"currency", "CNY"}, {"remark", remark}};
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  return j.dump();
}

inline std::string k3Json(const std::string& id, const std::string& customer, const std::string& amount,
                          const std::string& date, Json extra = Json::object()) {
  Json j = {{"paymentId", id}, {"source", "k3cloud"}, {"receiptNo", id}, {"date", date},
            {"customerCode", customer}, {"amount", amount}, {"currency", "CNY"}, {"purpose", "sales"}};
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  return j.dump();
}

inline ServiceOptions serviceOptions(const std::string& path, const FakeClock* clock) {
  ServiceOptions o;
  o.sqlite_path = path;
  o.synchronous_full = false;  // tests: the file is thrown away (kill -9 needs no fsync)
  o.clock = clock;
  o.customer_names = {{kHuadongCode, "苏州华东精密机械有限公司"},
                      {kBeilunCode, "宁波北仑模具有限责任公司"},
                      {kJiangnanCode, "无锡江南电缆股份有限公司"}};
  return o;
}

inline std::unique_ptr<Service> openService(const ServiceOptions& o) {
  auto s = Service::open(o);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return s.ok() ? std::move(s.value()) : nullptr;
}

#define ASSERT_OK(expr)                                              \
  do {                                                               \
    const auto& qiao_t_ = (expr);                                    \
    ASSERT_TRUE(qiao_t_.ok()) << #expr << ": " << qiao_t_.error().message; \
  } while (0)

inline Json parsed(const Result<std::string>& r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? Json::parse(*r) : Json();
}

// Everything the API can say about the books, for before/after comparisons.
inline std::string snapshot(const Service& s) {
  PaymentQuery pq;
  pq.limit = 10000;
  OrderQuery oq;
  oq.limit = 10000;
  std::string out = *s.paymentsJson(pq);
  out += "\n" + *s.ordersJson(oq);
  out += "\n" + *s.summaryJson(2026, 11);
  out += "\n" + *s.agingJson(*parseDate("2026-12-31"));
  out += "\n" + *s.manualLogJson(10000, 0);
  return out;
}

}  // namespace qiao::recon::testing
