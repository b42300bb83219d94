// Shared fixture for the HTTP API tests: a FakeGateway over a real SQLite store, an ApiServer
// on 127.0.0.1 port 0, one API key per role, and a call() that records every response so the
// fixture can prove no key plaintext ever leaves the server.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qiao/core/clock.h"
#include "qiao/http/api_keys.h"
#include "qiao/http/api_server.h"
#include "qiao/runtime/gateway.h"
#include "qiao/sdk/connector.h"
#include "qiao/store/store.h"
#include "qiao/testkit/testkit.h"

namespace qiao::http::testing {

using nlohmann::json;

// Just enough of runtime::Gateway: ingest goes straight to the store, business keys come from
// the route's JSON pointer like the real runtime does.
class FakeGateway final : public runtime::Gateway {
 public:
  explicit FakeGateway(const std::string& db_path) {
    config::RouteConfig r;
    r.name = "orders";
    r.sink = "erp";
    r.entity = "order";
    r.business_key = "/orderId";
    config_.routes["orders"] = r;
    config::RouteConfig other = r;
    other.name = "invoices";
    other.entity = "invoice";
    config_.routes["invoices"] = other;
    store::SqliteOptions o;
    o.path = db_path;
    o.synchronous_full = false;
    auto s = store::openSqliteStore(o);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    if (s.ok()) store_ = std::move(s).value();
  }

  Status start() override { return Status::okStatus(); }
  bool stop() override { return true; }
  bool ready() const override { return ready_.load(); }

  Result<std::vector<store::IngestResult>> ingest(const std::string& route,
                                                  std::vector<Record> records) override {
    auto it = config_.routes.find(route);
    if (it == config_.routes.end()) {
      return Error::permanent(ErrorCode::kNotFound, "unknown route " + route);
    }
    int64_t now = Clock::system().nowMs();
    std::vector<store::NewMessage> msgs;
    for (auto& r : records) {
      store::NewMessage m;
      m.route = route;
      r.created_at_ms = now;
      if (r.trace_id.empty()) r.trace_id = "trace-" + std::to_string(++traces_);
      if (r.business_key.empty() && !it->second.business_key.empty()) {
        auto doc = json::parse(r.payload, nullptr, false);
        json::json_pointer ptr(it->second.business_key);
        if (!doc.is_discarded() && doc.contains(ptr) && doc.at(ptr).is_string()) {
          r.business_key = doc.at(ptr).get<std::string>();
        }
      }
      m.record = std::move(r);
      msgs.push_back(std::move(m));
    }
    return store_->ingest(msgs, now);
  }

  // Webhooks go to webhook_fn (set by a test); without one every connector is unknown.
  using WebhookFn =
      std::function<Result<sdk::WebhookReply>(const std::string&, const sdk::WebhookRequest&)>;
  void setWebhook(WebhookFn fn) {
    std::lock_guard lock(webhook_mu_);
    webhook_fn_ = std::move(fn);
  }
  // The last request handed to webhook() and its connector name; calls so far.
  sdk::WebhookRequest lastWebhook(std::string* connector = nullptr, int* calls = nullptr) {
    std::lock_guard lock(webhook_mu_);
    if (connector) *connector = last_connector_;
    if (calls) *calls = webhook_calls_;
    return last_webhook_;
  }
  Result<sdk::WebhookReply> webhook(const std::string& connector,
                                    const sdk::WebhookRequest& request) override {
    WebhookFn fn;
    {
      std::lock_guard lock(webhook_mu_);
      ++webhook_calls_;
      last_connector_ = connector;
      last_webhook_ = request;
      fn = webhook_fn_;
    }
    if (!fn) return Error::permanent(ErrorCode::kNotFound, "no route reads from '" + connector + "'");
    return fn(connector, request);
  }
  Result<int64_t> replay(const store::ReplayRequest& request) override {
    return store_->replay(request);
  }

  std::vector<runtime::JobStatus> jobStatuses() override { return {}; }
  Result<runtime::JobRun> runJob(const std::string& job, const std::string&) override {
    return Error::permanent(ErrorCode::kNotFound, "no job named '" + job + "'");
  }
  recon::Service* reconciliation() override { return nullptr; }
  Result<std::string> reconcile() override {
    return Error::permanent(ErrorCode::kConfigInvalid, "reconciliation is not enabled");
  }
  Status pushPaymentStatus(const std::vector<recon::OrderStatusChange>&) override { return {}; }
  std::vector<runtime::ConnectorStatus> connectorStatuses() override {
    runtime::ConnectorStatus c;
    c.name = "erp";
    c.type = "http";
    c.kind = "sink";
    c.circuit = "closed";
    c.concurrency = 4;
    c.delivered = 7;
    return {c};
  }

