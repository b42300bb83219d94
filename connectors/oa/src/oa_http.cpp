#include "oa_http.h"

#include <curl/curl.h>

#include <cctype>
#include <cstring>

#include "qiao/core/log.h"

namespace qiao::connectors::oa {
namespace {

constexpr size_t kMaxBody = 16u << 20;

struct Capture {
  HttpReply reply;
};

size_t onBody(char* data, size_t size, size_t n, void* user) {
  auto* cap = static_cast<Capture*>(user);
  size_t len = size * n;
  if (cap->reply.body.size() + len > kMaxBody) return 0;
  cap->reply.body.append(data, len);
  return len;
}

size_t onHeader(char* data, size_t size, size_t n, void* user) {
  auto* cap = static_cast<Capture*>(user);
  size_t len = size * n;
  static const char kName[] = "retry-after:";
  if (len > sizeof(kName) - 1) {
    bool match = true;
    for (size_t i = 0; i + 1 < sizeof(kName) && match; ++i)
      match = std::tolower(static_cast<unsigned char>(data[i])) == kName[i];
    if (match) {
      std::string v(data + sizeof(kName) - 1, len - (sizeof(kName) - 1));
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      cap->reply.retry_after = v;
    }
  }
  return len;
}

void ensureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Error transportError(CURLcode code, const std::string& what) {
  std::string msg = what + ": " + curl_easy_strerror(code);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Error::transient(ErrorCode::kTimeout, "timed out: " + msg);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Error::permanent(ErrorCode::kConfigInvalid, "bad url: " + msg);
    default:
      // Refused, reset, DNS, TLS: the OA may be back later; never dead-letter on these.
      return Error::transient(ErrorCode::kRemoteTransient, "connection failed: " + msg);
  }
}

}  // namespace

std::string excerpt(const std::string& text, size_t max) {
  std::string out = log::redact(text);
  if (out.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "...";
  }
  return out;
}

std::string formEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
    else out += {'%', kHex[c >> 4], kHex[c & 15]};
  }
  return out;
}

Error httpStatusError(const HttpReply& reply, const std::string& what) {
  std::string msg = what + ": HTTP " + std::to_string(reply.status);
  if (!reply.body.empty()) msg += ": " + excerpt(reply.body);
  const long s = reply.status;
  if (s == 408 || s == 425 || s == 429 || s >= 500) {
    Error e = Error::transient(ErrorCode::kRemoteTransient, std::move(msg));
    if (!reply.retry_after.empty() &&
        reply.retry_after.find_first_not_of("0123456789") == std::string::npos &&
        reply.retry_after.size() < 7)
      e.retry_after_ms = std::stoll(reply.retry_after) * 1000;
    return e;
  }
  if (s == 401) return Error::authExpired(std::move(msg));
  return Error::permanent(ErrorCode::kRemotePermanent, std::move(msg));
}

Http::Http(HttpOptions options) : options_(options) { ensureCurlGlobalInit(); }

Http::~Http() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* Http::acquire() {
  {
    std::lock_guard lk(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void Http::release(void* handle) {
  std::lock_guard lk(mu_);
  idle_.push_back(handle);
}

Result<HttpReply> Http::send(const std::string& method, const std::string& url,
                             const std::vector<std::string>& headers, const std::string& body,
                             const std::string& what) {
  CURL* c = static_cast<CURL*>(acquire());
  if (!c) return Error::transient(ErrorCode::kConnectorError, what + ": curl_easy_init failed");
  curl_easy_reset(c);  // keeps the connection cache; no cookie engine is ever switched on
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  list = curl_slist_append(list, "Expect:");
  Capture cap;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options_.tls_verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.tls_verify ? 2L : 0L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "qiao-oa/0.1");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &cap);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &cap);
  if (method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    if (method != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(list);
  release(c);
  if (rc != CURLE_OK) return transportError(rc, what);
  cap.reply.status = status;
  return std::move(cap.reply);
}

Status Http::connectOnly(const std::string& url) {
  CURL* c = curl_easy_init();
  if (!c) return Error::transient(ErrorCode::kConnectorError, "curl_easy_init failed");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options_.tls_verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.tls_verify ? 2L : 0L);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) return transportError(rc, "connect to " + log::displayUrl(url));
  return {};
}

}  // namespace qiao::connectors::oa
