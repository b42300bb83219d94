// Payment reconciliation inside the gateway, through the real binary: orders and payments
// reach the built-in `reconciliation` sink through routes, matched payments change the order
// state that goes to the CRM (here the receiver), finance reads and corrects through the API
// (role finance only, audited), the state survives kill -9, and `qiao recon report` writes the
// workbook.
#include <signal.h>

#include <filesystem>

#include "gateway_fixture.h"
#include "qiao/excel/sheet.h"

namespace qiao::e2e {
namespace {

namespace fs = std::filesystem;

class ReconFlowTest : public GatewayFixture {
 protected:
  void SetUp() override {
    GatewayFixture::SetUp();
    configure(false);
  }

  // with_k3: K/3 receipts (AR_RECEIVEBILL) pulled every second from qiao-sim's K/3 into the
  // reconciliation through the standard receipt mapping.
  void configure(bool with_k3) {
    GatewayOptions o;
    o.mappings_dir = testkit::sourcePath("mappings/standard");
    if (with_k3) {
      testkit::writeFile(dir_->file("secrets/k3_app_secret"), "sim-app-secret\n");
      o.extra_connectors_yaml =
          "  k3_receipts:\n"
          "    type: k3cloud\n"
          "    base_url: http://127.0.0.1:" + std::to_string(sim_port_) + "/sim/k3cloud/k3cloud/\n"
          "    acct_id: sim-acct-001\n"
          "    auth: sign\n"
          "    username: administrator\n"
          "    app_id: sim_app_id\n"
          "    app_secret: ${file:" + dir_->file("secrets/k3_app_secret") + "}\n"
          "    pull: {form_id: AR_RECEIVEBILL, entity: payment, overlap: 5m}\n";
    }
    o.extra_yaml = std::string(with_k3 ?
        "  k3_receipts:\n"
        "    source: k3_receipts\n"
        "    sink: reconciliation\n"
        "    entity: payment\n"
        "    business_key: /paymentId\n"
        "    mapping: k3_receivebill_to_crm_payment\n"
        "    mapping_direction: forward\n" : "") +
        "  recon_orders:\n"
        "    sink: reconciliation\n"
        "    entity: order\n"
        "    business_key: /orderId\n"
        "  recon_payments:\n"
        "    sink: reconciliation\n"
        "    entity: payment\n"
        "    business_key: /paymentId\n"
        "  payment_status:\n"
        "    sink: erp\n"
        "    business_key: /orderId\n"
        "  recon_bank:\n"
        "    sink: reconciliation\n"
        "    entity: payment\n"
        "    business_key: /paymentId\n"
        "reconciliation:\n"
        "  status_route: payment_status\n"
        "  tolerance: {absolute: \"20\"}\n"
        "jobs:\n"
        "  import_bank:\n"
        "    type: import\n"
        "    folder: " + dir_->file("bank") + "\n"
        "    mapping: excel_bank_statement\n"
        "    route: recon_bank\n"
        "    min_file_age: 0\n"
        "  month_report:\n"
        "    type: recon_report\n"
        "    folder: " + dir_->file("reports") + "\n" +
        (with_k3 ? "schedules:\n  pull_receipts: {cron: \"* * * * * *\", route: k3_receipts}\n" : "");
    writeConfig(o);
  }

  static std::string order(const std::string& id, const std::string& customer,
                           const std::string& amount, const std::string& date) {
    return json{{"orderId", id}, {"customerCode", customer}, {"customerName", customer + " 公司"},
                {"currency", "CNY"}, {"totalAmount", amount}, {"orderDate", date}}.dump();
  }

  // The order states the status route delivered, newest per order.
  std::map<std::string, json> pushedStates() {
    std::map<std::string, json> out;
    auto r = sim("GET", "/sim/receiver/erp/_records?limit=1000");
    json all = json::parse(r.body);
    for (const auto& rec : all["records"])
      if (rec.contains("json") && rec["json"].contains("paymentStatus"))
        out[rec["json"]["orderId"]] = rec["json"];
    return out;
  }

