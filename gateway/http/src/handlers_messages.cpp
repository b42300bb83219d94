// POST /api/v1/routes/{route}/messages, GET /api/v1/messages[/{id}].
#include <optional>
#include <string>
#include <vector>

#include "api.h"
#include "qiao/core/log.h"

namespace qiao::http::detail {
namespace {

using json = nlohmann::ordered_json;

constexpr int kMaxNesting = 64;
constexpr size_t kMaxHeaderValue = 200;

// Header values we store must be short printable ASCII: they end up in logs and URLs.
bool validHeaderValue(std::string_view v) {
  if (v.size() > kMaxHeaderValue) return false;
  for (char c : v) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string shortened(std::string_view s) {
  return s.size() <= 64 ? std::string(s) : std::string(s.substr(0, 64)) + "...";
}

}  // namespace

void Api::ingest(const Request& req, std::string_view route_raw, Response& resp) {
  std::string route;
  const auto& routes = gateway_.config().routes;
  auto rit = routes.end();
  if (percentDecode(route_raw, false, &route)) rit = routes.find(route);
  if (rit == routes.end()) {
    setError(resp, 404, "route_not_found", "unknown route '" + shortened(route_raw) + "'");
    return;
  }
  if (!validHeaderValue(req.idempotency_key)) {
    setError(resp, 400, "invalid_header",
             "Idempotency-Key must be at most 200 printable ASCII characters");
    return;
  }
  if (!validHeaderValue(req.trace_id)) {
    setError(resp, 400, "invalid_header",
             "X-Trace-Id must be at most 200 printable ASCII characters");
    return;
  }
  if (jsonNestingDepth(req.body, kMaxNesting) > kMaxNesting) {
    setError(resp, 400, "malformed_json",
             "JSON nested deeper than " + std::to_string(kMaxNesting) + " levels");
    return;
  }

  json doc;
  try {
    doc = json::parse(req.body);
  } catch (const json::parse_error& e) {
    setError(resp, 400, "malformed_json", describeParseError(e));
    return;
  }

  // The business key is read here, from the document already parsed, so the runtime does
  // not parse the payload a second time.
  std::optional<json::json_pointer> key_pointer;
  if (!rit->second.business_key.empty()) {
    try {
      key_pointer.emplace(rit->second.business_key);
    } catch (const json::exception&) {
      // Validated by the config loader; an unusable pointer just means no key.
    }
  }
  std::vector<Record> records;
  auto add = [&](const json& obj, const std::string& idem) {
    Record r;
    r.payload = obj.dump();  // stored compact, key order as sent
    if (key_pointer && obj.contains(*key_pointer)) {
      const auto& v = obj.at(*key_pointer);
      if (v.is_string()) r.business_key = v.get<std::string>();
      else if (v.is_number() || v.is_boolean()) r.business_key = v.dump();
    }
    r.entity = rit->second.entity;
    r.source_system = "http";
    r.idempotency_key = idem;
    r.trace_id = std::string(req.trace_id);
    records.push_back(std::move(r));
  };
  try {
    if (doc.is_object()) {
      add(doc, std::string(req.idempotency_key));
    } else if (doc.is_array()) {
      if (doc.empty()) {
        setError(resp, 400, "invalid_request", "the array of records is empty");
        return;
      }
      records.reserve(doc.size());
      for (size_t i = 0; i < doc.size(); ++i) {
        if (!doc[i].is_object()) {
          setError(resp, 400, "invalid_request",
                   "element " + std::to_string(i) + " is not a JSON object");
          return;
        }
        std::string idem;
        if (!req.idempotency_key.empty()) {
          idem.reserve(req.idempotency_key.size() + 8);
          idem.append(req.idempotency_key).append(":").append(std::to_string(i));
        }
        add(doc[i], idem);
      }
    } else {
      setError(resp, 400, "invalid_request",
               "the body must be a JSON object or an array of JSON objects");
      return;
    }
  } catch (const json::exception& e) {
    setError(resp, 400, "malformed_json", "cannot re-encode the JSON body");
    return;
  }

  size_t n = records.size();
  auto result = gateway_.ingest(route, std::move(records));
  if (!result.ok()) {
    setStoreError(resp, result.error(), "route_not_found");
    return;
  }
  const auto& accepted = result.value();
  if (accepted.size() != n) {
    log::error("http.ingest_count_mismatch",
               {{"sent", static_cast<long>(n)}, {"got", static_cast<long>(accepted.size())}});
    setError(resp, 500, "internal", "internal error");
    return;
  }
  // Hand-written: this response is on the hot path and has a fixed shape.
  std::string& out = resp.body;
  out.reserve(16 + accepted.size() * 36);
  out += "{\"accepted\":[";
  for (size_t i = 0; i < accepted.size(); ++i) {
    if (i) out += ',';
    out += "{\"id\":";
    out += std::to_string(accepted[i].id);
    out += accepted[i].duplicate ? ",\"duplicate\":true}" : ",\"duplicate\":false}";
  }
  out += "]}";
  resp.status = 202;
}

void Api::getMessage(std::string_view id_text, Response& resp) {
  int64_t id = 0;
  if (!parseInt(id_text, 1, INT64_MAX / 10, &id)) {
    setError(resp, 400, "invalid_parameter", "message id must be a positive integer");
    return;
  }
  auto found = gateway_.store().getMessage(id);
  if (!found.ok()) {
    setStoreError(resp, found.error(), "message_not_found");
    return;
  }
  if (!found.value().has_value()) {
    setError(resp, 404, "message_not_found", "no message with id " + std::to_string(id));
    return;
  }
  auto attempts = gateway_.store().attempts(id);
  if (!attempts.ok()) {
    setStoreError(resp, attempts.error(), "message_not_found");
    return;
  }
  json j = messageJson(*found.value(), /*with_payload=*/true);
  json list = json::array();
  for (const auto& a : attempts.value()) list.push_back(attemptJson(a));
  j["attempts"] = std::move(list);
  resp.status = 200;
  resp.body = dumpSafe(j);
}

void Api::listMessages(const Request& req, Response& resp) {
  store::MessageFilter filter;
  auto status = [&](const std::string& name, const std::string& value, std::string* err) {
    if (name != "status") return false;
    if (value.empty()) return true;
    store::MessageStatus st;
    if (!store::parseMessageStatus(value, &st)) {
      *err = "status must be one of pending, inflight, delivered, dead, awaiting_approval";
      return false;
    }
    filter.status = st;
    return true;
  };
  if (!parseListQuery(req.query, &filter, "route, status, key, limit, cursor", status, resp)) return;
  auto list = gateway_.store().listMessages(filter);
  if (!list.ok()) {
    setStoreError(resp, list.error(), "not_found");
    return;
  }
  writePage(list.value(), filter.limit,
            [](const store::Message& m) { return messageJson(m, /*with_payload=*/false); }, resp);
}

}  // namespace qiao::http::detail
