#include "qiao/core/timezone.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

namespace qiao {
namespace {

// UTC seconds of a calendar time, computed without the code under test's zone logic.
int64_t utcS(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

std::shared_ptr<const TimeZone> zone(const std::string& name) {
  auto z = TimeZone::load(name);
  EXPECT_TRUE(z.ok()) << name << ": " << (z.ok() ? "" : z.error().message);
  return z.ok() ? *z : TimeZone::utc();
}

LocalDateTime ldt(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return LocalDateTime{y, mo, d, h, mi, s, 0};
}

TEST(TimeZoneLoad, UnknownZoneNamesIt) {
  auto z = TimeZone::load("Asia/Shangai");
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.error().code, ErrorCode::kNotFound);
  EXPECT_NE(z.error().message.find("\"Asia/Shangai\""), std::string::npos) << z.error().message;
  EXPECT_FALSE(TimeZone::load("../../etc/passwd").ok());
  EXPECT_FALSE(TimeZone::load("/etc/passwd").ok());
  EXPECT_FALSE(TimeZone::load("").ok());
}

TEST(TimeZoneLoad, CachedAndShared) {
  auto a = zone("Asia/Shanghai");
  auto b = zone("Asia/Shanghai");
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(a->name(), "Asia/Shanghai");
}

TEST(TimeZoneLoad, RejectsGarbageBytes) {
  EXPECT_FALSE(TimeZone::fromTzif("x", "not a tzif file at all, long enough to read a header").ok());
  EXPECT_FALSE(TimeZone::fromTzif("x", "TZif2").ok());
  std::string truncated(44, '\0');
  truncated.replace(0, 5, "TZif2");
  truncated[4 + 1 + 15 + 4 * 4 + 3] = 5;  // typecnt = 5, no data follows
  EXPECT_FALSE(TimeZone::fromTzif("x", truncated).ok());
}

TEST(TimeZoneOffsets, ShanghaiIsPlusEightWithHistoricalDst) {
  auto z = zone("Asia/Shanghai");
  EXPECT_EQ(z->offsetSecondsAt(utcS(2026, 1, 15)), 8 * 3600);
  EXPECT_EQ(z->offsetSecondsAt(utcS(2026, 7, 15)), 8 * 3600);
  // 1986: CST -> CDT at 1986-05-03 18:00Z, back at 1986-09-13 17:00Z.
  EXPECT_EQ(z->offsetSecondsAt(utcS(1986, 5, 3, 17, 59, 59)), 8 * 3600);
  EXPECT_EQ(z->offsetSecondsAt(utcS(1986, 5, 3, 18)), 9 * 3600);
  EXPECT_EQ(z->offsetSecondsAt(utcS(1986, 9, 13, 16, 59, 59)), 9 * 3600);
  EXPECT_EQ(z->offsetSecondsAt(utcS(1986, 9, 13, 17)), 8 * 3600);
  EXPECT_EQ(z->offsetSecondsAt(utcS(1991, 7, 1)), 9 * 3600);
  EXPECT_EQ(z->offsetSecondsAt(utcS(1992, 7, 1)), 8 * 3600);
  EXPECT_EQ(z->abbreviationAt(utcS(1988, 7, 1)), "CDT");
  EXPECT_EQ(z->abbreviationAt(utcS(2026, 7, 1)), "CST");
  // Far future: past the last transition, from the footer ("CST-8").
  EXPECT_EQ(z->offsetSecondsAt(utcS(2400, 7, 1)), 8 * 3600);
}

TEST(TimeZoneOffsets, NewYork2026BothTransitions) {
  auto z = zone("America/New_York");
  EXPECT_EQ(z->offsetSecondsAt(utcS(2026, 3, 8, 6, 59, 59)), -5 * 3600);
  EXPECT_EQ(z->offsetSecondsAt(utcS(2026, 3, 8, 7)), -4 * 3600);
  EXPECT_EQ(z->offsetSecondsAt(utcS(2026, 11, 1, 5, 59, 59)), -4 * 3600);
  EXPECT_EQ(z->offsetSecondsAt(utcS(2026, 11, 1, 6)), -5 * 3600);
  EXPECT_EQ(z->abbreviationAt(utcS(2026, 7, 1)), "EDT");
  EXPECT_EQ(z->abbreviationAt(utcS(2026, 12, 1)), "EST");
}

TEST(TimeZoneOffsets, Berlin2026) {
  auto z = zone("Europe/Berlin");
  EXPECT_EQ(z->offsetSecondsAt(utcS(2026, 3, 29, 0, 59, 59)), 3600);
  EXPECT_EQ(z->offsetSecondsAt(utcS(2026, 3, 29, 1)), 7200);
  EXPECT_EQ(z->offsetSecondsAt(utcS(2026, 10, 25, 0, 59, 59)), 7200);
  EXPECT_EQ(z->offsetSecondsAt(utcS(2026, 10, 25, 1)), 3600);
}

TEST(TimeZoneOffsets, Utc) {
  auto z = zone("UTC");
  EXPECT_EQ(z->offsetSecondsAt(utcS(2026, 7, 1)), 0);
  EXPECT_EQ(TimeZone::utc()->offsetSecondsAt(utcS(1900, 1, 1)), 0);
  EXPECT_EQ(TimeZone::fixed(8 * 3600)->offsetSecondsAt(0), 8 * 3600);
  EXPECT_EQ(TimeZone::fixed(-5 * 3600 - 1800)->name(), "UTC-05:30");
}

TEST(TimeZoneFooter, FarFutureFollowsRule) {
  // 2100: second Sunday of March is the 14th, first Sunday of November the 7th.
  auto ny = zone("America/New_York");
  EXPECT_EQ(ny->offsetSecondsAt(utcS(2100, 3, 14, 6, 59, 59)), -5 * 3600);
  EXPECT_EQ(ny->offsetSecondsAt(utcS(2100, 3, 14, 7)), -4 * 3600);
  EXPECT_EQ(ny->offsetSecondsAt(utcS(2100, 11, 7, 5, 59, 59)), -4 * 3600);
  EXPECT_EQ(ny->offsetSecondsAt(utcS(2100, 11, 7, 6)), -5 * 3600);
  // Berlin 2100: last Sundays are March 28 and October 31; the switch is at 01:00Z.
  auto be = zone("Europe/Berlin");
  EXPECT_EQ(be->offsetSecondsAt(utcS(2100, 3, 28, 0, 59, 59)), 3600);
  EXPECT_EQ(be->offsetSecondsAt(utcS(2100, 3, 28, 1)), 7200);
  EXPECT_EQ(be->offsetSecondsAt(utcS(2100, 10, 31, 0, 59, 59)), 7200);
  EXPECT_EQ(be->offsetSecondsAt(utcS(2100, 10, 31, 1)), 3600);
}

TEST(TimeZoneFooter, PosixRulesDirectly) {
  // The footer alone (no transitions) for 2026 gives the same instants as the TZif data.
  auto ny = TimeZone::fromPosix("EST5EDT,M3.2.0,M11.1.0");
  ASSERT_TRUE(ny.ok()) << ny.error().message;
  EXPECT_EQ((*ny)->offsetSecondsAt(utcS(2026, 3, 8, 6, 59, 59)), -5 * 3600);
  EXPECT_EQ((*ny)->offsetSecondsAt(utcS(2026, 3, 8, 7)), -4 * 3600);
  EXPECT_EQ((*ny)->offsetSecondsAt(utcS(2026, 11, 1, 6)), -5 * 3600);
  auto be = TimeZone::fromPosix("CET-1CEST,M3.5.0,M10.5.0/3");
  ASSERT_TRUE(be.ok());
  EXPECT_EQ((*be)->offsetSecondsAt(utcS(2026, 3, 29, 1)), 7200);
  EXPECT_EQ((*be)->offsetSecondsAt(utcS(2026, 10, 25, 1)), 3600);
  // Southern hemisphere (Sydney): DST spans the new year.
  auto syd = TimeZone::fromPosix("AEST-10AEDT,M10.1.0,M4.1.0/3");
  ASSERT_TRUE(syd.ok());
  EXPECT_EQ((*syd)->offsetSecondsAt(utcS(2026, 1, 15)), 11 * 3600);
  EXPECT_EQ((*syd)->offsetSecondsAt(utcS(2026, 7, 15)), 10 * 3600);
  auto quoted = TimeZone::fromPosix("<+0545>-5:45");
  ASSERT_TRUE(quoted.ok());
  EXPECT_EQ((*quoted)->offsetSecondsAt(0), 5 * 3600 + 45 * 60);
  auto bad = TimeZone::fromPosix("EST5EDT,M13.1.0,M11.1.0");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("M13.1.0"), std::string::npos);
}

TEST(TimeZoneConvert, ShanghaiToLocalAndBack) {
  auto z = zone("Asia/Shanghai");
  LocalDateTime l = z->toLocal(utcS(2026, 11, 26) * 1000 + 123);
  EXPECT_EQ(l, (LocalDateTime{2026, 11, 26, 8, 0, 0, 123000000}));
  auto u = z->toUtc(l);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u, utcS(2026, 11, 26) * 1000 + 123);
}

