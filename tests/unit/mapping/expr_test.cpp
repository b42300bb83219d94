// The expression language: and/or/not and their precedence, string literals and functions in
// expr, when and where, and load errors with their position.
#include "helpers.h"

namespace qiao::mapping::test {
namespace {

std::string expr(const std::string& e) {
  return "mapping: t\nrules:\n  - {to: r, expr: \"" + e + "\"}\n";
}
std::string loadError(const std::string& yaml) {
  auto p = loadMappingText(yaml, "t.yaml");
  return p.ok() ? "OK" : p.error().message;
}
std::string eval(const std::string& e, const std::string& json) {
  auto p = plan(expr(e));
  return p ? run(*p, json) : "NOPLAN";
}

TEST(MappingExprLogic, AndOrNotWithPrecedence) {
  // not binds tighter than and, and tighter than or: a or (b and (not c))
  EXPECT_EQ(eval("a > 0 or b > 0 and not c > 0", R"({"a":1,"b":0,"c":1})"), R"({"r":true})");
  EXPECT_EQ(eval("a > 0 or b > 0 and not c > 0", R"({"a":0,"b":1,"c":1})"), R"({"r":false})");
  EXPECT_EQ(eval("a > 0 or b > 0 and not c > 0", R"({"a":0,"b":1,"c":0})"), R"({"r":true})");
  EXPECT_EQ(eval("(a > 0 or b > 0) and c > 0", R"({"a":1,"b":0,"c":0})"), R"({"r":false})");
  EXPECT_EQ(eval("a > 0 && !(b > 0) || c > 5", R"({"a":1,"b":0,"c":0})"), R"({"r":true})");
  EXPECT_EQ(eval("not not a > 0", R"({"a":1})"), R"({"r":true})");
}

TEST(MappingExprLogic, ShortCircuitSkipsTheOtherSide) {
  // the right side would be a field error (absent): never evaluated
  EXPECT_EQ(eval("a > 0 or missing > 1", R"({"a":1})"), R"({"r":true})");
  EXPECT_EQ(eval("a > 0 and missing > 1", R"({"a":0})"), R"({"r":false})");
  FieldErrors errs;
  auto p = plan(expr("a > 0 and missing > 1"));
  EXPECT_EQ(run(*p, R"({"a":1})", Direction::kForward, &errs).substr(0, 3), "ERR");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].source, "missing");
  EXPECT_EQ(errs[0].message, "is absent");
}

TEST(MappingExprText, StringFunctions) {
  const std::string in = R"({"name":"  Acme Ltd ","code":"c-001","city":"上海市","n":12.50})";
  EXPECT_EQ(eval("trim(name)", in), R"({"r":"Acme Ltd"})");
  EXPECT_EQ(eval("upper(code)", in), R"({"r":"C-001"})");
  EXPECT_EQ(eval("lower(upper(code))", in), R"({"r":"c-001"})");
  EXPECT_EQ(eval("len(city)", in), R"({"r":3})");  // code points, not bytes
  EXPECT_EQ(eval("len(trim(name)) + 1", in), R"({"r":9})");
  EXPECT_EQ(eval("substr(city, 0, 2)", in), R"({"r":"上海"})");
  EXPECT_EQ(eval("substr(code, 2)", in), R"({"r":"001"})");
  EXPECT_EQ(eval("concat(upper(code), '/', city, '/', n)", in), R"({"r":"C-001/上海市/12.50"})");
  EXPECT_EQ(eval("contains(name, 'Acme')", in), R"({"r":true})");
  EXPECT_EQ(eval("startsWith(code, 'c-')", in), R"({"r":true})");
  EXPECT_EQ(eval("endsWith(code, '002')", in), R"({"r":false})");
  EXPECT_EQ(eval("code == 'c-001'", in), R"({"r":true})");
  EXPECT_EQ(eval("if(startsWith(code, 'c'), 'CRM', 'other')", in), R"({"r":"CRM"})");
  EXPECT_EQ(eval("concat('a\\\\'b')", "{}"), R"({"r":"a'b"})");  // backslash escapes
}

TEST(MappingExprText, PresentAndEmptyInExpr) {
  EXPECT_EQ(eval("if(present(b), concat(a, '-', b), a)", R"({"a":"x"})"), R"({"r":"x"})");
  EXPECT_EQ(eval("if(present(b), concat(a, '-', b), a)", R"({"a":"x","b":"y"})"), R"({"r":"x-y"})");
  EXPECT_EQ(eval("empty(b) or b == ''", R"({"b":""})"), R"({"r":true})");
}

TEST(MappingExprText, ArithmeticOnTextThatIsNotANumberNamesTheField) {
  auto p = plan(expr("qty * 2"));
  FieldErrors errs;
  EXPECT_EQ(run(*p, R"({"qty":"abc"})", Direction::kForward, &errs).substr(0, 3), "ERR");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].source, "qty");
  EXPECT_EQ(errs[0].value, "\"abc\"");
  EXPECT_EQ(errs[0].message, "is not a decimal number");
  auto q = plan(expr("upper(a) * 2"));
  EXPECT_EQ(run(*q, R"({"a":"x"})", Direction::kForward, &errs).substr(0, 3), "ERR");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message, "upper(a) * 2: 'X' is not a decimal number");
}

