// The K/3 simulator's side of incremental pulls, over plain HTTP: FCreateDate/FModifyDate stamped
// by Save, Submit, Audit and Forbid (with the admin _clock fixing the instant), BD_Customer
// Forbid/Enable through ExcuteOperation, and ExecuteBillQuery filtering and ordering on
// FModifyDate over receipts that include red (negative) and advance-receipt (预收款) bills.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qiao/testkit/testkit.h"

namespace {

using nlohmann::json;
namespace tk = qiao::testkit;

const std::string kForm = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.";

class K3PullSim : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new tk::TempDir();
    std::unique_ptr<tk::Child> child;
    std::string ready;
    port_ = tk::startQiaoSim(&child, dir_->file("sim.out"), {}, &ready);
    ASSERT_GT(port_, 0) << ready;
    sim_ = child.release();
  }
  static void TearDownTestSuite() {
    delete sim_;
    delete dir_;
    sim_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_GT(port_, 0);
    ASSERT_EQ(tk::http("POST", port_, "/sim/k3cloud/_reset", "{}").status, 200);
    auto r = tk::http("POST", port_, "/sim/k3cloud/k3cloud/Kingdee.BOS.WebApi.ServicesStub.AuthService.ValidateUser.common.kdsvc",
                      R"({"acctid":"sim-acct-001","username":"administrator","password":"888888","lcid":2052})");
    ASSERT_EQ(r.status, 200) << r.body;
    session_ = json::parse(r.body).value("KDSVCSessionId", "");
    ASSERT_FALSE(session_.empty()) << r.body;
  }

  json call(const std::string& method, const json& body) {
    auto r = tk::http("POST", port_, "/sim/k3cloud/k3cloud/" + kForm + method + ".common.kdsvc",
                      body.dump(),
                      {{"Cookie", "kdservice-sessionid=" + session_}, {"kdservice-sessionid", session_}});
    EXPECT_EQ(r.status, 200) << method << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json form(const std::string& op, const std::string& form_id, const json& data) {
    return call(op, {{"formid", form_id}, {"data", data}});
  }
  json query(const json& data) { return call("ExecuteBillQuery", {{"data", data}}); }
  static json admin(const std::string& method, const std::string& path, const json& body = nullptr,
                    int want = 200) {
    auto r = tk::http(method, port_, "/sim/k3cloud/" + path, body.is_null() ? "" : body.dump());
    EXPECT_EQ(r.status, want) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  static void clock(const std::string& now) { admin("POST", "_clock", {{"now", now}}); }
  static json bill(const std::string& form_id, int64_t id) {
    return admin("GET", "_bills/" + form_id + "/" + std::to_string(id));
  }
  static bool ok(const json& reply) {
    return reply["Result"]["ResponseStatus"]["IsSuccess"].get<bool>();
  }

  static inline tk::TempDir* dir_ = nullptr;
  static inline tk::Child* sim_ = nullptr;
  static inline int port_ = 0;
  std::string session_;
};

json receiptModel() {
  return {{"FBillTypeID", {{"FNumber", "SKDLX01_SYS"}}},
          {"FDATE", "2026-11-26"},
          {"FCONTACTUNIT", {{"FNumber", "C100001"}}},
          {"FCURRENCYID", {{"FNumber", "PRE001"}}},
          {"FPAYORGID", {{"FNumber", "100"}}},
          {"FREALRECAMOUNTFOR", 2610.3},
          {"FRECEIVEBILLENTRY",
           json::array({{{"FPURPOSEID", {{"FNumber", "SFKYT01_SYS"}}},
                         {"FREALRECAMOUNTFOR_D", 2610.3},
                         {"FPOSTDATE", "2026-11-27"}}})}};
}

TEST_F(K3PullSim, SaveSubmitAuditStampTheModifyDateAndKeepTheCreateDate) {
  clock("2026-11-27 10:00:00.100");
  json saved = form("Save", "AR_RECEIVEBILL", {{"Model", receiptModel()}});
  ASSERT_TRUE(ok(saved)) << saved.dump();
  int64_t id = saved["Result"]["Id"].get<int64_t>();
  json b = bill("AR_RECEIVEBILL", id);
  EXPECT_EQ(b["FCreateDate"], "2026-11-27T10:00:00.100");
  EXPECT_EQ(b["FModifyDate"], "2026-11-27T10:00:00.100");

  clock("2026-11-27 10:00:05");
  ASSERT_TRUE(ok(form("Submit", "AR_RECEIVEBILL", {{"Ids", std::to_string(id)}})));
  b = bill("AR_RECEIVEBILL", id);
  EXPECT_EQ(b["FModifyDate"], "2026-11-27T10:00:05.000");
  EXPECT_EQ(b["FCreateDate"], "2026-11-27T10:00:00.100");

  clock("2026-11-27 10:01:00.5");
  ASSERT_TRUE(ok(form("Audit", "AR_RECEIVEBILL", {{"Ids", std::to_string(id)}})));
  b = bill("AR_RECEIVEBILL", id);
  EXPECT_EQ(b["FDOCUMENTSTATUS"], "C");
  EXPECT_EQ(b["FModifyDate"], "2026-11-27T10:01:00.500");
  EXPECT_EQ(b["FApproveDate"], "2026-11-27T10:01:00.500");
  EXPECT_EQ(b["FCreateDate"], "2026-11-27T10:00:00.100");

  // Released: stamps follow the real clock again (today, not the fixed instant).
  json released = admin("POST", "_clock", {{"now", nullptr}});
  EXPECT_FALSE(released["fixed"].get<bool>());
  ASSERT_TRUE(ok(form("UnAudit", "AR_RECEIVEBILL", {{"Ids", std::to_string(id)}})));
  EXPECT_NE(bill("AR_RECEIVEBILL", id)["FModifyDate"], "2026-11-27T10:01:00.500");
  // A bad clock is refused.
  admin("POST", "_clock", {{"now", "tomorrow"}}, 400);
  admin("POST", "_clock", {{"when", "2026-11-27"}}, 400);
}

TEST_F(K3PullSim, CustomersAreForbiddenAndEnabledThroughExcuteOperation) {
  // A fixed instant no real-clock stamp of the seed or of other calls can reach (a time of
  // today would collide with them after 11:00 Asia/Shanghai).
  clock("2099-01-01 11:00:00");
  json data = {{"Numbers", {"C100001"}}, {"Ids", ""}};
  json forbid = call("ExcuteOperation", {{"formid", "BD_Customer"}, {"opNumber", "Forbid"}, {"data", data}});
  ASSERT_TRUE(ok(forbid)) << forbid.dump();
  json rows = query({{"FormId", "BD_Customer"},
                     {"FieldKeys", "FCUSTID,FNumber,FForbidStatus,FModifyDate,FDocumentStatus"},
                     {"FilterString", "FForbidStatus = 'B' AND FModifyDate >= '2099-01-01 11:00:00'"},
                     {"OrderString", "FNumber ASC"}});
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0][1], "C100001");
  EXPECT_EQ(rows[0][2], "B");
  EXPECT_EQ(rows[0][3], "2099-01-01T11:00:00.000");
  EXPECT_EQ(rows[0][4], "C");  // the document status is untouched

  // Forbidding again is refused with K/3's kind of message; a bill cannot be forbidden.
  json again = call("ExcuteOperation", {{"formid", "BD_Customer"}, {"opNumber", "Forbid"}, {"data", data}});
  EXPECT_FALSE(ok(again));
  EXPECT_EQ(again["Result"]["ResponseStatus"]["MsgCode"], 12);
  EXPECT_NE(again.dump(-1, ' ', false).find("已经是禁用状态"), std::string::npos) << again.dump();
  json unknown = call("ExcuteOperation", {{"formid", "BD_Customer"}, {"opNumber", "Cancel"}, {"data", data}});
  EXPECT_FALSE(ok(unknown));

  // Positional body, as the Java SDK sends it.
  clock("2099-01-01 11:30:00");
  json enable = call("ExcuteOperation", {{"parameters", {"BD_Customer", "Enable", data.dump()}}});
  ASSERT_TRUE(ok(enable)) << enable.dump();
  rows = query({{"FormId", "BD_Customer"}, {"FieldKeys", "FNumber,FForbidStatus,FModifyDate"},
                {"FilterString", "FNumber = 'C100001'"}});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][1], "A");
  EXPECT_EQ(rows[0][2], "2099-01-01T11:30:00.000");
}

