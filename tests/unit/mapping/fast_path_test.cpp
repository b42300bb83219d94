// The compiled fast path (mappings/engine/src/fast.h) against the general applier: apply() takes
// the general way whenever a trace is asked for, so mapping each record with and without a
// trace must give the same document, the same status and the same field errors.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fast.h"
#include "helpers.h"

namespace qiao::mapping::test {
namespace {

struct Outcome {
  bool ok = false;
  std::string json, message;
  std::vector<std::string> errors;
};

Outcome mapOnce(const MappingPlan& p, Value in, Direction d, bool general,
                const XrefResolver* xref = nullptr) {
  Document out;
  FieldErrors errs;
  Trace trace;
  ApplyOptions o;
  o.xref = xref;
  o.errors = &errs;
  o.trace = general ? &trace : nullptr;
  Status s = apply(p, in, out, d, o);
  Outcome r;
  r.ok = s.ok();
  r.message = s.ok() ? "" : s.error().message;
  r.json = toJson(out.root());
  for (const auto& e : errs) r.errors.push_back(e.toString());
  return r;
}

// Maps in both ways and expects the same; returns the fast outcome.
Outcome agree(const MappingPlan& p, Value in, Direction d = Direction::kForward,
              const std::string& what = "") {
  Outcome fast = mapOnce(p, in, d, false), general = mapOnce(p, in, d, true);
  EXPECT_EQ(fast.ok, general.ok) << what << "\n" << toJson(in);
  EXPECT_EQ(fast.json, general.json) << what << "\n" << toJson(in);
  EXPECT_EQ(fast.message, general.message) << what;
  EXPECT_EQ(fast.errors, general.errors) << what;
  return fast;
}

Outcome agreeText(const MappingPlan& p, const std::string& json,
                  Direction d = Direction::kForward) {
  Document in;
  EXPECT_TRUE(parseJson(json, in).ok()) << json;
  return agree(p, in.root(), d, json);
}

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const std::string kStd = QIAO_STANDARD_MAPPINGS;

std::vector<std::string> orderLines() {
  std::vector<std::string> lines;
  std::istringstream in(readFile(kStd + "/fixtures/orders.ndjson"));
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  return lines;
}

TEST(MappingFastPath, TheStandardOrderMappingIsCompiledAndAgreesOnEveryFixtureOrder) {
  auto p = loadMapping(kStd + "/crm_order_to_k3_sale_order.yaml");
  ASSERT_TRUE(p.ok());
  ASSERT_NE((*p)->data().fast_forward, nullptr);  // else this test compares general with general
  auto lines = orderLines();
  ASSERT_GE(lines.size(), 10u);
  std::istringstream expected(readFile(kStd + "/fixtures/expected.ndjson"));
  for (const auto& l : lines) {
    Outcome o = agreeText(**p, l);
    std::string want;
    std::getline(expected, want);
    EXPECT_TRUE(o.ok) << o.message;
    EXPECT_EQ(o.json, want);
    // And back (reverse has no fast program when a target is written twice; agree either way).
    Document fwd;
    ASSERT_TRUE(parseJson(o.json, fwd).ok());
    agree(**p, fwd.root(), Direction::kReverse, "reverse of " + l.substr(0, 40));
  }
}

TEST(MappingFastPath, EveryStandardMappingAgreesOnItsFixtures) {
  int compiled = 0, files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kStd)) {
    if (entry.path().extension() != ".yaml") continue;
    const std::string name = entry.path().stem().string();
    auto p = loadMapping(entry.path().string());
    ASSERT_TRUE(p.ok()) << name << ": " << p.error().message;
    compiled += (*p)->data().fast_forward != nullptr;
    std::string input = kStd + "/fixtures/" + name + "/input.json";
    if (!std::filesystem::exists(input)) continue;
    ++files;
    Document in;
    ASSERT_TRUE(parseJson(readFile(input), in).ok()) << input;
    for (size_t i = 0; i < in.root().size(); ++i) {
      Outcome o = agree(**p, in.root().at(i), Direction::kForward, name);
      Document fwd;
      ASSERT_TRUE(parseJson(o.json, fwd).ok());
      agree(**p, fwd.root(), Direction::kReverse, name + " reverse");
    }
  }
  EXPECT_GE(files, 7);
  EXPECT_GE(compiled, 5);  // most standard mappings take the fast path
}

