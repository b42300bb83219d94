#include "qiao/config/config.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>

#include "qiao/testkit/testkit.h"
#include "test_registry.h"

namespace qiao::config {
namespace {

using nlohmann::json;
using testkit::TempDir;
using testkit::writeFile;

std::string dump(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.format() + "\n";
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(Diagnostic, Format) {
  Diagnostic d{"conf/routes.yaml", 4, 5, "routes.orders.sink", "required key is missing"};
  EXPECT_EQ(d.format(), "conf/routes.yaml:4:5: routes.orders.sink: required key is missing");
  Diagnostic nopath{"conf/a.yaml", 2, 1, "", "YAML syntax error: x"};
  EXPECT_EQ(nopath.format(), "conf/a.yaml:2:1: YAML syntax error: x");
}

TEST(LoadConfig, GoldenValidCaseHasTheRightValues) {
  setenv("QIAO_GOLDEN_TOKEN", "golden-secret-value", 1);
  auto registry = testing::makeTestRegistry();
  const std::string dir = std::string(QIAO_CONFIG_GOLDEN_DIR) + "/valid";
  LoadResult r = loadConfig(dir, registry);
  ASSERT_TRUE(r.diagnostics.empty()) << dump(r);
  ASSERT_TRUE(r.config.has_value());
  const Config& c = *r.config;
  EXPECT_EQ(c.dir, dir);
  EXPECT_EQ(c.gateway.instance_name, "plant-1");
  EXPECT_EQ(c.gateway.data_dir, "/var/lib/qiao");
  EXPECT_EQ(c.gateway.log_level, "debug");
  EXPECT_EQ(c.gateway.workers, 4);
  EXPECT_EQ(c.gateway.drain_timeout_ms, 5000);
  EXPECT_EQ(c.gateway.timezone, "Asia/Shanghai");  // default
  EXPECT_EQ(c.gateway.mappings_dir, "mappings");
  EXPECT_EQ(c.server.host, "0.0.0.0");
  EXPECT_EQ(c.server.port, 9090);
  EXPECT_EQ(c.server.max_body_bytes, 1048576);
  EXPECT_EQ(c.store.driver, "sqlite");
  EXPECT_EQ(c.store.path, "/var/lib/qiao/qiao.db");
  EXPECT_EQ(c.store.synchronous, "normal");
  EXPECT_EQ(c.store.busy_timeout_ms, 5000);
  EXPECT_EQ(c.security.bootstrap_admin_key, "golden-secret-value");
  EXPECT_TRUE(c.security.require_auth);
  EXPECT_TRUE(contains(c.security.secrets, "golden-secret-value"));
  EXPECT_TRUE(contains(c.security.secrets, "erp-token-from-file"));

  ASSERT_EQ(c.connectors.size(), 2u);
  const ConnectorConfig& erp = c.connectors.at("erp");
  EXPECT_EQ(erp.name, "erp");
  EXPECT_EQ(erp.type, "http");
  EXPECT_EQ(erp.concurrency, 2);
  EXPECT_DOUBLE_EQ(erp.rate_limit.per_second, 5.5);
  EXPECT_EQ(erp.rate_limit.burst, 10);
  EXPECT_EQ(erp.circuit_breaker.failure_threshold, 3);
  EXPECT_EQ(erp.circuit_breaker.open_ms, 60000);
  json s = json::parse(erp.settings_json);
  EXPECT_EQ(s["url"], "https://erp.example.com/api/orders");
  EXPECT_EQ(s["token"], "erp-token-from-file");  // file reference, newline trimmed
  EXPECT_EQ(s["timeout"], 2000);
  EXPECT_EQ(s["method"], "POST");  // default
  EXPECT_FALSE(s.contains("concurrency"));  // host-owned keys stay out of the settings
  EXPECT_FALSE(s.contains("type"));
  const ConnectorConfig& crm = c.connectors.at("crm");
  EXPECT_EQ(crm.concurrency, 4);
  json cs = json::parse(crm.settings_json);
  EXPECT_EQ(cs["endpoint"], "https://crm.example.com/changes");
  EXPECT_EQ(cs["batch"], 100);

  ASSERT_EQ(c.routes.size(), 2u);
  const RouteConfig& orders = c.routes.at("orders");
  EXPECT_EQ(orders.source, "ingest");
  EXPECT_EQ(orders.sink, "erp");
  EXPECT_EQ(orders.mapping, "");  // identity
  EXPECT_EQ(orders.entity, "order");
  EXPECT_EQ(orders.business_key, "/orderId");
  EXPECT_TRUE(orders.ordered);
  EXPECT_EQ(orders.retry.max_attempts, 3);
  EXPECT_EQ(orders.retry.initial_backoff_ms, 250);
  EXPECT_EQ(orders.retry.max_backoff_ms, 10000);
  const RouteConfig& customers = c.routes.at("customers");
  EXPECT_EQ(customers.source, "crm");
  EXPECT_EQ(customers.entity, "record");
  EXPECT_FALSE(customers.ordered);
  EXPECT_EQ(customers.retry.max_attempts, 10);

  ASSERT_EQ(c.schedules.size(), 1u);
  const ScheduleConfig& sch = c.schedules.at("pull_customers");
  EXPECT_EQ(sch.cron, "0 */15 8-18 * MON-FRI");
  EXPECT_EQ(sch.route, "customers");
  EXPECT_EQ(sch.timezone, "Asia/Shanghai");  // from gateway.timezone
}

TEST(LoadConfig, DefaultsForAnEmptyFile) {
  TempDir dir;
  writeFile(dir.file("empty.yaml"), "");
  auto registry = testing::makeTestRegistry();
  LoadResult r = loadConfig(dir.path(), registry);
  ASSERT_TRUE(r.diagnostics.empty()) << dump(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.gateway.instance_name, "qiao");
  EXPECT_EQ(c.server.host, "127.0.0.1");
  EXPECT_EQ(c.server.port, 8080);
  EXPECT_EQ(c.store.path, "./data/qiao.db");
  EXPECT_TRUE(c.connectors.empty());
  EXPECT_TRUE(c.security.secrets.empty());
}

TEST(LoadConfig, MissingOrEmptyDirectoryIsADiagnostic) {
  auto registry = testing::makeTestRegistry();
  LoadResult missing = loadConfig("/nonexistent/qiao-config", registry);
  ASSERT_EQ(missing.diagnostics.size(), 1u);
  EXPECT_FALSE(missing.config.has_value());
  EXPECT_NE(missing.diagnostics[0].message.find("not a directory"), std::string::npos);

  TempDir dir;
  writeFile(dir.file("notes.txt"), "not yaml");
  LoadResult empty = loadConfig(dir.path(), registry);
  ASSERT_EQ(empty.diagnostics.size(), 1u);
  EXPECT_NE(empty.diagnostics[0].message.find("no *.yaml"), std::string::npos);
}

TEST(LoadConfig, MappingFileIsFoundUnderMappingsDir) {
  TempDir dir;
  TempDir maps;
  writeFile(maps.file("orders_v2.yml"), "{}\n");
  writeFile(dir.file("c.yaml"),
            "gateway:\n  mappings_dir: " + maps.path() +
                "\nconnectors:\n  erp:\n    type: http\n    url: http://127.0.0.1:1/x\n"
                "routes:\n  a:\n    sink: erp\n    mapping: orders_v2\n"
                "  b:\n    sink: erp\n    mapping: orders_v3\n");
  auto registry = testing::makeTestRegistry();
  LoadResult r = loadConfig(dir.path(), registry);
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r);
  EXPECT_EQ(r.diagnostics[0].path, "routes.b.mapping");
  EXPECT_EQ(r.diagnostics[0].line, 13);
  EXPECT_NE(r.diagnostics[0].message.find(maps.path() + "/orders_v3.yaml"), std::string::npos);
}

TEST(LoadConfig, SecretsAreResolvedAndNeverEchoed) {
  TempDir dir;
  setenv("QIAO_TEST_SECRET_A", "very-secret-a", 1);
  writeFile(dir.file("token"), "very-secret-b\r\n");
  writeFile(dir.file("c.yaml"),
            "connectors:\n  erp:\n    type: http\n    url: http://127.0.0.1:1/x\n"
            "    token: ${file:token}\n"
            "    method: ${env:QIAO_TEST_SECRET_A}\n");  // wrong enum value from a reference
  auto registry = testing::makeTestRegistry();
  LoadResult r = loadConfig(dir.path(), registry);
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r);
  EXPECT_EQ(r.diagnostics[0].path, "connectors.erp.method");
  std::string text = dump(r);
  EXPECT_EQ(text.find("very-secret"), std::string::npos) << text;
  EXPECT_NE(text.find("${env:QIAO_TEST_SECRET_A}"), std::string::npos) << text;

