#include "qiao/core/timezone.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

namespace qiao {
namespace {

constexpr int64_t kDay = 86400;
constexpr size_t kMaxTzifBytes = 1 << 20;

Error tzError(const std::string& name, const std::string& why) {
  return Error::permanent(ErrorCode::kInvalidArgument,
                          "time zone \"" + name + "\": " + why);
}

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// ---- POSIX TZ strings (the TZif footer) ----

class PosixParser {
 public:
  explicit PosixParser(std::string_view s) : s_(s) {}

  bool parse(TimeZone::Posix* out) {
    int west = 0;
    if (!abbr(&out->std_abbr) || !offset(&west, 24)) return false;
    out->std_offset = -west;
    if (done()) return (out->valid = true);
    if (!abbr(&out->dst_abbr)) return false;
    out->has_dst = true;
    out->dst_offset = out->std_offset + 3600;
    if (!done() && peek() != ',') {
      if (!offset(&west, 24)) return false;
      out->dst_offset = -west;
    }
    if (done()) {  // no rule: the US rule POSIX leaves implementation-defined
      out->start = {TimeZone::PosixRule::kMonthWeekDay, 0, 3, 2, 7200};
      out->end = {TimeZone::PosixRule::kMonthWeekDay, 0, 11, 1, 7200};
      return (out->valid = true);
    }
    if (!eat(',') || !rule(&out->start) || !eat(',') || !rule(&out->end) || !done()) return false;
    return (out->valid = true);
  }

