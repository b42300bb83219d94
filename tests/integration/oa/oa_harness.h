// Shared by the OA integration tests: one qiao-sim per test (or per binary for the
// conformance cases), its admin API, and settings blocks pointed at /sim/weaver or /sim/oa.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "qiao/oa/oa_client.h"
#include "qiao/testkit/testkit.h"

namespace oa_it {

using nlohmann::json;
namespace tk = qiao::testkit;

inline json simCall(int port, const std::string& method, const std::string& path, const json& body = json::object()) {
  auto r = tk::http(method, port, path, body.dump(), {{"Content-Type", "application/json"}});
  json j = json::parse(r.body, nullptr, false);
  EXPECT_EQ(r.status, 200) << method << " " << path << ": " << r.body;
  return j.is_discarded() ? json::object() : j;
}

inline json weaverSettings(int port, json extra = json::object()) {
  json s = {{"kind", "weaver"},
            {"base_url", "http://127.0.0.1:" + std::to_string(port) + "/sim/weaver"},
            {"app_id", "sim-weaver-app"},
            {"user_id", "8"},
            {"workflow_id", "1001"},
            {"timeout", "5s"},
            {"request_name", "订单审批 {/orderNo}"},
            {"main_fields", {{"ddh", "{/orderNo}"}, {"je", "{/amount}"}, {"kh", "{/customer}"}}}};
  s.update(extra);
  return s;
}

inline json genericSettings(int port, json extra = json::object()) {
  const std::string base = "http://127.0.0.1:" + std::to_string(port) + "/sim/oa/api/approvals";
  json s = {{"kind", "generic"},
            {"create_url", base},
            {"status_url", base + "/{id}"},
            {"lookup_url", base + "?externalId={key}"},
            {"timeout", "5s"},
            {"auth_token", "sim-oa-token"},
            {"approver_pointer", "/approver"},
            {"comment_pointer", "/comment"},
            {"updated_pointer", "/updatedAt"},
            {"status_map", {{"DRAFT", "draft"}, {"PENDING", "in_approval"}, {"APPROVED", "approved"},
                            {"REJECTED", "rejected"}, {"WITHDRAWN", "withdrawn"}, {"CANCELLED", "terminated"}}}};
  s.update(extra);
  return s;
}

inline std::string order(const std::string& no, int amount = 150000) {
  return json{{"orderNo", no}, {"amount", amount}, {"customer", "华东机电"}}.dump();
}

class OaSimFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = tk::startQiaoSim(&child_, dir_.file("oa-sim.out"));
    ASSERT_GT(port_, 0) << tk::readFile(dir_.file("oa-sim.out"));
  }
  json admin(const std::string& method, const std::string& path, const json& body = json::object()) {
    return simCall(port_, method, path, body);
  }
  std::unique_ptr<qiao::oa::OaClient> client(const json& settings) {
    auto c = qiao::oa::OaClient::create(settings.dump());
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? std::move(c).value() : nullptr;
  }
  int64_t weaverCreated() { return admin("GET", "/sim/weaver/_stats")["requests_created"].get<int64_t>(); }
  int64_t genericCreated() { return admin("GET", "/sim/oa/_stats")["created"].get<int64_t>(); }

  tk::TempDir dir_;
  std::unique_ptr<tk::Child> child_;
  int port_ = 0;
};

}  // namespace oa_it
