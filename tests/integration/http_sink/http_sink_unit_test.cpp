// The http sink's status/transport policy and settings parsing, without a network.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include "http_config.h"
#include "http_result.h"

namespace qiao::connectors::http {
namespace {

HttpSinkConfig cfg() {
  HttpSinkConfig c;
  c.url = "https://user:pw@erp.example.com:8443/api/orders?token=abc";
  c.auth_token = "tok-SECRET-123";
  return c;
}

TEST(HttpSinkPolicy, SuccessTakesIdFromBodyPointer) {
  HttpReply r{201, R"({"data":{"number":"SO-9"}})", "application/json", "/orders/7", ""};
  auto c = cfg();
  c.remote_id_field = "/data/number";
  auto d = classifyReply(r, c, "u", 0);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->remote_id, "SO-9");
}

TEST(HttpSinkPolicy, SuccessFallsBackToLocationThenEmpty) {
  HttpReply r{201, R"({"other":1})", "application/json", "/orders/7", ""};
  auto d = classifyReply(r, cfg(), "u", 0);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->remote_id, "/orders/7");
  r.location.clear();
  r.body = "not json";
  auto e = classifyReply(r, cfg(), "u", 0);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->remote_id, "");
}

TEST(HttpSinkPolicy, NumericIdIsText) {
  HttpReply r{200, R"({"id":42})", "application/json", "", ""};
  auto d = classifyReply(r, cfg(), "u", 0);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->remote_id, "42");
}

TEST(HttpSinkPolicy, StatusClasses) {
  for (long s : {408L, 425L, 429L, 500L, 502L, 503L, 504L}) {
    auto d = classifyReply(HttpReply{s, "", "", "", ""}, cfg(), "u", 0);
    ASSERT_FALSE(d.ok()) << s;
    EXPECT_EQ(d.error().klass, ErrorClass::kTransient) << s;
    EXPECT_EQ(d.error().code, ErrorCode::kRemoteTransient) << s;
  }
  auto auth = classifyReply(HttpReply{401, "", "", "", ""}, cfg(), "u", 0);
  ASSERT_FALSE(auth.ok());
  EXPECT_EQ(auth.error().klass, ErrorClass::kAuthExpired);
  for (long s : {400L, 403L, 404L, 409L, 422L, 302L}) {
    auto d = classifyReply(HttpReply{s, "nope", "", "", ""}, cfg(), "u", 0);
    ASSERT_FALSE(d.ok()) << s;
    EXPECT_EQ(d.error().klass, ErrorClass::kPermanent) << s;
    EXPECT_NE(d.error().message.find(std::to_string(s)), std::string::npos);
    EXPECT_NE(d.error().message.find("nope"), std::string::npos);
  }
}

TEST(HttpSinkPolicy, RetryAfterSecondsAndDate) {
  EXPECT_EQ(parseRetryAfterMs("2", 0), 2000);
  EXPECT_EQ(parseRetryAfterMs(" 120 ", 0), 120000);
  EXPECT_EQ(parseRetryAfterMs("", 0), 0);
  EXPECT_EQ(parseRetryAfterMs("soon", 0), 0);
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777 s.
  int64_t now = 784111777LL * 1000 - 5000;
  EXPECT_EQ(parseRetryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", now), 5000);
  EXPECT_EQ(parseRetryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", now + 10000), 0);
  auto d = classifyReply(HttpReply{503, "", "", "", "7"}, cfg(), "u", 0);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().retry_after_ms, 7000);
}

TEST(HttpSinkPolicy, BodyIsTruncatedAndScrubbed) {
  std::string body(5000, 'x');
  body += "tok-SECRET-123";
  auto d = classifyReply(HttpReply{400, "tok-SECRET-123 " + body, "", "", ""}, cfg(), "u", 0);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message.find("tok-SECRET-123"), std::string::npos);
  EXPECT_LT(d.error().message.size(), 2200u);
  // A cut never splits a UTF-8 character.
  std::string cjk;
  for (int i = 0; i < 1000; ++i) cjk += "\xE5\xAE\xA2";  // 客
  auto e = excerpt(cjk, 2048, "");
  EXPECT_EQ((e.size() - 3) % 3, 0u);
}

TEST(HttpSinkPolicy, TransportErrors) {
  auto c = cfg();
  auto t = classifyTransportError(CURLE_OPERATION_TIMEDOUT, "", "u", c);
  EXPECT_EQ(t.klass, ErrorClass::kTransient);
  EXPECT_EQ(t.code, ErrorCode::kTimeout);
  for (CURLcode code : {CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_RECV_ERROR,
                        CURLE_GOT_NOTHING, CURLE_SEND_ERROR}) {
    auto e = classifyTransportError(code, "", "u", c);
    EXPECT_EQ(e.klass, ErrorClass::kTransient) << code;
    EXPECT_EQ(e.code, ErrorCode::kRemoteTransient) << code;
  }
}

