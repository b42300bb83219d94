#include "qiao/core/datetime.h"

#include <gtest/gtest.h>

#include "qiao/core/timezone.h"

namespace qiao {
namespace {

// 2026-11-26T00:00:00Z, from outside the code under test (python datetime).
constexpr int64_t k20261126Utc = 1795651200LL * 1000;
constexpr int64_t kHour = 3600 * 1000;

std::shared_ptr<const TimeZone> shanghai() {
  auto z = TimeZone::load("Asia/Shanghai");
  EXPECT_TRUE(z.ok());
  return z.ok() ? *z : TimeZone::utc();
}

TEST(Civil, CalendarBasics) {
  EXPECT_EQ(daysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(daysFromCivil(2026, 11, 26) * 86400 * 1000, k20261126Utc);
  int64_t y = 0;
  int m = 0, d = 0;
  civilFromDays(daysFromCivil(2000, 2, 29), &y, &m, &d);
  EXPECT_EQ(y, 2000);
  EXPECT_EQ(m, 2);
  EXPECT_EQ(d, 29);
  EXPECT_TRUE(isLeapYear(2000));
  EXPECT_FALSE(isLeapYear(1900));
  EXPECT_TRUE(isLeapYear(2024));
  EXPECT_EQ(daysInMonth(2026, 2), 28);
  EXPECT_EQ(daysInMonth(2028, 2), 29);
  EXPECT_EQ(weekdayOf(2026, 11, 26), 4);  // a Thursday
}

TEST(Civil, ValidateNamesTheField) {
  Status s = validate(LocalDateTime{2026, 2, 30, 0, 0, 0, 0});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("day 30 is outside 1-28 for 2026-02"), std::string::npos)
      << s.error().message;
  EXPECT_TRUE(validate(LocalDateTime{2028, 2, 29, 0, 0, 0, 0}).ok());
  EXPECT_FALSE(validate(LocalDateTime{2026, 13, 1, 0, 0, 0, 0}).ok());
  EXPECT_FALSE(validate(LocalDateTime{2026, 1, 1, 24, 0, 0, 0}).ok());
  EXPECT_FALSE(validate(LocalDateTime{2026, 1, 1, 0, 60, 0, 0}).ok());
}

// Every lenient form of the same day, read in Shanghai: midnight local = 16:00Z the day before.
TEST(ParseAuto, DateForms) {
  auto z = shanghai();
  for (const char* text : {"2026/11/26", "2026-11-26", "2026.11.26", "2026年11月26日",
                           "2026年11月26", "20261126", " 2026-11-26 "}) {
    auto r = parseInstantMs(text, *z);
    ASSERT_TRUE(r.ok()) << text << ": " << r.error().message;
    EXPECT_EQ(*r, k20261126Utc - 8 * kHour) << text;
  }
  auto p = parseDateTimeAuto("2026/1/5");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->local, (LocalDateTime{2026, 1, 5, 0, 0, 0, 0}));
  EXPECT_FALSE(p->has_offset);
}

TEST(ParseAuto, TimesOffsetsAndFractions) {
  auto z = shanghai();
  auto at = [&](const char* text) {
    auto r = parseInstantMs(text, *z);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : -1;
  };
  const int64_t eight_local = k20261126Utc;  // 08:00 Shanghai = 00:00Z
  EXPECT_EQ(at("2026-11-26 08:00:00"), eight_local);
  EXPECT_EQ(at("2026-11-26 08:00"), eight_local);
  EXPECT_EQ(at("2026/11/26 8:00:00"), eight_local);
  EXPECT_EQ(at("2026年11月26日 08:00:00"), eight_local);
  EXPECT_EQ(at("2026-11-26T08:00:00+08:00"), eight_local);
  EXPECT_EQ(at("2026-11-26T08:00:00+0800"), eight_local);
  EXPECT_EQ(at("2026-11-26T08:00:00+08"), eight_local);
  EXPECT_EQ(at("2026-11-26T00:00:00Z"), eight_local);
  EXPECT_EQ(at("2026-11-26T00:00:00z"), eight_local);
  EXPECT_EQ(at("2026-11-26T03:00:00-05:00"), eight_local + 8 * kHour);
  EXPECT_EQ(at("2026-11-26T00:00:00.5Z"), eight_local + 500);
  EXPECT_EQ(at("2026-11-26T00:00:00.123Z"), eight_local + 123);
  EXPECT_EQ(at("2026-11-26 08:00:00,250"), eight_local + 250);
  auto p = parseDateTimeAuto("2026-11-26T08:00:00.123456789+08:00");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->local.nanos, 123456789);
  EXPECT_TRUE(p->has_offset);
  EXPECT_EQ(p->offset_seconds, 8 * 3600);
  // The offset in the text wins over the zone.
  auto ny = TimeZone::load("America/New_York");
  ASSERT_TRUE(ny.ok());
  EXPECT_EQ(*parseInstantMs("2026-11-26T08:00:00+08:00", **ny), eight_local);
  EXPECT_EQ(*parseInstantMs("2026-11-26 08:00:00", **ny), eight_local + 13 * kHour);
}