TEST(MappingConditions, WhenWithAndOrNotAndFunctions) {
  auto p = plan("mapping: t\nrules:\n"
                "  - {to: vip, const: true, when: \"grade == A and not empty(phone)\"}\n"
                "  - {to: sh, const: true, when: \"startsWith(city, '上海') or province == 上海\"}\n"
                "  - {to: long, from: name, when: \"len(name) > 4 and name != 'Acme Ltd'\"}\n");
  EXPECT_EQ(run(*p, R"({"grade":"A","phone":"138","city":"上海市","name":"Zhang San"})"),
            R"({"vip":true,"sh":true,"long":"Zhang San"})");
  EXPECT_EQ(run(*p, R"({"grade":"A","phone":"","province":"上海","name":"Acme Ltd"})"),
            R"({"sh":true})");
  EXPECT_EQ(run(*p, R"({"grade":"B"})"), "{}");  // absent fields: comparisons are false
}

TEST(MappingConditions, OldFormsKeepTheirMeaning) {
  auto p = plan("mapping: t\nrules:\n"
                "  - {to: a, from: x, when: \"x != 0\"}\n"        // decimals by value
                "  - {to: b, from: d, when: \"d >= 2026-01-01\"}\n"  // a bare word literal
                "  - {to: c, from: s, when: \"s == on-hold\"}\n");
  EXPECT_EQ(run(*p, R"({"x":"0.00","d":"2026-03-01","s":"on-hold"})"),
            R"({"b":"2026-03-01","c":"on-hold"})");
  EXPECT_EQ(run(*p, R"({"x":"1","d":"2025-12-31"})"), R"({"a":"1"})");
}

TEST(MappingConditions, WhereWithAndQuotedTextAndFieldComparison) {
  auto p = plan("mapping: t\nrules:\n  - to: L\n    each: lines\n"
                "    where: \"qty > 0 and status != 'on hold' and qty <= $.maxQty\"\n"
                "    rules:\n      - {to: q, from: qty}\n");
  EXPECT_EQ(run(*p, R"({"lines":[{"qty":1,"status":"ok","maxQty":5},{"qty":2,"status":"on hold","maxQty":5},)"
                    R"({"qty":9,"maxQty":5},{"qty":0,"maxQty":5},{"qty":3}]})"),
            R"({"L":[{"q":1}]})");
}

TEST(MappingConditions, LoadErrorsSayWhere) {
  EXPECT_EQ(loadError("mapping: t\nrules:\n  - {to: a, from: x, when: \"qty\"}\n"),
            "t.yaml:3:28: rules[0].when: bad expression 'qty' at column 1: a condition must "
            "compare (== != < <= > >=), test (present, empty, contains, startsWith, endsWith) or "
            "combine them (and, or, not)");
  EXPECT_EQ(loadError("mapping: t\nrules:\n  - {to: a, from: x, when: \"a > 1 and b\"}\n"),
            "t.yaml:3:28: rules[0].when: bad expression 'a > 1 and b' at column 12: and needs a "
            "condition, not a value");
  EXPECT_EQ(loadError("mapping: t\nrules:\n  - {to: a, from: x, when: \"a > 1 and\"}\n"),
            "t.yaml:3:28: rules[0].when: bad expression 'a > 1 and' at column 10: expression ends "
            "too early");
  EXPECT_EQ(loadError(expr("upper(a, b)")),
            "t.yaml:3:19: rules[0].expr: bad expression 'upper(a, b)' at column 8: expected ')'");
  EXPECT_EQ(loadError(expr("concat('a)")),
            "t.yaml:3:19: rules[0].expr: bad expression 'concat('a)' at column 11: unterminated text");
  EXPECT_EQ(loadError(expr("a < b < c")),
            "t.yaml:3:19: rules[0].expr: bad expression 'a < b < c' at column 7: one comparison at a "
            "time: add parentheses");
  EXPECT_EQ(loadError(expr("not a")),
            "t.yaml:3:19: rules[0].expr: bad expression 'not a' at column 6: not needs a condition, "
            "not a value");
  EXPECT_EQ(loadError(expr("substr(a, x)")),
            "t.yaml:3:19: rules[0].expr: bad expression 'substr(a, x)' at column 11: substr's start "
            "must be an integer 0..1048576");
  std::string deep(200, '(');
  EXPECT_NE(loadError(expr(deep + "1" + std::string(200, ')'))).find("nested too deeply"),
            std::string::npos);
}

}  // namespace
}  // namespace qiao::mapping::test
