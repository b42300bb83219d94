// Internal: the values and small helpers of the fast path (fast_apply.cpp): a value in flight
// as a view, plain decimals and ISO date-times recognised in place, 128-bit fixed point for
// arithmetic expressions, short copies and key compares. Inline: they run per field.
#pragma once

#include <cstring>
#include <string_view>

#include "fast.h"
#include "value.h"

namespace qiao::mapping::detail {

// A value in flight: a view of the record, of the program or of the output's arena.
struct FV {
  Val::K k = Val::kMissing;
  bool flag = false;
  bool stable = false;  // text needs no copy: owned by the program or already in out's arena
  std::string_view text;
  Value json;
};

inline FV fromNode(Value v) {
  FV r;
  const Node* n = v.node();
  if (!n) return r;
  switch (n->kind) {
    case Kind::kNull: break;
    case Kind::kBool: r.k = Val::kBool, r.flag = n->flag; break;
    case Kind::kNumber: r.k = Val::kNumber, r.text = {n->u.text, n->size}; break;
    case Kind::kString: r.k = Val::kString, r.text = {n->u.text, n->size}; break;
    default: r.k = Val::kJson, r.json = v; break;
  }
  return r;
}

inline FV fromLit(const FastLit& l) {
  FV r;
  r.stable = true;
  switch (l.kind) {
    case Kind::kNull: r.k = Val::kNull; break;
    case Kind::kBool: r.k = Val::kBool, r.flag = l.flag; break;
    case Kind::kNumber: r.k = Val::kNumber, r.text = l.text.view(); break;
    default: r.k = Val::kString, r.text = l.text.view(); break;
  }
  return r;
}

inline bool digit(char c) { return c >= '0' && c <= '9'; }

// "-12.50" -> "-12.5" as plainDecimal (value.h) does, on a view; also "0.50" -> "0.5" and
// "0.00", "-0" -> "0" (Decimal's normalized text: no negative zero).
inline bool plainDecimalView(FV& v) {
  if (v.k != Val::kString && v.k != Val::kNumber) return false;
  std::string_view t = v.text;
  size_t i = !t.empty() && t[0] == '-' ? 1 : 0, digits = 0, dot = std::string_view::npos;
  if (i >= t.size() || t[i] < '0' || t[i] > '9') return false;
  if (t[i] == '0') {  // a lone zero before the point
    if (i + 1 == t.size()) return v.k = Val::kNumber, v.text = "0", v.stable = true, true;
    if (t[i + 1] != '.' || i + 2 == t.size()) return false;
    size_t end = t.size();
    for (size_t k = i + 2; k < end; ++k)
      if (!digit(t[k])) return false;
    if (end - i - 2 > 30) return false;
    while (t[end - 1] == '0') --end;
    if (end == i + 2) return v.k = Val::kNumber, v.text = "0", v.stable = true, true;  // zero
    v.k = Val::kNumber, v.text = t.substr(0, end);
    return true;
  }
  for (; i < t.size(); ++i) {
    if (digit(t[i])) ++digits;
    else if (t[i] == '.' && dot == std::string_view::npos && i + 1 < t.size()) dot = i;
    else return false;
  }
  if (digits > 30) return false;
  if (dot != std::string_view::npos) {
    size_t end = t.size();
    while (t[end - 1] == '0') --end;
    if (end == dot + 1) --end;
    v.text = t.substr(0, end);
  }
  v.k = Val::kNumber;
  return true;
}

// "yyyy-MM-ddTHH:mm:ss" with nothing, "Z" or "+hh:mm"/"-hh:mm" after it, every field in range:
// what parseDateTimeAuto reads to the same wall time.
inline bool plainIsoDateTime(std::string_view t) {
  if (t.size() != 19 && t.size() != 20 && t.size() != 25) return false;
  if (!plainIsoDate(t.substr(0, 10)) || t[10] != 'T' || t[13] != ':' || t[16] != ':') return false;
  for (size_t i : {11, 12, 14, 15, 17, 18})
    if (!digit(t[i])) return false;
  if ((t[11] - '0') * 10 + (t[12] - '0') > 23 || t[14] > '5' || t[17] > '5') return false;
  if (t.size() == 20) return t[19] == 'Z';
  if (t.size() == 25)
    return (t[19] == '+' || t[19] == '-') && digit(t[20]) && digit(t[21]) && t[22] == ':' &&
           digit(t[23]) && digit(t[24]) && (t[20] - '0') * 10 + (t[21] - '0') <= 14 && t[23] <= '5';
  return true;
}

// 128-bit fixed point for FastStep::arith; every value stays below 10^36 in magnitude, inside
// Decimal's 38 digits, so each operation is exact exactly as Decimal's.
struct Fixed {  // no initializers: a stack of them is not zeroed per expression
  Int128 c;
  int s;
};
inline constexpr Int128 kPow10[] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
    Int128{10000000000}, Int128{100000000000}, Int128{1000000000000},
    Int128{10000000000000}, Int128{100000000000000}, Int128{1000000000000000},
    Int128{10000000000000000}, Int128{100000000000000000}, Int128{1000000000000000000},
    Int128{1000000000000000000} * 10, Int128{1000000000000000000} * 100,
    Int128{1000000000000000000} * 1000, Int128{1000000000000000000} * 10000,
    Int128{1000000000000000000} * 100000, Int128{1000000000000000000} * 1000000,
    Int128{1000000000000000000} * 10000000, Int128{1000000000000000000} * 100000000,
    Int128{1000000000000000000} * 1000000000, Int128{1000000000000000000} * 10000000000,
    Int128{1000000000000000000} * 100000000000, Int128{1000000000000000000} * 1000000000000,
    Int128{1000000000000000000} * 10000000000000, Int128{1000000000000000000} * 100000000000000,
    Int128{1000000000000000000} * 1000000000000000,
    Int128{1000000000000000000} * 10000000000000000,
    Int128{1000000000000000000} * 100000000000000000,
    Int128{1000000000000000000} * 1000000000000000000};  // 10^36
