#include "http_sink.h"

#include <curl/curl.h>

#include <cctype>
#include <cstring>

#include "http_result.h"
#include "qiao/core/clock.h"
#include "qiao/core/log.h"

namespace qiao::connectors::http {
namespace {

constexpr size_t kMaxCapturedBody = 1 << 20;  // enough for any remote id; the rest is dropped

struct Capture {
  HttpReply reply;
};

size_t onBody(char* data, size_t size, size_t n, void* user) {
  auto* cap = static_cast<Capture*>(user);
  size_t len = size * n;
  size_t room = kMaxCapturedBody - std::min(kMaxCapturedBody, cap->reply.body.size());
  cap->reply.body.append(data, std::min(len, room));
  return len;
}

bool headerIs(const std::string& line, const char* name, std::string* value) {
  size_t n = std::strlen(name);
  if (line.size() <= n || line[n] != ':') return false;
  for (size_t i = 0; i < n; ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  *value = line.substr(n + 1);
  while (!value->empty() && (value->back() == '\r' || value->back() == '\n')) value->pop_back();
  while (!value->empty() && value->front() == ' ') value->erase(0, 1);
  return true;
}

size_t onHeader(char* data, size_t size, size_t n, void* user) {
  auto* cap = static_cast<Capture*>(user);
  size_t len = size * n;
  std::string line(data, len);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after 1xx): forget the headers of the previous one.
    cap->reply.location.clear();
    cap->reply.retry_after.clear();
    cap->reply.content_type.clear();
    return len;
  }
  std::string value;
  if (headerIs(line, "location", &value)) cap->reply.location = value;
  else if (headerIs(line, "retry-after", &value)) cap->reply.retry_after = value;
  else if (headerIs(line, "content-type", &value)) cap->reply.content_type = value;
  return len;
}

// Header values from records must not smuggle extra header lines.
std::string headerSafe(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (unsigned char c : v) {
    if (c >= 32 && c != 127) out.push_back(static_cast<char>(c));
  }
  return out;
}

bool userSets(const HttpSinkConfig& cfg, const char* name) {
  for (const auto& [k, _] : cfg.headers) {
    if (k.size() != std::strlen(name)) continue;
    bool same = true;
    for (size_t i = 0; i < k.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(k[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    if (same) return true;
  }
  return false;
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

}  // namespace

void ensureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void setCommonCurlOptions(void* curl, const HttpSinkConfig& cfg, const std::string& url,
                          long transfer_timeout_ms, char* errbuf) {
  auto* c = static_cast<CURL*>(curl);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(cfg.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, transfer_timeout_ms);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, cfg.tls_verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, cfg.tls_verify ? 2L : 0L);
  if (!cfg.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, cfg.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
}

CURLcode performRequest(void* curl, long* status) {
  auto* c = static_cast<CURL*>(curl);
  CURLcode rc = curl_easy_perform(c);
  *status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  return rc;
}

HeaderList::~HeaderList() { curl_slist_free_all(list_); }

void HeaderList::add(const std::string& line) {
  if (auto* next = curl_slist_append(list_, line.c_str())) list_ = next;
}

struct HttpSink::Handle {
  CURL* easy = nullptr;
  Handle() : easy(curl_easy_init()) {}
  ~Handle() {
    if (easy) curl_easy_cleanup(easy);
  }
};

HttpSink::HttpSink(HttpSinkConfig cfg, std::string instance_name)
    : cfg_(std::move(cfg)),
      instance_name_(std::move(instance_name)) {
  ensureCurlGlobalInit();
  if (auto t = UrlTemplate::parse(cfg_.url); t.ok()) url_ = std::move(t).value();  // else:
  // parseHttpSinkConfig refused it already
  display_url_ = displayUrl(cfg_.url);
  if (!cfg_.auth_token.empty()) log::registerSecret(cfg_.auth_token);
  if (!userSets(cfg_, "Content-Type")) static_headers_.push_back("Content-Type: application/json");
  if (!userSets(cfg_, "Accept")) static_headers_.push_back("Accept: application/json");
  static_headers_.push_back("Expect:");  // no 100-continue round trip
  for (const auto& [k, v] : cfg_.headers) static_headers_.push_back(k + ": " + v);
  if (!cfg_.auth_token.empty())
    static_headers_.push_back("Authorization: Bearer " + cfg_.auth_token);
}

HttpSink::~HttpSink() = default;

std::unique_ptr<HttpSink::Handle> HttpSink::acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      auto h = std::move(pool_.back());
      pool_.pop_back();
      return h;
    }
  }
  return std::make_unique<Handle>();
}

void HttpSink::release(std::unique_ptr<Handle> handle) {
  std::lock_guard lock(pool_mu_);
  pool_.push_back(std::move(handle));
}

Result<sdk::Delivery> HttpSink::deliver(const Record& record) {
  std::string url;
  std::string display_url = display_url_;
  if (url_.hasPlaceholders()) {
    auto expanded = url_.expand(record.payload);
    if (!expanded.ok()) return expanded.takeError();
    url = std::move(expanded).value();
    display_url = displayUrl(url);
  } else {
    url = cfg_.url;
  }
  auto handle = acquire();
  CURL* c = handle->easy;
  if (!c) return Error::transient(ErrorCode::kConnectorError, "http sink: curl_easy_init failed");
  // reset() clears options but keeps the connection cache: the next request reuses it.
  curl_easy_reset(c);

  HeaderList headers;
  for (const auto& h : static_headers_) headers.add(h);
  if (!record.idempotency_key.empty() && !cfg_.idempotency_header.empty())
    headers.add(cfg_.idempotency_header + ": " + headerSafe(record.idempotency_key));
  if (!record.trace_id.empty()) headers.add("X-Qiao-Trace-Id: " + headerSafe(record.trace_id));
  if (!record.entity.empty()) headers.add("X-Qiao-Entity: " + headerSafe(record.entity));
  if (!record.business_key.empty())
    headers.add("X-Qiao-Business-Key: " + headerSafe(record.business_key));

  Capture cap;
  char errbuf[CURL_ERROR_SIZE] = {0};
  setCommonCurlOptions(c, cfg_, url, static_cast<long>(cfg_.timeout_ms), errbuf);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "qiao-http-sink/0.1");
  if (cfg_.method == "PUT") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, record.payload.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(record.payload.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &cap);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &cap);

  long status = 0;
  CURLcode rc = performRequest(c, &status);  // leaves no pointer into this frame in the handle
  release(std::move(handle));

  if (rc != CURLE_OK) {
    std::string detail = replaceAll(errbuf, url, display_url);
    return classifyTransportError(rc, detail, display_url, cfg_);
  }
  cap.reply.status = status;
  return classifyReply(cap.reply, cfg_, display_url, Clock::system().nowMs());
}

sdk::Health HttpSink::health() {
  Handle h;
  if (!h.easy) return {false, "curl_easy_init failed"};
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = h.easy;
  const std::string& url = url_.fixedPrefix();  // a templated URL: its fixed part
  setCommonCurlOptions(c, cfg_, url, static_cast<long>(cfg_.connect_timeout_ms), errbuf);
  curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
  int64_t start = steadyNowUs();
  CURLcode rc = curl_easy_perform(c);
  int64_t ms = (steadyNowUs() - start) / 1000;
  if (rc != CURLE_OK) {
    auto err = classifyTransportError(rc, replaceAll(errbuf, url, display_url_),
                                      display_url_, cfg_);
    return {false, err.message};
  }
  bool tls = cfg_.url.rfind("https://", 0) == 0;
  const char* how = !tls ? " (TCP)" : cfg_.tls_verify ? " (TLS, verified)"
                                                     : " (TLS, verification OFF)";
  return {true, "connected to " + display_url_ + how + " in " + std::to_string(ms) + " ms"};
}

}  // namespace qiao::connectors::http
