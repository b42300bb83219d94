// qiao::Decimal: see the header for what is supported and the rounding modes.
#include "qiao/core/decimal.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace qiao {
namespace {

using UInt128 = unsigned __int128;

constexpr auto kPow10 = [] {
  std::array<Int128, 39> p{};
  p[0] = 1;
  for (std::size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
  return p;
}();
constexpr Int128 kMaxCoef = kPow10[38] - 1;

Int128 abs128(Int128 v) { return v < 0 ? -v : v; }
bool inRange(Int128 v) { return v >= -kMaxCoef && v <= kMaxCoef; }

// c * 10^k if it stays within 38 digits.
bool mulPow10(Int128 c, int k, Int128* out) {
  if (c == 0) { *out = 0; return true; }
  if (k > 38 || abs128(c) > kMaxCoef / kPow10[k]) return false;
  *out = c * kPow10[k];
  return true;
}

// Whether an inexact result moves one unit away from zero. half_cmp compares the discarded
// part with one half (-1 below, 0 exactly, 1 above); odd: the kept last digit is odd.
bool roundAway(RoundingMode mode, bool negative, int half_cmp, bool odd) {
  switch (mode) {
    case RoundingMode::kHalfUp: return half_cmp >= 0;
    case RoundingMode::kHalfEven: return half_cmp > 0 || (half_cmp == 0 && odd);
    case RoundingMode::kHalfDown: return half_cmp > 0;
    case RoundingMode::kUp: return true;
    case RoundingMode::kDown: return false;
    case RoundingMode::kCeiling: return !negative;
    case RoundingMode::kFloor: return negative;
  }
  return false;
}

// c / 10^k rounded with mode; k in 1..38. Never grows the magnitude past 38 digits.
Int128 roundDiv(Int128 c, int k, RoundingMode mode) {
  const Int128 p = kPow10[k];
  Int128 q = c / p;
  Int128 r = abs128(c % p);
  if (r == 0) return q;
  Int128 other = p - r;
  int half_cmp = r < other ? -1 : (r > other ? 1 : 0);
  if (roundAway(mode, c < 0, half_cmp, (q & 1) != 0)) q += c < 0 ? -1 : 1;
  return q;
}

Error invalid(std::string_view input, std::string_view why) {
  // Quote at most 64 bytes, cut at a UTF-8 boundary.
  std::string_view shown = input;
  bool cut = false;
  if (shown.size() > 64) {
    std::size_t n = 64;
    while (n > 0 && (static_cast<unsigned char>(shown[n]) & 0xC0) == 0x80) --n;
    shown = shown.substr(0, n);
    cut = true;
  }
  std::string msg = "invalid decimal \"";
  msg.append(shown);
  if (cut) msg += "...";
  msg += "\": ";
  msg.append(why);
  return Error::permanent(ErrorCode::kInvalidArgument, std::move(msg));
}

Error arithmetic(std::string_view op, std::string_view why) {
  std::string msg = "decimal ";
  msg.append(op);
  msg += ": ";
  msg.append(why);
  return Error::permanent(ErrorCode::kInvalidArgument, std::move(msg));
}

// Digits of |c|, most significant first; returns the count (>= 1).
int absDigits(Int128 c, char* out) {
  UInt128 v = static_cast<UInt128>(abs128(c));
  char tmp[40];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  } while (v != 0);
  for (int i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  return n;
}

// Text of coef * 10^-scale followed by extra_zeros more decimals.
std::string render(Int128 coef, int scale, int extra_zeros, char sep,
                   std::string_view prefix) {
  char digits[40];
  int n = absDigits(coef, digits);
  std::string out;
  out.reserve(static_cast<std::size_t>(n) + prefix.size() + 16 + extra_zeros);
  if (coef < 0) out += '-';
  out.append(prefix);
  int int_len = n - scale;
  if (int_len <= 0) {
    out += '0';
  } else {
    for (int i = 0; i < int_len; ++i) {
      if (sep != '\0' && i > 0 && (int_len - i) % 3 == 0) out += sep;
      out += digits[i];
    }
  }
  if (scale + extra_zeros > 0) {
    out += '.';
    for (int i = int_len; i < 0; ++i) out += '0';
    for (int i = int_len < 0 ? 0 : int_len; i < n; ++i) out += digits[i];
    out.append(static_cast<std::size_t>(extra_zeros), '0');
  }
  return out;
}

[[noreturn]] void overflowAbort(const char* op) {
  std::fprintf(stderr, "qiao::Decimal: overflow in operator%s (use checked%s)\n", op,
               op[0] == '+' ? "Add" : (op[0] == '-' ? "Sub" : "Mul"));
  std::abort();
}
Decimal orAbort(Result<Decimal> r, const char* op) {
  if (!r.ok()) overflowAbort(op);
  return *r;
}

// Parts of a number collected by the parsers, made into a Decimal by finish().
struct Parts {
  Int128 coef = 0;
  int significant = 0;  // digits after the leading zeros
  int frac_digits = 0;
  int64_t exponent = 0;
  bool any_digit = false;
  bool negative = false;

  // Returns the reason on failure, empty on success.
  std::string_view addDigit(char c, bool fractional) {
    any_digit = true;
    if (fractional) ++frac_digits;
    int d = c - '0';
    if (coef == 0 && d == 0) return {};
    if (++significant > Decimal::kMaxDigits) return "more than 38 significant digits";
    coef = coef * 10 + d;
    return {};
  }
};

Result<Decimal> finish(const Parts& p, std::string_view input) {
  int64_t scale = p.frac_digits - p.exponent;
  Int128 coef = p.coef;
  if (scale < 0) {
    if (!mulPow10(coef, static_cast<int>(-scale > 39 ? 39 : -scale), &coef))
      return invalid(input, "out of range (more than 38 digits)");
    scale = 0;
  }
  // Trailing zeros beyond the scale limit carry no value ("1.5000...0", "0E-50").
  while (scale > Decimal::kMaxScale && (coef % 10 == 0)) {
    coef /= 10;
    --scale;
  }
  if (scale > Decimal::kMaxScale) return invalid(input, "more than 38 decimal places");
  return Decimal::fromUnscaled(p.negative ? -coef : coef, static_cast<int>(scale));
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool isAlpha(char c) { return isUpper(c) || (c >= 'a' && c <= 'z'); }

// Markers for the normalized text: currency symbols and the 元 suffix.
constexpr char kSymbol = '\x01';
constexpr char kYuan = '\x02';

// Decodes UTF-8 and folds what office input produces into ASCII: full-width forms, odd
// spaces, the minus sign; currency symbols become markers. Returns the reason on failure.
std::string_view normalize(std::string_view in, bool full_width, char* out, std::size_t* len) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < in.size();) {
    unsigned char b = static_cast<unsigned char>(in[i]);
    if (b < 0x80) {
      out[n++] = b == '\t' ? ' ' : static_cast<char>(b);
      ++i;
      continue;
    }
    uint32_t cp;
    std::size_t extra;
    if ((b & 0xE0) == 0xC0) { cp = b & 0x1F; extra = 1; }
    else if ((b & 0xF0) == 0xE0) { cp = b & 0x0F; extra = 2; }
    else if ((b & 0xF8) == 0xF0) { cp = b & 0x07; extra = 3; }
    else return "not valid UTF-8";
    if (i + extra >= in.size()) return "not valid UTF-8";
    for (std::size_t k = 1; k <= extra; ++k) {
      unsigned char c = static_cast<unsigned char>(in[i + k]);
      if ((c & 0xC0) != 0x80) return "not valid UTF-8";
      cp = (cp << 6) | (c & 0x3F);
    }
    i += extra + 1;
    char mapped;
    if (cp == 0x3000 || cp == 0x00A0 || cp == 0x202F || cp == 0x2009) mapped = ' ';
    else if (cp == 0x2212) mapped = '-';
    else if (cp == 0x00A5 || cp == 0xFFE5 || cp == 0x20AC || cp == 0x00A3) mapped = kSymbol;
    else if (cp == 0x5143) mapped = kYuan;
    else if (cp >= 0xFF01 && cp <= 0xFF5E) {
      if (!full_width) return "full-width characters are not allowed";
      mapped = static_cast<char>(cp - 0xFEE0);
    } else {
      return "unexpected non-ASCII character";
    }
    out[n++] = mapped;
  }
  *len = n;
  return {};
}

void trimLeft(std::string_view& s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
}
void trim(std::string_view& s) {
  trimLeft(s);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
}

// Length of a currency symbol or 3-letter code at the start of s, 0 if none.
std::size_t currencyAt(std::string_view s) {
  if (s.empty()) return 0;
  if (s[0] == kSymbol || s[0] == '$' || s[0] == kYuan) return 1;
  if (s.size() >= 3 && isUpper(s[0]) && isUpper(s[1]) && isUpper(s[2]) &&
      (s.size() == 3 || !isAlpha(s[3])))
    return 3;
  return 0;
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

std::string unexpected(char c) {
  if (c == kSymbol || c == '$' || c == kYuan) return "unexpected currency symbol";
  std::string why = "unexpected '";
  why += c;
  why += '\'';
  return why;
}

}  // namespace

std::string_view toString(RoundingMode mode) {
  static constexpr std::string_view kNames[] = {"half_up", "half_even", "half_down", "up",
                                                "down",    "ceiling",   "floor"};
  auto i = static_cast<std::size_t>(mode);
  return i < std::size(kNames) ? kNames[i] : "?";
}

Result<RoundingMode> parseRoundingMode(std::string_view text) {
  std::string t(text);
  for (char& c : t) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '-') c = '_';
  }
  static constexpr RoundingMode kAll[] = {
      RoundingMode::kHalfUp, RoundingMode::kHalfEven, RoundingMode::kHalfDown, RoundingMode::kUp,
      RoundingMode::kDown,   RoundingMode::kCeiling,  RoundingMode::kFloor};
  for (RoundingMode m : kAll)
    if (t == toString(m)) return m;
  if (t == "bankers" || t == "banker") return RoundingMode::kHalfEven;
  return Error::permanent(ErrorCode::kInvalidArgument,
                          "unknown rounding mode \"" + std::string(text) +
                              "\" (half_up, half_even, half_down, up, down, ceiling, floor)");
}