TEST_F(K3PullSim, ReceiptsFilterAndOrderOnModifyDateIncludingRedAndAdvanceBills) {
  auto doc = [](const std::string& no, const std::string& mtime, double amount, const std::string& purpose) {
    json d = receiptModel();
    d["FBillNo"] = no;
    d["FModifyDate"] = mtime;
    d["FREALRECAMOUNTFOR"] = amount;
    d["FRECEIVEBILLENTRY"][0]["FREALRECAMOUNTFOR_D"] = amount;
    d["FRECEIVEBILLENTRY"][0]["FPURPOSEID"] = {{"FNumber", purpose}};
    return d;
  };
  // Inserted out of order; two share one modify time (ordered by FID then).
  json added = admin("POST", "_receipts",
                     json::array({doc("R4", "2026-11-20 10:00:04", 400, "SFKYT01_SYS"),
                                  doc("R2", "2026-11-20T10:00:02.000", -1200.5, "SFKYT01_SYS"),
                                  doc("R3", "2026-11-20 10:00:02", 30000, "SFKYT02_SYS"),
                                  doc("R1", "2026-11-20 10:00:01.999", 100, "SFKYT01_SYS")}));
  ASSERT_EQ(added["added"], 4);
  json q = {{"FormId", "AR_RECEIVEBILL"},
            {"FieldKeys", "FBillNo,FModifyDate"},
            {"FilterString", "FModifyDate >= '2026-11-20 10:00:02' AND FDOCUMENTSTATUS = 'C'"},
            {"OrderString", "FModifyDate ASC, FID ASC"},
            {"StartRow", 0},
            {"Limit", 2}};
  json page1 = query(q);
  q["StartRow"] = 2;
  json page2 = query(q);
  ASSERT_EQ(page1.size(), 2u) << page1.dump();
  ASSERT_EQ(page2.size(), 1u) << page2.dump();
  // R2 was added before R3: lower FID first within the same instant.
  EXPECT_EQ(page1[0][0], "R2");
  EXPECT_EQ(page1[1][0], "R3");
  EXPECT_EQ(page2[0][0], "R4");
  EXPECT_EQ(page1[0][1], "2026-11-20T10:00:02.000");
  // Millisecond bounds: .999 is before 10:00:02, after 10:00:01.5.
  json ms = query({{"FormId", "AR_RECEIVEBILL"}, {"FieldKeys", "FBillNo"},
                   {"FilterString", "FModifyDate >= '2026-11-20T10:00:01.5' AND FModifyDate < '2026-11-20 10:00:02'"}});
  EXPECT_EQ(ms, json::array({json::array({"R1"})}));
  // The red receipt and the advance receipt are there to be found.
  json red = query({{"FormId", "AR_RECEIVEBILL"}, {"FieldKeys", "FBillNo,FREALRECAMOUNTFOR"},
                    {"FilterString", "FREALRECAMOUNTFOR < 0"}});
  ASSERT_EQ(red.size(), 1u);
  EXPECT_EQ(red[0][0], "R2");
  EXPECT_DOUBLE_EQ(red[0][1].get<double>(), -1200.5);
  json adv = query({{"FormId", "AR_RECEIVEBILL"}, {"FieldKeys", "FBillNo,FPURPOSEID.FNumber"},
                    {"FilterString", "FPURPOSEID.FNumber = 'SFKYT02_SYS'"}});
  ASSERT_EQ(adv.size(), 1u);
  EXPECT_EQ(adv[0][0], "R3");
  // View gives the whole bill, the purpose as a base-data reference.
  json view = form("View", "AR_RECEIVEBILL", {{"Number", "R3"}});
  ASSERT_TRUE(ok(view)) << view.dump();
  EXPECT_EQ(view["Result"]["Result"]["RECEIVEBILLENTRY"][0]["PURPOSEID"]["Number"], "SFKYT02_SYS");
  EXPECT_EQ(view["Result"]["Result"]["ModifyDate"], "2026-11-20T10:00:02");
}

}  // namespace
