// The real `http` sink (through its Descriptor) against a qiao-sim receiver child process.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "qiao/sdk/connector.h"
#include "qiao/testkit/testkit.h"

void qiao_register_http(qiao::sdk::Registry& registry);

namespace {

using nlohmann::json;
using qiao::ErrorClass;
using qiao::ErrorCode;
namespace tk = qiao::testkit;

constexpr const char* kToken = "tok-9f8e7d-NEVER-LOG";

class HttpSinkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new tk::TempDir();
    std::string out = dir_->file("sim.out");
    sim_ = new tk::Child(tk::binPath("qiao-sim"), {"--port", "0"}, out);
    std::string ready;
    bool up = tk::waitFor(
        [&] {
          ready = tk::readFile(out);
          return ready.find("\"ready\"") != std::string::npos;
        },
        10000);
    ASSERT_TRUE(up) << "qiao-sim did not start: " << ready;
    port_ = json::parse(ready.substr(0, ready.find('\n')))["port"].get<int>();
    registry_ = new qiao::sdk::Registry();
    qiao_register_http(*registry_);
  }
  static void TearDownTestSuite() {
    delete sim_;
    delete registry_;
    delete dir_;
  }

  // Every test gets its own receiver name, so faults and counts never leak between tests.
  void SetUp() override {
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/sim/receiver/" + name_ + "/orders";
  }

  std::unique_ptr<qiao::sdk::Sink> makeSink(json settings = json::object()) {
    if (!settings.contains("url")) settings["url"] = url();
    const auto* d = registry_->find("http");
    EXPECT_NE(d, nullptr);
    auto sink = d->make_sink({"erp_http", settings.dump()}, {"erp_http", dir_->path()});
    EXPECT_TRUE(sink.ok()) << (sink.ok() ? "" : sink.error().message);
    return sink.ok() ? std::move(sink).value() : nullptr;
  }

  void setFault(const json& spec) {
    auto r = tk::http("POST", port_, "/sim/receiver/" + name_ + "/_faults", spec.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }

  json stats() {
    auto r = tk::http("GET", port_, "/sim/receiver/" + name_ + "/_stats");
    EXPECT_EQ(r.status, 200);
    return json::parse(r.body);
  }

  json records() {
    auto r = tk::http("GET", port_, "/sim/receiver/" + name_ + "/_records?limit=1000");
    EXPECT_EQ(r.status, 200);
    return json::parse(r.body)["records"];
  }

  static qiao::Record record(const std::string& key) {
    qiao::Record r;
    r.payload = R"({"order_no":")" + key + R"(","amount":12.5,"customer":"客户A"})";
    r.entity = "order";
    r.source_system = "crm";
    r.business_key = key;
    r.idempotency_key = "idem-" + key;
    r.trace_id = "trace-" + key;
    return r;
  }

  static inline tk::TempDir* dir_ = nullptr;
  static inline tk::Child* sim_ = nullptr;
  static inline qiao::sdk::Registry* registry_ = nullptr;
  static inline int port_ = 0;
  std::string name_;
};