TEST(ParseAuto, BadInputsQuoteTextAndForms) {
  for (const char* text : {"", "2026-02-30", "2025-02-29", "2026-13-01", "2026-11-26 24:00:00",
                           "2026-11-26 08:60", "2026-11/26", "26-11-2026", "2026-11-26 08",
                           "2026-11-26T08:00:00+25:00", "2026-11-26 08:00:00 PST", "hello",
                           "2026-11-26T08:00:00.1234567890Z", "202611260", "2026年11-26"}) {
    auto r = parseDateTimeAuto(text);
    ASSERT_FALSE(r.ok()) << text << " should not parse";
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("\"" + std::string(text) + "\""), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("expected a date 2026-11-26"), std::string::npos)
        << r.error().message;
  }
  EXPECT_NE(parseDateTimeAuto("2026-02-30").error().message.find("day 30 is outside 1-28"),
            std::string::npos);
  EXPECT_TRUE(parseDateTimeAuto("2024-02-29").ok());
}

TEST(Pattern, ParsesExplicitForms) {
  auto z = shanghai();
  auto pat = DateTimePattern::compile("yyyy-MM-dd HH:mm:ss.SSS");
  ASSERT_TRUE(pat.ok()) << pat.error().message;
  auto p = pat->parse("2026-11-26 08:00:00.250");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(*toUtcMs(*p, *z), k20261126Utc + 250);

  auto compact = DateTimePattern::compile("yyyyMMddHHmmss");
  ASSERT_TRUE(compact.ok());
  auto c = compact->parse("20261126080000");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->local, (LocalDateTime{2026, 11, 26, 8, 0, 0, 0}));

  auto cn = DateTimePattern::compile("yyyy年M月d日 H时m分");
  ASSERT_TRUE(cn.ok());
  auto q = cn->parse("2026年11月6日 8时5分");
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->local, (LocalDateTime{2026, 11, 6, 8, 5, 0, 0}));

  auto iso = DateTimePattern::compile("yyyy-MM-dd'T'HH:mm:ssXXX");
  ASSERT_TRUE(iso.ok());
  auto i = iso->parse("2026-11-26T08:00:00+08:00");
  ASSERT_TRUE(i.ok()) << i.error().message;
  EXPECT_EQ(*toUtcMs(*i, *TimeZone::utc()), k20261126Utc);

  auto us = DateTimePattern::compile("MM/dd/yy");
  ASSERT_TRUE(us.ok());
  EXPECT_EQ(us->parse("11/26/26")->local, (LocalDateTime{2026, 11, 26, 0, 0, 0, 0}));
}

TEST(Pattern, BadPatternsAndInputs) {
  auto unknown = DateTimePattern::compile("yyyy-MM-ddTHH");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown letter 'T'"), std::string::npos);
  EXPECT_FALSE(DateTimePattern::compile("yyyy-MM-dd 'unterminated").ok());
  EXPECT_FALSE(DateTimePattern::compile("MMM").ok());

  auto pat = DateTimePattern::compile("yyyy-MM-dd");
  ASSERT_TRUE(pat.ok());
  for (const char* text : {"2026/11/26", "2026-02-30", "2026-11-26x", "2026-11-"}) {
    auto r = pat->parse(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("\"" + std::string(text) + "\""), std::string::npos);
    EXPECT_NE(r.error().message.find("\"yyyy-MM-dd\""), std::string::npos);
  }
}

