// Auth, ingest, body limits and transport behaviour.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <set>

#include "http_test_util.h"

namespace qiao::http::testing {
namespace {

const char* kIngest = "/api/v1/routes/orders/messages";

TEST_F(ApiTest, MissingKeyIs401WithChallenge) {
  auto r = call("POST", kIngest, "", R"({"orderId":"SO-1"})");
  expectError(r, 401, "unauthorized");
  EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
}

TEST_F(ApiTest, BadKeyIs401) {
  auto r = call("POST", kIngest, "", R"({"orderId":"SO-1"})",
                {{"Authorization", "Bearer qiao_00000000_00000000000000000000000000000000"}});
  expectError(r, 401, "unauthorized");
  EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
  auto basic = call("GET", "/api/v1/messages", "", "", {{"Authorization", "Basic YWJjOmRlZg=="}});
  expectError(basic, 401, "unauthorized");
}

TEST_F(ApiTest, RevokedKeyIs401) {
  NewKey k = generateApiKey("admin", "gone", 0);
  k.key.revoked = true;
  ASSERT_TRUE(gateway_->store().putApiKey(k.key).ok());
  keys_["revoked"] = k.plaintext;
  expectError(call("GET", "/api/v1/messages", "revoked"), 401, "unauthorized");
}

TEST_F(ApiTest, WrongRoleIs403) {
  expectError(call("POST", kIngest, "finance", R"({"orderId":"SO-1"})"), 403, "forbidden");
  expectError(call("GET", "/api/v1/messages", "ingest"), 403, "forbidden");
  expectError(call("GET", "/api/v1/connectors", "finance"), 403, "forbidden");
  expectError(call("POST", "/api/v1/dead-letters/1/replay", "ingest"), 403, "forbidden");
}

TEST_F(ApiTest, IngestSingleObject) {
  auto r = call("POST", kIngest, "ingest", R"({ "orderId" : "SO-1", "qty": 3, "a": [true, null] })",
                {{"X-Trace-Id", "trace-abc"}});
  ASSERT_EQ(r.status, 202) << r.body;
  auto j = parse(r);
  ASSERT_EQ(j["accepted"].size(), 1u);
  int64_t id = j["accepted"][0]["id"].get<int64_t>();
  EXPECT_GT(id, 0);
  EXPECT_FALSE(j["accepted"][0]["duplicate"].get<bool>());

  auto m = gateway_->store().getMessage(id);
  ASSERT_TRUE(m.ok() && m.value().has_value());
  // Compact, with the client's key order kept.
  EXPECT_EQ(m.value()->record.payload, R"({"orderId":"SO-1","qty":3,"a":[true,null]})");
  EXPECT_EQ(m.value()->record.trace_id, "trace-abc");
  EXPECT_EQ(m.value()->record.business_key, "SO-1");
  EXPECT_EQ(m.value()->record.entity, "order");
  EXPECT_EQ(m.value()->record.idempotency_key, "");
}

TEST_F(ApiTest, IngestArrayGivesOneIdPerElementAndIndexedIdempotencyKeys) {
  auto r = call("POST", kIngest, "operator",
                R"([{"orderId":"SO-1"},{"orderId":"SO-2"},{"orderId":"SO-3"}])",
                {{"Idempotency-Key", "batch-7"}});
  ASSERT_EQ(r.status, 202) << r.body;
  auto j = parse(r);
  ASSERT_EQ(j["accepted"].size(), 3u);
  std::set<int64_t> ids;
  for (size_t i = 0; i < 3; ++i) {
    int64_t id = j["accepted"][i]["id"].get<int64_t>();
    ids.insert(id);
    auto m = gateway_->store().getMessage(id);
    ASSERT_TRUE(m.ok() && m.value().has_value());
    EXPECT_EQ(m.value()->record.idempotency_key, "batch-7:" + std::to_string(i));
    EXPECT_EQ(m.value()->record.business_key, "SO-" + std::to_string(i + 1));
  }
  EXPECT_EQ(ids.size(), 3u);
}

TEST_F(ApiTest, DuplicateIdempotencyKeyReturnsTheFirstId) {
  int64_t first = ingestOrder("SO-9", "once");
  auto r = call("POST", kIngest, "admin", R"({"orderId":"SO-9","qty":2})",
                {{"Idempotency-Key", "once"}});
  ASSERT_EQ(r.status, 202) << r.body;
  auto j = parse(r);
  EXPECT_EQ(j["accepted"][0]["id"].get<int64_t>(), first);
  EXPECT_TRUE(j["accepted"][0]["duplicate"].get<bool>());
}

TEST_F(ApiTest, BodyTooLargeIs413) {
  std::string big = R"({"orderId":"SO-1","pad":")" + std::string(kMaxBody, 'x') + "\"}";
  expectError(call("POST", kIngest, "ingest", big), 413, "payload_too_large");
  // The server still serves afterwards.
  EXPECT_GT(ingestOrder("SO-2"), 0);
}

TEST_F(ApiTest, ChunkedBodyIsCappedAndKeepAliveWorks) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(server_->port()));
  session.setKeepAlive(true);
  auto send = [&](const std::string& body, std::string* out) {
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, kIngest,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + keys_["ingest"]);
    req.setChunkedTransferEncoding(true);
    req.setKeepAlive(true);
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    Poco::StreamCopier::copyToString(in, *out);
    seen_.push_back(*out);
    return static_cast<int>(resp.getStatus());
  };
  std::string out;
  // Several requests over one connection.
  for (int i = 0; i < 5; ++i) {
    out.clear();
    EXPECT_EQ(send(R"({"orderId":"SO-)" + std::to_string(i) + R"("})", &out), 202) << out;
  }
  out.clear();
  std::string big = R"({"pad":")" + std::string(kMaxBody * 2, 'y') + "\"}";
  EXPECT_EQ(send(big, &out), 413) << out;
  EXPECT_NE(out.find("payload_too_large"), std::string::npos) << out;
}