TEST(HttpSinkConfig, DisplayUrlDropsCredentialsAndQuery) {
  EXPECT_EQ(displayUrl("https://user:pw@erp.example.com:8443/api/orders?token=abc#x"),
            "https://erp.example.com:8443/api/orders");
  EXPECT_EQ(displayUrl("http://h"), "http://h");
  EXPECT_EQ(displayUrl("http://h?x=1"), "http://h");
}

TEST(HttpSinkConfig, Durations) {
  int64_t ms = 0;
  EXPECT_TRUE(parseDurationMs("10s", &ms));
  EXPECT_EQ(ms, 10000);
  EXPECT_TRUE(parseDurationMs("250ms", &ms));
  EXPECT_EQ(ms, 250);
  EXPECT_TRUE(parseDurationMs("2m", &ms));
  EXPECT_EQ(ms, 120000);
  EXPECT_TRUE(parseDurationMs("1500", &ms));
  EXPECT_EQ(ms, 1500);
  EXPECT_FALSE(parseDurationMs("ten", &ms));
  EXPECT_FALSE(parseDurationMs("5 days", &ms));
}

TEST(HttpSinkConfig, DefaultsAndConversions) {
  auto c = parseHttpSinkConfig(R"({"url":"http://127.0.0.1:1/x"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->method, "POST");
  EXPECT_EQ(c->timeout_ms, 10000);
  EXPECT_EQ(c->connect_timeout_ms, 3000);
  EXPECT_EQ(c->idempotency_header, "Idempotency-Key");
  EXPECT_EQ(c->remote_id_field, "/id");
  EXPECT_TRUE(c->tls_verify);
  auto d = parseHttpSinkConfig(
      R"({"url":"http://h/x","method":"put","timeout":"2s","connect_timeout":700,)"
      R"("headers":{"X-Tenant":"acme"},"tls_verify":false})");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->method, "PUT");
  EXPECT_EQ(d->timeout_ms, 2000);
  EXPECT_EQ(d->connect_timeout_ms, 700);
  ASSERT_EQ(d->headers.size(), 1u);
  EXPECT_EQ(d->headers[0].first, "X-Tenant");
  EXPECT_FALSE(d->tls_verify);
  auto scalar = parseHttpSinkConfig(R"({"url":"http://h","headers":{"X-Count":5}})");
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->headers[0].second, "5");
  auto list = parseHttpSinkConfig(R"({"url":"http://h","headers":["X-A: 1","X-B:2"]})");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->headers.size(), 2u);
  EXPECT_EQ(list->headers[1].second, "2");
}

TEST(HttpSinkConfig, Rejections) {
  for (const char* bad : {R"({})", R"({"url":"ftp://h"})", R"({"url":"http://h","method":"GET"})",
                          R"({"url":"http://h","timeout":"soon"})",
                          R"({"url":"http://h","timeout":0})",
                          R"({"url":"http://h","headers":{"Bad Name":"v"}})",
                          R"({"url":"http://h","headers":{"X":"a\r\nB: c"}})",
                          R"({"url":"http://h","remote_id_field":"id"})", "not json"}) {
    auto c = parseHttpSinkConfig(bad);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.error().code, ErrorCode::kConfigInvalid) << bad;
  }
  auto secret = parseHttpSinkConfig(R"({"url":"http://h","auth_token":"tok\nX","method":1})");
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().message.find("tok"), std::string::npos);
}

}  // namespace
}  // namespace qiao::connectors::http

TEST(HttpSinkConfig, UrlTemplatesAreCheckedAtLoad) {
  auto ok = qiao::connectors::http::parseHttpSinkConfig(R"({"url":"https://crm/api/orders/{/record/orderId}/x"})");
  EXPECT_TRUE(ok.ok()) << ok.error().message;
  auto unclosed = qiao::connectors::http::parseHttpSinkConfig(R"({"url":"https://crm/api/orders/{/orderId"})");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_NE(unclosed.error().message.find("column 24"), std::string::npos)
      << unclosed.error().message;
  auto bare = qiao::connectors::http::parseHttpSinkConfig(R"({"url":"https://crm/api/orders/{orderId}"})");
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.error().message.find("JSON pointer"), std::string::npos) << bare.error().message;
}
