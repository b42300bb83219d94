// Settings of the `oa` connector without a network: every bad block gives a clear, permanent
// kConfigInvalid error that names the key; templates and states behave as documented.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "qiao/oa/oa_client.h"

namespace {

using nlohmann::json;

std::string errorOf(const json& settings) {
  auto c = qiao::oa::OaClient::create(settings.dump());
  if (c.ok()) return "";
  EXPECT_EQ(c.error().code, qiao::ErrorCode::kConfigInvalid);
  EXPECT_EQ(c.error().klass, qiao::ErrorClass::kPermanent);
  return c.error().message;
}

json weaver() {
  return {{"kind", "weaver"}, {"base_url", "http://oa.example.com/"}, {"app_id", "a"},
          {"user_id", "1"}, {"workflow_id", "1001"}};
}

json generic() {
  return {{"kind", "generic"}, {"create_url", "http://oa.example.com/api/approvals"},
          {"status_url", "http://oa.example.com/api/approvals/{id}"},
          {"status_map", {{"PENDING", "in_approval"}}}};
}

TEST(OaSettings, GoodBlocksBuildClients) {
  EXPECT_EQ(errorOf(weaver()), "");
  EXPECT_EQ(errorOf(generic()), "");
  json w = weaver();
  w["workflow_id"] = 1001;  // YAML may give a number
  w["token_ttl"] = 1800000;
  EXPECT_EQ(errorOf(w), "");
}

TEST(OaSettings, KindIsRequiredAndChecked) {
  EXPECT_NE(errorOf(json::object()).find("'kind' is required"), std::string::npos);
  EXPECT_NE(errorOf({{"kind", "seeyon"}}).find("'kind' must be weaver or generic (got \"seeyon\")"), std::string::npos);
  EXPECT_NE(errorOf(json::array()).find("settings must be a map"), std::string::npos);
}

TEST(OaSettings, WeaverErrorsNameTheKey) {
  for (const char* key : {"app_id", "user_id", "workflow_id", "base_url"}) {
    json s = weaver();
    s.erase(key);
    EXPECT_NE(errorOf(s).find(std::string("'") + key + "' is required for kind weaver"), std::string::npos) << key;
  }
  json s = weaver();
  s["workflow_id"] = "abc";
  EXPECT_NE(errorOf(s).find("'workflow_id' must be a number"), std::string::npos);
  s = weaver();
  s["secret"] = "only-the-secret";
  std::string msg = errorOf(s);
  EXPECT_NE(msg.find("'secret' and 'server_public_key' go together"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("only-the-secret"), std::string::npos) << "a secret was echoed";
  s = weaver();
  s["main_fields"] = {{"je", "{amount}"}};
  EXPECT_NE(errorOf(s).find("'main_fields.je': placeholder {amount}"), std::string::npos) << errorOf(s);
  s = weaver();
  s["status_map"] = {{"退回", "refused"}};
  EXPECT_NE(errorOf(s).find("'status_map.退回' must be one of draft, in_approval"), std::string::npos);
  s = weaver();
  s["create_url"] = "http://x";
  EXPECT_NE(errorOf(s).find("'create_url' applies to kind generic only"), std::string::npos);
  s = weaver();
  s["colour"] = "blue";
  EXPECT_NE(errorOf(s).find("unknown key 'colour'"), std::string::npos);
  s = weaver();
  s["token_ttl"] = "5s";
  EXPECT_NE(errorOf(s).find("'token_ttl' must be at least 60s"), std::string::npos);
  s = weaver();
  s["body_encoding"] = "xml";
  EXPECT_NE(errorOf(s).find("'body_encoding' must be form or json"), std::string::npos);
}

TEST(OaSettings, GenericErrorsNameTheKey) {
  json s = generic();
  s.erase("status_map");
  EXPECT_NE(errorOf(s).find("'status_map' is required for kind generic"), std::string::npos);
  s = generic();
  s.erase("create_url");
  EXPECT_NE(errorOf(s).find("'create_url' is required for kind generic"), std::string::npos);
  s = generic();
  s["status_url"] = "ftp://oa/{id}";
  EXPECT_NE(errorOf(s).find("'status_url' must start with http:// or https://"), std::string::npos);
  s = generic();
  s["request_id_pointer"] = "data.id";
  EXPECT_NE(errorOf(s).find("'request_id_pointer' must be a JSON pointer"), std::string::npos);
  s = generic();
  s["create_url"] = "http://oa/api/{/orderNo";
  EXPECT_NE(errorOf(s).find("'create_url': '{' at column 15 is never closed"), std::string::npos) << errorOf(s);
  s = generic();
  s["create_method"] = "DELETE";
  EXPECT_NE(errorOf(s).find("'create_method' must be POST or PUT"), std::string::npos);
  s = generic();
  s["app_id"] = "x";
  EXPECT_NE(errorOf(s).find("'app_id' applies to kind weaver only"), std::string::npos);
  // Several problems at once are all reported.
  s = generic();
  s["timeout"] = "soon";
  s["tls_verify"] = "maybe";
  std::string all = errorOf(s);
  EXPECT_NE(all.find("'timeout' must be a duration"), std::string::npos) << all;
  EXPECT_NE(all.find("'tls_verify' must be true or false"), std::string::npos) << all;
}

TEST(OaSettings, StatesAreTheSixNames) {
  for (const char* s : {"draft", "in_approval", "approved", "rejected", "withdrawn", "terminated"})
    EXPECT_TRUE(qiao::oa::isNormalisedState(s)) << s;
  EXPECT_FALSE(qiao::oa::isNormalisedState("APPROVED"));
  EXPECT_FALSE(qiao::oa::isFinalState("in_approval"));
  EXPECT_FALSE(qiao::oa::isFinalState("draft"));
  EXPECT_TRUE(qiao::oa::isFinalState("withdrawn"));
}

TEST(OaSettings, SubmitNeedsAKeyAndUnreachableOaIsTransient) {
  json s = generic();
  s["create_url"] = "http://127.0.0.1:1/api/approvals";  // nothing listens on port 1
  s["connect_timeout"] = "1s";
  auto c = qiao::oa::OaClient::create(s.dump());
  ASSERT_TRUE(c.ok());
  auto no_key = (*c)->submit("{}", "");
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.error().klass, qiao::ErrorClass::kPermanent);
  auto refused = (*c)->submit("{}", "k");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().klass, qiao::ErrorClass::kTransient) << refused.error().message;
}

}  // namespace
