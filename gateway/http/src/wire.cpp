#include "wire.h"

#include <cstdint>
#include <cstdio>
#include <ctime>

#include "qiao/core/log.h"

namespace qiao::http::detail {
namespace {

using json = nlohmann::ordered_json;

void putTime(json& j, const char* name, int64_t ms) {
  std::string ms_name = std::string(name) + "_ms";
  if (ms <= 0) {
    j[name] = nullptr;
    j[ms_name] = nullptr;
  } else {
    j[name] = isoTime(ms);
    j[ms_name] = ms;
  }
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string errorBody(std::string_view code, std::string_view message) {
  std::string out;
  out.reserve(40 + code.size() + message.size());
  out += "{\"error\":{\"code\":";
  log::appendJsonString(out, code);
  out += ",\"message\":";
  // Messages may quote store or runtime errors; scrub registered secrets on the way out.
  log::appendJsonString(out, log::redact(message));
  out += "}}";
  return out;
}

std::string isoTime(int64_t ms) {
  if (ms <= 0) return {};
  time_t secs = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

bool percentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hexValue(in[i + 1]);
      int lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool parseQuery(std::string_view query, QueryParams* out, std::string* bad) {
  out->clear();
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string name, value;
    if (!percentDecode(part.substr(0, eq), true, &name)) {
      *bad = std::string(part.substr(0, eq));
      return false;
    }
    if (eq != std::string_view::npos && !percentDecode(part.substr(eq + 1), true, &value)) {
      *bad = name;
      return false;
    }
    out->emplace_back(std::move(name), std::move(value));
  }
  return true;
}

bool parseInt(std::string_view text, int64_t min, int64_t max, int64_t* out) {
  if (text.empty() || text.size() > 18) return false;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

json messageJson(const store::Message& m, bool with_payload) {
  json j = json::object();
  j["id"] = m.id;
  j["route"] = m.route;
  j["status"] = store::toString(m.status);
  j["attempt"] = m.attempt;
  j["business_key"] = m.record.business_key;
  j["idempotency_key"] = m.record.idempotency_key;
  j["trace_id"] = m.record.trace_id;
  j["entity"] = m.record.entity;
  j["source_system"] = m.record.source_system;
  j["remote_id"] = m.remote_id;
  j["last_error"] = log::redact(m.last_error);
  putTime(j, "next_attempt_at", m.next_attempt_at_ms);
  putTime(j, "created_at", m.record.created_at_ms);
  putTime(j, "updated_at", m.record.updated_at_ms);
  putTime(j, "delivered_at", m.delivered_at_ms);
  if (with_payload) {
    // The payload is JSON text; embed it as JSON, or as a string if it somehow is not.
    json p = json::parse(m.record.payload, nullptr, /*allow_exceptions=*/false);
    if (p.is_discarded()) {
      j["payload"] = m.record.payload;
    } else {
      j["payload"] = std::move(p);
    }
  }
  return j;
}

json attemptJson(const store::Attempt& a) {
  json j = json::object();
  j["attempt"] = a.attempt;
  j["status"] = a.status;
  j["error_class"] = a.error_class;
  j["error"] = log::redact(a.error);
  j["latency_us"] = a.latency_us;
  j["remote_id"] = a.remote_id;
  j["worker"] = a.worker;
  putTime(j, "at", a.at_ms);
  return j;
}

json deadLetterJson(const store::DeadLetter& d) {
  json j = json::object();
  j["id"] = d.id;
  j["message_id"] = d.message_id;
  j["route"] = d.route;
  j["business_key"] = d.business_key;
  j["reason"] = log::redact(d.reason);
  j["error_class"] = d.error_class;
  j["attempts"] = d.attempts;
  putTime(j, "created_at", d.created_at_ms);
  putTime(j, "replayed_at", d.replayed_at_ms);
  j["replayed"] = d.replayed_at_ms > 0;
  j["replayed_by"] = d.replayed_by;
  return j;
}

}  // namespace qiao::http::detail

namespace qiao::http::detail {

bool parsePaging(const std::string& name, const std::string& value, int max_limit, int* limit,
                 int64_t* after_id, bool* handled, std::string* error) {
  *handled = true;
  int64_t v = 0;
  if (name == "limit") {
    if (!parseInt(value, 1, max_limit, &v)) {
      *error = "limit must be an integer from 1 to " + std::to_string(max_limit);
      return false;
    }
    *limit = static_cast<int>(v);
    return true;
  }
  if (name == "cursor") {
    if (value.empty()) return true;
    if (!parseInt(value, 0, INT64_MAX / 10, &v)) {
      *error = "cursor must be the next_cursor value of a previous page";
      return false;
    }
    *after_id = v;
    return true;
  }
  *handled = false;
  return true;
}

std::string describeParseError(const nlohmann::ordered_json::parse_error& e) {
  // what(): "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..."
  std::string_view what = e.what();
  size_t bracket = what.find("] ");
  if (bracket != std::string_view::npos) what.remove_prefix(bracket + 2);
  return "malformed JSON at byte " + std::to_string(e.byte) + ": " + std::string(what);
}

}  // namespace qiao::http::detail
