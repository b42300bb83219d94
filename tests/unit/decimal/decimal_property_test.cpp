// qiao::Decimal properties over 100,000 random values (fixed seed, so failures reproduce).
#include <gtest/gtest.h>

#include <random>

#include "qiao/core/decimal.h"

namespace qiao {

inline void PrintTo(const Decimal& d, std::ostream* os) { *os << d.toString(); }

namespace {

constexpr int kIterations = 100000;

// Up to 17 digits and scale 0..12, so sums and products of two stay within 38 digits.
Decimal randomDecimal(std::mt19937_64& rng) {
  int digits = static_cast<int>(rng() % 17) + 1;
  Int128 coef = 0;
  for (int i = 0; i < digits; ++i) coef = coef * 10 + static_cast<int>(rng() % 10);
  if (rng() % 2) coef = -coef;
  return *Decimal::fromUnscaled(coef, static_cast<int>(rng() % 13));
}

const RoundingMode kModes[] = {RoundingMode::kHalfUp, RoundingMode::kHalfEven,
                               RoundingMode::kHalfDown, RoundingMode::kUp, RoundingMode::kDown,
                               RoundingMode::kCeiling, RoundingMode::kFloor};

TEST(DecimalProperty, RoundTripsAndAlgebra) {
  std::mt19937_64 rng(20260101);
  for (int i = 0; i < kIterations; ++i) {
    Decimal a = randomDecimal(rng), b = randomDecimal(rng);
    SCOPED_TRACE(a.toString() + " , " + b.toString());

    auto p = Decimal::parse(a.toString());
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE(p->identical(a));
    auto j = Decimal::fromText(a.toString());
    ASSERT_TRUE(j.ok());
    ASSERT_TRUE(j->identical(a));

    auto sum = a.checkedAdd(b);
    ASSERT_TRUE(sum.ok());
    auto back = sum->checkedSub(b);
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(*back, a);
    ASSERT_TRUE(a.checkedAdd(b)->identical(*b.checkedAdd(a)));

    auto ab = a.checkedMul(b);
    auto ba = b.checkedMul(a);
    ASSERT_TRUE(ab.ok() && ba.ok());
    ASSERT_TRUE(ab->identical(*ba));
    ASSERT_EQ(ab->scale(), a.scale() + b.scale());

    // Ordering agrees with the sign of the difference, and is antisymmetric.
    int c = Decimal::compare(a, b);
    ASSERT_EQ(c, a.checkedSub(b)->signum());
    ASSERT_EQ(Decimal::compare(b, a), -c);
    ASSERT_EQ(a == b, c == 0);
    ASSERT_EQ(a < b, c < 0);
    if (a == b) {
      ASSERT_EQ(a.hash(), b.hash());
    }

    // Exact division undoes multiplication.
    if (!b.isZero()) {
      auto q = ab->divide(b, a.scale(), RoundingMode::kUp);
      ASSERT_TRUE(q.ok());
      ASSERT_TRUE(q->identical(a));
    }

    // Rounding: monotonic, within one unit, agrees with division by one.
    int s = static_cast<int>(rng() % 13);
    for (RoundingMode m : kModes) {
      Decimal ra = a.round(s, m), rb = b.round(s, m);
      if (c <= 0) {
        ASSERT_LE(ra, rb) << toString(m) << " at " << s;
      } else {
        ASSERT_GE(ra, rb) << toString(m) << " at " << s;
      }
      auto viaDivide = a.divide(Decimal::fromInt(1), s < a.scale() ? s : a.scale(), m);
      ASSERT_TRUE(viaDivide.ok());
      ASSERT_TRUE(viaDivide->identical(ra)) << toString(m) << " at " << s;
      Decimal unit = *Decimal::fromUnscaled(1, ra.scale());
      ASSERT_LT(ra.checkedSub(a)->abs(), unit);
      ASSERT_EQ(a.toString(s, m), s <= a.scale() ? ra.toString() : a.rescale(s)->toString());
    }
    ASSERT_LE(a.round(s, RoundingMode::kFloor), a);
    ASSERT_GE(a.round(s, RoundingMode::kCeiling), a);
    ASSERT_LE(a.round(s, RoundingMode::kDown).abs(), a.abs());
    ASSERT_GE(a.round(s, RoundingMode::kUp).abs(), a.abs());
  }
}

// Grouped and currency forms parse back to the same value.
TEST(DecimalProperty, FormatParseRoundTrip) {
  std::mt19937_64 rng(7);
  Decimal::FormatOptions f;
  f.thousands_separator = Decimal::Separator::kComma;
  f.currency_prefix = "¥";
  for (int i = 0; i < kIterations / 10; ++i) {
    Decimal a = randomDecimal(rng);
    std::string text = a.format(f);
    auto back = Decimal::parse(text);
    ASSERT_TRUE(back.ok()) << text;
    ASSERT_TRUE(back->identical(a)) << text;
  }
}

}  // namespace
}  // namespace qiao
