// The `webhook` source on its own: signature, timestamp window, event ids, records_pointer,
// malformed bodies. No network; a fixed clock.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "qiao/sdk/connector.h"
#include "webhook_source.h"

void qiao_register_webhook(qiao::sdk::Registry& registry);

namespace qiao::connectors::webhook {
namespace {

using nlohmann::json;

constexpr char kSecret[] = "whsec-unit-test-7f3a9c";
constexpr int64_t kNowS = 1780000000;

class FixedClock final : public Clock {
 public:
  int64_t nowMs() const override { return now_ms; }
  int64_t now_ms = kNowS * 1000;
};

class WebhookSourceTest : public ::testing::Test {
 protected:
  WebhookSource make(WebhookConfig c = {}) {
    if (c.secret.empty()) c.secret = kSecret;
    return WebhookSource(std::move(c), "crm_hook", clock_);
  }
  // A POST signed the documented way: sha256=hex(HMAC(secret, "<ts>.<body>")).
  static sdk::WebhookRequest signedPost(const std::string& body, int64_t ts = kNowS,
                                        const std::string& event_id = "evt-1",
                                        const std::string& secret = kSecret) {
    sdk::WebhookRequest r;
    r.method = "POST";
    r.path = "/hooks/crm_hook";
    r.body = body;
    std::string t = std::to_string(ts);
    r.headers["x-qiao-timestamp"] = t;
    r.headers["x-qiao-signature"] = "sha256=" + hmacSha256Hex(secret, t + "." + body);
    if (!event_id.empty()) r.headers["x-event-id"] = event_id;
    return r;
  }
  static void expectUnauthorized(const Result<sdk::WebhookReply>& r, const std::string& part) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthorized) << r.error().message;
    EXPECT_EQ(r.error().klass, ErrorClass::kPermanent);
    EXPECT_NE(r.error().message.find(part), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find(kSecret), std::string::npos) << r.error().message;
  }

  FixedClock clock_;
};

TEST(WebhookDescriptor, IsASourceWithItsSettingsTable) {
  sdk::Registry reg;
  qiao_register_webhook(reg);
  const auto* d = reg.find("webhook");
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->isSource());
  EXPECT_FALSE(d->isSink());
  std::map<std::string, const sdk::FieldSpec*> fields;
  for (const auto& f : d->config) fields[f.name] = &f;
  ASSERT_TRUE(fields.count("secret"));
  EXPECT_EQ(fields["secret"]->type, sdk::FieldType::kSecret);
  EXPECT_TRUE(fields["secret"]->required);
  EXPECT_EQ(fields.at("signature_header")->default_value, "X-Qiao-Signature");
  EXPECT_EQ(fields.at("timestamp_header")->default_value, "X-Qiao-Timestamp");
  EXPECT_EQ(fields.at("tolerance")->type, sdk::FieldType::kDuration);
  EXPECT_EQ(fields.at("tolerance")->default_value, "5m");
  EXPECT_EQ(fields.at("event_id_header")->default_value, "X-Event-Id");
  EXPECT_EQ(fields.at("entity")->default_value, "");  // the route's entity
  EXPECT_TRUE(fields.count("records_pointer"));

  // The factory takes the settings the config layer hands over (durations in ms).
  auto src = d->make_source({"crm_hook", R"({"secret":"s3cr3t-value","tolerance":300000})"},
                            {"crm_hook", "/tmp"});
  ASSERT_TRUE(src.ok()) << src.error().message;
  auto h = (*src)->health();
  EXPECT_TRUE(h.healthy);
  EXPECT_EQ(h.detail, "waiting for pushes");
  auto bad = d->make_source({"crm_hook", R"({"tolerance":300000})"}, {"crm_hook", "/tmp"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kConfigInvalid);
  EXPECT_NE(bad.error().message.find("secret"), std::string::npos);
}

