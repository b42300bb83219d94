#include "k3_transport.h"

#include <curl/curl.h>

#include <cctype>
#include <chrono>
#include <cstring>

namespace qiao::connectors::k3cloud {
namespace {

constexpr size_t kMaxBody = 64u << 20;  // query pages can be large; more is a broken reply

struct Capture {
  HttpReply reply;
  bool overflow = false;
};

size_t onBody(char* data, size_t size, size_t n, void* user) {
  auto* cap = static_cast<Capture*>(user);
  size_t len = size * n;
  if (cap->reply.body.size() + len > kMaxBody) {
    cap->overflow = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  cap->reply.body.append(data, len);
  return len;
}

bool headerIs(const std::string& line, const char* name, std::string* value) {
  size_t n = std::strlen(name);
  if (line.size() <= n || line[n] != ':') return false;
  for (size_t i = 0; i < n; ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  *value = line.substr(n + 1);
  while (!value->empty() && (value->back() == '\r' || value->back() == '\n')) value->pop_back();
  while (!value->empty() && value->front() == ' ') value->erase(0, 1);
  return true;
}

size_t onHeader(char* data, size_t size, size_t n, void* user) {
  auto* cap = static_cast<Capture*>(user);
  size_t len = size * n;
  std::string line(data, len);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after 1xx)
    cap->reply.content_type.clear();
    cap->reply.retry_after.clear();
    cap->reply.set_cookies.clear();
    return len;
  }
  std::string value;
  if (headerIs(line, "set-cookie", &value)) cap->reply.set_cookies.push_back(value);
  else if (headerIs(line, "retry-after", &value)) cap->reply.retry_after = value;
  else if (headerIs(line, "content-type", &value)) cap->reply.content_type = value;
  return len;
}

class HeaderList {
 public:
  ~HeaderList() { curl_slist_free_all(list_); }
  void add(const std::string& line) {
    if (auto* next = curl_slist_append(list_, line.c_str())) list_ = next;
  }
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

void commonOptions(CURL* c, const K3Config& cfg) {
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(cfg.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, cfg.tls_verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, cfg.tls_verify ? 2L : 0L);
  if (!cfg.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, cfg.ca_file.c_str());
}

}  // namespace

void ensureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transport::Handle {
  CURL* easy = nullptr;
  Handle() : easy(curl_easy_init()) {}
  ~Handle() {
    if (easy) curl_easy_cleanup(easy);
  }
};

Transport::Transport(const K3Config& cfg) : cfg_(cfg) { ensureCurlGlobalInit(); }
Transport::~Transport() = default;

std::unique_ptr<Transport::Handle> Transport::acquire() {
  std::unique_lock lock(mu_);
  // Waiting here is bounded by other requests' own timeouts.
  free_cv_.wait(lock, [this] { return in_flight_ < cfg_.max_connections; });
  ++in_flight_;
  if (!idle_.empty()) {
    auto h = std::move(idle_.back());
    idle_.pop_back();
    return h;
  }
  lock.unlock();
  return std::make_unique<Handle>();
}

void Transport::release(std::unique_ptr<Handle> h) {
  {
    std::lock_guard lock(mu_);
    --in_flight_;
    if (h && h->easy) idle_.push_back(std::move(h));
  }
  free_cv_.notify_one();
}

Result<HttpReply> Transport::post(const std::string& url, const std::string& body,
                                  const std::vector<std::string>& headers,
                                  const std::string& what) {
  auto handle = acquire();
  CURL* c = handle->easy;
  if (!c) {
    release(nullptr);
    return Error::transient(ErrorCode::kConnectorError, what + ": curl_easy_init failed");
  }
  curl_easy_reset(c);  // clears options, keeps the connection cache
  HeaderList list;
  list.add("Content-Type: application/json");
  list.add("Accept: application/json");
  list.add("Accept-Charset: utf-8");
  list.add("Expect:");
  for (const auto& h : headers) list.add(h);

  Capture cap;
  char errbuf[CURL_ERROR_SIZE] = {0};
  commonOptions(c, cfg_);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "qiao-k3cloud/0.1");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &cap);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &cap);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  // The pooled handle must not keep pointers into this frame.
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  release(std::move(handle));
  if (cap.overflow)
    return Error::transient(ErrorCode::kRemoteTransient, what + ": reply larger than 64 MiB");
  if (rc != CURLE_OK) return transportError(rc, errbuf, what);
  cap.reply.status = status;
  return std::move(cap.reply);
}

Status Transport::connectOnly(const std::string& url) {
  Handle h;
  if (!h.easy) return Error::transient(ErrorCode::kConnectorError, "curl_easy_init failed");
  char errbuf[CURL_ERROR_SIZE] = {0};
  commonOptions(h.easy, cfg_);
  curl_easy_setopt(h.easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h.easy, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(h.easy, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg_.connect_timeout_ms));
  curl_easy_setopt(h.easy, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(h.easy);
  if (rc != CURLE_OK) return transportError(rc, errbuf, "connect to " + displayUrl(url));
  return {};
}

Error transportError(int curl_code, const std::string& detail, const std::string& what) {
  auto code = static_cast<CURLcode>(curl_code);
  std::string text = what + ": " + excerpt(detail.empty() ? curl_easy_strerror(code) : detail, 300);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Error::transient(ErrorCode::kTimeout, "timed out: " + text);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Error::permanent(ErrorCode::kConfigInvalid, "bad url: " + text);
    default:
      // Refused, reset, DNS, TLS: the target may come back or an operator fixes trust;
      // records must not be dead-lettered meanwhile.
      return Error::transient(ErrorCode::kRemoteTransient, "connection failed: " + text);
  }
}

}  // namespace qiao::connectors::k3cloud