  // Fixed, it loads and both values are recorded for redaction.
  writeFile(dir.file("c.yaml"),
            "connectors:\n  erp:\n    type: http\n    url: http://127.0.0.1:1/x\n"
            "    token: Bearer ${file:token}/${env:QIAO_TEST_SECRET_A}\n");
  r = loadConfig(dir.path(), registry);
  ASSERT_TRUE(r.diagnostics.empty()) << dump(r);
  json s = json::parse(r.config->connectors.at("erp").settings_json);
  EXPECT_EQ(s["token"], "Bearer very-secret-b/very-secret-a");
  EXPECT_TRUE(contains(r.config->security.secrets, "very-secret-a"));
  EXPECT_TRUE(contains(r.config->security.secrets, "very-secret-b"));
  unsetenv("QIAO_TEST_SECRET_A");
}

TEST(LoadConfig, ResolvedValuesAreMaskedInMessages) {
  TempDir dir;
  setenv("QIAO_TEST_SINK_NAME", "hidden-sink-name", 1);
  writeFile(dir.file("c.yaml"), "routes:\n  r:\n    sink: ${env:QIAO_TEST_SINK_NAME}\n");
  auto registry = testing::makeTestRegistry();
  LoadResult r = loadConfig(dir.path(), registry);
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r);
  EXPECT_EQ(r.diagnostics[0].message, "no connector named '***'; no connectors are defined");
  unsetenv("QIAO_TEST_SINK_NAME");
}