TEST_F(HttpSinkTest, DescriptorIsABetaSinkWithItsSettings) {
  const auto* d = registry_->find("http");
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->isSink());
  EXPECT_TRUE(d->isSource());  // with a `pull:` block (tests/integration/http/)
  EXPECT_EQ(d->maturity, qiao::sdk::Maturity::kBeta);
  std::vector<std::string> names;
  for (const auto& f : d->config) names.push_back(f.name);
  for (const char* want : {"url", "method", "timeout", "connect_timeout", "headers", "auth_token",
                           "idempotency_header", "remote_id_field", "tls_verify", "ca_file"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  auto bad = d->make_sink({"x", R"({"url":"ftp://nope"})"}, {"x", ""});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kConfigInvalid);
}

TEST_F(HttpSinkTest, DeliversWithHeadersAndReturnsRemoteId) {
  auto sink = makeSink({{"headers", {{"X-Tenant", "acme"}}}, {"auth_token", kToken}});
  auto rec = record("SO-1");
  auto d = sink->deliver(rec);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->remote_id, "R-1");
  auto recs = records();
  ASSERT_EQ(recs.size(), 1u);
  const auto& h = recs[0]["headers"];
  EXPECT_EQ(recs[0]["method"], "POST");
  EXPECT_EQ(recs[0]["body"], rec.payload);
  EXPECT_EQ(h["content-type"], "application/json");
  EXPECT_EQ(h["idempotency-key"], "idem-SO-1");
  EXPECT_EQ(h["x-qiao-trace-id"], "trace-SO-1");
  EXPECT_EQ(h["x-qiao-entity"], "order");
  EXPECT_EQ(h["x-qiao-business-key"], "SO-1");
  EXPECT_EQ(h["x-tenant"], "acme");
  EXPECT_EQ(h["authorization"], std::string("Bearer ") + kToken);
}

TEST_F(HttpSinkTest, PutAndCustomIdempotencyHeader) {
  auto sink = makeSink({{"method", "PUT"}, {"idempotency_header", "X-Request-Id"},
                        {"timeout", 5000}, {"connect_timeout", "1s"}});
  ASSERT_TRUE(sink->deliver(record("SO-2")).ok());
  auto recs = records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0]["method"], "PUT");
  EXPECT_EQ(recs[0]["headers"]["x-request-id"], "idem-SO-2");
}

TEST_F(HttpSinkTest, ServiceUnavailableIsTransient) {
  auto sink = makeSink();
  setFault({{"mode", "status"}, {"status", 503}, {"count", 1}});
  auto d = sink->deliver(record("SO-3"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().klass, ErrorClass::kTransient);
  EXPECT_EQ(d.error().code, ErrorCode::kRemoteTransient);
  EXPECT_NE(d.error().message.find("503"), std::string::npos);
  EXPECT_TRUE(sink->deliver(record("SO-3")).ok());  // the fault was for one request only
  EXPECT_EQ(stats()["effects"], 1);
}

TEST_F(HttpSinkTest, TooManyRequestsHonoursRetryAfter) {
  auto sink = makeSink();
  setFault({{"mode", "status"}, {"status", 429}, {"retry_after", 2}, {"count", 3}});
  for (int i = 0; i < 3; ++i) {
    auto d = sink->deliver(record("SO-4"));
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().klass, ErrorClass::kTransient);
    EXPECT_EQ(d.error().retry_after_ms, 2000);
  }
  EXPECT_TRUE(sink->deliver(record("SO-4")).ok());
}

