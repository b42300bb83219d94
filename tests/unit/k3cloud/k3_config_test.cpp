// Config validation: the FieldSpec table and the parser agree, every problem is reported at
// once, secrets are never echoed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "k3_config.h"

namespace {

using namespace qiao::connectors::k3cloud;
using nlohmann::json;
using qiao::ErrorCode;
using qiao::sdk::FieldType;

json minimal() {
  return {{"base_url", "http://127.0.0.1:9100/sim/k3cloud/k3cloud"},
          {"acct_id", "sim-acct-001"},
          {"username", "administrator"},
          {"password", "888888"}};
}

std::string errorOf(const json& j) {
  auto r = parseK3Config(j.dump());
  EXPECT_FALSE(r.ok()) << j.dump();
  if (r.ok()) return "";
  EXPECT_EQ(r.error().code, ErrorCode::kConfigInvalid);
  return r.error().message;
}

TEST(K3Config, MinimalGetsDefaults) {
  auto r = parseK3Config(minimal().dump());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->base_url, "http://127.0.0.1:9100/sim/k3cloud/k3cloud/");  // slash added
  EXPECT_EQ(r->auth, AuthMode::kValidateUser);
  EXPECT_EQ(r->lcid, 2052);
  EXPECT_EQ(r->form_id, "SAL_SaleOrder");
  EXPECT_TRUE(r->is_verify_base_data_field);
  EXPECT_TRUE(r->is_delete_entry);
  EXPECT_EQ(r->external_ref_field, "FNetOrderBillNo");
  EXPECT_EQ(r->lookup_before_save, LookupMode::kRetries);
  EXPECT_FALSE(r->submit);
  EXPECT_EQ(r->max_connections, 32);
  EXPECT_TRUE(r->tls_verify);
}

TEST(K3Config, EverySettingParses) {
  json j = minimal();
  j["auth"] = "sign";
  j["app_id"] = "sim_app_id";
  j["app_secret"] = "sim-app-secret";
  j["lcid"] = 1033;
  j["org_num"] = "100";
  j["form_id"] = "BD_Customer";
  j["audit"] = true;
  j["need_update_fields"] = {"FNote", "FSaleOrderEntry.FQty"};
  j["need_return_fields"] = {"FBillNo"};
  j["is_verify_base_data_field"] = false;
  j["is_delete_entry"] = "false";
  j["external_ref_field"] = "F_ABC_Ref";
  j["lookup_before_save"] = "always";
  j["body_style"] = "positional";
  j["timeout"] = "90s";
  j["connect_timeout"] = 1500;
  j["max_connections"] = 64;
  j["tls_verify"] = false;
  j["ca_file"] = "/etc/ca.pem";
  auto r = parseK3Config(j.dump());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->auth, AuthMode::kSign);
  EXPECT_EQ(r->lcid, 1033);
  EXPECT_EQ(r->org_num, "100");
  EXPECT_TRUE(r->audit);
  EXPECT_TRUE(r->submit);  // audit implies submit
  EXPECT_FALSE(r->auto_submit_audit);
  json a = minimal();
  a["auto_submit_audit"] = true;
  auto auto_cfg = parseK3Config(a.dump());
  ASSERT_TRUE(auto_cfg.ok());
  EXPECT_TRUE(auto_cfg->submit && auto_cfg->audit);  // the bill ends audited either way
  EXPECT_EQ(r->need_update_fields.size(), 2u);
  EXPECT_EQ(r->need_return_fields[0], "FBillNo");
  EXPECT_FALSE(r->is_verify_base_data_field);
  EXPECT_FALSE(r->is_delete_entry);
  EXPECT_EQ(r->external_ref_field, "F_ABC_Ref");
  EXPECT_EQ(r->lookup_before_save, LookupMode::kAlways);
  EXPECT_EQ(r->body_style, BodyStyle::kPositional);
  EXPECT_EQ(r->timeout_ms, 90000);
  EXPECT_EQ(r->connect_timeout_ms, 1500);
  EXPECT_EQ(r->max_connections, 64);
  EXPECT_FALSE(r->tls_verify);
}

