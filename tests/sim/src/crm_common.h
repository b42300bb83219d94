// Pieces the CRM simulator's parts share: server time, ISO-8601 text, the API error shape,
// the strictly increasing write clock and the (modifiedAt, id) change index used for paging.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace qiao::sim::crm {

int64_t nowMs();
// "2026-11-26T08:00:00.123+08:00": China time, millisecond precision (what the CRM shows).
std::string isoMs(int64_t unix_ms);
// ISO-8601 with Z or an offset (fraction optional), or a plain unix-ms integer; nullopt if not.
std::optional<int64_t> parseTime(const std::string& text);

// The CRM's error body: {"error":{"code","message"[,"field"]}}.
nlohmann::json apiError(const std::string& code, const std::string& message,
                        const std::string& field = "");

// Hands out strictly increasing millisecond times: never two writes with the same modifiedAt,
// so an incremental pull that resumes from the last modifiedAt it saw cannot miss a tie.
// Not thread-safe: used under the owning book's lock.
class WriteClock {
 public:
  int64_t next() {
    last_ = std::max(nowMs(), last_ + 1);
    return last_;
  }
  // A run of n distinct times ending no later than now when there is room (bulk loads).
  int64_t reserve(int64_t n) {
    int64_t first = std::max(last_ + 1, nowMs() - n);
    last_ = first + n - 1;
    return first;
  }
  void observe(int64_t ms) { last_ = std::max(last_, ms); }
  int64_t last() const { return last_; }

 private:
  int64_t last_ = 0;
};

// Records ordered by (modified ms, id): pages are ranges of this set, and a cursor is a key
// of it, so a page boundary stays valid whatever is written in between.
using ChangeKey = std::pair<int64_t, std::string>;
using ChangeIndex = std::set<ChangeKey>;

// Cursor text "<ms>.<id>"; ids may contain dots, the first one separates.
std::string encodeCursor(const ChangeKey& key);
std::optional<ChangeKey> decodeCursor(const std::string& text);

// What a book answers: the HTTP reply, and whether the request changed anything.
struct Reply {
  int status = 200;
  std::string body;        // JSON text
  bool effect = false;     // the request changed stored state
  bool duplicate = false;  // a repeat of an earlier request: answered, nothing changed
};

// Called by a book with the changed record's JSON while it still holds its lock, so change
// events are queued in the order the changes happened. Empty = tell nobody.
using Notify = std::function<void(const std::string& record_json)>;

Reply errorReply(int status, const std::string& code, const std::string& message,
                 const std::string& field = "");

// A page request parsed from the query: where to start and how many.
struct PageQuery {
  ChangeKey after{INT64_MIN, ""};  // exclusive lower bound
  int64_t since_ms = INT64_MIN;    // inclusive lower bound on modified ms
  size_t limit = 100;
};
constexpr size_t kMaxPageLimit = 1000;

// Parses since (ISO-8601 or unix ms, "" = from the start), cursor and limit ("" = 100).
// On a bad value returns false with a 400 reply naming the parameter.
bool parsePage(const std::string& since_name, const std::string& since,
               const std::string& cursor, const std::string& limit, PageQuery* out, Reply* error);

// One page of `index` as {"items":[...],"count":n,"has_more":b,"next_cursor":"..."|null};
// record(id) gives an item's JSON text, or "" to skip it (skipped items still advance).
template <typename RecordFn>
std::string listPage(const ChangeIndex& index, const PageQuery& q, RecordFn record) {
  auto it = index.upper_bound(q.after);
  auto since = index.lower_bound(ChangeKey{q.since_ms, ""});
  if (it != index.end() && (since == index.end() || *since > *it)) it = since;  // the later
  std::string body = "{\"items\":[";
  size_t count = 0;
  const ChangeKey* last = nullptr;
  for (; it != index.end() && count < q.limit; ++it) {
    std::string text = record(it->second);
    last = &*it;
    if (text.empty()) continue;
    if (count++ > 0) body += ',';
    body += text;
  }
  bool more = it != index.end();
  body += "],\"count\":" + std::to_string(count) + ",\"has_more\":" + (more ? "true" : "false");
  body += ",\"next_cursor\":";
  body += more && last ? nlohmann::json(encodeCursor(*last)).dump() : "null";
  body += "}";
  return body;
}

}  // namespace qiao::sim::crm
