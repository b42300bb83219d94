// Order push benchmark (issue 4): orders/s end to end — CRM order ingested → mapped → K/3 Cloud
// (qiao-sim) Save [+ Submit + Audit] → ID cross-reference → ERP number written back to the CRM
// (qiao-sim) — at 1, 8 and 32 K/3 calls in flight, with the K/3 simulator adding 0 and 50 ms
// to every call. Prints a table; bounded in count and time; talks only to 127.0.0.1.
//
//   qiao_order_push_bench [--orders N] [--bin DIR] [--keep DIR]
//
// orders/s = orders / (time of the last CRM write-back - time of the first ingest request).
// The gateway and its SQLite store are fresh for every row; the simulators are reset.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "qiao/testkit/testkit.h"

using namespace qiao::testkit;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Phase {
  int in_flight;
  int latency_ms;
  bool one_call;  // Save with IsAutoSubmitAndAudit instead of Save, Submit, Audit
};

struct Row {
  Phase phase;
  int orders = 0;
  double seconds = 0;
  bool complete = false;
  int64_t k3_calls = 0;
  int64_t k3_bills = 0;
  int64_t max_concurrent = 0;
};

json order(int n) {
  char id[32];
  std::snprintf(id, sizeof id, "SO-BENCH-%07d", n);
  return json{{"orderId", id},           {"orderDate", "2026-11-26"},
              {"customerCode", n % 2 ? "C100001" : "C100002"},
              {"customerName", "苏州华东精密机械有限公司"},
              {"salesOrg", "100"},        {"salesPersonCode", "EMP001"},
              {"deptCode", "BM001"},      {"currency", "CNY"},
              {"paymentTerms", "NET30"},  {"status", "confirmed"},
              {"totalAmount", "226.00"},  {"requestedDeliveryDate", "2026-12-10"},
              {"lines", json::array({json{{"lineNo", 1}, {"materialCode", "M00" + std::to_string(1 + n % 5)},
                                          {"qty", "2"}, {"unit", "PCS"}, {"price", "100.00"},
                                          {"taxRate", "13"}}})}};
}

int64_t intAt(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (const char* k : path) {
    if (!at->is_object() || !at->contains(k)) return -1;
    at = &(*at)[k];
  }
  return at->is_number() ? at->get<int64_t>() : -1;
}

json getJson(int port, const std::string& path, const std::map<std::string, std::string>& h = {}) {
  auto r = http("GET", port, path, "", h, 10000);
  return r.status == 200 ? json::parse(r.body, nullptr, false) : json();
}

class Bench {
 public:
  Bench(std::string bin, std::string dir) : bin_(std::move(bin)), dir_(std::move(dir)) {}

  bool startSim() {
    sim_port_ = freePort();
    sim_ = std::make_unique<Child>(bin_ + "/qiao-sim",
                                   std::vector<std::string>{"--port", std::to_string(sim_port_),
                                                            "--threads", "256"},
                                   dir_ + "/sim.log");
    return waitFor([&] { return http("GET", sim_port_, "/sim/_health").status == 200; }, 10000);
  }

  Row run(const Phase& p, int orders) {
    Row row{p};
    row.orders = orders;
    http("POST", sim_port_, "/sim/k3cloud/_reset", "{}");
    http("POST", sim_port_, "/sim/crm/_reset", "{}");
    http("POST", sim_port_, "/sim/k3cloud/_config",
         json{{"latency_ms", p.latency_ms}}.dump());
    for (int n = 0; n < orders; ++n) {
      auto r = http("POST", sim_port_, "/sim/crm/api/orders", order(n).dump(), crmAuth());
      if (r.status != 200 && r.status != 201) {
        std::fprintf(stderr, "bench: CRM order create failed: %d %s\n", r.status, r.body.c_str());
        return row;
      }
    }
    std::string cfg = dir_ + "/cfg-" + std::to_string(p.in_flight) + "-" +
                      std::to_string(p.latency_ms) + (p.one_call ? "-1" : "-3");
    int api = writeConfig(cfg, p);
    Child gw(bin_ + "/qiao", {"run", "--config", cfg}, cfg + "/qiao.out");
    if (!waitFor([&] { return http("GET", api, "/readyz").status == 200; }, 15000)) {
      std::fprintf(stderr, "bench: gateway did not start; see %s\n", cfg.c_str());
      return row;
    }
    std::map<std::string, std::string> h{{"Authorization", "Bearer " + admin_key_}};
    auto t0 = SteadyClock::now();
    for (int n = 0; n < orders; n += 100) {
      json batch = json::array();
      for (int i = n; i < std::min(orders, n + 100); ++i) batch.push_back(order(i));
      auto r = http("POST", api, "/api/v1/routes/k3_orders/messages", batch.dump(), h, 30000);
      if (r.status != 202) std::fprintf(stderr, "bench: ingest %d %s\n", r.status, r.body.c_str());
    }
    // Bounded: at most 180 s per row.
    row.complete = waitFor([&] {
      return intAt(getJson(sim_port_, "/sim/crm/_stats"), {"writes", "erp_status"}) >= orders;
    }, 180000, 5);
    row.seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    json k3 = getJson(sim_port_, "/sim/k3cloud/_stats");
    for (const char* s : {"Save", "Submit", "Audit", "ExecuteBillQuery"}) {
      int64_t c = intAt(k3, {"calls", s});
      if (c > 0) row.k3_calls += c;
    }
    row.k3_bills = intAt(k3, {"bills", "SAL_SaleOrder"});
    row.max_concurrent = intAt(k3, {"max_concurrent"});
    gw.kill(SIGTERM);
    gw.wait(20000);
    return row;
  }

