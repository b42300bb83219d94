// Shared by the WeCom integration tests against qiao-sim: starts the simulator, talks to its
// admin API, builds a connector Client (CurlTransport + its own TokenManager) pointed at
// /sim/wecom, and turns a callback the simulator POSTed to its own receiver back into the
// WebhookRequest the gateway would hand to WecomSource::onWebhook.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "qiao/sdk/connector.h"
#include "qiao/testkit/testkit.h"
#include "wecom_client.h"
#include "wecom_curl.h"
#include "wecom_token.h"

namespace wecom_it {

using nlohmann::json;
namespace tk = qiao::testkit;
namespace w = qiao::connectors::wecom;

inline const std::string kCorp = "wwsimcorp0000001";
inline const std::string kSecret = "sim-wecom-secret";
inline const std::string kCbToken = "qiaoTestToken";
inline const std::string kAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

inline std::string percentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

inline std::map<std::string, std::string> parseQuery(const std::string& uri) {
  std::map<std::string, std::string> q;
  const size_t start = uri.find('?');
  if (start == std::string::npos) return q;
  size_t at = start + 1;
  while (at < uri.size()) {
    size_t amp = uri.find('&', at);
    if (amp == std::string::npos) amp = uri.size();
    const std::string kv = uri.substr(at, amp - at);
    const size_t eq = kv.find('=');
    q[percentDecode(kv.substr(0, eq))] = eq == std::string::npos ? "" : percentDecode(kv.substr(eq + 1));
    at = amp + 1;
  }
  return q;
}

class SimFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = tk::startQiaoSim(&child_, dir_.file("wecom-sim.out"));
    ASSERT_GT(port_, 0) << tk::readFile(dir_.file("wecom-sim.out"));
    base_ = "http://127.0.0.1:" + std::to_string(port_) + "/sim/wecom";
    transport_ = std::make_shared<w::CurlTransport>(w::CurlOptions{5000, 2000, true});
    tokens_ = std::make_shared<w::TokenManager>(transport_, base_, kCorp, kSecret);
    client_ = std::make_unique<w::Client>(transport_, tokens_, base_);
  }
  json admin(const std::string& method, const std::string& path, const json& body = nullptr) {
    auto r = tk::http(method, port_, "/sim/wecom/" + path, body.is_null() ? "" : body.dump(),
                      {{"Content-Type", "application/json"}});
    json j = json::parse(r.body, nullptr, false);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return j;
  }
  int64_t simCalls(const std::string& api) {
    return admin("GET", "_stats")["calls"].value(api, int64_t{0});
  }
  // Routes callbacks to the simulator's own receiver `name`.
  void callbacksTo(const std::string& name) {
    admin("POST", "_config",
          {{"callback", {{"url", "http://127.0.0.1:" + std::to_string(port_) + "/sim/receiver/" + name},
                         {"token", kCbToken}, {"encoding_aes_key", kAesKey}, {"backoff_ms", 50}}}});
  }
  // The callbacks the receiver got, as the gateway would pass them to onWebhook.
  std::vector<qiao::sdk::WebhookRequest> received(const std::string& name) {
    EXPECT_EQ(admin("POST", "_callbacks/wait?timeout_ms=10000")["idle"], true);
    auto r = tk::http("GET", port_, "/sim/receiver/" + name + "/_records?limit=1000");
    json j = json::parse(r.body, nullptr, false);
    std::vector<qiao::sdk::WebhookRequest> out;
    if (!j.is_object() || !j.contains("records")) return out;
    for (const auto& rec : j["records"]) {
      qiao::sdk::WebhookRequest req;
      req.method = rec["method"];
      req.path = "/hooks/wecom/" + name;
      for (auto& [k, v] : parseQuery(rec["uri"].get<std::string>())) req.query[k] = v;
      req.body = rec["body"];
      req.headers["content-type"] = "text/xml";
      out.push_back(std::move(req));
    }
    return out;
  }

  tk::TempDir dir_;
  std::unique_ptr<tk::Child> child_;
  int port_ = 0;
  std::string base_;
  std::shared_ptr<w::CurlTransport> transport_;
  std::shared_ptr<w::TokenManager> tokens_;
  std::unique_ptr<w::Client> client_;
};

}  // namespace wecom_it
