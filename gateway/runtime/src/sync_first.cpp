// The first sync through the gateway (POST /api/v1/sync/first-sync, docs/sync.md): the body's
// two lists of customers cut out without building a tree, handed to the service one record at
// a time, the writes enqueued a page at a time once it committed.
#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include <functional>
#include <optional>
#include <string_view>

#include "gateway_impl.h"
#include "qiao/core/clock.h"
#include "qiao/core/log.h"
#include "qiao/sync/service.h"
#include "sync_runtime.h"

namespace qiao::runtime {

using nlohmann::json;

namespace {

size_t skipSpace(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  return i;
}

// Just past the string starting at s[i] == '"'; npos when it does not end.
size_t stringEnd(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') ++i;
    else if (s[i] == '"') return i + 1;
  }
  return std::string_view::npos;
}

// Just past the JSON value starting at s[i]: an object or array by bracket depth (strings
// skipped), a string, or a scalar up to the next delimiter. npos when it does not end.
size_t valueEnd(std::string_view s, size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') return stringEnd(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      if (c == '"') {
        i = stringEnd(s, i);
        if (i == std::string_view::npos) return i;
        --i;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        return i + 1;
      }
    }
    return std::string_view::npos;
  }
  size_t j = i;
  while (j < s.size() && s[j] != ',' && s[j] != ']' && s[j] != '}' && s[j] != ' ' && s[j] != '\n' && s[j] != '\r' && s[j] != '\t') ++j;
  return j == i ? std::string_view::npos : j;
}

}  // namespace

// {"<key>":[elements],...}: the text of every element of every top-level array (a key whose
// value is not an array maps to nullopt), no tree built. Only the structure is checked here;
// each element is parsed alone by whoever reads it. Errors name the byte offset.
static Result<std::map<std::string, std::optional<std::vector<std::string_view>>>> topLevelArrays(std::string_view s) {
  std::map<std::string, std::optional<std::vector<std::string_view>>> out;
  auto bad = [&](size_t at, const char* what) {
    return Error::permanent(ErrorCode::kInvalidArgument, std::string(what) + " at byte " + std::to_string(at));
  };
  size_t i = skipSpace(s, 0);
  if (i >= s.size() || s[i] != '{') return bad(i, "not a JSON object");
  i = skipSpace(s, i + 1);
  if (i < s.size() && s[i] == '}') i = skipSpace(s, i + 1);
  else
    for (;;) {
      if (i >= s.size() || s[i] != '"') return bad(i, "expected a member name");
      const size_t key_end = stringEnd(s, i);
      if (key_end == std::string_view::npos) return bad(i, "unterminated member name");
      std::string_view key_text = s.substr(i, key_end - i);
      std::string key(key_text.substr(1, key_text.size() - 2));
      if (key.find('\\') != std::string::npos) {
        json k = json::parse(key_text, nullptr, false);
        if (!k.is_string()) return bad(i, "bad member name");
        key = k.get<std::string>();
      }
      i = skipSpace(s, key_end);
      if (i >= s.size() || s[i] != ':') return bad(i, "expected ':'");
      i = skipSpace(s, i + 1);
      if (i < s.size() && s[i] == '[') {
        std::vector<std::string_view> elements;
        i = skipSpace(s, i + 1);
        if (i < s.size() && s[i] == ']') {
          ++i;
        } else {
          for (;;) {
            const size_t end = valueEnd(s, i);
            if (end == std::string_view::npos) return bad(i, "unterminated value");
            elements.push_back(s.substr(i, end - i));
            i = skipSpace(s, end);
            if (i < s.size() && s[i] == ',') {
              i = skipSpace(s, i + 1);
              continue;
            }
            if (i < s.size() && s[i] == ']') {
              ++i;
              break;
            }
            return bad(i, "expected ',' or ']'");
          }
        }
        out[key] = std::move(elements);
      } else {
        const size_t end = valueEnd(s, i);
        if (end == std::string_view::npos) return bad(i, "unterminated value");
        out[key] = std::nullopt;
        i = end;
      }
      i = skipSpace(s, i);
      if (i < s.size() && s[i] == ',') {
        i = skipSpace(s, i + 1);
        continue;
      }
      if (i < s.size() && s[i] == '}') {
        i = skipSpace(s, i + 1);
        break;
      }
      return bad(i, "expected ',' or '}'");
    }
  if (i != s.size()) return bad(i, "text after the object");
  return out;
}

// The body's customers as the first sync's input: each one's text is cut out of the body
// once (a view, no copy) and mapped to its canonical form whenever the service asks.
class BodyInput final : public sync::FirstSyncInput {
 public:
  using Canonical = std::function<Result<std::string>(std::size_t side, std::string_view text)>;
  BodyInput(std::vector<std::string_view> a, std::vector<std::string_view> b, Canonical canonical)
      : lists_{std::move(a), std::move(b)}, canonical_(std::move(canonical)) {}
  std::size_t size(std::size_t side) const override { return lists_[side].size(); }
  Result<std::string> record(std::size_t side, std::size_t index) const override {
    return canonical_(side, lists_[side][index]);
  }