TEST(TimeZoneConvert, GapShiftsForwardOrFails) {
  auto z = zone("America/New_York");
  // 2026-03-08 02:30 does not exist; shifted forward it is 03:30 EDT = 07:30Z.
  for (auto d : {Disambiguation::kEarlier, Disambiguation::kLater}) {
    auto u = z->toUtc(ldt(2026, 3, 8, 2, 30), d);
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(*u, utcS(2026, 3, 8, 7, 30) * 1000);
    EXPECT_EQ(z->toLocal(*u), ldt(2026, 3, 8, 3, 30));
  }
  auto r = z->toUtc(ldt(2026, 3, 8, 2, 30), Disambiguation::kReject);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("2026-03-08T02:30:00"), std::string::npos);
  EXPECT_NE(r.error().message.find("does not exist"), std::string::npos);
  // Berlin 2026-03-29 02:15 -> 03:15 CEST = 01:15Z.
  auto be = zone("Europe/Berlin")->toUtc(ldt(2026, 3, 29, 2, 15));
  ASSERT_TRUE(be.ok());
  EXPECT_EQ(*be, utcS(2026, 3, 29, 1, 15) * 1000);
}

TEST(TimeZoneConvert, OverlapEarlierOrLater) {
  auto z = zone("America/New_York");
  // 2026-11-01 01:30 happens at 05:30Z (EDT) and 06:30Z (EST).
  auto e = z->toUtc(ldt(2026, 11, 1, 1, 30), Disambiguation::kEarlier);
  auto l = z->toUtc(ldt(2026, 11, 1, 1, 30), Disambiguation::kLater);
  ASSERT_TRUE(e.ok() && l.ok());
  EXPECT_EQ(*e, utcS(2026, 11, 1, 5, 30) * 1000);
  EXPECT_EQ(*l, utcS(2026, 11, 1, 6, 30) * 1000);
  auto r = z->toUtc(ldt(2026, 11, 1, 1, 30), Disambiguation::kReject);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("occurs twice"), std::string::npos);
  // Shanghai's 1986-09-14 01:30 repeated too (CDT then CST).
  auto sh = zone("Asia/Shanghai");
  EXPECT_EQ(*sh->toUtc(ldt(1986, 9, 14, 1, 30), Disambiguation::kEarlier),
            utcS(1986, 9, 13, 16, 30) * 1000);
  EXPECT_EQ(*sh->toUtc(ldt(1986, 9, 14, 1, 30), Disambiguation::kLater),
            utcS(1986, 9, 13, 17, 30) * 1000);
}

