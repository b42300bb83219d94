// The .xlsx reader on hand-made workbooks (each feature in isolation) and on workbooks written
// by libxlsxwriter through our own writer.
#include <gtest/gtest.h>

#include "excel_test_util.h"
#include "qiao/excel/sheet.h"
#include "qiao/excel/writer.h"

namespace qiao::excel {
namespace {

using testing::cellText;
using testing::cellType;
using testing::readAll;
using testing::TempDir;
using testing::writeXlsx;
using testing::XlsxParts;

TEST(XlsxReader, SharedStringsWithRichTextRunsAndPhoneticsSkipped) {
  TempDir dir;
  XlsxParts p;
  p.shared_strings =
      "<si><t>客户名称</t></si>"
      "<si><r><rPr><b/></rPr><t>深圳</t></r><r><t xml:space=\"preserve\"> 华强 </t></r><rPh sb=\"0\" eb=\"1\"><t>シンセン</t></rPh></si>"
      "<si><t>line_x000D_break</t></si>";
  p.sheets[0].second = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>"
                       "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>1</v></c><c r=\"B2\" t=\"s\"><v>2</v></c></row>";
  ASSERT_TRUE(writeXlsx(dir.file("a.xlsx"), p));
  auto all = readAll(dir.file("a.xlsx"));
  ASSERT_EQ(all.error, "");
  ASSERT_EQ(all.rows.size(), 2u);
  EXPECT_EQ(cellText(all.rows[0], 0), "客户名称");
  EXPECT_EQ(cellText(all.rows[1], 0), "深圳 华强 ");
  EXPECT_EQ(cellType(all.rows[1], 0), CellType::kString);
  EXPECT_EQ(cellText(all.rows[1], 1), "line\rbreak");
  EXPECT_EQ(all.rows[1].sheet, "Sheet1");
  EXPECT_EQ(all.rows[1].number, 2);
}

TEST(XlsxReader, InlineStringsBooleansErrorsFormulaStringsAndExactNumbers) {
  TempDir dir;
  XlsxParts p;
  p.sheets[0].second =
      "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>内联</t></is></c>"
      "<c r=\"B1\" t=\"b\"><v>1</v></c><c r=\"C1\" t=\"b\"><v>0</v></c>"
      "<c r=\"D1\" t=\"e\"><v>#N/A</v></c>"
      "<c r=\"E1\" t=\"str\"><f>A1&amp;\"x\"</f><v>内联x</v></c>"
      "<c r=\"F1\"><v>1234.5</v></c><c r=\"G1\"><v>0.30000000000000004</v></c>"
      "<c r=\"H1\"><v>1E-3</v></c><c r=\"I1\" s=\"0\"/></row>";
  ASSERT_TRUE(writeXlsx(dir.file("b.xlsx"), p));
  auto all = readAll(dir.file("b.xlsx"));
  ASSERT_EQ(all.error, "");
  ASSERT_EQ(all.rows.size(), 1u);
  const Row& r = all.rows[0];
  EXPECT_EQ(cellText(r, 0), "内联");
  EXPECT_EQ(cellType(r, 1), CellType::kBool);
  EXPECT_EQ(cellText(r, 1), "TRUE");
  EXPECT_EQ(cellText(r, 2), "FALSE");
  EXPECT_EQ(cellType(r, 3), CellType::kError);
  EXPECT_EQ(cellText(r, 3), "#N/A");
  EXPECT_EQ(cellText(r, 4), "内联x");
  EXPECT_EQ(cellType(r, 5), CellType::kNumber);
  EXPECT_EQ(cellText(r, 5), "1234.5");
  EXPECT_EQ(cellText(r, 6), "0.3");  // as Excel shows it: 15 significant digits
  EXPECT_EQ(cellText(r, 7), "1E-3");
  EXPECT_EQ(cellType(r, 8), CellType::kEmpty);
}

TEST(XlsxReader, SparseCellsAndRowsWithoutReferences) {
  TempDir dir;
  XlsxParts p;
  p.sheets[0].second =
      "<row><c t=\"inlineStr\"><is><t>a</t></is></c><c t=\"inlineStr\"><is><t>b</t></is></c></row>"  // row 1, A B
      "<row r=\"5\"><c r=\"C5\"><v>3</v></c><c><v>4</v></c></row>"                                    // C5, D5
      "<row><c r=\"AA6\"><v>27</v></c></row>";                                                         // row 6
  ASSERT_TRUE(writeXlsx(dir.file("c.xlsx"), p));
  auto all = readAll(dir.file("c.xlsx"));
  ASSERT_EQ(all.error, "");
  ASSERT_EQ(all.rows.size(), 3u);
  EXPECT_EQ(all.rows[0].number, 1);
  EXPECT_EQ(cellText(all.rows[0], 1), "b");
  EXPECT_EQ(all.rows[1].number, 5);
  EXPECT_EQ(cellType(all.rows[1], 0), CellType::kEmpty);
  EXPECT_EQ(cellText(all.rows[1], 2), "3");
  EXPECT_EQ(cellText(all.rows[1], 3), "4");
  EXPECT_EQ(all.rows[2].number, 6);
  ASSERT_EQ(all.rows[2].cells.size(), 27u);
  EXPECT_EQ(cellText(all.rows[2], 26), "27");
}

const char* kDateStyles =
    "<numFmts count=\"2\"><numFmt numFmtId=\"164\" formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;\"/>"
    "<numFmt numFmtId=\"165\" formatCode=\"#,##0.00&quot;元&quot;\"/></numFmts>"
    "<cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>"
    "<cellXfs count=\"5\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"164\"/><xf numFmtId=\"165\"/>"
    "<xf numFmtId=\"22\"/></cellXfs>";

TEST(XlsxReader, DatesThroughBuiltinAndCustomFormatsIn1900System) {
  TempDir dir;
  XlsxParts p;
  p.styles = kDateStyles;
  p.sheets[0].second = "<row r=\"1\"><c r=\"A1\" s=\"1\"><v>45658</v></c><c r=\"B1\" s=\"2\"><v>44197</v></c>"
                       "<c r=\"C1\" s=\"3\"><v>45658</v></c><c r=\"D1\" s=\"4\"><v>45658.5</v></c>"
                       "<c r=\"E1\" s=\"0\"><v>45658</v></c></row>";
  ASSERT_TRUE(writeXlsx(dir.file("d.xlsx"), p));
  auto all = readAll(dir.file("d.xlsx"));
  ASSERT_EQ(all.error, "");
  const Row& r = all.rows.at(0);
  EXPECT_EQ(cellType(r, 0), CellType::kDateTime);
  EXPECT_EQ(cellText(r, 0), "2025-01-01");
  EXPECT_EQ(cellText(r, 1), "2021-01-01");  // custom yyyy"年"m"月"d"日"
  EXPECT_EQ(cellType(r, 2), CellType::kNumber);  // #,##0.00"元" is not a date
  EXPECT_EQ(cellText(r, 3), "2025-01-01T12:00:00");
  EXPECT_EQ(r.cells.at(3).datetime.hour, 12);
  EXPECT_EQ(cellType(r, 4), CellType::kNumber);
}

TEST(XlsxReader, DateFormattedNumbersThatAreNoDatesStayNumbers) {
  TempDir dir;
  XlsxParts p;
  p.styles = kDateStyles;
  p.sheets[0].second = "<row r=\"1\"><c r=\"A1\" s=\"1\"><v>-5</v></c><c r=\"B1\" s=\"1\"><v>60</v></c>"
                       "<c r=\"C1\" t=\"d\"><v>not a date</v></c><c r=\"D1\" t=\"d\"><v>2026-11-26T08:00:00</v></c></row>";
  ASSERT_TRUE(writeXlsx(dir.file("nd.xlsx"), p));
  auto all = readAll(dir.file("nd.xlsx"));
  ASSERT_EQ(all.error, "");
  const Row& r = all.rows.at(0);
  EXPECT_EQ(cellType(r, 0), CellType::kNumber);
  EXPECT_EQ(cellText(r, 0), "-5");
  EXPECT_EQ(cellType(r, 1), CellType::kNumber);  // 1900-02-29 does not exist
  EXPECT_EQ(cellType(r, 2), CellType::kString);
  EXPECT_EQ(cellText(r, 3), "2026-11-26T08:00:00");
}

TEST(XlsxReader, Dates1904System) {
  TempDir dir;
  XlsxParts p;
  p.styles = kDateStyles;
  p.date1904 = true;
  p.sheets[0].second = "<row r=\"1\"><c r=\"A1\" s=\"1\"><v>42735</v></c><c r=\"B1\" s=\"1\"><v>0</v></c></row>";
  ASSERT_TRUE(writeXlsx(dir.file("e.xlsx"), p));
  auto s = openSheet(dir.file("e.xlsx"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ((*s)->dateSystem(), ExcelDateSystem::k1904);
  auto all = readAll(dir.file("e.xlsx"));
  ASSERT_EQ(all.error, "");
  EXPECT_EQ(cellText(all.rows.at(0), 0), "2021-01-01");
  EXPECT_EQ(cellText(all.rows.at(0), 1), "1904-01-01");
}

TEST(XlsxReader, ChoosesSheetByNameOrIndexAndListsThem) {
  TempDir dir;
  XlsxParts p;
  p.sheets = {{"说明", "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>readme</t></is></c></row>"},
              {"订单", "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>orders</t></is></c></row>"}};
  ASSERT_TRUE(writeXlsx(dir.file("f.xlsx"), p));
  auto names = listSheets(dir.file("f.xlsx"));
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"说明", "订单"}));
  ReadOptions by_name;
  by_name.sheet = "订单";
  EXPECT_EQ(cellText(readAll(dir.file("f.xlsx"), by_name).rows.at(0), 0), "orders");
  ReadOptions by_index;
  by_index.sheet_index = 1;
  auto r = readAll(dir.file("f.xlsx"), by_index);
  EXPECT_EQ(r.rows.at(0).sheet, "订单");
  ReadOptions missing;
  missing.sheet = "Orders";
  auto m = readAll(dir.file("f.xlsx"), missing);
  EXPECT_NE(m.error.find("no sheet named 'Orders'; sheets: 说明, 订单"), std::string::npos) << m.error;
  missing.sheet.clear();
  missing.sheet_index = 5;
  EXPECT_NE(readAll(dir.file("f.xlsx"), missing).error.find("no sheet number 6"), std::string::npos);
}

TEST(TableReader, HeaderAutoDetectedBelowTitleRowsOrConfigured) {
  TempDir dir;
  XlsxParts p;
  p.sheets[0].second =
      "<row r=\"2\"><c r=\"B2\" t=\"inlineStr\"><is><t> 编号 </t></is></c><c r=\"C2\" t=\"inlineStr\"><is><t>金额</t></is></c></row>"
      "<row r=\"3\"><c r=\"B3\" t=\"inlineStr\"><is><t>SO-1</t></is></c><c r=\"C3\"><v>10</v></c></row>"
      "<row r=\"4\"/>"
      "<row r=\"5\"><c r=\"B5\" t=\"inlineStr\"><is><t>SO-2</t></is></c></row>";
  ASSERT_TRUE(writeXlsx(dir.file("g.xlsx"), p));
  auto t = openTable(dir.file("g.xlsx"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ((*t)->headerRowNumber(), 2);
  EXPECT_EQ((*t)->header(), (std::vector<std::string>{"", "编号", "金额"}));
  Row row;
  std::vector<int64_t> numbers;
  for (int i = 0; i < 10; ++i) {
    auto more = (*t)->next(row);
    ASSERT_TRUE(more.ok()) << more.error().message;
    if (!*more) break;
    numbers.push_back(row.number);
  }
  EXPECT_EQ(numbers, (std::vector<int64_t>{3, 5}));  // blank row 4 skipped

  ReadOptions o;
  o.header_row = 3;
  auto t3 = openTable(dir.file("g.xlsx"), o);
  ASSERT_TRUE(t3.ok());
  EXPECT_EQ((*t3)->header().at(1), "SO-1");
  o.header_row = 4;
  auto t4 = openTable(dir.file("g.xlsx"), o);
  ASSERT_FALSE(t4.ok());
  EXPECT_NE(t4.error().message.find("header row 4 is empty"), std::string::npos) << t4.error().message;
}

TEST(XlsxReader, ReadsBackWhatTheWriterWrote) {
  TempDir dir;
  std::vector<ColumnSpec> cols = {{"名称", ColumnKind::kText, 0}, {"金额", ColumnKind::kAmount, 0},
                                  {"日期", ColumnKind::kDate, 0}, {"电话", ColumnKind::kAuto, 0},
                                  {"数量", ColumnKind::kAuto, 0}, {"启用", ColumnKind::kAuto, 0}};
  auto w = SheetWriter::create(dir.file("w.xlsx"), cols);
  ASSERT_TRUE(w.ok()) << w.error().message;
  LocalDateTime d{2026, 11, 26, 0, 0, 0, 0};
  ASSERT_TRUE((*w)->addRow({Cell::string("华为"), Cell::number("1234.50"), Cell::dateTime(d),
                            Cell::number("013800138000"), Cell::number("42"), Cell::boolean(true)}).ok());
  ASSERT_TRUE((*w)->addRow({Cell::string("=HYPERLINK(\"x\")"), Cell::string("n/a")}).ok());
  ASSERT_TRUE((*w)->commit().ok());
  auto t = openTable(dir.file("w.xlsx"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ((*t)->header(), (std::vector<std::string>{"名称", "金额", "日期", "电话", "数量", "启用"}));
  EXPECT_EQ((*t)->declaredDataRows(), 2);  // from <dimension ref="A1:F3"/>
  Row r;
  ASSERT_TRUE(*(*t)->next(r));
  EXPECT_EQ(cellText(r, 0), "华为");
  EXPECT_EQ(cellType(r, 1), CellType::kNumber);
  EXPECT_EQ(cellText(r, 1), "1234.5");
  EXPECT_EQ(cellType(r, 2), CellType::kDateTime);
  EXPECT_EQ(cellText(r, 2), "2026-11-26");
  EXPECT_EQ(cellType(r, 3), CellType::kString);  // leading zero: kept as text
  EXPECT_EQ(cellText(r, 3), "013800138000");
  EXPECT_EQ(cellType(r, 4), CellType::kNumber);
  EXPECT_EQ(cellType(r, 5), CellType::kBool);
  ASSERT_TRUE(*(*t)->next(r));
  EXPECT_EQ(cellText(r, 0), "'=HYPERLINK(\"x\")");
  EXPECT_EQ(cellType(r, 1), CellType::kString);  // text in an amount column stays text
  EXPECT_FALSE(*(*t)->next(r));
}

}  // namespace
}  // namespace qiao::excel
