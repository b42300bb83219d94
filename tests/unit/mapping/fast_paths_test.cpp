// The hot-path shortcuts give the same results as the general code: date-only texts copied
// with a suffix, and targets written without looking for an existing member.
#include "helpers.h"

namespace qiao::mapping::test {
namespace {

TEST(MappingFastPaths, DateOnlyShortcutAgreesWithThePatternParser) {
  // The same conversion twice: through the shortcut, and forced through DateTimePattern by an
  // equivalent pattern spelling ('-' quoted).
  auto fast = plan("mapping: t\nrules:\n  - {to: d, from: s, date: {parse: \"yyyy-MM-dd\", "
                   "format: \"yyyy-MM-dd HH:mm:ss\"}}\n");
  auto slow = plan("mapping: t\nrules:\n  - {to: d, from: s, date: {parse: \"yyyy'-'MM'-'dd\", "
                   "format: \"yyyy-MM-dd HH:mm:ss\"}}\n");
  for (const char* s : {"2026-03-16", "2024-02-29", "2023-02-29", "2026-13-01", "2026-04-31",
                        "2026-00-10", "1899-12-31", "2000-02-29", "1900-02-29", "2026-1-5",
                        "2026/03/16", "2026-03-16x", "２０２６-03-16"}) {
    std::string in = std::string(R"({"s":")") + s + "\"}";
    FieldErrors ef, es;
    std::string a = run(*fast, in, Direction::kForward, &ef);
    std::string b = run(*slow, in, Direction::kForward, &es);
    EXPECT_EQ(a.substr(0, 3) == "ERR", b.substr(0, 3) == "ERR") << s << ": " << a << " vs " << b;
    if (a.substr(0, 3) != "ERR") EXPECT_EQ(a, b) << s;
    else {
      std::string slow_msg = es.at(0).message;  // the same words but for the pattern's spelling
      slow_msg.replace(slow_msg.find("yyyy'-'MM'-'dd"), 14, "yyyy-MM-dd");
      EXPECT_EQ(ef.at(0).message, slow_msg) << s;
    }
  }
  EXPECT_EQ(run(*fast, R"({"s":"2024-02-29"})"), R"({"d":"2024-02-29 00:00:00"})");
}

TEST(MappingFastPaths, RepeatedTargetsStillOverwrite) {
  auto p = plan("mapping: t\nrules:\n"
                "  - {to: a, from: x}\n  - {to: b.c, from: x}\n  - {to: a, from: y}\n"
                "  - {to: r, from: x, ref: N}\n  - {to: r.M, from: y}\n  - {to: r.N, from: y}\n"
                "  - to: L\n    each: l\n    rules:\n      - {to: q, from: v}\n      - {to: q, const: 1, when: \"v > 5\"}\n"
                "  - {to: \"L[0].z\", from: y}\n");
  EXPECT_EQ(run(*p, R"({"x":"X","y":"Y","l":[{"v":9},{"v":2}]})"),
            R"({"a":"Y","b":{"c":"X"},"r":{"N":"Y","M":"Y"},"L":[{"q":1,"z":"Y"},{"q":2}]})");
}

}  // namespace
}  // namespace qiao::mapping::test
