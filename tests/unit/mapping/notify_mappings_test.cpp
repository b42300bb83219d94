// The notification mappings (mappings/standard/order_accepted_to_wecom.yaml and
// payment_matched_to_wecom.yaml): each fixtures/<mapping>/input.json record mapped forward
// equals the hand-written expected.json record; a salesperson without a WeCom userid, a missing
// bill number and an unknown payment state are field errors that name what is missing.
#include <fstream>
#include <sstream>

#include "helpers.h"

namespace qiao::mapping::test {
namespace {

const std::string kDir = QIAO_STANDARD_MAPPINGS;

std::shared_ptr<const MappingPlan> standard(const std::string& name) {
  auto p = loadMapping(kDir + "/" + name + ".yaml");
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? *p : nullptr;
}

std::string slurp(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void checkFixtures(const std::string& name) {
  auto plan = standard(name);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->name(), name);
  Document in, expected, out, want;
  ASSERT_TRUE(parseJson(slurp(kDir + "/fixtures/" + name + "/input.json"), in).ok());
  ASSERT_TRUE(parseJson(slurp(kDir + "/fixtures/" + name + "/expected.json"), expected).ok());
  ASSERT_EQ(in.root().size(), expected.root().size());
  ASSERT_GE(in.root().size(), 2u);
  for (size_t i = 0; i < in.root().size(); ++i) {
    FieldErrors errors;
    Status s = apply(*plan, in.root().at(i), out, Direction::kForward, &errors);
    ASSERT_TRUE(s.ok()) << name << " record " << i << ": " << s.error().message;
    // Same members in the same order (the rules' order) and the same values.
    EXPECT_EQ(toJson(out.root()), toJson(expected.root().at(i))) << name << " record " << i;
  }
}

TEST(NotifyMappings, OrderAcceptedMatchesItsFixtures) { checkFixtures("order_accepted_to_wecom"); }
TEST(NotifyMappings, PaymentMatchedMatchesItsFixtures) { checkFixtures("payment_matched_to_wecom"); }

TEST(NotifyMappings, SalespersonWithoutWecomUserIsAFieldError) {
  auto p = standard("order_accepted_to_wecom");
  ASSERT_TRUE(p);
  FieldErrors errs;
  std::string out = run(*p, R"({"record":{"orderId":"SO-7","salesPersonCode":"EMP999"},"result":{"Number":"XSDD7"}})",
                        Direction::kForward, &errs);
  ASSERT_EQ(errs.size(), 1u) << out;
  EXPECT_EQ(errs[0].business_key, "SO-7");
  EXPECT_EQ(errs[0].source, "record.salesPersonCode");
  EXPECT_EQ(errs[0].message, "not in value map 'wecom_users'");
  errs.clear();
  out = run(*p, R"({"record":{"orderId":"SO-8"},"result":{}})", Direction::kForward, &errs);
  ASSERT_EQ(errs.size(), 2u) << out;  // no salesperson, no bill number
  EXPECT_EQ(errs[0].target, "touser");
  EXPECT_EQ(errs[0].message, "required value is absent");
  EXPECT_EQ(errs[1].target, "erpBillNo");
}

TEST(NotifyMappings, PaymentStateMustBeKnownAndAmountsPresent) {
  auto p = standard("payment_matched_to_wecom");
  ASSERT_TRUE(p);
  FieldErrors errs;
  run(*p, R"({"orderId":"SO-1","paymentStatus":"settled","paidAmount":"1","outstandingAmount":"0","currency":"CNY"})",
      Direction::kForward, &errs);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].target, "paymentStatus");
  errs.clear();
  run(*p, R"({"orderId":"SO-1","paymentStatus":"paid","outstandingAmount":"0","currency":"CNY"})",
      Direction::kForward, &errs);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message, "template placeholder {paidAmount} is absent");
}

}  // namespace
}  // namespace qiao::mapping::test