// Every field of a fixture order removed, nulled, emptied or given an odd value: the fast path
// either maps it exactly as the general one or hands the record over (errors included).
TEST(MappingFastPath, MutatedOrdersAgree) {
  auto p = loadMapping(kStd + "/crm_order_to_k3_sale_order.yaml");
  ASSERT_TRUE(p.ok());
  const std::vector<std::string> odd = {
      "null", "\"\"", "\"  padded  \"", "0", "-0", "12.30", "1E3", "\"0.00\"", "\"-0.50\"",
      "\"1,234.50\"", "\"¥1,234.50\"", "\"007\"", "\"abc\"", "true", "{\"FNumber\":\"x\"}", "[1,2]",
      "\"2026-02-30\"", "\"2026-02-25T24:00:00+08:00\"", "\"2026-02-25 04:18:25\"",
      "\"2026-02-25T04:18:25Z\"", "\"2026-02-25T04:18:25.5+08:00\"", "\"2026-02-25T04:18:25+19:00\"",
      "\"CNY\"", "\"XXX\"", "\"Y\"", "\"N\"", "\"approved\"", "123456789012345678901234567890"};
  Document base;
  ASSERT_TRUE(parseJson(orderLines().at(0), base).ok());
  Value order = base.root();
  int checked = 0;
  for (size_t f = 0; f < order.size(); ++f) {
    for (int variant = -1; variant < static_cast<int>(odd.size()); ++variant) {
      // Rebuild the order with field f removed (-1) or replaced.
      std::string json = "{";
      bool first = true;
      for (size_t k = 0; k < order.size(); ++k) {
        if (k == f && variant < 0) continue;
        json += first ? "" : ",";
        first = false;
        json += "\"" + std::string(order.keyAt(k)) + "\":";
        json += k == f ? odd[static_cast<size_t>(variant)] : toJson(order.valueAt(k));
      }
      json += "}";
      agreeText(**p, json);
      ++checked;
    }
  }
  // The same for the fields of a line.
  Value line = order["lines"].at(0);
  for (size_t f = 0; f < line.size(); ++f) {
    for (const auto& v : odd) {
      Document d;
      d.root().copyFrom(order);
      Value l = d.root().set("lines").at(0);
      Document val;
      ASSERT_TRUE(parseJson(v, val).ok());
      l.set(line.keyAt(f)).copyFrom(val.root());
      agree(**p, d.root(), Direction::kForward, std::string(line.keyAt(f)) + " = " + v);
      ++checked;
    }
  }
  EXPECT_GT(checked, 500);
}

// round(a * b, 2) and friends in 128-bit fixed point give Decimal's results, and hand anything
// out of range (many digits, exponents, lenient text) to the general evaluator.
TEST(MappingFastPath, ArithmeticAgreesWithDecimal) {
  auto p = plan("mapping: t\nrules:\n"
                "  - {to: m, expr: \"round(a * b, 2)\"}\n"
                "  - {to: s, expr: \"a + b - c\"}\n"
                "  - {to: n, expr: \"-a * 3.5 + 0.25\"}\n"
                "  - {to: r, expr: \"round(c, 0)\"}\n"
                "  - {to: x, expr: \"a * b * c\"}\n"
                "  - {to: d, expr: \"round(a - b, 4)\"}\n");
  ASSERT_NE(p, nullptr);
  ASSERT_NE(p->data().fast_forward, nullptr);
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return seed;
  };
  auto number = [&]() -> std::string {
    int digits = 1 + static_cast<int>(next() % 21), scale = static_cast<int>(next() % 12);
    std::string t;
    for (int i = 0; i < digits; ++i) t += static_cast<char>('0' + next() % 10);
    while (t.size() > 1 && t[0] == '0') t.erase(0, 1);
    if (scale > 0) {
      while (static_cast<int>(t.size()) <= scale) t.insert(0, "0");
      t.insert(t.size() - static_cast<size_t>(scale), ".");
    }
    if (next() % 3 == 0) t.insert(0, "-");
    switch (next() % 8) {
      case 0: return t;                     // JSON number
      case 1: return "\"" + t + "0\"";      // trailing zero
      case 2: return "\"1E" + std::to_string(next() % 5) + "\"";
      case 3: return "\" " + t + "\"";      // lenient text
      default: return "\"" + t + "\"";
    }
  };
  for (int i = 0; i < 3000; ++i)
    agreeText(*p, "{\"a\":" + number() + ",\"b\":" + number() + ",\"c\":" + number() + "}");
  // Ties round away from zero; results drop trailing zeros; a zero prints as 0.
  EXPECT_EQ(agreeText(*p, R"({"a":"0.5","b":"0.01","c":"-2.5"})").json,
            R"({"m":0.01,"s":3.01,"n":-1.5,"r":-3,"x":-0.0125,"d":0.49})");
  EXPECT_EQ(agreeText(*p, R"({"a":"0","b":"0.00","c":"0.000"})").json,
            R"({"m":0,"s":0,"n":0.25,"r":0,"x":0,"d":0})");
  // Absent or wrong operands are the general path's field errors.
  EXPECT_FALSE(agreeText(*p, R"({"a":"1","b":"x","c":"1"})").ok);
  EXPECT_FALSE(agreeText(*p, R"({"a":"1","c":"1"})").ok);
}

