#include "http_pull.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <tuple>
#include <nlohmann/json.hpp>

#include "http_config.h"
#include "qiao/core/datetime.h"
#include "qiao/core/timezone.h"
#include "qiao/sdk/pull_settings.h"

namespace qiao::connectors::http {
namespace {

using nlohmann::json;
using sdk::FieldSpec;
using sdk::FieldType;

constexpr int kMaxPageSize = 10000;

bool validParamName(const std::string& s) {
  for (unsigned char c : s)
    if (c <= 32 || c >= 127 || c == '&' || c == '=' || c == '#' || c == '?') return false;
  return true;
}

// A JSON pointer ("/a/b"), or "" when empty_ok (the whole reply).
bool validPointer(const std::string& p, bool empty_ok) {
  if (p.empty()) return empty_ok;
  if (p.front() != '/') return false;
  try {
    json::json_pointer check(p);
    (void)check;
  } catch (const json::exception&) {
    return false;
  }
  return true;
}

std::string scalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return "";
}

}  // namespace

std::vector<FieldSpec> httpPullFieldSpecs() {
  std::vector<FieldSpec> f;
  auto add = [&f](std::string name, FieldType t, bool req, std::string def,
                  std::vector<std::string> allowed, std::string desc, std::string example) {
    f.push_back({std::move(name), t, req, std::move(def), std::move(allowed), std::move(desc),
                 std::move(example), {}});
  };
  add("entity", FieldType::kString, true, "", {}, "Entity of the pulled records.", "customer");
  add("since_param", FieldType::kString, false, "modified_since", {},
      "Query parameter carrying the watermark minus the overlap (empty = not sent).",
      "updated_after");
  add("cursor_param", FieldType::kString, false, "cursor", {},
      "Query parameter carrying the next page's cursor.", "page_token");
  add("limit_param", FieldType::kString, false, "limit", {},
      "Query parameter carrying page_size (empty = not sent).", "per_page");
  add("page_size", FieldType::kInt, false, "100", {}, "Records asked for per page (1-10000).",
      "500");
  add("items", FieldType::kString, false, "/items", {},
      "JSON pointer to the array of records in a reply (\"\" = the reply is the array).",
      "/data/list");
  add("next_cursor", FieldType::kString, false, "/next_cursor", {},
      "JSON pointer to the next page's cursor; absent, null or \"\" = last page (\"\" as the "
      "setting = one page per poll).",
      "/nextCursor");
  add("id_field", FieldType::kString, false, "/id", {},
      "JSON pointer into each record to its id (the business key).", "/customerId");
  add("modified_field", FieldType::kString, false, "/modifiedAt", {},
      "JSON pointer into each record to its modified time (ISO-8601, or unix time as a number).",
      "/updated_at");
  add("overlap", FieldType::kDuration, false, "1m", {},
      "Window re-read before the watermark (clock skew, late commits); what was already "
      "emitted in it is skipped.",
      "5m");
  add("since_format", FieldType::kEnum, false, "iso8601", {"iso8601", "unix_ms", "unix_s"},
      "How since_param is written (iso8601: 2026-11-27T02:00:00.123Z); unix_s also reads numeric "
      "modified values as seconds.",
      "unix_ms");
  add("extra_query", FieldType::kObject, false, "", {},
      "Fixed query parameters added to every request (free-form keys).",
      "{include_deleted: \"true\"}");
  add("max_pages", FieldType::kInt, false, "100", {},
      "Pages one poll may read (1-100000); a poll that reaches it returns what it has and polls "
      "again.",
      "1000");
  add("max_seen", FieldType::kInt, false, "10000", {},
      "Most (id, modified) pairs the watermark keeps (100-1000000); set it above the records "
      "changed within one overlap window.",
      "50000");
  return f;
}