TEST(WebhookConfigParse, RejectsBadSettings) {
  EXPECT_FALSE(parseWebhookConfig(R"({"secret":""})").ok());
  EXPECT_FALSE(parseWebhookConfig(R"({"secret":"x","records_pointer":"data"})").ok());
  EXPECT_FALSE(parseWebhookConfig(R"({"secret":"x","signature_header":"Bad Header"})").ok());
  EXPECT_FALSE(parseWebhookConfig(R"({"secret":"x","timestamp_header":""})").ok());
  EXPECT_TRUE(parseWebhookConfig(R"({"secret":"x","timestamp_header":"","require_timestamp":false})").ok());
  auto ok = parseWebhookConfig(R"({"secret":"x","tolerance":60000,"entity":"order"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->tolerance_ms, 60000);
  EXPECT_EQ(ok->entity, "order");
  EXPECT_TRUE(ok->require_timestamp);
}

TEST_F(WebhookSourceTest, ASignedRequestBecomesARecord) {
  auto src = make();
  auto r = src.onWebhook(signedPost(R"({"orderId":"SO-1","qty":2})"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type, "application/json");
  EXPECT_EQ(r->body, R"({"accepted":1})");
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].payload, R"({"orderId":"SO-1","qty":2})");
  EXPECT_EQ(r->records[0].entity, "");  // the runtime fills in the route's
  EXPECT_EQ(r->records[0].idempotency_key, "evt-1");
}

TEST_F(WebhookSourceTest, BareAndUpperCaseHexAreAccepted) {
  auto src = make();
  auto req = signedPost(R"({"a":1})");
  std::string hex = req.headers["x-qiao-signature"].substr(7);
  req.headers["x-qiao-signature"] = hex;
  EXPECT_TRUE(src.onWebhook(req).ok());
  for (auto& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  req.headers["x-qiao-signature"] = "sha256=" + hex;
  EXPECT_TRUE(src.onWebhook(req).ok());
}

TEST_F(WebhookSourceTest, BadSignatureIsRefusedWithoutRevealingTheExpectedOne) {
  auto src = make();
  auto good = signedPost(R"({"orderId":"SO-1"})");
  std::string expected = good.headers["x-qiao-signature"].substr(7);

  auto wrong_key = signedPost(R"({"orderId":"SO-1"})", kNowS, "evt-1", "another-secret");
  auto r = src.onWebhook(wrong_key);
  expectUnauthorized(r, "X-Qiao-Signature");
  EXPECT_EQ(r.error().message.find(expected), std::string::npos);

  auto tampered = good;
  tampered.body = R"({"orderId":"SO-2"})";
  expectUnauthorized(src.onWebhook(tampered), "X-Qiao-Signature does not match");

  auto garbage = good;
  garbage.headers["x-qiao-signature"] = "sha256=zz";
  expectUnauthorized(src.onWebhook(garbage), "X-Qiao-Signature");

  // The timestamp is part of what is signed: moving it breaks the signature.
  auto moved = good;
  moved.headers["x-qiao-timestamp"] = std::to_string(kNowS + 1);
  expectUnauthorized(src.onWebhook(moved), "does not match");
}

TEST_F(WebhookSourceTest, MissingSignatureOrTimestampIsRefused) {
  auto src = make();
  auto req = signedPost("{}");
  req.headers.erase("x-qiao-signature");
  expectUnauthorized(src.onWebhook(req), "missing X-Qiao-Signature header");
  req = signedPost("{}");
  req.headers.erase("x-qiao-timestamp");
  expectUnauthorized(src.onWebhook(req), "missing X-Qiao-Timestamp header");
  req = signedPost("{}");
  req.headers["x-qiao-timestamp"] = "12ab";
  expectUnauthorized(src.onWebhook(req), "X-Qiao-Timestamp must be unix seconds");
}

TEST_F(WebhookSourceTest, TimestampMustBeWithinTheTolerance) {
  WebhookConfig c;
  c.tolerance_ms = 300000;
  auto src = make(c);
  EXPECT_TRUE(src.onWebhook(signedPost("{}", kNowS - 299)).ok());
  EXPECT_TRUE(src.onWebhook(signedPost("{}", kNowS + 299)).ok());
  expectUnauthorized(src.onWebhook(signedPost("{}", kNowS - 301)), "timestamp outside the tolerance");
  expectUnauthorized(src.onWebhook(signedPost("{}", kNowS + 301)), "timestamp outside the tolerance");
  clock_.now_ms += 3600 * 1000;  // the same request an hour later is a replay
  expectUnauthorized(src.onWebhook(signedPost("{}", kNowS)), "timestamp outside the tolerance of 5m");
}

TEST_F(WebhookSourceTest, WithoutRequiredTimestampTheBodyAloneIsSigned) {
  WebhookConfig c;
  c.require_timestamp = false;
  c.signature_header = "X-Hub-Signature-256";
  auto src = make(c);
  sdk::WebhookRequest req;
  req.method = "POST";
  req.body = R"({"id":7})";
  req.headers["x-hub-signature-256"] = "sha256=" + hmacSha256Hex(kSecret, req.body);
  auto r = src.onWebhook(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].idempotency_key, "");  // neither event id nor timestamp
  req.headers["x-hub-signature-256"] = "sha256=" + hmacSha256Hex("nope", req.body);
  expectUnauthorized(src.onWebhook(req), "X-Hub-Signature-256");
}