 private:
  std::vector<std::string_view> lists_[2];
  Canonical canonical_;
};

// POST /api/v1/sync/first-sync: both sides' records (their own shapes) matched and linked.
Result<std::string> GatewayImpl::syncFirstSync(const std::string& body) {
  if (!sync_) return Error::permanent(ErrorCode::kConfigInvalid, "sync is not enabled (no sync: section)");
  const int64_t t0 = steadyNowUs();
  // No tree of the whole body (a 150 MB body of 200,000 customers is well over a GB as one)
  // and no list of canonical customers: each customer's text is cut out of the body and
  // mapped when the service reads it (twice: for its keys, then with its chunk).
  const auto& sides = cfg_.sync.sides;
  auto arrays = topLevelArrays(body);
  if (!arrays.ok())
    return Error::permanent(ErrorCode::kInvalidArgument, "body: expected {\"" + sides[0].name + "\":[...],\"" + sides[1].name + "\":[...]}: " + arrays.error().message);
  std::vector<std::string_view> lists[2];
  for (std::size_t i = 0; i < 2; ++i) {
    auto list = arrays->find(sides[i].name);
    if (list == arrays->end() || !list->second)
      return Error::permanent(ErrorCode::kInvalidArgument, sides[i].name + ": expected an array of customers");
    lists[i] = std::move(*list->second);
  }
  arrays->clear();
  BodyInput input(std::move(lists[0]), std::move(lists[1]), [&](std::size_t side, std::string_view text) {
    return syncCanonical(sides[side].name, std::string(text));
  });
  // The process's peak RSS so far (MB), logged: where a big first sync peaks.
  auto peakMb = [] {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<long>(ru.ru_maxrss / 1024);
  };
  const long peak_read = peakMb();
  const int64_t t1 = steadyNowUs();
  int64_t enqueue_us = 0;
  sync::FirstSyncOptions options;
  options.refuse_bad_records = true;
  // A first sync of 100,000 a side runs for tens of seconds: a log line per phase and per
  // tenth of it, so whoever waits on the request can see it move.
  std::string last_phase;
  std::size_t last_tenth = 0;
  options.progress = [&](std::string_view phase, std::size_t done, std::size_t total) {
    const std::size_t tenth = total == 0 ? 10 : done * 10 / total;
    if (phase == last_phase && tenth == last_tenth) return;
    last_phase = std::string(phase);
    last_tenth = tenth;
    log::info("sync.first_sync_progress", {{"phase", last_phase}, {"done", static_cast<long>(done)},
                                           {"total", static_cast<long>(total)}, {"ms", static_cast<long>((steadyNowUs() - t0) / 1000)}});
  };
  options.pages = [&](std::vector<sync::SyncWrite>&& page) {
    const int64_t at = steadyNowUs();
    Status st = syncEnqueue(page);
    enqueue_us += steadyNowUs() - at;
    return st;
  };
  auto fs = sync_->svc->firstSync(input, options);
  if (!fs.ok()) return fs.error();
  if (!fs->handout_error.empty()) {
    // Committed: the writes not enqueued are pending in the sync and enqueued with the next
    // delivery into it, or at the next start (syncResume).
    sync_->enqueue_failed = true;
    log::error("sync.first_sync_enqueue_failed", {{"writes", static_cast<long>(fs->write_count)}, {"error", fs->handout_error}});
  }
  const int64_t t2 = steadyNowUs();
  log::info("sync.first_sync", {{"pairs", static_cast<long>(fs->pairs)},
                                {"writes", static_cast<long>(fs->write_count)},
                                {"parse_ms", static_cast<long>((t1 - t0) / 1000)},
                                {"plan_ms", static_cast<long>((t2 - t1 - enqueue_us) / 1000)},
                                {"enqueue_ms", static_cast<long>(enqueue_us / 1000)},
                                {"peak_mb_parse", peak_read},
                                {"peak_mb", peakMb()}});
  json out{{"pairs", fs->pairs}, {"reviewGroups", fs->review_groups}, {"unmatched", {{sides[0].name, fs->unmatched_crm}, {sides[1].name, fs->unmatched_k3}}},
           {"writes", fs->write_count}, {"conflicts", fs->conflicts}, {"taxCodeProblems", fs->tax_code_problems},
           {"waitingResolved", fs->waiting_resolved}};
  if (!fs->handout_error.empty())
    out["enqueueError"] = fs->handout_error + " (the writes are kept and enqueued again with the next sync delivery or at start)";
  return out.dump();
}

}  // namespace qiao::runtime
