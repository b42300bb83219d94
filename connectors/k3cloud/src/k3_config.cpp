#include "k3_config.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "k3_pull.h"

namespace qiao::connectors::k3cloud {
namespace {

using nlohmann::json;
using sdk::FieldSpec;
using sdk::FieldType;

bool hasControl(const std::string& s) {
  for (unsigned char c : s)
    if (c < 32 || c == 127) return true;
  return false;
}

// A K/3 field or form key: letters, digits, '_' and '.' (entity.field), not empty.
bool isKey(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!std::isalnum(c) && c != '_' && c != '.') return false;
  return true;
}

bool parseDurationMs(const std::string& text, int64_t* out) {
  size_t i = 0;
  int64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (n > 1'000'000'000'000LL) return false;
    n = n * 10 + (text[i++] - '0');
  }
  if (i == 0) return false;
  std::string unit = text.substr(i);
  if (unit.empty() || unit == "ms") *out = n;
  else if (unit == "s") *out = n * 1000;
  else if (unit == "m") *out = n * 60'000;
  else return false;
  return true;
}

// Collects every problem instead of stopping at the first.
class Reader {
 public:
  explicit Reader(const json& j) : j_(j) {}

  void str(const char* key, std::string* out) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return;
    if (it->is_string()) *out = it->get<std::string>();
    else if (it->is_number_integer()) *out = std::to_string(it->get<int64_t>());
    else problem(std::string("'") + key + "' must be a string");
  }
  void boolean(const char* key, bool* out) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return;
    if (it->is_boolean()) *out = it->get<bool>();
    else if (it->is_string() && (*it == "true" || *it == "false")) *out = *it == "true";
    else problem(std::string("'") + key + "' must be true or false");
  }
  void integer(const char* key, int64_t lo, int64_t hi, int* out) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return;
    int64_t v = 0;
    if (it->is_number_integer()) v = it->get<int64_t>();
    else if (it->is_string() && !it->get<std::string>().empty() &&
             it->get<std::string>().find_first_not_of("0123456789") == std::string::npos &&
             it->get<std::string>().size() < 10)
      v = std::stoll(it->get<std::string>());
    else return problem(std::string("'") + key + "' must be an integer");
    if (v < lo || v > hi)
      return problem(std::string("'") + key + "' must be between " + std::to_string(lo) +
                     " and " + std::to_string(hi) + " (got " + std::to_string(v) + ")");
    *out = static_cast<int>(v);
  }
  void duration(const char* key, int64_t* out) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return;
    int64_t v = 0;
    if (it->is_number_integer()) v = it->get<int64_t>();
    else if (!it->is_string() || !parseDurationMs(it->get<std::string>(), &v))
      return problem(std::string("'") + key +
                     "' must be a duration such as \"30s\" or integer milliseconds");
    if (v <= 0) return problem(std::string("'") + key + "' must be positive");
    *out = v;
  }
  void list(const char* key, std::vector<std::string>* out) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return;
    if (!it->is_array()) return problem(std::string("'") + key + "' must be a list of field keys");
    out->clear();
    for (const auto& v : *it) {
      if (!v.is_string() || !isKey(v.get<std::string>()))
        return problem(std::string("'") + key + "' entries must be field keys such as "
                       "\"FNote\" or \"FSaleOrderEntry.FQty\"");
      out->push_back(v.get<std::string>());
    }
  }
  void problem(std::string p) { problems_.push_back(std::move(p)); }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  const json& j_;
  std::vector<std::string> problems_;
};

}  // namespace

const char* toString(AuthMode m) {
  switch (m) {
    case AuthMode::kValidateUser: return "validate_user";
    case AuthMode::kAppSecret: return "app_secret";
    case AuthMode::kSign: return "sign";
    case AuthMode::kXApi: return "xapi";
  }
  return "?";
}