Result<Decimal> Decimal::fromUnscaled(Int128 coefficient, int scale) {
  if (scale < 0 || scale > kMaxScale)
    return arithmetic("fromUnscaled", "scale " + std::to_string(scale) + " is outside 0..38");
  if (!inRange(coefficient))
    return arithmetic("fromUnscaled", "coefficient has more than 38 digits");
  return Decimal(coefficient, scale);
}

Result<Decimal> Decimal::parse(std::string_view text, const ParseOptions& options) {
  if (text.size() > 256) return invalid(text, "longer than 256 bytes");
  char buf[256];
  std::size_t len = 0;
  if (auto why = normalize(text, options.allow_full_width, buf, &len); !why.empty())
    return invalid(text, why);
  std::string_view s(buf, len);
  trim(s);
  if (s.empty()) return invalid(text, "empty input");

  Parts p;
  bool has_sign = false, paren = false, has_currency = false;
  if (s.front() == '(' || s.back() == ')') {
    if (!options.allow_parentheses) return invalid(text, "parentheses negatives are not enabled");
    if (s.front() != '(' || s.back() != ')' || s.size() < 2)
      return invalid(text, "unbalanced parentheses");
    s = s.substr(1, s.size() - 2);
    trim(s);
    paren = p.negative = true;
  }
  auto takeSign = [&]() -> std::string_view {
    if (s.empty() || (s[0] != '+' && s[0] != '-')) return {};
    if (paren) return "a sign inside parentheses";
    if (has_sign) return "more than one sign";
    has_sign = true;
    p.negative = s[0] == '-';
    s.remove_prefix(1);
    trimLeft(s);
    return {};
  };
  auto takeCurrency = [&](std::size_t n) -> std::string_view {
    if (!options.allow_currency) return "currency symbols are not allowed";
    if (has_currency) return "more than one currency symbol";
    has_currency = true;
    s.remove_prefix(n);
    trimLeft(s);
    return {};
  };
  if (auto why = takeSign(); !why.empty()) return invalid(text, why);
  if (equalsNoCase(s, "nan") || equalsNoCase(s, "inf") || equalsNoCase(s, "infinity"))
    return invalid(text, "not a finite number");
  if (std::size_t n = currencyAt(s); n > 0 && s[0] != kYuan) {
    if (auto why = takeCurrency(n); !why.empty()) return invalid(text, why);
    if (auto why = takeSign(); !why.empty()) return invalid(text, why);
  }

  // Integer part with optional thousands grouping.
  const char sep = static_cast<char>(options.thousands_separator);
  int group = 0;
  bool grouped = false;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (isDigit(c)) {
      if (auto why = p.addDigit(c, false); !why.empty()) return invalid(text, why);
      ++group;
    } else if (sep != '\0' && c == sep && group > 0 && i + 1 < s.size() && isDigit(s[i + 1])) {
      if (grouped ? group != 3 : group > 3)
        return invalid(text, "digit groups between thousands separators must have 3 digits");
      grouped = true;
      group = 0;
    } else {
      break;
    }
  }
  if (grouped && group != 3)
    return invalid(text, "digit groups between thousands separators must have 3 digits");
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && isDigit(s[i]); ++i)
      if (auto why = p.addDigit(s[i], true); !why.empty()) return invalid(text, why);
    if (i < s.size() && s[i] == '.') return invalid(text, "more than one decimal point");
  }
  if (!p.any_digit) return invalid(text, "not a number");
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    bool exp_neg = false;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) exp_neg = s[j++] == '-';
    if (j < s.size() && isDigit(s[j])) {
      if (!options.allow_exponent) return invalid(text, "exponent notation is not allowed");
      int64_t e = 0;
      for (; j < s.size() && isDigit(s[j]); ++j) {
        e = e * 10 + (s[j] - '0');
        if (e > 1000) return invalid(text, "exponent out of range");
      }
      p.exponent = exp_neg ? -e : e;
      i = j;
    }
  }
  s.remove_prefix(i);
  trimLeft(s);
  if (std::size_t n = currencyAt(s); n > 0) {
    if (auto why = takeCurrency(n); !why.empty()) return invalid(text, why);
  }
  if (!s.empty()) {
    if (s[0] == '.') return invalid(text, "more than one decimal point");
    if (s[0] == '+' || s[0] == '-') return invalid(text, "a sign after the number");
    return invalid(text, unexpected(s[0]));
  }
  return finish(p, text);
}

