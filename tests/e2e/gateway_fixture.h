// A real gateway for end-to-end tests: qiao-sim and `qiao run` as child processes on
// loopback ports, a SQLite file in a temp dir, an admin key given as a ${file:} secret.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "qiao/testkit/testkit.h"

namespace qiao::e2e {

using nlohmann::json;

struct GatewayOptions {
  int max_attempts = 6;
  int64_t initial_backoff_ms = 50;
  int64_t max_backoff_ms = 400;
  int64_t lease_ms = 3000;
  int64_t drain_timeout_ms = 5000;
  std::string sink_timeout = "1s";
  int concurrency = 4;
  int failure_threshold = 50;
  int64_t open_ms = 1000;
  bool ordered = false;
  std::string extra_connectors_yaml;  // more entries under connectors: (indented two spaces)
  std::string extra_yaml;  // appended to the config (more routes, schedules)
  std::string plugins_dir;
  std::string mappings_dir;  // gateway.mappings_dir ("" = the default)
};

class GatewayFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Writes the config for `opts` and starts the simulator (once) and the gateway.
  void startSim();
  void writeConfig(const GatewayOptions& opts);
  void startGateway();
  void stopGateway(int signal);  // SIGTERM: expects a clean exit; SIGKILL: crash

  testkit::HttpResponse api(const std::string& method, const std::string& path,
                            const std::string& body = "", const std::string& key = "");
  testkit::HttpResponse sim(const std::string& method, const std::string& path,
                            const std::string& body = "");
  json simStats(const std::string& receiver = "erp");
  void setFault(const std::string& fault_json, const std::string& receiver = "erp");
  json message(int64_t id);
  // Waits until the message reaches status; returns the final message JSON.
  json waitStatus(int64_t id, const std::string& status, int timeout_ms = 15000);
  std::vector<int64_t> ingest(const std::string& body, const std::string& idem = "");
  std::string gatewayLog();

  std::unique_ptr<testkit::TempDir> dir_;
  std::unique_ptr<testkit::Child> sim_;
  std::unique_ptr<testkit::Child> gw_;
  int sim_port_ = 0;
  int api_port_ = 0;
  std::string admin_key_;
  std::string config_dir_;
};

}  // namespace qiao::e2e