TEST_F(HttpSinkTest, UnauthorizedIsAuthExpired) {
  auto sink = makeSink({{"auth_token", kToken}});
  setFault({{"mode", "status"}, {"status", 401}, {"count", 1}});
  auto d = sink->deliver(record("SO-5"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().klass, ErrorClass::kAuthExpired);
  EXPECT_EQ(d.error().message.find(kToken), std::string::npos);
}

TEST_F(HttpSinkTest, TimeoutIsTransientTimeout) {
  auto sink = makeSink({{"timeout", "500ms"}});
  setFault({{"mode", "timeout"}, {"delay_ms", 3000}, {"count", 1}});
  auto d = sink->deliver(record("SO-6"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().klass, ErrorClass::kTransient);
  EXPECT_EQ(d.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(stats()["effects"], 0);
  auto again = sink->deliver(record("SO-6"));
  ASSERT_TRUE(again.ok()) << again.error().message;
}

TEST_F(HttpSinkTest, ResetIsTransient) {
  auto sink = makeSink();
  ASSERT_TRUE(sink->deliver(record("SO-7a")).ok());  // warm connection first
  setFault({{"mode", "reset"}, {"count", 3}});
  auto d = sink->deliver(record("SO-7"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().klass, ErrorClass::kTransient);
  EXPECT_EQ(d.error().code, ErrorCode::kRemoteTransient);
  EXPECT_EQ(stats()["effects"], 1);
}

TEST_F(HttpSinkTest, SlowReplyUnderTheTimeoutSucceeds) {
  auto sink = makeSink({{"timeout", "5s"}});
  setFault({{"mode", "slow"}, {"delay_ms", 300}, {"count", 2}});
  for (int i = 0; i < 2; ++i) {
    auto d = sink->deliver(record("SO-8-" + std::to_string(i)));
    ASSERT_TRUE(d.ok()) << d.error().message;
  }
  EXPECT_EQ(stats()["effects"], 2);
}

TEST_F(HttpSinkTest, TimeoutAfterCommitThenRetryHasOneEffect) {
  auto sink = makeSink({{"timeout", "500ms"}});
  setFault({{"mode", "timeout_after_commit"}, {"delay_ms", 3000}, {"count", 1}});
  auto rec = record("SO-9");
  auto first = sink->deliver(rec);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().klass, ErrorClass::kTransient);
  EXPECT_EQ(first.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(stats()["effects"], 1);  // the target did write it
  auto retry = sink->deliver(rec);
  ASSERT_TRUE(retry.ok()) << retry.error().message;
  EXPECT_EQ(retry->remote_id, "R-1");  // the same id as the first, unseen answer
  auto s = stats();
  EXPECT_EQ(s["effects"], 1);
  EXPECT_EQ(s["duplicates"], 1);
  EXPECT_EQ(s["unique_keys"], 1);
}

TEST_F(HttpSinkTest, BadRequestIsPermanentWithTheTargetsReason) {
  auto sink = makeSink();
  setFault({{"mode", "status"}, {"status", 400}, {"body", R"({"error":"bad field customer"})"},
            {"count", 1}});
  auto d = sink->deliver(record("SO-10"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().klass, ErrorClass::kPermanent);
  EXPECT_EQ(d.error().code, ErrorCode::kRemotePermanent);
  EXPECT_NE(d.error().message.find("400"), std::string::npos);
  EXPECT_NE(d.error().message.find("bad field customer"), std::string::npos);
  EXPECT_NE(d.error().message.find("/sim/receiver/"), std::string::npos);
}

TEST_F(HttpSinkTest, ConnectionRefusedIsTransient) {
  int dead = tk::freePort();
  auto sink = makeSink({{"url", "http://127.0.0.1:" + std::to_string(dead) + "/x"}});
  auto d = sink->deliver(record("SO-11"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().klass, ErrorClass::kTransient);
  EXPECT_EQ(d.error().code, ErrorCode::kRemoteTransient);
  auto h = sink->health();
  EXPECT_FALSE(h.healthy);
  EXPECT_FALSE(h.detail.empty());
}

TEST_F(HttpSinkTest, HealthConnectsWithoutSending) {
  auto sink = makeSink();
  auto h = sink->health();
  EXPECT_TRUE(h.healthy) << h.detail;
  EXPECT_NE(h.detail.find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(stats()["requests"], 0);
}

TEST_F(HttpSinkTest, AuthTokenNeverAppearsInErrors) {
  // The URL carries credentials and a query secret too; neither may be echoed.
  std::string u = "http://user:" + std::string(kToken) + "@127.0.0.1:" + std::to_string(port_) +
                  "/sim/receiver/" + name_ + "/orders?sig=" + kToken;
  auto sink = makeSink({{"url", u}, {"auth_token", kToken}, {"timeout", "500ms"}});
  std::vector<qiao::Error> errors;
  auto collect = [&](const json& fault) {
    setFault(fault);
    auto d = sink->deliver(record("SO-12"));
    ASSERT_FALSE(d.ok()) << fault.dump();
    errors.push_back(d.error());
  };
  // A target that echoes the request back must not leak the token through us.
  collect({{"mode", "status"}, {"status", 400}, {"body", std::string("echo Bearer ") + kToken},
           {"count", 1}});
  collect({{"mode", "status"}, {"status", 503}, {"body", kToken}, {"count", 1}});
  collect({{"mode", "status"}, {"status", 401}, {"body", kToken}, {"count", 1}});
  collect({{"mode", "timeout"}, {"delay_ms", 2000}, {"count", 1}});
  collect({{"mode", "reset"}, {"count", 3}});
  auto refused = makeSink({{"url", "http://u:" + std::string(kToken) + "@127.0.0.1:" +
                                       std::to_string(tk::freePort()) + "/x?k=" + kToken},
                           {"auth_token", kToken}});
  auto r = refused->deliver(record("SO-12"));
  ASSERT_FALSE(r.ok());
  errors.push_back(r.error());
  EXPECT_EQ(refused->health().detail.find(kToken), std::string::npos);
  ASSERT_EQ(errors.size(), 6u);
  for (const auto& e : errors) EXPECT_EQ(e.message.find(kToken), std::string::npos) << e.message;
}

TEST_F(HttpSinkTest, OneThreadReusesOneConnection) {
  auto sink = makeSink();
  for (int i = 0; i < 100; ++i) {
    auto d = sink->deliver(record("SO-13-" + std::to_string(i)));
    ASSERT_TRUE(d.ok()) << d.error().message;
  }
  auto s = stats();
  EXPECT_EQ(s["effects"], 100);
  EXPECT_EQ(s["connections"], 1);
}

TEST_F(HttpSinkTest, ConcurrentDeliveriesAllLandOnce) {
  auto sink = makeSink();
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto rec = record("SO-14-" + std::to_string(t) + "-" + std::to_string(i));
        if (!sink->deliver(rec).ok()) ++failures;
        if (!sink->deliver(rec).ok()) ++failures;  // a retry: deduped by the receiver
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto s = stats();
  EXPECT_EQ(s["effects"], kThreads * kEach);
  EXPECT_EQ(s["duplicates"], kThreads * kEach);
  EXPECT_LE(s["connections"].get<int>(), kThreads);
}

TEST_F(HttpSinkTest, RandomFailuresAreAllTransient) {
  auto sink = makeSink();
  setFault({{"mode", "rate"}, {"percent", 30}, {"status", 500}, {"seed", 7}});
  int ok = 0, transient = 0;
  for (int i = 0; i < 100; ++i) {
    auto d = sink->deliver(record("SO-15-" + std::to_string(i)));
    if (d.ok()) ++ok;
    else if (d.error().klass == ErrorClass::kTransient) ++transient;
  }
  EXPECT_EQ(ok + transient, 100);
  EXPECT_GT(transient, 0);
  EXPECT_GT(ok, 0);
  EXPECT_EQ(stats()["effects"], ok);
}

}  // namespace

TEST_F(HttpSinkTest, UrlTemplateFillsPlaceholdersFromTheRecord) {
  auto sink = makeSink({{"url", "http://127.0.0.1:" + std::to_string(port_) + "/sim/receiver/" +
                                    name_ + "/orders/{/order_no}/status?c={/customer}"},
                        {"method", "PUT"}});
  ASSERT_TRUE(sink->deliver(record("SO 7/8")).ok());
  auto recs = records();
  ASSERT_EQ(recs.size(), 1u);
  // Values are percent-encoded: a '/' or a space in an id cannot change the path.
  EXPECT_EQ(recs[0]["uri"], "/sim/receiver/" + name_ + "/orders/SO%207%2F8/status?c=%E5%AE%A2%E6%88%B7A");
  EXPECT_EQ(recs[0]["method"], "PUT");

  qiao::Record missing = record("SO-9");
  missing.payload = R"({"customer":"x"})";
  auto d = sink->deliver(missing);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().klass, ErrorClass::kPermanent);
  EXPECT_NE(d.error().message.find("{/order_no}"), std::string::npos) << d.error().message;
  EXPECT_EQ(records().size(), 1u);  // nothing sent
}