 private:
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  bool abbr(std::string* out) {
    size_t start = i_;
    if (eat('<')) {
      while (!done() && peek() != '>') ++i_;
      if (!eat('>')) return false;
      *out = std::string(s_.substr(start + 1, i_ - start - 2));
      return out->size() >= 1;
    }
    while (!done() && ((peek() >= 'A' && peek() <= 'Z') || (peek() >= 'a' && peek() <= 'z'))) ++i_;
    *out = std::string(s_.substr(start, i_ - start));
    return out->size() >= 3;
  }
  bool number(int* v, int max) {
    if (!(peek() >= '0' && peek() <= '9')) return false;
    *v = 0;
    while (peek() >= '0' && peek() <= '9') {
      *v = *v * 10 + (s_[i_++] - '0');
      if (*v > max) return false;
    }
    return true;
  }
  // [+-]hh[:mm[:ss]] in seconds; hours up to max_hours.
  bool offset(int* seconds, int max_hours) {
    int sign = 1;
    if (eat('-')) sign = -1;
    else eat('+');
    int h = 0, m = 0, s = 0;
    if (!number(&h, max_hours)) return false;
    if (eat(':')) {
      if (!number(&m, 59)) return false;
      if (eat(':') && !number(&s, 59)) return false;
    }
    *seconds = sign * (h * 3600 + m * 60 + s);
    return true;
  }
  bool rule(TimeZone::PosixRule* r) {
    if (eat('J')) {
      r->kind = TimeZone::PosixRule::kJulian1;
      if (!number(&r->day, 365) || r->day < 1) return false;
    } else if (eat('M')) {
      r->kind = TimeZone::PosixRule::kMonthWeekDay;
      if (!number(&r->month, 12) || r->month < 1 || !eat('.') || !number(&r->week, 5) ||
          r->week < 1 || !eat('.') || !number(&r->day, 6))
        return false;
    } else {
      r->kind = TimeZone::PosixRule::kJulian0;
      if (!number(&r->day, 365)) return false;
    }
    r->time = 7200;
    if (eat('/')) return offset(&r->time, 167);  // RFC 8536 extension: -167..167 hours
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// Local seconds (as if UTC) at which rule r fires in year y.
int64_t ruleLocalSeconds(const TimeZone::PosixRule& r, int64_t y) {
  int64_t days = daysFromCivil(y, 1, 1);
  switch (r.kind) {
    case TimeZone::PosixRule::kJulian1:  // 1..365, Feb 29 never counted
      days += r.day - 1 + (isLeapYear(y) && r.day >= 60 ? 1 : 0);
      break;
    case TimeZone::PosixRule::kJulian0:
      days += r.day;
      break;
    case TimeZone::PosixRule::kMonthWeekDay: {
      int first = weekdayOf(y, r.month, 1);
      int d = 1 + (r.day - first + 7) % 7 + (r.week - 1) * 7;
      while (d > daysInMonth(y, r.month)) d -= 7;
      days = daysFromCivil(y, r.month, d);
      break;
    }
  }
  return days * kDay + r.time;
}

// ---- TZif (RFC 8536) ----

class Bytes {
 public:
  explicit Bytes(std::string_view d) : d_(d) {}
  bool has(size_t n) const { return pos_ + n <= d_.size(); }
  uint32_t u32() {
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) v = (v << 8) | static_cast<uint8_t>(d_[pos_++]);
    return v;
  }
  int64_t i64() {
    uint64_t v = 0;
    for (int k = 0; k < 8; ++k) v = (v << 8) | static_cast<uint8_t>(d_[pos_++]);
    return static_cast<int64_t>(v);
  }
  uint8_t u8() { return static_cast<uint8_t>(d_[pos_++]); }
  void skip(size_t n) { pos_ += n; }
  size_t pos() const { return pos_; }
  std::string_view rest() const { return d_.substr(pos_); }

 private:
  std::string_view d_;
  size_t pos_ = 0;
};

struct Header {
  char version = 0;
  uint32_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
};

bool readHeader(Bytes* b, Header* h) {
  if (!b->has(44)) return false;
  std::string_view magic = b->rest().substr(0, 4);
  if (magic != "TZif") return false;
  b->skip(4);
  h->version = static_cast<char>(b->u8());
  b->skip(15);
  h->isut = b->u32();
  h->isstd = b->u32();
  h->leap = b->u32();
  h->time = b->u32();
  h->type = b->u32();
  h->chars = b->u32();
  // Bounds that no real zone comes near; they keep sizes below from overflowing.
  return h->time < 100000 && h->type >= 1 && h->type <= 256 && h->chars < 10000 &&
         h->leap < 10000 && (h->isut == 0 || h->isut == h->type) &&
         (h->isstd == 0 || h->isstd == h->type);
}

size_t blockSize(const Header& h, size_t time_size) {
  return h.time * time_size + h.time + h.type * 6 + h.chars + h.leap * (time_size + 4) + h.isstd +
         h.isut;
}

}  // namespace

Result<std::shared_ptr<const TimeZone>> TimeZone::fromTzif(const std::string& name,
                                                           std::string_view bytes) {
  Bytes b(bytes);
  Header h;
  if (!readHeader(&b, &h)) return tzError(name, "not a TZif file (bad header)");
  size_t time_size = 4;
  if (h.version >= '2') {  // skip the 32-bit block and use the 64-bit one
    if (!b.has(blockSize(h, 4))) return tzError(name, "truncated TZif data");
    b.skip(blockSize(h, 4));
    if (!readHeader(&b, &h)) return tzError(name, "bad second TZif header");
    time_size = 8;
  }
  if (!b.has(blockSize(h, time_size))) return tzError(name, "truncated TZif data");
  std::shared_ptr<TimeZone> z(new TimeZone());
  z->name_ = name;
  z->transitions_.resize(h.time);
  for (auto& t : z->transitions_)
    t = time_size == 8 ? b.i64() : static_cast<int64_t>(static_cast<int32_t>(b.u32()));
  for (size_t k = 1; k < z->transitions_.size(); ++k)
    if (z->transitions_[k] <= z->transitions_[k - 1])
      return tzError(name, "transition times are not ascending");
  z->transition_types_.resize(h.time);
  for (auto& t : z->transition_types_) {
    t = b.u8();
    if (t >= h.type) return tzError(name, "transition names a missing local time type");
  }
  std::vector<uint8_t> abbr_index(h.type);
  z->types_.resize(h.type);
  for (size_t k = 0; k < h.type; ++k) {
    int32_t off = static_cast<int32_t>(b.u32());
    if (off < -25 * 3600 || off > 26 * 3600) return tzError(name, "UTC offset out of range");
    z->types_[k].offset = off;
    z->types_[k].is_dst = b.u8() != 0;
    abbr_index[k] = b.u8();
  }
  std::string_view chars = b.rest().substr(0, h.chars);
  for (size_t k = 0; k < h.type; ++k) {
    if (abbr_index[k] >= chars.size()) return tzError(name, "abbreviation index out of range");
    std::string_view a = chars.substr(abbr_index[k]);
    z->types_[k].abbr = std::string(a.substr(0, a.find('\0')));
  }
  b.skip(h.chars + h.leap * (time_size + 4) + h.isstd + h.isut);
  if (time_size == 8) {
    std::string_view rest = b.rest();
    if (rest.size() >= 2 && rest[0] == '\n') {
      size_t end = rest.find('\n', 1);
      if (end == std::string_view::npos) return tzError(name, "unterminated TZ footer");
      std::string_view footer = rest.substr(1, end - 1);
      if (!footer.empty() && !PosixParser(footer).parse(&z->footer_))
        return tzError(name, "cannot read its TZ footer \"" + std::string(footer) + "\"");
    }
  }
  return std::shared_ptr<const TimeZone>(std::move(z));
}

Result<std::shared_ptr<const TimeZone>> TimeZone::fromPosix(const std::string& rule) {
  std::shared_ptr<TimeZone> z(new TimeZone());
  z->name_ = rule;
  if (!PosixParser(rule).parse(&z->footer_))
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "POSIX TZ rule \"" + rule +
                                "\" is not of the form STDoffset[DST[offset][,start[/time],end[/"
                                "time]]], e.g. EST5EDT,M3.2.0,M11.1.0");
  z->types_.push_back({z->footer_.std_offset, false, z->footer_.std_abbr});
  return std::shared_ptr<const TimeZone>(std::move(z));
}

std::shared_ptr<const TimeZone> TimeZone::utc() {
  static const std::shared_ptr<const TimeZone> kUtc = [] {
    std::shared_ptr<TimeZone> z(new TimeZone());
    z->name_ = "UTC";
    z->types_.push_back({0, false, "UTC"});
    return std::shared_ptr<const TimeZone>(std::move(z));
  }();
  return kUtc;
}

std::shared_ptr<const TimeZone> TimeZone::fixed(int offset_seconds) {
  if (offset_seconds == 0) return utc();
  offset_seconds = std::clamp(offset_seconds, -18 * 3600, 18 * 3600);
  std::shared_ptr<TimeZone> z(new TimeZone());
  int a = offset_seconds < 0 ? -offset_seconds : offset_seconds;
  char buf[32];
  std::snprintf(buf, sizeof buf, "UTC%c%02d:%02d", offset_seconds < 0 ? '-' : '+', a / 3600,
                a / 60 % 60);
  z->name_ = buf;
  z->types_.push_back({offset_seconds, false, buf + 3});
  return std::shared_ptr<const TimeZone>(std::move(z));
}

Result<std::shared_ptr<const TimeZone>> TimeZone::load(const std::string& name) {
  bool safe = !name.empty() && name[0] != '/' && name.find("..") == std::string::npos &&
              name.size() < 256;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
          c == '+' || c == '.'))
      safe = false;
  if (!safe)
    return Error::permanent(ErrorCode::kNotFound,
                            "unknown time zone \"" + name +
                                "\" (expected an IANA name such as Asia/Shanghai)");
  const char* env = std::getenv("TZDIR");
  std::string dir = env != nullptr && *env != '\0' ? env : "/usr/share/zoneinfo";
  std::string path = dir + "/" + name;

  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(path);
    if (it != cache.end()) return it->second;
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes;
  if (in) {
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (!in.good() && !in.eof()) bytes.clear();
  if (bytes.empty() || bytes.size() > kMaxTzifBytes) {
    if (name == "UTC" || name == "Etc/UTC") return utc();  // no tzdata installed
    return Error::permanent(ErrorCode::kNotFound,
                            "unknown time zone \"" + name + "\" (no zone file under " + dir + ")");
  }
  auto z = fromTzif(name, bytes);
  if (!z.ok()) return z;
  std::lock_guard<std::mutex> lock(mu);
  auto [it, inserted] = cache.emplace(path, *z);
  return it->second;  // a racing loader's copy wins; both are equal
}

