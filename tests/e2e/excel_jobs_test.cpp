// The Excel data-sync assistant end to end, through the real binary: `qiao import FILE --job`,
// POST /api/v1/jobs/{job}/files, a scheduled drop folder, an export job on demand, and what
// GET /api/v1/jobs shows of each run.
#include <signal.h>

#include <filesystem>

#include "gateway_fixture.h"
#include "qiao/excel/sheet.h"

namespace qiao::e2e {
namespace {

namespace fs = std::filesystem;

// Order lines with the standard excel_orders mapping's Chinese headers, columns shuffled;
// SO-1 has two lines, SO-3's 数量 is not a number (an invalid row).
const char* kOrdersCsv =
    "客户编码,订单编号,订单日期,物料编码,数量,单价,客户名称\n"
    "C100001,SO-1,2026/11/26,M-01,2,10.50,苏州华东精密机械有限公司\n"
    "C100001,SO-1,2026/11/26,M-02,1,99,苏州华东精密机械有限公司\n"
    "C100002,SO-2,2026-11-27,M-01,5,10.50,无锡远航电子有限公司\n"
    "C100003,SO-3,2026-11-27,M-09,abc,1,常州新材料股份有限公司\n";

class ExcelJobsTest : public GatewayFixture {
 protected:
  void configure(const std::string& import_cron = "") {
    in_ = dir_->file("excel/in");
    out_ = dir_->file("excel/out");
    GatewayOptions o;
    o.mappings_dir = testkit::sourcePath("mappings/standard");
    o.extra_yaml =
        "  excel_orders:\n"
        "    sink: erp\n"
        "    entity: order\n"
        "    business_key: /orderId\n"
        "jobs:\n"
        "  import_orders:\n"
        "    type: import\n"
        "    folder: " + in_ + "\n"
        "    mapping: excel_orders\n"
        "    route: excel_orders\n"
        "    group: /lines\n"
        "    min_file_age: 0\n" +
        (import_cron.empty() ? "" : "    cron: \"" + import_cron + "\"\n") +
        "  export_orders:\n"
        "    type: export\n"
        "    rows: route_messages\n"
        "    route: excel_orders\n"
        "    folder: " + out_ + "\n"
        "    file_pattern: 订单-{date}.xlsx\n"
        "    columns:\n"
        "      - {header: 订单编号, pointer: /orderId}\n"
        "      - {header: 客户编码, pointer: /customerCode}\n"
        "      - {header: 状态, pointer: /_status}\n"
        "      - {header: 公式, pointer: /remark}\n";
    writeConfig(o);
  }

  json importCli(const std::string& file, int* rc) {
    std::string out;
    std::string report = dir_->file("import.json");
    *rc = testkit::runCommand("(" + testkit::binPath("qiao") + " import " + file +
                                  " --job import_orders --config " + config_dir_ + " > " + report + ")",
                              &out);
    cli_output_ = out;
    return json::parse(testkit::readFile(report), nullptr, false);
  }

  json jobStatus(const std::string& name) {
    auto r = api("GET", "/api/v1/jobs");
    EXPECT_EQ(r.status, 200) << r.body;
    json all = json::parse(r.body);
    for (const auto& j : all["jobs"])
      if (j["name"] == name) return j;
    return json();
  }