TEST(MappingFastPath, PlainDecimalsAgreeWithDecimal) {
  auto p = plan("mapping: t\nrules:\n  - {to: d, from: s, decimal: {}}\n");
  ASSERT_NE(p, nullptr);
  for (const char* s : {"0", "-0", "0.00", "-0.00", "0.50", "-0.050", "0.", ".5", "00.5", "0.1e2",
                        "0.000000000000000000000000000001", "0.0000000000000000000000000000001",
                        "12.30", "-12.3000", "100", "100.0", "1,234.50", "¥12", " 1", "1e2", "-",
                        "0.-1", "0x10", ""}) {
    agreeText(*p, std::string(R"({"s":")") + s + "\"}");
  }
  for (const char* n : {"0", "-0", "0.00", "-0.00", "0.50", "-0.050", "12.30", "100.0", "1e2",
                        "0.1e2", "-12.3000"})
    agreeText(*p, std::string(R"({"s":)") + n + "}");  // JSON numbers
  EXPECT_EQ(agreeText(*p, R"({"s":"-0.00"})").json, R"({"d":0})");
  EXPECT_EQ(agreeText(*p, R"({"s":"-0.050"})").json, R"({"d":-0.05})");
}

TEST(MappingFastPath, AutoDatesAgreeWithTheParser) {
  auto p = plan("mapping: t\nrules:\n"
                "  - {to: d, from: s, date: {parse: auto, format: \"yyyy-MM-dd HH:mm:ss\"}}\n");
  ASSERT_NE(p, nullptr);
  for (const char* s :
       {"2026-02-25T04:18:25+08:00", "2026-02-25T04:18:25Z", "2026-02-25T04:18:25",
        "2026-02-25T04:18:25-05:30", "2026-02-25T23:59:59+14:59", "2026-02-25T24:00:00+08:00",
        "2026-02-25T04:60:25+08:00", "2026-02-25T04:18:60+08:00", "2026-02-25T04:18:25+19:00",
        "2026-02-25T04:18:25+18:00", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z",
        "1899-12-31T00:00:00Z", "2026-02-25t04:18:25Z", "2026-02-25 04:18:25", "2026-02-25",
        "2026-02-25T04:18:25.123+08:00", "2026-02-25T04:18:25+0800", "2026-02-25T04:18:25z",
        "2026-02-25T04:18+08:00", "x026-02-25T04:18:25Z", "2026-02-25T04:18:25+08:0"}) {
    agreeText(*p, std::string(R"({"s":")") + s + "\"}");
  }
  EXPECT_EQ(agreeText(*p, R"({"s":"2026-02-25T04:18:25+08:00"})").json,
            R"({"d":"2026-02-25 04:18:25"})");
}