Result<Decimal> Decimal::fromText(std::string_view t) {
  Parts p;
  std::size_t i = 0;
  if (i < t.size() && t[i] == '-') { p.negative = true; ++i; }
  if (i >= t.size() || !isDigit(t[i])) return invalid(t, "not a JSON number");
  if (t[i] == '0' && i + 1 < t.size() && isDigit(t[i + 1]))
    return invalid(t, "leading zeros are not allowed in JSON");
  for (; i < t.size() && isDigit(t[i]); ++i)
    if (auto why = p.addDigit(t[i], false); !why.empty()) return invalid(t, why);
  if (i < t.size() && t[i] == '.') {
    if (++i >= t.size() || !isDigit(t[i])) return invalid(t, "a digit must follow '.'");
    for (; i < t.size() && isDigit(t[i]); ++i)
      if (auto why = p.addDigit(t[i], true); !why.empty()) return invalid(t, why);
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    bool exp_neg = false;
    if (++i < t.size() && (t[i] == '+' || t[i] == '-')) exp_neg = t[i++] == '-';
    if (i >= t.size() || !isDigit(t[i])) return invalid(t, "a digit must follow the exponent");
    int64_t e = 0;
    for (; i < t.size() && isDigit(t[i]); ++i) {
      e = e * 10 + (t[i] - '0');
      if (e > 1000) return invalid(t, "exponent out of range");
    }
    p.exponent = exp_neg ? -e : e;
  }
  if (i != t.size()) return invalid(t, unexpected(t[i]));
  return finish(p, t);
}