TEST(LoadConfig, DurationsAcceptIntsAndUnits) {
  TempDir dir;
  writeFile(dir.file("c.yaml"),
            "gateway:\n  drain_timeout_ms: 1500\nstore:\n  lease_ms: 1h\n"
            "  busy_timeout_ms: 500ms\n"
            "connectors:\n  erp:\n    type: http\n    url: http://127.0.0.1:1/x\n"
            "    timeout: 1m30s\n");
  auto registry = testing::makeTestRegistry();
  LoadResult r = loadConfig(dir.path(), registry);
  ASSERT_TRUE(r.diagnostics.empty()) << dump(r);
  EXPECT_EQ(r.config->gateway.drain_timeout_ms, 1500);
  EXPECT_EQ(r.config->store.lease_ms, 3600000);
  EXPECT_EQ(r.config->store.busy_timeout_ms, 500);
  EXPECT_EQ(json::parse(r.config->connectors.at("erp").settings_json)["timeout"], 90000);
}

TEST(LoadConfig, ExplicitScheduleTimezoneWins) {
  TempDir dir;
  writeFile(dir.file("c.yaml"),
            "connectors:\n  crm:\n    type: poller\n    endpoint: http://127.0.0.1:1/x\n"
            "  erp:\n    type: http\n    url: http://127.0.0.1:1/y\n"
            "routes:\n  pull:\n    source: crm\n    sink: erp\n"
            "schedules:\n  s:\n    cron: '*/10 * * * * *'\n    route: pull\n"
            "    timezone: Europe/Berlin\n");
  auto registry = testing::makeTestRegistry();
  LoadResult r = loadConfig(dir.path(), registry);
  ASSERT_TRUE(r.diagnostics.empty()) << dump(r);
  EXPECT_EQ(r.config->schedules.at("s").timezone, "Europe/Berlin");
}

}  // namespace
}  // namespace qiao::config
