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
  FixtureXref xref;  // fixtures/<mapping>/xref.json, for lookup rules
  ASSERT_TRUE(xref.load(name));
  for (size_t i = 0; i < in.root().size(); ++i) {
    FieldErrors errors;
    ApplyOptions options;
    options.errors = &errors;
    options.xref = xref.loaded ? &xref : nullptr;
    Status s = apply(*plan, in.root().at(i), out, Direction::kForward, options);
    ASSERT_TRUE(s.ok()) << name << " record " << i << ": " << s.error().message;
    EXPECT_TRUE(errors.empty());
    EXPECT_TRUE(equal(out.root(), expected.root().at(i)))
        << name << " record " << i << "\n got: " << toJson(out.root())
        << "\nwant: " << toJson(expected.root().at(i));
  }
}

INSTANTIATE_TEST_SUITE_P(Standard, Golden,
                         ::testing::Values("crm_customer_to_k3_customer", "crm_order_to_k3_sale_order_finance",
                                           "crm_order_to_k3_sale_order_xref",
                                           "crm_order_status_from_k3",
                                           "k3_receivebill_to_crm_payment",
                                           "excel_customers", "excel_orders", "excel_bank_statement",
                                           "order_to_wecom_approval"));

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
  // entry); the filtered array, the conditional fee and order link, and the concatenated
  // remark cannot.
  EXPECT_EQ(plan->nonInvertible(), (std::vector<std::string>{"fee", "orderRefs",
                                                             "allocations[].orderRef", "remark"}));
}

// A bill with several entries: one allocation per entry with its own order, amount, purpose,
// fee and date; the header fee only for a single-entry bill.
TEST(StandardReceiveBillMapping, SeveralEntriesBecomeAllocations) {
  auto plan = loadStandard("k3_receivebill_to_crm_payment");
  ASSERT_TRUE(plan);
  Document in, out;
  ASSERT_TRUE(readFixture("k3_receivebill_to_crm_payment", "input.json", in));
  ASSERT_GE(in.root().size(), 4u);
  ASSERT_EQ(in.root().at(3)["FRECEIVEBILLENTRY"].size(), 3u);
  ASSERT_TRUE(apply(*plan, in.root().at(3), out, Direction::kForward).ok());
  Value alloc = out.root()["allocations"];
  ASSERT_EQ(alloc.size(), 3u);
  Decimal sum;
  for (size_t i = 0; i < alloc.size(); ++i)
    sum = sum.checkedAdd(Decimal::parse(alloc.at(i)["amount"].asString()).value()).value();
  // the entries add up to the header amount, exactly
  EXPECT_EQ(Decimal::compare(sum, Decimal::parse(out.root()["amount"].asString()).value()), 0);
  EXPECT_FALSE(out.root()["fee"]);
  EXPECT_EQ(toJson(out.root()["orderRefs"]), R"(["SO-2026-0000003","SO-2026-0000004"])");
  EXPECT_FALSE(alloc.at(2)["orderRef"]);  // the deposit links no order
  // An entry whose purpose is not a sales receipt fails the whole bill, naming the entry.
  std::string bad = toJson(in.root().at(3));
  bad.replace(bad.rfind("SFKYT02_SYS"), 11, "SFKYT03_SYS");
  FieldErrors errs;
  EXPECT_EQ(mapText(*plan, bad, Direction::kForward, &errs).substr(0, 3), "ERR");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].source, "FRECEIVEBILLENTRY[2].FPURPOSEID.FNumber");
  EXPECT_EQ(errs[0].target, "allocations[2].purpose");
  EXPECT_EQ(errs[0].message, "not in value map 'purpose'");
}

// FReserveType: the line's reserveType, else the order's, else the default (weak = "1").
TEST(StandardOrderFinanceMapping, ReserveTypeIsTenantPolicyWithADefault) {
  auto plan = loadStandard("crm_order_to_k3_sale_order_finance");
  ASSERT_TRUE(plan);
  const std::string base = R"({"orderId":"SO-9","orderDate":"2026-11-26","customerCode":"C1",)"
                           R"("currency":"CNY","requestedDeliveryDate":"2026-12-01",)";
  auto reserve = [&](const std::string& order_level, const std::string& line_level) {
    std::string out = mapText(*plan, base + order_level + R"("lines":[{"materialCode":"M","qty":"1")" +
                                         line_level + "}]}");
    auto at = out.find("\"FReserveType\":");
    return at == std::string::npos ? out : out.substr(at + 15, 3);
  };
  EXPECT_EQ(reserve("", ""), "\"1\"");
  EXPECT_EQ(reserve(R"("reserveType":"strong",)", ""), "\"3\"");
  EXPECT_EQ(reserve(R"("reserveType":"strong",)", R"(,"reserveType":"weak")"), "\"1\"");
  FieldErrors errs;
  mapText(*plan, base + R"("lines":[{"materialCode":"M","qty":"1","reserveType":"hard"}]})",
          Direction::kForward, &errs);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message, "not in value map 'reserve_type'");
}

// The write-back document: Save result + original order; a bad status or a missing Id is an
// error, the status defaults to A (a plain Save).
TEST(StandardOrderStatusMapping, ErrorsAndDefaults) {
  auto plan = loadStandard("crm_order_status_from_k3");
  ASSERT_TRUE(plan);
  FieldErrors errs;
  EXPECT_EQ(mapText(*plan, R"({"record":{"orderId":"SO-1"},"result":{"Status":"X"},"from":{"delivered_at":"2026-11-26T08:00:00+08:00"}})",
                    Direction::kForward, &errs)
                .substr(0, 3),
            "ERR");
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0].business_key, "SO-1");
  EXPECT_EQ(errs[0].target, "erpId");
  EXPECT_EQ(errs[0].message, "required value is absent");
  EXPECT_EQ(errs[1].target, "erpStatus");
  EXPECT_EQ(errs[1].message, "not in value map 'doc_status'");
}

// The lookup variant: the customer goes through the ID cross-reference both ways; an unknown
// customer is a field error naming it.
TEST(StandardOrderXrefMapping, CustomerThroughTheCrossReferenceBothWays) {
  auto plan = loadStandard("crm_order_to_k3_sale_order_xref");
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->nonInvertible().empty());
  FixtureXref xref;
  ASSERT_TRUE(xref.load("crm_order_to_k3_sale_order_xref"));
  ASSERT_TRUE(xref.loaded);
  Document in, fwd, back;
  ASSERT_TRUE(readFixture("crm_order_to_k3_sale_order_xref", "input.json", in));
  ApplyOptions o;
  o.xref = &xref;
  ASSERT_TRUE(apply(*plan, in.root().at(0), fwd, Direction::kForward, o).ok());
  EXPECT_EQ(toJson(fwd.root()["data"]["Model"]["FCustId"]), R"({"FNumber":"CUST-0001"})");
  ASSERT_TRUE(apply(*plan, fwd.root(), back, Direction::kReverse, o).ok());
  EXPECT_EQ(toJson(back.root()["customerId"]), "\"crm-cust-8812\"");
  std::string unknown = toJson(in.root().at(0));
  unknown.replace(unknown.find("crm-cust-8812"), 13, "crm-cust-0000");
  Document u;
  ASSERT_TRUE(parseJson(unknown, u).ok());
  FieldErrors errs;
  o.errors = &errs;
  Status s = apply(*plan, u.root(), fwd, Direction::kForward, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().klass, ErrorClass::kPermanent);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message, "no cross-reference for customer 'crm-cust-0000' in k3cloud");
  EXPECT_EQ(errs[0].business_key, "SO-2026-0000001");
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
