// The customer sync end to end: `qiao run` with `sync:` between qiao-sim's CRM (customers API,
// change webhooks) and K/3 (BD_Customer Save, ExecuteBillQuery + View pull) on 127.0.0.1, and
// what the sync tests read both systems and the sync API with.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gateway_fixture.h"

namespace qiao::e2e {

// What differs between the sync tests' configs; 0 or "" leaves the key out (its default).
struct SyncConfig {
  std::string hook_secret;                  // signs the CRM simulator's change webhooks
  std::string pull_cron = "*/2 * * * * *";  // the K/3 pull's schedule
  int page_size = 0;                        // the K/3 pull's page size
  int workers = 0;                          // gateway.workers
  int64_t max_body_bytes = 0;               // server.max_body_bytes
  int concurrency = 0;                      // of the k3, crm_put and crm_post connectors
  int retry_attempts = 4;                   // of the sync_to_* routes
  int retry_max_backoff_ms = 300;
  std::string batch_window = "300ms";
  int batch_max = 0;
  std::string crm_on_delete;  // sync.sides.crm.on_delete
  std::string k3_on_forbid;   // sync.sides.k3cloud.on_forbid
  std::string k3_flag_field;  // sync.sides.k3cloud.flag_field
  // sync.first_sync: the tests that start from an empty CRM create from the first pull.
  std::string first_sync = "skip";
  // Non-empty: the CRM's customers are also pulled on this schedule (http source crm_pull),
  // beside its webhooks.
  std::string crm_pull_cron;
};

class SyncGatewayTest : public GatewayFixture {
 protected:
  // The gateway's config for `c`: a config of our own (the fixture's has a 64 KB body limit
  // and no sync), connectors k3, crm_put, crm_post, crm_hooks, the routes and the pull
  // schedule the sync needs. Needs api_port_ set.
  std::string syncYaml(const SyncConfig& c);
  // Picks the API port and writes the secrets and syncYaml(c).
  void writeSyncGatewayConfig(const SyncConfig& c);
  // Subscribes the gateway's crm_hooks to the CRM simulator's customer changes.
  testkit::HttpResponse subscribeCrmWebhooks(const std::string& hook_secret);

  // The CRM simulator's API, as a user.
  testkit::HttpResponse crm(const std::string& method, const std::string& path, const std::string& body = "");
  json k3All();  // every BD_Customer in the K/3 simulator
  json k3Customer(const std::string& id);
  json syncApi(const std::string& path);  // GET /api/v1/sync/<path>, expected to answer 200
  int64_t openWrites();                   // -1 when the API does not tell
  // Every link's two customers: pairs (crm id, k3 id).
  std::vector<std::pair<std::string, std::string>> links();
};

}  // namespace qiao::e2e
