// Import jobs over real files and a real SQLite store: header matching, mapping, grouping of
// order lines, the error workbook, the manifest and the archive.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "jobs_test_util.h"

namespace qiao::jobs::testing {
namespace {

using nlohmann::json;

// The order sheet's columns in an order of its own (not the mapping's).
const std::vector<std::string> kHeader = {"数量", "物料编码", "订单编号", "备注", "客户编码", "订单日期",
                                          "单价", "联系电话", "交货日期", "币别", "单位"};

CellRow orderRow(const std::string& order, const std::string& material, const std::string& qty,
                 const std::string& price = "10.50") {
  return {num(qty), text(material), text(order), text("=1+1"), text("C100001"),
          text("2026/11/26"), num(price), text("013800138000"), date(2026, 12, 5),
          text("人民币"), text("个")};
}

TEST_F(JobsTest, ShuffledChineseHeadersGroupedIntoOrders) {
  writeSheet(folder_ + "/orders.xlsx", "订单", kHeader,
             {orderRow("SO-1", "mat-1", "60"), orderRow("SO-2", "MAT-9", "1"),
              orderRow("so-1 ", "mat-2", "1200", "1234.5")});
  auto r = importFile(spec_, folder_ + "/orders.xlsx", *store_, ingest_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->errors.empty()) << r->errors.front();
  EXPECT_EQ(r->rows, 3);
  EXPECT_EQ(r->invalid_rows, 0);
  // " so-1 " is SO-1 once mapped (trim, upper): grouped by the mapped key.
  EXPECT_EQ(r->records, 2);
  auto msgs = messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(r->accepted, 2);
  auto first = json::parse(msgs[0].record.payload);
  EXPECT_EQ(first["orderId"], "SO-1");
  EXPECT_EQ(first["orderDate"], "2026-11-26");
  EXPECT_EQ(first["customerPhone"], "013800138000") << "a phone number keeps its leading zero";
  EXPECT_EQ(first["currency"], "CNY");
  EXPECT_EQ(first["remark"], "=1+1") << "the writer's formula escape '=1+1 is read back as typed";
  ASSERT_EQ(first["lines"].size(), 2u);
  EXPECT_EQ(first["lines"][1]["materialCode"], "MAT-2");
  EXPECT_EQ(first["lines"][1]["price"], "1234.5");
  EXPECT_EQ(first["lines"][0]["materialCode"], "MAT-1");
  EXPECT_EQ(first["lines"][0]["qty"], "60");
  EXPECT_EQ(first["lines"][0]["unit"], "PCS");
  EXPECT_EQ(first["lines"][0]["deliveryDate"], "2026-12-05") << "a date cell through parse: excel1900";
  EXPECT_EQ(msgs[0].record.entity, "order");
  EXPECT_EQ(msgs[0].record.source_system, "excel");
  EXPECT_EQ(msgs[0].record.business_key, "SO-1");
  EXPECT_EQ(msgs[0].record.idempotency_key.rfind("import:orders:SO-1:", 0), 0u)
      << msgs[0].record.idempotency_key;
}

TEST_F(JobsTest, RowsOfOneOrderMergeByAppendingLines) {
  writeSheet(folder_ + "/orders.xlsx", "订单", kHeader,
             {orderRow("SO-1", "MAT-1", "60"), orderRow("SO-2", "MAT-9", "1"),
              orderRow("SO-1", "MAT-2", "1200"), orderRow("SO-1", "MAT-3", "3")});
  auto r = importFile(spec_, folder_ + "/orders.xlsx", *store_, ingest_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rows, 4);
  EXPECT_EQ(r->records, 2);
  EXPECT_EQ(r->accepted, 2);
  auto msgs = messages();
  ASSERT_EQ(msgs.size(), 2u);
  auto so1 = json::parse(msgs[0].record.payload);
  EXPECT_EQ(so1["orderId"], "SO-1");
  ASSERT_EQ(so1["lines"].size(), 3u);
  EXPECT_EQ(so1["lines"][0]["materialCode"], "MAT-1");
  EXPECT_EQ(so1["lines"][1]["materialCode"], "MAT-2");
  EXPECT_EQ(so1["lines"][2]["materialCode"], "MAT-3");
  EXPECT_EQ(json::parse(msgs[1].record.payload)["lines"].size(), 1u);
}

TEST_F(JobsTest, AliasesAndAnyColumnOrder) {
  spec_.mapping = planText(R"(mapping: customers
key: 编码
rules:
  - {to: code, from: [编码, 客户编码, Code], required: true}
  - {to: name, from: [客户名称, 客户, Customer Name], required: true}
  - {to: credit, from: 信用额度, decimal: {as: string}}
)");
  spec_.group_append = "";
  spec_.entity = "customer";
  writeSheet(folder_ + "/c.xlsx", "客户", {"信用额度", "Customer Name", "客户编码"},
             {{num("1000"), text("华东精密"), text("C1")}, {num("5.5"), text("Acme"), text("C2")}});
  auto r = importFile(spec_, folder_ + "/c.xlsx", *store_, ingest_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->errors.empty()) << r->errors.front();
  auto msgs = messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(json::parse(msgs[0].record.payload), json::parse(R"({"code":"C1","name":"华东精密","credit":"1000"})"));
  EXPECT_EQ(json::parse(msgs[1].record.payload)["name"], "Acme");
  EXPECT_EQ(msgs[1].record.entity, "customer");
}

TEST_F(JobsTest, MissingRequiredColumnsRefuseTheFileBeforeAnyRow) {
  // No 数量 and no 客户编码: both named, nothing ingested, the file in rejected/.
  std::vector<std::string> header = {"订单编号", "订单日期", "物料编码", "单价"};
  writeSheet(folder_ + "/bad.xlsx", "订单", header,
             {{text("SO-1"), text("2026-11-26"), text("M1"), num("1")}});
  auto r = importFile(spec_, folder_ + "/bad.xlsx", *store_, ingest_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->errors.size(), 1u);
  EXPECT_NE(r->errors[0].find("数量"), std::string::npos) << r->errors[0];
  EXPECT_NE(r->errors[0].find("客户编码"), std::string::npos) << r->errors[0];
  EXPECT_EQ(ingest_calls_, 0);
  EXPECT_EQ(r->rows, 0);
  EXPECT_FALSE(exists(folder_ + "/bad.xlsx"));
  ASSERT_FALSE(r->rejected_to.empty());
  EXPECT_TRUE(exists(r->rejected_to));
  EXPECT_EQ(r->rejected_to.rfind(folder_ + "/rejected/", 0), 0u) << r->rejected_to;
  std::string why = testkit::readFile(r->rejected_to + ".error.txt");
  EXPECT_NE(why.find("missing required columns"), std::string::npos) << why;
  EXPECT_TRUE(messages().empty());
  EXPECT_FALSE(exists(folder_ + "/archive"));
}

TEST_F(JobsTest, InvalidRowsGoToTheErrorWorkbookWithCellAndReason) {
  spec_.group_append = "";  // one record per row: only the bad rows stay out
  CellRow bad_qty = orderRow("SO-2", "MAT-9", "1");
  bad_qty[0] = text("abc");                     // 数量, column A
  CellRow no_material = orderRow("SO-3", "", "2");
  no_material[1] = Cell{};                      // 物料编码 empty: required
  writeSheet(folder_ + "/orders.xlsx", "订单", kHeader,
             {orderRow("SO-1", "MAT-1", "60"), bad_qty, no_material, orderRow("SO-4", "MAT-4", "4")});
  auto r = importFile(spec_, folder_ + "/orders.xlsx", *store_, ingest_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rows, 4);
  EXPECT_EQ(r->invalid_rows, 2);
  EXPECT_EQ(r->accepted, 2);
  ASSERT_FALSE(r->error_workbook.empty());
  auto back = readSheet(r->error_workbook);
  ASSERT_EQ(back.header.size(), kHeader.size() + 1);
  EXPECT_EQ(back.header[2], "订单编号");
  EXPECT_EQ(back.header.back(), "错误 Error");
  ASSERT_EQ(back.rows.size(), 2u);
  EXPECT_EQ(back.rows[0].cells[2].text, "SO-2") << "the row as given";
  EXPECT_EQ(back.rows[0].cells[0].text, "abc");
  const std::string& why1 = back.rows[0].cells.back().text;
  EXPECT_NE(why1.find("订单!A3"), std::string::npos) << why1;
  EXPECT_NE(why1.find("数量"), std::string::npos) << why1;
  EXPECT_NE(why1.find("abc"), std::string::npos) << why1;
  const std::string& why2 = back.rows[1].cells.back().text;
  EXPECT_NE(why2.find("订单!B4"), std::string::npos) << why2;
  EXPECT_NE(why2.find("required"), std::string::npos) << why2;
  // The manifest beside it counts the same.
  auto m = json::parse(testkit::readFile(r->manifest));
  EXPECT_EQ(m["invalid_rows"], 2);
  EXPECT_EQ(m["rows"], 4);
  EXPECT_EQ(m["accepted"], 2);
  EXPECT_EQ(m["sha256"], r->sha256);
  EXPECT_EQ(m["error_workbook"], std::filesystem::path(r->error_workbook).filename().string());
}

TEST_F(JobsTest, OneBadLineKeepsItsWholeOrderOut) {
  CellRow bad = orderRow("SO-1", "MAT-2", "x");
  writeSheet(folder_ + "/orders.xlsx", "订单", kHeader,
             {orderRow("SO-1", "MAT-1", "60"), orderRow("SO-2", "MAT-9", "1"), bad});
  auto r = importFile(spec_, folder_ + "/orders.xlsx", *store_, ingest_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->records, 1);
  EXPECT_EQ(r->invalid_rows, 2);
  auto msgs = messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].record.business_key, "SO-2");
  auto back = readSheet(r->error_workbook);
  ASSERT_EQ(back.rows.size(), 2u);
  EXPECT_EQ(back.rows[0].number, 2);
  EXPECT_NE(back.rows[0].cells.back().text.find("row 4 of the same 订单编号 'SO-1'"), std::string::npos)
      << back.rows[0].cells.back().text;
  EXPECT_NE(back.rows[1].cells.back().text.find("订单!A4"), std::string::npos) << back.rows[1].cells.back().text;
}