  std::string financeKey() {
    std::string out, file = dir_->file("finance.key");
    int rc = testkit::runCommand("(" + testkit::binPath("qiao") + " keys create --role finance --name fin.zhao --config " +
                                     config_dir_ + " > " + file + ")",
                                 &out);
    EXPECT_EQ(rc, 0) << out;
    out = testkit::readFile(file);
    // stdout is the key alone ("qiao_...").
    std::string key = out.substr(0, out.find('\n'));
    EXPECT_EQ(key.rfind("qiao_", 0), 0u) << out;
    return key;
  }
};

TEST_F(ReconFlowTest, PaymentsMatchPushStatesAndFinanceCorrectsByHand) {
  startGateway();
  for (const auto& o : {order("SO-101", "C1", "1000.00", "2026-11-01"),
                        order("SO-102", "C1", "500.00", "2026-11-03"),
                        order("SO-201", "C2", "800.00", "2026-11-05")})
    ASSERT_EQ(api("POST", "/api/v1/routes/recon_orders/messages", o).status, 202);
  // Exact match by the order number in the remark; a fee deducted (780 of 800); an unknown payer.
  const std::string payments[] = {
      R"({"paymentId":"B1","source":"bank","date":"2026-11-20","amount":"1000.00","currency":"CNY","payerName":"C1 公司","remark":"货款 SO-101"})",
      R"({"paymentId":"B2","source":"bank","date":"2026-11-21","amount":"785.00","currency":"CNY","customerCode":"C2","remark":"付款"})",
      R"({"paymentId":"B3","source":"bank","date":"2026-11-22","amount":"300.00","currency":"CNY","payerName":"不认识的公司","remark":"?"})"};
  for (const auto& p : payments)
    ASSERT_EQ(api("POST", "/api/v1/routes/recon_payments/messages", p).status, 202);

  ASSERT_TRUE(testkit::waitFor([&] {
    auto s = pushedStates();
    return s.count("SO-101") && s.count("SO-201");
  }, 15000)) << gatewayLog();
  auto states = pushedStates();
  EXPECT_EQ(states["SO-101"]["paymentStatus"], "paid") << states["SO-101"].dump();
  EXPECT_EQ(states["SO-101"]["outstandingAmount"], "0.00") << states["SO-101"].dump();
  EXPECT_EQ(states["SO-201"]["paymentStatus"], "paid") << states["SO-201"].dump();  // fee written off
  EXPECT_FALSE(states.count("SO-102"));
  // The CRM's payment write-back shape (docs/crm-model.md): updatedAt with an offset.
  std::string at = states["SO-101"].value("updatedAt", "");
  ASSERT_GE(at.size(), 25u) << states["SO-101"].dump();
  EXPECT_EQ(at[10], 'T') << at;
  EXPECT_EQ(at.substr(at.size() - 6), "+08:00") << at;

  // Finance only: an operator (the admin key is admin; a finance key works; ingest is refused).
  std::string fin = financeKey();
  ASSERT_FALSE(fin.empty());
  auto r = api("GET", "/api/v1/reconciliation/payments?status=unmatched", "", fin);
  ASSERT_EQ(r.status, 200) << r.body;
  json unmatched = json::parse(r.body);
  ASSERT_EQ(unmatched["total"], 1) << r.body;
  EXPECT_EQ(unmatched["items"][0]["paymentId"], "B3") << r.body;
  EXPECT_EQ(api("GET", "/api/v1/reconciliation/orders?status=bogus", "", fin).status, 400);
  EXPECT_EQ(api("GET", "/api/v1/reconciliation/summary?month=2026-13", "", fin).status, 400);
  EXPECT_EQ(api("GET", "/api/v1/messages", "", fin).status, 403) << "finance sees only its endpoints";

  // The unknown payer was SO-102's customer after all: finance matches by hand.
  r = api("POST", "/api/v1/reconciliation/matches",
          R"({"action":"match","paymentId":"B3","orderId":"SO-102","amount":"300.00","reason":"客户来电确认"})", fin);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(testkit::waitFor([&] { return pushedStates().count("SO-102") > 0; }, 15000)) << gatewayLog();
  EXPECT_EQ(pushedStates()["SO-102"]["paymentStatus"], "partial");
  EXPECT_EQ(pushedStates()["SO-102"]["outstandingAmount"], "200.00");
  EXPECT_EQ(api("POST", "/api/v1/reconciliation/matches",
                R"({"action":"match","paymentId":"B3","orderId":"SO-102","amount":"1.00"})", fin).status,
            400)
      << "a manual match needs a reason";
  std::string audit;
  testkit::runCommand("sqlite3 " + dir_->file("data") + "/qiao.db \"SELECT actor, action, detail FROM audit_log\"", &audit);
  EXPECT_NE(audit.find("recon.match"), std::string::npos) << audit;
  EXPECT_NE(audit.find("客户来电确认"), std::string::npos) << audit;

  r = api("GET", "/api/v1/reconciliation/summary?month=2026-11", "", fin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"currency\":\"CNY\""), std::string::npos) << r.body;

  // kill -9: what was matched is still there, nothing is matched twice.
  stopGateway(SIGKILL);
  startGateway();
  r = api("GET", "/api/v1/reconciliation/orders?status=paid", "", fin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["total"], 2) << r.body;
  r = api("GET", "/api/v1/reconciliation/orders?status=partial", "", fin);
  EXPECT_EQ(json::parse(r.body)["total"], 1) << r.body;
  // The same bank row again is counted once.
  ASSERT_EQ(api("POST", "/api/v1/routes/recon_payments/messages", payments[0]).status, 202);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  r = api("GET", "/api/v1/reconciliation/payments", "", fin);
  EXPECT_EQ(json::parse(r.body)["total"], 3) << r.body;

