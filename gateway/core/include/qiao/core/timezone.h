// IANA time zones read from TZif files (RFC 8536), with no use of TZ/tzset/localtime: those
// are process-wide and racy. Zones are loaded once, cached process-wide and immutable, so a
// shared_ptr<const TimeZone> may be used from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/datetime.h"
#include "qiao/core/result.h"

namespace qiao {

class TimeZone {
 public:
  // "Asia/Shanghai", "America/New_York", "UTC": from $TZDIR or /usr/share/zoneinfo.
  // kNotFound naming the zone when no such file; kInvalidArgument when it is not TZif.
  static Result<std::shared_ptr<const TimeZone>> load(const std::string& name);
  static std::shared_ptr<const TimeZone> utc();
  // A zone that is always offset_seconds east of UTC (|offset| <= 18h).
  static std::shared_ptr<const TimeZone> fixed(int offset_seconds);
  // From the bytes of a TZif file (not cached). For tests and embedded zone data.
  static Result<std::shared_ptr<const TimeZone>> fromTzif(const std::string& name,
                                                         std::string_view bytes);
  // From a POSIX TZ rule string ("CST-8", "EST5EDT,M3.2.0,M11.1.0") (not cached).
  static Result<std::shared_ptr<const TimeZone>> fromPosix(const std::string& rule);

  const std::string& name() const { return name_; }
  // UTC offset in seconds east of Greenwich at that instant.
  int offsetSecondsAt(int64_t utc_seconds) const;
  // Abbreviation in force at that instant ("CST", "EDT"); may be empty.
  std::string abbreviationAt(int64_t utc_seconds) const;
  // The instant (UTC ms) showing wall clock t; see Disambiguation for gaps and repeats.
  Result<int64_t> toUtc(const LocalDateTime& t, Disambiguation d = Disambiguation::kEarlier) const;
  LocalDateTime toLocal(int64_t utc_ms) const;

  // Parsed form of a POSIX TZ footer; public for the parser, not for callers.
  struct PosixRule {
    enum Kind : uint8_t { kJulian1, kJulian0, kMonthWeekDay };
    Kind kind = kMonthWeekDay;
    int day = 0;    // Jn: 1..365, n: 0..365, M: day of week 0..6
    int month = 0;  // M only
    int week = 0;   // M only, 1..5 (5 = last)
    int time = 7200;  // seconds after local midnight, may be negative or > 24h
  };
  struct Posix {
    bool valid = false;
    bool has_dst = false;
    int std_offset = 0;  // seconds east
    int dst_offset = 0;
    std::string std_abbr, dst_abbr;
    PosixRule start, end;
  };
  struct Type {
    int32_t offset = 0;
    bool is_dst = false;
    std::string abbr;
  };

 private:
  TimeZone() = default;
  // Index into types_ or -1 = use the footer.
  int typeIndexAt(int64_t utc_seconds) const;
  bool footerIsDst(int64_t utc_seconds) const;

  std::string name_;
  std::vector<int64_t> transitions_;
  std::vector<uint8_t> transition_types_;
  std::vector<Type> types_;
  Posix footer_;
};

}  // namespace qiao
