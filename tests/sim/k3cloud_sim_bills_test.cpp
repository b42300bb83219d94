// The k3cloud simulator in qiao-sim, over plain HTTP: Save validation, updates, the status
// flow (Submit, Audit, UnAudit, Delete) and View.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <regex>
#include <string>
#include <thread>

#include "k3cloud_sim_client.h"

namespace k3sim_test {
namespace {

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

}  // namespace
}  // namespace k3sim_test