TEST_F(ApiTest, MalformedJsonNamesThePosition) {
  auto r = call("POST", kIngest, "ingest", "{\"orderId\": \"SO-1\",\n  oops}");
  expectError(r, 400, "malformed_json");
  std::string msg = parse(r)["error"]["message"];
  EXPECT_NE(msg.find("byte 23"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 2, column 3"), std::string::npos) << msg;

  expectError(call("POST", kIngest, "ingest", ""), 400, "malformed_json");
  expectError(call("POST", kIngest, "ingest", std::string(200, '[') + std::string(200, ']')),
              400, "malformed_json");
}

TEST_F(ApiTest, BadBodyShapes) {
  expectError(call("POST", kIngest, "ingest", "[]"), 400, "invalid_request");
  auto r = call("POST", kIngest, "ingest", R"([{"orderId":"a"}, 42])");
  expectError(r, 400, "invalid_request");
  EXPECT_NE(parse(r)["error"]["message"].get<std::string>().find("element 1"), std::string::npos);
  expectError(call("POST", kIngest, "ingest", R"("text")"), 400, "invalid_request");
  expectError(call("POST", kIngest, "ingest", R"({"a":1})", {{"X-Trace-Id", "has space"}}), 400,
              "invalid_header");
  // Nothing was stored by any of these.
  store::MessageFilter f;
  auto list = gateway_->store().listMessages(f);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list.value().empty());
}

TEST_F(ApiTest, UnknownRouteIs404) {
  expectError(call("POST", "/api/v1/routes/nope/messages", "ingest", R"({"a":1})"), 404,
              "route_not_found");
}

TEST_F(ApiTest, UnknownPathAndWrongMethod) {
  expectError(call("GET", "/api/v1/nothing", "admin"), 404, "not_found");
  expectError(call("GET", "/", "admin"), 404, "not_found");
  auto r = call("GET", kIngest, "admin");
  expectError(r, 405, "method_not_allowed");
  EXPECT_EQ(r.headers["allow"], "POST");
  auto d = call("DELETE", "/api/v1/messages/1", "admin");
  expectError(d, 405, "method_not_allowed");
  EXPECT_EQ(d.headers["allow"], "GET");
}

TEST_F(ApiTest, AuthDisabledActsAsAdmin) {
  startServer(false);
  EXPECT_EQ(call("POST", kIngest, "", R"({"orderId":"SO-1"})").status, 202);
  EXPECT_EQ(call("GET", "/api/v1/messages").status, 200);
}

TEST_F(ApiTest, StopEndsServing) {
  int port = server_->port();
  EXPECT_EQ(testkit::http("GET", port, "/healthz").status, 200);
  server_->stop();
  EXPECT_EQ(testkit::http("GET", port, "/healthz", "", {}, 1000).status, 0);
  server_->stop();  // idempotent
}

}  // namespace
}  // namespace qiao::http::testing