// Every other kind of rule (conditions, concat, text transforms, the text conversions, ref and
// its reverse, lookup without a resolver) over inputs that hit and miss each of them.
TEST(MappingFastPath, EveryRuleKindAgrees) {
  auto p = plan(
      "mapping: t\nvalue_maps:\n  big: {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}\n"
      "rules:\n"
      "  - {to: w.big, from: x, when: \"x >= 100\"}\n"
      "  - {to: w.kind, from: t, when: \"t == VIP\", otherwise: normal}\n"
      "  - {to: w.has, const: yes, when: \"present(y) and not empty(y)\"}\n"
      "  - {to: c, concat: [a, b, x], separator: \"-\"}\n"
      "  - {to: tr, from: s, trim: true, upper: true}\n"
      "  - {to: hw, from: s, halfwidth: true, lower: true}\n"
      "  - {to: n, from: a, number: true}\n"
      "  - {to: st, from: x, string: true}\n"
      "  - {to: bo, from: f, bool: {true: \"Y\", false: \"N\"}}\n"
      "  - {to: sp, from: s, split: {separator: \" \", index: -1}}\n"
      "  - {to: sub, from: s, substring: {start: 1, length: 2}}\n"
      "  - {to: re, from: s, regex: {pattern: \"[0-9]+\", group: 0}}\n"
      "  - {to: m, from: code, map: {table: big, strict: true}}\n"
      "  - {to: dz, from: dt, date: {parse: auto, format: \"yyyy-MM-dd'T'HH:mm:ssXXX\", zone: Asia/Shanghai}}\n"
      "  - {to: dx, from: serial, date: {parse: excel1900, format: \"yyyy-MM-dd\"}}\n"
      "  - {to: ds, from: amount, decimal: {scale: 2, as: string, grouping: \",\"}}\n"
      "  - {to: u, from: obj, ref: FNumber}\n"
      "  - {to: e, expr: \"if(x > 5, upper(s), concat(a, b))\"}\n"
      "  - {to: L, each: l, where: \"v > 1\", rules: [{to: q, from: v}, {to: p, from: ^t}]}\n");
  ASSERT_NE(p, nullptr);
  ASSERT_NE(p->data().fast_forward, nullptr);
  const char* records[] = {
      R"({"x":150,"t":"VIP","y":"z","a":"1.5","b":"b","s":"  ＡＢ 12 cd ","f":"Y","code":"c",)"
      R"("dt":"2026-03-01T10:00:00Z","serial":45000,"amount":"1234.567","obj":{"k":1},)"
      R"("l":[{"v":2},{"v":1},{"v":"x"}]})",
      R"({"x":3,"t":"x","y":"","a":7,"f":"N","code":"zz","s":"one","l":[]})",
      R"({"x":"150","s":null,"f":"maybe","code":5,"dt":"bad","serial":"x","amount":"x"})",
      R"({"a":{"o":1},"b":[1],"s":12,"f":true,"l":{"v":2}})",
      R"({"x":null,"t":null,"a":null,"l":[{"v":5,"t":"inner"}],"t2":1})",
  };
  for (const char* r : records) agreeText(*p, r);
  // Reverse of ref (unwrap) and of the value map, where it has one.
  for (const char* r : {R"({"u":{"FNumber":"X"},"m":"3"})", R"({"u":"not an object"})",
                        R"({"u":{"Other":1}})", R"({"u":null})"})
    agreeText(*p, r, Direction::kReverse);
  // lookup without a resolver: a field error either way.
  auto q = plan("mapping: t\nrules:\n  - {to: id, from: c, lookup: {entity: customer, system: k3}}\n");
  ASSERT_NE(q, nullptr);
  EXPECT_FALSE(agreeText(*q, R"({"c":"C1"})").ok);
  EXPECT_TRUE(agreeText(*q, R"({"d":"C1"})").ok);
}

// The position hints learnt on one record layout must not change another layout's result.
TEST(MappingFastPath, FieldOrderAndMissingFieldsDoNotMatter) {
  auto p = plan("mapping: t\nrules:\n"
                "  - {to: a, from: x}\n  - {to: b.c, from: [y, z]}\n  - {to: b.d, from: z, ref: N}\n"
                "  - to: L\n    each: l\n    rules:\n      - {to: q, from: v}\n"
                "      - {to: w, from: [u, ^x], default: none}\n");
  ASSERT_NE(p, nullptr);
  ASSERT_NE(p->data().fast_forward, nullptr);
  const char* records[] = {
      R"({"x":1,"y":2,"z":3,"l":[{"v":1,"u":2},{"u":3},{"v":4}]})",
      R"({"l":[{"u":2,"v":1},{"v":5}],"z":3,"y":2,"x":"1"})",
      R"({"z":null,"x":1,"l":[]})",
      R"({"y":"","l":[{"v":{"deep":[1]}}]})",
      R"({"x":1,"y":2,"z":3,"l":null})",
  };
  for (int round = 0; round < 3; ++round)
    for (const char* r : records) agreeText(*p, r);
}

TEST(MappingFastPath, TheOutputOutlivesThePlan) {
  auto p = plan("mapping: t\nrules:\n  - {to: a.b, const: kept}\n  - {to: c, from: x, ref: FNumber}\n"
                "  - {to: d, from: m, map: {table: {A: long-enough-to-be-on-the-heap}}}\n");
  ASSERT_NE(p, nullptr);
  Document in, out;
  ASSERT_TRUE(parseJson(R"({"x":"v","m":"A"})", in).ok());
  ASSERT_TRUE(apply(*p, in.root(), out, Direction::kForward).ok());
  p.reset();  // the last owner of the plan: its keys and texts must live on in the output
  EXPECT_EQ(toJson(out.root()),
            R"({"a":{"b":"kept"},"c":{"FNumber":"v"},"d":"long-enough-to-be-on-the-heap"})");
}

}  // namespace
}  // namespace qiao::mapping::test