std::size_t Decimal::toChars(char* out) const {
  char digits[40];
  int n = absDigits(coef_, digits);
  std::size_t k = 0;
  if (coef_ < 0) out[k++] = '-';
  int int_len = n - scale_;
  if (int_len <= 0) {
    out[k++] = '0';
  } else {
    for (int i = 0; i < int_len; ++i) out[k++] = digits[i];
  }
  if (scale_ > 0) {
    out[k++] = '.';
    for (int i = int_len; i < 0; ++i) out[k++] = '0';
    for (int i = int_len < 0 ? 0 : int_len; i < n; ++i) out[k++] = digits[i];
  }
  return k;
}

std::string Decimal::toString() const {
  char buf[kMaxStringLength];
  return std::string(buf, toChars(buf));
}

std::string Decimal::toString(int scale, RoundingMode mode) const {
  FormatOptions o;
  o.scale = scale;
  o.rounding = mode;
  return format(o);
}

std::string Decimal::format(const FormatOptions& options) const {
  int target = options.scale < 0 ? scale_ : (options.scale > kMaxScale ? kMaxScale : options.scale);
  if (target >= scale_) {
    return render(coef_, scale_, target - scale_, static_cast<char>(options.thousands_separator),
                  options.currency_prefix);
  }
  Int128 c = roundDiv(coef_, scale_ - target, options.rounding);
  return render(c, target, 0, static_cast<char>(options.thousands_separator),
                options.currency_prefix);
}