TEST(TimeZoneConvert, RejectsInvalidWallClock) {
  auto r = zone("Asia/Shanghai")->toUtc(ldt(2026, 2, 30));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

// Every instant maps to a wall clock that maps back to it (as the earlier or the later of a
// repeated time), across DST zones, a century of history and the footer's future.
TEST(TimeZoneConvert, RoundTripsWithFixedSeed) {
  std::mt19937_64 rng(20261126);
  std::uniform_int_distribution<int64_t> dist(utcS(1900, 1, 1), utcS(2150, 1, 1));
  for (const char* name : {"Asia/Shanghai", "America/New_York", "Europe/Berlin", "UTC",
                           "Australia/Sydney", "Asia/Kolkata"}) {
    auto z = zone(name);
    for (int i = 0; i < 20000; ++i) {
      int64_t ms = dist(rng) * 1000 + static_cast<int64_t>(rng() % 1000);
      LocalDateTime l = z->toLocal(ms);
      ASSERT_TRUE(validate(l).ok()) << name << " " << ms;
      auto e = z->toUtc(l, Disambiguation::kEarlier);
      auto lt = z->toUtc(l, Disambiguation::kLater);
      ASSERT_TRUE(e.ok() && lt.ok());
      ASSERT_TRUE(*e == ms || *lt == ms) << name << " " << ms << " " << toString(l);
      ASSERT_LE(*e, *lt);
      EXPECT_EQ(toEpochSecondsAsUtc(l) * 1000 + l.nanos / 1000000 - ms,
                z->offsetSecondsAt(ms / 1000) * 1000LL);
    }
  }
}

TEST(TimeZoneThreads, EightThreadsDifferentZones) {
  const std::vector<std::string> names = {"Asia/Shanghai", "America/New_York", "Europe/Berlin",
                                          "UTC", "Australia/Sydney", "Asia/Tokyo",
                                          "America/Sao_Paulo", "Europe/London"};
  // Reference results computed on one thread first.
  std::vector<std::vector<int64_t>> expected(names.size());
  for (size_t k = 0; k < names.size(); ++k) {
    auto z = zone(names[k]);
    for (int i = 0; i < 2000; ++i) {
      int64_t ms = (utcS(1970, 1, 1) + static_cast<int64_t>(i) * 1987654) * 1000;
      expected[k].push_back(*z->toUtc(z->toLocal(ms), Disambiguation::kLater) +
                            z->offsetSecondsAt(ms / 1000));
    }
  }
  std::vector<int> mismatches(names.size(), 0);
  std::vector<std::thread> threads;
  for (size_t k = 0; k < names.size(); ++k) {
    threads.emplace_back([&, k] {
      for (int rep = 0; rep < 5; ++rep) {
        auto z = TimeZone::load(names[(k + rep) % names.size()]);  // shared cache, concurrently
        auto mine = TimeZone::load(names[k]);
        if (!z.ok() || !mine.ok()) {
          ++mismatches[k];
          continue;
        }
        for (int i = 0; i < 2000; ++i) {
          int64_t ms = (utcS(1970, 1, 1) + static_cast<int64_t>(i) * 1987654) * 1000;
          auto u = (*mine)->toUtc((*mine)->toLocal(ms), Disambiguation::kLater);
          if (!u.ok() || *u + (*mine)->offsetSecondsAt(ms / 1000) != expected[k][i]) ++mismatches[k];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (size_t k = 0; k < names.size(); ++k) EXPECT_EQ(mismatches[k], 0) << names[k];
}

}  // namespace
}  // namespace qiao