  std::string in_, out_;
  std::string cli_output_;  // stderr of the last qiao import
};

TEST_F(ExcelJobsTest, CliImportGroupsLinesReportsBadRowsAndNeverImportsTwice) {
  configure();
  std::string file = dir_->file("orders.csv");
  testkit::writeFile(file, kOrdersCsv);

  int rc = -1;
  json report = importCli(file, &rc);
  ASSERT_TRUE(report.is_object()) << "no JSON report; rc " << rc << ": " << cli_output_;
  // A file with invalid rows: the valid ones are imported, the run says so (exit 0), the
  // invalid row is in the error workbook beside the archived original.
  EXPECT_EQ(rc, 0) << report.dump(2);
  ASSERT_EQ(report["files"].size(), 1u) << report.dump(2);
  json f = report["files"][0];
  EXPECT_EQ(f["rows"], 4) << f.dump(2);
  EXPECT_EQ(f["records"], 2) << f.dump(2);  // SO-1 (two lines) and SO-2
  EXPECT_EQ(f["accepted"], 2) << f.dump(2);
  EXPECT_EQ(f["invalid_rows"], 1) << f.dump(2);
  std::string errors = f["error_workbook"].get<std::string>();
  ASSERT_FALSE(errors.empty()) << f.dump(2);
  EXPECT_TRUE(fs::exists(errors)) << errors;
  EXPECT_TRUE(fs::exists(f["archived_to"].get<std::string>())) << f.dump(2);
  EXPECT_TRUE(fs::exists(file)) << "the caller's own file is kept";

  // Delivered once the gateway runs: SO-1 carries both lines.
  startGateway();
  ASSERT_TRUE(testkit::waitFor([&] { return simStats()["effects"].get<int>() >= 2; }, 15000)) << gatewayLog();
  auto r = api("GET", "/api/v1/messages?route=excel_orders&key=SO-1");
  ASSERT_EQ(r.status, 200);
  json items = json::parse(r.body)["items"];
  ASSERT_EQ(items.size(), 1u) << r.body;
  json so1 = message(items[0]["id"].get<int64_t>());
  EXPECT_EQ(so1["payload"]["lines"].size(), 2u) << so1.dump();
  EXPECT_EQ(so1["payload"]["lines"][1]["materialCode"], "M-02") << so1.dump();

  // The same file again, while the gateway runs: nothing twice.
  report = importCli(file, &rc);
  ASSERT_TRUE(report.is_object()) << "rc " << rc << ": " << cli_output_;
  EXPECT_EQ(rc, 0) << report.dump(2);
  EXPECT_EQ(report["files"][0]["accepted"], 0) << report.dump(2);
  EXPECT_TRUE(report["files"][0]["already_imported"].get<bool>()) << report.dump(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(simStats()["effects"], 2);

  json st = jobStatus("import_orders");
  EXPECT_EQ(st["kind"], "import") << st.dump(2);
  EXPECT_TRUE(st["cron"].is_null()) << st.dump(2);
  EXPECT_EQ(st["last_run"]["outcome"], "ok") << st.dump(2);
}

TEST_F(ExcelJobsTest, ApiUploadImportsAndRefusesAFileMissingARequiredColumn) {
  configure();
  startGateway();
  auto r = api("POST", "/api/v1/jobs/import_orders/files?name=orders.csv", kOrdersCsv);
  ASSERT_EQ(r.status, 200) << r.body;
  json body = json::parse(r.body);
  EXPECT_TRUE(body["ok"].get<bool>()) << r.body;
  EXPECT_EQ(body["report"]["files"][0]["accepted"], 2) << r.body;
  ASSERT_TRUE(testkit::waitFor([&] { return simStats()["effects"].get<int>() >= 2; }, 15000)) << gatewayLog();

  // No 单价 column: refused before any row is read, named in the answer and in GET /jobs.
  r = api("POST", "/api/v1/jobs/import_orders/files?name=no_price.csv",
          "订单编号,订单日期,客户编码,物料编码,数量\nSO-9,2026-11-27,C100001,M-01,1\n");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("单价"), std::string::npos) << r.body;
  json st = jobStatus("import_orders");
  EXPECT_EQ(st["last_run"]["outcome"], "failed") << st.dump(2);
  EXPECT_NE(st["last_run"]["error"].get<std::string>().find("单价"), std::string::npos) << st.dump(2);
  std::string rejected = json::parse(r.body)["report"]["files"][0]["rejected_to"];
  EXPECT_EQ(rejected.rfind(in_ + "/rejected/", 0), 0u) << r.body;
  EXPECT_TRUE(fs::exists(rejected)) << "refused files move to rejected/: " << r.body;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(simStats()["effects"], 2) << "nothing of the refused file went out";

  // Names that could leave the folder, unknown jobs, and jobs that take no file.
  EXPECT_EQ(api("POST", "/api/v1/jobs/import_orders/files?name=../x.csv", kOrdersCsv).status, 400);
  EXPECT_EQ(api("POST", "/api/v1/jobs/nope/files?name=x.csv", kOrdersCsv).status, 404);
  EXPECT_EQ(api("POST", "/api/v1/jobs/export_orders/files?name=x.csv", kOrdersCsv).status, 400);
}

TEST_F(ExcelJobsTest, ScheduledImportPicksUpDroppedFilesAndExportWritesTheOrdersWithTheirState) {
  configure("* * * * * *");
  startGateway();
  fs::create_directories(in_);
  testkit::writeFile(in_ + "/.orders.csv.part", kOrdersCsv);
  fs::rename(in_ + "/.orders.csv.part", in_ + "/orders.csv");
  ASSERT_TRUE(testkit::waitFor([&] { return simStats()["effects"].get<int>() >= 2; }, 15000)) << gatewayLog();
  ASSERT_TRUE(testkit::waitFor([&] { return !fs::exists(in_ + "/orders.csv"); }, 5000))
      << "the imported file moves to archive/";

  // A remark that Excel would run as a formula is written as text.
  ASSERT_EQ(api("POST", "/api/v1/routes/excel_orders/messages",
                R"J({"orderId":"SO-7","customerCode":"C100009","remark":"=HYPERLINK(\"http://x\")","lines":[]})J")
                .status,
            202);
  ASSERT_TRUE(testkit::waitFor([&] { return simStats()["effects"].get<int>() >= 3; }, 15000)) << gatewayLog();

  auto r = api("POST", "/api/v1/jobs/export_orders/run");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string path = json::parse(r.body)["report"]["file"]["path"];
  EXPECT_NE(path.find(out_ + "/订单-"), std::string::npos) << path;
  auto sheet = excel::openSheet(path, {});
  ASSERT_TRUE(sheet.ok()) << sheet.error().message;
  std::map<std::string, std::vector<std::string>> rows;
  std::vector<std::string> header;
  excel::Row row;
  while (true) {
    auto more = (*sheet)->next(row);
    ASSERT_TRUE(more.ok()) << more.error().message;
    if (!*more) break;
    std::vector<std::string> cells;
    for (const auto& c : row.cells) cells.push_back(c.text);
    if (header.empty()) header = cells;
    else rows[cells[0]] = cells;
  }
  EXPECT_EQ(header, (std::vector<std::string>{"订单编号", "客户编码", "状态", "公式"}));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows["SO-1"][2], "delivered");
  EXPECT_EQ(rows["SO-7"][3], "'=HYPERLINK(\"http://x\")") << "formula text is escaped, never live";

  json st = jobStatus("export_orders");
  EXPECT_EQ(st["kind"], "export");
  EXPECT_EQ(st["last_run"]["outcome"], "ok") << st.dump(2);
  st = jobStatus("import_orders");
  EXPECT_EQ(st["cron"], "* * * * * *");
  EXPECT_FALSE(st["next_run"].is_null()) << st.dump(2);
}

}  // namespace
}  // namespace qiao::e2e
