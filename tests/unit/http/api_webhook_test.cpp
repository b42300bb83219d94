// /hooks/{connector}: no API key, the request handed over whole, and every outcome of
// Gateway::webhook mapped to the standard error shape.
#include "http_test_util.h"
#include "qiao/core/log.h"

namespace qiao::http::testing {
namespace {

class WebhookApiTest : public ApiTest {
 protected:
  // Makes every webhook fail with e.
  void failWith(Error e) {
    gateway_->setWebhook([e](const std::string&, const sdk::WebhookRequest&)
                             -> Result<sdk::WebhookReply> { return e; });
  }
  void replyOk() {
    gateway_->setWebhook([](const std::string&, const sdk::WebhookRequest& r)
                             -> Result<sdk::WebhookReply> {
      sdk::WebhookReply reply;
      reply.status = 202;
      reply.content_type = "application/json";
      reply.body = R"({"accepted":1,"len":)" + std::to_string(r.body.size()) + "}";
      return reply;
    });
  }
};

TEST_F(WebhookApiTest, HooksNeedNoApiKeyWhileApiStillDoes) {
  replyOk();
  auto r = call("POST", "/hooks/crm_hook", "", R"({"orderId":"SO-1"})");
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.body, R"({"accepted":1,"len":18})");
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.headers.count("www-authenticate"), 0u);

  auto api = call("GET", "/api/v1/messages");
  expectError(api, 401, "unauthorized");
  EXPECT_EQ(api.headers["www-authenticate"], "Bearer");
  auto ingest = call("POST", "/api/v1/routes/orders/messages", "", R"({"orderId":"SO-1"})");
  expectError(ingest, 401, "unauthorized");
}

TEST_F(WebhookApiTest, RequestIsHandedOverWhole) {
  replyOk();
  auto r = call("POST", "/hooks/crm_hook?echostr=a%20b&n=1&flag", "", "raw body",
                {{"X-Qiao-Signature", "sha256=00ff"}, {"X-Event-ID", "evt-1"}});
  ASSERT_EQ(r.status, 202) << r.body;
  std::string connector;
  int calls = 0;
  auto got = gateway_->lastWebhook(&connector, &calls);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(connector, "crm_hook");
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.path, "/hooks/crm_hook");
  EXPECT_EQ(got.body, "raw body");
  EXPECT_EQ(got.query["echostr"], "a b");
  EXPECT_EQ(got.query["n"], "1");
  EXPECT_EQ(got.query.count("flag"), 1u);
  EXPECT_EQ(got.headers["x-qiao-signature"], "sha256=00ff");
  EXPECT_EQ(got.headers["x-event-id"], "evt-1");
  EXPECT_EQ(got.headers.count("X-Event-ID"), 0u);  // names are lower-case only
}

TEST_F(WebhookApiTest, GetIsAcceptedOtherMethodsAreNot) {
  gateway_->setWebhook([](const std::string&, const sdk::WebhookRequest& r)
                           -> Result<sdk::WebhookReply> {
    sdk::WebhookReply reply;
    reply.body = r.query.count("echostr") ? r.query.at("echostr") : "";
    return reply;  // 200 text/plain, like a URL-verification handshake
  });
  auto g = call("GET", "/hooks/wecom?echostr=12345");
  EXPECT_EQ(g.status, 200);
  EXPECT_EQ(g.body, "12345");
  EXPECT_EQ(g.headers["content-type"], "text/plain");
  EXPECT_EQ(gateway_->lastWebhook().method, "GET");

  auto p = call("PUT", "/hooks/wecom", "", "{}");
  expectError(p, 405, "method_not_allowed");
  EXPECT_EQ(p.headers["allow"], "GET, POST");
  expectError(call("POST", "/hooks"), 404, "not_found");
  expectError(call("POST", "/hooks/a/b"), 404, "not_found");
}

TEST_F(WebhookApiTest, UnknownConnectorIs404) {
  auto r = call("POST", "/hooks/nobody", "", "{}");
  expectError(r, 404, "connector_not_found");
}

