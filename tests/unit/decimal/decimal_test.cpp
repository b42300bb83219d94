// qiao::Decimal: parsing, formatting, rounding, arithmetic and division cases.
#include "qiao/core/decimal.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>

namespace qiao {

inline void PrintTo(const Decimal& d, std::ostream* os) { *os << d.toString(); }

namespace {

using RM = RoundingMode;

Decimal D(std::string_view s) {
  auto r = Decimal::parse(s);
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Decimal();
}

std::string parsed(std::string_view s, const Decimal::ParseOptions& o = {}) {
  auto r = Decimal::parse(s, o);
  return r.ok() ? r->toString() : "ERR: " + r.error().message;
}

std::string parseError(std::string_view s, const Decimal::ParseOptions& o = {}) {
  auto r = Decimal::parse(s, o);
  if (r.ok()) return "OK " + r->toString();
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  return r.error().message;
}

TEST(DecimalParse, PlainForms) {
  EXPECT_EQ(parsed("1234.50"), "1234.50");
  EXPECT_EQ(parsed("-0.5"), "-0.5");
  EXPECT_EQ(parsed("+3"), "3");
  EXPECT_EQ(parsed(".5"), "0.5");
  EXPECT_EQ(parsed("5."), "5");
  EXPECT_EQ(parsed("0"), "0");
  EXPECT_EQ(parsed("-0"), "0");
  EXPECT_EQ(parsed("007.10"), "7.10");
  EXPECT_EQ(parsed("  42.00 \t"), "42.00");
  EXPECT_EQ(D("5.").scale(), 0);
  EXPECT_EQ(D("1234.50").scale(), 2);
}

TEST(DecimalParse, ThousandsSeparators) {
  EXPECT_EQ(parsed("1,234.50"), "1234.50");
  EXPECT_EQ(parsed("12,345,678.9"), "12345678.9");
  EXPECT_EQ(parsed("-999,999"), "-999999");
  Decimal::ParseOptions space;
  space.thousands_separator = Decimal::Separator::kSpace;
  EXPECT_EQ(parsed("1 234 567.25", space), "1234567.25");
  EXPECT_EQ(parsed("1\xC2\xA0" "234.5", space), "1234.5");  // no-break space
  EXPECT_EQ(parsed("CNY 1 234.50", space), "1234.50");
  EXPECT_EQ(parsed("1 234 CNY", space), "1234");
  EXPECT_EQ(parseError("1,234", space), "invalid decimal \"1,234\": unexpected ','");
  Decimal::ParseOptions none;
  none.thousands_separator = Decimal::Separator::kNone;
  EXPECT_EQ(parsed("1234.5", none), "1234.5");
  EXPECT_FALSE(Decimal::parse("1,234", none).ok());
}

TEST(DecimalParse, BadGrouping) {
  const std::string why = "digit groups between thousands separators must have 3 digits";
  EXPECT_EQ(parseError("1,23,4"), "invalid decimal \"1,23,4\": " + why);
  EXPECT_EQ(parseError("1234,567"), "invalid decimal \"1234,567\": " + why);
  EXPECT_EQ(parseError("1,2345"), "invalid decimal \"1,2345\": " + why);
  EXPECT_EQ(parseError("1,23"), "invalid decimal \"1,23\": " + why);
  EXPECT_FALSE(Decimal::parse("1,234.5,6").ok());
  EXPECT_FALSE(Decimal::parse(",123").ok());
  EXPECT_FALSE(Decimal::parse("1,234,").ok());
}

TEST(DecimalParse, CurrencySymbolsAndCodes) {
  EXPECT_EQ(parsed("¥1,234.50"), "1234.50");
  EXPECT_EQ(parsed("￥1,234.50"), "1234.50");  // full-width yen
  EXPECT_EQ(parsed("$99.95"), "99.95");
  EXPECT_EQ(parsed("€ 12"), "12");
  EXPECT_EQ(parsed("£0.01"), "0.01");
  EXPECT_EQ(parsed("CNY 1,234.50"), "1234.50");
  EXPECT_EQ(parsed("CNY1,234.50"), "1234.50");
  EXPECT_EQ(parsed("1,234.50元"), "1234.50");
  EXPECT_EQ(parsed("1,234.50 USD"), "1234.50");
  EXPECT_EQ(parsed("1.5EUR"), "1.5");
  EXPECT_EQ(parsed("-¥5.00"), "-5.00");
  EXPECT_EQ(parsed("¥-5.00"), "-5.00");
  EXPECT_EQ(parseError("¥1元"), "invalid decimal \"¥1元\": more than one currency symbol");
  EXPECT_EQ(parseError("-¥-5"), "invalid decimal \"-¥-5\": more than one sign");
  Decimal::ParseOptions strict;
  strict.allow_currency = false;
  EXPECT_EQ(parseError("¥1", strict), "invalid decimal \"¥1\": currency symbols are not allowed");
  EXPECT_FALSE(Decimal::parse("1元", strict).ok());
  EXPECT_FALSE(Decimal::parse("cny 5").ok());  // codes are upper case
}

TEST(DecimalParse, FullWidthOfficeInput) {
  EXPECT_EQ(parsed("１２３４．５０"), "1234.50");
  EXPECT_EQ(parsed("１，２３４．５０"), "1234.50");
  EXPECT_EQ(parsed("－０．５"), "-0.5");
  EXPECT_EQ(parsed("＋３"), "3");
  EXPECT_EQ(parseError("￥１元"), "invalid decimal \"￥１元\": more than one currency symbol");
  EXPECT_EQ(parsed("　￥１，２３４．５０　"), "1234.50");  // ideographic spaces
  EXPECT_EQ(parsed("１，２３４．５０元"), "1234.50");
  EXPECT_EQ(parsed("ＣＮＹ １２"), "12");
  Decimal::ParseOptions paren;
  paren.allow_parentheses = true;
  EXPECT_EQ(parsed("（１，２３４．５０）", paren), "-1234.50");
  Decimal::ParseOptions ascii;
  ascii.allow_full_width = false;
  EXPECT_EQ(parseError("１２", ascii),
            "invalid decimal \"１２\": full-width characters are not allowed");
}

TEST(DecimalParse, ParenthesesNegatives) {
  Decimal::ParseOptions o;
  o.allow_parentheses = true;
  EXPECT_EQ(parsed("(1,234.50)", o), "-1234.50");
  EXPECT_EQ(parsed("( ¥1,234.50 )", o), "-1234.50");
  EXPECT_EQ(parsed("(0)", o), "0");
  EXPECT_EQ(parseError("(1,234.50)"),
            "invalid decimal \"(1,234.50)\": parentheses negatives are not enabled");
  EXPECT_EQ(parseError("(5", o), "invalid decimal \"(5\": unbalanced parentheses");
  EXPECT_EQ(parseError("(-5)", o), "invalid decimal \"(-5)\": a sign inside parentheses");
}

TEST(DecimalParse, Exponent) {
  EXPECT_EQ(parsed("1.5E3"), "1500");
  EXPECT_EQ(parsed("1.5e-3"), "0.0015");
  EXPECT_EQ(parsed("1.50E1"), "15.0");
  EXPECT_EQ(parsed("-2E+2"), "-200");
  EXPECT_EQ(parsed("12E-2"), "0.12");
  Decimal::ParseOptions o;
  o.allow_exponent = false;
  EXPECT_EQ(parseError("1E3", o), "invalid decimal \"1E3\": exponent notation is not allowed");
  EXPECT_EQ(parseError("1E99999"), "invalid decimal \"1E99999\": exponent out of range");
  EXPECT_EQ(parseError("1E38"), "invalid decimal \"1E38\": out of range (more than 38 digits)");
  EXPECT_EQ(parsed("1E37"), "10000000000000000000000000000000000000");
  EXPECT_EQ(parseError("1E-39"), "invalid decimal \"1E-39\": more than 38 decimal places");
  EXPECT_FALSE(Decimal::parse("1E").ok());
  EXPECT_FALSE(Decimal::parse("E5").ok());
}

TEST(DecimalParse, Rejects) {
  EXPECT_EQ(parseError(""), "invalid decimal \"\": empty input");
  EXPECT_EQ(parseError("   "), "invalid decimal \"   \": empty input");
  EXPECT_EQ(parseError("1.2.3"), "invalid decimal \"1.2.3\": more than one decimal point");
  EXPECT_EQ(parseError("abc"), "invalid decimal \"abc\": not a number");
  EXPECT_EQ(parseError("."), "invalid decimal \".\": not a number");
  EXPECT_EQ(parseError("-"), "invalid decimal \"-\": not a number");
  EXPECT_EQ(parseError("NaN"), "invalid decimal \"NaN\": not a finite number");
  EXPECT_EQ(parseError("-Infinity"), "invalid decimal \"-Infinity\": not a finite number");
  EXPECT_EQ(parseError("inf"), "invalid decimal \"inf\": not a finite number");
  EXPECT_EQ(parseError("12abc"), "invalid decimal \"12abc\": unexpected 'a'");
  EXPECT_EQ(parseError("5-"), "invalid decimal \"5-\": a sign after the number");
  EXPECT_EQ(parseError("1 2"), "invalid decimal \"1 2\": unexpected '2'");
  EXPECT_EQ(parseError("1\xFF"), "invalid decimal \"1\xFF\": not valid UTF-8");
  EXPECT_EQ(parseError("1\xE2\x82"), "invalid decimal \"1\xE2\x82\": not valid UTF-8");
  EXPECT_EQ(parseError("约5"), "invalid decimal \"约5\": unexpected non-ASCII character");
  // 38 digits fit, 39 do not.
  EXPECT_EQ(parsed("99999999999999999999999999999999999999"),
            "99999999999999999999999999999999999999");
  EXPECT_EQ(parseError("999999999999999999999999999999999999999"),
            "invalid decimal \"999999999999999999999999999999999999999\": "
            "more than 38 significant digits");
  EXPECT_EQ(parsed("0.00000000000000000000000000000000000001"),
            "0.00000000000000000000000000000000000001");
  EXPECT_FALSE(Decimal::parse("0.000000000000000000000000000000000000001").ok());
  // Long input is quoted truncated.
  std::string long_input(300, '1');
  EXPECT_EQ(parseError(long_input),
            "invalid decimal \"" + std::string(64, '1') + "...\": longer than 256 bytes");
}

TEST(DecimalFromText, JsonNumbers) {
  auto t = [](std::string_view s) {
    auto r = Decimal::fromText(s);
    return r.ok() ? r->toString() : "ERR: " + r.error().message;
  };
  EXPECT_EQ(t("12.30"), "12.30");
  EXPECT_EQ(Decimal::fromText("12.30")->scale(), 2);
  EXPECT_EQ(t("-0.5"), "-0.5");
  EXPECT_EQ(t("0"), "0");
  EXPECT_EQ(t("1.5e3"), "1500");
  EXPECT_EQ(t("1E-2"), "0.01");
  EXPECT_EQ(t("01"), "ERR: invalid decimal \"01\": leading zeros are not allowed in JSON");
  EXPECT_EQ(t("+1"), "ERR: invalid decimal \"+1\": not a JSON number");
  EXPECT_EQ(t(".5"), "ERR: invalid decimal \".5\": not a JSON number");
  EXPECT_EQ(t("5."), "ERR: invalid decimal \"5.\": a digit must follow '.'");
  EXPECT_EQ(t("1,000"), "ERR: invalid decimal \"1,000\": unexpected ','");
  EXPECT_EQ(t("1e"), "ERR: invalid decimal \"1e\": a digit must follow the exponent");
  EXPECT_EQ(t(" 1"), "ERR: invalid decimal \" 1\": not a JSON number");
  EXPECT_FALSE(Decimal::fromText("").ok());
}

TEST(DecimalFormat, CanonicalAndScaled) {
  EXPECT_EQ(Decimal::fromInt(-42).toString(), "-42");
  EXPECT_EQ(Decimal::fromInt(0).toString(), "0");
  EXPECT_EQ(D("0.05").toString(), "0.05");
  EXPECT_EQ(D("-0.005").toString(), "-0.005");
  EXPECT_EQ(D("12.3").toString(4), "12.3000");
  EXPECT_EQ(D("12.345").toString(2), "12.35");
  EXPECT_EQ(D("12.345").toString(2, RM::kHalfEven), "12.34");
  EXPECT_EQ(D("-0.004").toString(2), "0.00");  // no negative zero
  EXPECT_EQ(D("1234567.891").toString(0), "1234568");
  Decimal::FormatOptions o;
  o.scale = 2;
  o.thousands_separator = Decimal::Separator::kComma;
  o.currency_prefix = "¥";
  EXPECT_EQ(D("1234567.891").format(o), "¥1,234,567.89");
  EXPECT_EQ(D("-1234.5").format(o), "-¥1,234.50");
  EXPECT_EQ(D("999.995").format(o), "¥1,000.00");
  EXPECT_EQ(D("0.5").format(o), "¥0.50");
  o.scale = -1;
  o.currency_prefix = "CNY ";
  o.thousands_separator = Decimal::Separator::kSpace;
  EXPECT_EQ(D("1234567").format(o), "CNY 1 234 567");
  char buf[Decimal::kMaxStringLength];
  Decimal smallest = *Decimal::fromUnscaled(-1, 38);
  EXPECT_EQ(smallest.toChars(buf), Decimal::kMaxStringLength);  // "-0." + 38 digits
  EXPECT_EQ(std::string(buf, smallest.toChars(buf)),
            "-0.00000000000000000000000000000000000001");
}

TEST(DecimalFormat, ToDoubleIsApproximate) {
  EXPECT_DOUBLE_EQ(D("1234.50").toDouble(), 1234.5);
  EXPECT_DOUBLE_EQ(D("-0.1").toDouble(), -0.1);
}

TEST(DecimalRounding, ModeNames) {
  EXPECT_EQ(toString(RM::kHalfEven), "half_even");
  EXPECT_EQ(*parseRoundingMode("HALF-UP"), RM::kHalfUp);
  EXPECT_EQ(*parseRoundingMode("bankers"), RM::kHalfEven);
  EXPECT_EQ(*parseRoundingMode("floor"), RM::kFloor);
  auto bad = parseRoundingMode("nearest");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "unknown rounding mode \"nearest\" (half_up, half_even, half_down, up, down, "
            "ceiling, floor)");
}

struct RoundCase {
  const char* in;
  int scale;
  // half_up, half_even, half_down, up, down, ceiling, floor
  const char* out[7];
};

TEST(DecimalRounding, TableAllModes) {
  const RoundCase cases[] = {
      {"2.5", 0, {"3", "2", "2", "3", "2", "3", "2"}},
      {"-2.5", 0, {"-3", "-2", "-2", "-3", "-2", "-2", "-3"}},
      {"3.5", 0, {"4", "4", "3", "4", "3", "4", "3"}},
      {"-3.5", 0, {"-4", "-4", "-3", "-4", "-3", "-3", "-4"}},
      {"2.4", 0, {"2", "2", "2", "3", "2", "3", "2"}},
      {"-2.6", 0, {"-3", "-3", "-3", "-3", "-2", "-2", "-3"}},
      {"0.5", 0, {"1", "0", "0", "1", "0", "1", "0"}},
      {"-0.5", 0, {"-1", "0", "0", "-1", "0", "0", "-1"}},
      {"2.25", 1, {"2.3", "2.2", "2.2", "2.3", "2.2", "2.3", "2.2"}},
      {"-2.25", 1, {"-2.3", "-2.2", "-2.2", "-2.3", "-2.2", "-2.2", "-2.3"}},
      {"2.35", 1, {"2.4", "2.4", "2.3", "2.4", "2.3", "2.4", "2.3"}},
      {"2.251", 1, {"2.3", "2.3", "2.3", "2.3", "2.2", "2.3", "2.2"}},
      {"1.005", 2, {"1.01", "1.00", "1.00", "1.01", "1.00", "1.01", "1.00"}},
      {"-1.015", 2, {"-1.02", "-1.02", "-1.01", "-1.02", "-1.01", "-1.01", "-1.02"}},
      {"0.125", 2, {"0.13", "0.12", "0.12", "0.13", "0.12", "0.13", "0.12"}},
      {"2.00", 0, {"2", "2", "2", "2", "2", "2", "2"}},
      {"1.0000000000000000005", 18,
       {"1.000000000000000001", "1.000000000000000000", "1.000000000000000000",
        "1.000000000000000001", "1.000000000000000000", "1.000000000000000001",
        "1.000000000000000000"}},
      {"-9.99", 1, {"-10.0", "-10.0", "-10.0", "-10.0", "-9.9", "-9.9", "-10.0"}},
  };
  const RM modes[] = {RM::kHalfUp, RM::kHalfEven, RM::kHalfDown, RM::kUp,
                      RM::kDown,   RM::kCeiling,  RM::kFloor};
  for (const auto& c : cases) {
    for (int m = 0; m < 7; ++m) {
      auto r = D(c.in).rescale(c.scale, modes[m]);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->toString(), c.out[m]) << c.in << " mode " << toString(modes[m]);
      EXPECT_EQ(D(c.in).toString(c.scale, modes[m]), c.out[m]);
    }
  }
}

