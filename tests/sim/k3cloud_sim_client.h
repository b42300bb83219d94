// The k3cloud simulator tests' client: a qiao-sim child on a loopback port and the calls the
// K/3 Cloud Web API clients make to it (sessions by cookie, forms, queries, the admin routes),
// plus the sales order every test saves.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "qiao/testkit/testkit.h"
#include "sim_process.h"

namespace k3sim_test {

using nlohmann::json;
namespace tk = qiao::testkit;

inline const std::string kAuth = "Kingdee.BOS.WebApi.ServicesStub.AuthService.";
inline const std::string kForm = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.";
inline const std::string kBase = "/sim/k3cloud/k3cloud/";

class Sim : public sim_test::SimProcess {
 public:
  explicit Sim(const tk::TempDir& dir, std::vector<std::string> extra = {})
      : SimProcess(dir, "k3sim", std::move(extra)) {}

  tk::HttpResponse raw(const std::string& service, const std::string& body,
                       std::map<std::string, std::string> headers = {}, int timeout_ms = 10000) {
    if (!session_.empty() && !headers.count("Cookie"))
      headers["Cookie"] = "kdservice-sessionid=" + session_;
    return tk::http("POST", port(), kBase + service, body, headers, timeout_ms);
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
    auto r = tk::http(method, port(), "/sim/k3cloud/" + path, body);
    EXPECT_EQ(r.status, 200) << path << " " << r.body;
    return json::parse(r.body, nullptr, false);
  }

 private:
  std::string session_;
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