  const config::Config& config() const override { return config_; }
  store::Store& store() override { return *store_; }
  metrics::Registry& metrics() override { return metrics_; }

  std::atomic<bool> ready_{true};

 private:
  config::Config config_;
  std::unique_ptr<store::Store> store_;
  metrics::Registry metrics_;
  std::atomic<int> traces_{0};
  std::mutex webhook_mu_;
  WebhookFn webhook_fn_;
  sdk::WebhookRequest last_webhook_;
  std::string last_connector_;
  int webhook_calls_ = 0;
};

class ApiTest : public ::testing::Test {
 protected:
  static constexpr int64_t kMaxBody = 4096;

  void SetUp() override {
    gateway_ = std::make_unique<FakeGateway>(dir_.file("qiao.db"));
    for (const char* role : {"admin", "operator", "finance", "ingest"}) {
      NewKey k = generateApiKey(role, std::string(role) + "-test", Clock::system().nowMs());
      ASSERT_TRUE(gateway_->store().putApiKey(k.key).ok());
      keys_[role] = k.plaintext;
    }
    startServer(true);
  }

  void TearDown() override {
    if (server_) server_->stop();
    // No response, header or body, may ever carry a key's plaintext.
    for (const auto& text : seen_) {
      for (const auto& [role, key] : keys_) {
        EXPECT_EQ(text.find(key), std::string::npos) << role << " key leaked in: " << text;
        EXPECT_EQ(text.find(key.substr(14)), std::string::npos) << role << " secret leaked";
      }
    }
  }

  void startServer(bool require_auth) {
    if (server_) server_->stop();
    ApiServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.max_body_bytes = kMaxBody;
    o.max_threads = 8;
    o.require_auth = require_auth;
    server_ = std::make_unique<ApiServer>(*gateway_, o);
    Status s = server_->start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_GT(server_->port(), 0);
  }

  testkit::HttpResponse call(const std::string& method, const std::string& path,
                             const std::string& role = "", const std::string& body = "",
                             std::map<std::string, std::string> headers = {}) {
    if (!role.empty()) headers["Authorization"] = "Bearer " + keys_.at(role);
    auto r = testkit::http(method, server_->port(), path, body, headers);
    std::string all = r.body;
    for (const auto& [k, v] : r.headers) all += "\n" + k + ": " + v;
    seen_.push_back(all);
    return r;
  }

  // Every error must be {"error":{"code":...,"message":...}} with the expected status.
  static void expectError(const testkit::HttpResponse& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    auto j = json::parse(r.body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.body;
    ASSERT_TRUE(j.contains("error")) << r.body;
    EXPECT_EQ(j["error"].value("code", ""), code) << r.body;
    ASSERT_TRUE(j["error"].contains("message")) << r.body;
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty()) << r.body;
    EXPECT_EQ(r.headers.count("content-length"), 1u);
  }

  static json parse(const testkit::HttpResponse& r) {
    auto j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  // Ingests one order and returns its id.
  int64_t ingestOrder(const std::string& order_id, const std::string& idem = "") {
    std::map<std::string, std::string> h;
    if (!idem.empty()) h["Idempotency-Key"] = idem;
    auto r = call("POST", "/api/v1/routes/orders/messages", "ingest",
                  R"({"orderId":")" + order_id + R"(","qty":1})", h);
    EXPECT_EQ(r.status, 202) << r.body;
    auto j = parse(r);
    return j.contains("accepted") ? j["accepted"][0]["id"].get<int64_t>() : 0;
  }

  // Claims every due message and finishes it with kind (dead letter: kDead).
  void finishAll(store::Completion::Kind kind, const std::string& error) {
    store::ClaimRequest req;
    req.worker_id = "test:1:1";
    req.routes = {"orders", "invoices"};
    req.limit = 100;
    req.now_ms = Clock::system().nowMs() + 60000;
    auto claimed = gateway_->store().claim(req);
    ASSERT_TRUE(claimed.ok()) << claimed.error().message;
    std::vector<store::Completion> done;
    for (const auto& m : claimed.value()) {
      store::Completion c;
      c.message_id = m.id;
      c.attempt = m.attempt;
      c.kind = kind;
      c.error = error;
      c.error_class = error.empty() ? "" : "permanent";
      c.next_attempt_at_ms = req.now_ms + 1000;
      c.latency_us = 1500;
      c.worker = req.worker_id;
      c.now_ms = req.now_ms;
      done.push_back(c);
    }
    ASSERT_TRUE(gateway_->store().complete(done).ok());
  }

  testkit::TempDir dir_;
  std::unique_ptr<FakeGateway> gateway_;
  std::unique_ptr<ApiServer> server_;
  std::map<std::string, std::string> keys_;
  std::vector<std::string> seen_;
};

}  // namespace qiao::http::testing
