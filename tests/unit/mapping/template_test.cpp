// template: text with {path} placeholders — filling, escapes, missing fields, ^ inside each,
// load errors with file:line:column and the placeholder, one-way, --explain, introspection.
#include "helpers.h"
#include "qiao/mapping/introspect.h"

namespace qiao::mapping::test {
namespace {

std::string one(const std::string& rule) { return "mapping: t\nrules:\n  - " + rule + "\n"; }

std::string loadError(const std::string& yaml) {
  auto p = loadMappingText(yaml, "t.yaml");
  return p.ok() ? "OK" : p.error().message;
}

const char kFollowUp[] =
    R"({"record":{"orderId":"SO-1","totalAmount":"1234.50","qty":2.50,"urgent":true},)"
    R"("result":{"Id":100234,"Number":"XSDD000123"}})";

TEST(MappingTemplate, FillsPointersAndDottedPaths) {
  auto p = plan(one(
      "{to: /content, template: \"订单 {/record/orderId} 已进入 K/3，单号 {/result/Number}，"
      "金额 {/record/totalAmount} 元\"}"));
  EXPECT_EQ(run(*p, kFollowUp),
            R"({"content":"订单 SO-1 已进入 K/3，单号 XSDD000123，金额 1234.50 元"})");
  auto q = plan(one("{to: t, template: \"{record.orderId}/{result.Id}\"}"));
  EXPECT_EQ(run(*q, kFollowUp), R"({"t":"SO-1/100234"})");
}

TEST(MappingTemplate, NumbersAsWrittenBoolsAsWords) {
  auto p = plan(one("{to: t, template: \"qty={record.qty} id={result.Id} urgent={record.urgent}\"}"));
  EXPECT_EQ(run(*p, kFollowUp), R"({"t":"qty=2.50 id=100234 urgent=true"})");
}

TEST(MappingTemplate, DoubledBracesAreBraces) {
  auto p = plan(one("{to: t, template: \"{{literal}} {{{record.orderId}}} }}\"}"));
  EXPECT_EQ(run(*p, kFollowUp), R"({"t":"{literal} {SO-1} }"})");
  auto q = plan(one("{to: t, template: \"no placeholders\"}"));
  EXPECT_EQ(run(*q, "{}"), R"({"t":"no placeholders"})");
}

TEST(MappingTemplate, MissingFieldIsAFieldErrorNamingThePlaceholder) {
  auto p = plan("mapping: note\nkey: record.orderId\nrules:\n"
                "  - {to: t, template: \"单号 {result.Number}，客户 {record.customerName}\"}\n"
                "  - {to: u, const: x}\n");
  FieldErrors errs;
  std::string out = run(*p, R"({"record":{"orderId":"SO-9","customerName":null},"result":{}})",
                        Direction::kForward, &errs);
  ASSERT_EQ(errs.size(), 2u) << out;
  EXPECT_EQ(errs[0].message, "template placeholder {result.Number} is absent");
  EXPECT_EQ(errs[0].source, "result.Number");
  EXPECT_EQ(errs[0].target, "t");
  EXPECT_EQ(errs[0].business_key, "SO-9");
  EXPECT_EQ(errs[0].rule, "t.yaml:4:5 rules[0]");
  EXPECT_EQ(errs[1].message, "template placeholder {record.customerName} is absent");  // null
  EXPECT_EQ(out.rfind("ERR note: 2 field error(s)", 0), 0u) << out;
}

TEST(MappingTemplate, ObjectPlaceholderIsAFieldError) {
  auto p = plan(one("{to: t, template: \"{record}\"}"));
  FieldErrors errs;
  run(*p, kFollowUp, Direction::kForward, &errs);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message, "template placeholder {record} is an object or a list");
}

TEST(MappingTemplate, MissingEmptyWritesNothingForAbsentFields) {
  auto p = plan(one("{to: t, template: {text: \"[{a}|{b}|{c}]\", missing: empty}}"));
  EXPECT_EQ(run(*p, R"({"a":"x","c":null})"), R"({"t":"[x||]"})");
  auto q = plan(one("{to: t, template: {text: \"{a}\", missing: error}}"));
  EXPECT_EQ(run(*q, R"({})").rfind("ERR t: 1 field error(s)", 0), 0u);
}

TEST(MappingTemplate, WhenAndDefaultApply) {
  auto p = plan(one("{to: t, template: {text: \"{a}\", missing: empty}, default: 无, "
                    "when: \"present(k)\"}"));
  EXPECT_EQ(run(*p, R"({"k":1})"), R"({"t":"无"})");  // "" takes the default
  EXPECT_EQ(run(*p, R"({"a":"v"})"), "{}");
}

TEST(MappingTemplate, InsideEachWithTheEnclosingRecord) {
  auto p = plan("mapping: t\nrules:\n  - to: lines\n    each: record.lines\n    rules:\n"
                "      - {to: text, template: \"{^record.orderId} 行 {lineNo}: {materialCode}\"}\n");
  EXPECT_EQ(run(*p, R"({"record":{"orderId":"SO-1","lines":[{"lineNo":1,"materialCode":"M1"},{"lineNo":2,"materialCode":"M2"}]}})"),
            R"({"lines":[{"text":"SO-1 行 1: M1"},{"text":"SO-1 行 2: M2"}]})");
  FieldErrors errs;
  run(*p, R"({"record":{"orderId":"SO-1","lines":[{"lineNo":1},{"lineNo":2}]}})", Direction::kForward, &errs);
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[1].target, "lines[1].text");
  EXPECT_EQ(errs[1].source, "record.lines[1].materialCode");
}

