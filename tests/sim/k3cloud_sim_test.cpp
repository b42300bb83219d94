// The k3cloud simulator in qiao-sim, over plain HTTP: ExecuteBillQuery filters and paging,
// body variants, faults and quirks, the admin routes, seeding, the state file and concurrency.
// Logins live in k3cloud_sim_auth_test.cpp, Save and the status flow in k3cloud_sim_bills_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "k3cloud_sim_client.h"

namespace k3sim_test {
namespace {

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
}  // namespace k3sim_test
