// qiao::Decimal — an exact decimal number for amounts, quantities and prices.
//
// Amounts never pass through binary floating point: "0.1" is the integer 1 at scale 1, not the
// double nearest to 0.1. A Decimal is a value type with no heap allocation: a signed 128-bit
// coefficient holding at most 38 decimal digits (|coefficient| <= 10^38 - 1) and a scale 0..38,
// value = coefficient * 10^-scale. 38 digits cover any product of two 19-digit operands exactly
// (e.g. 1,000,000,000.000000 qty x 9,999,999,999.99999999 price) and keep room for rounding.
//
// Supported
//   - Parsing (Decimal::parse), errors as values (kInvalidArgument, the message quotes the input
//     and says what is wrong): "1234.50", "-0.5", "+3", ".5", "5.", "1.5E3" (exact: 1500);
//     thousands separators "1,234.50" (',' or ' ' or none; groups after the first must be
//     exactly 3 digits); currency symbols and codes before or after the number when allowed:
//     "¥1,234.50", "￥1,234.50", "$", "€", "£", "CNY 1,234.50", "1,234.50元", "1,234.50 USD";
//     full-width digits and '．' '，' '－' '＋' '（' '）' and the ideographic space (Chinese
//     office input); "(1,234.50)" as a negative when enabled; surrounding spaces. Rejected:
//     "", "1.2.3", "abc", "1,23,4", NaN/Inf, more than 38 digits or 38 decimal places.
//   - Decimal::fromText: the strict JSON number grammar, keeping the scale ("12.30" -> scale 2).
//   - toString(): canonical, no exponent, keeps the scale ("12.30"); toString(scale, mode);
//     format(FormatOptions) adds rounding, thousands separators and a currency prefix.
//   - Arithmetic: checkedAdd/Sub/Mul (exact; scale of a product = sum of the scales) and
//     divide(d, scale, mode) return Result and fail with kInvalidArgument on overflow or
//     division by zero. The operators + - * are for values known to be in range (constants,
//     tests): on overflow they abort the process (a release-mode check, never a silent wrap
//     or saturation — a wrong amount is worse than a crash). Code that handles input uses the
//     checked forms.
//   - Comparison is by value across scales: 1.50 == 1.5, and hashing agrees (std::hash uses
//     the normalized form). toString still tells them apart.
//   - toDouble() is lossy, for display and metrics only.
//
// Rounding modes (what happens to the discarded digits; examples at scale 0):
//                 2.5   -2.5   2.4  -2.4   2.6  -2.6   3.5
//   kHalfUp        3     -3     2    -2     3    -3     4    ties away from zero (commercial, default)
//   kHalfEven      2     -2     2    -2     3    -3     4    ties to the even digit (banker's)
//   kHalfDown      2     -2     2    -2     3    -3     3    ties towards zero
//   kUp            3     -3     3    -3     3    -3     4    away from zero
//   kDown          2     -2     2    -2     2    -2     3    towards zero (truncate)
//   kCeiling       3     -2     3    -2     3    -2     4    towards +infinity
//   kFloor         2     -3     2    -3     2    -3     3    towards -infinity
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "qiao/core/result.h"

namespace qiao {

__extension__ typedef __int128 Int128;  // NOLINT(modernize-use-using): __extension__ needs typedef

enum class RoundingMode : uint8_t { kHalfUp, kHalfEven, kHalfDown, kUp, kDown, kCeiling, kFloor };

// "half_up", "half_even", "half_down", "up", "down", "ceiling", "floor".
std::string_view toString(RoundingMode mode);
// Accepts the names above (case-insensitive; '-' for '_' too) and "bankers" for half_even.
Result<RoundingMode> parseRoundingMode(std::string_view text);

class Decimal {
 public:
  static constexpr int kMaxDigits = 38;
  static constexpr int kMaxScale = 38;
  // Longest toString(): sign, "0.", 38 digits.
  static constexpr std::size_t kMaxStringLength = 41;

  enum class Separator : char { kNone = '\0', kComma = ',', kSpace = ' ' };

  struct ParseOptions {
    Separator thousands_separator = Separator::kComma;
    bool allow_currency = true;     // ¥ ￥ $ € £, ISO-style codes (CNY, USD, RMB), 元
    bool allow_parentheses = false; // "(1,234.50)" = -1234.50 (accounting style)
    bool allow_exponent = true;     // "1.5E3"
    bool allow_full_width = true;   // full-width digits, '．' '，' '－' '＋' '（' '）'
  };

