// Connector entries: the host-owned keys plus the connector's own keys, validated against
// its descriptor's FieldSpec table and written to settings_json.
#include <nlohmann/json.hpp>

#include "qiao/sdk/connector.h"
#include "sections.h"

namespace qiao::config::detail {
namespace {

using nlohmann::json;
using sdk::FieldSpec;
using sdk::FieldType;

// The YAML value of a schema-less object, scalars as strings (references resolved).
std::optional<json> anyJson(Ctx& c, const YAML::Node& n, const std::string& path) {
  if (n.IsNull()) return json(nullptr);
  if (n.IsScalar()) {
    auto s = c.resolve(n, path);
    if (!s) return std::nullopt;
    return json(*s);
  }
  bool ok = true;
  if (n.IsSequence()) {
    json arr = json::array();
    size_t i = 0;
    for (const auto& item : n) {
      auto v = anyJson(c, item, path + "[" + std::to_string(i++) + "]");
      if (v) arr.push_back(*v);
      else ok = false;
    }
    if (!ok) return std::nullopt;
    return arr;
  }
  json obj = json::object();
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string k = it->first.Scalar();
    auto v = anyJson(c, it->second, joinPath(path, k));
    if (v) obj[k] = *v;
    else ok = false;
  }
  if (!ok) return std::nullopt;
  return obj;
}

std::optional<json> fieldValue(Ctx& c, const FieldSpec& f, const YAML::Node& n,
                               const std::string& path);

// Validates an object against its children specs, filling defaults; false on any error.
bool readObject(Ctx& c, const YAML::Node& key, const YAML::Node& n, const std::string& path,
                const std::vector<FieldSpec>& specs, const std::vector<Key>& extra, json* out);

std::optional<json> defaultValue(const FieldSpec& f) {
  const std::string& d = f.default_value;
  switch (f.type) {
    case FieldType::kInt:
      if (auto v = parseIntText(d)) return json(*v);
      return std::nullopt;
    case FieldType::kBool:
      return json(d == "true");
    case FieldType::kDuration:
      if (auto v = parseDurationText(d)) return json(*v);
      return std::nullopt;
    case FieldType::kStringList:
      return json::array({d});
    case FieldType::kObject:
      return std::nullopt;
    default:
      return json(d);
  }
}

std::optional<json> fieldValue(Ctx& c, const FieldSpec& f, const YAML::Node& n,
                               const std::string& path) {
  switch (f.type) {
    case FieldType::kString:
      if (auto s = readString(c, n, path)) return json(*s);
      return std::nullopt;
    case FieldType::kInt:
      if (auto v = readInt(c, n, path, INT64_MIN, INT64_MAX)) return json(*v);
      return std::nullopt;
    case FieldType::kBool:
      if (auto v = readBool(c, n, path)) return json(*v);
      return std::nullopt;
    case FieldType::kDuration:
      if (auto v = readDurationMs(c, n, path)) return json(*v);
      return std::nullopt;
    case FieldType::kUrl: {
      auto s = readString(c, n, path);
      if (!s) return std::nullopt;
      size_t scheme = s->find("://");
      bool ok = (s->rfind("http://", 0) == 0 || s->rfind("https://", 0) == 0) &&
                s->size() > scheme + 3 && (*s)[scheme + 3] != '/';
      if (!ok) {
        c.error(n, path, "expected an http:// or https:// URL, got '" + n.Scalar() + "'");
        return std::nullopt;
      }
      return json(*s);
    }
    case FieldType::kEnum:
      if (auto s = readEnum(c, n, path, f.allowed)) return json(*s);
      return std::nullopt;
    case FieldType::kSecret:
      if (auto s = readSecret(c, n, path)) return json(*s);
      return std::nullopt;
    case FieldType::kStringList: {
      if (!n.IsSequence()) {
        c.error(n, path, "expected a list of strings");
        return std::nullopt;
      }
      json arr = json::array();
      bool ok = true;
      size_t i = 0;
      for (const auto& item : n) {
        auto s = readString(c, item, path + "[" + std::to_string(i++) + "]");
        if (s) arr.push_back(*s);
        else ok = false;
      }
      if (!ok) return std::nullopt;
      return arr;
    }
    case FieldType::kObject: {
      if (f.children.empty()) return anyJson(c, n, path);
      json obj = json::object();
      if (!readObject(c, n, n, path, f.children, {}, &obj)) return std::nullopt;
      return obj;
    }
  }
  return std::nullopt;
}

bool readObject(Ctx& c, const YAML::Node& key, const YAML::Node& n, const std::string& path,
                const std::vector<FieldSpec>& specs, const std::vector<Key>& extra, json* out) {
  bool ok = true;
  std::vector<Key> keys = extra;
  for (const auto& f : specs) {
    bool host_owned = false;
    for (const auto& e : extra) host_owned = host_owned || e.name == f.name;
    if (host_owned) continue;
    keys.push_back({f.name, [&c, &f, &ok, out](const YAML::Node& v, const std::string& p) {
                      auto value = fieldValue(c, f, v, p);
                      if (value) (*out)[f.name] = *value;
                      else ok = false;
                    }});
  }
  auto seen = readMap(c, n, path, keys);
  if (!seen) return false;
  for (const auto& f : specs) {
    if (seen->count(f.name)) continue;
    if (f.required) {
      std::string hint = std::string("type ") + sdk::toString(f.type);
      if (!f.example.empty()) hint += ", e.g. " + f.example;
      c.error(key, joinPath(path, f.name),
              "required key '" + f.name + "' is missing (" + hint + ")");
      ok = false;
    } else if (!f.default_value.empty()) {
      if (auto d = defaultValue(f)) (*out)[f.name] = *d;
    }
  }
  return ok;
}

}  // namespace