TEST(MappingTemplate, OneWayWithAWarning) {
  auto p = plan(one("{to: t, template: \"{a}\"}"));
  ASSERT_EQ(p->nonInvertible().size(), 1u);
  EXPECT_EQ(p->nonInvertible()[0], "t");
  ASSERT_EQ(p->warnings().size(), 1u);
  EXPECT_NE(p->warnings()[0].find("t: template cannot be reversed"), std::string::npos) << p->warnings()[0];
  EXPECT_EQ(run(*p, R"({"t":"x"})", Direction::kReverse), "{}");
}

TEST(MappingTemplate, LoadErrorsNameThePlaceholderAndItsColumn) {
  EXPECT_EQ(loadError(one("{to: t, template: \"订单 {record.} 已审核\"}")),
            "t.yaml:3:23: rules[0].template: bad template at column 4: placeholder '{record.}': "
            "bad path 'record.' at column 8: empty key");
  EXPECT_EQ(loadError(one("{to: t, template: \"金额 {amount 元\"}")),
            "t.yaml:3:23: rules[0].template: bad template at column 4: '{' without a closing '}' "
            "(write '{{' for a brace)");
  EXPECT_EQ(loadError(one("{to: t, template: \"a } b\"}")),
            "t.yaml:3:23: rules[0].template: bad template at column 3: unmatched '}' (write '}}' for a brace)");
  EXPECT_EQ(loadError(one("{to: t, template: \"x {}\"}")),
            "t.yaml:3:23: rules[0].template: bad template at column 3: empty placeholder '{}'");
  EXPECT_EQ(loadError(one("{to: t, template: \"{a{b}\"}")),
            "t.yaml:3:23: rules[0].template: bad template at column 1: '{' inside the placeholder '{a{b}'");
  EXPECT_EQ(loadError(one("{to: t, template: \"{/a/~2}\"}")),
            "t.yaml:3:23: rules[0].template: bad template at column 1: placeholder '{/a/~2}': "
            "bad path '/a/~2' at column 4: '~' must be followed by 0 or 1");
}

TEST(MappingTemplate, LoadErrorsOfTheRule) {
  EXPECT_EQ(loadError(one("{to: t, template: \"\"}")),
            "t.yaml:3:23: rules[0].template: expected a non-empty text such as '订单 {orderId} 已审核'");
  EXPECT_EQ(loadError(one("{to: t, template: {text: \"{a}\", missing: skip}}")),
            "t.yaml:3:46: rules[0].template.missing: expected error or empty");
  EXPECT_EQ(loadError(one("{to: t, template: {txt: \"{a}\"}}")),
            "t.yaml:3:24: rules[0].template: unknown key 'txt'; did you mean 'text'?\n"
            "t.yaml:3:23: rules[0].template: expected a text or a map {text, missing}");
  EXPECT_EQ(loadError(one("{to: t, from: a, template: \"{a}\"}")),
            "t.yaml:3:19: rules[0].from: a template reads its own fields; remove 'from'");
  EXPECT_EQ(loadError(one("{to: t, concat: [a], template: \"{a}\"}")),
            "t.yaml:3:36: rules[0].template: only one conversion per rule");
  // A long multi-line template in block style reports the line of the text.
  EXPECT_EQ(loadError("mapping: t\nrules:\n  - to: t\n    template: |\n      第一行 {a}\n      第二行 {b.}\n"),
            "t.yaml:4:15: rules[0].template: bad template at line 2, column 5: placeholder '{b.}': "
            "bad path 'b.' at column 3: empty key");
}

TEST(MappingTemplate, ExplainAndSourceFields) {
  auto p = plan("mapping: t\nrules:\n  - {to: t, template: {text: \"{orderId} {^x} {a.b} {/record/id}\", missing: empty}}\n");
  auto fields = sourceFields(*p);
  ASSERT_EQ(fields.size(), 1u);  // only top-level, non-^ fields are columns
  EXPECT_EQ(fields[0].path, "orderId");
  Document in, out;
  ASSERT_TRUE(parseJson(R"({"orderId":"SO-1","a":{"b":2},"record":{"id":"r"}})", in).ok());
  Trace trace;
  ASSERT_TRUE(apply(*p, in.root(), out, Direction::kForward, nullptr, &trace).ok());
  EXPECT_EQ(toJson(out.root()), R"({"t":"SO-1  2 r"})");  // ^x outside each: absent
  ASSERT_EQ(trace.size(), 1u);
  EXPECT_EQ(trace[0].how, "template");
  ASSERT_EQ(trace[0].sources.size(), 4u);  // every placeholder read, in order
  EXPECT_EQ(trace[0].value, R"("SO-1  2 r")");
}

}  // namespace
}  // namespace qiao::mapping::test