inline constexpr int kFixedMaxScale = 36;
inline constexpr Int128 kFixedLimit = kPow10[36];
inline constexpr Int128 kMulLimit = kPow10[18];

inline Int128 magnitude(Int128 c) { return c < 0 ? -c : c; }

// The strict JSON number grammar without exponent, at most 18 digits: what Decimal::fromText
// reads to the same value. False: let the general evaluator decide.
inline bool parseFixed(std::string_view t, Fixed& out) {
  size_t i = 0;
  bool neg = !t.empty() && t[0] == '-';
  i += neg;
  if (i >= t.size() || !digit(t[i])) return false;
  if (t[i] == '0' && i + 1 < t.size() && digit(t[i + 1])) return false;
  int64_t c = 0;
  int n = 0, s = 0;
  for (; i < t.size() && digit(t[i]); ++i) {
    if (++n > 18) return false;
    c = c * 10 + (t[i] - '0');
  }
  if (i < t.size() && t[i] == '.') {
    if (++i >= t.size()) return false;
    for (; i < t.size() && digit(t[i]); ++i, ++s) {
      if (++n > 18) return false;
      c = c * 10 + (t[i] - '0');
    }
    if (s == 0) return false;
  }
  if (i != t.size()) return false;
  out.c = neg ? -Int128{c} : Int128{c};
  out.s = s;
  return true;
}

// Half-up (ties away from zero) to `scale` places when there are more.
inline void roundFixed(Fixed& f, int scale) {
  if (scale < 0 || f.s <= scale) return;
  Int128 d = kPow10[f.s - scale];
  Int128 m = magnitude(f.c);
  Int128 q, r;
  if (m <= static_cast<Int128>(UINT64_MAX) && d <= static_cast<Int128>(UINT64_MAX)) {
    uint64_t um = static_cast<uint64_t>(m), ud = static_cast<uint64_t>(d);
    q = um / ud, r = um % ud;
  } else {
    q = m / d, r = m % d;
  }
  if (r * 2 >= d) ++q;
  f.c = f.c < 0 ? -q : q;
  f.s = scale;
}

