// Workbooks written by other programs (tests/fixtures/excel/make_fixtures.py): openpyxl and
// LibreOffice Calc, .xlsx and .xls (BIFF8). The same orders sheet saved three ways must read to
// the same records; what differs (formula results) is asserted per file.
#include <gtest/gtest.h>

#include "excel_test_util.h"
#include "qiao/excel/row_json.h"

namespace qiao::excel {
namespace {

const std::string kDir = QIAO_EXCEL_FIXTURES;

// Every data row of a table as its JSON record (keys = header texts), or "error: ..." for a
// row the converter rejects; "read error: ..." ends the list.
std::vector<std::string> records(const std::string& file, const ReadOptions& o) {
  std::vector<std::string> out;
  auto t = openTable(kDir + "/" + file, o);
  if (!t.ok()) return {"open error: " + t.error().message};
  RowConverter conv = RowConverter::fromHeader((*t)->header(), (*t)->dateSystem());
  Row row;
  for (int guard = 0; guard < 1000; ++guard) {
    auto more = (*t)->next(row);
    if (!more.ok()) { out.push_back("read error: " + more.error().message); break; }
    if (!*more) break;
    RowRecord rec = conv.convert(row);
    out.push_back(rec.ok() ? rec.json : "error: " + rec.errors.at(0).text());
  }
  return out;
}

ReadOptions ordersSheet() {
  ReadOptions o;
  o.sheet = "订单";
  o.header_row = 2;  // row 1 is a title merged across A1:J1
  return o;
}

// The orders as entered in make_fixtures.py. `totals` are the cached results of column G
// (合计 = amount × quantity, and the SUM below), empty when the file holds none.
std::vector<std::string> expectedOrders(const std::vector<std::string>& totals) {
  auto total = [&](size_t i) { return totals.empty() ? std::string() : ",\"合计\":\"" + totals[i] + "\""; };
  return {
      "{\"订单编号\":\"SO-0001\",\"客户名称\":\"深圳华强电子有限公司\",\"订单日期\":\"2026-11-26\","
      "\"交货时间\":\"2026-11-28T08:30:00\",\"金额\":\"1234.5\",\"数量\":\"3\"" + total(0) +
          ",\"联系方式\":\"075588886666\",\"I\":\"hq@example.cn\",\"备注\":\"加急\"}",
      "{\"订单编号\":\"SO-0002\",\"客户名称\":\"广州白云机械厂\",\"订单日期\":\"2026-11-27\","
      "\"交货时间\":\"2026-11-30T14:00:00\",\"金额\":\"99.9\",\"数量\":\"2\"" + total(1) +
          ",\"联系方式\":\"13800138000\",\"I\":\"by@example.cn\"}",
      // 金额 was typed as the text "1,280.00" (a number stored as text): it stays text here.
      "{\"订单编号\":\"SO-0003\",\"客户名称\":\"上海浦东贸易公司\",\"订单日期\":\"2026-12-01\","
      "\"交货时间\":\"2026-12-03T17:45:30\",\"金额\":\"1,280.00\",\"数量\":\"10\"" + total(2) +
          ",\"联系方式\":\"02150501234\",\"I\":\"pd@example.cn\",\"备注\":\"含\\\"引号\\\"与\\n换行\"}",
      "{\"订单编号\":\"SO-0004\",\"客户名称\":\"北京中关村科技\",\"订单日期\":\"2027-01-15\","
      "\"交货时间\":\"2027-01-16T09:00:00\",\"金额\":\"5000\",\"数量\":\"1\"" + total(3) +
          ",\"联系方式\":\"010-62345678\",\"I\":\"zgc@example.cn\"}",
      "{\"数量\":\"总计\"" + total(4) + "}"};
}

const std::vector<std::string> kLibreOfficeTotals = {"3703.5", "199.8", "12800", "5000", "21703.3"};

TEST(ProgramFixtures, OpenpyxlOrdersHaveNoCachedFormulaResults) {
  // openpyxl writes <f> with an empty <v>: nothing was calculated, so the cell is empty.
  EXPECT_EQ(records("openpyxl_orders.xlsx", ordersSheet()), expectedOrders({}));
}

TEST(ProgramFixtures, LibreOfficeOrdersCarryCachedFormulaResults) {
  EXPECT_EQ(records("libreoffice_orders.xlsx", ordersSheet()), expectedOrders(kLibreOfficeTotals));
}

TEST(ProgramFixtures, LibreOfficeXlsOrdersReadLikeTheXlsx) {
  // The totals are FORMULA records, which FreeXL skips; their cached results come from our
  // own BIFF scan (xls_formulas.cpp).
  EXPECT_EQ(records("libreoffice_orders.xls", ordersSheet()), expectedOrders(kLibreOfficeTotals));
}

TEST(ProgramFixtures, MergedHeaderCellsReadAsTheirTopLeftCell) {
  for (const char* file : {"openpyxl_orders.xlsx", "libreoffice_orders.xlsx", "libreoffice_orders.xls"}) {
    auto t = openTable(kDir + "/" + file, ordersSheet());
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ((*t)->header(), (std::vector<std::string>{"订单编号", "客户名称", "订单日期", "交货时间", "金额", "数量",
                                                        "合计", "联系方式", "", "备注"}))
        << file;
    // Without header_row, the merged title (the first non-blank row) is taken as the header and
    // the real header row is refused by name, not read as data.
    ReadOptions autodetect;
    auto bad = records(file, autodetect);
    ASSERT_EQ(bad.size(), 1u) << file;
    EXPECT_EQ(bad[0], std::string("read error: ") + file +
                          ": 订单!B2: value '客户名称' right of the last header column (A); the row has more "
                          "fields than the header");
  }
}

TEST(ProgramFixtures, TypedConversionOfTheLibreOfficeOrders) {
  std::vector<ExpectedColumn> cols = {{"orderId", {"订单编号"}, true, ValueKind::kText, true},
                                      {"customerName", {"客户名称"}, true, ValueKind::kText, false},
                                      {"orderDate", {"订单日期"}, true, ValueKind::kDate, false},
                                      {"deliverAt", {"交货时间"}, false, ValueKind::kDateTime, false},
                                      {"amount", {"金额"}, true, ValueKind::kDecimal, false},
                                      {"quantity", {"数量"}, true, ValueKind::kInteger, false},
                                      {"total", {"合计"}, false, ValueKind::kDecimal, false},
                                      {"phone", {"联系方式"}, false, ValueKind::kText, false}};
  auto t = openTable(kDir + "/libreoffice_orders.xlsx", ordersSheet());
  ASSERT_TRUE(t.ok()) << t.error().message;
  auto m = matchHeader((*t)->header(), cols);
  ASSERT_TRUE(m.ok()) << m.error().message;
  RowConverter conv(cols, *m, (*t)->dateSystem());
  std::vector<std::string> got;
  Row row;
  for (int i = 0; i < 10; ++i) {
    auto more = (*t)->next(row);
    ASSERT_TRUE(more.ok()) << more.error().message;
    if (!*more) break;
    auto rec = conv.convert(row);
    got.push_back(rec.ok() ? rec.json : rec.errors.at(0).text());
  }
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0], "{\"orderId\":\"SO-0001\",\"customerName\":\"深圳华强电子有限公司\",\"orderDate\":\"2026-11-26\","
                    "\"deliverAt\":\"2026-11-28T08:30:00\",\"amount\":\"1234.5\",\"quantity\":\"3\","
                    "\"total\":\"3703.5\",\"phone\":\"075588886666\"}");
  // The amount stored as text "1,280.00" becomes the decimal 1280.00.
  EXPECT_EQ(got[2], "{\"orderId\":\"SO-0003\",\"customerName\":\"上海浦东贸易公司\",\"orderDate\":\"2026-12-01\","
                    "\"deliverAt\":\"2026-12-03T17:45:30\",\"amount\":\"1280.00\",\"quantity\":\"10\","
                    "\"total\":\"12800\",\"phone\":\"02150501234\"}");
  // The total row has no order number: a row error naming the cell, not a silent skip.
  EXPECT_EQ(got[4].substr(0, got[4].find(':')), "订单!A7");
}