TEST_F(JobsTest, ArchivesTheFileWithManifestAndSetsTheWatermark) {
  writeSheet(folder_ + "/orders.xlsx", "订单", kHeader, {orderRow("SO-1", "MAT-1", "60")});
  auto sha = excel::sha256File(folder_ + "/orders.xlsx");
  ASSERT_TRUE(sha.ok());
  auto r = importFile(spec_, folder_ + "/orders.xlsx", *store_, ingest_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sha256, *sha);
  EXPECT_FALSE(exists(folder_ + "/orders.xlsx"));
  ASSERT_TRUE(exists(r->archived_to));
  EXPECT_EQ(r->archived_to.rfind(folder_ + "/archive/", 0), 0u);
  EXPECT_TRUE(r->error_workbook.empty());
  auto stem = r->archived_to.substr(0, r->archived_to.size() - 5);  // "-orders" + ".xlsx"
  EXPECT_EQ(r->manifest, stem + ".manifest.json");
  auto files = listDir(folder_ + "/archive");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].size(), std::string("20261127-094500-orders.manifest.json").size()) << files[0];
  auto m = json::parse(testkit::readFile(r->manifest));
  EXPECT_EQ(m["job"], "orders");
  EXPECT_EQ(m["file"], "orders.xlsx");
  EXPECT_EQ(m["records"], 1);
  EXPECT_EQ(m["sheet"], "订单");
  auto wm = store_->getWatermark(importedWatermark("orders", *sha));
  ASSERT_TRUE(wm.ok());
  ASSERT_TRUE(wm->has_value());
  EXPECT_EQ(**wm, r->manifest);
  auto j = json::parse(r->toJson());
  EXPECT_EQ(j["accepted"], 1);
  EXPECT_EQ(j["file"], "orders.xlsx");
}