Result<HttpPullConfig> parseHttpPullConfig(const std::string& text) {
  auto fail = [](const std::string& msg) {
    return Error::permanent(ErrorCode::kConfigInvalid, "http source: " + msg);
  };
  json j = json::parse(text.empty() ? "{}" : text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("settings are not a JSON object");
  auto it = j.find("pull");
  if (it == j.end() || !it->is_object())
    return fail("'pull' is required to use http as a source (pull: {entity: customer, "
                "id_field: /customerId, ...})");
  const json& p = *it;
  HttpPullConfig c;
  sdk::PullSettingsReader read(p);
  std::vector<std::string>& problems = read.problems();
  std::string since_format = "iso8601";
  read.str("entity", &c.entity);
  read.str("since_param", &c.since_param);
  read.str("cursor_param", &c.cursor_param);
  read.str("limit_param", &c.limit_param);
  read.str("items", &c.items);
  read.str("next_cursor", &c.next_cursor);
  read.str("id_field", &c.id_field);
  read.str("modified_field", &c.modified_field);
  read.str("since_format", &since_format);
  read.integer("page_size", 1, kMaxPageSize, &c.page_size);
  read.integer("max_pages", 1, 100000, &c.max_pages);
  read.integer("max_seen", 100, 1000000, &c.max_seen);
  read.duration("overlap", "1m", &c.overlap_ms);
  if (auto v = p.find("extra_query"); v != p.end() && !v->is_null()) {
    if (!v->is_object()) {
      problems.push_back("pull.extra_query must be a map of parameter name to value");
    } else {
      for (const auto& [name, value] : v->items()) {
        if (name.empty() || !validParamName(name))
          problems.push_back("pull.extra_query." + name + ": not a valid parameter name");
        else if (!value.is_string() && !value.is_number() && !value.is_boolean())
          problems.push_back("pull.extra_query." + name + " must be a string");
        else c.extra_query.emplace_back(name, scalarText(value));
      }
    }
  }
  read.rejectUnknown({"entity", "since_param", "cursor_param", "limit_param", "page_size", "items",
                      "next_cursor", "id_field", "modified_field", "overlap", "since_format",
                      "extra_query", "max_pages", "max_seen"});
  if (c.entity.empty()) problems.push_back("pull.entity is required (e.g. customer)");
  for (auto [name, value] : {std::pair{"since_param", &c.since_param},
                             std::pair{"cursor_param", &c.cursor_param},
                             std::pair{"limit_param", &c.limit_param}})
    if (!validParamName(*value))
      problems.push_back(std::string("pull.") + name + " is not a valid query parameter name");
  if (c.cursor_param.empty() && !c.next_cursor.empty())
    problems.push_back("pull.cursor_param must not be empty while pull.next_cursor is set");
  for (auto [name, value, empty_ok] :
       {std::tuple{"items", &c.items, true}, std::tuple{"next_cursor", &c.next_cursor, true},
        std::tuple{"id_field", &c.id_field, false},
        std::tuple{"modified_field", &c.modified_field, false}})
    if (!validPointer(*value, empty_ok))
      problems.push_back(std::string("pull.") + name + " must be a JSON pointer such as \"/" +
                         (std::string(name) == "items" ? "items" : "id") + "\" (got '" + *value +
                         "')");
  if (since_format == "iso8601") c.since_format = SinceFormat::kIso8601;
  else if (since_format == "unix_ms") c.since_format = SinceFormat::kUnixMs;
  else if (since_format == "unix_s") c.since_format = SinceFormat::kUnixS;
  else problems.push_back("pull.since_format must be iso8601, unix_ms or unix_s (got '" +
                          since_format + "')");
  if (!problems.empty()) {
    std::string msg;
    for (const auto& s : problems) msg += (msg.empty() ? "" : "; ") + s;
    return fail(msg);
  }
  return c;
}

std::optional<int64_t> parseModifiedText(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  auto ms = parseInstantMs(text, *TimeZone::utc());
  if (!ms.ok()) return std::nullopt;
  return *ms;
}

std::string canonicalTime(int64_t ms) {
  // Always with milliseconds, so equal instants have equal text.
  LocalDateTime t = fromEpochSecondsAsUtc(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int frac = static_cast<int>(ms - (ms >= 0 ? ms / 1000 : (ms - 999) / 1000) * 1000);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.year, t.month, t.day,
                t.hour, t.minute, t.second, frac);
  return buf;
}

std::string formatSince(int64_t ms, SinceFormat format) {
  switch (format) {
    case SinceFormat::kUnixMs:
      return std::to_string(ms);
    case SinceFormat::kUnixS:
      return std::to_string(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);  // floor: never later
    case SinceFormat::kIso8601:
      break;
  }
  return canonicalTime(ms);
}

std::optional<int64_t> HttpPullWatermark::lowerBoundMs(int64_t overlap_ms) const {
  if (!newest) return floor;
  int64_t lower = *newest - overlap_ms;
  if (floor && *floor > lower) lower = *floor;
  return lower;
}

bool HttpPullWatermark::emitted(const std::string& id, int64_t mtime) const {
  if (floor && mtime < *floor) return true;
  return seen.contains(id, mtime);
}

void HttpPullWatermark::add(const std::string& id, int64_t mtime) {
  seen.add(id, mtime);
  if (!newest || mtime > *newest) newest = mtime;
}

size_t HttpPullWatermark::seenCount() const { return seen.count(); }

size_t HttpPullWatermark::prune(int64_t overlap_ms, size_t cap) {
  if (newest) {
    int64_t lower = *newest - overlap_ms;
    if (!floor || *floor < lower) floor = lower;
  }
  if (floor) seen.forgetBefore(*floor);
  std::optional<int64_t> last_forgotten;
  size_t forgotten = seen.capByInstant(cap, &last_forgotten);
  if (last_forgotten) floor = *last_forgotten + 1;
  return forgotten;
}

Result<HttpPullWatermark> decodeHttpPullWatermark(const std::string& text) {
  HttpPullWatermark wm;
  if (text.empty()) return wm;
  auto bad = [](const std::string& why) {
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "http source: the stored watermark is not one this source wrote (" +
                                why + "); clear the route's watermark to pull from the start");
  };
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("v", 0) != 1 ||
      j.value("kind", std::string()) != "http")
    return bad("no {\"v\":1,\"kind\":\"http\"}");
  auto time = [&](const json& v) -> std::optional<int64_t> {
    if (!v.is_string()) return std::nullopt;
    return parseModifiedText(v.get<std::string>());
  };
  if (auto it = j.find("newest"); it != j.end() && !it->is_null()) {
    wm.newest = time(*it);
    if (!wm.newest) return bad("newest is not a time");
  }
  if (auto it = j.find("floor"); it != j.end() && !it->is_null()) {
    wm.floor = time(*it);
    if (!wm.floor) return bad("floor is not a time");
  }
  if (auto it = j.find("seen"); it != j.end()) {
    if (!it->is_object()) return bad("seen is not an object");
    for (const auto& [t, ids] : it->items()) {
      auto ms = parseModifiedText(t);
      if (!ms || !ids.is_array()) return bad("seen has an entry that is not time → [ids]");
      for (const auto& id : ids) {
        if (!id.is_string()) return bad("seen has an id that is not text");
        wm.seen.add(id.get<std::string>(), *ms);
      }
    }
  }
  return wm;
}

std::string encodeHttpPullWatermark(const HttpPullWatermark& wm) {
  json j{{"v", 1}, {"kind", "http"}};
  if (wm.newest) j["newest"] = canonicalTime(*wm.newest);
  if (wm.floor) j["floor"] = canonicalTime(*wm.floor);
  json seen = json::object();
  for (const auto& [t, ids] : wm.seen) seen[canonicalTime(t)] = ids;
  j["seen"] = std::move(seen);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace qiao::connectors::http
