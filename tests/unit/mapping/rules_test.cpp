// One test per rule kind, forward and (where invertible) reverse.
#include "helpers.h"

namespace qiao::mapping::test {
namespace {

std::string one(const std::string& rule) { return "mapping: t\nrules:\n  - " + rule + "\n"; }

TEST(MappingRules, RenameBothWays) {
  auto p = plan(one("{to: a.b, from: x}"));
  EXPECT_EQ(run(*p, R"({"x":"v","y":1})"), R"({"a":{"b":"v"}})");
  EXPECT_EQ(run(*p, R"({"a":{"b":"v"}})", Direction::kReverse), R"({"x":"v"})");
  EXPECT_TRUE(p->nonInvertible().empty());
}

TEST(MappingRules, AbsentAndNullSkipTheTarget) {
  auto p = plan(one("{to: a, from: x}"));
  EXPECT_EQ(run(*p, R"({"x":null})"), "{}");
  EXPECT_EQ(run(*p, R"({})"), "{}");
}

TEST(MappingRules, FirstPresentAndParent) {
  auto p = plan("mapping: t\nrules:\n  - to: L\n    each: lines\n    rules:\n"
                "      - {to: d, from: [d, ^h]}\n");
  EXPECT_EQ(run(*p, R"({"h":"H","lines":[{"d":"x"},{},{"d":null}]})"),
            R"({"L":[{"d":"x"},{"d":"H"},{"d":"H"}]})");
  // reverse writes the record's own field
  EXPECT_EQ(run(*p, R"({"L":[{"d":"x"}]})", Direction::kReverse), R"({"lines":[{"d":"x"}]})");
}

TEST(MappingRules, ConstTypesAndReverseIgnoresConst) {
  auto p = plan("mapping: t\nrules:\n  - {to: s, const: X}\n  - {to: b, const: false}\n"
                "  - {to: n, const: 12.50}\n  - {to: q, const: \"7\"}\n  - {to: y, from: x}\n");
  EXPECT_EQ(run(*p, R"({"x":1})"), R"({"s":"X","b":false,"n":12.50,"q":"7","y":1})");
  EXPECT_EQ(run(*p, R"({"s":"X","y":1})", Direction::kReverse), R"({"x":1})");
}

TEST(MappingRules, DefaultOnAbsentOrEmpty) {
  auto p = plan(one("{to: a, from: x, default: D}"));
  EXPECT_EQ(run(*p, R"({})"), R"({"a":"D"})");
  EXPECT_EQ(run(*p, R"({"x":""})"), R"({"a":"D"})");
  EXPECT_EQ(run(*p, R"({"x":"v"})"), R"({"a":"v"})");
}

TEST(MappingRules, RequiredAbsentIsAFieldError) {
  auto p = plan("mapping: t\nkey: id\nrules:\n  - {to: a, from: x, required: true}\n");
  FieldErrors errs;
  std::string r = run(*p, R"({"id":"K1"})", Direction::kForward, &errs);
  ASSERT_EQ(errs.size(), 1u) << r;
  EXPECT_EQ(errs[0].business_key, "K1");
  EXPECT_EQ(errs[0].source, "x");
  EXPECT_EQ(errs[0].rule, "t.yaml:4:5 rules[0]");
  EXPECT_EQ(errs[0].message, "required value is absent");
}

TEST(MappingRules, RefWrapsAndUnwraps) {
  auto p = plan(one("{to: C, from: code, ref: FNumber}"));
  EXPECT_EQ(run(*p, R"({"code":"C1"})"), R"({"C":{"FNumber":"C1"}})");
  EXPECT_EQ(run(*p, R"({"C":{"FNumber":"C1"}})", Direction::kReverse), R"({"code":"C1"})");
  EXPECT_EQ(run(*p, R"({"C":"C1"})", Direction::kReverse).substr(0, 4), "ERR ");
}

TEST(MappingRules, MapTableDefaultStrictAndInverse) {
  std::string head = "mapping: t\nvalue_maps:\n  cur: {CNY: PRE001, USD: PRE007}\nrules:\n";
  auto p = plan(head + "  - {to: c, from: x, map: {table: cur, default: PRE001}}\n");
  EXPECT_EQ(run(*p, R"({"x":"USD"})"), R"({"c":"PRE007"})");
  EXPECT_EQ(run(*p, R"({"x":"XXX"})"), R"({"c":"PRE001"})");
  EXPECT_EQ(run(*p, R"({"c":"PRE007"})", Direction::kReverse), R"({"x":"USD"})");
  auto strict = plan(head + "  - {to: c, from: x, map: {table: cur, strict: true}}\n");
  FieldErrors errs;
  run(*strict, R"({"x":"XXX"})", Direction::kForward, &errs);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].value, "\"XXX\"");
  auto loose = plan(head + "  - {to: c, from: x, map: {table: cur}}\n");
  EXPECT_EQ(run(*loose, R"({"x":"XXX"})"), R"({"c":"XXX"})");
}

