#include "oa_config.h"

#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "oa_states.h"
#include "oa_template.h"
#include "qiao/oa/oa_client.h"

namespace qiao::connectors::oa {
namespace {

using nlohmann::json;
using sdk::FieldSpec;
using sdk::FieldType;

const std::set<std::string> kCommonKeys{"kind", "base_url", "timeout", "connect_timeout",
                                        "tls_verify", "status_map"};
const std::set<std::string> kWeaverKeys{"app_id", "user_id", "workflow_id", "secret",
                                        "server_public_key", "registration_file", "token_ttl",
                                        "body_encoding", "request_name", "key_in_request_name",
                                        "main_fields", "detail_tables", "is_next_flow"};
const std::set<std::string> kGenericKeys{
    "create_url", "create_method", "create_body", "request_id_pointer", "create_state_pointer",
    "status_url", "state_pointer", "approver_pointer", "comment_pointer", "updated_pointer",
    "lookup_url", "lookup_id_pointer", "headers", "auth_token", "idempotency_header"};

class Problems {
 public:
  void add(std::string msg) { list_.push_back(std::move(msg)); }
  bool empty() const { return list_.empty(); }
  Error error() const {
    std::string all;
    for (const auto& p : list_) all += (all.empty() ? "" : "; ") + p;
    return Error::permanent(ErrorCode::kConfigInvalid, "oa: " + all);
  }
 private:
  std::vector<std::string> list_;
};

bool parseDurationText(const std::string& text, int64_t* out) {
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
  else if (unit == "h") *out = n * 3'600'000;
  else return false;
  return true;
}

struct Reader {
  const json& j;
  Problems& p;

  void str(const char* key, std::string* out) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (it->is_string()) *out = it->get<std::string>();
    else if (it->is_number_integer()) *out = it->dump();  // workflow_id: 1234 in YAML
    else p.add(std::string("'") + key + "' must be a string");
  }
  void boolean(const char* key, bool* out) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (it->is_boolean()) *out = it->get<bool>();
    else if (it->is_string() && (*it == "true" || *it == "false")) *out = *it == "true";
    else p.add(std::string("'") + key + "' must be true or false");
  }
  void duration(const char* key, int64_t* out) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    int64_t v = 0;
    if (it->is_number_integer()) v = it->get<int64_t>();
    else if (!it->is_string() || !parseDurationText(it->get<std::string>(), &v)) {
      p.add(std::string("'") + key + "' must be a duration such as \"10s\" or integer milliseconds");
      return;
    }
    if (v <= 0) p.add(std::string("'") + key + "' must be positive");
    else *out = v;
  }
  void pointer(const char* key, std::string* out) {
    str(key, out);
    if (out->empty()) return;
    if (out->front() != '/') {
      p.add(std::string("'") + key + "' must be a JSON pointer such as \"/data/id\" (got \"" +
            *out + "\")");
      return;
    }
    try {
      (void)json::json_pointer(*out);
    } catch (const json::exception&) {
      p.add(std::string("'") + key + "' is not a valid JSON pointer");
    }
  }
  void url(const char* key, std::string* out, bool required, const char* kind) {
    str(key, out);
    if (out->empty()) {
      if (required) p.add(std::string("'") + key + "' is required for kind " + kind);
      return;
    }
    if (out->rfind("http://", 0) != 0 && out->rfind("https://", 0) != 0)
      p.add(std::string("'") + key + "' must start with http:// or https://");
    else if (out->find_first_of(" \r\n") != std::string::npos)
      p.add(std::string("'") + key + "' contains white space");
    else if (auto t = Template::parse(*out, key); !t.ok())
      p.add(t.error().message);
  }
};

void readStatusMap(const json& j, Problems& p, std::map<std::string, std::string>* out) {
  auto it = j.find("status_map");
  if (it == j.end() || it->is_null()) return;
  if (!it->is_object()) {
    p.add("'status_map' must be a map of the OA's state value to one of " + normalisedList());
    return;
  }
  for (const auto& [k, v] : it->items()) {
    std::string s = v.is_string() ? v.get<std::string>() : "";
    if (!qiao::oa::isNormalisedState(s))
      p.add("'status_map." + k + "' must be one of " + normalisedList() + " (got " + v.dump() + ")");
    else (*out)[k] = s;
  }
}

