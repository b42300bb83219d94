// Cron expressions: parsing and "when does it fire next" in an IANA time zone.
// 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include "qiao/core/result.h"

namespace qiao {

struct CronExpr {
  std::bitset<60> seconds;   // 5-field expressions fire at second 0
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;      // day of month, 1..31
  std::bitset<13> months;    // 1..12
  std::bitset<7> weekdays;   // 0 = Sunday (7 in the text is folded to 0)
  // Vixie semantics: when both day fields are restricted (neither starts with '*'), a day
  // matches if EITHER matches; otherwise both must match.
  bool days_star = true;
  bool weekdays_star = true;
  std::string text;
};

// Fails with kInvalidArgument and a message naming the bad field and why.
Result<CronExpr> parseCron(std::string_view text);

// True when /usr/share/zoneinfo (or $TZDIR) holds a zone file of that name.
bool isValidTimezone(const std::string& tz);

// The first fire time strictly after after_ms (UTC ms), evaluated on the wall clock of the
// IANA zone tz ("" or an unknown zone = UTC). Local times skipped by a DST jump fire at the
// shifted instant; repeated local times fire once. Returns -1 if it never fires (Feb 30).
int64_t nextRunMs(const CronExpr& expr, int64_t after_ms, const std::string& tz);

}  // namespace qiao
