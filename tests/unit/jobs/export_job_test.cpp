// Export jobs: typed cells read back with the excel reader, formula escaping, CSV with BOM,
// names from the pattern in Asia/Shanghai, and the reverse of excel_orders.yaml with ungroup —
// which the import job reads back into the same orders.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "jobs_test_util.h"
#include "qiao/jobs/export_job.h"

namespace qiao::jobs::testing {
namespace {

using nlohmann::json;

// 2026-11-26T16:30:00Z = 2026-11-27 00:30 in Shanghai: the date differs from UTC's.
constexpr int64_t kNow = 1795710600000;

RowSource rowsOf(std::vector<std::string> rows) {
  return [rows = std::move(rows)](const std::function<Status(std::string_view)>& emit) -> Status {
    for (const auto& r : rows) QIAO_RETURN_IF_ERROR(emit(r));
    return {};
  };
}

ExportColumn column(std::string header, std::string pointer, std::string kind = "text",
                    std::string format = "") {
  ExportColumn c;
  c.header = std::move(header);
  c.pointer = std::move(pointer);
  c.kind = std::move(kind);
  c.number_format = std::move(format);
  return c;
}

ExportSpec plainSpec(const std::string& folder, const std::string& pattern) {
  ExportSpec s;
  s.name = "orders";
  s.folder = folder;
  s.file_pattern = pattern;
  s.columns = {column("订单编号", "/orderId"),
               column("金额", "/amount", "decimal"),
               column("订单日期", "/orderDate", "date"),
               column("联系电话", "/phone"),
               column("备注", "/remark"),
               column("件数", "/count", "number", "0")};
  return s;
}

const std::vector<std::string> kRows = {
    R"({"orderId":"SO-1","amount":"1234.50","orderDate":"2026-11-26","phone":"013800138000","remark":"=1+1","count":3})",
    R"j({"orderId":"SO-2","amount":12.5,"orderDate":"2026-12-01","phone":"13800138000","remark":"@SUM(A1)"})j"};

TEST(ExportJob, XlsxWithTypedCellsAndEscapedFormulas) {
  testkit::TempDir dir;
  std::vector<std::pair<int64_t, int64_t>> calls;
  auto r = exportRows(plainSpec(dir.file("out"), "订单-{date}.xlsx"), rowsOf(kRows), kNow,
                      [&](int64_t done, int64_t total) { calls.emplace_back(done, total); });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rows, 2);
  EXPECT_EQ(r->path, dir.file("out/订单-20261127.xlsx")) << "the date in Asia/Shanghai";
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), (std::pair<int64_t, int64_t>{2, 2}));
  auto back = readSheet(r->path);
  EXPECT_EQ(back.header, (std::vector<std::string>{"订单编号", "金额", "订单日期", "联系电话", "备注", "件数"}));
  ASSERT_EQ(back.rows.size(), 2u);
  const auto& c = back.rows[0].cells;
  EXPECT_EQ(c[0].type, excel::CellType::kString);
  EXPECT_EQ(c[1].type, excel::CellType::kNumber);
  EXPECT_EQ(c[1].text, "1234.5");
  EXPECT_EQ(c[2].type, excel::CellType::kDateTime);
  EXPECT_EQ(c[2].text, "2026-11-26");
  EXPECT_EQ(c[3].type, excel::CellType::kString) << "a phone number stays text";
  EXPECT_EQ(c[3].text, "013800138000");
  EXPECT_EQ(c[4].type, excel::CellType::kString);
  EXPECT_EQ(c[4].text, "'=1+1") << "formula injection escaped";
  EXPECT_EQ(c[5].type, excel::CellType::kNumber);
  EXPECT_EQ(back.rows[1].cells[1].text, "12.5");
  EXPECT_EQ(back.rows[1].cells[4].text, "'@SUM(A1)");
  EXPECT_EQ(json::parse(r->toJson())["rows"], 2);
}

TEST(ExportJob, CsvHasABomAndNamesDoNotCollide) {
  testkit::TempDir dir;
  auto spec = plainSpec(dir.file("out"), "{job}-{date}-{time}.csv");
  auto a = exportRows(spec, rowsOf(kRows), kNow);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->path, dir.file("out/orders-20261127-003000.csv"));
  std::string bytes = testkit::readFile(a->path);
  ASSERT_GE(bytes.size(), 3u);
  EXPECT_EQ(bytes.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_NE(bytes.find("'=1+1"), std::string::npos) << bytes;
  auto b = exportRows(spec, rowsOf(kRows), kNow);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->path, dir.file("out/orders-20261127-003000-1.csv"));
  auto c = exportRows(spec, rowsOf(kRows), kNow);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->path, dir.file("out/orders-20261127-003000-2.csv"));
  EXPECT_EQ(testkit::readFile(a->path), bytes) << "the first file is kept";
}