void readWeaver(const json& j, Problems& p, OaSettings* s) {
  Reader r{j, p};
  WeaverSettings& w = s->weaver;
  r.url("base_url", &s->base_url, true, "weaver");
  while (!s->base_url.empty() && s->base_url.back() == '/') s->base_url.pop_back();
  r.str("app_id", &w.app_id);
  r.str("user_id", &w.user_id);
  r.str("workflow_id", &w.workflow_id);
  if (w.app_id.empty()) p.add("'app_id' is required for kind weaver (the appid registered in the OA)");
  if (w.user_id.empty()) p.add("'user_id' is required for kind weaver (the OA user id requests are created as)");
  if (w.workflow_id.empty()) p.add("'workflow_id' is required for kind weaver (the workflow template id)");
  else if (w.workflow_id.find_first_not_of("0123456789") != std::string::npos)
    p.add("'workflow_id' must be a number (got \"" + w.workflow_id + "\")");
  r.str("secret", &w.secret);
  r.str("server_public_key", &w.server_public_key);
  if (w.secret.empty() != w.server_public_key.empty())
    p.add("'secret' and 'server_public_key' go together (both from an earlier register), or neither");
  r.str("registration_file", &w.registration_file);
  r.duration("token_ttl", &w.token_ttl_ms);
  if (w.token_ttl_ms < 60'000) p.add("'token_ttl' must be at least 60s");
  std::string enc = "form";
  r.str("body_encoding", &enc);
  if (enc != "form" && enc != "json") p.add("'body_encoding' must be form or json");
  w.form_encoding = enc == "form";
  r.str("request_name", &w.request_name);
  if (w.request_name.empty()) p.add("'request_name' must not be empty");
  else if (auto t = Template::parse(w.request_name, "request_name"); !t.ok()) p.add(t.error().message);
  r.boolean("key_in_request_name", &w.key_in_request_name);
  r.boolean("is_next_flow", &w.is_next_flow);
  if (auto it = j.find("main_fields"); it != j.end() && !it->is_null()) {
    if (!it->is_object() || it->empty()) {
      p.add("'main_fields' must be a non-empty map of OA field name (DB column) to a template such as \"{/amount}\"");
    } else {
      for (const auto& [name, v] : it->items()) {
        if (!v.is_string()) {
          p.add("'main_fields." + name + "' must be text such as \"{/amount}\"");
          continue;
        }
        if (auto t = Template::parse(v.get<std::string>(), "main_fields." + name); !t.ok())
          p.add(t.error().message);
        w.main_fields.emplace_back(name, v.get<std::string>());
      }
    }
  }
  if (auto it = j.find("detail_tables"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) {
      p.add("'detail_tables' must be a list of {table, rows, fields}");
    } else {
      for (size_t i = 0; i < it->size(); ++i) {
        const json& d = (*it)[i];
        const std::string at = "'detail_tables[" + std::to_string(i) + "]";
        DetailTable t;
        if (!d.is_object() || !d.value("table", json()).is_string() ||
            !d.value("rows", json()).is_string() || !d.value("fields", json()).is_object()) {
          p.add(at + "' needs table (text), rows (JSON pointer) and fields (map)");
          continue;
        }
        t.table = d["table"];
        t.rows = d["rows"];
        if (t.rows.empty() || t.rows.front() != '/') p.add(at + ".rows' must be a JSON pointer");
        for (const auto& [name, v] : d["fields"].items()) {
          if (!v.is_string()) p.add(at + ".fields." + name + "' must be text such as \"{/qty}\"");
          else t.fields.emplace_back(name, v.get<std::string>());
        }
        w.detail_tables.push_back(std::move(t));
      }
    }
  }
  w.status_map = defaultWeaverStatusMap();
  readStatusMap(j, p, &w.status_map);
}

void readGeneric(const json& j, Problems& p, OaSettings* s) {
  Reader r{j, p};
  GenericSettings& g = s->generic;
  r.url("create_url", &g.create_url, true, "generic");
  r.url("status_url", &g.status_url, true, "generic");
  r.url("lookup_url", &g.lookup_url, false, "generic");
  r.str("create_method", &g.create_method);
  for (auto& c : g.create_method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (g.create_method != "POST" && g.create_method != "PUT")
    p.add("'create_method' must be POST or PUT");
  if (auto it = j.find("create_body"); it != j.end() && !it->is_null()) {
    if (it->is_string()) {
      auto parsed = json::parse(it->get<std::string>(), nullptr, false);
      if (parsed.is_discarded()) p.add("'create_body' is not valid JSON");
      else g.create_body = parsed.dump();
    } else if (it->is_object() || it->is_array()) {
      g.create_body = it->dump();
    } else {
      p.add("'create_body' must be a JSON object template such as {\"title\": \"{/orderNo}\"}");
    }
  }
  r.pointer("request_id_pointer", &g.request_id_pointer);
  if (g.request_id_pointer.empty()) p.add("'request_id_pointer' must not be empty");
  r.pointer("create_state_pointer", &g.create_state_pointer);
  r.pointer("state_pointer", &g.state_pointer);
  if (g.state_pointer.empty()) p.add("'state_pointer' must not be empty");
  r.pointer("approver_pointer", &g.approver_pointer);
  r.pointer("comment_pointer", &g.comment_pointer);
  r.pointer("updated_pointer", &g.updated_pointer);
  r.pointer("lookup_id_pointer", &g.lookup_id_pointer);
  r.str("auth_token", &g.auth_token);
  if (g.auth_token.find_first_of("\r\n") != std::string::npos) p.add("'auth_token' has a line break");
  r.str("idempotency_header", &g.idempotency_header);
  if (auto it = j.find("headers"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) p.add("'headers' must be a map of header name to value");
    else
      for (const auto& [k, v] : it->items()) {
        std::string text = v.is_string() ? v.get<std::string>() : v.dump();
        if (k.empty() || k.find_first_of(": \r\n") != std::string::npos ||
            text.find_first_of("\r\n") != std::string::npos)
          p.add("'headers." + k + "' is not a valid header");
        else g.headers.emplace_back(k, text);
      }
  }
  readStatusMap(j, p, &g.status_map);
  if (g.status_map.empty())
    p.add("'status_map' is required for kind generic: map the OA's state values to " + normalisedList());
}

FieldSpec f(std::string name, FieldType t, std::string def, std::string desc, std::string ex,
            std::vector<std::string> allowed = {}, bool required = false) {
  return FieldSpec{std::move(name), t, required, std::move(def), std::move(allowed),
                   std::move(desc), std::move(ex), {}};
}

}  // namespace

std::vector<FieldSpec> oaFieldSpecs() {
  std::vector<FieldSpec> v;
  v.push_back(f("kind", FieldType::kEnum, "", "Which OA: Weaver e-cology 9 REST or a generic REST OA.",
                "weaver", {"weaver", "generic"}, true));
  v.push_back(f("base_url", FieldType::kUrl, "", "weaver: the OA root URL.", "http://oa.example.com"));
  v.push_back(f("timeout", FieldType::kDuration, "15s", "Time allowed for one request.", "30s"));
  v.push_back(f("connect_timeout", FieldType::kDuration, "3s", "Time allowed to connect.", "2s"));
  v.push_back(f("tls_verify", FieldType::kBool, "true", "Verify the server certificate.", "true"));
  v.push_back(f("status_map", FieldType::kObject, "",
                "OA state value → draft|in_approval|approved|rejected|withdrawn|terminated "
                "(generic: required; weaver: status text or log operateType, added to the defaults).",
                "{APPROVED: approved}"));
  v.push_back(f("app_id", FieldType::kString, "", "weaver: the appid registered in the OA.", "EEAA5436-7577-4BE0-8C6C-89E9D88805EA"));
  v.push_back(f("user_id", FieldType::kString, "", "weaver: OA user id the requests are created as (sent RSA-encrypted).", "1"));
  v.push_back(f("workflow_id", FieldType::kString, "", "weaver: workflow (template) id.", "1234"));
  v.push_back(f("secret", FieldType::kSecret, "", "weaver: secret of an earlier register (with server_public_key); else qiao registers.", "${secret:oa_secret}"));
  v.push_back(f("server_public_key", FieldType::kString, "", "weaver: spk of an earlier register (base64).", "MIIBIjAN..."));
  v.push_back(f("registration_file", FieldType::kString, "", "weaver: file that keeps register's answer (mode 0600); default <data_dir>/weaver-registration.json.", "/var/lib/qiao/oa-reg.json"));
  v.push_back(f("token_ttl", FieldType::kDuration, "3600s", "weaver: token lifetime asked for (`time` header).", "1800s"));
  v.push_back(f("body_encoding", FieldType::kEnum, "form", "weaver: paService body encoding.", "json", {"form", "json"}));
  v.push_back(f("request_name", FieldType::kString, "qiao {key}", "weaver: title template ({/pointer}, {key}).", "订单审批 {/orderNo}"));
  v.push_back(f("key_in_request_name", FieldType::kBool, "true", "weaver: append \" [<idempotency key>]\" to the title so a retry can find the request.", "true"));
  v.push_back(f("main_fields", FieldType::kObject, "", "weaver: OA field (DB column) → template; default: every top-level scalar of the record.", "{ddh: \"{/orderNo}\", je: \"{/amount}\"}"));
  v.push_back(f("detail_tables", FieldType::kObject, "", "weaver: list of {table, rows: /pointer, fields: {column: \"{/ptr}\"}}.", "[{table: formtable_main_12_dt1, rows: /lines, fields: {sl: \"{/qty}\"}}]"));
  v.push_back(f("is_next_flow", FieldType::kBool, "true", "weaver: submit past the creation node (false: leave as draft).", "true"));
  v.push_back(f("create_url", FieldType::kUrl, "", "generic: where requests are created ({/pointer}, {key}).", "https://oa.example.com/api/approvals"));
  v.push_back(f("create_method", FieldType::kEnum, "POST", "generic: method of the create call.", "PUT", {"POST", "PUT"}));
  v.push_back(f("create_body", FieldType::kObject, "", "generic: JSON template of the create body; a string \"{/ptr}\" takes the record's value, {key} the idempotency key; default: the record.", "{title: \"{/orderNo}\", amount: \"{/amount}\"}"));
  v.push_back(f("request_id_pointer", FieldType::kString, "/id", "generic: JSON pointer to the request id in the create reply.", "/data/requestId"));
  v.push_back(f("create_state_pointer", FieldType::kString, "", "generic: JSON pointer to the state in the create reply.", "/status"));
  v.push_back(f("status_url", FieldType::kUrl, "", "generic: status endpoint ({id}).", "https://oa.example.com/api/approvals/{id}"));
  v.push_back(f("state_pointer", FieldType::kString, "/status", "generic: JSON pointer to the state in the status reply.", "/data/state"));
  v.push_back(f("approver_pointer", FieldType::kString, "", "generic: JSON pointer to the approver.", "/approver"));
  v.push_back(f("comment_pointer", FieldType::kString, "", "generic: JSON pointer to the comment.", "/comment"));
  v.push_back(f("updated_pointer", FieldType::kString, "", "generic: JSON pointer to the change time (ms, s or ISO 8601).", "/updatedAt"));
  v.push_back(f("lookup_url", FieldType::kUrl, "", "generic: finds a request by idempotency key ({key}) before a retried create; 404 = none.", "https://oa.example.com/api/approvals?externalId={key}"));
  v.push_back(f("lookup_id_pointer", FieldType::kString, "", "generic: JSON pointer to the id in the lookup reply (default request_id_pointer).", "/items/0/id"));
  v.push_back(f("headers", FieldType::kObject, "", "generic: extra request headers.", "{X-Tenant: acme}"));
  v.push_back(f("auth_token", FieldType::kSecret, "", "generic: sent as Authorization: Bearer. Never logged.", "${secret:oa_token}"));
  v.push_back(f("idempotency_header", FieldType::kString, "Idempotency-Key", "generic: header carrying the idempotency key (empty = none).", "X-Request-Id"));
  return v;
}

Result<OaSettings> parseOaSettings(const std::string& text) {
  json j = json::parse(text.empty() ? "{}" : text, nullptr, false);
  if (j.is_discarded()) return Error::permanent(ErrorCode::kConfigInvalid, "oa: settings are not valid JSON");
  if (!j.is_object()) return Error::permanent(ErrorCode::kConfigInvalid, "oa: settings must be a map");
  Problems p;
  OaSettings s;
  std::string kind;
  Reader r{j, p};
  r.str("kind", &kind);
  if (kind == "weaver") s.kind = Kind::kWeaver;
  else if (kind == "generic") s.kind = Kind::kGeneric;
  else if (kind.empty()) return Error::permanent(ErrorCode::kConfigInvalid, "oa: 'kind' is required: weaver or generic");
  else return Error::permanent(ErrorCode::kConfigInvalid, "oa: 'kind' must be weaver or generic (got \"" + kind + "\")");
  const auto& own = s.kind == Kind::kWeaver ? kWeaverKeys : kGenericKeys;
  const auto& other = s.kind == Kind::kWeaver ? kGenericKeys : kWeaverKeys;
  for (const auto& [k, v] : j.items()) {
    if (v.is_null() || kCommonKeys.count(k) || own.count(k)) continue;
    if (other.count(k)) p.add("'" + k + "' applies to kind " + (s.kind == Kind::kWeaver ? "generic" : "weaver") + " only");
    else if (k != "base_url") p.add("unknown key '" + k + "'");
  }
  r.duration("timeout", &s.timeout_ms);
  r.duration("connect_timeout", &s.connect_timeout_ms);
  r.boolean("tls_verify", &s.tls_verify);
  if (s.kind == Kind::kWeaver) readWeaver(j, p, &s);
  else {
    r.url("base_url", &s.base_url, false, "generic");
    readGeneric(j, p, &s);
  }
  if (!p.empty()) return p.error();
  return s;
}

}  // namespace qiao::connectors::oa
