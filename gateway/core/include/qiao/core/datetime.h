// Calendar dates, wall-clock times, parsing and formatting, Excel serial dates.
//
// Instants are plain int64 UTC milliseconds since 1970-01-01T00:00:00Z. A LocalDateTime is
// a wall-clock reading with no zone; a TimeZone (timezone.h) converts between the two.
//
// Patterns use Java/ICU-style letters (compiled once by DateTimePattern::compile):
//   yyyy year (4 digits; parse accepts 1-4)   yy two-digit year, parsed as 2000-2099
//   MM / M  month, padded / unpadded          dd / d  day of month
//   HH / H  hour 0-23                          mm / m  minute     ss / s  second
//   S...S   fraction of a second, one digit per letter on output (parse: 1-9 digits)
//   XXX  +08:00 or Z     XX  +0800 or Z     X  +08 or Z
//   xxx  +08:00          xx  +0800          Z  +0800
//   'text'  literal text ('' is a quote). Any other non-letter (including 年 月 日) is literal.
// When two numeric fields touch ("yyyyMMdd") each reads exactly its letter count of digits;
// otherwise a numeric field reads 1 up to its maximum width, so "yyyy/MM/dd" accepts 2026/1/5.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/result.h"

namespace qiao {

class TimeZone;

struct LocalDateTime {
  int year = 1970;
  int month = 1;   // 1..12
  int day = 1;     // 1..31
  int hour = 0;    // 0..23
  int minute = 0;  // 0..59
  int second = 0;  // 0..59
  int nanos = 0;   // 0..999'999'999
  bool operator==(const LocalDateTime&) const = default;
};

// ---- civil calendar (proleptic Gregorian) ----
bool isLeapYear(int64_t year);
int daysInMonth(int64_t year, int month);
// Days since 1970-01-01 and back (Howard Hinnant's algorithms).
int64_t daysFromCivil(int64_t year, int month, int day);
void civilFromDays(int64_t days, int64_t* year, int* month, int* day);
// 0 = Sunday.
int weekdayOf(int64_t year, int month, int day);
// kInvalidArgument naming the field when a value is out of range (2026-02-30, 24:00, ...).
Status validate(const LocalDateTime& t);
// Seconds since 1970-01-01T00:00 of the wall clock read as if it were UTC (nanos ignored).
int64_t toEpochSecondsAsUtc(const LocalDateTime& t);
LocalDateTime fromEpochSecondsAsUtc(int64_t seconds, int nanos = 0);
// "2026-11-26T08:00:00" (fraction added only when nanos != 0).
std::string toString(const LocalDateTime& t);

// What a parse found: the wall clock and, when the text carried one, its UTC offset.
struct ParsedDateTime {
  LocalDateTime local;
  bool has_offset = false;
  int offset_seconds = 0;  // east of UTC
};

// For a wall time that a zone skips (spring forward) or repeats (fall back).
enum class Disambiguation : uint8_t {
  kEarlier,  // repeat: the earlier instant; gap: shifted forward by the gap's length
  kLater,    // repeat: the later instant; gap: shifted forward by the gap's length
  kReject,   // repeat or gap: kInvalidArgument
};

// The instant a parse denotes: its own offset when it had one, else the wall clock in zone.
Result<int64_t> toUtcMs(const ParsedDateTime& p, const TimeZone& zone,
                        Disambiguation d = Disambiguation::kEarlier);

// Lenient auto mode. Accepts, after trimming spaces:
//   date:   2026-11-26  2026/11/26  2026.11.26  2026年11月26日  20261126 (one- or
//           two-digit month and day with the separators)
//   time:   optional, after a space or 'T': HH:mm, HH:mm:ss, HH:mm:ss.fffffffff (',' too)
//   offset: optional, after the time: Z, +08:00, +0800, +08
Result<ParsedDateTime> parseDateTimeAuto(std::string_view text);
// Auto mode to an instant; a missing offset means "in zone".
Result<int64_t> parseInstantMs(std::string_view text, const TimeZone& zone,
                               Disambiguation d = Disambiguation::kEarlier);

// A compiled pattern: immutable, safe to share between threads.
class DateTimePattern {
 public:
  // kInvalidArgument on unknown letters, unterminated quotes, bad letter counts.
  static Result<DateTimePattern> compile(std::string_view pattern);

  Result<ParsedDateTime> parse(std::string_view text) const;
  // Instant formatted as the wall clock of zone (offset tokens print zone's offset then).
  std::string format(int64_t utc_ms, const TimeZone& zone) const;
  // Wall clock formatted with an explicit offset for the offset tokens.
  std::string format(const LocalDateTime& t, int offset_seconds) const;
  const std::string& text() const { return text_; }

  struct Token {
    char letter = 0;  // 0 = literal
    int count = 0;
    std::string literal;
  };

 private:
  std::string text_;
  std::vector<Token> tokens_;
};

// "2026-11-26T08:00:00+08:00" in zone; ".SSS" is added when the milliseconds are not zero.
// A zero offset prints as "Z".
std::string formatIso8601(int64_t utc_ms, const TimeZone& zone);

// ---- Excel serial dates (day number + fraction of a day, wall clock, no zone) ----
enum class ExcelDateSystem : uint8_t {
  k1900,  // serial 1 = 1900-01-01; Excel's nonexistent 1900-02-29 is serial 60
  k1904,  // serial 0 = 1904-01-01 (old Mac workbooks): serial1904 = serial1900 - 1462
};
// Fractions round to the nearest millisecond. 0 <= serial < 1 in the 1900 system is a
// time of day on 1899-12-31 (Excel's "1900-01-00"). Serial 60 (1900 system) is rejected:
// the day does not exist. Negative serials and serials past 9999-12-31 are rejected.
Result<LocalDateTime> fromExcelSerial(double serial, ExcelDateSystem sys = ExcelDateSystem::k1900);
Result<double> toExcelSerial(const LocalDateTime& t, ExcelDateSystem sys = ExcelDateSystem::k1900);

}  // namespace qiao