TEST(MappingRules, LossyMapIsNotInvertible) {
  auto p = plan("mapping: t\nvalue_maps:\n  m: {A: X, B: X}\nrules:\n"
                "  - {to: c, from: x, map: {table: m}}\n");
  ASSERT_EQ(p->nonInvertible().size(), 1u);
  EXPECT_EQ(p->nonInvertible()[0], "c");
  EXPECT_EQ(run(*p, R"({"c":"X"})", Direction::kReverse), "{}");
}

TEST(MappingRules, DecimalExactNumberAndString) {
  auto p = plan("mapping: t\nrules:\n  - {to: n, from: x, decimal: {}}\n"
                "  - {to: s, from: x, decimal: {scale: 2, rounding: half_even, as: string}}\n"
                "  - {to: g, from: x, decimal: {scale: 1, grouping: \",\", currency: \"¥\", as: string}}\n");
  EXPECT_EQ(run(*p, R"({"x":"¥1,234.50"})"), R"({"n":1234.5,"s":"1234.50","g":"¥1,234.5"})");
  EXPECT_EQ(run(*p, R"({"x":"0.125"})"), R"({"n":0.125,"s":"0.12","g":"¥0.1"})");
  EXPECT_EQ(run(*p, R"({"x":"0.00"})"), R"({"n":0,"s":"0.00","g":"¥0.0"})");
  // 20 significant digits survive (a double would not)
  EXPECT_EQ(run(*p, R"({"x":"12345678901234567.891"})").substr(0, 27), R"({"n":12345678901234567.891,)");
  FieldErrors errs;
  run(*p, R"({"x":"abc"})", Direction::kForward, &errs);
  EXPECT_EQ(errs.size(), 3u);  // one per rule
  // reverse of the plain decimal: a string with the same value (and the number's own digits)
  auto q = plan(one("{to: n, from: x, decimal: {}}"));
  EXPECT_EQ(run(*q, R"({"n":38.50})", Direction::kReverse), R"({"x":"38.50"})");
  EXPECT_EQ(run(*q, R"({"n":-1E2})", Direction::kReverse), R"({"x":"-100"})");
}

TEST(MappingRules, NumberAndStringConversions) {
  auto p = plan("mapping: t\nrules:\n  - {to: n, from: a, number: true}\n"
                "  - {to: s, from: b, string: true}\n");
  EXPECT_EQ(run(*p, R"({"a":"12.30","b":7})"), R"({"n":12.30,"s":"7"})");
  EXPECT_EQ(run(*p, R"({"n":12.30,"s":"7"})", Direction::kReverse), R"({"a":"12.30","b":7})");
  FieldErrors errs;
  run(*p, R"({"a":"1,2","b":true})", Direction::kForward, &errs);
  EXPECT_EQ(errs.size(), 2u);
}

TEST(MappingRules, BoolOneWayAndTwoWay) {
  auto p = plan(one("{to: u, from: f, bool: {true: \"Y\"}}"));
  EXPECT_EQ(run(*p, R"({"f":"Y"})"), R"({"u":true})");
  EXPECT_EQ(run(*p, R"({"f":"N"})"), R"({"u":false})");
  EXPECT_EQ(p->nonInvertible().size(), 1u);
  auto q = plan(one("{to: u, from: f, bool: {true: \"Y\", false: \"N\"}}"));
  EXPECT_TRUE(q->nonInvertible().empty());
  EXPECT_EQ(run(*q, R"({"u":false})", Direction::kReverse), R"({"f":"N"})");
  EXPECT_EQ(run(*q, R"({"f":"maybe"})").substr(0, 4), "ERR ");
}

TEST(MappingRules, DatePatternsAutoAndExcel) {
  auto p = plan(one("{to: d, from: x, date: {parse: \"yyyy/MM/dd\", format: \"yyyy-MM-dd HH:mm:ss\"}}"));
  EXPECT_EQ(run(*p, R"({"x":"2026/1/5"})"), R"({"d":"2026-01-05 00:00:00"})");
  EXPECT_EQ(run(*p, R"({"d":"2026-01-05 00:00:00"})", Direction::kReverse), R"({"x":"2026/01/05"})");
  EXPECT_EQ(run(*p, R"({"x":"2026/02/30"})").substr(0, 4), "ERR ");
  auto a = plan(one("{to: d, from: x, date: {parse: auto, format: \"yyyy-MM-dd HH:mm:ss\"}}"));
  EXPECT_EQ(run(*a, R"({"x":"2026-02-25T04:18:25+08:00"})"), R"({"d":"2026-02-25 04:18:25"})");
  EXPECT_EQ(a->nonInvertible().size(), 1u);
  auto e = plan(one("{to: d, from: x, date: {parse: excel1900, format: \"yyyy-MM-dd\"}}"));
  EXPECT_EQ(run(*e, R"({"x":46000})"), R"({"d":"2025-12-09"})");
}