std::vector<FieldSpec> k3FieldSpecs() {
  std::vector<FieldSpec> f;
  auto add = [&f](std::string name, FieldType t, bool req, std::string def,
                  std::vector<std::string> allowed, std::string desc, std::string example) {
    f.push_back({std::move(name), t, req, std::move(def), std::move(allowed), std::move(desc),
                 std::move(example), {}});
  };
  add("base_url", FieldType::kUrl, true, "", {},
      "The K/3 Cloud site, up to and including the K3Cloud/ path segment; service names and "
      "'.common.kdsvc' are appended.",
      "https://erp.example.com/K3Cloud/");
  add("acct_id", FieldType::kString, true, "", {},
      "Data-center (账套) id, from the WebAPI test page or GetDataCenterList.",
      "64a1b2c3d4e5f6");
  add("auth", FieldType::kEnum, false, "validate_user", {"validate_user", "app_secret", "sign", "xapi"},
      "How to authenticate: ValidateUser (password), LoginByAppSecret, LoginBySign (SHA-256 "
      "signature, recommended by Kingdee) or xapi (no login, X-Api signature headers per request).",
      "sign");
  add("username", FieldType::kString, true, "", {}, "The K/3 user with WebAPI permission.",
      "integration");
  add("password", FieldType::kSecret, false, "", {},
      "Password of the user; only for auth: validate_user. Never logged.", "${env:K3_PASSWORD}");
  add("app_id", FieldType::kString, false, "", {},
      "App id from 第三方系统登录授权; needed by app_secret, sign and xapi.", "231234_abcd...");
  add("app_secret", FieldType::kSecret, false, "", {},
      "App secret from the same page; needed by app_secret, sign and xapi. Never logged.",
      "${env:K3_APP_SECRET}");
  add("lcid", FieldType::kInt, false, "2052", {},
      "Language of the session: 2052 zh-CN, 1033 en-US, 3076 zh-TW.", "2052");
  add("org_num", FieldType::kString, false, "0", {},
      "Organization number sent in X-Kd-Appdata (xapi only).", "100");
  add("form_id", FieldType::kString, false, "SAL_SaleOrder", {},
      "Form to save into when the payload names none.", "SAL_SaleOrder");
  add("submit", FieldType::kBool, false, "false", {}, "Submit the bill after Save.", "true");
  add("audit", FieldType::kBool, false, "false", {},
      "Audit the bill after Submit (implies submit).", "true");
  add("auto_submit_audit", FieldType::kBool, false, "false", {},
      "Ask Save itself to submit and audit (Save option IsAutoSubmitAndAudit): one round trip "
      "instead of three; build-dependent. Implies submit and audit.",
      "true");
  add("unaudit_to_update", FieldType::kBool, false, "false", {},
      "An update (the Model carries the key field, e.g. FCUSTID) of an audited record is "
      "preceded by UnAudit; submit/audit bring it back. For two-way customer sync.",
      "true");
  add("forbid_operation", FieldType::kBool, false, "true", {},
      "Base data (BD_*): FForbidStatus in the Model is applied with ExcuteOperation Forbid / "
      "Enable (checked against the current state first) instead of being saved; an update "
      "naming only FForbidStatus makes no Save at all.",
      "false");
  add("need_update_fields", FieldType::kStringList, false, "", {},
      "Save option NeedUpDateFields, unless the payload gives it.", "[FNote]");
  add("need_return_fields", FieldType::kStringList, false, "", {},
      "Save option NeedReturnFields, unless the payload gives it.", "[FBillNo]");
  add("is_verify_base_data_field", FieldType::kBool, false, "true", {},
      "Save option IsVerifyBaseDataField: reject references to missing or disabled base data.",
      "true");
  add("is_delete_entry", FieldType::kBool, false, "true", {},
      "Save option IsDeleteEntry: on update, drop entry rows missing from the payload.", "false");
  add("external_ref_field", FieldType::kString, false, "FNetOrderBillNo", {},
      "Model field that carries qiao's idempotency key, used to look a bill up before a "
      "retried Save; empty = fall back to FBillNo.",
      "F_ABC_QiaoRef");
  add("lookup_before_save", FieldType::kEnum, false, "retries", {"retries", "always"},
      "When to query the bill by its external reference before Save: on retries (attempt > 1) "
      "or always.",
      "always");
  add("body_style", FieldType::kEnum, false, "named", {"named", "positional"},
      "Request body: named keys (formid/data) or the positional 'parameters' array of older "
      "builds.",
      "positional");
  add("timeout", FieldType::kDuration, false, "60s", {},
      "Total time for one K/3 call; a Save that times out is looked up before it is sent again.",
      "120s");
  add("connect_timeout", FieldType::kDuration, false, "5s", {}, "Time to open the connection.",
      "3s");
  add("max_connections", FieldType::kInt, false, "32", {},
      "Most requests in flight to K/3 at once (kept-alive connections are reused).", "64");
  add("tls_verify", FieldType::kBool, false, "true", {},
      "Verify the server certificate and host name.", "true");
  add("ca_file", FieldType::kString, false, "", {},
      "PEM file of CA certificates to trust instead of the system store.", "/etc/qiao/k3-ca.pem");
  f.push_back({"pull", FieldType::kObject, false, "", {},
               "Source only: the form pulled incrementally when a route reads from this "
               "connector (form_id, modified_field, filter, overlap, page_size, shape, ...).",
               "{form_id: AR_RECEIVEBILL, filter: \"FDOCUMENTSTATUS = 'C'\"}", pullFieldSpecs()});
  return f;
}


