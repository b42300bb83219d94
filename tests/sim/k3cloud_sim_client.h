// The k3cloud simulator tests' client: a qiao-sim child on a loopback port and the calls the
// K/3 Cloud Web API clients make to it (sessions by cookie, forms, queries, the admin routes),
// plus the sales order every test saves.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "qiao/testkit/testkit.h"

namespace k3sim_test {

using nlohmann::json;
namespace tk = qiao::testkit;

inline const std::string kAuth = "Kingdee.BOS.WebApi.ServicesStub.AuthService.";
inline const std::string kForm = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.";
inline const std::string kBase = "/sim/k3cloud/k3cloud/";

class Sim {
 public:
  explicit Sim(const tk::TempDir& dir, std::vector<std::string> extra = {}) {
    out_ = dir.file("k3sim-" + std::to_string(++starts_) + ".out");
    std::string text;
    port_ = tk::startQiaoSim(&child_, out_, extra, &text);
    EXPECT_GT(port_, 0) << text;
  }
  int port() const { return port_; }
  tk::Child& child() { return *child_; }
  const std::string& output() const { return out_; }

  tk::HttpResponse raw(const std::string& service, const std::string& body,
                       std::map<std::string, std::string> headers = {}, int timeout_ms = 10000) {
    if (!session_.empty() && !headers.count("Cookie"))
      headers["Cookie"] = "kdservice-sessionid=" + session_;
    return tk::http("POST", port_, kBase + service, body, headers, timeout_ms);
  }
  json call(const std::string& service, const json& body,
            std::map<std::string, std::string> headers = {}) {
    auto r = raw(service + ".common.kdsvc", body.dump(), std::move(headers));
    EXPECT_EQ(r.status, 200) << service << " " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json form(const std::string& op, const std::string& form_id, const json& data) {
    return call(kForm + op, {{"formid", form_id}, {"data", data}});
  }
  json query(const json& data) { return call(kForm + "ExecuteBillQuery", {{"data", data}}); }
  json login() {
    json r = call(kAuth + "ValidateUser", {{"acctid", "sim-acct-001"},
                                           {"username", "administrator"},
                                           {"password", "888888"},
                                           {"lcid", 2052}});
    session_ = r.value("KDSVCSessionId", "");
    return r;
  }
  void setSession(std::string s) { session_ = std::move(s); }
  json admin(const std::string& method, const std::string& path, const std::string& body = "") {
    auto r = tk::http(method, port_, "/sim/k3cloud/" + path, body);
    EXPECT_EQ(r.status, 200) << path << " " << r.body;
    return json::parse(r.body, nullptr, false);
  }

 private:
  static inline int starts_ = 0;
  std::string out_, session_;
  std::unique_ptr<tk::Child> child_;
  int port_ = 0;
};

inline json orderModel(const std::string& net_no, const std::string& customer = "C100001") {
  return {{"FBillTypeID", {{"FNumber", "XSDD01_SYS"}}},
          {"FDate", "2026-11-26 00:00:00"},
          {"FSaleOrgId", {{"FNumber", "100"}}},
          {"FCustId", {{"FNumber", customer}}},
          {"FNetOrderBillNo", net_no},
          {"FNote", "包装需防潮"},
          {"FSaleOrderFinance", {{"FSettleCurrId", {{"FNumber", "PRE001"}}}}},
          {"FSaleOrderEntry",
           json::array({{{"FMaterialId", {{"FNumber", "M001"}}}, {"FQty", 2}, {"FTaxPrice", 113},
                         {"FEntryTaxRate", 13}, {"FDeliveryDate", "2026-12-01"}},
                        {{"FMaterialId", {{"FNumber", "M002"}}}, {"FQty", 1}, {"FPrice", 50},
                         {"FEntryTaxRate", 13}, {"FDeliveryDate", "2026-12-02"}}})}};
}

inline json status(const json& r) { return r["Result"]["ResponseStatus"]; }

}  // namespace k3sim_test
