#include "http_config.h"

#include "url_template.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "qiao/sdk/pull_settings.h"

namespace qiao::connectors::http {
namespace {

using nlohmann::json;

Error configError(const std::string& msg) {
  return Error::permanent(ErrorCode::kConfigInvalid, "http sink: " + msg);
}

bool hasCrLf(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

bool validHeaderName(const std::string& name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (c <= 32 || c >= 127 || c == ':') return false;
  }
  return true;
}

// Reads a string setting; absent or null keeps the default.
Status readString(const json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) return configError(std::string("'") + key + "' must be a string");
  *out = it->get<std::string>();
  return {};
}

Status readDuration(const json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  int64_t v = 0;
  if (it->is_number_integer()) {
    v = it->get<int64_t>();
  } else if (it->is_number()) {
    v = static_cast<int64_t>(it->get<double>());
  } else if (!it->is_string() || !parseDurationMs(it->get<std::string>(), &v)) {
    return configError(std::string("'") + key +
                       "' must be a duration such as \"10s\" or integer milliseconds");
  }
  if (v <= 0) return configError(std::string("'") + key + "' must be positive");
  *out = v;
  return {};
}

Status readHeaders(const json& j, HttpSinkConfig* cfg) {
  auto it = j.find("headers");
  if (it == j.end() || it->is_null()) return {};
  auto add = [cfg](std::string name, std::string value) -> Status {
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (!validHeaderName(name)) return configError("header name '" + name + "' is not valid");
    if (hasCrLf(value)) return configError("header '" + name + "' has a line break in its value");
    cfg->headers.emplace_back(std::move(name), std::move(value));
    return {};
  };
  if (it->is_object()) {
    for (const auto& [name, value] : it->items()) {
      // YAML may hand over `X-Count: 5` as a number: any scalar is fine as header text.
      if (value.is_string()) {
        QIAO_RETURN_IF_ERROR(add(name, value.get<std::string>()));
      } else if (value.is_number() || value.is_boolean()) {
        QIAO_RETURN_IF_ERROR(add(name, value.dump()));
      } else {
        return configError("header '" + name + "' must be a string");
      }
    }
    return {};
  }
  if (it->is_array()) {  // also accepted: ["Name: value", ...]
    for (const auto& line : *it) {
      if (!line.is_string()) return configError("'headers' entries must be \"Name: value\" text");
      auto text = line.get<std::string>();
      auto colon = text.find(':');
      if (colon == std::string::npos) return configError("'headers' entry has no ':'");
      QIAO_RETURN_IF_ERROR(add(text.substr(0, colon), text.substr(colon + 1)));
    }
    return {};
  }
  return configError("'headers' must be a map of header name to value");
}

}  // namespace

bool parseDurationMs(const std::string& text, int64_t* out) {
  return sdk::parseDurationMs(text, out);
}

Result<HttpSinkConfig> parseHttpSinkConfig(const std::string& text) {
  json j;
  try {
    j = text.empty() ? json::object() : json::parse(text);
  } catch (const json::exception&) {
    return configError("settings are not valid JSON");
  }
  if (!j.is_object()) return configError("settings must be an object");
  HttpSinkConfig cfg;
  QIAO_RETURN_IF_ERROR(readString(j, "url", &cfg.url));
  if (cfg.url.empty()) return configError("'url' is required");
  if (cfg.url.rfind("http://", 0) != 0 && cfg.url.rfind("https://", 0) != 0)
    return configError("'url' must start with http:// or https:// (got " + displayUrl(cfg.url) +
                       ")");
  if (hasCrLf(cfg.url) || cfg.url.find(' ') != std::string::npos)
    return configError("'url' contains white space");
  if (auto tmpl = UrlTemplate::parse(cfg.url); !tmpl.ok())
    return configError(tmpl.error().message);
  QIAO_RETURN_IF_ERROR(readString(j, "method", &cfg.method));
  for (auto& c : cfg.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (cfg.method != "POST" && cfg.method != "PUT")
    return configError("'method' must be POST or PUT");
  QIAO_RETURN_IF_ERROR(readDuration(j, "timeout", &cfg.timeout_ms));
  QIAO_RETURN_IF_ERROR(readDuration(j, "connect_timeout", &cfg.connect_timeout_ms));
  QIAO_RETURN_IF_ERROR(readHeaders(j, &cfg));
  QIAO_RETURN_IF_ERROR(readString(j, "auth_token", &cfg.auth_token));
  if (hasCrLf(cfg.auth_token)) return configError("'auth_token' has a line break");
  QIAO_RETURN_IF_ERROR(readString(j, "idempotency_header", &cfg.idempotency_header));
  if (!cfg.idempotency_header.empty() && !validHeaderName(cfg.idempotency_header))
    return configError("'idempotency_header' is not a valid header name");
  QIAO_RETURN_IF_ERROR(readString(j, "remote_id_field", &cfg.remote_id_field));
  if (!cfg.remote_id_field.empty() && cfg.remote_id_field.front() != '/')
    return configError("'remote_id_field' must be a JSON pointer such as \"/id\"");
  if (!cfg.remote_id_field.empty()) {
    try {
      json::json_pointer check(cfg.remote_id_field);
      (void)check;
    } catch (const json::exception&) {
      return configError("'remote_id_field' is not a valid JSON pointer");
    }
  }
  auto tv = j.find("tls_verify");
  if (tv != j.end() && !tv->is_null()) {
    if (tv->is_boolean()) cfg.tls_verify = tv->get<bool>();
    else if (tv->is_string() && (*tv == "true" || *tv == "false")) cfg.tls_verify = *tv == "true";
    else return configError("'tls_verify' must be true or false");
  }
  QIAO_RETURN_IF_ERROR(readString(j, "ca_file", &cfg.ca_file));
  return cfg;
}

}  // namespace qiao::connectors::http
