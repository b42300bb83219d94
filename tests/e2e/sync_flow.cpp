#include "sync_flow.h"

#include "k3_flow.h"

namespace qiao::e2e {

namespace {
constexpr const char* kCrmToken = "sim-crm-token";  // the CRM simulator's default token

// "<indent><key>: <value>\n", or nothing when the value is unset (0 or "").
std::string optionalKey(const std::string& indent, const std::string& key, int64_t value) {
  return value ? indent + key + ": " + std::to_string(value) + "\n" : std::string();
}
std::string optionalKey(const std::string& indent, const std::string& key, const std::string& value) {
  return value.empty() ? std::string() : indent + key + ": " + value + "\n";
}
}  // namespace

std::string SyncGatewayTest::syncYaml(const SyncConfig& c) {
  const std::string sim = "http://127.0.0.1:" + std::to_string(sim_port_);
  const std::string retry = "    retry: {max_attempts: " + std::to_string(c.retry_attempts) +
                            ", initial_backoff_ms: 50, max_backoff_ms: " +
                            std::to_string(c.retry_max_backoff_ms) + "}\n";
  const std::string concurrency = optionalKey("    ", "concurrency", c.concurrency);
  const std::string crm_writer = "    auth_token: ${file:" + dir_->file("secrets/crm_token") + "}\n"
                                 "    headers: {X-Actor: qiao}\n    remote_id_field: /customerId\n" +
                                 concurrency;
  return "gateway:\n"
         "  data_dir: " + dir_->file("data") + "\n"
         "  log_file: " + dir_->file("qiao.log") + "\n"
         "  mappings_dir: " + testkit::sourcePath("mappings/standard") + "\n"
         "  timezone: Asia/Shanghai\n" +
         optionalKey("  ", "workers", c.workers) +
         "server:\n  host: 127.0.0.1\n  port: " + std::to_string(api_port_) + "\n" +
         optionalKey("  ", "max_body_bytes", c.max_body_bytes) +
         "store:\n  lease_ms: 5000\n"
         "security:\n  require_auth: true\n"
         "  bootstrap_admin_key: ${file:" + dir_->file("secrets/admin_key") + "}\n"
         "connectors:\n" +
         k3SimConnector("k3", sim_port_, dir_->file("secrets/k3_app_secret")) +
         "    form_id: BD_Customer\n"
         "    submit: true\n"
         "    audit: true\n"
         "    unaudit_to_update: true\n"
         "    external_ref_field: \"\"\n"
         "    timeout: 5s\n" + concurrency +
         "    pull: {form_id: BD_Customer, envelope: save, entity: customer, overlap: 1m" +
         (c.page_size ? ", page_size: " + std::to_string(c.page_size) : "") + "}\n"
         "  crm_put:\n"
         "    type: http\n    method: PUT\n"
         "    url: " + sim + "/sim/crm/api/customers/{/customerId}\n" + crm_writer +
         "  crm_post:\n"
         "    type: http\n"
         "    url: " + sim + "/sim/crm/api/customers\n" + crm_writer +
         (c.crm_pull_cron.empty() ? std::string()
                                  : "  crm_pull:\n"
                                    "    type: http\n"
                                    "    url: " + sim + "/sim/crm/api/customers\n"
                                    "    auth_token: ${file:" + dir_->file("secrets/crm_token") + "}\n"
                                    "    pull: {entity: customer, page_size: 200, id_field: /customerId, "
                                    "modified_field: /modifiedAt, extra_query: {include_deleted: \"true\"}}\n") +
         "  crm_hooks:\n"
         "    type: webhook\n"
         "    secret: ${file:" + dir_->file("secrets/hook") + "}\n"
         "    records_pointer: /data\n"
         "routes:\n"
         "  crm_customers_in: {source: crm_hooks, sink: sync, entity: customer}\n"
         "  k3_customers_in: {source: k3, sink: sync, entity: customer}\n" +
         (c.crm_pull_cron.empty() ? "" : "  crm_customers_pulled: {source: crm_pull, sink: sync, entity: customer}\n") +
         "  sync_to_crm:\n    sink: crm_put\n" + retry +
         "  sync_to_crm_new:\n    sink: crm_post\n" + retry +
         "  sync_to_k3:\n    sink: k3\n" + retry +
         "schedules:\n"
         "  pull_k3: {cron: \"" + c.pull_cron + "\", route: k3_customers_in, missed: run_once}\n" +
         (c.crm_pull_cron.empty() ? "" : "  pull_crm: {cron: \"" + c.crm_pull_cron + "\", route: crm_customers_pulled, missed: run_once}\n") +
         "sync:\n"
         "  fields: [name, shortName, taxRegisterCode, phone, address]\n"
         "  batch_window: " + c.batch_window + "\n" +
         optionalKey("  ", "first_sync", c.first_sync) +
         optionalKey("  ", "batch_max", c.batch_max) +
         "  sides:\n"
         "    crm:\n"
         "      route: sync_to_crm\n"
         "      create_route: sync_to_crm_new\n"
         "      sources: [crm_hooks" + (c.crm_pull_cron.empty() ? "" : ", crm_pull") + "]\n" +
         optionalKey("      ", "on_delete", c.crm_on_delete) +
         "      flag_field: syncRemark\n"
         "    k3cloud:\n"
         "      route: sync_to_k3\n"
         "      mapping: crm_customer_to_k3_customer\n"
         "      id_path: /data/Model/FCUSTID\n"
         "      modified_path: /data/Model/FModifyDate\n"
         "      sources: [k3]\n" +
         optionalKey("      ", "on_forbid", c.k3_on_forbid) +
         optionalKey("      ", "flag_field", c.k3_flag_field);
}

void SyncGatewayTest::writeSyncGatewayConfig(const SyncConfig& c) {
  api_port_ = testkit::freePort();
  testkit::writeFile(dir_->file("secrets/k3_app_secret"), "sim-app-secret\n");
  testkit::writeFile(dir_->file("secrets/crm_token"), std::string(kCrmToken) + "\n");
  testkit::writeFile(dir_->file("secrets/hook"), c.hook_secret + "\n");
  testkit::writeFile(config_dir_ + "/gateway.yaml", syncYaml(c));
}

testkit::HttpResponse SyncGatewayTest::subscribeCrmWebhooks(const std::string& hook_secret) {
  return sim("POST", "/sim/crm/_webhooks",
             json{{"url", "http://127.0.0.1:" + std::to_string(api_port_) + "/hooks/crm_hooks"},
                  {"secret", hook_secret}, {"events", {"customer.changed"}}}.dump());
}

testkit::HttpResponse SyncGatewayTest::crm(const std::string& method, const std::string& path,
                                           const std::string& body) {
  return testkit::http(method, sim_port_, "/sim/crm/api/" + path, body,
                       {{"Authorization", std::string("Bearer ") + kCrmToken}, {"X-Actor", "user"}});
}

json SyncGatewayTest::k3All() {
  return json::parse(sim("GET", "/sim/k3cloud/_bills/BD_Customer").body, nullptr, false);
}

json SyncGatewayTest::k3Customer(const std::string& id) {
  return json::parse(sim("GET", "/sim/k3cloud/_bills/BD_Customer/" + id).body, nullptr, false);
}

json SyncGatewayTest::syncApi(const std::string& path) {
  auto r = api("GET", "/api/v1/sync/" + path);
  EXPECT_EQ(r.status, 200) << path << ": " << r.body;
  return json::parse(r.body, nullptr, false);
}

int64_t SyncGatewayTest::openWrites() {
  json w = syncApi("writes?limit=1");
  return w.is_object() ? w.value("total", int64_t{-1}) : -1;
}

std::vector<std::pair<std::string, std::string>> SyncGatewayTest::links() {
  std::vector<std::pair<std::string, std::string>> out;
  json l = syncApi("links?limit=10000");
  if (!l.is_object()) return out;
  for (const auto& item : l["items"]) {
    const json& s = item["sides"];
    if (s.contains("crm") && s.contains("k3cloud"))
      out.emplace_back(s["crm"].value("id", ""), s["k3cloud"].value("id", ""));
  }
  return out;
}

}  // namespace qiao::e2e
