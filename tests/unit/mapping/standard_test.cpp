// The shipped order mapping against the peer kit's reference output, a forward/reverse round
// trip property, and one plan shared by 8 threads.
#include <atomic>
#include <fstream>
#include <random>
#include <thread>

#include "helpers.h"
#include "qiao/core/decimal.h"
#include "qiao/mapping/path.h"

namespace qiao::mapping::test {
namespace {

const std::string kDir = QIAO_STANDARD_MAPPINGS;

std::vector<std::string> readLines(const std::string& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

std::shared_ptr<const MappingPlan> orderPlan() {
  auto p = loadMapping(kDir + "/crm_order_to_k3_sale_order.yaml");
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? *p : nullptr;
}

// fixtures/expected.ndjson was produced once by `jq -c -f /work/shared/peers/mapping/map.jq
// fixtures/orders.ndjson` (50 orders of `gen_data.py --orders 200 --rows 10`).
TEST(StandardOrderMapping, MatchesThePeerReferenceByteForByte) {
  auto plan = orderPlan();
  ASSERT_TRUE(plan);
  auto orders = readLines(kDir + "/fixtures/orders.ndjson");
  auto expected = readLines(kDir + "/fixtures/expected.ndjson");
  ASSERT_EQ(orders.size(), 50u);
  ASSERT_EQ(expected.size(), 50u);
  for (size_t i = 0; i < orders.size(); ++i) EXPECT_EQ(run(*plan, orders[i]), expected[i]) << "order " << i;
}

TEST(StandardOrderMapping, NonInvertibleTargetsAreTheComputedOnes) {
  auto plan = orderPlan();
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->nonInvertible(),
            (std::vector<std::string>{"data.Model.F_PEER_CreatedAt", "data.Model.F_PEER_Urgent",
                                      "data.Model.FSaleOrderEntry[].FAllAmount"}));
}

TEST(StandardOrderMapping, ReverseRestoresTheInvertibleFields) {
  auto plan = orderPlan();
  ASSERT_TRUE(plan);
  auto orders = readLines(kDir + "/fixtures/orders.ndjson");
  Document in, fwd, back;
  ASSERT_TRUE(parseJson(orders[0], in).ok());
  ASSERT_TRUE(apply(*plan, in.root(), fwd, Direction::kForward).ok());
  Status s = apply(*plan, fwd.root(), back, Direction::kReverse);
  ASSERT_TRUE(s.ok()) << s.error().message;
  for (const char* f : {"orderId", "orderDate", "customerCode", "customerName", "currency", "status",
                        "salesOrg", "paymentTerms", "externalRef", "lines[0].materialCode", "lines[0].unit",
                        "lines[0].lineNo", "lines[2].deliveryDate", "lines[0].warehouse"}) {
    auto p = Path::compile(f).value();
    EXPECT_TRUE(equal(get(in.root(), p), get(back.root(), p))) << f << ": " << toJson(get(back.root(), p));
  }
  EXPECT_EQ(toJson(back.root()["shipToAddress"]), "\"重庆市重庆市天河区中山路691号8栋\"");
  EXPECT_EQ(Decimal::parse(back.root()["totalAmount"].asString()).value(),
            Decimal::parse(in.root()["totalAmount"].asString()).value());
}

TEST(MappingProperty, ForwardThenReverseIsIdentityOnInvertibleRules) {
  auto p = plan(
      "mapping: t\nvalue_maps:\n  st: {draft: Z, confirmed: A, pending: B}\nrules:\n"
      "  - {to: No, from: id}\n"
      "  - {to: Cust, from: cust, ref: FNumber}\n"
      "  - {to: St, from: status, map: {table: st, strict: true}}\n"
      "  - {to: D, from: date, date: {parse: \"yyyyMMdd\", format: \"yyyy-MM-dd HH:mm:ss\"}}\n"
      "  - {to: Amt, from: amount, decimal: {}}\n"
      "  - {to: U, from: urgent, bool: {true: \"Y\", false: \"N\"}}\n"
      "  - {to: N, from: count, number: true}\n"
      "  - {to: S, from: seq, string: true}\n"
      "  - to: E\n    each: lines\n    rules:\n"
      "      - {to: M, from: mat, ref: FNumber}\n      - {to: Q, from: qty, decimal: {}}\n");
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->nonInvertible().empty());
  std::mt19937 rng(20261126);
  auto num = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const char* statuses[] = {"draft", "confirmed", "pending"};
  for (int iter = 0; iter < 300; ++iter) {
    auto dec = [&] {
      std::string s = std::to_string(num(0, 99999999)) + "." + std::to_string(num(0, 9)) +
                      std::to_string(num(0, 9)) + std::to_string(num(1, 9));
      return num(0, 1) ? "-" + s : s;
    };
    char date[16];
    snprintf(date, sizeof date, "%04d%02d%02d", num(1970, 2099), num(1, 12), num(1, 28));
    std::string j = "{\"id\":\"SO-" + std::to_string(num(0, 1 << 30)) + "\",\"cust\":\"C" +
                    std::to_string(num(0, 999)) + "\",\"status\":\"" + statuses[num(0, 2)] +
                    "\",\"date\":\"" + date + "\",\"amount\":\"" + dec() + "\",\"urgent\":\"" +
                    (num(0, 1) ? "Y" : "N") + "\",\"count\":\"" + std::to_string(num(-5, 500)) +
                    "\",\"seq\":" + std::to_string(num(0, 1000)) + ",\"lines\":[";
    int n = num(0, 4);
    for (int k = 0; k < n; ++k)
      j += std::string(k ? "," : "") + "{\"mat\":\"M" + std::to_string(num(0, 99)) + "\",\"qty\":\"" + dec() + "\"}";
    j += "]}";
    Document in, fwd, back;
    ASSERT_TRUE(parseJson(j, in).ok());
    Status s = apply(*p, in.root(), fwd, Direction::kForward);
    ASSERT_TRUE(s.ok()) << s.error().message;
    s = apply(*p, fwd.root(), back, Direction::kReverse);
    ASSERT_TRUE(s.ok()) << s.error().message;
    // Decimals come back as the same value at the same text (no trailing zeros generated).
    EXPECT_TRUE(equal(in.root(), back.root())) << j << "\n" << toJson(back.root());
  }
}

TEST(MappingThreads, EightThreadsShareOnePlan) {
  auto plan = orderPlan();
  ASSERT_TRUE(plan);
  auto orders = readLines(kDir + "/fixtures/orders.ndjson");
  auto expected = readLines(kDir + "/fixtures/expected.ndjson");
  ASSERT_EQ(orders.size(), expected.size());
  std::atomic<int> wrong{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      Document in, out;
      for (int rep = 0; rep < 10; ++rep)
        for (size_t i = 0; i < orders.size(); ++i) {
          size_t k = (i + t * 7) % orders.size();
          if (!parseJson(orders[k], in).ok() || !apply(*plan, in.root(), out, Direction::kForward).ok() ||
              toJson(out.root()) != expected[k])
            ++wrong;
          ++done;
        }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(done.load(), 8 * 10 * 50);
}

}  // namespace
}  // namespace qiao::mapping::test
