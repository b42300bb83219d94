// Golden tests of the standard mappings: every fixtures/<mapping>/input.json record mapped
// forward must equal the hand-written expected.json record; where a mapping is invertible,
// reverse(forward(x)) must give back x on every field the mapping carries.
#include "fixtures.h"
#include "qiao/core/decimal.h"
#include "qiao/mapping/path.h"

namespace qiao::mapping::stdtest {
namespace {

// Every member of `part` is in `whole` with an equal value (arrays element by element).
::testing::AssertionResult containedIn(Value part, Value whole, const std::string& at = "$") {
  if (part.isObject()) {
    if (!whole.isObject()) return ::testing::AssertionFailure() << at << " is not an object in the source";
    for (size_t i = 0; i < part.size(); ++i) {
      std::string key(part.keyAt(i));
      Value w = whole.find(key);
      if (!w) return ::testing::AssertionFailure() << at << "." << key << " is not in the source";
      auto r = containedIn(part.valueAt(i), w, at + "." + key);
      if (!r) return r;
    }
    return ::testing::AssertionSuccess();
  }
  if (part.isArray()) {
    if (!whole.isArray() || whole.size() != part.size())
      return ::testing::AssertionFailure() << at << ": arrays differ in length";
    for (size_t i = 0; i < part.size(); ++i) {
      auto r = containedIn(part.at(i), whole.at(i), at + "[" + std::to_string(i) + "]");
      if (!r) return r;
    }
    return ::testing::AssertionSuccess();
  }
  if (!equal(part, whole))
    return ::testing::AssertionFailure() << at << ": " << toJson(part) << " != source " << toJson(whole);
  return ::testing::AssertionSuccess();
}

class Golden : public ::testing::TestWithParam<const char*> {};

TEST_P(Golden, ForwardMatchesTheHandWrittenExpectation) {
  const std::string name = GetParam();
  auto plan = loadStandard(name);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->name(), name);
  Document in, expected, out;
  ASSERT_TRUE(readFixture(name, "input.json", in));
  ASSERT_TRUE(readFixture(name, "expected.json", expected));
  ASSERT_EQ(in.root().size(), expected.root().size());
  ASSERT_GE(in.root().size(), 2u);
  for (size_t i = 0; i < in.root().size(); ++i) {
    FieldErrors errors;
    Status s = apply(*plan, in.root().at(i), out, Direction::kForward, &errors);
    ASSERT_TRUE(s.ok()) << name << " record " << i << ": " << s.error().message;
    EXPECT_TRUE(errors.empty());
    EXPECT_TRUE(equal(out.root(), expected.root().at(i)))
        << name << " record " << i << "\n got: " << toJson(out.root())
        << "\nwant: " << toJson(expected.root().at(i));
  }
}

INSTANTIATE_TEST_SUITE_P(Standard, Golden,
                         ::testing::Values("crm_customer_to_k3_customer", "crm_order_to_k3_sale_order_finance",
                                           "k3_receivebill_to_crm_payment",
                                           "excel_customers", "excel_orders"));

TEST(StandardCustomerMapping, EveryRuleIsInvertible) {
  auto plan = loadStandard("crm_customer_to_k3_customer");
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->nonInvertible().empty());
  EXPECT_TRUE(plan->warnings().empty());
}

TEST(StandardCustomerMapping, ReverseOfForwardGivesBackTheMappedFields) {
  auto plan = loadStandard("crm_customer_to_k3_customer");
  ASSERT_TRUE(plan);
  Document in, want, fwd, back;
  ASSERT_TRUE(readFixture("crm_customer_to_k3_customer", "input.json", in));
  ASSERT_TRUE(readFixture("crm_customer_to_k3_customer", "reverse_expected.json", want));
  ASSERT_EQ(in.root().size(), want.root().size());
  for (size_t i = 0; i < in.root().size(); ++i) {
    ASSERT_TRUE(apply(*plan, in.root().at(i), fwd, Direction::kForward).ok());
    Status s = apply(*plan, fwd.root(), back, Direction::kReverse);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_TRUE(equal(back.root(), want.root().at(i)))
        << "record " << i << "\n got: " << toJson(back.root()) << "\nwant: " << toJson(want.root().at(i));
    EXPECT_TRUE(containedIn(back.root(), in.root().at(i))) << "record " << i;
  }
}

TEST(StandardCustomerMapping, ReverseReadsAK3ModelWithOnlyTheSocialCreditCode) {
  auto plan = loadStandard("crm_customer_to_k3_customer");
  ASSERT_TRUE(plan);
  const std::string k3 =
      R"({"data":{"Model":{"FCUSTID":100231,"FNumber":"C200001","FName":"杭州西湖茶业有限公司",)"
      R"("FSOCIALCRECODE":"91330106MA2B3C4D5E","FTRADINGCURRID":{"FNumber":"PRE002"},)"
      R"("FForbidStatus":"B","FT_BD_CUSTCONTACT":[{"FENTRYID":7,"FNAME1":"钱先生","FMOBILE":"13700000000"}]}}})";
  EXPECT_EQ(mapText(*plan, k3, Direction::kReverse),
            R"({"customerCode":"C200001","name":"杭州西湖茶业有限公司",)"
            R"("taxRegisterCode":"91330106MA2B3C4D5E","currency":"HKD","status":"forbidden",)"
            R"("contacts":[{"name":"钱先生","mobile":"13700000000"}]})");
}

