// when/otherwise, date.zone, split, substring and regex: forward, reverse and load errors.
#include "helpers.h"

namespace qiao::mapping::test {
namespace {

std::string one(const std::string& rule) { return "mapping: t\nrules:\n  - " + rule + "\n"; }

std::string loadError(const std::string& yaml) {
  auto p = loadMappingText(yaml, "t.yaml");
  return p.ok() ? "OK" : p.error().message;
}

TEST(MappingWhen, ComparisonWritesOnlyWhenTrue) {
  auto p = plan(one("{to: big, from: amount, when: \"amount >= 100\"}"));
  EXPECT_EQ(run(*p, R"({"amount":"150.5"})"), R"({"big":"150.5"})");
  EXPECT_EQ(run(*p, R"({"amount":99})"), "{}");
  EXPECT_EQ(run(*p, R"({})"), "{}");
  ASSERT_EQ(p->nonInvertible().size(), 1u);
  EXPECT_EQ(p->nonInvertible()[0], "big");
  EXPECT_EQ(run(*p, R"({"big":"150.5"})", Direction::kReverse), "{}");
}

TEST(MappingWhen, OtherwiseConstantAndTextCompare) {
  auto p = plan(one("{to: kind, from: type, when: \"type == VIP\", otherwise: normal}"));
  EXPECT_EQ(run(*p, R"({"type":"VIP"})"), R"({"kind":"VIP"})");
  EXPECT_EQ(run(*p, R"({"type":"X"})"), R"({"kind":"normal"})");
  EXPECT_EQ(run(*p, R"({})"), R"({"kind":"normal"})");
  auto q = plan(one("{to: n, from: x, when: \"x != 0\", otherwise: 0}"));
  EXPECT_EQ(run(*q, R"({"x":"0.00"})"), R"({"n":0})");  // decimals compare by value
  EXPECT_EQ(run(*q, R"({"x":5})"), R"({"n":5})");
}

TEST(MappingWhen, PresentEmptyParentAndExplicitReverse) {
  auto p = plan("mapping: t\nrules:\n"
                "  - {to: a, from: x, when: \"present(y)\"}\n"
                "  - {to: b, const: none, when: \"empty(y)\"}\n"
                "  - to: L\n    each: lines\n    rules:\n"
                "      - {to: q, from: q, when: \"^mode == full\", reverse: {to: q}}\n");
  EXPECT_EQ(run(*p, R"({"x":1,"y":""})"), R"({"a":1,"b":"none"})");
  EXPECT_EQ(run(*p, R"({"x":1})"), R"({"b":"none"})");
  EXPECT_EQ(run(*p, R"({"x":1,"y":"v"})"), R"({"a":1})");
  EXPECT_EQ(run(*p, R"({"mode":"full","lines":[{"q":2}]})"), R"({"b":"none","L":[{"q":2}]})");
  EXPECT_EQ(run(*p, R"({"mode":"part","lines":[{"q":2}]})"), R"({"b":"none","L":[{}]})");
  // the explicit reverse makes the inner rule invertible
  EXPECT_EQ(run(*p, R"({"L":[{"q":2}]})", Direction::kReverse), R"({"lines":[{"q":2}]})");
}

TEST(MappingWhen, WhenOnEachSkipsTheList) {
  auto p = plan("mapping: t\nrules:\n  - to: L\n    each: lines\n    when: \"kind == order\"\n"
                "    rules:\n      - {to: q, from: q}\n");
  EXPECT_EQ(run(*p, R"({"kind":"order","lines":[{"q":1}]})"), R"({"L":[{"q":1}]})");
  EXPECT_EQ(run(*p, R"({"kind":"quote","lines":[{"q":1}]})"), "{}");
}

TEST(MappingWhen, LoadErrors) {
  EXPECT_EQ(loadError(one("{to: a, from: x, when: \"x ~ 1\"}")),
            "t.yaml:3:28: rules[0].when: bad expression 'x ~ 1' at column 3: unexpected '~'");
  EXPECT_EQ(loadError(one("{to: a, from: x, otherwise: 1}")),
            "t.yaml:3:33: rules[0].otherwise: 'otherwise' needs 'when'");
  EXPECT_NE(loadError(one("{to: a, from: x, when: \"x > 1 2\"}")), "OK");
}

TEST(MappingWhen, WhereTakesPresentAndEmptyToo) {
  auto p = plan("mapping: t\nrules:\n  - to: L\n    each: l\n    where: \"present(x)\"\n"
                "    rules:\n      - {to: q, from: x}\n"
                "  - to: E\n    each: l\n    where: \"empty(x)\"\n    rules:\n      - {to: i, from: i}\n");
  EXPECT_EQ(run(*p, R"({"l":[{"x":1,"i":1},{"x":null,"i":2},{"x":"","i":3},{"i":4}]})"),
            R"({"L":[{"q":1},{"q":""}],"E":[{"i":2},{"i":3},{"i":4}]})");
}

TEST(MappingDateZone, LocalShanghaiToIsoAndBack) {
  auto p = plan(one("{to: modifiedAt, from: FModifyDate, date: {parse: \"yyyy-MM-dd HH:mm:ss\", "
                    "format: \"yyyy-MM-dd'T'HH:mm:ssXXX\", zone: Asia/Shanghai}}"));
  EXPECT_EQ(run(*p, R"({"FModifyDate":"2026-11-26 08:00:00"})"),
            R"({"modifiedAt":"2026-11-26T08:00:00+08:00"})");
  EXPECT_TRUE(p->nonInvertible().empty());
  // reverse: any offset is converted to Shanghai wall time
  EXPECT_EQ(run(*p, R"({"modifiedAt":"2026-11-26T00:00:00Z"})", Direction::kReverse),
            R"({"FModifyDate":"2026-11-26 08:00:00"})");
  EXPECT_EQ(run(*p, R"({"modifiedAt":"2026-11-26T08:00:00+08:00"})", Direction::kReverse),
            R"({"FModifyDate":"2026-11-26 08:00:00"})");
}

TEST(MappingDateZone, OffsetInputShownInZoneAndDst) {
  auto p = plan(one("{to: t, from: s, date: {parse: auto, format: \"yyyy-MM-dd HH:mm xxx\", "
                    "zone: America/New_York}}"));
  EXPECT_EQ(run(*p, R"({"s":"2026-07-01T12:00:00Z"})"), R"({"t":"2026-07-01 08:00 -04:00"})");
  EXPECT_EQ(run(*p, R"({"s":"2026-12-01 12:00"})"), R"({"t":"2026-12-01 12:00 -05:00"})");
  EXPECT_EQ(p->nonInvertible().size(), 1u);  // parse: auto
}

TEST(MappingDateZone, UnknownZoneIsALoadError) {
  std::string e = loadError(one("{to: t, from: s, date: {format: yyyy, zone: Mars/Olympus}}"));
  EXPECT_NE(e.find("t.yaml:3:49: rules[0].date.zone: unknown time zone \"Mars/Olympus\""),
            std::string::npos)
      << e;
}

TEST(MappingText, Split) {
  auto p = plan("mapping: t\nrules:\n"
                "  - {to: first, from: name, split: {separator: \" \", index: 0}}\n"
                "  - {to: last, from: name, split: {separator: \" \", index: -1}}\n"
                "  - {to: third, from: name, split: {separator: \" \", index: 2}, required: true}\n");
  EXPECT_EQ(run(*p, R"({"name":"张 三 丰"})"), R"({"first":"张","last":"丰","third":"丰"})");
  FieldErrors errs;
  EXPECT_NE(run(*p, R"({"name":"A B"})", Direction::kForward, &errs).find("ERR"), std::string::npos);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message, "required value is absent");
  EXPECT_EQ(p->nonInvertible().size(), 3u);
  EXPECT_EQ(run(*p, R"({"name":"1 2 3"})"), R"({"first":"1","last":"3","third":"3"})");
  auto n = plan(one("{to: a, from: n, split: {separator: \".\", index: 1}}"));
  EXPECT_EQ(run(*n, R"({"n":12.5})"), R"({"a":"5"})");  // numbers split as their text
}

TEST(MappingText, SubstringCountsCodePoints) {
  auto p = plan("mapping: t\nrules:\n"
                "  - {to: a, from: s, substring: {start: 1, length: 2}}\n"
                "  - {to: b, from: s, substring: {start: 2}}\n"
                "  - {to: c, from: s, substring: {start: 9, length: 1}}\n");
  EXPECT_EQ(run(*p, R"({"s":"深圳市南山区"})"), R"({"a":"圳市","b":"市南山区","c":""})");
  EXPECT_EQ(run(*p, R"({"s":true})").substr(0, 3), "ERR");
}

TEST(MappingText, RegexGroup) {
  auto p = plan("mapping: t\nrules:\n"
                "  - {to: code, from: s, regex: {pattern: \"\\\\[([A-Z0-9]+)\\\\]\"}}\n"
                "  - {to: all, from: s, regex: {pattern: \"[0-9]+\", group: 0}}\n");
  EXPECT_EQ(run(*p, R"({"s":"客户 [C1001] 100"})"), R"({"code":"C1001","all":"1001"})");
  EXPECT_EQ(run(*p, R"({"s":"none"})"), "{}");
  EXPECT_EQ(p->nonInvertible().size(), 2u);
  FieldErrors errs;
  std::string big = R"({"s":")" + std::string(5000, 'a') + R"("})";
  EXPECT_EQ(run(*p, big, Direction::kForward, &errs).substr(0, 3), "ERR");
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0].message, "text too long for regex (over 4096 bytes)");
}