TEST(DecimalRounding, RescaleUpAndLimits) {
  EXPECT_EQ(D("1.5").rescale(4)->toString(), "1.5000");
  EXPECT_FALSE(D("1.5").rescale(39).ok());
  EXPECT_FALSE(D("1.5").rescale(-1).ok());
  auto big = D("12345678901234567890123456789012345678");
  auto r = big.rescale(1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "decimal rescale: the result would have more than 38 digits");
  EXPECT_EQ(big.round(0).toString(), big.toString());
  EXPECT_EQ(D("99999999999999999999999999999999999999").rescale(0)->toString(),
            "99999999999999999999999999999999999999");
  EXPECT_EQ(D("9999999999999999999999999999999999999.9").rescale(0)->toString(),
            "10000000000000000000000000000000000000");
}

TEST(DecimalArithmetic, Basics) {
  EXPECT_EQ((D("1.10") + D("2.205")).toString(), "3.305");
  EXPECT_EQ((D("1.10") - D("2.205")).toString(), "-1.105");
  EXPECT_EQ((D("1.10") * D("2.205")).toString(), "2.42550");
  EXPECT_EQ((D("0.1") + D("0.2")).toString(), "0.3");
  EXPECT_EQ(D("0.1") + D("0.2"), D("0.3"));
  EXPECT_EQ((D("-3") * D("-0.5")).toString(), "1.5");
  EXPECT_EQ(D("-7.25").abs().toString(), "7.25");
  EXPECT_EQ(D("7.25").negate().toString(), "-7.25");
  EXPECT_EQ((-D("0")).toString(), "0");
  EXPECT_EQ(D("-0.01").signum(), -1);
  EXPECT_EQ(D("0.00").signum(), 0);
  EXPECT_TRUE(D("0.00").isZero());
  EXPECT_EQ(D("3").signum(), 1);
  Decimal x = D("10");
  x += D("0.5");
  x *= D("2");
  x -= D("1");
  EXPECT_EQ(x.toString(), "20.0");
}

