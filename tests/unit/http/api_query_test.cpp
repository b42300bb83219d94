// Message and dead-letter queries, replay, connectors, health and metrics.
#include <set>

#include "http_test_util.h"

namespace qiao::http::testing {
namespace {

TEST_F(ApiTest, UnknownMessageIs404) {
  expectError(call("GET", "/api/v1/messages/999", "operator"), 404, "message_not_found");
  expectError(call("GET", "/api/v1/messages/abc", "operator"), 400, "invalid_parameter");
}

TEST_F(ApiTest, GetMessageShowsFieldsPayloadAndAttempts) {
  int64_t id = ingestOrder("SO-5", "idem-5");
  finishAll(store::Completion::Kind::kRetry, "503 from ERP");
  auto r = call("GET", "/api/v1/messages/" + std::to_string(id), "operator");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = parse(r);
  EXPECT_EQ(j["id"].get<int64_t>(), id);
  EXPECT_EQ(j["route"], "orders");
  EXPECT_EQ(j["status"], "pending");
  EXPECT_EQ(j["attempt"], 1);
  EXPECT_EQ(j["business_key"], "SO-5");
  EXPECT_EQ(j["idempotency_key"], "idem-5");
  EXPECT_EQ(j["entity"], "order");
  EXPECT_EQ(j["last_error"], "503 from ERP");
  EXPECT_EQ(j["payload"]["orderId"], "SO-5");  // embedded JSON, not a string
  EXPECT_TRUE(j["created_at"].is_string());
  EXPECT_EQ(j["created_at"].get<std::string>().back(), 'Z');
  EXPECT_TRUE(j["created_at_ms"].is_number_integer());
  EXPECT_TRUE(j["delivered_at"].is_null());
  ASSERT_EQ(j["attempts"].size(), 1u);
  EXPECT_EQ(j["attempts"][0]["attempt"], 1);
  EXPECT_EQ(j["attempts"][0]["error"], "503 from ERP");
  EXPECT_EQ(j["attempts"][0]["latency_us"], 1500);
}

TEST_F(ApiTest, ListFiltersByKeyAndPagesWithCursor) {
  std::set<int64_t> want;
  for (int i = 0; i < 5; ++i) want.insert(ingestOrder("SO-1"));
  ingestOrder("SO-2");
  ingestOrder("SO-2");

  std::set<int64_t> got;
  std::string cursor;
  int pages = 0;
  for (; pages < 10; ++pages) {
    std::string path = "/api/v1/messages?key=SO-1&limit=2&route=orders";
    if (!cursor.empty()) path += "&cursor=" + cursor;
    auto r = call("GET", path, "operator");
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = parse(r);
    EXPECT_LE(j["items"].size(), 2u);
    for (const auto& m : j["items"]) {
      EXPECT_EQ(m["business_key"], "SO-1");
      EXPECT_FALSE(m.contains("payload"));
      got.insert(m["id"].get<int64_t>());
    }
    if (j["next_cursor"].is_null()) break;
    cursor = j["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(pages, 2);  // 2 + 2 + 1

  auto pending = parse(call("GET", "/api/v1/messages?status=pending&limit=500", "admin"));
  EXPECT_EQ(pending["items"].size(), 7u);
  auto dead = parse(call("GET", "/api/v1/messages?status=dead", "admin"));
  EXPECT_TRUE(dead["items"].empty());
}

TEST_F(ApiTest, ListRejectsBadParameters) {
  auto s = call("GET", "/api/v1/messages?status=lost", "operator");
  expectError(s, 400, "invalid_parameter");
  EXPECT_NE(s.body.find("status"), std::string::npos);
  for (const char* bad : {"0", "501", "abc", "-1"}) {
    auto l = call("GET", std::string("/api/v1/messages?limit=") + bad, "operator");
    expectError(l, 400, "invalid_parameter");
    EXPECT_NE(l.body.find("limit"), std::string::npos) << bad;
  }
  expectError(call("GET", "/api/v1/messages?cursor=x", "operator"), 400, "invalid_parameter");
  expectError(call("GET", "/api/v1/messages?colour=red", "operator"), 400, "invalid_parameter");
  expectError(call("GET", "/api/v1/dead-letters?include_replayed=maybe", "operator"), 400,
              "invalid_parameter");
}

TEST_F(ApiTest, DeadLettersListReplayAndConflict) {
  int64_t msg = ingestOrder("SO-7");
  finishAll(store::Completion::Kind::kDead, "qty must be positive");

  auto list = call("GET", "/api/v1/dead-letters?route=orders&key=SO-7", "operator");
  ASSERT_EQ(list.status, 200) << list.body;
  auto lj = parse(list);
  ASSERT_EQ(lj["items"].size(), 1u);
  int64_t dl = lj["items"][0]["id"].get<int64_t>();
  EXPECT_EQ(lj["items"][0]["message_id"].get<int64_t>(), msg);
  EXPECT_EQ(lj["items"][0]["reason"], "qty must be positive");
  EXPECT_FALSE(lj["items"][0]["replayed"].get<bool>());

  auto one = call("GET", "/api/v1/dead-letters/" + std::to_string(dl), "operator");
  EXPECT_EQ(one.status, 200) << one.body;

  auto r = call("POST", "/api/v1/dead-letters/" + std::to_string(dl) + "/replay", "operator",
                R"({"payload":{"orderId":"SO-7","qty":2},"reason":"fixed qty"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto rj = parse(r);
  EXPECT_EQ(rj["message_id"].get<int64_t>(), msg);
  EXPECT_TRUE(rj["replayed"].get<bool>());

  auto m = gateway_->store().getMessage(msg);
  ASSERT_TRUE(m.ok() && m.value().has_value());
  EXPECT_EQ(m.value()->status, store::MessageStatus::kPending);
  EXPECT_EQ(m.value()->record.payload, R"({"orderId":"SO-7","qty":2})");
  auto d = gateway_->store().getDeadLetter(dl);
  ASSERT_TRUE(d.ok() && d.value().has_value());
  EXPECT_EQ(d.value()->replayed_by, "key:" + keys_["operator"].substr(5, 8));

  expectError(call("POST", "/api/v1/dead-letters/" + std::to_string(dl) + "/replay", "operator"),
              409, "already_replayed");
  EXPECT_TRUE(parse(call("GET", "/api/v1/dead-letters", "operator"))["items"].empty());
  EXPECT_EQ(parse(call("GET", "/api/v1/dead-letters?include_replayed=true", "operator"))["items"]
                .size(),
            1u);
}

TEST_F(ApiTest, ReplayErrors) {
  expectError(call("POST", "/api/v1/dead-letters/4242/replay", "admin"), 404,
              "dead_letter_not_found");
  expectError(call("GET", "/api/v1/dead-letters/4242", "admin"), 404, "dead_letter_not_found");
  ingestOrder("SO-8");
  finishAll(store::Completion::Kind::kDead, "bad");
  auto dl = parse(call("GET", "/api/v1/dead-letters", "admin"))["items"][0]["id"].get<int64_t>();
  std::string path = "/api/v1/dead-letters/" + std::to_string(dl) + "/replay";
  expectError(call("POST", path, "admin", R"({"payload":"text"})"), 400, "invalid_request");
  expectError(call("POST", path, "admin", R"({"payload":{},"colour":1})"), 400, "invalid_request");
  expectError(call("POST", path, "admin", R"({"payload":)"), 400, "malformed_json");
  // None of the rejected requests replayed it.
  EXPECT_EQ(call("POST", path, "admin").status, 200);
}

TEST_F(ApiTest, BulkReplay) {
  for (int i = 0; i < 3; ++i) ingestOrder("SO-B");
  ingestOrder("SO-C");
  finishAll(store::Completion::Kind::kDead, "down");
  auto r = call("POST", "/api/v1/dead-letters/replay", "admin",
                R"({"route":"orders","key":"SO-B","limit":2,"reason":"erp back"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = parse(r);
  EXPECT_EQ(j["replayed"].size(), 2u);
  EXPECT_TRUE(j["failed"].empty());
  auto rest = parse(call("POST", "/api/v1/dead-letters/replay", "admin", R"({"key":"SO-B"})"));
  EXPECT_EQ(rest["replayed"].size(), 1u);
  auto left = parse(call("GET", "/api/v1/dead-letters", "admin"));
  ASSERT_EQ(left["items"].size(), 1u);
  EXPECT_EQ(left["items"][0]["business_key"], "SO-C");
  expectError(call("POST", "/api/v1/dead-letters/replay", "admin", R"({"limit":5000})"), 400,
              "invalid_request");
}

TEST_F(ApiTest, Connectors) {
  auto r = call("GET", "/api/v1/connectors", "operator");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = parse(r);
  ASSERT_EQ(j["connectors"].size(), 1u);
  EXPECT_EQ(j["connectors"][0]["name"], "erp");
  EXPECT_EQ(j["connectors"][0]["circuit"], "closed");
  EXPECT_EQ(j["connectors"][0]["delivered"], 7);
}

TEST_F(ApiTest, HealthAndReadiness) {
  auto h = call("GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(parse(h)["status"], "ok");
  EXPECT_EQ(call("GET", "/readyz").status, 200);
  gateway_->ready_ = false;
  expectError(call("GET", "/readyz"), 503, "not_ready");
  EXPECT_EQ(call("GET", "/healthz").status, 200);
}

TEST_F(ApiTest, MetricsOnLoopbackNeedNoKey) {
  ingestOrder("SO-M");
  auto r = call("GET", "/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4");
  EXPECT_NE(r.body.find("qiao_http_requests_total{endpoint=\"ingest\",code=\"2xx\"} 1"),
            std::string::npos)
      << r.body;
}

}  // namespace
}  // namespace qiao::http::testing