  struct FormatOptions {
    int scale = -1;                 // -1: keep the value's scale
    RoundingMode rounding = RoundingMode::kHalfUp;
    Separator thousands_separator = Separator::kNone;
    std::string_view currency_prefix;  // e.g. "¥" or "CNY "; placed after the minus sign
  };

  // Zero at scale 0.
  constexpr Decimal() = default;

  static Decimal fromInt(int64_t value) { return Decimal(value, 0); }
  // coefficient * 10^-scale; fails if |coefficient| has more than 38 digits or scale > 38.
  static Result<Decimal> fromUnscaled(Int128 coefficient, int scale);
  static Result<Decimal> parse(std::string_view text, const ParseOptions& options);
  static Result<Decimal> parse(std::string_view text) { return parse(text, ParseOptions{}); }
  // JSON number text, exact: "-12.30" keeps scale 2; "1.5e3" is 1500. Strict JSON grammar.
  static Result<Decimal> fromText(std::string_view json_number);

  Int128 coefficient() const { return coef_; }
  int scale() const { return scale_; }

  std::string toString() const;
  // Rounded (or zero-padded) to exactly `scale` decimals, 0..38.
  std::string toString(int scale, RoundingMode mode = RoundingMode::kHalfUp) const;
  std::string format(const FormatOptions& options) const;
  // Writes toString() to out (at least kMaxStringLength bytes, not terminated); returns length.
  std::size_t toChars(char* out) const;
  // Lossy: the nearest double. For display and metrics only, never for amounts.
  double toDouble() const;

  // Exactly `scale` decimals. Lowering the scale rounds with `mode` and cannot fail; raising
  // it fails if the coefficient would exceed 38 digits.
  Result<Decimal> rescale(int scale, RoundingMode mode = RoundingMode::kHalfUp) const;
  // Rounds to at most `scale` decimals (never raises the scale), cannot fail.
  Decimal round(int scale, RoundingMode mode = RoundingMode::kHalfUp) const;
  // Same value, trailing fractional zeros removed: 1.500 -> 1.5, 100 -> 100.
  Decimal normalized() const;

  Result<Decimal> checkedAdd(const Decimal& other) const;
  Result<Decimal> checkedSub(const Decimal& other) const;
  Result<Decimal> checkedMul(const Decimal& other) const;
  // this / divisor rounded to exactly `scale` decimals. Fails on division by zero or overflow.
  Result<Decimal> divide(const Decimal& divisor, int scale,
                         RoundingMode mode = RoundingMode::kHalfUp) const;

  bool isZero() const { return coef_ == 0; }
  int signum() const { return coef_ > 0 ? 1 : (coef_ < 0 ? -1 : 0); }
  Decimal abs() const { return coef_ < 0 ? negate() : *this; }
  Decimal negate() const { return Decimal(-coef_, scale_); }
  Decimal operator-() const { return negate(); }

  // Abort on overflow; see the header comment.
  friend Decimal operator+(const Decimal& a, const Decimal& b);
  friend Decimal operator-(const Decimal& a, const Decimal& b);
  friend Decimal operator*(const Decimal& a, const Decimal& b);
  Decimal& operator+=(const Decimal& o) { return *this = *this + o; }
  Decimal& operator-=(const Decimal& o) { return *this = *this - o; }
  Decimal& operator*=(const Decimal& o) { return *this = *this * o; }

  // By value: 1.50 == 1.5. Weak ordering because equal values may print differently.
  friend bool operator==(const Decimal& a, const Decimal& b) { return compare(a, b) == 0; }
  friend std::weak_ordering operator<=>(const Decimal& a, const Decimal& b) {
    int c = compare(a, b);
    return c < 0 ? std::weak_ordering::less
                 : (c > 0 ? std::weak_ordering::greater : std::weak_ordering::equivalent);
  }
  // -1, 0 or 1; never overflows.
  static int compare(const Decimal& a, const Decimal& b);
  // Same coefficient and scale (1.50 and 1.5 differ).
  bool identical(const Decimal& o) const { return coef_ == o.coef_ && scale_ == o.scale_; }

  std::size_t hash() const;

 private:
  constexpr Decimal(Int128 coef, int scale) : coef_(coef), scale_(static_cast<uint8_t>(scale)) {}

  Int128 coef_ = 0;
  uint8_t scale_ = 0;
};

}  // namespace qiao

template <>
struct std::hash<qiao::Decimal> {
  std::size_t operator()(const qiao::Decimal& d) const noexcept { return d.hash(); }
};