TEST_F(WebhookSourceTest, ARetriedEventKeepsItsIdempotencyKey) {
  auto src = make();
  auto first = src.onWebhook(signedPost(R"({"n":1})", kNowS, "evt-42"));
  auto again = src.onWebhook(signedPost(R"({"n":1})", kNowS + 30, "evt-42"));  // re-signed retry
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->records[0].idempotency_key, "evt-42");
  EXPECT_EQ(again->records[0].idempotency_key, "evt-42");

  auto batch = src.onWebhook(signedPost(R"([{"n":1},{"n":2}])", kNowS, "evt-43"));
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->records.size(), 2u);
  EXPECT_EQ(batch->records[0].idempotency_key, "evt-43:0");
  EXPECT_EQ(batch->records[1].idempotency_key, "evt-43:1");
  EXPECT_EQ(batch->body, R"({"accepted":2})");

  // No event id: an exact replay has the same signature and so the same key.
  auto a = src.onWebhook(signedPost(R"({"n":1})", kNowS, ""));
  auto b = src.onWebhook(signedPost(R"({"n":1})", kNowS, ""));
  auto c = src.onWebhook(signedPost(R"({"n":1})", kNowS + 1, ""));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->records[0].idempotency_key.rfind("sig:", 0), 0u);
  EXPECT_EQ(a->records[0].idempotency_key, b->records[0].idempotency_key);
  EXPECT_NE(a->records[0].idempotency_key, c->records[0].idempotency_key);

  auto bad = signedPost("{}", kNowS, std::string(201, 'e'));
  auto r = src.onWebhook(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(WebhookSourceTest, RecordsPointerPicksTheRecords) {
  WebhookConfig c;
  c.records_pointer = "/data/items";
  c.entity = "order";
  auto src = make(c);
  auto r = src.onWebhook(
      signedPost(R"({"event":"orders.created","data":{"items":[{"orderId":"A"},{"orderId":"B"}]}})"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->records[0].payload, R"({"orderId":"A"})");
  EXPECT_EQ(r->records[1].payload, R"({"orderId":"B"})");
  EXPECT_EQ(r->records[1].entity, "order");

  auto one = src.onWebhook(signedPost(R"({"data":{"items":{"orderId":"C"}}})"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->records.size(), 1u);

  auto missing = src.onWebhook(signedPost(R"({"data":{}})"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(missing.error().message.find("/data/items"), std::string::npos);
}

TEST_F(WebhookSourceTest, BadBodiesAreNamed) {
  auto src = make();
  auto r = src.onWebhook(signedPost(R"({"orderId":)"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedJson);
  EXPECT_NE(r.error().message.find("malformed JSON at byte 12"), std::string::npos)
      << r.error().message;

  r = src.onWebhook(signedPost(R"([{"a":1},5])"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("index 1"), std::string::npos) << r.error().message;

  r = src.onWebhook(signedPost("\"just text\""));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);

  r = src.onWebhook(signedPost(std::string(100, '[') + std::string(100, ']')));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedJson);
}

TEST_F(WebhookSourceTest, UnsignedRequestsAreCheckedBeforeTheBodyIsRead) {
  auto src = make();
  auto req = signedPost("not json at all");
  req.headers["x-qiao-signature"] = "sha256=" + std::string(64, '0');
  expectUnauthorized(src.onWebhook(req), "does not match");  // not a JSON error
}

TEST_F(WebhookSourceTest, GetIsNotAVerificationEndpoint) {
  auto src = make();
  auto req = signedPost("");
  req.method = "GET";
  auto r = src.onWebhook(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().klass, ErrorClass::kPermanent);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("only POST"), std::string::npos);
}

TEST_F(WebhookSourceTest, PollFindsNothingAndKeepsTheWatermark) {
  auto src = make();
  auto p = src.poll("wm-7", 100);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->records.empty());
  EXPECT_EQ(p->watermark, "wm-7");
  EXPECT_FALSE(p->more);
}

}  // namespace
}  // namespace qiao::connectors::webhook
