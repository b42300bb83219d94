#include "http_source.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <strings.h>
#include <nlohmann/json.hpp>

#include "http_result.h"
#include "http_sink.h"
#include "qiao/core/clock.h"
#include "qiao/core/log.h"

namespace qiao::connectors::http {
namespace {

using nlohmann::json;

constexpr size_t kMaxPageBytes = 64u << 20;  // a page larger than this fails the poll

struct Capture {
  HttpReply reply;
  bool too_big = false;
};

size_t onBody(char* data, size_t size, size_t n, void* user) {
  auto* cap = static_cast<Capture*>(user);
  size_t len = size * n;
  if (cap->reply.body.size() + len > kMaxPageBytes) {
    cap->too_big = true;
    return 0;  // aborts the transfer
  }
  cap->reply.body.append(data, len);
  return len;
}

size_t onHeader(char* data, size_t size, size_t n, void* user) {
  auto* cap = static_cast<Capture*>(user);
  size_t len = size * n;
  std::string line(data, len);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    cap->reply.retry_after.clear();
    cap->reply.content_type.clear();
    return len;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos) return len;
  std::string name = line.substr(0, colon);
  for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string value = line.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  if (name == "retry-after") cap->reply.retry_after = value;
  else if (name == "content-type") cap->reply.content_type = value;
  return len;
}

std::string escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      static const char* hex = "0123456789ABCDEF";
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string idText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  return "";
}

// What a modified value means: text → ISO-8601; an integer → unix ms (or s).
std::optional<int64_t> modifiedMs(const json& v, SinceFormat format) {
  if (v.is_string()) return parseModifiedText(v.get<std::string>());
  if (v.is_number_integer() || v.is_number_unsigned()) {
    int64_t n = v.get<int64_t>();
    if (format == SinceFormat::kUnixS) {
      if (n > 100'000'000'000LL || n < -100'000'000'000LL) return std::nullopt;
      return n * 1000;
    }
    return n;
  }
  return std::nullopt;
}

std::string shortJson(const json& v) {
  std::string t = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return t.size() > 80 ? t.substr(0, 80) + "..." : t;
}

}  // namespace

struct HttpSource::Page {
  json items;  // an array
  std::string next_cursor;
};

Result<HttpSinkConfig> parseHttpSourceConnection(const std::string& settings_json) {
  auto cfg = parseHttpSinkConfig(settings_json);
  if (!cfg.ok()) {
    Error e = cfg.takeError();
    if (e.message.rfind("http sink: ", 0) == 0) e.message = "http source: " + e.message.substr(11);
    return e;
  }
  if (cfg->url.find('{') != std::string::npos)
    return Error::permanent(ErrorCode::kConfigInvalid,
                            "http source: url: a list endpoint has no {placeholders} (got " +
                                displayUrl(cfg->url) + ")");
  cfg->method = "GET";  // error messages name the method
  return cfg;
}

HttpSource::HttpSource(HttpSinkConfig cfg, HttpPullConfig pull, std::string instance_name)
    : cfg_(std::move(cfg)), pull_(std::move(pull)), instance_name_(std::move(instance_name)) {
  ensureCurlGlobalInit();
  display_url_ = displayUrl(cfg_.url);
  if (!cfg_.auth_token.empty()) log::registerSecret(cfg_.auth_token);
  curl_ = curl_easy_init();
}

HttpSource::~HttpSource() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

std::string HttpSource::pageUrl(const std::optional<int64_t>& lower,
                                const std::string& cursor) const {
  std::string url = cfg_.url;
  std::string fragment;
  if (auto hash = url.find('#'); hash != std::string::npos) {
    fragment = url.substr(hash);
    url.resize(hash);
  }
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  auto param = [&](const std::string& name, const std::string& value) {
    url += sep;
    url += escape(name) + "=" + escape(value);
    sep = '&';
  };
  for (const auto& [k, v] : pull_.extra_query) param(k, v);
  if (lower && !pull_.since_param.empty())
    param(pull_.since_param, formatSince(*lower, pull_.since_format));
  if (!pull_.limit_param.empty()) param(pull_.limit_param, std::to_string(pull_.page_size));
  if (!cursor.empty()) param(pull_.cursor_param, cursor);
  return url + fragment;
}