double Decimal::toDouble() const {
  char buf[kMaxStringLength];
  std::size_t n = toChars(buf);
  double d = 0;
  std::from_chars(buf, buf + n, d);
  return d;
}

Result<Decimal> Decimal::rescale(int scale, RoundingMode mode) const {
  if (scale < 0 || scale > kMaxScale)
    return arithmetic("rescale", "scale " + std::to_string(scale) + " is outside 0..38");
  if (scale <= scale_) return round(scale, mode);
  Int128 c;
  if (!mulPow10(coef_, scale - scale_, &c))
    return arithmetic("rescale", "the result would have more than 38 digits");
  return Decimal(c, scale);
}

Decimal Decimal::round(int scale, RoundingMode mode) const {
  if (scale < 0) scale = 0;
  if (scale >= scale_) return *this;
  return Decimal(roundDiv(coef_, scale_ - scale, mode), scale);
}

Decimal Decimal::normalized() const {
  Int128 c = coef_;
  int s = scale_;
  if (c == 0) return Decimal();
  while (s > 0 && c % 10 == 0) {
    c /= 10;
    --s;
  }
  return Decimal(c, s);
}

Result<Decimal> Decimal::checkedAdd(const Decimal& o) const {
  int s = scale_ > o.scale_ ? scale_ : o.scale_;
  Int128 a, b, r;
  if (!mulPow10(coef_, s - scale_, &a) || !mulPow10(o.coef_, s - o.scale_, &b) ||
      __builtin_add_overflow(a, b, &r) || !inRange(r))
    return arithmetic("addition", "overflow (more than 38 digits)");
  return Decimal(r, s);
}

Result<Decimal> Decimal::checkedSub(const Decimal& o) const {
  Result<Decimal> r = checkedAdd(o.negate());
  if (!r.ok()) return arithmetic("subtraction", "overflow (more than 38 digits)");
  return r;
}

Result<Decimal> Decimal::checkedMul(const Decimal& o) const {
  Int128 r;
  if (__builtin_mul_overflow(coef_, o.coef_, &r) || !inRange(r))
    return arithmetic("multiplication", "overflow (more than 38 digits)");
  int s = scale_ + o.scale_;
  // Keep the value exact: only zeros are dropped to fit the scale limit.
  while (s > kMaxScale && r % 10 == 0) {
    r /= 10;
    --s;
  }
  if (s > kMaxScale) return arithmetic("multiplication", "more than 38 decimal places");
  return Decimal(r, s);
}

