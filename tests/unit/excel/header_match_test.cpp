// Header matching: Chinese aliases, any order, width/space/case folding, the full report.
#include <gtest/gtest.h>

#include "qiao/excel/header_match.h"

namespace qiao::excel {
namespace {

std::vector<ExpectedColumn> orderColumns() {
  return {{"customerName", {"客户名称", "客户", "Customer Name"}, true, ValueKind::kText, false},
          {"orderId", {"订单编号", "单号", "Order No"}, true, ValueKind::kText, false},
          {"amount", {"金额", "Amount"}, true, ValueKind::kDecimal, false},
          {"remark", {"备注"}, false, ValueKind::kText, false}};
}

TEST(HeaderNormalize, WidthSpacesCaseAndMarkers) {
  EXPECT_EQ(normalizeHeader("Ｃｕｓｔｏｍｅｒ　Ｎａｍｅ"), "customername");
  EXPECT_EQ(normalizeHeader(" Customer  name "), "customername");
  EXPECT_EQ(normalizeHeader("*客户名称："), "客户名称");
  EXPECT_EQ(normalizeHeader("金额（元）"), "金额(元)");
  EXPECT_EQ(normalizeHeader("\xEF\xBB\xBF" "单号"), "单号");
}

TEST(HeaderMatch, AliasesInAnyOrderWithUnknownColumnsAsWarnings) {
  std::vector<std::string> header = {"金额", "ORDER  NO", "客 户", "经办人", "", "备注"};
  auto m = matchHeader(header, orderColumns());
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->file_column, (std::vector<int>{2, 1, 0, 5}));
  EXPECT_EQ(m->expected_of_file, (std::vector<int>{2, 1, 0, -1, -1, 3}));
  ASSERT_EQ(m->unknown.size(), 1u);
  EXPECT_EQ(m->unknown[0], "column D '经办人' is not expected; it is ignored");
  EXPECT_TRUE(m->missing_optional.empty());
}

TEST(HeaderMatch, ReportsEveryMissingRequiredColumnAtOnce) {
  auto m = matchHeader({"备注", "其他"}, orderColumns());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message,
            "missing required columns: customerName (or 客户名称, 客户, Customer Name), "
            "orderId (or 订单编号, 单号, Order No), amount (or 金额, Amount)");
}

TEST(HeaderMatch, OptionalMissingIsReportedButNotAnError) {
  auto m = matchHeader({"客户名称", "订单编号", "金额"}, orderColumns());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->missing_optional, std::vector<std::string>{"remark"});
}

TEST(HeaderMatch, TwoColumnsForOneFieldAreAnError) {
  auto m = matchHeader({"客户名称", "客户", "订单编号", "金额"}, orderColumns());
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("columns A and B both mean customerName"), std::string::npos) << m.error().message;
}

TEST(HeaderMatch, AmbiguousAliasesInTheExpectationAreAnError) {
  std::vector<ExpectedColumn> cols = {{"a", {"名称"}, false, ValueKind::kAuto, false},
                                      {"b", {"名 称"}, false, ValueKind::kAuto, false}};
  auto m = matchHeader({"x"}, cols);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("names both a and b"), std::string::npos);
}

}  // namespace
}  // namespace qiao::excel