TEST(MappingRules, ConcatIsOneWayUnlessReverseGiven) {
  auto p = plan(one("{to: a, concat: [p, c, s], separator: \"-\"}"));
  EXPECT_EQ(run(*p, R"({"p":"P","c":"C","s":"S"})"), R"({"a":"P-C-S"})");
  ASSERT_EQ(p->warnings().size(), 1u);
  EXPECT_EQ(p->warnings()[0], "t.yaml:3:5: a: concat cannot be reversed; add reverse:");
  auto q = plan(one("{to: a, concat: [p, s], reverse: {to: s}}"));
  EXPECT_TRUE(q->nonInvertible().empty());
  EXPECT_EQ(run(*q, R"({"a":"whole"})", Direction::kReverse), R"({"s":"whole"})");
}

TEST(MappingRules, ExprOnDecimals) {
  auto p = plan("mapping: t\nrules:\n  - {to: a, expr: \"round(q * p, 2)\"}\n"
                "  - {to: b, expr: \"q + p - 1\"}\n  - {to: c, expr: \"q * p\"}\n");
  EXPECT_EQ(run(*p, R"({"q":"3","p":"12.345"})"), R"({"a":37.04,"b":14.345,"c":37.035})");
  EXPECT_EQ(run(*p, R"({"q":"0.1","p":"0.2"})"), R"({"a":0.02,"b":-0.7,"c":0.02})");
  FieldErrors errs;
  run(*p, R"({"q":"x"})", Direction::kForward, &errs);
  EXPECT_EQ(errs.size(), 3u);
  EXPECT_EQ(p->nonInvertible().size(), 3u);
}

TEST(MappingRules, EachWhereAndReverse) {
  auto p = plan("mapping: t\nrules:\n  - to: E\n    each: lines\n    where: \"qty > 0\"\n"
                "    rules:\n      - {to: Q, from: qty, decimal: {}}\n      - {to: M, from: m, ref: N}\n");
  EXPECT_EQ(run(*p, R"({"lines":[{"qty":"2","m":"a"},{"qty":"0","m":"b"},{"qty":"1.50","m":"c"}]})"),
            R"({"E":[{"Q":2,"M":{"N":"a"}},{"Q":1.5,"M":{"N":"c"}}]})");
  EXPECT_EQ(p->nonInvertible().size(), 1u);  // the filter drops elements
  auto q = plan("mapping: t\nrules:\n  - to: E\n    each: lines\n"
                "    rules:\n      - {to: M, from: m, ref: N}\n");
  EXPECT_EQ(run(*q, R"({"E":[{"M":{"N":"a"}},{"M":{"N":"b"}}]})", Direction::kReverse),
            R"({"lines":[{"m":"a"},{"m":"b"}]})");
}

TEST(MappingRules, TextTransforms) {
  auto p = plan("mapping: t\nrules:\n  - {to: a, from: x, trim: true, upper: true}\n"
                "  - {to: b, from: y, halfwidth: true, lower: true}\n");
  EXPECT_EQ(run(*p, R"({"x":"  abc ","y":"ＡＢＣ　１２"})"), R"({"a":"ABC","b":"abc 12"})");
  EXPECT_EQ(p->nonInvertible().size(), 2u);
  auto q = plan(one("{to: a, from: x, trim: true, lossless: true}"));
  EXPECT_TRUE(q->nonInvertible().empty());
}

TEST(MappingRules, AllFieldErrorsOfARecordTogether) {
  auto p = plan("mapping: t\nkey: id\nrules:\n  - {to: a, from: x, decimal: {}}\n"
                "  - {to: b, from: y, required: true}\n  - to: L\n    each: lines\n    rules:\n"
                "      - {to: q, from: qty, number: true}\n");
  FieldErrors errs;
  std::string r = run(*p, R"({"id":"SO-1","x":"1.2.3","lines":[{"qty":"1"},{"qty":"z"}]})",
                      Direction::kForward, &errs);
  ASSERT_EQ(errs.size(), 3u) << r;
  EXPECT_EQ(errs[0].target, "a");
  EXPECT_EQ(errs[1].target, "b");
  EXPECT_EQ(errs[2].source, "lines[1].qty");
  EXPECT_EQ(errs[2].target, "L[1].q");
  EXPECT_EQ(errs[2].value, "\"z\"");
  EXPECT_EQ(errs[2].rule, "t.yaml:9:9 rules[2].rules[0]");
  EXPECT_NE(r.find("SO-1: L[1].q <- lines[1].qty: not a number (value \"z\")"), std::string::npos) << r;
  EXPECT_NE(r.find("3 field error(s)"), std::string::npos) << r;
}

}  // namespace
}  // namespace qiao::mapping::test
