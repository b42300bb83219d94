// Rows to JSON records (typed values, cell-named errors) and the error workbook.
#include <gtest/gtest.h>

#include "excel_test_util.h"
#include "qiao/excel/row_json.h"

namespace qiao::excel {
namespace {

using testing::TempDir;

Row makeRow(std::vector<Cell> cells, int64_t number = 7) { return Row{"订单", number, std::move(cells)}; }

TEST(RowJson, TypedValuesKeyedByCanonicalNames) {
  std::vector<ExpectedColumn> cols = {{"orderId", {"单号"}, true, ValueKind::kText, true},
                                      {"amount", {"金额"}, true, ValueKind::kDecimal, false},
                                      {"orderDate", {"日期"}, true, ValueKind::kDate, false},
                                      {"qty", {"数量"}, false, ValueKind::kInteger, false},
                                      {"paid", {"已付"}, false, ValueKind::kBool, false},
                                      {"note", {"备注"}, false, ValueKind::kAuto, false}};
  auto m = matchHeader({"日期", "单号", "金额", "数量", "已付", "备注"}, cols);
  ASSERT_TRUE(m.ok());
  RowConverter conv(cols, *m);
  auto rec = conv.convert(makeRow({Cell::string("2026年11月26日"), Cell::number("100123456789"),
                                   Cell::string("¥1,234.50"), Cell::number("3"), Cell::string("是"),
                                   Cell::string("say \"hi\"\n")}));
  EXPECT_TRUE(rec.ok());
  EXPECT_EQ(rec.json, "{\"orderId\":\"100123456789\",\"amount\":\"1234.50\",\"orderDate\":\"2026-11-26\","
                      "\"qty\":\"3\",\"paid\":true,\"note\":\"say \\\"hi\\\"\\n\"}");
  // Serial numbers in a date column, date cells, numbers in auto columns.
  auto rec2 = conv.convert(makeRow({Cell::number("45658"), Cell::string("A1"), Cell::number("0.1"),
                                    Cell{}, Cell{}, Cell::number("1.50")}));
  EXPECT_EQ(rec2.json, "{\"orderId\":\"A1\",\"amount\":\"0.1\",\"orderDate\":\"2025-01-01\",\"note\":\"1.50\"}");
}

TEST(RowJson, EveryBadCellIsNamed) {
  std::vector<ExpectedColumn> cols = {{"orderId", {}, true, ValueKind::kText, true},
                                      {"amount", {}, true, ValueKind::kDecimal, false},
                                      {"orderDate", {}, true, ValueKind::kDate, false},
                                      {"qty", {}, false, ValueKind::kInteger, false},
                                      {"flag", {}, false, ValueKind::kAuto, false}};
  auto m = matchHeader({"orderId", "amount", "orderDate", "qty", "flag"}, cols);
  ASSERT_TRUE(m.ok());
  RowConverter conv(cols, *m);
  auto rec = conv.convert(makeRow({Cell::string("  "), Cell::string("12,3x"), Cell::string("明天"),
                                   Cell::number("2.5"), Cell::error("#DIV/0!")}));
  ASSERT_EQ(rec.errors.size(), 5u);
  EXPECT_EQ(rec.errors[0].text(), "订单!A7: orderId is empty");
  EXPECT_EQ(rec.errors[1].text(), "订单!B7: amount: '12,3x' is not a number");
  EXPECT_NE(rec.errors[2].text().find("订单!C7: orderDate: '明天' is not a date"), std::string::npos);
  EXPECT_EQ(rec.errors[3].text(), "订单!D7: qty: '2.5' is not a whole number");
  EXPECT_EQ(rec.errors[4].text(), "订单!E7: flag: the cell holds the Excel error #DIV/0!");
}

TEST(RowJson, FromHeaderKeepsDuplicateAndUnnamedColumns) {
  auto conv = RowConverter::fromHeader({"名称", "", "名称"});
  auto rec = conv.convert(makeRow({Cell::string("a"), Cell::string("b"), Cell::string("c")}));
  EXPECT_EQ(rec.json, "{\"名称\":\"a\",\"B\":\"b\",\"名称_2\":\"c\"}");
}

TEST(ErrorWorkbook, RowsAsGivenPlusTheReason) {
  TempDir dir;
  auto wb = ErrorWorkbook::create(dir.file("orders.errors.xlsx"), {"单号", "金额"});
  ASSERT_TRUE(wb.ok()) << wb.error().message;
  ASSERT_TRUE((*wb)->add(makeRow({Cell::string("SO-1"), Cell::string("12,3x")}),
                         {{"订单!B7", "amount: '12,3x' is not a number"}}).ok());
  ASSERT_TRUE((*wb)->add(makeRow({Cell::string("=evil()")}, 9), {{"订单!B9", "amount is empty"}, {"订单!A9", "x"}}).ok());
  ASSERT_TRUE((*wb)->commit().ok());
  EXPECT_EQ((*wb)->rows(), 2);
  auto t = openTable(dir.file("orders.errors.xlsx"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->header(), (std::vector<std::string>{"单号", "金额", "错误 Error"}));
  Row r;
  ASSERT_TRUE(*(*t)->next(r));
  EXPECT_EQ(r.cells.at(1).text, "12,3x");
  EXPECT_EQ(r.cells.at(2).text, "订单!B7: amount: '12,3x' is not a number");
  ASSERT_TRUE(*(*t)->next(r));
  EXPECT_EQ(r.cells.at(0).text, "'=evil()");
  EXPECT_EQ(r.cells.at(2).text, "订单!B9: amount is empty; 订单!A9: x");
}

}  // namespace
}  // namespace qiao::excel