TEST_F(WebhookApiTest, EveryOutcomeMapsToItsStatus) {
  struct Case {
    Error error;
    int status;
    const char* code;
    bool retry_after;
  };
  const Case cases[] = {
      {Error::permanent(ErrorCode::kNotFound, "no route reads from x"), 404, "connector_not_found", false},
      {Error::permanent(ErrorCode::kUnauthorized, "X-Qiao-Signature does not match"), 401, "unauthorized", false},
      {Error::permanent(ErrorCode::kForbidden, "sender not allowed"), 403, "forbidden", false},
      {Error::permanent(ErrorCode::kPayloadTooLarge, "too many records"), 413, "payload_too_large", false},
      {Error::permanent(ErrorCode::kMalformedJson, "malformed JSON at byte 3"), 400, "malformed_json", false},
      {Error::permanent(ErrorCode::kInvalidArgument, "record 2 is not an object"), 400, "invalid_request", false},
      {Error::permanent(ErrorCode::kMappingError, "bad mapping"), 400, "invalid_request", false},
      {Error::transient(ErrorCode::kStoreBusy, "database is locked at /secret/path"), 503, "store_unavailable", true},
      {Error::transient(ErrorCode::kStoreError, "disk I/O error"), 503, "store_unavailable", true},
      {Error::transient(ErrorCode::kRemoteTransient, "upstream down"), 503, "unavailable", true},
      {Error::permanent(ErrorCode::kInternal, "bug"), 500, "internal", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.error.message);
    failWith(c.error);
    auto r = call("POST", "/hooks/crm_hook", "", "{}");
    expectError(r, c.status, c.code);
    EXPECT_EQ(r.headers.count("retry-after"), c.retry_after ? 1u : 0u);
    if (c.retry_after) {
      EXPECT_EQ(r.headers["retry-after"], "1");
    }
    EXPECT_EQ(r.headers.count("www-authenticate"), 0u);
    auto msg = parse(r)["error"]["message"].get<std::string>();
    if (c.status == 400 || c.status == 401 || c.status == 403) {
      EXPECT_EQ(msg, c.error.message);  // the sender learns what to fix
    }
    if (c.status >= 500) {
      EXPECT_EQ(msg.find(c.error.message), std::string::npos);  // internals stay in the log
    }
  }
}

TEST_F(WebhookApiTest, ConnectorMessagesAreRedacted) {
  log::registerSecret("hook-secret-value-42");
  failWith(Error::permanent(ErrorCode::kInvalidArgument, "oops hook-secret-value-42"));
  auto r = call("POST", "/hooks/crm_hook", "", "{}");
  expectError(r, 400, "invalid_request");
  EXPECT_EQ(r.body.find("hook-secret-value-42"), std::string::npos) << r.body;
}

TEST_F(WebhookApiTest, BodyLimitAppliesBeforeTheConnector) {
  replyOk();
  auto r = call("POST", "/hooks/crm_hook", "", std::string(kMaxBody + 1, 'x'));
  expectError(r, 413, "payload_too_large");
  int calls = -1;
  gateway_->lastWebhook(nullptr, &calls);
  EXPECT_EQ(calls, 0);
}

TEST_F(WebhookApiTest, ABadReplyStatusIsAnInternalError) {
  gateway_->setWebhook([](const std::string&, const sdk::WebhookRequest&)
                           -> Result<sdk::WebhookReply> {
    sdk::WebhookReply reply;
    reply.status = 42;
    return reply;
  });
  expectError(call("POST", "/hooks/crm_hook", "", "{}"), 500, "internal");
}

TEST_F(WebhookApiTest, CountedUnderTheWebhookEndpoint) {
  replyOk();
  ASSERT_EQ(call("POST", "/hooks/crm_hook", "", "{}").status, 202);
  auto m = call("GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find(R"(qiao_http_requests_total{endpoint="webhook",code="2xx"} 1)"),
            std::string::npos)
      << m.body.substr(0, 2000);
}

}  // namespace
}  // namespace qiao::http::testing