Result<K3Config> parseK3Config(const std::string& text) {
  auto fail = [](const std::string& msg) {
    return Error::permanent(ErrorCode::kConfigInvalid, "k3cloud: " + msg);
  };
  json j;
  try {
    j = text.empty() ? json::object() : json::parse(text);
  } catch (const json::exception&) {
    return fail("settings are not valid JSON");
  }
  if (!j.is_object()) return fail("settings must be an object");

  K3Config cfg;
  Reader r(j);
  std::string auth = "validate_user", lookup = "retries", style = "named";
  r.str("base_url", &cfg.base_url);
  r.str("acct_id", &cfg.acct_id);
  r.str("auth", &auth);
  r.str("username", &cfg.username);
  r.str("password", &cfg.password);
  r.str("app_id", &cfg.app_id);
  r.str("app_secret", &cfg.app_secret);
  r.integer("lcid", 1, 99999, &cfg.lcid);
  r.str("org_num", &cfg.org_num);
  r.str("form_id", &cfg.form_id);
  r.boolean("submit", &cfg.submit);
  r.boolean("audit", &cfg.audit);
  r.boolean("auto_submit_audit", &cfg.auto_submit_audit);
  r.boolean("unaudit_to_update", &cfg.unaudit_to_update);
  r.boolean("forbid_operation", &cfg.forbid_operation);
  r.list("need_update_fields", &cfg.need_update_fields);
  r.list("need_return_fields", &cfg.need_return_fields);
  r.boolean("is_verify_base_data_field", &cfg.is_verify_base_data_field);
  r.boolean("is_delete_entry", &cfg.is_delete_entry);
  r.str("external_ref_field", &cfg.external_ref_field);
  r.str("lookup_before_save", &lookup);
  r.str("body_style", &style);
  r.duration("timeout", &cfg.timeout_ms);
  r.duration("connect_timeout", &cfg.connect_timeout_ms);
  r.integer("max_connections", 1, 1024, &cfg.max_connections);
  r.boolean("tls_verify", &cfg.tls_verify);
  r.str("ca_file", &cfg.ca_file);

  static const char* kKnown[] = {
      "base_url", "acct_id", "auth", "username", "password", "app_id", "app_secret", "lcid",
      "org_num", "form_id", "submit", "audit", "auto_submit_audit", "unaudit_to_update", "forbid_operation",
      "need_update_fields",
      "need_return_fields",
      "is_verify_base_data_field", "is_delete_entry", "external_ref_field",
      "lookup_before_save", "body_style", "timeout", "connect_timeout", "max_connections",
      "tls_verify", "ca_file", "pull"};
  for (const auto& [key, _] : j.items()) {
    bool known = false;
    for (const char* k : kKnown) known = known || key == k;
    if (!known) r.problem("unknown setting '" + key + "'");
  }

  if (cfg.base_url.empty()) {
    r.problem("'base_url' is required (e.g. https://erp.example.com/K3Cloud/)");
  } else if ((cfg.base_url.rfind("http://", 0) != 0 && cfg.base_url.rfind("https://", 0) != 0) ||
             cfg.base_url.find_first_of(" \t\r\n?#") != std::string::npos) {
    r.problem("'base_url' must be an http:// or https:// URL without query (got " +
              displayUrl(cfg.base_url) + ")");
  } else if (cfg.base_url.back() != '/') {
    cfg.base_url += '/';
  }
  if (cfg.acct_id.empty()) r.problem("'acct_id' is required (the data-center id)");
  if (cfg.username.empty()) r.problem("'username' is required");
  if (auth == "validate_user") cfg.auth = AuthMode::kValidateUser;
  else if (auth == "app_secret") cfg.auth = AuthMode::kAppSecret;
  else if (auth == "sign") cfg.auth = AuthMode::kSign;
  else if (auth == "xapi") cfg.auth = AuthMode::kXApi;
  else r.problem("'auth' must be one of validate_user, app_secret, sign, xapi (got '" + auth + "')");
  if (cfg.auth == AuthMode::kValidateUser && cfg.password.empty())
    r.problem("'password' is required when auth is validate_user");
  if (cfg.auth != AuthMode::kValidateUser) {
    if (cfg.app_id.empty()) r.problem(std::string("'app_id' is required when auth is ") + auth);
    if (cfg.app_secret.empty())
      r.problem(std::string("'app_secret' is required when auth is ") + auth);
  }
  for (const std::string* s : {&cfg.acct_id, &cfg.username, &cfg.password, &cfg.app_id,
                               &cfg.app_secret, &cfg.org_num, &cfg.ca_file}) {
    if (hasControl(*s)) {
      // Name the setting, never the value (it may be a secret).
      r.problem("a setting contains a control character (acct_id, username, password, app_id, "
                "app_secret, org_num or ca_file)");
      break;
    }
  }
  if (!isKey(cfg.form_id)) r.problem("'form_id' must be a form id such as SAL_SaleOrder");
  if (!cfg.external_ref_field.empty() && !isKey(cfg.external_ref_field))
    r.problem("'external_ref_field' must be a field key such as FNetOrderBillNo");
  if (lookup == "retries") cfg.lookup_before_save = LookupMode::kRetries;
  else if (lookup == "always") cfg.lookup_before_save = LookupMode::kAlways;
  else r.problem("'lookup_before_save' must be retries or always (got '" + lookup + "')");
  if (style == "named") cfg.body_style = BodyStyle::kNamed;
  else if (style == "positional") cfg.body_style = BodyStyle::kPositional;
  else r.problem("'body_style' must be named or positional (got '" + style + "')");
  if (cfg.auto_submit_audit) cfg.audit = true;
  if (cfg.audit) cfg.submit = true;  // K/3 audits only submitted bills

  if (!r.problems().empty()) {
    std::string msg;
    for (const auto& p : r.problems()) msg += (msg.empty() ? "" : "; ") + p;
    return fail(msg);
  }
  return cfg;
}

}  // namespace qiao::connectors::k3cloud