TEST(K3Config, EveryProblemIsReportedAtOnce) {
  auto m = errorOf(json{{"auth", "oauth"}, {"lcid", 0}, {"colour", "blue"}});
  EXPECT_NE(m.find("'base_url' is required"), std::string::npos) << m;
  EXPECT_NE(m.find("'acct_id' is required"), std::string::npos) << m;
  EXPECT_NE(m.find("'username' is required"), std::string::npos) << m;
  EXPECT_NE(m.find("'auth' must be one of validate_user, app_secret, sign, xapi"), std::string::npos) << m;
  EXPECT_NE(m.find("'lcid' must be between 1 and 99999"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown setting 'colour'"), std::string::npos) << m;
}

TEST(K3Config, CredentialsPerAuthMode) {
  json j = minimal();
  j.erase("password");
  EXPECT_NE(errorOf(j).find("'password' is required when auth is validate_user"), std::string::npos);
  for (const char* mode : {"app_secret", "sign", "xapi"}) {
    json k = minimal();
    k["auth"] = mode;
    auto m = errorOf(k);
    EXPECT_NE(m.find(std::string("'app_id' is required when auth is ") + mode), std::string::npos) << m;
    EXPECT_NE(m.find(std::string("'app_secret' is required when auth is ") + mode), std::string::npos) << m;
    k["app_id"] = "a_b";
    k["app_secret"] = "s";
    EXPECT_TRUE(parseK3Config(k.dump()).ok()) << mode;  // no password needed
  }
}

TEST(K3Config, BadValues) {
  auto with = [](const char* key, json v) {
    json j = minimal();
    j[key] = std::move(v);
    return errorOf(j);
  };
  EXPECT_NE(with("base_url", "ftp://x/").find("'base_url' must be an http:// or https:// URL"), std::string::npos);
  EXPECT_NE(with("base_url", "http://x/K3Cloud/?a=1").find("without query"), std::string::npos);
  EXPECT_NE(with("timeout", "soon").find("'timeout' must be a duration"), std::string::npos);
  EXPECT_NE(with("timeout", 0).find("'timeout' must be positive"), std::string::npos);
  EXPECT_NE(with("submit", "yes").find("'submit' must be true or false"), std::string::npos);
  EXPECT_NE(with("max_connections", 0).find("'max_connections' must be between 1 and 1024"), std::string::npos);
  EXPECT_NE(with("need_update_fields", "FNote").find("must be a list"), std::string::npos);
  EXPECT_NE(with("need_return_fields", json::array({"F Bill"})).find("entries must be field keys"), std::string::npos);
  EXPECT_NE(with("form_id", "SAL SaleOrder").find("'form_id' must be a form id"), std::string::npos);
  EXPECT_NE(with("external_ref_field", "F'x").find("'external_ref_field' must be a field key"), std::string::npos);
  EXPECT_NE(with("lookup_before_save", "never").find("'lookup_before_save' must be retries or always"), std::string::npos);
  EXPECT_NE(with("body_style", "xml").find("'body_style' must be named or positional"), std::string::npos);
  EXPECT_NE(errorOf(json::array()).find("settings must be an object"), std::string::npos);
  EXPECT_FALSE(parseK3Config("{nope").ok());
}

TEST(K3Config, SecretsAreNeverEchoed) {
  json j = minimal();
  j["password"] = "pa\nss-SECRET-42";
  j["auth"] = "bogus";
  auto m = errorOf(j);
  EXPECT_NE(m.find("control character"), std::string::npos) << m;
  EXPECT_EQ(m.find("SECRET-42"), std::string::npos) << m;
  json k = minimal();
  k["base_url"] = "http://user:pw-SECRET-43@host/K3Cloud/?x";
  auto m2 = errorOf(k);
  EXPECT_EQ(m2.find("SECRET-43"), std::string::npos) << m2;
}

TEST(K3Config, FieldTableMatchesTheParser) {
  auto specs = k3FieldSpecs();
  std::set<std::string> names;
  for (const auto& f : specs) {
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate " << f.name;
    EXPECT_FALSE(f.description.empty()) << f.name;
  }
  for (const char* want : {"base_url", "acct_id", "auth", "username", "password", "app_id",
                           "app_secret", "lcid", "form_id", "submit", "audit", "auto_submit_audit",
                           "unaudit_to_update", "need_update_fields",
                           "need_return_fields", "is_verify_base_data_field", "is_delete_entry",
                           "external_ref_field", "lookup_before_save", "timeout",
                           "connect_timeout", "max_connections", "tls_verify"})
    EXPECT_TRUE(names.count(want)) << want;
  for (const auto& f : specs) {
    if (f.name == "password" || f.name == "app_secret") {
      EXPECT_EQ(f.type, FieldType::kSecret) << f.name;
    }
  }
  // Every setting the table declares is accepted by the parser (with its example value where
  // it is a plain scalar), and the defaults the config loader would fill in parse too.
  json j = minimal();
  for (const auto& f : specs) {
    if (f.default_value.empty() || j.contains(f.name)) continue;
    switch (f.type) {
      case FieldType::kBool: j[f.name] = f.default_value == "true"; break;
      case FieldType::kInt: j[f.name] = std::stoll(f.default_value); break;
      case FieldType::kDuration: j[f.name] = f.default_value; break;
      default: j[f.name] = f.default_value;
    }
  }
  auto r = parseK3Config(j.dump());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->timeout_ms, 60000);
  EXPECT_EQ(r->connect_timeout_ms, 5000);
}

}  // namespace