Result<Decimal> Decimal::divide(const Decimal& divisor, int scale, RoundingMode mode) const {
  if (divisor.isZero()) return arithmetic("division", "division by zero");
  if (scale < 0 || scale > kMaxScale)
    return arithmetic("division", "scale " + std::to_string(scale) + " is outside 0..38");
  const bool negative = (coef_ < 0) != (divisor.coef_ < 0);
  const Int128 a = abs128(coef_), b = abs128(divisor.coef_);
  // |this / divisor| * 10^scale = (a / b) * 10^e.
  const int e = scale + divisor.scale_ - scale_;
  Int128 q = a / b, r = a % b;
  int half_cmp;
  bool inexact;
  if (e >= 0) {
    // Long division, one digit at a time; r < b, and 10 * r is built by modular additions
    // so nothing exceeds 128 bits.
    for (int i = 0; i < e; ++i) {
      Int128 t = 0;
      int digit = 0;
      for (int k = 0; k < 10; ++k) {
        if (t >= b - r) { t -= b - r; ++digit; } else { t += r; }
      }
      r = t;
      if (q > (kMaxCoef - digit) / 10) return arithmetic("division", "overflow (more than 38 digits)");
      q = q * 10 + digit;
    }
    inexact = r != 0;
    Int128 other = b - r;
    half_cmp = r < other ? -1 : (r > other ? 1 : 0);
  } else {
    const Int128 p = kPow10[-e];
    Int128 rem = q % p;
    q /= p;
    inexact = rem != 0 || r != 0;
    Int128 other = p - rem;
    half_cmp = rem < other ? -1 : (rem > other ? 1 : (r != 0 ? 1 : 0));
  }
  if (inexact && roundAway(mode, negative, half_cmp, (q & 1) != 0)) {
    ++q;
    if (q > kMaxCoef) return arithmetic("division", "overflow (more than 38 digits)");
  }
  return Decimal(negative ? -q : q, scale);
}

Decimal operator+(const Decimal& a, const Decimal& b) { return orAbort(a.checkedAdd(b), "+"); }
Decimal operator-(const Decimal& a, const Decimal& b) { return orAbort(a.checkedSub(b), "-"); }
Decimal operator*(const Decimal& a, const Decimal& b) { return orAbort(a.checkedMul(b), "*"); }

int Decimal::compare(const Decimal& a, const Decimal& b) {
  int sa = a.signum(), sb = b.signum();
  if (sa != sb) return sa < sb ? -1 : 1;
  // Compare x * 10^d with y (d >= 0) without overflow: y = q * 10^d + r, |r| < 10^d, r has
  // y's sign, so x vs q decides unless equal, and then 0 vs r does.
  auto cmpScaled = [](Int128 x, int d, Int128 y) {
    if (d > 38) return x == 0 ? (y > 0 ? -1 : (y < 0 ? 1 : 0)) : (x > 0 ? 1 : -1);
    Int128 q = y / kPow10[d], r = y % kPow10[d];
    if (x != q) return x < q ? -1 : 1;
    return r > 0 ? -1 : (r < 0 ? 1 : 0);
  };
  if (a.scale_ <= b.scale_) return cmpScaled(a.coef_, b.scale_ - a.scale_, b.coef_);
  return -cmpScaled(b.coef_, a.scale_ - b.scale_, a.coef_);
}

std::size_t Decimal::hash() const {
  Decimal n = normalized();
  UInt128 u = static_cast<UInt128>(n.coef_);
  uint64_t lo = static_cast<uint64_t>(u), hi = static_cast<uint64_t>(u >> 64);
  std::size_t h = std::hash<uint64_t>{}(lo);
  h ^= std::hash<uint64_t>{}(hi) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= std::hash<uint64_t>{}(n.scale_) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

}  // namespace qiao