void readConnector(Ctx& c, const YAML::Node& key, const YAML::Node& n, const std::string& path,
                   const sdk::Registry& registry, ConnectorConfig* out, ConnectorMeta* meta) {
  meta->entry = c.where(key);
  if (!n.IsMap()) {
    c.error(n.IsNull() ? key : n, path,
            "expected a map with at least 'type', got " +
                std::string(n.IsNull() ? "no value" : n.IsSequence() ? "a list" : "a scalar"));
    return;
  }
  // The type decides which keys are valid, so it is read first.
  const YAML::Node type = n["type"];
  bool type_known = false;
  if (!type.IsDefined()) {
    c.error(key, joinPath(path, "type"),
            "required key 'type' is missing (one of: " + join(registry.names(), ", ") + ")");
  } else if (auto t = readString(c, type, joinPath(path, "type"))) {
    out->type = *t;
    meta->descriptor = registry.find(*t);
    type_known = meta->descriptor != nullptr;
    if (!type_known)
      c.error(type, joinPath(path, "type"),
              unknownMessage("connector type", *t, registry.names(), "registered types"));
  }

  auto host = [&](const std::string& name, Handler h) { return Key{name, std::move(h)}; };
  std::vector<Key> host_keys = {
      host("type", [](const YAML::Node&, const std::string&) {}),
      host("concurrency",
           [&](const YAML::Node& v, const std::string& p) {
             if (auto i = readInt(c, v, p, 1, 1024)) out->concurrency = static_cast<int>(*i);
           }),
      host("rate_limit",
           [&](const YAML::Node& v, const std::string& p) {
             readMap(c, v, p,
                     {{"per_second",
                       [&](const YAML::Node& x, const std::string& xp) {
                         if (auto d = readNumber(c, x, xp, 0)) out->rate_limit.per_second = *d;
                       }},
                      {"burst", [&](const YAML::Node& x, const std::string& xp) {
                         if (auto i = readInt(c, x, xp, 1, 1000000))
                           out->rate_limit.burst = static_cast<int>(*i);
                       }}});
           }),
      host("circuit_breaker", [&](const YAML::Node& v, const std::string& p) {
        readMap(c, v, p,
                {{"failure_threshold",
                  [&](const YAML::Node& x, const std::string& xp) {
                    if (auto i = readInt(c, x, xp, 1, 1000000))
                      out->circuit_breaker.failure_threshold = static_cast<int>(*i);
                  }},
                 {"open_ms", [&](const YAML::Node& x, const std::string& xp) {
                    auto ms = readDurationMs(c, x, xp);
                    if (!ms) return;
                    if (*ms < 1) c.error(x, xp, "must be at least 1ms");
                    else out->circuit_breaker.open_ms = *ms;
                  }}});
      })};

  if (!type_known) {
    // Without a schema only the host-owned keys can be checked; skip the rest quietly.
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string name = it->first.IsScalar() ? it->first.Scalar() : "";
      for (const auto& k : host_keys)
        if (k.name == name) k.handle(it->second, joinPath(path, name));
    }
    return;
  }
  json settings = json::object();
  readObject(c, key, n, path, meta->descriptor->config, host_keys, &settings);
  out->settings_json = settings.dump();
}

}  // namespace qiao::config::detail