TEST(DecimalArithmetic, Identities) {
  const char* vals[] = {"0", "1", "-1", "0.001", "123.45", "-98765.4321", "1E15", "0.5"};
  for (const char* a : vals) {
    for (const char* b : vals) {
      Decimal x = D(a), y = D(b);
      EXPECT_EQ(x + y, y + x);
      EXPECT_EQ(x * y, y * x);
      EXPECT_EQ((x + y) - y, x);
      EXPECT_EQ(x + Decimal(), x);
      EXPECT_EQ(x * Decimal::fromInt(1), x);
      EXPECT_TRUE((x * Decimal()).isZero());
      EXPECT_EQ(x - x, Decimal());
      EXPECT_EQ(x + x.negate(), Decimal());
      EXPECT_EQ(x * (y + D("2")), x * y + x * D("2"));
    }
  }
}

TEST(DecimalArithmetic, OverflowIsAnError) {
  Decimal max = D("99999999999999999999999999999999999999");
  auto s = max.checkedAdd(D("1"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().message, "decimal addition: overflow (more than 38 digits)");
  EXPECT_FALSE(max.negate().checkedSub(D("1")).ok());
  EXPECT_TRUE(max.checkedSub(D("1")).ok());
  EXPECT_FALSE(D("1E37").checkedAdd(D("0.1")).ok());  // would need 39 digits
  auto m = D("10000000000000000000").checkedMul(D("10000000000000000000"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message, "decimal multiplication: overflow (more than 38 digits)");
  auto fine = D("9999999999999999999").checkedMul(D("9999999999999999999"));
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(fine->toString(), "99999999999999999980000000000000000001");
  // Scale 20 + 20 > 38: exact only when the extra digits are zeros.
  EXPECT_FALSE(D("0.00000000000000000001").checkedMul(D("0.00000000000000000001")).ok());
  auto z = D("0.10000000000000000000").checkedMul(D("0.1000000000000000000"));
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(*z, D("0.01"));
  EXPECT_EQ(z->scale(), 38);
}

TEST(DecimalArithmeticDeathTest, OperatorsAbortOnOverflow) {
  Decimal max = D("99999999999999999999999999999999999999");
  EXPECT_DEATH({ auto r = max + D("1"); (void)r; }, "overflow in operator\\+");
  EXPECT_DEATH({ auto r = max * D("10"); (void)r; }, "checkedMul");
}

TEST(DecimalDivide, Cases) {
  auto div = [](const char* a, const char* b, int scale, RM m = RM::kHalfUp) {
    auto r = D(a).divide(D(b), scale, m);
    return r.ok() ? r->toString() : "ERR: " + r.error().message;
  };
  EXPECT_EQ(div("1", "3", 10), "0.3333333333");
  EXPECT_EQ(div("2", "3", 10), "0.6666666667");
  EXPECT_EQ(div("2", "3", 10, RM::kDown), "0.6666666666");
  EXPECT_EQ(div("-2", "3", 10), "-0.6666666667");
  EXPECT_EQ(div("2", "-3", 4, RM::kFloor), "-0.6667");
  EXPECT_EQ(div("2", "-3", 4, RM::kCeiling), "-0.6666");
  EXPECT_EQ(div("-1", "-8", 2), "0.13");
  EXPECT_EQ(div("-1", "-8", 2, RM::kHalfEven), "0.12");
  EXPECT_EQ(div("10", "4", 0, RM::kHalfEven), "2");
  EXPECT_EQ(div("10", "4", 0), "3");
  EXPECT_EQ(div("115.50", "3", 2), "38.50");
  EXPECT_EQ(div("1", "0.0001", 0), "10000");
  EXPECT_EQ(div("1.000", "7", 0), "0");
  EXPECT_EQ(div("12345.6789", "1", 2), "12345.68");
  EXPECT_EQ(div("12345.6789", "0.001", 0), "12345679");
  EXPECT_EQ(div("0.00000000000000000000000000000000000003", "1", 0), "0");
  EXPECT_EQ(div("0.00000000000000000000000000000000000005", "1", 37), "0.0000000000000000000000000000000000001");
  EXPECT_EQ(div("-0.00000000000000000000000000000000000005", "1", 37, RM::kHalfDown), "0.0000000000000000000000000000000000000");
}

TEST(DecimalDivide, Errors) {
  auto z = D("1").divide(D("0.00"), 2);
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(z.error().message, "decimal division: division by zero");
  auto o = D("1E30").divide(D("0.0000001"), 2);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().message, "decimal division: overflow (more than 38 digits)");
  EXPECT_FALSE(D("1").divide(D("3"), 39).ok());
  // Largest operands still divide exactly.
  Decimal max = D("99999999999999999999999999999999999999");
  EXPECT_EQ(max.divide(max, 37)->toString(), "1." + std::string(37, '0'));
  EXPECT_FALSE(max.divide(max, 38).ok());  // 1 at scale 38 needs 39 digits
  EXPECT_EQ(max.divide(D("3"), 0)->toString(), "33333333333333333333333333333333333333");
  EXPECT_EQ(D("1").divide(max, 38)->toString(), "0." + std::string(37, '0') + "1");
  EXPECT_FALSE(max.divide(D("0.99999999999999999999999999999999999999"), 0).ok());  // 10^38
}

TEST(DecimalCompare, AcrossScales) {
  EXPECT_EQ(D("1.50"), D("1.5"));
  EXPECT_FALSE(D("1.50").identical(D("1.5")));
  EXPECT_LT(D("1.49"), D("1.5"));
  EXPECT_GT(D("-1.49"), D("-1.5"));
  EXPECT_LE(D("0.00"), D("0"));
  EXPECT_LT(D("-0.00000000000000000000000000000000000001"), D("0"));
  const Decimal big = D("99999999999999999999999999999999999999");
  const Decimal tiny = D("0.99999999999999999999999999999999999999");
  EXPECT_GT(big, tiny);
  EXPECT_LT(big.negate(), tiny.negate());
  EXPECT_GT(D("1"), tiny);
  EXPECT_LT(D("-1"), tiny.negate());
  EXPECT_EQ(D("1.0000000000000000000000000000000000000"), D("1"));
  EXPECT_TRUE((D("2") <=> D("2.000")) == 0);
  std::unordered_set<Decimal> set{D("1.5"), D("1.50"), D("1.500"), D("2")};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(D("100").normalized().toString(), "100");
  EXPECT_EQ(D("1.500").normalized().toString(), "1.5");
  EXPECT_EQ(D("0.000").normalized().toString(), "0");
}

// Line amounts the peer kit computes (qty x price rounded to 2), exact here.
TEST(DecimalPeerKit, QtyTimesPriceRoundedToTwo) {
  struct Case { const char* qty; const char* price; const char* amount; };
  const Case cases[] = {
      {"3", "38.50", "115.50"},     {"2", "1299.00", "2598.00"},  {"1.5", "19.99", "29.99"},
      {"0.333", "3.00", "1.00"},    {"7", "0.15", "1.05"},        {"1.005", "1", "1.01"},
      {"12", "8.875", "106.50"},    {"3", "0.1", "0.30"},         {"-2", "38.50", "-77.00"},
  };
  for (const auto& c : cases) {
    auto line = D(c.qty).checkedMul(D(c.price));
    ASSERT_TRUE(line.ok());
    EXPECT_EQ(line->toString(2), c.amount) << c.qty << " x " << c.price;
  }
  // 13% VAT on a line, then the total.
  Decimal amount = D("115.50");
  Decimal tax = (amount * D("0.13")).round(2);
  EXPECT_EQ(tax.toString(), "15.02");
  EXPECT_EQ((amount + tax).toString(), "130.52");
}

}  // namespace
}  // namespace qiao
