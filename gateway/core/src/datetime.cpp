#include "qiao/core/datetime.h"

#include <cmath>
#include <cstdio>

#include "qiao/core/timezone.h"

namespace qiao {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kMsPerDay = kDay * 1000;
constexpr int kMaxOffset = 18 * 3600;

const char kAutoForms[] =
    "expected a date 2026-11-26, 2026/11/26, 2026.11.26, 2026年11月26日 or 20261126, "
    "optionally followed by a time 08:00, 08:00:00 or 08:00:00.000 (after a space or 'T') "
    "and an offset Z or +08:00";

Error invalid(std::string msg) { return Error::permanent(ErrorCode::kInvalidArgument, std::move(msg)); }

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A cursor over the text being parsed.
struct Cursor {
  std::string_view s;
  size_t i = 0;
  bool done() const { return i >= s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }
  bool eat(std::string_view lit) {
    if (s.substr(i, lit.size()) != lit) return false;
    i += lit.size();
    return true;
  }
  // Between min and max digits; the count read, or 0 when fewer than min.
  int digits(int min, int max, int64_t* v) {
    size_t start = i;
    *v = 0;
    while (!done() && isDigit(peek()) && static_cast<int>(i - start) < max)
      *v = *v * 10 + (s[i++] - '0');
    int n = static_cast<int>(i - start);
    if (n < min) {
      i = start;
      return 0;
    }
    return n;
  }
};

// Z, +08:00, +0800, +08 (also -).
bool readOffset(Cursor* c, int* seconds) {
  if (c->eat("Z") || c->eat("z")) {
    *seconds = 0;
    return true;
  }
  int sign = c->peek() == '+' ? 1 : c->peek() == '-' ? -1 : 0;
  if (sign == 0) return false;
  ++c->i;
  int64_t h = 0, m = 0;
  if (c->digits(2, 2, &h) == 0) return false;
  if (c->eat(":")) {
    if (c->digits(2, 2, &m) == 0) return false;
  } else if (isDigit(c->peek())) {
    if (c->digits(2, 2, &m) == 0) return false;
  }
  if (h > 18 || m > 59 || h * 3600 + m * 60 > kMaxOffset) return false;
  *seconds = sign * static_cast<int>(h * 3600 + m * 60);
  return true;
}

int nanosFrom(int64_t v, int ndigits) {
  for (int k = ndigits; k < 9; ++k) v *= 10;
  return static_cast<int>(v);
}

Error autoError(std::string_view text, const std::string& what) {
  return invalid("cannot read \"" + std::string(text) + "\" as a date/time (" + what + "); " +
                 kAutoForms);
}

std::string pad(int64_t v, int width) {
  std::string sign = v < 0 ? "-" : "";
  std::string digits = std::to_string(v < 0 ? -v : v);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, width - digits.size(), '0');
  return sign + digits;
}

std::string offsetText(int seconds, int count, bool z_for_zero, bool colon_default) {
  if (seconds == 0 && z_for_zero) return "Z";
  int a = seconds < 0 ? -seconds : seconds;
  std::string out(1, seconds < 0 ? '-' : '+');
  out += pad(a / 3600, 2);
  int m = a / 60 % 60;
  if (count == 1 && m == 0) return out;
  if (count >= 3 || (count == 0 && colon_default)) out += ':';
  return out + pad(m, 2);
}

bool isNumericLetter(char l) {
  return l == 'y' || l == 'M' || l == 'd' || l == 'H' || l == 'm' || l == 's' || l == 'S';
}

}  // namespace

// ---- civil calendar ----

bool isLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int64_t y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return 0;
  return m == 2 && isLeapYear(y) ? 29 : kDays[m - 1];
}

int64_t daysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civilFromDays(int64_t z, int64_t* year, int* month, int* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = yoe + era * 400 + (*month <= 2);
}