bool TimeZone::footerIsDst(int64_t t) const {
  const Posix& p = footer_;
  if (!p.has_dst) return false;
  int64_t y = 0;
  int m = 0, d = 0;
  civilFromDays(floorDiv(t + p.std_offset, kDay), &y, &m, &d);
  int64_t start = ruleLocalSeconds(p.start, y) - p.std_offset;
  int64_t end = ruleLocalSeconds(p.end, y) - p.dst_offset;
  if (start < end) return t >= start && t < end;
  return !(t >= end && t < start);  // southern hemisphere: DST spans the new year
}

int TimeZone::typeIndexAt(int64_t t) const {
  if (transitions_.empty()) return footer_.valid ? -1 : 0;
  if (t < transitions_.front()) return 0;
  if (t >= transitions_.back() && footer_.valid) return -1;
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  return transition_types_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

int TimeZone::offsetSecondsAt(int64_t utc_seconds) const {
  int i = typeIndexAt(utc_seconds);
  if (i >= 0) return types_[i].offset;
  return footerIsDst(utc_seconds) ? footer_.dst_offset : footer_.std_offset;
}

std::string TimeZone::abbreviationAt(int64_t utc_seconds) const {
  int i = typeIndexAt(utc_seconds);
  if (i >= 0) return types_[i].abbr;
  return footerIsDst(utc_seconds) ? footer_.dst_abbr : footer_.std_abbr;
}

LocalDateTime TimeZone::toLocal(int64_t utc_ms) const {
  int64_t s = floorDiv(utc_ms, 1000);
  int ms = static_cast<int>(utc_ms - s * 1000);
  return fromEpochSecondsAsUtc(s + offsetSecondsAt(s), ms * 1000000);
}

Result<int64_t> TimeZone::toUtc(const LocalDateTime& t, Disambiguation d) const {
  QIAO_RETURN_IF_ERROR(validate(t));
  const int64_t local = toEpochSecondsAsUtc(t);
  const int64_t ms = t.nanos / 1000000;
  // Offsets in force within a day either side cover every instant that can show `local`.
  int offsets[3] = {offsetSecondsAt(local - kDay), offsetSecondsAt(local),
                    offsetSecondsAt(local + kDay)};
  int64_t found[3];
  int n = 0;
  for (int o : offsets) {
    int64_t u = local - o;
    if (offsetSecondsAt(u) != o) continue;
    if (std::find(found, found + n, u) == found + n) found[n++] = u;
  }
  for (int a = 1; a < n; ++a)  // at most three: insertion sort
    for (int b = a; b > 0 && found[b] < found[b - 1]; --b) std::swap(found[b], found[b - 1]);
  if (n == 1) return found[0] * 1000 + ms;
  if (n >= 2) {
    if (d == Disambiguation::kReject)
      return Error::permanent(ErrorCode::kInvalidArgument,
                              "local time " + toString(t) + " occurs twice in " + name_ +
                                  " (clocks go back); say which one with an offset");
    return (d == Disambiguation::kEarlier ? found[0] : found[n - 1]) * 1000 + ms;
  }
  if (d == Disambiguation::kReject)
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "local time " + toString(t) + " does not exist in " + name_ +
                                " (clocks go forward)");
  // In a gap: read the wall clock with the offset from before the jump, which lands the same
  // distance past the jump (02:30 in a 02:00->03:00 jump becomes 03:30).
  return (local - offsets[0]) * 1000 + ms;
}

}  // namespace qiao
