#include "qiao/core/cron.h"

#include <gtest/gtest.h>
#include <time.h>

namespace qiao {
namespace {

// UTC ms for a calendar time.
int64_t utc(int y, int mon, int d, int h, int mi, int s = 0) {
  struct tm t {};
  t.tm_year = y - 1900;
  t.tm_mon = mon - 1;
  t.tm_mday = d;
  t.tm_hour = h;
  t.tm_min = mi;
  t.tm_sec = s;
  return static_cast<int64_t>(timegm(&t)) * 1000;
}

CronExpr cron(const char* text) {
  auto r = parseCron(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : CronExpr{};
}

std::string parseError(const char* text) {
  auto r = parseCron(text);
  EXPECT_FALSE(r.ok()) << text << " should not parse";
  return r.ok() ? "" : r.error().message;
}

TEST(CronParse, RejectsWrongFieldCount) {
  EXPECT_NE(parseError("* * * *").find("expected 5 fields"), std::string::npos);
  EXPECT_NE(parseError("* * * * * * *").find("got 7"), std::string::npos);
  EXPECT_NE(parseError("").find("got 0"), std::string::npos);
}

TEST(CronParse, NamesTheBadFieldAndWhy) {
  std::string m = parseError("61 * * * *");
  EXPECT_NE(m.find("'minute'"), std::string::npos) << m;
  EXPECT_NE(m.find("61 is out of range 0-59"), std::string::npos) << m;
  m = parseError("0 24 * * *");
  EXPECT_NE(m.find("'hour'"), std::string::npos) << m;
  m = parseError("0 0 0 * *");
  EXPECT_NE(m.find("'day-of-month'"), std::string::npos) << m;
  EXPECT_NE(m.find("out of range 1-31"), std::string::npos) << m;
  m = parseError("0 0 * FOO *");
  EXPECT_NE(m.find("'month'"), std::string::npos) << m;
  m = parseError("0 0 * * 8");
  EXPECT_NE(m.find("'day-of-week'"), std::string::npos) << m;
  m = parseError("*/0 * * * *");
  EXPECT_NE(m.find("step must be at least 1"), std::string::npos) << m;
  m = parseError("5-3 * * * *");
  EXPECT_NE(m.find("backwards"), std::string::npos) << m;
  m = parseError("1,,2 * * * *");
  EXPECT_NE(m.find("empty list item"), std::string::npos) << m;
  m = parseError("60 * * * * *");
  EXPECT_NE(m.find("'second'"), std::string::npos) << m;
  m = parseError("a * * * *");
  EXPECT_NE(m.find("not a number"), std::string::npos) << m;
}

TEST(CronParse, ListsRangesStepsAndNames) {
  CronExpr e = cron("1-10/3,30 */6 1,15 JAN-mar MON-FRI");
  for (int m : {1, 4, 7, 10, 30}) EXPECT_TRUE(e.minutes[m]) << m;
  for (int m : {0, 2, 11, 31}) EXPECT_FALSE(e.minutes[m]) << m;
  for (int h : {0, 6, 12, 18}) EXPECT_TRUE(e.hours[h]) << h;
  EXPECT_FALSE(e.hours[5]);
  EXPECT_TRUE(e.days[1]);
  EXPECT_TRUE(e.days[15]);
  EXPECT_FALSE(e.days[2]);
  EXPECT_TRUE(e.months[1] && e.months[2] && e.months[3]);
  EXPECT_FALSE(e.months[4]);
  EXPECT_TRUE(e.weekdays[1] && e.weekdays[5]);
  EXPECT_FALSE(e.weekdays[0] || e.weekdays[6]);
  EXPECT_TRUE(e.seconds[0]);
  EXPECT_FALSE(e.seconds[1]);
  EXPECT_FALSE(e.days_star);
  EXPECT_FALSE(e.weekdays_star);
}

TEST(CronParse, SevenIsSunday) {
  CronExpr e = cron("0 0 * * 7");
  EXPECT_TRUE(e.weekdays[0]);
  CronExpr r = cron("0 0 * * 5-7");
  EXPECT_TRUE(r.weekdays[5] && r.weekdays[6] && r.weekdays[0]);
  EXPECT_FALSE(r.weekdays[1]);
}

TEST(CronNext, EveryFiveMinutesUtc) {
  CronExpr e = cron("*/5 * * * *");
  EXPECT_EQ(nextRunMs(e, utc(2024, 1, 1, 0, 3, 10), "UTC"), utc(2024, 1, 1, 0, 5));
  // Strictly after: a fire time itself is not returned again.
  EXPECT_EQ(nextRunMs(e, utc(2024, 1, 1, 0, 5), "UTC"), utc(2024, 1, 1, 0, 10));
  EXPECT_EQ(nextRunMs(e, utc(2024, 1, 1, 0, 5) - 1, "UTC"), utc(2024, 1, 1, 0, 5));
  // Carries across the year end.
  EXPECT_EQ(nextRunMs(e, utc(2023, 12, 31, 23, 59, 59), "UTC"), utc(2024, 1, 1, 0, 0));
}

TEST(CronNext, ShanghaiWallClock) {
  CronExpr e = cron("0 9 * * *");
  // 00:00Z is 08:00 in Shanghai (UTC+8, no DST): 09:00 local is 01:00Z the same day.
  EXPECT_EQ(nextRunMs(e, utc(2024, 1, 1, 0, 0), "Asia/Shanghai"), utc(2024, 1, 1, 1, 0));
  EXPECT_EQ(nextRunMs(e, utc(2024, 1, 1, 1, 0), "Asia/Shanghai"), utc(2024, 1, 2, 1, 0));
  // Midnight local on the 1st of the month is 16:00Z on the last day of the previous month.
  CronExpr monthly = cron("0 0 1 * *");
  EXPECT_EQ(nextRunMs(monthly, utc(2024, 2, 10, 0, 0), "Asia/Shanghai"),
            utc(2024, 2, 29, 16, 0));
}

TEST(CronNext, SecondsField) {
  CronExpr e = cron("*/10 * * * * *");
  EXPECT_EQ(nextRunMs(e, utc(2024, 5, 5, 12, 0, 5), "UTC"), utc(2024, 5, 5, 12, 0, 10));
  EXPECT_EQ(nextRunMs(e, utc(2024, 5, 5, 12, 0, 55), "UTC"), utc(2024, 5, 5, 12, 1, 0));
}

TEST(CronNext, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  // 2024-09-06 is a Friday; the 13th is also a Friday. OR semantics: the 6th comes first.
  EXPECT_EQ(nextRunMs(cron("0 0 13 * FRI"), utc(2024, 9, 1, 0, 0), "UTC"), utc(2024, 9, 6, 0, 0));
  // dom only: the 13th.
  EXPECT_EQ(nextRunMs(cron("0 0 13 * *"), utc(2024, 9, 1, 0, 0), "UTC"), utc(2024, 9, 13, 0, 0));
  // dow only (dom '*'): AND with everything, i.e. Fridays.
  EXPECT_EQ(nextRunMs(cron("0 0 * * 5"), utc(2024, 9, 7, 0, 0), "UTC"), utc(2024, 9, 13, 0, 0));
  // Sunday spelled 7.
  EXPECT_EQ(nextRunMs(cron("0 0 * * 7"), utc(2024, 9, 1, 0, 0), "UTC"), utc(2024, 9, 8, 0, 0));
}

TEST(CronNext, NamesAndLeapDay) {
  // First Monday in January after the end of 2024: 2025-01-06.
  EXPECT_EQ(nextRunMs(cron("0 0 * JAN MON"), utc(2024, 12, 31, 0, 0), "UTC"),
            utc(2025, 1, 6, 0, 0));
  EXPECT_EQ(nextRunMs(cron("0 0 29 2 *"), utc(2024, 3, 1, 0, 0), "UTC"), utc(2028, 2, 29, 0, 0));
}

TEST(CronNext, NeverFiresReturnsMinusOne) {
  EXPECT_EQ(nextRunMs(cron("0 0 30 2 *"), utc(2024, 1, 1, 0, 0), "UTC"), -1);
}

TEST(CronNext, UnknownZoneIsUtc) {
  CronExpr e = cron("0 9 * * *");
  EXPECT_EQ(nextRunMs(e, utc(2024, 1, 1, 0, 0), "Nowhere/Atlantis"), utc(2024, 1, 1, 9, 0));
  EXPECT_EQ(nextRunMs(e, utc(2024, 1, 1, 0, 0), ""), utc(2024, 1, 1, 9, 0));
}

TEST(CronNext, DaylightSavingTransitions) {
  if (!isValidTimezone("America/New_York")) GTEST_SKIP() << "no tzdata for America/New_York";
  // Spring forward 2024-03-10: 02:00 EST jumps to 03:00 EDT, so 02:30 does not exist that
  // day; the run is not lost: it fires at the shifted 03:30 EDT = 07:30Z.
  CronExpr e = cron("30 2 * * *");
  int64_t got = nextRunMs(e, utc(2024, 3, 10, 5, 0), "America/New_York");  // 00:00 EST
  EXPECT_EQ(got, utc(2024, 3, 10, 7, 30));
  // The next day is normal again: 02:30 EDT = 06:30Z.
  EXPECT_EQ(nextRunMs(e, got, "America/New_York"), utc(2024, 3, 11, 6, 30));

  // Fall back 2024-11-03: 01:30 happens twice (05:30Z EDT, 06:30Z EST); it fires once.
  CronExpr f = cron("30 1 * * *");
  int64_t first = nextRunMs(f, utc(2024, 11, 3, 4, 0), "America/New_York");  // 00:00 EDT
  EXPECT_EQ(first, utc(2024, 11, 3, 5, 30));  // the first 01:30
  EXPECT_EQ(nextRunMs(f, first, "America/New_York"), utc(2024, 11, 4, 6, 30));
  // Summer: 09:00 EDT is 13:00Z.
  EXPECT_EQ(nextRunMs(cron("0 9 * * *"), utc(2024, 7, 1, 0, 0), "America/New_York"),
            utc(2024, 7, 1, 13, 0));
}

TEST(CronNext, KeepsCallerTz) {
  setenv("TZ", "Europe/Paris", 1);
  (void)nextRunMs(cron("* * * * *"), utc(2024, 1, 1, 0, 0), "Asia/Shanghai");
  const char* tz = getenv("TZ");
  ASSERT_NE(tz, nullptr);
  EXPECT_STREQ(tz, "Europe/Paris");
  unsetenv("TZ");
}

TEST(CronTimezone, Validates) {
  EXPECT_TRUE(isValidTimezone("Asia/Shanghai"));
  EXPECT_TRUE(isValidTimezone("UTC"));
  EXPECT_FALSE(isValidTimezone("Asia/Shangai"));
  EXPECT_FALSE(isValidTimezone(""));
  EXPECT_FALSE(isValidTimezone("../../etc/passwd"));
  EXPECT_FALSE(isValidTimezone("/etc/passwd"));
}

}  // namespace
}  // namespace qiao