TEST(ProgramFixtures, HiddenSheetIsListedAndSelectableByName) {
  ReadOptions o;
  o.sheet = "客户额度";
  for (const char* file : {"openpyxl_orders.xlsx", "libreoffice_orders.xlsx", "libreoffice_orders.xls"}) {
    auto names = listSheets(kDir + "/" + file);
    ASSERT_TRUE(names.ok()) << names.error().message;
    EXPECT_EQ(*names, (std::vector<std::string>{"订单", "说明", "客户额度"})) << file;
    EXPECT_EQ(records(file, o), (std::vector<std::string>{"{\"客户名称\":\"深圳华强电子有限公司\",\"信用额度\":\"500000\"}",
                                                          "{\"客户名称\":\"广州白云机械厂\",\"信用额度\":\"120000.5\"}"}))
        << file;
  }
}

TEST(ProgramFixtures, Workbooks1904FromOpenpyxlAndLibreOffice) {
  auto a = openTable(kDir + "/openpyxl_1904.xlsx");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ((*a)->dateSystem(), ExcelDateSystem::k1904);
  EXPECT_EQ(records("openpyxl_1904.xlsx", {}),
            (std::vector<std::string>{"{\"日期\":\"2026-11-26\",\"时间\":\"2026-11-26T08:30:00\"}"}));
  auto b = openTable(kDir + "/libreoffice_1904.xlsx");
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ((*b)->dateSystem(), ExcelDateSystem::k1904);
  // A formula =DATE(2026;11;26) with its cached serial, formatted YYYY-MM-DD.
  EXPECT_EQ(records("libreoffice_1904.xlsx", {}), (std::vector<std::string>{"{\"日期\":\"2026-11-26\",\"金额\":\"88.8\"}"}));
}

TEST(ProgramFixtures, PasswordProtectedWorkbooksFromLibreOfficeAreRefusedByName) {
  // .xlsx: an OLE file with EncryptionInfo + EncryptedPackage (ECMA-376 standard encryption).
  auto x = openTable(kDir + "/libreoffice_password.xlsx");
  ASSERT_FALSE(x.ok());
  EXPECT_EQ(x.error().message.rfind("libreoffice_password.xlsx: the workbook is password-protected", 0), 0u)
      << x.error().message;
  // .xls: BIFF8 with a FILEPASS record, for which FreeXL opens without a handle.
  auto names = listSheets(kDir + "/libreoffice_password.xls");
  ASSERT_FALSE(names.ok());
  EXPECT_EQ(names.error().message.rfind("libreoffice_password.xls: the workbook is password-protected", 0), 0u)
      << names.error().message;
  auto t = openTable(kDir + "/libreoffice_password.xls");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message.rfind("libreoffice_password.xls: the workbook is password-protected", 0), 0u)
      << t.error().message;
}

}  // namespace
}  // namespace qiao::excel