Result<HttpSource::Page> HttpSource::fetch(const std::string& url, int page_no) {
  const std::string where = "GET " + display_url_ + " (page " + std::to_string(page_no) + ")";
  auto* c = static_cast<CURL*>(curl_);
  if (!c) return Error::transient(ErrorCode::kConnectorError, "http source: curl_easy_init failed");
  curl_easy_reset(c);  // keeps the connection cache
  HeaderList headers;
  bool accept_set = false;
  for (const auto& [k, v] : cfg_.headers) {
    headers.add(k + ": " + v);
    accept_set = accept_set || strcasecmp(k.c_str(), "Accept") == 0;
  }
  if (!accept_set) headers.add("Accept: application/json");
  if (!cfg_.auth_token.empty()) headers.add("Authorization: Bearer " + cfg_.auth_token);

  Capture cap;
  char errbuf[CURL_ERROR_SIZE] = {0};
  setCommonCurlOptions(c, cfg_, url, static_cast<long>(cfg_.timeout_ms), errbuf);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "qiao-http-source/0.1");
  curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // gzip if the server offers it
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &cap);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &cap);
  long status = 0;
  CURLcode rc = performRequest(c, &status);

  if (cap.too_big)
    return Error::permanent(ErrorCode::kRemotePermanent,
                            "http source: " + where + ": reply larger than " +
                                std::to_string(kMaxPageBytes >> 20) + " MiB; lower pull.page_size");
  if (rc != CURLE_OK) {
    // The detail may quote the URL with its query: name the display URL instead.
    std::string detail = errbuf;
    for (size_t pos = detail.find(url); pos != std::string::npos; pos = detail.find(url, pos))
      detail.replace(pos, url.size(), display_url_);
    Error e = classifyTransportError(rc, detail, display_url_, cfg_);
    e.message = "http source: " + e.message + " (page " + std::to_string(page_no) + ")";
    return e;
  }
  cap.reply.status = status;
  if (status < 200 || status > 299) {
    auto r = classifyReply(cap.reply, cfg_, display_url_, Clock::system().nowMs());
    Error e = r.ok() ? Error::permanent(ErrorCode::kRemotePermanent, "unexpected reply")
                     : r.takeError();
    e.message = "http source: " + e.message;
    return e;
  }
  json body = json::parse(cap.reply.body, nullptr, false);
  if (body.is_discarded())
    return Error::permanent(ErrorCode::kRemotePermanent,
                            "http source: " + where + ": the reply is not JSON: " +
                                excerpt(cap.reply.body, 200, cfg_.auth_token));
  Page page;
  json::json_pointer items_ptr(pull_.items);
  if (!body.contains(items_ptr) || !body.at(items_ptr).is_array())
    return Error::permanent(ErrorCode::kRemotePermanent,
                            "http source: " + where + ": the reply has no array at pull.items '" +
                                pull_.items + "'");
  page.items = std::move(body.at(items_ptr));
  if (!pull_.next_cursor.empty()) {
    json::json_pointer cur_ptr(pull_.next_cursor);
    if (body.contains(cur_ptr)) {
      const json& v = body.at(cur_ptr);
      if (v.is_string()) page.next_cursor = v.get<std::string>();
      else if (v.is_number()) page.next_cursor = v.dump();
      else if (!v.is_null())
        return Error::permanent(ErrorCode::kRemotePermanent,
                                "http source: " + where + ": pull.next_cursor '" +
                                    pull_.next_cursor + "' is neither text, a number nor null: " +
                                    shortJson(v));
    }
  }
  return page;
}