TEST(Format, PatternsInZones) {
  auto z = shanghai();
  auto pat = DateTimePattern::compile("yyyy/MM/dd HH:mm:ss.SSS XXX");
  ASSERT_TRUE(pat.ok());
  EXPECT_EQ(pat->format(k20261126Utc + 7, *z), "2026/11/26 08:00:00.007 +08:00");
  EXPECT_EQ(pat->format(k20261126Utc, *TimeZone::utc()), "2026/11/26 00:00:00.000 Z");
  auto ny = TimeZone::load("America/New_York");
  ASSERT_TRUE(ny.ok());
  EXPECT_EQ(pat->format(k20261126Utc, **ny), "2026/11/25 19:00:00.000 -05:00");
  auto cn = DateTimePattern::compile("yyyy年M月d日");
  ASSERT_TRUE(cn.ok());
  EXPECT_EQ(cn->format(k20261126Utc - 8 * kHour, *z), "2026年11月26日");
  auto other = DateTimePattern::compile("yy-M-d H:m:s xx Z '''T'");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->format(LocalDateTime{2026, 1, 5, 7, 8, 9, 0}, -(3 * 3600 + 1800)),
            "26-1-5 7:8:9 -0330 -0330 'T");
}

TEST(Format, Iso8601) {
  auto z = shanghai();
  EXPECT_EQ(formatIso8601(k20261126Utc, *z), "2026-11-26T08:00:00+08:00");
  EXPECT_EQ(formatIso8601(k20261126Utc + 45, *z), "2026-11-26T08:00:00.045+08:00");
  EXPECT_EQ(formatIso8601(k20261126Utc, *TimeZone::utc()), "2026-11-26T00:00:00Z");
  EXPECT_EQ(formatIso8601(-1, *TimeZone::utc()), "1969-12-31T23:59:59.999Z");
  // Round trip through the auto parser.
  EXPECT_EQ(*parseInstantMs(formatIso8601(k20261126Utc + 45, *z), *TimeZone::utc()),
            k20261126Utc + 45);
}

TEST(Excel, Serial1900) {
  auto at = [](double s) {
    auto r = fromExcelSerial(s);
    EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? toString(*r) : std::string();
  };
  EXPECT_EQ(at(1), "1900-01-01T00:00:00");
  EXPECT_EQ(at(59), "1900-02-28T00:00:00");
  EXPECT_EQ(at(61), "1900-03-01T00:00:00");
  EXPECT_EQ(at(45987), "2025-11-26T00:00:00");
  EXPECT_EQ(at(46352), "2026-11-26T00:00:00");
  EXPECT_EQ(at(45987.5), "2025-11-26T12:00:00");
  EXPECT_EQ(at(45987.75), "2025-11-26T18:00:00");
  EXPECT_EQ(at(0.25), "1899-12-31T06:00:00");  // a time-only cell
  // 08:30:15 is 30615 s; float noise rounds to the nearest millisecond.
  EXPECT_EQ(at(45987 + 30615.0 / 86400), "2025-11-26T08:30:15");
  auto fake = fromExcelSerial(60);
  ASSERT_FALSE(fake.ok());
  EXPECT_NE(fake.error().message.find("1900-02-29"), std::string::npos);
  EXPECT_FALSE(fromExcelSerial(-1).ok());
  EXPECT_FALSE(fromExcelSerial(1e9).ok());

  EXPECT_EQ(*toExcelSerial(LocalDateTime{1900, 1, 1, 0, 0, 0, 0}), 1.0);
  EXPECT_EQ(*toExcelSerial(LocalDateTime{1900, 2, 28, 0, 0, 0, 0}), 59.0);
  EXPECT_EQ(*toExcelSerial(LocalDateTime{1900, 3, 1, 0, 0, 0, 0}), 61.0);
  EXPECT_EQ(*toExcelSerial(LocalDateTime{2025, 11, 26, 12, 0, 0, 0}), 45987.5);
  EXPECT_FALSE(toExcelSerial(LocalDateTime{1899, 1, 1, 0, 0, 0, 0}).ok());
}

TEST(Excel, Serial1904) {
  auto r = fromExcelSerial(45987 - 1462, ExcelDateSystem::k1904);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(toString(*r), "2025-11-26T00:00:00");
  EXPECT_EQ(toString(*fromExcelSerial(0, ExcelDateSystem::k1904)), "1904-01-01T00:00:00");
  EXPECT_EQ(*toExcelSerial(LocalDateTime{2025, 11, 26, 0, 0, 0, 0}, ExcelDateSystem::k1904),
            45987.0 - 1462);
  // Every day from 1900-03-01 on is the same day in both systems, 1462 apart.
  for (int s = 1462; s < 60000; s += 97) {
    auto a = fromExcelSerial(s + 0.125);
    auto b = fromExcelSerial(s - 1462 + 0.125, ExcelDateSystem::k1904);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b) << s;
    EXPECT_EQ(*toExcelSerial(*a), s + 0.125);
  }
}

}  // namespace
}  // namespace qiao