  // The month's report, on demand through the job and through the CLI.
  r = api("POST", "/api/v1/jobs/month_report/run");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string job_path = json::parse(r.body)["report"]["path"];
  EXPECT_TRUE(fs::exists(job_path)) << job_path;
  std::string out;
  std::string report = dir_->file("r.xlsx");
  int rc = testkit::runCommand(testkit::binPath("qiao") + " recon report --month 2026-11 --out " + report +
                                   " --config " + config_dir_,
                               &out);
  ASSERT_EQ(rc, 0) << out;
  auto sheets = excel::listSheets(report);
  ASSERT_TRUE(sheets.ok()) << sheets.error().message;
  EXPECT_GE(sheets->size(), 6u);
}

TEST_F(ReconFlowTest, BankStatementImportedThroughTheExcelAssistantIsReconciled) {
  startGateway();
  ASSERT_EQ(api("POST", "/api/v1/routes/recon_orders/messages", order("SO-401", "C4", "12147.50", "2026-11-01")).status, 202);
  ASSERT_EQ(api("POST", "/api/v1/routes/recon_orders/messages", order("SO-402", "C4", "800.00", "2026-11-02")).status, 202);
  // A 银行流水 sheet as a bank exports it: thousands separators, 人民币, the order in the 摘要,
  // and a row without a 流水号 (named by its content).
  auto r = api("POST", "/api/v1/jobs/import_bank/files?name=bank.csv",
               "流水号,交易日期,对方户名,对方账号,收入金额,币种,摘要\n"
               "HX001,2026/11/27,C4 公司,6222021200001234,\"12,147.50\",人民币,货款 SO-401\n"
               ",2026/11/28,C4 公司,6222021200001234,400.00,人民币,部分货款\n");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["report"]["files"][0]["accepted"], 2) << r.body;
  ASSERT_TRUE(testkit::waitFor([&] {
    auto s = pushedStates();
    return s.count("SO-401") && s.count("SO-402");
  }, 15000)) << gatewayLog();
  EXPECT_EQ(pushedStates()["SO-401"]["paymentStatus"], "paid");
  EXPECT_EQ(pushedStates()["SO-402"]["paymentStatus"], "partial");
  EXPECT_EQ(pushedStates()["SO-402"]["outstandingAmount"], "400.00");
  // The same statement again: nothing counted twice.
  r = api("POST", "/api/v1/jobs/import_bank/files?name=bank-again.csv",
          "流水号,交易日期,对方户名,对方账号,收入金额,币种,摘要\n"
          "HX001,2026/11/27,C4 公司,6222021200001234,\"12,147.50\",人民币,货款 SO-401\n"
          ",2026/11/28,C4 公司,6222021200001234,400.00,人民币,部分货款\n");
  ASSERT_EQ(r.status, 200) << r.body;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  r = api("GET", "/api/v1/reconciliation/payments");
  EXPECT_EQ(json::parse(r.body)["total"], 2) << r.body;
}

TEST_F(ReconFlowTest, K3ReceiptsArePulledOnScheduleAndReconciled) {
  configure(true);
  startGateway();
  for (const auto& o : {order("SO-301", "C100001", "2000.00", "2026-11-01"),
                        order("SO-302", "C100001", "700.00", "2026-11-02")})
    ASSERT_EQ(api("POST", "/api/v1/routes/recon_orders/messages", o).status, 202);
  // One receipt naming SO-301 (full) and, later, the red receipt that reverses it.
  json receipt = {{"FBillNo", "SKD-E2E-1"}, {"FDATE", "2026-11-20"},
                  {"FCONTACTUNIT", {{"FNumber", "C100001"}}}, {"FCURRENCYID", {{"FNumber", "PRE001"}}},
                  {"FREALRECAMOUNTFOR", 2000.00}, {"FREMARK", "货款"},
                  {"FRECEIVEBILLENTRY", json::array({{{"FPURPOSEID", {{"FNumber", "SFKYT01_SYS"}}},
                                                     {"FREALRECAMOUNTFOR_D", 2000.00},
                                                     {"FPOSTDATE", "2026-11-20"},
                                                     {"FSALEORDERNO", "SO-301"}}})}};
  ASSERT_EQ(sim("POST", "/sim/k3cloud/_receipts", json::array({receipt}).dump()).status, 200);
  ASSERT_TRUE(testkit::waitFor([&] { return pushedStates().count("SO-301") > 0; }, 20000)) << gatewayLog();
  EXPECT_EQ(pushedStates()["SO-301"]["paymentStatus"], "paid");

  json red = receipt;
  red["FBillNo"] = "SKD-E2E-2";
  red["FREALRECAMOUNTFOR"] = -2000.00;
  red["FREMARK"] = "冲销 SKD-E2E-1";
  red["FRECEIVEBILLENTRY"][0]["FREALRECAMOUNTFOR_D"] = -2000.00;
  ASSERT_EQ(sim("POST", "/sim/k3cloud/_receipts", json::array({red}).dump()).status, 200);
  ASSERT_TRUE(testkit::waitFor([&] { return pushedStates()["SO-301"]["paymentStatus"] == "unpaid"; }, 20000))
      << pushedStates()["SO-301"].dump() << gatewayLog();
  EXPECT_EQ(pushedStates()["SO-301"]["outstandingAmount"], "2000.00");
  // Pulled each second since: every receipt reached the reconciliation once.
  auto r = api("GET", "/api/v1/messages?route=k3_receipts");
  EXPECT_EQ(json::parse(r.body)["items"].size(), 2u) << r.body;
}

}  // namespace
}  // namespace qiao::e2e