int weekdayOf(int64_t y, int m, int d) {
  int64_t days = daysFromCivil(y, m, d);
  return static_cast<int>(((days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
}

Status validate(const LocalDateTime& t) {
  auto bad = [&](const std::string& why) { return invalid(toString(t) + " is not valid: " + why); };
  if (t.year < 1 || t.year > 9999) return bad("year " + std::to_string(t.year) + " is outside 1-9999");
  if (t.month < 1 || t.month > 12) return bad("month " + std::to_string(t.month) + " is outside 1-12");
  int dim = daysInMonth(t.year, t.month);
  if (t.day < 1 || t.day > dim)
    return bad("day " + std::to_string(t.day) + " is outside 1-" + std::to_string(dim) + " for " +
               pad(t.year, 4) + "-" + pad(t.month, 2));
  if (t.hour < 0 || t.hour > 23) return bad("hour " + std::to_string(t.hour) + " is outside 0-23");
  if (t.minute < 0 || t.minute > 59)
    return bad("minute " + std::to_string(t.minute) + " is outside 0-59");
  if (t.second < 0 || t.second > 59)
    return bad("second " + std::to_string(t.second) + " is outside 0-59");
  if (t.nanos < 0 || t.nanos > 999999999) return bad("fraction of a second out of range");
  return Status::okStatus();
}

int64_t toEpochSecondsAsUtc(const LocalDateTime& t) {
  return daysFromCivil(t.year, t.month, t.day) * kDay + t.hour * 3600 + t.minute * 60 + t.second;
}

LocalDateTime fromEpochSecondsAsUtc(int64_t seconds, int nanos) {
  int64_t days = floorDiv(seconds, kDay);
  int64_t sod = seconds - days * kDay;
  int64_t y = 0;
  LocalDateTime t;
  civilFromDays(days, &y, &t.month, &t.day);
  t.year = static_cast<int>(y);
  t.hour = static_cast<int>(sod / 3600);
  t.minute = static_cast<int>(sod / 60 % 60);
  t.second = static_cast<int>(sod % 60);
  t.nanos = nanos;
  return t;
}

std::string toString(const LocalDateTime& t) {
  std::string out = pad(t.year, 4) + "-" + pad(t.month, 2) + "-" + pad(t.day, 2) + "T" +
                    pad(t.hour, 2) + ":" + pad(t.minute, 2) + ":" + pad(t.second, 2);
  if (t.nanos != 0) {
    std::string f = pad(t.nanos, 9);
    while (f.size() > 3 && f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out;
}

Result<int64_t> toUtcMs(const ParsedDateTime& p, const TimeZone& zone, Disambiguation d) {
  QIAO_RETURN_IF_ERROR(validate(p.local));
  if (p.has_offset)
    return (toEpochSecondsAsUtc(p.local) - p.offset_seconds) * 1000 + p.local.nanos / 1000000;
  return zone.toUtc(p.local, d);
}

// ---- auto mode ----

Result<ParsedDateTime> parseDateTimeAuto(std::string_view text) {
  std::string_view s = text;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  if (s.empty()) return autoError(text, "empty");
  Cursor c{s};
  ParsedDateTime p;
  int64_t v = 0;
  if (c.digits(4, 4, &v) == 0) return autoError(text, "no four-digit year at the start");
  p.local.year = static_cast<int>(v);
  if (isDigit(c.peek())) {  // 20261126
    int64_t md = 0;
    if (c.digits(4, 4, &md) == 0 || isDigit(c.peek()))
      return autoError(text, "a run of digits that is not yyyyMMdd");
    p.local.month = static_cast<int>(md / 100);
    p.local.day = static_cast<int>(md % 100);
  } else {
    bool chinese = c.eat("年");
    std::string sep;
    if (!chinese) {
      char ch = c.peek();
      if (ch != '-' && ch != '/' && ch != '.') return autoError(text, "no separator after the year");
      sep.assign(1, ch);
      ++c.i;
    }
    if (c.digits(1, 2, &v) == 0) return autoError(text, "no month");
    p.local.month = static_cast<int>(v);
    if (chinese ? !c.eat("月") : !c.eat(sep))
      return autoError(text, chinese ? "no 月 after the month" : "the separators differ");
    if (c.digits(1, 2, &v) == 0) return autoError(text, "no day");
    p.local.day = static_cast<int>(v);
    if (chinese) c.eat("日");
  }
  if (!c.done()) {
    bool sep = c.eat("T") || c.eat("t");
    while (!sep && c.peek() == ' ') {
      ++c.i;
      if (c.peek() != ' ') sep = true;
    }
    if (!sep) return autoError(text, "unexpected text after the date");
    if (c.digits(1, 2, &v) == 0) return autoError(text, "no hour");
    p.local.hour = static_cast<int>(v);
    if (!c.eat(":") || c.digits(2, 2, &v) == 0) return autoError(text, "no minutes after the hour");
    p.local.minute = static_cast<int>(v);
    if (c.eat(":")) {
      if (c.digits(2, 2, &v) == 0) return autoError(text, "no seconds");
      p.local.second = static_cast<int>(v);
      if (c.eat(".") || c.eat(",")) {
        int n = c.digits(1, 9, &v);
        if (n == 0) return autoError(text, "no digits after the decimal point");
        if (isDigit(c.peek())) return autoError(text, "more than 9 fraction digits");
        p.local.nanos = nanosFrom(v, n);
      }
    }
    while (c.peek() == ' ') ++c.i;
    if (!c.done()) {
      if (!readOffset(&c, &p.offset_seconds) || !c.done())
        return autoError(text, "unexpected text after the time");
      p.has_offset = true;
    }
  }
  Status st = validate(p.local);
  if (!st.ok()) return autoError(text, st.error().message);
  return p;
}

Result<int64_t> parseInstantMs(std::string_view text, const TimeZone& zone, Disambiguation d) {
  QIAO_ASSIGN_OR_RETURN(ParsedDateTime p, parseDateTimeAuto(text));
  return toUtcMs(p, zone, d);
}

// ---- patterns ----

Result<DateTimePattern> DateTimePattern::compile(std::string_view pattern) {
  DateTimePattern out;
  out.text_ = std::string(pattern);
  auto fail = [&](const std::string& why) {
    return invalid("date/time pattern \"" + std::string(pattern) + "\": " + why +
                   " (letters: yyyy yy MM M dd d HH H mm m ss s S..S X XX XXX xx xxx Z; "
                   "quote literal letters as 'T')");
  };
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) out.tokens_.push_back({0, 0, literal});
    literal.clear();
  };
  for (size_t i = 0; i < pattern.size();) {
    char ch = pattern[i];
    if (ch == '\'') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '\'') {
        literal += '\'';
        i += 2;
        continue;
      }
      size_t end = pattern.find('\'', i + 1);
      if (end == std::string_view::npos) return fail("unterminated quote");
      literal += std::string(pattern.substr(i + 1, end - i - 1));
      i = end + 1;
      continue;
    }
    if (!isAsciiLetter(ch)) {
      literal += ch;
      ++i;
      continue;
    }
    size_t j = i;
    while (j < pattern.size() && pattern[j] == ch) ++j;
    int count = static_cast<int>(j - i);
    int max = 0;
    switch (ch) {
      case 'y': max = 9; break;
      case 'M': case 'd': case 'H': case 'm': case 's': max = 2; break;
      case 'S': max = 9; break;
      case 'X': case 'x': max = 3; break;
      case 'Z': max = 1; break;
      default: return fail(std::string("unknown letter '") + ch + "'");
    }
    if (count > max)
      return fail(std::string("too many '") + ch + "' (at most " + std::to_string(max) + ")");
    flush();
    out.tokens_.push_back({ch, count, {}});
    i = j;
  }
  flush();
  return out;
}

Result<ParsedDateTime> DateTimePattern::parse(std::string_view text) const {
  auto fail = [&](const std::string& why) {
    return invalid("cannot read \"" + std::string(text) + "\" with pattern \"" + text_ +
                   "\": " + why);
  };
  Cursor c{text};
  ParsedDateTime p;
  for (size_t k = 0; k < tokens_.size(); ++k) {
    const Token& t = tokens_[k];
    if (t.letter == 0) {
      if (!c.eat(t.literal)) return fail("expected \"" + t.literal + "\" at position " +
                                         std::to_string(c.i));
      continue;
    }
    if (t.letter == 'X' || t.letter == 'x' || t.letter == 'Z') {
      if (!readOffset(&c, &p.offset_seconds))
        return fail("expected an offset such as +08:00 or Z at position " + std::to_string(c.i));
      p.has_offset = true;
      continue;
    }
    bool adjacent = k + 1 < tokens_.size() && isNumericLetter(tokens_[k + 1].letter);
    int width = t.letter == 'y' ? (t.count == 2 ? 2 : std::max(t.count, 4))
                : t.letter == 'S' ? 9 : 2;
    int min = adjacent || (t.letter == 'y' && t.count == 2) ? std::min(t.count, width) : 1;
    if (adjacent) width = t.letter == 'y' && t.count != 2 ? std::max(t.count, 4) : t.count;
    if (adjacent) min = width;
    int64_t v = 0;
    int n = c.digits(min, width, &v);
    if (n == 0) return fail(std::string("expected digits for '") + std::string(t.count, t.letter) +
                            "' at position " + std::to_string(c.i));
    switch (t.letter) {
      case 'y': p.local.year = static_cast<int>(t.count == 2 ? 2000 + v : v); break;
      case 'M': p.local.month = static_cast<int>(v); break;
      case 'd': p.local.day = static_cast<int>(v); break;
      case 'H': p.local.hour = static_cast<int>(v); break;
      case 'm': p.local.minute = static_cast<int>(v); break;
      case 's': p.local.second = static_cast<int>(v); break;
      case 'S': p.local.nanos = nanosFrom(v, n); break;
      default: break;
    }
  }
  if (!c.done()) return fail("unexpected text at position " + std::to_string(c.i));
  Status st = validate(p.local);
  if (!st.ok()) return fail(st.error().message);
  return p;
}

std::string DateTimePattern::format(const LocalDateTime& t, int offset_seconds) const {
  std::string out;
  for (const Token& k : tokens_) {
    switch (k.letter) {
      case 0: out += k.literal; break;
      case 'y': out += k.count == 2 ? pad(((t.year % 100) + 100) % 100, 2) : pad(t.year, k.count); break;
      case 'M': out += pad(t.month, k.count); break;
      case 'd': out += pad(t.day, k.count); break;
      case 'H': out += pad(t.hour, k.count); break;
      case 'm': out += pad(t.minute, k.count); break;
      case 's': out += pad(t.second, k.count); break;
      case 'S': out += pad(t.nanos, 9).substr(0, k.count); break;
      case 'X': out += offsetText(offset_seconds, k.count, true, false); break;
      case 'x': out += offsetText(offset_seconds, k.count, false, false); break;
      case 'Z': out += offsetText(offset_seconds, 2, false, false); break;
      default: break;
    }
  }
  return out;
}

std::string DateTimePattern::format(int64_t utc_ms, const TimeZone& zone) const {
  return format(zone.toLocal(utc_ms), zone.offsetSecondsAt(floorDiv(utc_ms, 1000)));
}

std::string formatIso8601(int64_t utc_ms, const TimeZone& zone) {
  LocalDateTime t = zone.toLocal(utc_ms);
  std::string out = pad(t.year, 4) + "-" + pad(t.month, 2) + "-" + pad(t.day, 2) + "T" +
                    pad(t.hour, 2) + ":" + pad(t.minute, 2) + ":" + pad(t.second, 2);
  if (t.nanos != 0) out += "." + pad(t.nanos / 1000000, 3);
  return out + offsetText(zone.offsetSecondsAt(floorDiv(utc_ms, 1000)), 3, true, true);
}

// ---- Excel ----

Result<LocalDateTime> fromExcelSerial(double serial, ExcelDateSystem sys) {
  char shown[64];
  std::snprintf(shown, sizeof shown, "%.17g", serial);
  auto fail = [&](const std::string& why) {
    return invalid(std::string("Excel serial date ") + shown + ": " + why);
  };
  if (!std::isfinite(serial) || serial < 0) return fail("expected a number of days >= 0");
  if (serial > 2958466.0) return fail("past 9999-12-31, Excel's last date");
  int64_t total = std::llround(serial * static_cast<double>(kMsPerDay));
  int64_t day = total / kMsPerDay;
  int64_t ms = total % kMsPerDay;
  int64_t days = 0;
  if (sys == ExcelDateSystem::k1904) {
    days = daysFromCivil(1904, 1, 1) + day;
  } else if (day == 60) {
    return fail("Excel's 1900-02-29 does not exist (1900 was not a leap year)");
  } else {
    days = day < 60 ? daysFromCivil(1899, 12, 31) + day : daysFromCivil(1899, 12, 30) + day;
  }
  LocalDateTime t = fromEpochSecondsAsUtc(days * kDay + ms / 1000, static_cast<int>(ms % 1000) * 1000000);
  if (t.year > 9999) return fail("past 9999-12-31, Excel's last date");
  return t;
}

Result<double> toExcelSerial(const LocalDateTime& t, ExcelDateSystem sys) {
  QIAO_RETURN_IF_ERROR(validate(t));
  int64_t days = daysFromCivil(t.year, t.month, t.day);
  int64_t serial = 0;
  if (sys == ExcelDateSystem::k1904) {
    serial = days - daysFromCivil(1904, 1, 1);
  } else if (days < daysFromCivil(1900, 3, 1)) {
    serial = days - daysFromCivil(1899, 12, 31);
  } else {
    serial = days - daysFromCivil(1899, 12, 30);
  }
  if (serial < 0)
    return invalid("date " + toString(t) + " is before the first day of Excel's " +
                   (sys == ExcelDateSystem::k1904 ? "1904" : "1900") + " date system");
  int64_t ms = (t.hour * 3600 + t.minute * 60 + t.second) * 1000LL + t.nanos / 1000000;
  return static_cast<double>(serial) + static_cast<double>(ms) / static_cast<double>(kMsPerDay);
}

}  // namespace qiao
