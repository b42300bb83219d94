// Load diagnostics: every problem of a file at once, with file:line:column and the rule path.
#include <fstream>
#include <sstream>

#include "helpers.h"
#include "qiao/testkit/testkit.h"

namespace qiao::mapping::test {
namespace {

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(MappingLoad, AllErrorsAtOnceWithPositions) {
  const std::string yaml =
      "mapping: t\n"
      "value_maps:\n"
      "  currency: {CNY: PRE001}\n"
      "rules:\n"
      "  - {to: a, from: x}\n"
      "  - {to: b, from: y, map: {table: currncy}}\n"
      "  - {from: z}\n"
      "  - {to: d, from: w, date: {parse: \"yyyy-QQ-dd\"}}\n"
      "  - {to: e, from: v, decimal: {rounding: sideways}}\n"
      "  - {to: f, frm: v}\n"
      "  - {to: g, expr: \"round(a * , 2)\"}\n";
  auto p = loadMappingText(yaml, "m/t.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kConfigInvalid);
  auto l = lines(p.error().message);
  ASSERT_EQ(l.size(), 7u) << p.error().message;
  EXPECT_EQ(l[0], "m/t.yaml:6:35: rules[1].map.table: no value map 'currncy'; did you mean 'currency'?");
  EXPECT_EQ(l[1], "m/t.yaml:7:5: rules[2]: missing 'to'");
  EXPECT_EQ(l[2].rfind("m/t.yaml:8:36: rules[3].date.parse: bad date pattern 'yyyy-QQ-dd': ", 0), 0u) << l[2];
  EXPECT_EQ(l[3], "m/t.yaml:9:42: rules[4].decimal.rounding: unknown rounding mode 'sideways' "
                  "(half_up, half_even, half_down, up, down, ceiling, floor)");
  EXPECT_EQ(l[4], "m/t.yaml:10:13: rules[5]: unknown key 'frm'; did you mean 'from'?");
  EXPECT_EQ(l[5], "m/t.yaml:10:5: rules[5]: needs one of from, const, default, concat, expr or each");
  EXPECT_EQ(l[6].rfind("m/t.yaml:11:19: rules[6].expr: bad expression 'round(a * , 2)' at column 11", 0), 0u)
      << l[6];
}

TEST(MappingLoad, YamlSyntaxErrorHasAPosition) {
  auto p = loadMappingText("mapping: t\nrules: [\n", "x.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message.rfind("x.yaml:", 0), 0u) << p.error().message;
}

TEST(MappingLoad, UnknownTopLevelKeyAndMissingFile) {
  auto p = loadMappingText("mapping: t\nrulez: []\n", "x.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("x.yaml:2:1: unknown key 'rulez'; did you mean 'rules'?"),
            std::string::npos) << p.error().message;
  auto q = loadMapping("/nonexistent/x.yaml");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, ErrorCode::kNotFound);
}

TEST(MappingLoad, IncludeBringsValueMaps) {
  testkit::TempDir dir;
  std::ofstream(dir.file("common.yaml")) << "mapping: common\nvalue_maps:\n  u: {PCS: Pcs}\nrules: []\n";
  std::ofstream(dir.file("m.yaml"))
      << "mapping: m\ninclude: [common]\nrules:\n  - {to: a, from: x, map: {table: u}}\n";
  auto p = loadMapping(dir.file("m.yaml"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(run(**p, R"({"x":"PCS"})"), R"({"a":"Pcs"})");
}

TEST(MappingLoad, NonInvertibleTargetsAreListed) {
  auto p = plan("mapping: t\nrules:\n  - {to: a, concat: [x, y]}\n  - {to: b, expr: \"x * y\"}\n"
                "  - {to: c, from: z}\n  - {to: d, const: 1}\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->nonInvertible(), (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(p->warnings().size(), 2u);
  EXPECT_EQ(p->warnings()[1], "t.yaml:4:5: b: expr cannot be reversed; add reverse:");
}

}  // namespace
}  // namespace qiao::mapping::test