TEST_F(JobsTest, ProgressCountsUpToTheTotal) {
  spec_.group_append = "";
  spec_.batch_records = 2;
  std::vector<CellRow> rows;
  for (int i = 0; i < 7; ++i) rows.push_back(orderRow("SO-" + std::to_string(i), "M", "1"));
  writeSheet(folder_ + "/orders.xlsx", "订单", kHeader, rows);
  std::vector<std::pair<int64_t, int64_t>> calls;
  auto r = importFile(spec_, folder_ + "/orders.xlsx", *store_, ingest_,
                      [&](int64_t done, int64_t total) { calls.emplace_back(done, total); });
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_GE(calls.size(), 4u);  // 7 rows in batches of 2
  for (size_t i = 1; i < calls.size(); ++i) EXPECT_GT(calls[i].first, calls[i - 1].first);
  for (const auto& c : calls) EXPECT_EQ(c.second, 7);
  EXPECT_EQ(calls.back().first, 7);
  EXPECT_EQ(ingest_calls_, 4);

  // Grouped: the total from the sheet's dimension, the records ingested after the last row.
  spec_.group_append = "/lines";
  rows.push_back(orderRow("SO-0", "M2", "2"));
  writeSheet(folder_ + "/grouped.xlsx", "订单", kHeader, rows);
  calls.clear();
  ingest_calls_ = 0;
  auto g = importFile(spec_, folder_ + "/grouped.xlsx", *store_, ingest_,
                      [&](int64_t done, int64_t total) { calls.emplace_back(done, total); });
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->records, 7);
  ASSERT_FALSE(calls.empty());
  for (size_t i = 1; i < calls.size(); ++i) EXPECT_GT(calls[i].first, calls[i - 1].first);
  EXPECT_EQ(calls.back(), (std::pair<int64_t, int64_t>{8, 8}));
  EXPECT_EQ(ingest_calls_, 4) << "7 records in batches of 2";
}

TEST_F(JobsTest, GbkCsvWithAHeaderOnRowThree) {
  spec_.group_append = "";
  std::string csv = "导出:订单\n\n订单编号,订单日期,客户编码,物料编码,数量,单价\nSO-7,2026-11-26,C1,M1,2,3.5\n";
  // To GB18030 through iconv, as a Chinese office's Excel saves a CSV.
  std::string gbk_path = folder_ + "/gbk.csv";
  testkit::writeFile(dir_.file("utf8.csv"), csv);
  std::string out;
  ASSERT_EQ(testkit::runCommand("iconv -f UTF-8 -t GB18030 " + dir_.file("utf8.csv") + " -o " + gbk_path, &out), 0) << out;
  spec_.header_row = 3;
  auto r = importFile(spec_, gbk_path, *store_, ingest_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->errors.empty()) << r->errors.front();
  auto msgs = messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(json::parse(msgs[0].record.payload)["lines"][0]["price"], "3.5");
}

}  // namespace
}  // namespace qiao::jobs::testing