TEST(MappingText, LoadErrors) {
  std::string e = loadError(one("{to: a, from: s, regex: {pattern: \"([a-z\"}}"));
  EXPECT_NE(e.find("t.yaml:3:39: rules[0].regex.pattern: bad regular expression '([a-z':"),
            std::string::npos)
      << e;
  EXPECT_EQ(loadError(one("{to: a, from: s, regex: {pattern: " + std::string(501, 'a') + "}}")),
            "t.yaml:3:39: rules[0].regex.pattern: a pattern longer than 500 characters");
  EXPECT_EQ(loadError(one("{to: a, from: s, regex: {pattern: \"(a)\", group: 2}}")),
            "t.yaml:3:53: rules[0].regex.group: expected an integer 0..1");
  EXPECT_EQ(loadError(one("{to: a, from: s, split: {separator: \",\"}}")),
            "t.yaml:3:29: rules[0].split: expected a map {separator, index}");
  EXPECT_EQ(loadError(one("{to: a, from: s, substring: {start: -1}}")),
            "t.yaml:3:41: rules[0].substring.start: expected an integer 0..1048576");
  EXPECT_NE(loadError(one("{to: a, from: s, split: {separator: \",\", index: 0}, trim: true, "
                          "substring: {start: 0}}"))
                .find("only one conversion per rule"),
            std::string::npos);
}

}  // namespace
}  // namespace qiao::mapping::test

