// Committed fixture files, through the whole import path: detect, read, match, convert.
#include <gtest/gtest.h>

#include "qiao/excel/file_identity.h"
#include "qiao/excel/row_json.h"

namespace qiao::excel {
namespace {

const std::string kDir = QIAO_EXCEL_FIXTURES;

TEST(FixtureFiles, GbkSemicolonCsvFromIconvImportsEndToEnd) {
  auto t = openTable(kDir + "/orders_gbk_semicolon.csv");
  ASSERT_TRUE(t.ok()) << t.error().message;
  std::vector<ExpectedColumn> cols = {{"orderId", {"订单编号"}, true, ValueKind::kText, true},
                                      {"customerName", {"客户名称", "客户"}, true, ValueKind::kText, false},
                                      {"customerPhone", {"联系电话"}, false, ValueKind::kText, false},
                                      {"amount", {"金额"}, true, ValueKind::kDecimal, false},
                                      {"orderDate", {"订单日期"}, true, ValueKind::kDate, false},
                                      {"remark", {"备注"}, false, ValueKind::kText, false}};
  auto m = matchHeader((*t)->header(), cols);
  ASSERT_TRUE(m.ok()) << m.error().message;
  RowConverter conv(cols, *m, (*t)->dateSystem());
  std::vector<std::string> json;
  Row row;
  for (int i = 0; i < 10; ++i) {
    auto more = (*t)->next(row);
    ASSERT_TRUE(more.ok()) << more.error().message;
    if (!*more) break;
    auto rec = conv.convert(row);
    ASSERT_TRUE(rec.ok()) << rec.errors.at(0).text();
    json.push_back(rec.json);
  }
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0], "{\"orderId\":\"SO-0001\",\"customerName\":\"深圳华强电子有限公司\",\"customerPhone\":\"075588886666\","
                     "\"amount\":\"1234.50\",\"orderDate\":\"2026-11-26\",\"remark\":\"含分号;和\\\"引号\\\"\"}");
  EXPECT_EQ(json[1], "{\"orderId\":\"SO-0002\",\"customerName\":\"广州白云机械厂\",\"customerPhone\":\"13800138000\","
                     "\"amount\":\"99.9\",\"orderDate\":\"2026-11-27\",\"remark\":\"两行\\r\\n备注\"}");
  auto sha = sha256File(kDir + "/orders_gbk_semicolon.csv");
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(sha->size(), 64u);
}

}  // namespace
}  // namespace qiao::excel