// Decimal::normalized().toString() of f into buf (at least 40 bytes); returns the length.
inline size_t printFixed(Fixed f, char* buf) {
  char digits[40];
  int n = 0;
  Int128 m = magnitude(f.c);
  if (m <= static_cast<Int128>(UINT64_MAX)) {  // 64-bit division by 10 is a multiplication
    uint64_t u = static_cast<uint64_t>(m);
    while (f.s > 0 && u % 10 == 0) u /= 10, --f.s;
    static constexpr char kPairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    while (u >= 100) {  // two digits per division
      const char* p = &kPairs[(u % 100) * 2];
      digits[n++] = p[1], digits[n++] = p[0];
      u /= 100;
    }
    if (u >= 10) digits[n++] = kPairs[u * 2 + 1], digits[n++] = kPairs[u * 2];
    else digits[n++] = static_cast<char>('0' + u);
  } else {
    while (f.s > 0 && m % 10 == 0) m /= 10, --f.s;
    do digits[n++] = static_cast<char>('0' + static_cast<int>(m % 10)), m /= 10;
    while (m != 0);
  }
  size_t k = 0;
  if (f.c < 0) buf[k++] = '-';
  int int_len = n - f.s;
  if (int_len <= 0) buf[k++] = '0';
  for (int i = 0; i < int_len; ++i) buf[k++] = digits[n - 1 - i];
  if (f.s > 0) {
    buf[k++] = '.';
    for (int i = int_len; i < 0; ++i) buf[k++] = '0';
    for (int i = int_len < 0 ? 0 : int_len; i < n; ++i) buf[k++] = digits[n - 1 - i];
  }
  return k;
}

// Short texts are copied inline (a call to memcpy costs more than copying ~20 bytes).
inline void copyBytes(char* d, const char* s, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a, b;
    __builtin_memcpy(&a, s, 8);
    __builtin_memcpy(&b, s + n - 8, 8);
    __builtin_memcpy(d, &a, 8);
    __builtin_memcpy(d + n - 8, &b, 8);
  } else if (n > 16 && n <= 32) {
    uint64_t a, b, c, e;
    __builtin_memcpy(&a, s, 8);
    __builtin_memcpy(&b, s + 8, 8);
    __builtin_memcpy(&c, s + n - 16, 8);
    __builtin_memcpy(&e, s + n - 8, 8);
    __builtin_memcpy(d, &a, 8);
    __builtin_memcpy(d + 8, &b, 8);
    __builtin_memcpy(d + n - 16, &c, 8);
    __builtin_memcpy(d + n - 8, &e, 8);
  } else if (n < 8) {
    for (size_t i = 0; i < n; ++i) d[i] = s[i];
  } else {
    __builtin_memcpy(d, s, n);
  }
}

// Keys are short: word compares instead of a byte loop or a call to memcmp.
[[gnu::always_inline]] inline bool keyEquals(const char* a, const char* b, size_t n) {
  if (n > 16 && n <= 32) {
    uint64_t x[4], y[4];
    __builtin_memcpy(&x[0], a, 16), __builtin_memcpy(&y[0], b, 16);
    __builtin_memcpy(&x[2], a + n - 16, 16), __builtin_memcpy(&y[2], b + n - 16, 16);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
  }
  if (n >= 8) {
    if (n > 16) return std::memcmp(a, b, n) == 0;
    uint64_t x0, y0, x1, y1;
    __builtin_memcpy(&x0, a, 8), __builtin_memcpy(&y0, b, 8);
    __builtin_memcpy(&x1, a + n - 8, 8), __builtin_memcpy(&y1, b + n - 8, 8);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  if (n >= 4) {
    uint32_t x0, y0, x1, y1;
    __builtin_memcpy(&x0, a, 4), __builtin_memcpy(&y0, b, 4);
    __builtin_memcpy(&x1, a + n - 4, 4), __builtin_memcpy(&y1, b + n - 4, 4);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

}  // namespace qiao::mapping::detail
