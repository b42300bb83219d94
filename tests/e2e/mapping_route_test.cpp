// A route with a mapping step: the shipped CRM order -> K/3 SAL_SaleOrder mapping runs at
// delivery, the target receives exactly the golden output, and a record the mapping rejects is
// dead-lettered at once with every field error (the target is never called for it).
#include <signal.h>

#include <sstream>

#include "gateway_fixture.h"

namespace qiao::e2e {
namespace {

std::string firstLine(const std::string& path) {
  std::istringstream in(testkit::readFile(path));
  std::string line;
  std::getline(in, line);
  return line;
}

class MappingRouteTest : public GatewayFixture {
 protected:
  void start() {
    GatewayOptions o;
    o.max_attempts = 3;
    o.extra_yaml =
        "  k3_orders:\n"
        "    sink: erp\n"
        "    entity: order\n"
        "    business_key: /orderId\n"
        "    mapping: crm_order_to_k3_sale_order\n";
    writeConfig(o);
    std::string cfg = testkit::readFile(config_dir_ + "/gateway.yaml");
    cfg.replace(cfg.find("gateway:\n"), 9,
                "gateway:\n  mappings_dir: " + testkit::sourcePath("mappings/standard") + "\n");
    testkit::writeFile(config_dir_ + "/gateway.yaml", cfg);
    startGateway();
  }
  int64_t post(const std::string& body) {
    auto r = api("POST", "/api/v1/routes/k3_orders/messages", body);
    EXPECT_EQ(r.status, 202) << r.body;
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j["accepted"][0]["id"].get<int64_t>() : 0;
  }
};

TEST_F(MappingRouteTest, TheTargetReceivesTheMappedDocument) {
  start();
  std::string order = firstLine(testkit::sourcePath("mappings/standard/fixtures/orders.ndjson"));
  std::string expected = firstLine(testkit::sourcePath("mappings/standard/fixtures/expected.ndjson"));
  ASSERT_FALSE(order.empty());
  int64_t id = post(order);
  auto msg = waitStatus(id, "delivered");
  // The gateway keeps what came in; the target got the mapped document.
  EXPECT_EQ(msg["payload"]["orderId"], "SO-2026-0000001");
  auto r = sim("GET", "/sim/receiver/erp/_records?limit=5");
  auto recs = json::parse(r.body);
  ASSERT_EQ(recs["records"].size(), 1u) << r.body;
  EXPECT_EQ(recs["records"][0]["body"].get<std::string>(), expected);
}

TEST_F(MappingRouteTest, ARecordTheMappingRejectsIsDeadLetteredWithItsFieldErrors) {
  start();
  int64_t id = post(
      R"({"orderId":"SO-BAD-1","orderDate":"2026-13-45","customerCode":"C1","currency":"CNY",)"
      R"("lines":[{"lineNo":1,"materialCode":"M1","qty":"abc","price":"1.00","unit":"PCS","taxRate":"13"}]})");
  auto msg = waitStatus(id, "dead");
  std::string err = msg["last_error"].get<std::string>();
  EXPECT_NE(err.find("mapping:"), std::string::npos) << err;
  EXPECT_NE(err.find("SO-BAD-1"), std::string::npos) << err;
  EXPECT_NE(err.find("orderDate"), std::string::npos) << "the date error is missing: " << err;
  EXPECT_NE(err.find("qty"), std::string::npos) << "the quantity error is missing: " << err;
  EXPECT_EQ(msg["attempts"].size(), 1u);
  EXPECT_EQ(simStats()["requests"], 0) << "the target must not be called for an unmappable record";
}

TEST(MappingRouteConfig, ValidateReportsABrokenMappingFileWithItsPosition) {
  testkit::TempDir dir;
  testkit::writeFile(dir.file("maps/broken.yaml"),
                     "mapping: broken\nrules:\n  - {to: A, from: a, map: {table: nosuch}}\n");
  testkit::writeFile(dir.file("cfg/gateway.yaml"),
                     "gateway:\n  data_dir: " + dir.file("data") + "\n  mappings_dir: " + dir.file("maps") +
                         "\nconnectors:\n  erp:\n    type: http\n    url: http://127.0.0.1:9/x\n"
                         "routes:\n  r:\n    sink: erp\n    mapping: broken\n");
  std::string out;
  int rc = testkit::runCommand(testkit::binPath("qiao") + " validate --config " + dir.file("cfg"), &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find(dir.file("maps/broken.yaml") + ":3:"), std::string::npos) << out;
  EXPECT_NE(out.find("nosuch"), std::string::npos) << out;
}

}  // namespace
}  // namespace qiao::e2e
