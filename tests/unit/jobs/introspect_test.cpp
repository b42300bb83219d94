// sourceFields: the columns a forward plan reads, as the import job matches them.
#include <gtest/gtest.h>

#include "jobs_test_util.h"
#include "qiao/mapping/introspect.h"

namespace qiao::jobs::testing {
namespace {

const mapping::SourceField* find(const std::vector<mapping::SourceField>& fs, const std::string& path) {
  for (const auto& f : fs) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

TEST(SourceFields, ExcelOrdersInRuleOrderTyped) {
  auto plan = loadPlan(standardMapping("excel_orders.yaml"));
  ASSERT_TRUE(plan);
  auto fs = mapping::sourceFields(*plan);
  ASSERT_EQ(fs.size(), 19u);
  EXPECT_EQ(fs[0].path, "订单编号");
  EXPECT_TRUE(fs[0].required);
  EXPECT_EQ(fs[0].kind, "text");
  EXPECT_EQ(fs[0].target, "orderId");
  EXPECT_EQ(fs[1].path, "订单日期");
  EXPECT_EQ(fs[1].kind, "date");
  EXPECT_EQ(fs[1].date_parse, "auto");
  EXPECT_EQ(fs.back().path, "仓库");
  const auto* qty = find(fs, "数量");
  ASSERT_NE(qty, nullptr);
  EXPECT_EQ(qty->kind, "decimal");
  EXPECT_TRUE(qty->required);
  EXPECT_EQ(qty->target, "lines[0].qty");
  const auto* name = find(fs, "客户名称");
  ASSERT_NE(name, nullptr);
  EXPECT_FALSE(name->required);
  const auto* delivery = find(fs, "交货日期");
  ASSERT_NE(delivery, nullptr);
  EXPECT_EQ(delivery->kind, "date");
  EXPECT_EQ(delivery->date_parse, "excel1900");
  const auto* line = find(fs, "行号");
  ASSERT_NE(line, nullptr);
  EXPECT_EQ(line->kind, "number");
  EXPECT_EQ(mapping::keyPath(*plan), "订单编号");
}

TEST(SourceFields, FallbacksBecomeAliasesAndRepeatsMerge) {
  auto plan = planText(R"(mapping: t
source: a
target: b
rules:
  - {to: name, from: [客户名称, 客户, Customer Name], required: true}
  - {to: code, from: [编码, 客户编码]}
  - {to: upperName, from: 客户名称, upper: true}
  - {to: paid, from: 已付, bool: {true: 是}}
  - {to: at, from: 时间, date: {parse: "yyyy/MM/dd HH:mm", format: "yyyy-MM-dd'T'HH:mm:ss"}}
  - {to: nested, from: addr.city}
  - {to: fixed, const: x}
)");
  ASSERT_TRUE(plan);
  auto fs = mapping::sourceFields(*plan);
  ASSERT_EQ(fs.size(), 4u) << "nested paths and constants are not columns";
  EXPECT_EQ(fs[0].path, "客户名称");
  EXPECT_EQ(fs[0].aliases, (std::vector<std::string>{"客户", "Customer Name"}));
  EXPECT_TRUE(fs[0].required);
  EXPECT_EQ(fs[1].path, "编码");
  EXPECT_EQ(fs[1].aliases, (std::vector<std::string>{"客户编码"}));
  EXPECT_FALSE(fs[1].required);
  EXPECT_EQ(fs[2].path, "已付");
  EXPECT_EQ(fs[2].kind, "bool");
  EXPECT_EQ(fs[3].path, "时间");
  EXPECT_EQ(fs[3].kind, "datetime");
  EXPECT_EQ(fs[3].date_parse, "yyyy/MM/dd HH:mm");
  EXPECT_EQ(mapping::keyPath(*plan), "");
}

}  // namespace
}  // namespace qiao::jobs::testing