namespace qiao::mapping::test {
namespace {

std::string expr(const std::string& e) {
  return "mapping: t\nrules:\n  - {to: r, expr: \"" + e + "\"}\n";
}

TEST(MappingExpr, DivisionRoundsOnceAndDivideByZeroIsAFieldError) {
  auto p = plan(expr("round(amount / qty, 2)"));
  EXPECT_EQ(run(*p, R"({"amount":"10","qty":3})"), R"({"r":3.33})");
  EXPECT_EQ(run(*p, R"({"amount":"2","qty":"3"})"), R"({"r":0.67})");
  EXPECT_EQ(run(*p, R"({"amount":"-1.005","qty":1})"), R"({"r":-1.01})");  // half-up, away from 0
  FieldErrors errs;
  EXPECT_EQ(run(*p, R"({"amount":"1","qty":"0.00"})", Direction::kForward, &errs).substr(0, 3), "ERR");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].message.find("round(amount / qty, 2): "), std::string::npos) << errs[0].message;
  auto bare = plan(expr("1 / 3 * 3"));
  EXPECT_EQ(run(*bare, "{}"), R"({"r":0.9999999999})");  // a bare / keeps 10 places
  auto prec = plan(expr("a - b / 2"));
  EXPECT_EQ(run(*prec, R"({"a":5,"b":4})"), R"({"r":3})");
}

TEST(MappingExpr, ComparisonsGiveBooleans) {
  auto p = plan("mapping: t\nrules:\n  - {to: big, expr: \"qty * price >= 1000\"}\n"
                "  - {to: same, expr: \"a == 1.50\"}\n  - {to: ne, expr: \"(a < 1) != (b > 1)\"}\n");
  EXPECT_EQ(run(*p, R"({"qty":10,"price":"100","a":"1.5","b":2})"),
            R"({"big":true,"same":true,"ne":true})");
  EXPECT_EQ(run(*p, R"({"qty":1,"price":"999.99","a":0,"b":0})"),
            R"({"big":false,"same":false,"ne":true})");
  EXPECT_EQ(p->nonInvertible().size(), 3u);
}

TEST(MappingExpr, IfEvaluatesOnlyTheChosenBranch) {
  auto p = plan(expr("round(if(qty > 0, amount / qty, 0), 2)"));
  EXPECT_EQ(run(*p, R"({"qty":4,"amount":"10"})"), R"({"r":2.5})");
  EXPECT_EQ(run(*p, R"({"qty":0,"amount":"10"})"), R"({"r":0})");  // no division by zero
  auto q = plan(expr("if(present > 0, 1, missing)"));
  EXPECT_EQ(run(*q, R"({"present":1})"), R"({"r":1})");  // the else path is never read
  FieldErrors errs;
  EXPECT_EQ(run(*q, R"({"present":0})", Direction::kForward, &errs).substr(0, 3), "ERR");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message, "is absent");
  auto nested = plan(expr("if(a > 1, if(a > 2, 3, 2), 1)"));
  EXPECT_EQ(run(*nested, R"({"a":5})"), R"({"r":3})");
  EXPECT_EQ(run(*nested, R"({"a":2})"), R"({"r":2})");
  EXPECT_EQ(run(*nested, R"({"a":0})"), R"({"r":1})");
}

TEST(MappingExpr, TypeAndSyntaxErrors) {
  FieldErrors errs;
  auto p = plan(expr("if(a, 1, 2)"));
  EXPECT_EQ(run(*p, R"({"a":1})", Direction::kForward, &errs).substr(0, 3), "ERR");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message, "if(a, 1, 2): the condition of if() is not a comparison");
  auto q = plan(expr("(a > 1) + 1"));
  EXPECT_EQ(run(*q, R"({"a":1})", Direction::kForward, &errs).substr(0, 3), "ERR");
  EXPECT_EQ(errs[0].message, "(a > 1) + 1: arithmetic on a comparison");
  EXPECT_EQ(loadError(expr("if(a > 1, 2)")),
            "t.yaml:3:19: rules[0].expr: bad expression 'if(a > 1, 2)' at column 12: if needs 3 "
            "arguments");
  EXPECT_NE(loadError(expr("max(a, b)")).find("unknown function 'max' (round, if, present,"),
            std::string::npos);
}

}  // namespace
}  // namespace qiao::mapping::test
