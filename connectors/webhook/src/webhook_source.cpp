#include "webhook_source.h"

#include "qiao/core/json_depth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace qiao::connectors::webhook {
namespace {

using nlohmann::json;

constexpr int kMaxNesting = 64;
constexpr size_t kMaxHeaderValue = 200;
constexpr size_t kDigestLen = 32;

Error configError(const std::string& msg) {
  return Error::permanent(ErrorCode::kConfigInvalid, "webhook source: " + msg);
}
Error unauthorized(const std::string& msg) {
  return Error::permanent(ErrorCode::kUnauthorized, msg);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool validHeaderName(const std::string& name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_';
  });
}

// Short printable ASCII: it becomes an idempotency key, a header to the sink, log text.
bool validHeaderValue(const std::string& v) {
  if (v.empty() || v.size() > kMaxHeaderValue) return false;
  return std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

Status readString(const json& j, const char* key, bool allow_empty, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) return configError(std::string("'") + key + "' must be a string");
  std::string v = it->get<std::string>();
  if (v.empty() && !allow_empty) return configError(std::string("'") + key + "' must not be empty");
  *out = std::move(v);
  return {};
}

Status readHeaderName(const json& j, const char* key, bool allow_empty, std::string* out) {
  QIAO_RETURN_IF_ERROR(readString(j, key, allow_empty, out));
  if (!out->empty() && !validHeaderName(*out))
    return configError(std::string("'") + key + "' is not a valid header name");
  return {};
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "sha256=<64 hex>" or a bare 64-hex digest -> 32 bytes; false if it is neither.
bool decodeSignature(std::string v, unsigned char* out) {
  while (!v.empty() && v.back() == ' ') v.pop_back();
  while (!v.empty() && v.front() == ' ') v.erase(0, 1);
  if (v.size() > 7 && lower(v.substr(0, 7)) == "sha256=") v.erase(0, 7);
  if (v.size() != kDigestLen * 2) return false;
  for (size_t i = 0; i < kDigestLen; ++i) {
    int hi = hexValue(v[2 * i]), lo = hexValue(v[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

bool hmacSha256(const std::string& key, const std::string& data, unsigned char* out) {
  unsigned int len = 0;
  return HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len) !=
             nullptr &&
         len == kDigestLen;
}

std::string toHex(const unsigned char* p, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = kDigits[p[i] >> 4];
    s[2 * i + 1] = kDigits[p[i] & 15];
  }
  return s;
}

const std::string* header(const sdk::WebhookRequest& r, const std::string& lower_name) {
  if (lower_name.empty()) return nullptr;
  auto it = r.headers.find(lower_name);
  return it == r.headers.end() ? nullptr : &it->second;
}

// "5m", "90s" or "1500ms" for messages.
std::string showDuration(int64_t ms) {
  if (ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace

std::string hmacSha256Hex(const std::string& key, const std::string& data) {
  unsigned char mac[kDigestLen];
  if (!hmacSha256(key, data, mac)) return "";
  return toHex(mac, kDigestLen);
}

Result<WebhookConfig> parseWebhookConfig(const std::string& json_text) {
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return configError("settings must be a JSON object");
  WebhookConfig c;
  auto it = j.find("secret");
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty())
    return configError("'secret' is required (the HMAC-SHA256 key shared with the sender)");
  c.secret = it->get<std::string>();
  QIAO_RETURN_IF_ERROR(readHeaderName(j, "signature_header", false, &c.signature_header));
  QIAO_RETURN_IF_ERROR(readHeaderName(j, "timestamp_header", true, &c.timestamp_header));
  QIAO_RETURN_IF_ERROR(readHeaderName(j, "event_id_header", true, &c.event_id_header));
  QIAO_RETURN_IF_ERROR(readString(j, "entity", true, &c.entity));
  QIAO_RETURN_IF_ERROR(readString(j, "records_pointer", true, &c.records_pointer));
  if (auto rt = j.find("require_timestamp"); rt != j.end() && !rt->is_null()) {
    if (!rt->is_boolean()) return configError("'require_timestamp' must be true or false");
    c.require_timestamp = rt->get<bool>();
  }
  if (auto tol = j.find("tolerance"); tol != j.end() && !tol->is_null()) {
    if (!tol->is_number_integer() || tol->get<int64_t>() <= 0)
      return configError("'tolerance' must be a positive duration");
    c.tolerance_ms = tol->get<int64_t>();
  }
  if (c.require_timestamp && c.timestamp_header.empty())
    return configError("'require_timestamp' is true but 'timestamp_header' is empty");
  if (!c.records_pointer.empty()) {
    try {
      json::json_pointer p(c.records_pointer);
    } catch (const json::exception&) {
      return configError("'records_pointer' is not a JSON pointer such as /data/items");
    }
  }
  return c;
}

WebhookSource::WebhookSource(WebhookConfig config, std::string name, const Clock& clock)
    : config_(std::move(config)), name_(std::move(name)), clock_(clock) {}

Result<sdk::PollResult> WebhookSource::poll(const std::string& watermark, size_t) {
  // Pushes only: a schedule pointed here by mistake finds nothing and moves nothing.
  sdk::PollResult r;
  r.watermark = watermark;
  return r;
}

sdk::Health WebhookSource::health() { return {true, "waiting for pushes"}; }

Status WebhookSource::authenticate(const sdk::WebhookRequest& request) const {
  const std::string& sig_name = config_.signature_header;
  const std::string& ts_name = config_.timestamp_header;
  const std::string* sig = header(request, lower(sig_name));
  if (sig == nullptr || sig->empty()) return unauthorized("missing " + sig_name + " header");
  const std::string* ts = header(request, lower(ts_name));
  if (ts != nullptr && ts->empty()) ts = nullptr;
  if (ts == nullptr && config_.require_timestamp)
    return unauthorized("missing " + ts_name + " header (unix seconds, signed with the body)");
  int64_t ts_seconds = 0;
  if (ts != nullptr) {
    if (ts->size() > 12 || !std::all_of(ts->begin(), ts->end(), [](char c) { return c >= '0' && c <= '9'; }))
      return unauthorized(ts_name + " must be unix seconds");
    ts_seconds = std::stoll(*ts);
  }

  unsigned char given[kDigestLen];
  if (!decodeSignature(*sig, given))
    return unauthorized(sig_name + " must be sha256=<64 hex digits>");
  // Signed content: "<timestamp>.<body>" when a timestamp is sent, else the body alone.
  unsigned char expected[kDigestLen];
  bool computed = ts != nullptr ? hmacSha256(config_.secret, *ts + "." + request.body, expected)
                                : hmacSha256(config_.secret, request.body, expected);
  if (!computed) return Error::permanent(ErrorCode::kInternal, "HMAC-SHA256 failed");
  if (CRYPTO_memcmp(given, expected, kDigestLen) != 0)
    return unauthorized(sig_name + " does not match the request");

  if (ts != nullptr) {
    int64_t skew = clock_.nowMs() - ts_seconds * 1000;
    if (skew > config_.tolerance_ms || -skew > config_.tolerance_ms)
      return unauthorized(ts_name + ": timestamp outside the tolerance of " +
                          showDuration(config_.tolerance_ms));
  }
  return {};
}

Result<sdk::WebhookReply> WebhookSource::onWebhook(const sdk::WebhookRequest& request) {
  if (request.method != "POST")
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "this webhook accepts only POST with a signed JSON body; " +
                                request.method + " is not supported (no URL verification)");
  QIAO_RETURN_IF_ERROR(authenticate(request));

  std::string event_id;
  if (const std::string* e = header(request, lower(config_.event_id_header)); e && !e->empty()) {
    if (!validHeaderValue(*e))
      return Error::permanent(ErrorCode::kInvalidArgument,
                              config_.event_id_header + " must be at most 200 printable ASCII characters");
    event_id = *e;
  } else if (header(request, lower(config_.timestamp_header)) != nullptr) {
    // No event id: an exact replay (same timestamp and body) has the same signature, so
    // keying on the signature still makes it one message.
    std::string signed_text = *header(request, lower(config_.timestamp_header)) + "." + request.body;
    event_id = "sig:" + hmacSha256Hex(config_.secret, signed_text).substr(0, 32);
  }
  std::string trace_id;
  if (const std::string* t = header(request, "x-trace-id"); t && validHeaderValue(*t)) trace_id = *t;

  if (jsonNestingDepth(request.body, kMaxNesting) > kMaxNesting)
    return Error::permanent(ErrorCode::kMalformedJson,
                            "JSON nested deeper than " + std::to_string(kMaxNesting) + " levels");
  json doc;
  try {
    doc = json::parse(request.body);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what.erase(0, p + 2);
    return Error::permanent(ErrorCode::kMalformedJson,
                            "malformed JSON at byte " + std::to_string(e.byte) + ": " + what);
  }

  const json* items = &doc;
  if (!config_.records_pointer.empty()) {
    json::json_pointer ptr(config_.records_pointer);  // validated at config time
    if (!doc.contains(ptr))
      return Error::permanent(ErrorCode::kInvalidArgument,
                              "records_pointer " + config_.records_pointer + " is not in the body");
    items = &doc.at(ptr);
  }

  std::vector<Record> records;
  auto add = [&](const json& obj, const std::string& key) {
    Record r;
    r.payload = obj.dump(-1, ' ', false, json::error_handler_t::replace);
    r.entity = config_.entity;
    r.idempotency_key = key;
    r.trace_id = trace_id;
    records.push_back(std::move(r));
  };
  if (items->is_object()) {
    add(*items, event_id);
  } else if (items->is_array()) {
    for (size_t i = 0; i < items->size(); ++i) {
      if (!(*items)[i].is_object())
        return Error::permanent(ErrorCode::kInvalidArgument,
                                "record at index " + std::to_string(i) + " is not a JSON object");
    }
    for (size_t i = 0; i < items->size(); ++i)
      add((*items)[i], event_id.empty() ? "" : event_id + ":" + std::to_string(i));
  } else {
    return Error::permanent(ErrorCode::kInvalidArgument,
                            std::string(config_.records_pointer.empty() ? "the body" : "records_pointer " + config_.records_pointer) +
                                " must be a JSON object or an array of objects");
  }

  sdk::WebhookReply reply;
  reply.status = 200;
  reply.content_type = "application/json";
  reply.body = "{\"accepted\":" + std::to_string(records.size()) + "}";
  reply.records = std::move(records);
  return reply;
}

}  // namespace qiao::connectors::webhook
