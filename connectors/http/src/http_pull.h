// The pieces of the `http` source that need no network: its `pull:` settings, record times and
// the watermark (newest emitted modified time + the (id, modified) pairs already emitted inside
// the overlap window). Unit-testable on plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qiao/core/result.h"
#include "qiao/sdk/field_spec.h"
#include "qiao/sdk/pull_window.h"

namespace qiao::connectors::http {

// How the watermark goes into since_param, and how a numeric modified value is read.
enum class SinceFormat { kIso8601, kUnixMs, kUnixS };

struct HttpPullConfig {
  std::string entity;                          // required: Record::entity
  std::string since_param = "modified_since";  // "" = not sent (the endpoint lists everything)
  std::string cursor_param = "cursor";
  std::string limit_param = "limit";           // "" = not sent
  int page_size = 100;
  std::string items = "/items";                // JSON pointer; "" = the reply is the array
  std::string next_cursor = "/next_cursor";    // JSON pointer; "" = one page per poll
  std::string id_field = "/id";
  std::string modified_field = "/modifiedAt";
  int64_t overlap_ms = 60'000;
  SinceFormat since_format = SinceFormat::kIso8601;
  std::vector<std::pair<std::string, std::string>> extra_query;  // fixed query parameters
  int max_pages = 100;    // pages one poll may read
  int max_seen = 10000;   // (id, modified) pairs the watermark keeps
};

// The children of the `pull:` settings block (config validation and docs).
std::vector<sdk::FieldSpec> httpPullFieldSpecs();

// The `pull` object of the connector's settings JSON. Missing → kConfigInvalid saying what a
// source needs; every problem is reported at once, each naming its key ("pull.page_size").
Result<HttpPullConfig> parseHttpPullConfig(const std::string& settings_json);

// A record's modified time: ISO-8601 text (an offset or Z; none = UTC) or, as a JSON number,
// unix milliseconds (seconds with since_format unix_s). nullopt when it is neither.
std::optional<int64_t> parseModifiedText(std::string_view text);
// The lower bound as since_param's value.
std::string formatSince(int64_t ms, SinceFormat format);
// "2026-11-27T02:00:00.123Z": one spelling per instant.
std::string canonicalTime(int64_t ms);

// What the source remembers between polls. Text form:
// {"v":1,"kind":"http","newest":"2026-11-27T02:00:00.123Z","floor":"2026-11-27T01:59:00.123Z",
//  "seen":{"2026-11-27T01:59:30.000Z":["CU1","CU2"], ...}}
// Everything modified before `floor` counts as emitted; at or after it, the pairs in `seen`.
struct HttpPullWatermark {
  std::optional<int64_t> newest;  // modified time of the newest emitted record
  std::optional<int64_t> floor;
  sdk::SeenWindow<int64_t> seen;

  // max(newest - overlap, floor): what since_param carries (nullopt: from the beginning).
  std::optional<int64_t> lowerBoundMs(int64_t overlap_ms) const;
  bool emitted(const std::string& id, int64_t mtime) const;
  void add(const std::string& id, int64_t mtime);
  size_t seenCount() const;
  // Raises the floor to newest - overlap and forgets pairs below it; then, while more than
  // cap pairs remain, forgets the oldest instants and raises the floor over them. Returns how
  // many pairs the cap forgot.
  size_t prune(int64_t overlap_ms, size_t cap);
};

// "" → an empty watermark. Text that is not one is a permanent kInvalidArgument error.
Result<HttpPullWatermark> decodeHttpPullWatermark(const std::string& text);
std::string encodeHttpPullWatermark(const HttpPullWatermark& wm);

}  // namespace qiao::connectors::http
