// Internal: the value in flight between a rule's source and its target, and the small
// helpers the applier's files share (apply.cpp, convert.cpp, explain.cpp). Inline: hot path.
#pragma once

#include <string>
#include <string_view>

#include "plan.h"
#include "qiao/mapping/json.h"

namespace qiao::mapping::detail {

// A value in flight between reading the source and writing the target.
struct Val {
  enum K : uint8_t { kMissing, kNull, kBool, kNumber, kString, kJson } k = kMissing;
  std::string text;
  bool flag = false;
  Value json;  // arrays/objects are copied as they are
};

inline Val fromValue(Value v) {
  Val r;
  if (!v.valid() || v.isNull()) return r;
  switch (v.kind()) {
    case Kind::kBool: r.k = Val::kBool, r.flag = v.asBool(); break;
    case Kind::kNumber: r.k = Val::kNumber, r.text = std::string(v.numberText()); break;
    case Kind::kString: r.k = Val::kString, r.text = std::string(v.asString()); break;
    default: r.k = Val::kJson, r.json = v; break;
  }
  return r;
}

inline Val fromLiteral(const Literal& l) {
  Val r;
  switch (l.kind) {
    case Kind::kNull: r.k = Val::kNull; break;
    case Kind::kBool: r.k = Val::kBool, r.flag = l.flag; break;
    case Kind::kNumber: r.k = Val::kNumber, r.text = l.text; break;
    default: r.k = Val::kString, r.text = l.text; break;
  }
  return r;
}

inline std::string quote(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

inline std::string show(const Val& v) {
  switch (v.k) {
    case Val::kMissing: return "";
    case Val::kNull: return "null";
    case Val::kBool: return v.flag ? "true" : "false";
    case Val::kNumber: return v.text;
    case Val::kString: return quote(v.text);
    case Val::kJson: return toJson(v.json);
  }
  return "";
}

inline void writeVal(Value& slot, const Val& v) {  // by reference: no handle copy
  switch (v.k) {
    case Val::kMissing:
    case Val::kNull: slot.setNull(); break;
    case Val::kBool: slot.setBool(v.flag); break;
    case Val::kNumber: slot.setNumberText(v.text); break;
    case Val::kString: slot.setString(v.text); break;
    case Val::kJson: slot.copyFrom(v.json); break;
  }
}

// Member lookup that starts after the previous hit in the same object: rules mostly read a
// record's fields in the order the record lists them, so most lookups match at once instead of
// scanning ~25 members. Keys are unique in parsed and built objects: same result as find().
struct Hint {
  const Node* obj = nullptr;
  uint32_t next = 0;
};
// Keys are short: an inline loop beats a call to memcmp.
inline bool sameBytes(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}
inline Value findFrom(Value obj, std::string_view key, Hint& h) {
  const Node* n = obj.node();
  if (!n || n->kind != Kind::kObject) return {};
  if (h.obj != n) h.obj = n, h.next = 0;
  const uint32_t size = n->size;
  uint32_t i = h.next < size ? h.next : 0;
  Member* m = n->u.members;
  for (uint32_t k = 0; k < size; ++k, i = i + 1 == size ? 0 : i + 1) {
    if (m[i].key_len == key.size() &&
        (key.empty() || sameBytes(m[i].key, key.data(), key.size()))) {
      h.next = i + 1;
      return Value(&m[i].value, obj.document());
    }
  }
  return {};
}

// "yyyy-MM-dd" with a real calendar date in 1900..2999 (the range the fast paths take on;
// anything else goes through DateTimePattern).
inline bool plainIsoDate(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (t[i] < '0' || t[i] > '9') return false;
  int y = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + (t[2] - '0') * 10 + (t[3] - '0');
  int m = (t[5] - '0') * 10 + (t[6] - '0'), d = (t[8] - '0') * 10 + (t[9] - '0');
  if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap);
}

// "[12]" or "[12 elements]". Built by appending: g++ 12 -O3 warns falsely (-Wrestrict) about
// "[" + std::to_string(i).
inline std::string bracketed(size_t i, std::string_view what = "") {
  std::string s = "[";
  s += std::to_string(i);
  s += what;
  s += ']';
  return s;
}

// Asks for an object's members to be fetched into cache at once: rules read most of a record's
// members, and a record mapped after thousands of others is cold (one miss per cache line, in
// sequence, without this).
inline void prefetchMembers(Value obj) {
  const Node* n = obj.node();
  if (!n || n->kind != Kind::kObject) return;
  const char* p = reinterpret_cast<const char*>(n->u.members);
  const size_t bytes = size_t{n->size} * sizeof(Member);
  for (size_t at = 0; at < bytes; at += 64) __builtin_prefetch(p + at);
}

// The value as a decimal: numbers exactly, strings leniently ("¥1,234.50").
inline bool decimalOf(const Val& v, Decimal& d) {
  Result<Decimal> r = v.k == Val::kNumber   ? Decimal::fromText(v.text)
                      : v.k == Val::kString ? Decimal::parse(v.text)
                                            : Result<Decimal>(Error{});
  if (!r.ok()) return false;
  d = *r;
  return true;
}

// decimal: {} on a plain decimal ("-12.50", "100"): the normalized JSON number is the text
// without trailing fraction zeros, the same as Decimal::normalized().toString() but without
// parsing and formatting. Anything else (grouping, currency, exponent, leading zeros, zero,
// many digits) takes the Decimal path.
inline bool plainDecimal(Val& v) {
  if (v.k != Val::kString && v.k != Val::kNumber) return false;
  const std::string& t = v.text;
  size_t i = t.size() && t[0] == '-' ? 1 : 0, digits = 0, dot = std::string::npos;
  if (i >= t.size() || t[i] < '1' || t[i] > '9') return false;  // also rejects 0.x: slow path
  for (; i < t.size(); ++i) {
    if (t[i] >= '0' && t[i] <= '9') ++digits;
    else if (t[i] == '.' && dot == std::string::npos && i + 1 < t.size()) dot = i;
    else return false;
  }
  if (digits > 30) return false;
  if (dot != std::string::npos) {
    size_t end = t.size();
    while (t[end - 1] == '0') --end;
    if (end == dot + 1) --end;
    v.text.resize(end);
  }
  v.k = Val::kNumber;
  return true;
}

}  // namespace qiao::mapping::detail