TEST(ExportJob, BadPatternsAndRowsAreErrorsAndLeaveNoFile) {
  testkit::TempDir dir;
  auto spec = plainSpec(dir.file("out"), "../{date}.xlsx");
  EXPECT_FALSE(exportRows(spec, rowsOf(kRows), kNow).ok());
  spec.file_pattern = "x-{date}.txt";
  EXPECT_FALSE(exportFileName(spec, kNow).ok());
  spec.file_pattern = "x.xlsx";
  auto bad = exportRows(spec, rowsOf({kRows[0], "{not json"}), kNow);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("row 2"), std::string::npos) << bad.error().message;
  EXPECT_TRUE(listDir(dir.file("out")).empty()) << "no file, no temporary file";
}

const char* kOrder =
    R"({"orderId":"SO-9","orderDate":"2026-11-26","customerCode":"C100001","customerName":"华东精密",)"
    R"j("customerPhone":"013800138000","currency":"CNY","remark":"=HYPERLINK(\"x\")",)j"
    R"("lines":[{"lineNo":1,"materialCode":"MAT-1","qty":"60","unit":"PCS","price":"38.50","deliveryDate":"2026-12-05"},)"
    R"({"lineNo":2,"materialCode":"MAT-2","qty":"1200","unit":"BOX","price":"1234.50","deliveryDate":"2026-12-10"}]})";

TEST_F(JobsTest, ReverseOfExcelOrdersUngroupsLinesAndImportsBackToTheSameOrder) {
  ExportSpec spec;
  spec.name = "orders-out";
  spec.folder = dir_.file("outbox");
  spec.file_pattern = "订单-{date}.xlsx";
  spec.mapping = spec_.mapping;
  spec.ungroup = "/lines";
  spec.sheet_name = "订单";
  auto r = exportRows(spec, rowsOf({kOrder}), kNow);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rows, 2);
  auto back = readSheet(r->path);
  ASSERT_FALSE(back.header.empty());
  EXPECT_EQ(back.header.size(), 19u) << "every source column of the mapping";
  EXPECT_EQ(back.header[0], "订单编号");
  auto col = [&](const std::string& h) {
    auto it = std::find(back.header.begin(), back.header.end(), h);
    EXPECT_NE(it, back.header.end()) << h;
    return static_cast<size_t>(it - back.header.begin());
  };
  ASSERT_EQ(back.rows.size(), 2u);
  for (auto& row : back.rows) {
    ASSERT_LE(row.cells.size(), back.header.size());
    row.cells.resize(back.header.size());  // trailing empty cells are not stored
  }
  EXPECT_EQ(back.rows[0].cells[col("订单编号")].text, "SO-9");
  EXPECT_EQ(back.rows[1].cells[col("订单编号")].text, "SO-9");
  // One-way rules (trim/upper, many-to-one value maps) export the canonical value as is.
  EXPECT_EQ(back.rows[0].cells[col("币别")].text, "CNY");
  EXPECT_EQ(back.rows[1].cells[col("单位")].text, "BOX");
  EXPECT_EQ(back.rows[1].cells[col("物料编码")].text, "MAT-2");
  EXPECT_EQ(back.rows[1].cells[col("行号")].type, excel::CellType::kNumber);
  EXPECT_EQ(back.rows[1].cells[col("行号")].text, "2");
  EXPECT_EQ(back.rows[1].cells[col("数量")].type, excel::CellType::kNumber);
  EXPECT_EQ(back.rows[1].cells[col("数量")].text, "1200");
  EXPECT_EQ(back.rows[0].cells[col("交货日期")].type, excel::CellType::kDateTime);
  EXPECT_EQ(back.rows[0].cells[col("交货日期")].text, "2026-12-05");
  EXPECT_EQ(back.rows[0].cells[col("联系电话")].text, "013800138000");
  EXPECT_EQ(back.rows[0].cells[col("备注")].text, "'=HYPERLINK(\"x\")");

  // The exported sheet is an import file: the two rows become the one order again.
  std::filesystem::rename(r->path, folder_ + "/back.xlsx");
  auto in = importFile(spec_, folder_ + "/back.xlsx", *store_, ingest_);
  ASSERT_TRUE(in.ok()) << in.error().message;
  ASSERT_TRUE(in->errors.empty()) << in->errors.front();
  EXPECT_EQ(in->invalid_rows, 0);
  auto msgs = messages();
  ASSERT_EQ(msgs.size(), 1u);
  json got = json::parse(msgs[0].record.payload);
  json want = json::parse(kOrder);
  // An Excel number keeps the value, not the scale: 38.50 comes back as 38.5.
  want["lines"][0]["price"] = "38.5";
  want["lines"][1]["price"] = "1234.5";
  EXPECT_EQ(got, want) << got.dump(1);
}

TEST(ExportJob, AMappingErrorNamesTheRowAndField) {
  testkit::TempDir dir;
  ExportSpec spec;
  spec.name = "t";
  spec.folder = dir.file("out");
  spec.file_pattern = "t.xlsx";
  spec.mapping = planText(R"(mapping: t
rules:
  - {to: amount, from: 金额, decimal: {as: number}}
  - {to: code, from: 编码, required: true}
)");
  auto r = exportRows(spec, rowsOf({R"({"code":"A","amount":1})", R"({"amount":2})"}), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("row 2"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("code"), std::string::npos) << r.error().message;
  EXPECT_TRUE(listDir(dir.file("out")).empty());
}

}  // namespace
}  // namespace qiao::jobs::testing
