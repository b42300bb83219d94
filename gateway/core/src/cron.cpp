#include "qiao/core/cron.h"

#include "qiao/core/timezone.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <vector>

namespace qiao {
namespace {

struct FieldDef {
  const char* name;
  int min;
  int max;
  const char* const* names;  // 3-letter names, index 0 = value `min`; nullptr = none
};

const char* const kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

const FieldDef kSecond{"second", 0, 59, nullptr};
const FieldDef kMinute{"minute", 0, 59, nullptr};
const FieldDef kHour{"hour", 0, 23, nullptr};
const FieldDef kDom{"day-of-month", 1, 31, nullptr};
const FieldDef kMonth{"month", 1, 12, kMonthNames};
const FieldDef kDow{"day-of-week", 0, 7, kDayNames};

Error fieldError(const FieldDef& f, std::string_view text, const std::string& why) {
  return Error::permanent(ErrorCode::kInvalidArgument,
                          std::string("cron field '") + f.name + "' (\"" + std::string(text) +
                              "\"): " + why);
}

std::string rangeText(const FieldDef& f) {
  return std::to_string(f.min) + "-" + std::to_string(f.max);
}

// A number or (for month/day-of-week) a 3-letter name.
std::optional<int> parseValue(const FieldDef& f, std::string_view s, std::string* why) {
  if (s.empty()) {
    *why = "missing value";
    return std::nullopt;
  }
  if (std::isdigit(static_cast<unsigned char>(s[0]))) {
    int v = 0;
    for (char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        *why = "'" + std::string(s) + "' is not a number";
        return std::nullopt;
      }
      v = v * 10 + (c - '0');
      if (v > 1000) break;
    }
    if (v < f.min || v > f.max) {
      *why = std::to_string(v) + " is out of range " + rangeText(f);
      return std::nullopt;
    }
    return v;
  }
  if (f.names != nullptr && s.size() == 3) {
    int count = (f.max - f.min + 1) >= 12 ? 12 : 7;
    for (int i = 0; i < count; ++i) {
      bool same = true;
      for (int k = 0; k < 3; ++k)
        if (std::toupper(static_cast<unsigned char>(s[k])) != f.names[i][k]) same = false;
      if (same) return f.min + i;
    }
  }
  *why = "'" + std::string(s) + "' is not a number" +
         (f.names != nullptr ? std::string(" or a name like ") + f.names[0] : std::string());
  return std::nullopt;
}

// Parses one field into a list of allowed values; sets *star when it starts with '*' or '?'.
Result<std::vector<bool>> parseField(const FieldDef& f, std::string_view text, bool* star) {
  std::vector<bool> out(f.max + 1, false);
  *star = !text.empty() && (text[0] == '*' || text[0] == '?');
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos ? text.npos
                                                                               : comma - start);
    if (item.empty()) return fieldError(f, text, "empty list item");
    std::string_view range = item;
    int step = 1;
    size_t slash = item.find('/');
    if (slash != std::string_view::npos) {
      range = item.substr(0, slash);
      std::string_view st = item.substr(slash + 1);
      if (st.empty()) return fieldError(f, text, "missing step after '/'");
      step = 0;
      for (char c : st) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
          return fieldError(f, text, "step '" + std::string(st) + "' is not a number");
        step = step * 10 + (c - '0');
        if (step > 1000) break;
      }
      if (step == 0) return fieldError(f, text, "step must be at least 1");
    }
    int lo = f.min, hi = f.max;
    if (f.min == 0 && f.max == 7) hi = 6;  // '*' for day-of-week means 0-6
    std::string why;
    if (range == "*" || range == "?") {
      // full range
    } else {
      size_t dash = range.find('-');
      if (dash == std::string_view::npos) {
        auto v = parseValue(f, range, &why);
        if (!v) return fieldError(f, text, why);
        lo = *v;
        // "a/step" means a, a+step, ... up to the field's maximum.
        hi = slash != std::string_view::npos ? (f.max == 7 ? 6 : f.max) : *v;
        if (slash != std::string_view::npos && lo > hi) hi = lo;
      } else {
        auto a = parseValue(f, range.substr(0, dash), &why);
        if (!a) return fieldError(f, text, why);
        auto b = parseValue(f, range.substr(dash + 1), &why);
        if (!b) return fieldError(f, text, why);
        if (*a > *b)
          return fieldError(f, text, "range " + std::to_string(*a) + "-" + std::to_string(*b) +
                                         " goes backwards");
        lo = *a;
        hi = *b;
      }
    }
    for (int v = lo; v <= hi; v += step) out[v] = true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

template <size_t N>
void copyBits(const std::vector<bool>& v, std::bitset<N>* bits) {
  for (size_t i = 0; i < v.size() && i < N; ++i) (*bits)[i] = v[i];
}

// ---- civil-time arithmetic on the local wall clock ----

struct Civil {
  int y, mon, d, h, mi, s;
};

void nextDay(Civil* c) {
  c->h = c->mi = c->s = 0;
  if (++c->d > daysInMonth(c->y, c->mon)) {
    c->d = 1;
    if (++c->mon > 12) {
      c->mon = 1;
      ++c->y;
    }
  }
}
void nextHour(Civil* c) {
  c->mi = c->s = 0;
  if (++c->h > 23) nextDay(c);
}
void nextMinute(Civil* c) {
  c->s = 0;
  if (++c->mi > 59) nextHour(c);
}
void nextSecond(Civil* c) {
  if (++c->s > 59) nextMinute(c);
}