 private:
  static std::map<std::string, std::string> crmAuth() {
    return {{"Authorization", "Bearer sim-crm-token"}};
  }

  int writeConfig(const std::string& dir, const Phase& p) {
    int api = freePort();
    admin_key_ = "bench-admin-key-0123456789abcdef";
    writeFile(dir + "/secrets/admin", admin_key_ + "\n");
    writeFile(dir + "/secrets/k3", "sim-app-secret\n");
    writeFile(dir + "/secrets/crm", "sim-crm-token\n");
    const std::string sim = "http://127.0.0.1:" + std::to_string(sim_port_);
    const std::string n = std::to_string(p.in_flight);
    writeFile(dir + "/gateway.yaml",
              "gateway:\n"
              "  data_dir: " + dir + "/data\n"
              "  log_file: " + dir + "/qiao.log\n"
              "  log_level: warn\n"
              "  workers: 96\n"
              "  mappings_dir: " + sourcePath("mappings/standard") + "\n"
              "server: {host: 127.0.0.1, port: " + std::to_string(api) + "}\n"
              "security:\n"
              "  bootstrap_admin_key: ${file:" + dir + "/secrets/admin}\n"
              "connectors:\n"
              "  k3:\n"
              "    type: k3cloud\n"
              "    base_url: " + sim + "/sim/k3cloud/k3cloud/\n"
              "    acct_id: sim-acct-001\n"
              "    auth: sign\n"
              "    username: administrator\n"
              "    app_id: sim_app_id\n"
              "    app_secret: ${file:" + dir + "/secrets/k3}\n"
              "    submit: true\n"
              "    audit: true\n"
              "    auto_submit_audit: " + (p.one_call ? "true" : "false") + "\n"
              "    max_connections: " + n + "\n"
              "    concurrency: " + n + "\n"
              "  crm_status:\n"
              "    type: http\n"
              "    method: PUT\n"
              "    url: " + sim + "/sim/crm/api/orders/{/orderId}/erp-status\n"
              "    auth_token: ${file:" + dir + "/secrets/crm}\n"
              "    concurrency: 16\n"
              "routes:\n"
              "  k3_orders:\n"
              "    sink: k3\n"
              "    entity: order\n"
              "    business_key: /orderId\n"
              "    mapping: crm_order_to_k3_sale_order_finance\n"
              "    on_delivered: {xref: {entity: order, system: k3cloud}, then: status}\n"
              "  status:\n"
              "    sink: crm_status\n"
              "    business_key: /record/orderId\n"
              "    mapping: crm_order_status_from_k3\n");
    return api;
  }

  std::string bin_, dir_;
  std::unique_ptr<Child> sim_;
  int sim_port_ = 0;
  std::string admin_key_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string bin = binPath("qiao");
  bin = bin.substr(0, bin.rfind('/'));
  std::string keep;
  int orders_at_0 = 3000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--bin")) bin = argv[i + 1];
    else if (!std::strcmp(argv[i], "--keep")) keep = argv[i + 1];
    else if (!std::strcmp(argv[i], "--orders")) orders_at_0 = std::max(100, std::atoi(argv[i + 1]));
  }
  TempDir tmp;
  std::string dir = keep.empty() ? tmp.path() : keep;
  Bench bench(bin, dir);
  if (!bench.startSim()) {
    std::fprintf(stderr, "bench: qiao-sim did not start\n");
    return 1;
  }
  std::vector<Phase> phases;
  for (int lat : {0, 50})
    for (int n : {1, 8, 32}) phases.push_back({n, lat, false});
  phases.push_back({32, 0, true});
  phases.push_back({32, 50, true});
  phases.push_back({64, 50, false});

  std::printf("order push, end to end (CRM ingest → K/3 sim → CRM write-back), one machine, 2 cores\n\n");
  std::printf("| K/3 latency | in flight | K/3 calls per order | orders | seconds | orders/s | K/3 calls | K/3 max concurrent | bills |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  bool all_ok = true;
  for (const Phase& p : phases) {
    // Enough orders for a steady state, few enough to stay well under a minute per row.
    int orders = p.latency_ms == 0 ? (p.in_flight == 1 ? orders_at_0 / 3 : orders_at_0)
                                   : std::min(2000, p.in_flight * 40);
    Row r = bench.run(p, orders);
    all_ok = all_ok && r.complete && r.k3_bills == r.orders;
    std::printf("| %d ms | %d | %s | %d | %.2f | %.0f%s | %lld | %lld | %lld |\n", p.latency_ms,
                p.in_flight, p.one_call ? "1 (Save, IsAutoSubmitAndAudit)" : "3 (Save, Submit, Audit)",
                r.orders, r.seconds, r.seconds > 0 ? r.orders / r.seconds : 0.0,
                r.complete ? "" : " (incomplete)", static_cast<long long>(r.k3_calls),
                static_cast<long long>(r.max_concurrent), static_cast<long long>(r.k3_bills));
    std::fflush(stdout);
  }
  return all_ok ? 0 : 1;
}
