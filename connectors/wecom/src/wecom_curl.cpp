#include "wecom_curl.h"

#include <curl/curl.h>

#include <mutex>

namespace qiao::connectors::wecom {
namespace {

constexpr size_t kMaxReply = 4 * 1024 * 1024;  // WeCom JSON replies are small

void globalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t collect(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  if (out->size() + size * n > kMaxReply) return 0;  // aborts the transfer
  out->append(data, size * n);
  return size * n;
}

}  // namespace

CurlTransport::CurlTransport(CurlOptions options) : options_(options) { globalInit(); }

CurlTransport::~CurlTransport() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* CurlTransport::acquire() {
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

void CurlTransport::release(void* handle) {
  std::lock_guard lk(mu_);
  if (idle_.size() < 8) idle_.push_back(handle);
  else curl_easy_cleanup(static_cast<CURL*>(handle));
}

Result<HttpResponse> CurlTransport::get(const std::string& url, const std::string& what) {
  return perform(url, nullptr, what);
}

Result<HttpResponse> CurlTransport::postJson(const std::string& url, const std::string& body,
                                             const std::string& what) {
  return perform(url, &body, what);
}

Result<HttpResponse> CurlTransport::perform(const std::string& url, const std::string* body,
                                            const std::string& what) {
  CURL* c = static_cast<CURL*>(acquire());
  if (!c) return Error::transient(ErrorCode::kRemoteTransient, "wecom " + what + ": curl init failed");
  curl_easy_reset(c);
  HttpResponse out;
  curl_slist* headers = nullptr;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options_.tls_verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.tls_verify ? 2L : 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out.body);
  if (body) {
    headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  curl_slist_free_all(headers);
  release(c);
  if (rc != CURLE_OK) {
    std::string msg = "wecom " + what + ": " + curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT) return Error::transient(ErrorCode::kTimeout, msg);
    if (rc == CURLE_WRITE_ERROR)
      return Error::permanent(ErrorCode::kRemotePermanent, msg + " (reply over 4 MiB)");
    if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
      return Error::permanent(ErrorCode::kConfigInvalid, msg + " (check base_url)");
    return Error::transient(ErrorCode::kRemoteTransient, msg);
  }
  return out;
}

}  // namespace qiao::connectors::wecom
