// mappings/standard/excel_bank_statement.yaml: its golden fixture (input rows -> the
// hand-written canonical payments), then those payments through the reconciliation service —
// a row without 流水号 gets its content hash as id, and the same statement twice counts once.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "qiao/mapping/json.h"
#include "qiao/mapping/mapping.h"
#include "service_fixture.h"

namespace qiao::recon::testing {
namespace {

namespace mp = qiao::mapping;

const std::string kDir = testkit::sourcePath("mappings/standard");

bool readArray(const std::string& file, mp::Document& doc) {
  std::ifstream in(kDir + "/fixtures/excel_bank_statement/" + file, std::ios::binary);
  EXPECT_TRUE(in.good()) << file;
  std::stringstream ss;
  ss << in.rdbuf();
  Status s = mp::parseJson(ss.str(), doc);
  EXPECT_TRUE(s.ok()) << file << ": " << (s.ok() ? "" : s.error().message);
  return s.ok() && doc.root().isArray();
}

std::vector<std::string> mappedFixture() {
  auto plan = mp::loadMapping(kDir + "/excel_bank_statement.yaml");
  EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error().message);
  if (!plan.ok()) return {};
  mp::Document in, expected, out;
  if (!readArray("input.json", in) || !readArray("expected.json", expected)) return {};
  EXPECT_EQ(in.root().size(), expected.root().size());
  std::vector<std::string> payments;
  for (size_t i = 0; i < in.root().size() && i < expected.root().size(); ++i) {
    mp::FieldErrors errors;
    Status s = mp::apply(**plan, in.root().at(i), out, mp::Direction::kForward, &errors);
    EXPECT_TRUE(s.ok()) << "row " << i << ": " << (s.ok() ? "" : s.error().message);
    EXPECT_TRUE(mp::equal(out.root(), expected.root().at(i)))
        << "row " << i << "\n got: " << mp::toJson(out.root()) << "\nwant: " << mp::toJson(expected.root().at(i));
    payments.push_back(mp::toJson(out.root()));
  }
  return payments;
}

TEST(ReconBankStatement, GoldenFixture) {
  EXPECT_EQ(mappedFixture().size(), 3u);
}

TEST(ReconBankStatement, RowsWithoutAReceiptNumberWithoutAnAmountAreRefused) {
  auto plan = mp::loadMapping(kDir + "/excel_bank_statement.yaml");
  ASSERT_TRUE(plan.ok());
  mp::Document in, out;
  ASSERT_TRUE(mp::parseJson(R"({"交易日期":"2026-11-01","对方户名":"x","支出金额":"100.00"})", in).ok());
  mp::FieldErrors errors;
  Status s = mp::apply(**plan, in.root(), out, mp::Direction::kForward, &errors);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("amount"), std::string::npos) << s.error().message;
}

TEST(ReconBankStatement, MappedRowsReconcile) {
  std::vector<std::string> rows = mappedFixture();
  ASSERT_EQ(rows.size(), 3u);
  testkit::TempDir dir;
  FakeClock clock;
  auto svc = openService(serviceOptions(dir.file("qiao.db"), &clock));
  ASSERT_OK(svc->upsertOrderJson(orderJson("SO-2026-0000102", kHuadongCode, "10000.00", "2026-10-09")));
  ASSERT_OK(svc->upsertOrderJson(orderJson("SO-2026-0000201", kBeilunCode, "6000.50", "2026-10-02")));
  for (const std::string& r : rows) ASSERT_EQ(*svc->addPaymentJson(r), IngestOutcome::kAdded) << r;
  // The statement imported again: nothing new, the hashed row included.
  for (const std::string& r : rows) ASSERT_EQ(*svc->addPaymentJson(r), IngestOutcome::kDuplicate) << r;
  ASSERT_OK(svc->run());
  PaymentQuery q;
  Json list = parsed(svc->paymentsJson(q));
  ASSERT_EQ(list["total"], 3);
  std::string hashed;
  for (const Json& p : list["items"]) {
    std::string id = p["paymentId"];
    if (id.rfind("BANK-", 0) == 0) hashed = id;
  }
  ASSERT_EQ(hashed.size(), 25u) << list.dump();  // BANK- + 20 hex digits
  EXPECT_EQ(parsed(svc->paymentJson(hashed))["status"], "matched");
  EXPECT_EQ(parsed(svc->orderJson("SO-2026-0000201"))["paymentStatus"], "paid");
  EXPECT_EQ(parsed(svc->paymentJson("HX2026110100123"))["allocations"][0]["orderId"], "SO-2026-0000102");
  // Another row differing only in its remark is another receipt.
  Json other = Json::parse(rows[1]);
  other["remark"] = "网银转账 11月货款";
  ASSERT_EQ(*svc->addPaymentJson(other.dump()), IngestOutcome::kAdded);
  EXPECT_EQ(parsed(svc->paymentsJson(q))["total"], 4);
}

}  // namespace
}  // namespace qiao::recon::testing
