// The k3cloud simulator in qiao-sim, over plain HTTP: logins and signatures (checked with
// OpenSSL, independently of the simulator's own code), sessions, Save validation, the status
// flow, View, ExecuteBillQuery filters and paging, faults, quirks and the state file.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "qiao/testkit/testkit.h"

namespace {

using nlohmann::json;
namespace tk = qiao::testkit;

const std::string kAuth = "Kingdee.BOS.WebApi.ServicesStub.AuthService.";
const std::string kForm = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.";
const std::string kBase = "/sim/k3cloud/k3cloud/";

std::string hex(const unsigned char* d, size_t n) {
  static const char* k = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += k[d[i] >> 4];
    out += k[d[i] & 15];
  }
  return out;
}

std::string sha256hex(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return hex(d, sizeof d);
}

std::string b64(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// The SDKs' HMAC: base64 of the lower-case hex of HMAC-SHA256.
std::string kdHmac(const std::string& msg, const std::string& key) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), d, &n);
  return b64(hex(d, n));
}

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

json orderModel(const std::string& net_no, const std::string& customer = "C100001") {
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

json status(const json& r) { return r["Result"]["ResponseStatus"]; }

TEST(K3CloudSim, LoginVariantsAndTheirFailures) {
  tk::TempDir dir;
  Sim sim(dir);
  // ValidateUser, named keys: the real envelope plus both cookies' winner.
  auto ok = sim.raw(kAuth + "ValidateUser.common.kdsvc",
                    R"({"acctid":"sim-acct-001","username":"administrator","password":"888888","lcid":2052})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  json j = json::parse(ok.body);
  EXPECT_EQ(j["LoginResultType"], 1);
  EXPECT_EQ(j["IsSuccessByAPI"], true);
  std::string sid = j["KDSVCSessionId"];
  EXPECT_EQ(sid.size(), 36u);
  EXPECT_EQ(j["Context"]["UTimeZone"]["OffsetTicks"], 288000000000LL);
  EXPECT_NE(ok.headers["set-cookie"].find("kdservice-sessionid=" + sid), std::string::npos);
  // Wrong password (positional body): PWError, no session.
  json bad = sim.call(kAuth + "ValidateUser",
                      {{"parameters", {"sim-acct-001", "administrator", "000000", 2052}}});
  EXPECT_EQ(bad["LoginResultType"], 0);
  EXPECT_EQ(bad["Message"], "用户名或密码错误！");
  EXPECT_TRUE(bad["KDSVCSessionId"].is_null());
  // LoginByAppSecret.
  json app = sim.call(kAuth + "LoginByAppSecret",
                      {{"parameters", {"sim-acct-001", "administrator", "sim_app_id",
                                       "sim-app-secret", 2052}}});
  EXPECT_EQ(app["LoginResultType"], 1);
  json app_bad = sim.call(kAuth + "LoginByAppSecret",
                          {{"acctid", "sim-acct-001"}, {"username", "administrator"},
                           {"appid", "sim_app_id"}, {"appsecret", "nope"}, {"lcid", 2052}});
  EXPECT_EQ(app_bad["LoginResultType"], -1);
  EXPECT_EQ(app_bad["IsSuccessByAPI"], false);
  // LoginBySign: SHA-256 over the five strings sorted ordinally.
  std::string ts = std::to_string(std::time(nullptr));
  std::vector<std::string> parts{"sim-acct-001", "administrator", "sim_app_id", "sim-app-secret", ts};
  std::sort(parts.begin(), parts.end());
  std::string sign = sha256hex(parts[0] + parts[1] + parts[2] + parts[3] + parts[4]);
  json signed_in = sim.call(kAuth + "LoginBySign",
                            {{"parameters", {"sim-acct-001", "administrator", "sim_app_id", ts,
                                             sign, 2052}}});
  EXPECT_EQ(signed_in["LoginResultType"], 1);
  EXPECT_FALSE(signed_in["KDSVCSessionId"].get<std::string>().empty());
  json sign_bad = sim.call(kAuth + "LoginBySign",
                           {{"parameters", {"sim-acct-001", "administrator", "sim_app_id",
                                            ts + "1", sign, 2052}}});
  EXPECT_EQ(sign_bad["LoginResultType"], -1);
  json acct_bad = sim.call(kAuth + "ValidateUser",
                           {{"parameters", {"other-acct", "administrator", "888888", 2052}}});
  EXPECT_EQ(acct_bad["LoginResultType"], -1);
  auto s = sim.admin("GET", "_stats");
  EXPECT_EQ(s["logins"], 3);
  EXPECT_EQ(s["login_failures"], 4);
  EXPECT_EQ(s["sessions"], 3);
}

TEST(K3CloudSim, SessionLostEnvelopeExpiryAndTtl) {
  tk::TempDir dir;
  Sim sim(dir);
  json q{{"FormId", "BD_Customer"}, {"FieldKeys", "FNumber"}, {"FilterString", "FNumber='C100001'"}};
  json lost = sim.query(q);  // no session at all: the error sits inside the array
  ASSERT_TRUE(lost.is_array());
  EXPECT_EQ(lost[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
  EXPECT_EQ(lost[0][0]["Result"]["ResponseStatus"]["IsSuccess"], false);
  json save_lost = sim.form("Save", "SAL_SaleOrder", {{"Model", orderModel("S-1")}});
  EXPECT_EQ(status(save_lost)["MsgCode"], 1);
  EXPECT_EQ(status(save_lost)["Errors"][0]["Message"], "会话信息已丢失，请重新登录");
  sim.login();
  EXPECT_EQ(sim.query(q), json::parse(R"([["C100001"]])"));
  EXPECT_EQ(sim.admin("POST", "_sessions/expire")["expired"], 1);
  EXPECT_EQ(status(sim.form("View", "BD_Customer", {{"Number", "C100001"}}))["MsgCode"], 1);
  const json found = json::parse(R"([["C100001"]])");
  sim.login();
  EXPECT_EQ(sim.query(q), found);
  // session_expiry with a count: each of the next `count` calls with a live session loses it.
  sim.admin("POST", "_faults", R"({"mode":"session_expiry","count":2})");
  EXPECT_EQ(sim.query(q)[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
  sim.login();
  EXPECT_EQ(sim.query(q)[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
  sim.login();
  EXPECT_EQ(sim.query(q), found);
  // Without a count it drops every session now.
  sim.admin("POST", "_faults", R"({"mode":"session_expiry"})");
  EXPECT_EQ(sim.query(q)[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
  // A TTL expires sessions that long after their login.
  sim.admin("POST", "_config", R"({"session_ttl_ms":300})");
  sim.login();
  EXPECT_EQ(sim.query(q), found);
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  EXPECT_EQ(sim.query(q)[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
  EXPECT_EQ(sim.admin("GET", "_stats")["session_lost"], 7);
}

TEST(K3CloudSim, SignedHeadersNeedNoSession) {
  tk::TempDir dir;
  Sim sim(dir);
  const std::string app_id = "sim_app_id", secret = "sim-app-secret";
  const std::string service = kForm + "ExecuteBillQuery.common.kdsvc";
  auto headers = [&](const std::string& acct, const std::string& kd_secret) {
    std::string ts = std::to_string(std::time(nullptr) * 1000);
    std::string path = kBase + service;  // the path the client requested
    std::string enc;
    for (unsigned char c : path) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        enc += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        enc += buf;
      }
    }
    std::string to_sign = "POST\n" + enc + "\n\nx-api-nonce:" + ts + "\nx-api-timestamp:" + ts + "\n";
    std::string app_data = acct + ",administrator,2052,0";
    return std::map<std::string, std::string>{
        {"X-Api-ClientID", "sim"},
        {"X-Api-Auth-Version", "2.0"},
        {"x-api-timestamp", ts},
        {"x-api-nonce", ts},
        {"x-api-signheaders", "x-api-timestamp,x-api-nonce"},
        {"X-Api-Signature", kdHmac(to_sign, "app_id")},
        {"X-Kd-Appkey", app_id},
        {"X-Kd-Appdata", b64(app_data)},
        {"X-Kd-Signature", kdHmac(app_id + app_data, kd_secret)}};
  };
  std::string body = R"({"data":{"FormId":"BD_Currency","FieldKeys":"FNumber,FName","FilterString":"FNumber='PRE007'"}})";
  auto ok = sim.raw(service, body, headers("sim-acct-001", secret));
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(json::parse(ok.body), json::parse(R"([["PRE007","美元"]])"));
  auto forged = sim.raw(service, body, headers("sim-acct-001", "guess"));
  EXPECT_EQ(json::parse(forged.body)[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
  auto other = sim.raw(service, body, headers("other-acct", secret));
  EXPECT_EQ(other.status, 500);
  EXPECT_EQ(other.body, "Fail to verify thirty passport");
}

TEST(K3CloudSim, SaveCreatesNumbersAndReturnsFields) {
  tk::TempDir dir;
  Sim sim(dir);
  sim.login();
  json r = sim.form("Save", "SAL_SaleOrder",
                    {{"NeedReturnFields", {"FBillNo", "FNetOrderBillNo", "FSaleOrderEntry.FEntryID"}},
                     {"Model", orderModel("WEB-1")}});
  ASSERT_EQ(status(r)["IsSuccess"], true) << r.dump();
  EXPECT_TRUE(r["Result"]["Id"].is_number_integer());
  EXPECT_EQ(r["Result"]["Number"], "XSDD000001");
  EXPECT_EQ(status(r)["SuccessEntitys"][0]["Number"], "XSDD000001");
  EXPECT_EQ(status(r)["SuccessEntitys"][0]["DIndex"], 0);
  EXPECT_EQ(r["Result"]["NeedReturnData"][0]["FNetOrderBillNo"], "WEB-1");
  EXPECT_EQ(r["Result"]["NeedReturnData"][0]["FSaleOrderEntry"].size(), 2u);
  json r2 = sim.form("Save", "SAL_SaleOrder", {{"Model", orderModel("WEB-2")}});
  EXPECT_EQ(r2["Result"]["Number"], "XSDD000002");
  int64_t id = r["Result"]["Id"];
  json doc = sim.admin("GET", "_bills/SAL_SaleOrder/" + std::to_string(id));
  EXPECT_EQ(doc["FDocumentStatus"], "A");
  EXPECT_EQ(doc["FDate"], "2026-11-26T00:00:00");
  EXPECT_TRUE(std::regex_match(doc["FModifyDate"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})")));
  EXPECT_EQ(doc["FSaleOrderEntry"][1]["FAllAmount"], 56.5);
  EXPECT_EQ(sim.admin("GET", "_bills/SAL_SaleOrder").size(), 2u);
  EXPECT_EQ(sim.admin("GET", "_stats")["bills"]["SAL_SaleOrder"], 2);
  // BatchSave: per-DIndex outcome, no top-level Id.
  json models = json::array({orderModel("B-1"), orderModel("B-2", "C999")});
  json b = sim.form("BatchSave", "SAL_SaleOrder", {{"Model", models}});
  EXPECT_EQ(status(b)["IsSuccess"], false);
  EXPECT_EQ(status(b)["SuccessEntitys"].size(), 1u);
  EXPECT_EQ(status(b)["Errors"][0]["DIndex"], 1);
  EXPECT_FALSE(b["Result"].contains("Id"));
}

TEST(K3CloudSim, SaveRejectsMissingBaseDataAndRequiredFields) {
  tk::TempDir dir;
  Sim sim(dir);
  sim.login();
  json r = sim.form("Save", "SAL_SaleOrder", {{"Model", orderModel("X-1", "C999")}});
  EXPECT_EQ(status(r)["IsSuccess"], false);
  EXPECT_EQ(status(r)["ErrorCode"], 500);
  EXPECT_EQ(status(r)["MsgCode"], 11);
  EXPECT_EQ(status(r)["Errors"][0]["FieldName"], "FCustId");
  EXPECT_EQ(status(r)["Errors"][0]["Message"], "字段“客户”的值“C999”在系统中不存在。");
  json m = orderModel("X-2");
  m.erase("FDate");
  m["FSaleOrderEntry"][1]["FMaterialId"] = {{"FNumber", "M404"}};
  r = sim.form("Save", "SAL_SaleOrder", {{"Model", m}});
  ASSERT_EQ(status(r)["Errors"].size(), 2u) << r.dump();
  EXPECT_EQ(status(r)["Errors"][0]["FieldName"], "FDate");
  EXPECT_EQ(status(r)["Errors"][0]["Message"], "“日期”是必填项。");
  EXPECT_EQ(status(r)["Errors"][1]["FieldName"], "FMaterialId");
  EXPECT_NE(status(r)["Errors"][1]["Message"].get<std::string>().find("第2行"), std::string::npos);
  // An optional reference is only checked with IsVerifyBaseDataField.
  m = orderModel("X-3");
  m["FSalerId"] = {{"FNUMBER", "EMP999"}};
  EXPECT_EQ(status(sim.form("Save", "SAL_SaleOrder", {{"Model", m}}))["IsSuccess"], true);
  m["FNetOrderBillNo"] = "X-4";
  r = sim.form("Save", "SAL_SaleOrder", {{"IsVerifyBaseDataField", "true"}, {"Model", m}});
  EXPECT_EQ(status(r)["Errors"][0]["FieldName"], "FSalerId");
  // Forbidden base data is refused when verifying.
  r = sim.form("Save", "SAL_SaleOrder",
               {{"IsVerifyBaseDataField", true}, {"Model", orderModel("X-5", "C100003")}});
  EXPECT_EQ(status(r)["Errors"][0]["Message"], "字段“客户”的值“C100003”已禁用。");
  // The settlement currency belongs in FSaleOrderFinance; at the header it does not count.
  m = orderModel("X-6");
  m["FSettleCurrId"] = m["FSaleOrderFinance"]["FSettleCurrId"];
  m.erase("FSaleOrderFinance");
  r = sim.form("Save", "SAL_SaleOrder", {{"Model", m}});
  EXPECT_EQ(status(r)["Errors"][0]["FieldName"], "FSettleCurrId");
  EXPECT_EQ(sim.admin("GET", "_stats")["bills"]["SAL_SaleOrder"], 1);
}

TEST(K3CloudSim, UpdateHonoursNeedUpDateFieldsAndIsDeleteEntry) {
  tk::TempDir dir;
  Sim sim(dir);
  sim.login();
  json r = sim.form("Save", "SAL_SaleOrder", {{"Model", orderModel("U-1")}});
  int64_t id = r["Result"]["Id"];
  json before = sim.admin("GET", "_bills/SAL_SaleOrder/" + std::to_string(id));
  int64_t e0 = before["FSaleOrderEntry"][0]["FEntryID"];
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  json upd{{"FID", id}, {"FNote", "改"}, {"FNetOrderBillNo", "IGNORED"},
           {"FSaleOrderFinance", {{"FSettleCurrId", {{"FNumber", "PRE007"}}}, {"FExchangeRate", 7}}},
           {"FSaleOrderEntry", json::array({{{"FEntryID", e0}, {"FQty", 5}}})}};
  r = sim.form("Save", "SAL_SaleOrder",
               {{"NeedUpDateFields", {"FNote", "FSaleOrderEntry", "FQty", "FSettleCurrId"}},
                {"IsDeleteEntry", false},
                {"Model", upd}});
  ASSERT_EQ(status(r)["IsSuccess"], true) << r.dump();
  EXPECT_EQ(r["Result"]["Id"], id);
  json after = sim.admin("GET", "_bills/SAL_SaleOrder/" + std::to_string(id));
  EXPECT_EQ(after["FNote"], "改");
  EXPECT_EQ(after["FNetOrderBillNo"], "U-1");
  EXPECT_EQ(after["FSaleOrderFinance"]["FSettleCurrId"]["FNumber"], "PRE007");
  EXPECT_FALSE(after["FSaleOrderFinance"].contains("FExchangeRate"));
  ASSERT_EQ(after["FSaleOrderEntry"].size(), 2u);
  EXPECT_EQ(after["FSaleOrderEntry"][0]["FQty"], 5);
  EXPECT_GT(after["FModifyDate"].get<std::string>(), before["FModifyDate"].get<std::string>());
  // Default IsDeleteEntry=true: rows left out are dropped.
  r = sim.form("Save", "SAL_SaleOrder", {{"Model", upd}});
  after = sim.admin("GET", "_bills/SAL_SaleOrder/" + std::to_string(id));
  EXPECT_EQ(after["FSaleOrderEntry"].size(), 1u);
  EXPECT_EQ(after["FNetOrderBillNo"], "IGNORED");
  r = sim.form("Save", "SAL_SaleOrder", {{"Model", {{"FID", 999999}, {"FNote", "x"}}}});
  EXPECT_EQ(status(r)["MsgCode"], 10);
}

TEST(K3CloudSim, StatusFlowAndWrongStateErrors) {
  tk::TempDir dir;
  Sim sim(dir);
  sim.login();
  json r = sim.form("Save", "SAL_SaleOrder", {{"Model", orderModel("F-1")}});
  int64_t id = r["Result"]["Id"];
  json by_no{{"Numbers", {"XSDD000001"}}};
  auto docStatus = [&] {
    return sim.admin("GET", "_bills/SAL_SaleOrder/" + std::to_string(id))["FDocumentStatus"];
  };
  r = sim.form("Audit", "SAL_SaleOrder", by_no);
  EXPECT_EQ(status(r)["IsSuccess"], false);
  EXPECT_EQ(status(r)["MsgCode"], 12);
  EXPECT_EQ(status(r)["Errors"][0]["Message"], "销售订单“XSDD000001”的数据状态为“创建”，不允许审核。");
  EXPECT_EQ(status(sim.form("Submit", "SAL_SaleOrder", by_no))["IsSuccess"], true);
  EXPECT_EQ(docStatus(), "B");
  EXPECT_EQ(status(sim.form("Submit", "SAL_SaleOrder", by_no))["IsSuccess"], false);
  r = sim.form("Save", "SAL_SaleOrder", {{"Model", {{"FID", id}, {"FNote", "x"}}}});
  EXPECT_EQ(status(r)["MsgCode"], 12);
  r = sim.form("Audit", "SAL_SaleOrder", {{"Ids", std::to_string(id)}});
  EXPECT_EQ(status(r)["SuccessEntitys"][0]["Id"], id);
  EXPECT_EQ(docStatus(), "C");
  EXPECT_FALSE(sim.admin("GET", "_bills/SAL_SaleOrder/" + std::to_string(id))["FApproveDate"].is_null());
  EXPECT_EQ(status(sim.form("Delete", "SAL_SaleOrder", by_no))["Errors"][0]["Message"],
            "销售订单“XSDD000001”的数据状态为“已审核”，不允许删除。");
  EXPECT_EQ(status(sim.form("UnAudit", "SAL_SaleOrder", by_no))["IsSuccess"], true);
  EXPECT_EQ(docStatus(), "D");
  r = sim.form("Delete", "SAL_SaleOrder", {{"Numbers", {"XSDD000001", "XSDD000404"}}});
  EXPECT_EQ(status(r)["SuccessEntitys"].size(), 1u);
  EXPECT_EQ(status(r)["Errors"][0]["DIndex"], 1);
  EXPECT_EQ(status(r)["MsgCode"], 10);
  EXPECT_EQ(tk::http("GET", sim.port(), "/sim/k3cloud/_bills/SAL_SaleOrder/" + std::to_string(id)).status,
            404);
  // IsAutoSubmitAndAudit goes straight to C.
  r = sim.form("Save", "SAL_SaleOrder", {{"IsAutoSubmitAndAudit", true}, {"Model", orderModel("F-2")}});
  json doc = sim.admin("GET", "_bills/SAL_SaleOrder/" + std::to_string(r["Result"]["Id"].get<int64_t>()));
  EXPECT_EQ(doc["FDocumentStatus"], "C");
}

TEST(K3CloudSim, ViewByNumberAndId) {
  tk::TempDir dir;
  Sim sim(dir);
  sim.login();
  json r = sim.form("Save", "SAL_SaleOrder", {{"Model", orderModel("V-1")}});
  int64_t id = r["Result"]["Id"];
  json v = sim.form("View", "SAL_SaleOrder", {{"Number", "XSDD000001"}, {"Id", ""}});
  ASSERT_EQ(status(v)["IsSuccess"], true) << v.dump();
  json doc = v["Result"]["Result"];
  EXPECT_EQ(doc["Id"], id);
  EXPECT_EQ(doc["BillNo"], "XSDD000001");
  EXPECT_EQ(doc["DocumentStatus"], "A");
  EXPECT_EQ(doc["CustId"]["Number"], "C100001");
  EXPECT_EQ(doc["CustId"]["Name"][0]["Value"], "苏州华东精密机械有限公司");
  EXPECT_EQ(doc["SaleOrderEntry"].size(), 2u);
  EXPECT_EQ(doc["SaleOrderFinance"][0]["SettleCurrId"]["Number"], "PRE001");
  json by_id = sim.form("View", "SAL_SaleOrder", {{"Id", std::to_string(id)}});
  EXPECT_EQ(by_id["Result"]["Result"]["BillNo"], "XSDD000001");
  json cust = sim.form("View", "BD_Customer", {{"Number", "C100001"}});
  EXPECT_EQ(cust["Result"]["Result"]["Name"][0]["Key"], 2052);
  json missing = sim.form("View", "SAL_SaleOrder", {{"Number", "XSDD999999"}});
  EXPECT_EQ(status(missing)["IsSuccess"], false);
  EXPECT_EQ(status(missing)["MsgCode"], 10);
}

TEST(K3CloudSim, ExecuteBillQueryFiltersPagingAndErrors) {
  tk::TempDir dir;
  Sim sim(dir);
  sim.login();
  for (int i = 1; i <= 5; ++i)
    sim.form("Save", "SAL_SaleOrder", {{"Model", orderModel("Q-" + std::to_string(i),
                                                           i % 2 ? "C100001" : "C100002")}});
  auto rows = [&](const std::string& filter, const std::string& keys = "FBillNo",
                  json extra = json::object()) {
    json d{{"FormId", "SAL_SaleOrder"}, {"FieldKeys", keys}, {"FilterString", filter}};
    d.update(extra);
    return sim.query(d);
  };
  EXPECT_EQ(rows("FNetOrderBillNo='Q-3'"), json::parse(R"([["XSDD000003"]])"));
  EXPECT_EQ(rows("fnetorderbillno = 'q-3'"), json::parse(R"([["XSDD000003"]])"));
  EXPECT_EQ(rows("FBillNo IN ('XSDD000001','XSDD000004') AND FCustId.FNumber='C100002'"),
            json::parse(R"([["XSDD000004"]])"));
  EXPECT_EQ(rows("FNetOrderBillNo like '%-5' OR FNetOrderBillNo = 'Q-1'").size(), 2u);
  EXPECT_EQ(rows("NOT (FCustId.FNumber = 'C100001')").size(), 2u);
  EXPECT_EQ(rows("FModifyDate >= '2000-01-01 00:00:00' AND FModifyDate < '2999-01-01'").size(), 5u);
  EXPECT_EQ(rows("FModifyDate > '2999-01-01 08:00:00'").size(), 0u);
  EXPECT_EQ(rows("FDate <= '2026-11-26'").size(), 5u);
  EXPECT_EQ(rows("FDocumentStatus='A' AND FNote = N'包装需防潮'").size(), 5u);
  // Entry fields give one row per line, header values repeated.
  json lines = rows("FBillNo='XSDD000002'",
                    "FID,FSaleOrderEntry_FEntryID,FMaterialId.FNumber,FMaterialId.FName,FQty");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0][0], lines[1][0]);
  EXPECT_EQ(lines[1][2], "M002");
  EXPECT_EQ(lines[0][3], "数控车床主轴");
  // Paging, ordering and TopRowCount.
  json p1 = rows("", "FBillNo", {{"OrderString", "FBillNo DESC"}, {"StartRow", 0}, {"Limit", 2}});
  json p3 = rows("", "FBillNo", {{"OrderString", "FBillNo DESC"}, {"StartRow", 4}, {"Limit", 2}});
  EXPECT_EQ(p1, json::parse(R"([["XSDD000005"],["XSDD000004"]])"));
  EXPECT_EQ(p3, json::parse(R"([["XSDD000001"]])"));
  EXPECT_EQ(rows("", "FBillNo", {{"StartRow", 2}, {"Limit", 2}, {"TopRowCount", 2}}).size(), 0u);
  // BillQuery: rows as objects.
  json objs = sim.call(kForm + "BillQuery",
                       {{"data", {{"FormId", "SAL_SaleOrder"}, {"FieldKeys", "FBillNo,FCustId.FNumber"},
                                  {"FilterString", "FBillNo='XSDD000002'"}}}});
  EXPECT_EQ(objs, json::parse(R"([{"FBillNo":"XSDD000002","FCustId.FNumber":"C100002"}])"));
  // Errors come back inside the array.
  json bad = rows("FBillNo = 'x' AND (");
  ASSERT_TRUE(bad.is_array());
  EXPECT_EQ(bad[0][0]["Result"]["ResponseStatus"]["MsgCode"], 4);
  EXPECT_EQ(bad[0][0]["Result"]["ResponseStatus"]["IsSuccess"], false);
  EXPECT_EQ(rows("FBillNo == 'x'")[0][0]["Result"]["ResponseStatus"]["MsgCode"], 4);
  EXPECT_EQ(rows("FBillNo = 'unterminated")[0][0]["Result"]["ResponseStatus"]["MsgCode"], 4);
  json unknown = rows("", "FBillNo,FNoSuchField");
  EXPECT_EQ(unknown[0][0]["Result"]["ResponseStatus"]["MsgCode"], 9);
  EXPECT_EQ(unknown[0][0]["Result"]["ResponseStatus"]["Errors"][0]["Message"],
            "元数据中标识为FNoSuchField的字段不存在");
  EXPECT_EQ(rows("", "")[0][0]["Result"]["ResponseStatus"]["MsgCode"], 8);
  json no_form = sim.query({{"FormId", "STK_OutStock"}, {"FieldKeys", "FID"}});
  EXPECT_EQ(no_form[0][0]["Result"]["ResponseStatus"]["MsgCode"], 4);
}

TEST(K3CloudSim, BodyVariantsServiceNamesAndMethods) {
  tk::TempDir dir;
  Sim sim(dir);
  sim.login();
  // Positional with data as a JSON string, lower-case service name, no suffix.
  json model{{"Model", orderModel("P-1")}};
  json r = sim.call("kingdee.bos.webapi.servicesstub.dynamicformservice.save",
                    {{"parameters", {"SAL_SaleOrder", model.dump()}}});
  EXPECT_EQ(r["Result"]["Number"], "XSDD000001");
  // Named with data as a string; `K3Cloud` path casing; legacy parameters-as-string.
  json named{{"formid", "SAL_SaleOrder"}, {"data", json{{"Model", orderModel("P-2")}}.dump()}};
  auto k = tk::http("POST", sim.port(),
                    "/sim/k3cloud/K3Cloud/" + kForm + "Save.common.kdsvc", named.dump(),
                    {{"Cookie", "kdservice-sessionid=" + sim.login()["KDSVCSessionId"].get<std::string>()}});
  ASSERT_EQ(k.status, 200) << k.body;
  EXPECT_EQ(json::parse(k.body)["Result"]["Number"], "XSDD000002");
  json legacy{{"format", 1}, {"useragent", "ApiClient"}, {"rid", "1"}, {"v", "1.0"},
              {"parameters", json::array({json{{"FormId", "SAL_SaleOrder"}, {"FieldKeys", "FBillNo"},
                                               {"FilterString", "FNetOrderBillNo='P-2'"}}.dump()}).dump()}};
  EXPECT_EQ(sim.call(kForm + "ExecuteBillQuery", legacy), json::parse(R"([["XSDD000002"]])"));
  EXPECT_EQ(tk::http("GET", sim.port(), kBase + kForm + "Save.common.kdsvc").status, 405);
  EXPECT_EQ(sim.raw(kForm + "Explode.common.kdsvc", "{}").status, 404);
  json not_json = json::parse(sim.raw(kForm + "Save.common.kdsvc", "{nope").body);
  EXPECT_EQ(not_json["Result"]["ResponseStatus"]["MsgCode"], 4);
  json no_form = sim.form("Save", "STK_Nope", {{"Model", json::object()}});
  EXPECT_EQ(status(no_form)["MsgCode"], 4);
  auto calls = sim.admin("GET", "_stats")["calls"];
  EXPECT_EQ(calls["Save"], 4);
  EXPECT_EQ(calls["ExecuteBillQuery"], 1);
}

TEST(K3CloudSim, TimeoutAfterCommitStillCommits) {
  tk::TempDir dir;
  Sim sim(dir);
  sim.login();
  sim.admin("POST", "_faults",
            R"({"mode":"timeout_after_commit","delay_ms":1500,"count":1,"services":["Save"]})");
  auto t0 = std::chrono::steady_clock::now();
  auto lost = sim.raw(kForm + "Save.common.kdsvc",
                      json{{"formid", "SAL_SaleOrder"}, {"data", {{"Model", orderModel("T-1")}}}}.dump(),
                      {}, 300);
  EXPECT_EQ(lost.status, 0);  // the client gave up
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1400));
  json found = sim.query({{"FormId", "SAL_SaleOrder"}, {"FieldKeys", "FBillNo"},
                          {"FilterString", "FNetOrderBillNo='T-1'"}});
  EXPECT_EQ(found, json::parse(R"([["XSDD000001"]])"));
  EXPECT_EQ(sim.admin("GET", "_stats")["faults_injected"], 1);
}

TEST(K3CloudSim, QuirksAndFaultsOnDemand) {
  tk::TempDir dir;
  Sim sim(dir);
  sim.login();
  sim.admin("POST", "_config", R"({"is_success_as_string":true,"unicode_escape":true})");
  auto r = sim.raw(kForm + "Save.common.kdsvc",
                   json{{"formid", "SAL_SaleOrder"}, {"data", {{"Model", orderModel("Z", "C9")}}}}.dump());
  EXPECT_NE(r.body.find("\"IsSuccess\":\"false\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\\u5ba2\\u6237"), std::string::npos) << r.body;  // 客户
  EXPECT_EQ(r.body.find("客户"), std::string::npos);
  EXPECT_EQ(status(json::parse(r.body))["Errors"][0]["Message"],
            "字段“客户”的值“C9”在系统中不存在。");
  sim.admin("POST", "_config", R"({"is_success_as_string":false,"unicode_escape":false,"html_502_count":1})");
  auto html = sim.raw(kForm + "View.common.kdsvc", "{}");
  EXPECT_EQ(html.status, 502);
  EXPECT_NE(html.headers["content-type"].find("text/html"), std::string::npos);
  EXPECT_EQ(html.body.rfind("<html>", 0), 0u);
  EXPECT_EQ(sim.raw(kForm + "View.common.kdsvc", "{}").status, 200);
  // A status fault limited to Save leaves queries alone.
  sim.admin("POST", "_faults", R"({"mode":"status","status":503,"count":1,"services":["save"]})");
  EXPECT_EQ(sim.query({{"FormId", "BD_Customer"}, {"FieldKeys", "FNumber"}}).size(), 3u);
  EXPECT_EQ(sim.raw(kForm + "Save.common.kdsvc", "{}").status, 503);
  // A business fault: MsgCode 14 (调用限制) instead of performing the next Save only.
  sim.admin("POST", "_faults", R"({"mode":"msgcode","msg_code":14,"count":1,"services":["Save"]})");
  json limited = sim.form("Save", "SAL_SaleOrder", {{"Model", orderModel("L-1")}});
  EXPECT_EQ(status(limited)["MsgCode"], 14);
  EXPECT_EQ(status(limited)["IsSuccess"], false);
  EXPECT_EQ(status(sim.form("Save", "SAL_SaleOrder", {{"Model", orderModel("L-1")}}))["IsSuccess"], true);
  // View's Result.Result as JSON text, as some clients saw it.
  sim.admin("POST", "_config", R"({"view_result_as_string":true})");
  json view = sim.form("View", "SAL_SaleOrder", {{"Number", "XSDD000001"}});
  ASSERT_TRUE(view["Result"]["Result"].is_string()) << view.dump();
  EXPECT_EQ(json::parse(view["Result"]["Result"].get<std::string>())["BillNo"], "XSDD000001");
  sim.admin("POST", "_config", R"({"latency_ms":150})");
  auto t0 = std::chrono::steady_clock::now();
  sim.query({{"FormId", "BD_Customer"}, {"FieldKeys", "FNumber"}});
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150));
  EXPECT_EQ(sim.admin("GET", "_config")["latency_ms"], 150);
  EXPECT_EQ(tk::http("POST", sim.port(), "/sim/k3cloud/_config", R"({"latency":1})").status, 400);
  EXPECT_EQ(tk::http("POST", sim.port(), "/sim/k3cloud/_faults", R"({"mode":"explode"})").status, 400);
}

TEST(K3CloudSim, AdminBaseDataReceiptsAndReset) {
  tk::TempDir dir;
  Sim sim(dir);
  sim.login();
  json added = sim.admin("POST", "_basedata/BD_MATERIAL",
                         R"([{"FNumber":"MAT-9","FName":"测试物料"}])");
  EXPECT_EQ(added["added"], 1);
  json m = orderModel("A-1");
  m["FSaleOrderEntry"][0]["FMaterialId"] = {{"FNumber", "MAT-9"}};
  EXPECT_EQ(status(sim.form("Save", "SAL_SaleOrder", {{"Model", m}}))["IsSuccess"], true);
  json receipts = json::parse(R"([{"FDATE":"2026-11-27","FCONTACTUNIT":{"FNumber":"C100001"},
     "FCURRENCYID":{"FNumber":"PRE001"},"FREALRECAMOUNTFOR":226,"FREMARK":"11月货款",
     "FRECEIVEBILLENTRY":[{"FPURPOSEID":{"FNumber":"SFKYT01_SYS"},"FREALRECAMOUNTFOR_D":226,
       "FSALEORDERNO":"XSDD000001","FPOSTDATE":"2026-11-27 10:00:00"}]}])");
  json rec = sim.admin("POST", "_receipts", receipts.dump());
  EXPECT_EQ(rec["numbers"][0], "SKD00000001");
  json rows = sim.query({{"FormId", "AR_RECEIVEBILL"},
                         {"FieldKeys", "FBillNo,FCONTACTUNIT.FNumber,FRECEIVEBILLENTRY_FEntryID,"
                                       "FSALEORDERNO,FREALRECAMOUNTFOR,FPOSTDATE,FDOCUMENTSTATUS,"
                                       "FWRITTENOFFSTATUS"},
                         {"FilterString", "FWRITTENOFFSTATUS <> 'C' AND FDATE >= '2026-11-01'"}});
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0][1], "C100001");
  EXPECT_TRUE(rows[0][2].is_number_integer());
  EXPECT_EQ(rows[0][3], "XSDD000001");
  EXPECT_EQ(rows[0][5], "2026-11-27T10:00:00");
  EXPECT_EQ(rows[0][6], "C");
  EXPECT_EQ(tk::http("POST", sim.port(), "/sim/k3cloud/_basedata/BD_MATERIAL", R"([{"FName":"x"}])").status,
            400);
  EXPECT_EQ(tk::http("GET", sim.port(), "/sim/k3cloud/_bills/NOPE").status, 404);
  sim.admin("POST", "_reset");
  auto s = sim.admin("GET", "_stats");
  EXPECT_EQ(s["bills"]["SAL_SaleOrder"], 0);
  EXPECT_EQ(s["bills"]["AR_RECEIVEBILL"], 0);
  EXPECT_EQ(s["bills"]["BD_MATERIAL"], 5);
}

TEST(K3CloudSim, SeededCustomersOverlapWithTheCrmSimulator) {
  tk::TempDir dir;
  Sim sim(dir);
  sim.login();
  json k3 = sim.admin("POST", "_customers/seed", R"({"count":6,"seed":7,"overlap_with_crm":0.5})");
  EXPECT_EQ(k3["created"], 6);
  EXPECT_EQ(k3["shared_with_crm"], 3);
  auto crm = tk::http("POST", sim.port(), "/sim/crm/_customers/seed",
                      R"({"count":4,"seed":7,"overlap_with_k3":0.5,"name_variants":0})");
  ASSERT_EQ(crm.status, 200) << crm.body;
  json crm_all = json::parse(tk::http("GET", sim.port(), "/sim/crm/_customers").body);
  if (crm_all.is_object() && crm_all.contains("items")) crm_all = crm_all["items"];
  ASSERT_EQ(crm_all.size(), 4u) << crm_all.dump();
  json rows = sim.query({{"FormId", "BD_Customer"},
                         {"FieldKeys", "FNumber,FName,FTAXREGISTERCODE,FSELLER.FNumber"},
                         {"FilterString", "FNumber LIKE 'CUST%'"},
                         {"OrderString", "FNumber"}});
  ASSERT_EQ(rows.size(), 6u) << rows.dump();
  EXPECT_EQ(rows[0][0], "CUST000001");
  std::set<std::string> k3_codes;
  for (const auto& r : rows) k3_codes.insert(r[2].get<std::string>());
  int common = 0;
  for (const auto& c : crm_all) common += k3_codes.count(c.value("taxRegisterCode", "")) ? 1 : 0;
  EXPECT_EQ(common, 2);  // the CRM's shared range is its first round(4·0.5) customers
  EXPECT_EQ(crm_all[0]["name"], rows[0][1]);
  // The salesmen the customers reference exist, so verified saves can use them.
  std::string saler = rows[0][3].get<std::string>();
  EXPECT_EQ(sim.query({{"FormId", "BD_Saler"}, {"FieldKeys", "FNumber"},
                       {"FilterString", "FNumber = '" + saler + "'"}}),
            json::array({json::array({saler})}));
  EXPECT_EQ(tk::http("POST", sim.port(), "/sim/k3cloud/_customers/seed", R"({"count":0})").status, 400);
}

TEST(K3CloudSim, StateFileKeepsBillsAcrossRestart) {
  tk::TempDir dir;
  std::string state = dir.file("k3-state.json");
  {
    Sim sim(dir, {"--state-file", state});
    sim.login();
    EXPECT_EQ(sim.form("Save", "SAL_SaleOrder", {{"Model", orderModel("R-1")}})["Result"]["Number"],
              "XSDD000001");
    sim.child().kill(SIGTERM);
    EXPECT_EQ(sim.child().wait(10000), 0) << tk::readFile(sim.output());
  }
  Sim again(dir, {"--state-file", state});
  again.login();
  json found = again.query({{"FormId", "SAL_SaleOrder"}, {"FieldKeys", "FBillNo"},
                            {"FilterString", "FNetOrderBillNo='R-1'"}});
  EXPECT_EQ(found, json::parse(R"([["XSDD000001"]])"));
  EXPECT_EQ(again.form("Save", "SAL_SaleOrder", {{"Model", orderModel("R-2")}})["Result"]["Number"],
            "XSDD000002");
}

TEST(K3CloudSim, ManyConcurrentSavesGetUniqueNumbers) {
  tk::TempDir dir;
  Sim sim(dir);
  std::string sid = sim.login()["KDSVCSessionId"];
  sim.admin("POST", "_config", R"({"latency_ms":20})");
  constexpr int kThreads = 16, kEach = 10;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> numbers;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        json body{{"formid", "SAL_SaleOrder"},
                  {"data", {{"Model", orderModel("C-" + std::to_string(t) + "-" + std::to_string(i))}}}};
        auto r = tk::http("POST", sim.port(), kBase + kForm + "Save.common.kdsvc", body.dump(),
                          {{"Cookie", "kdservice-sessionid=" + sid}});
        json j = json::parse(r.body, nullptr, false);
        if (r.status != 200 || j.is_discarded() || !j["Result"].contains("Number")) {
          ++failures;
          continue;
        }
        std::lock_guard lock(mu);
        numbers.insert(j["Result"]["Number"].get<std::string>());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(numbers.size(), static_cast<size_t>(kThreads * kEach));
  auto s = sim.admin("GET", "_stats");
  EXPECT_EQ(s["bills"]["SAL_SaleOrder"], kThreads * kEach);
  EXPECT_GE(s["max_concurrent"].get<int>(), 4);
}

}  // namespace
