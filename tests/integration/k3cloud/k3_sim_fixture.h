// Shared fixture: one qiao-sim per test binary, reset before each test; sinks built from
// settings for the simulator's seeded tenant.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "k3_config.h"
#include "k3_sink.h"
#include "qiao/sdk/connector.h"
#include "qiao/testkit/testkit.h"

void qiao_register_k3cloud(qiao::sdk::Registry& registry);

namespace k3test {

using nlohmann::json;
namespace tk = qiao::testkit;
namespace k3 = qiao::connectors::k3cloud;

class K3SimTest : public ::testing::Test {
 public:
  // A valid sales order for the seeded base data (customer, org, currency, material).
  static json orderBody(const std::string& customer = "C100001", const std::string& note = "");

 protected:
  static void SetUpTestSuite() {
    dir_ = new tk::TempDir();
    std::string out = dir_->file("sim.out");
    // Kept-alive connections each hold a sim thread: room for two 32-worker sinks and more.
    std::unique_ptr<tk::Child> child;
    std::string ready;
    port_ = tk::startQiaoSim(&child, out, {"--threads", "128"}, &ready);
    ASSERT_GT(port_, 0) << "qiao-sim did not start: " << ready;
    sim_ = child.release();
  }
  static void TearDownTestSuite() {
    delete sim_;
    sim_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_GT(port_, 0);
    auto r = tk::http("POST", port_, "/sim/k3cloud/_reset", "{}");
    ASSERT_EQ(r.status, 200) << r.body;
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  static std::string baseUrl() {
    return "http://127.0.0.1:" + std::to_string(port_) + "/sim/k3cloud/k3cloud/";
  }

  // Settings for the seeded tenant in the given auth mode, plus overrides.
  static json settings(const std::string& auth = "validate_user", json extra = json::object()) {
    json s = {{"base_url", baseUrl()}, {"acct_id", "sim-acct-001"}, {"auth", auth},
              {"username", "administrator"}, {"lcid", 2052}, {"timeout", 10000}};
    if (auth == "validate_user") s["password"] = "888888";
    else {
      s["app_id"] = "sim_app_id";
      s["app_secret"] = "sim-app-secret";
    }
    for (auto& [k, v] : extra.items()) s[k] = v;
    return s;
  }

  static std::unique_ptr<k3::K3Sink> makeSink(const json& s) {
    auto cfg = k3::parseK3Config(s.dump());
    EXPECT_TRUE(cfg.ok()) << (cfg.ok() ? "" : cfg.error().message);
    if (!cfg.ok()) return nullptr;
    return std::make_unique<k3::K3Sink>(std::move(cfg).value(), "erp");
  }

  qiao::Record record(const std::string& suffix, json body = json(), int attempt = 1) {
    qiao::Record r;
    r.payload = (body.is_null() ? orderBody() : body).dump();
    r.entity = "order";
    r.source_system = "crm";
    r.business_key = name_ + "-" + suffix;
    r.idempotency_key = "idem-" + name_ + "-" + suffix;
    r.attempt = attempt;
    return r;
  }

  static json get(const std::string& path) {
    auto r = tk::http("GET", port_, path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  static void post(const std::string& path, const json& body) {
    auto r = tk::http("POST", port_, path, body.dump());
    ASSERT_EQ(r.status, 200) << path << ": " << r.body;
  }
  static json stats() { return get("/sim/k3cloud/_stats"); }
  static json bills() { return get("/sim/k3cloud/_bills/SAL_SaleOrder"); }
  static int64_t logins() { return stats()["logins"].get<int64_t>(); }
  static int64_t calls(const std::string& method) {
    auto c = stats()["calls"];
    return c.contains(method) ? c[method].get<int64_t>() : 0;
  }
  // Bills whose FNetOrderBillNo is the given reference.
  static int countByRef(const std::string& ref) {
    int n = 0;
    for (const auto& b : bills())
      if (b.value("FNetOrderBillNo", "") == ref) ++n;
    return n;
  }

  static inline tk::TempDir* dir_ = nullptr;
  static inline tk::Child* sim_ = nullptr;
  static inline int port_ = 0;
  std::string name_;
};

inline json K3SimTest::orderBody(const std::string& customer, const std::string& note) {
  return {{"formid", "SAL_SaleOrder"},
          {"data",
           {{"IsAutoSubmitAndAudit", false},
            {"Model",
             {{"FBillTypeID", {{"FNumber", "XSDD01_SYS"}}},
              {"FDate", "2026-03-01 00:00:00"},
              {"FSaleOrgId", {{"FNumber", "100"}}},
              {"FCustId", {{"FNumber", customer}}},
              {"FNote", note},
              {"FSaleOrderFinance", {{"FSettleCurrId", {{"FNumber", "PRE001"}}}}},
              {"FSaleOrderEntry",
               json::array({{{"FMaterialId", {{"FNumber", "M001"}}},
                             {"FUnitID", {{"FNumber", "Pcs"}}},
                             {"FQty", 2},
                             {"FTaxPrice", 113.0},
                             {"FDeliveryDate", "2026-03-10"}}})}}}}}};
}

}  // namespace k3test