bool dayMatches(const CronExpr& e, const Civil& c) {
  bool dom = e.days[c.d];
  bool dow = e.weekdays[weekdayOf(c.y, c.mon, c.d)];
  if (e.days_star || e.weekdays_star) return dom && dow;
  return dom || dow;
}

// The earliest UTC second >= start showing wall clock c; in a repeated hour both instants
// are tried, in a DST gap the time is shifted forward. Returns -1 if none is >= start.
int64_t toUtc(const TimeZone& zone, const Civil& c, int64_t start) {
  LocalDateTime want{c.y, c.mon, c.d, c.h, c.mi, c.s, 0};
  auto earlier = zone.toUtc(want, Disambiguation::kEarlier);
  auto later = zone.toUtc(want, Disambiguation::kLater);
  if (!earlier.ok() || !later.ok()) return -1;
  int64_t best = -1;
  bool exists = false;
  for (int64_t ms : {*earlier, *later}) {
    if (!(zone.toLocal(ms) == want)) continue;
    exists = true;
    int64_t t = ms / 1000;
    if (t >= start && (best < 0 || t < best)) best = t;
  }
  if (exists) return best;
  // Only a gap (the wall clock does not exist) may shift; an earlier repeat is not a fire.
  int64_t shifted = *earlier / 1000;
  return shifted >= start ? shifted : -1;
}

}  // namespace

Result<CronExpr> parseCron(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) fields.push_back(text.substr(i, j - i));
    i = j;
  }
  if (fields.size() != 5 && fields.size() != 6)
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "expected 5 fields (minute hour day-of-month month day-of-week) or 6 "
                            "(seconds first), got " +
                                std::to_string(fields.size()));
  CronExpr e;
  e.text = std::string(text);
  size_t k = 0;
  bool star = false;
  if (fields.size() == 6) {
    auto r = parseField(kSecond, fields[k++], &star);
    if (!r.ok()) return r.takeError();
    copyBits(*r, &e.seconds);
  } else {
    e.seconds[0] = true;
  }
  {
    auto r = parseField(kMinute, fields[k++], &star);
    if (!r.ok()) return r.takeError();
    copyBits(*r, &e.minutes);
  }
  {
    auto r = parseField(kHour, fields[k++], &star);
    if (!r.ok()) return r.takeError();
    copyBits(*r, &e.hours);
  }
  {
    auto r = parseField(kDom, fields[k++], &e.days_star);
    if (!r.ok()) return r.takeError();
    copyBits(*r, &e.days);
  }
  {
    auto r = parseField(kMonth, fields[k++], &star);
    if (!r.ok()) return r.takeError();
    copyBits(*r, &e.months);
  }
  {
    auto r = parseField(kDow, fields[k++], &e.weekdays_star);
    if (!r.ok()) return r.takeError();
    std::vector<bool> v = *r;
    if (v[7]) v[0] = true;  // 7 is Sunday too
    v.resize(7);
    copyBits(v, &e.weekdays);
  }
  return e;
}

bool isValidTimezone(const std::string& tz) {
  if (tz.empty() || tz[0] == '/' || tz.find("..") != std::string::npos) return false;
  const char* dir = std::getenv("TZDIR");
  std::string path = std::string(dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo") +
                     "/" + tz;
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  if (!in.read(magic, 4)) return false;
  return magic[0] == 'T' && magic[1] == 'Z' && magic[2] == 'i' && magic[3] == 'f';
}

int64_t nextRunMs(const CronExpr& e, int64_t after_ms, const std::string& tz) {
  int64_t floor_s = after_ms >= 0 ? after_ms / 1000 : -((-after_ms + 999) / 1000);
  const int64_t start = floor_s + 1;

  // "" or an unknown zone is UTC (config validation rejects unknown zones earlier).
  std::shared_ptr<const TimeZone> zone = TimeZone::utc();
  if (!tz.empty()) {
    auto loaded = TimeZone::load(tz);
    if (loaded.ok()) zone = *loaded;
  }
  LocalDateTime lt = zone->toLocal(start * 1000);
  Civil c{lt.year, lt.month, lt.day, lt.hour, lt.minute, lt.second};
  const int last_year = c.y + 10;  // Feb 29 on a given weekday can take years to come round

  for (int guard = 0; guard < 2000000 && c.y <= last_year; ++guard) {
    if (!e.months[c.mon]) {
      c.d = daysInMonth(c.y, c.mon);  // jump to the first day of the next month
      nextDay(&c);
      continue;
    }
    if (!dayMatches(e, c)) {
      nextDay(&c);
      continue;
    }
    if (!e.hours[c.h]) {
      nextHour(&c);
      continue;
    }
    if (!e.minutes[c.mi]) {
      nextMinute(&c);
      continue;
    }
    if (!e.seconds[c.s]) {
      nextSecond(&c);
      continue;
    }
    int64_t t = toUtc(*zone, c, start);
    if (t >= start) return t * 1000;
    nextSecond(&c);
  }
  return -1;
}

}  // namespace qiao