Result<sdk::PollResult> HttpSource::poll(const std::string& watermark, size_t max_records) {
  std::lock_guard lock(mu_);  // one easy handle
  auto decoded = decodeHttpPullWatermark(watermark);
  if (!decoded.ok()) return decoded.takeError();
  HttpPullWatermark wm = std::move(decoded).value();
  const size_t want = std::max<size_t>(1, max_records);
  // Without cursor paging (pull.next_cursor ""), pages are keyed by since: each next page
  // starts at the newest modified time of the previous one.
  std::optional<int64_t> since = wm.lowerBoundMs(pull_.overlap_ms);

  struct Fresh {
    int64_t mtime;
    std::string id;
    std::string payload;
  };
  std::vector<Fresh> fresh;
  std::set<std::pair<std::string, int64_t>> taken;  // (id, mtime) picked by this poll
  std::string cursor;
  bool cut = false;  // stopped before the last page
  int pages = 0;
  // max_pages of new records, beyond re-reading what the watermark knows (the overlap window).
  const int64_t page_cap = pull_.max_pages +
                           static_cast<int64_t>(wm.seenCount()) / pull_.page_size + 2;
  while (true) {
    if (pages >= page_cap) {
      if (fresh.empty())
        return Error::transient(ErrorCode::kRemoteTransient,
                                "http source: GET " + display_url_ + ": read " +
                                    std::to_string(pages) +
                                    " pages without a new record (pull.max_pages beyond the "
                                    "overlap re-read); raise pull.max_pages or pull.page_size");
      cut = true;
      break;
    }
    ++pages;
    auto page = fetch(pageUrl(since, cursor), pages);
    if (!page.ok()) return page.takeError();
    size_t index = 0;
    std::optional<int64_t> page_newest;
    const json::json_pointer id_ptr(pull_.id_field), mod_ptr(pull_.modified_field);
    for (const auto& item : page->items) {
      auto where = [&] {
        return "http source: GET " + display_url_ + " (page " + std::to_string(pages) +
               ", item " + std::to_string(index + 1) + ")";
      };
      if (!item.is_object() && !item.is_array())
        return Error::permanent(ErrorCode::kRemotePermanent,
                                where() + ": the record is not a JSON object: " + shortJson(item));
      std::string id = item.contains(id_ptr) ? idText(item.at(id_ptr)) : "";
      if (id.empty())
        return Error::permanent(ErrorCode::kRemotePermanent,
                                where() + ": no id (text or integer) at pull.id_field '" +
                                    pull_.id_field + "'");
      if (!item.contains(mod_ptr))
        return Error::permanent(ErrorCode::kRemotePermanent,
                                where() + ", id " + id +
                                    ": no modified time at pull.modified_field '" +
                                    pull_.modified_field + "'");
      auto mtime = modifiedMs(item.at(mod_ptr), pull_.since_format);
      if (!mtime)
        return Error::permanent(ErrorCode::kRemotePermanent,
                                where() + ", id " + id + ": pull.modified_field '" +
                                    pull_.modified_field + "' is not an ISO-8601 time: " +
                                    shortJson(item.at(mod_ptr)));
      ++index;
      if (!page_newest || *mtime > *page_newest) page_newest = mtime;
      if (wm.emitted(id, *mtime) || !taken.insert({id, *mtime}).second) continue;
      fresh.push_back({*mtime, id, item.dump(-1, ' ', false, json::error_handler_t::replace)});
    }
    if (fresh.size() > want) {
      cut = true;
      break;
    }
    if (pull_.next_cursor.empty()) {
      // The last page; or no since_param either: one request lists everything.
      if (page->items.size() < static_cast<size_t>(pull_.page_size) || pull_.since_param.empty())
        break;
      if (since && page_newest && *page_newest <= *since)
        return Error::permanent(
            ErrorCode::kRemotePermanent,
            "http source: GET " + display_url_ + " (page " + std::to_string(pages) +
                "): a full page of records modified at " + canonicalTime(*since) +
                " cannot be paged past without a cursor; set pull.next_cursor or raise "
                "pull.page_size");
      since = page_newest;
      continue;
    }
    if (page->next_cursor.empty() || page->items.empty()) break;
    if (page->next_cursor == cursor)
      return Error::permanent(ErrorCode::kRemotePermanent,
                              "http source: GET " + display_url_ + " (page " +
                                  std::to_string(pages) + "): the reply repeats cursor '" +
                                  cursor + "' at pull.next_cursor '" + pull_.next_cursor + "'");
    cursor = page->next_cursor;
  }

  // Oldest first, so a poll cut at max_records leaves only newer records for the next one.
  std::stable_sort(fresh.begin(), fresh.end(), [](const Fresh& a, const Fresh& b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.id < b.id;
  });
  sdk::PollResult out;
  out.more = cut || fresh.size() > want;
  if (fresh.size() > want) fresh.resize(want);
  if (fresh.empty()) {
    out.watermark = watermark;
    return out;
  }
  for (auto& f : fresh) {
    Record r;
    r.entity = pull_.entity;
    r.source_system = instance_name_;
    r.business_key = f.id;
    r.idempotency_key = "http:" + instance_name_ + ":" + f.id + ":" + canonicalTime(f.mtime);
    r.payload = std::move(f.payload);
    wm.add(f.id, f.mtime);
    out.records.push_back(std::move(r));
  }
  size_t forgotten = wm.prune(pull_.overlap_ms, static_cast<size_t>(pull_.max_seen));
  if (forgotten > 0)
    log::warn("http.pull_seen_cap",
              {{"connector", instance_name_},
               {"forgotten", static_cast<long long>(forgotten)},
               {"max_seen", static_cast<long long>(pull_.max_seen)},
               {"note", "the oldest pairs now lie under the watermark's floor: a late change "
                        "below it is not read; raise pull.max_seen"}});
  out.watermark = encodeHttpPullWatermark(wm);
  log::info("http.pull", {{"connector", instance_name_},
                          {"records", static_cast<long long>(out.records.size())},
                          {"pages", static_cast<long long>(pages)},
                          {"newest", canonicalTime(*wm.newest)},
                          {"more", out.more ? "true" : "false"}});
  return out;
}

sdk::Health HttpSource::health() {
  // One page: proves the address, the token and the reply's shape at once.
  std::lock_guard lock(mu_);
  auto page = fetch(pageUrl(std::nullopt, ""), 1);
  if (!page.ok()) return {false, page.error().message};
  return {true, "GET " + display_url_ + " answered a page of " +
                    std::to_string(page->items.size()) + " record(s)"};
}

}  // namespace qiao::connectors::http