TEST(StandardOrderFinanceMapping, EveryRuleIsInvertibleAndFinanceIsASubHeader) {
  auto plan = loadStandard("crm_order_to_k3_sale_order_finance");
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->nonInvertible().empty());
  Document in, fwd;
  ASSERT_TRUE(readFixture("crm_order_to_k3_sale_order_finance", "input.json", in));
  ASSERT_TRUE(apply(*plan, in.root().at(0), fwd, Direction::kForward).ok());
  Value model = fwd.root()["data"]["Model"];
  EXPECT_FALSE(model["FSettleCurrId"]);
  EXPECT_EQ(toJson(model["FSaleOrderFinance"]["FSettleCurrId"]), R"({"FNumber":"PRE001"})");
}

// Reverse gives back every mapped field; the differences from the source are the documented
// ones: the default exchange rate appears, the address comes back joined, a line's fallback
// delivery date becomes its own, and decimals keep their value but not trailing zeros.
TEST(StandardOrderFinanceMapping, ReverseOfForward) {
  auto plan = loadStandard("crm_order_to_k3_sale_order_finance");
  ASSERT_TRUE(plan);
  Document in, want, fwd, back;
  ASSERT_TRUE(readFixture("crm_order_to_k3_sale_order_finance", "input.json", in));
  ASSERT_TRUE(readFixture("crm_order_to_k3_sale_order_finance", "reverse_expected.json", want));
  ASSERT_EQ(in.root().size(), want.root().size());
  for (size_t i = 0; i < in.root().size(); ++i) {
    ASSERT_TRUE(apply(*plan, in.root().at(i), fwd, Direction::kForward).ok());
    Status s = apply(*plan, fwd.root(), back, Direction::kReverse);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_TRUE(equal(back.root(), want.root().at(i)))
        << "record " << i << "\n got: " << toJson(back.root()) << "\nwant: " << toJson(want.root().at(i));
    for (const char* f : {"orderId", "orderDate", "customerCode", "currency", "status", "paymentTerms",
                          "externalRef", "lines[0].materialCode", "lines[0].unit", "lines[0].taxRate"}) {
      auto p = Path::compile(f).value();
      EXPECT_TRUE(equal(get(in.root().at(i), p), get(back.root(), p))) << "record " << i << " " << f;
    }
    Value line = in.root().at(i)["lines"].at(0);
    Value back_line = back.root()["lines"].at(0);
    for (const char* f : {"qty", "price"})
      EXPECT_EQ(Decimal::parse(line[f].asString()).value(), Decimal::parse(back_line[f].asString()).value()) << f;
  }
}

TEST(StandardReceiveBillMapping, IsOneWayAndSaysWhichTargetsCannotBeReversed) {
  auto plan = loadStandard("k3_receivebill_to_crm_payment");
  ASSERT_TRUE(plan);
  // Renames, dates, decimals and the one-to-one code tables could be reversed (onto the first
  // entry); the filtered array and the concatenated remark cannot.
  EXPECT_EQ(plan->nonInvertible(), (std::vector<std::string>{"orderRefs", "remark"}));
}

TEST(StandardExcelMappings, CleanedAndDetectedFieldsAreNamedAsOneWay) {
  auto customers = loadStandard("excel_customers");
  auto orders = loadStandard("excel_orders");
  ASSERT_TRUE(customers && orders);
  // trim / halfwidth / upper lose information, and so do auto and Excel-serial dates.
  EXPECT_EQ(customers->nonInvertible().size(), 18u);
  EXPECT_EQ(orders->nonInvertible(),
            (std::vector<std::string>{"orderId", "orderDate", "customerCode", "customerName",
                                      "customerContact", "customerPhone", "shipToAddress", "currency",
                                      "remark", "lines[0].materialCode", "lines[0].materialName",
                                      "lines[0].unit", "lines[0].deliveryDate", "lines[0].warehouse"}));
}

TEST(StandardExcelMappings, AmountsComeBackAsTheSameExactValues) {
  auto plan = loadStandard("excel_orders");
  ASSERT_TRUE(plan);
  Document in, fwd, back;
  ASSERT_TRUE(readFixture("excel_orders", "input.json", in));
  Value row = in.root().at(1);  // "1,200", "￥1,234.50", "¥1,481,400.00"
  ASSERT_TRUE(apply(*plan, row, fwd, Direction::kForward).ok());
  Status s = apply(*plan, fwd.root(), back, Direction::kReverse);
  ASSERT_TRUE(s.ok()) << s.error().message;
  for (const char* col : {"数量", "单价", "金额"}) {
    auto a = Decimal::parse(row[col].asString());
    auto b = Decimal::parse(back.root()[col].asString());
    ASSERT_TRUE(a.ok() && b.ok()) << col << ": " << toJson(back.root());
    EXPECT_EQ(*a, *b) << col;
  }
  EXPECT_EQ(back.root()["金额"].asString(), "1481400.00");
  EXPECT_EQ(toJson(back.root()["行号"]), "\"2\"");  // number -> string on the way back
}

}  // namespace
}  // namespace qiao::mapping::stdtest
