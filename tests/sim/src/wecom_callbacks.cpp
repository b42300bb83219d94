#include "wecom_callbacks.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <chrono>

#include "wecom_cipher.h"

namespace qiao::sim::wecom {
namespace {

using nlohmann::json;

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One request on a fresh connection; the HTTP status, or 0 with *error.
int httpSend(const std::string& method, const std::string& url, const std::string& query,
             const std::string& body, std::string* reply, std::string* error) {
  try {
    Poco::URI uri(url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(5, 0));  // WeCom gives up after 5 s
    std::string target = uri.getPathEtc();
    target += (target.find('?') == std::string::npos ? "?" : "&") + query;
    Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("User-Agent", "qiao-sim-wecom/1");
    if (method == Poco::Net::HTTPRequest::HTTP_POST) {
      req.setContentType("text/xml");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
      session.sendRequest(req) << body;
    } else {
      session.sendRequest(req);
    }
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    Poco::StreamCopier::copyToString(in, *reply);
    int status = static_cast<int>(resp.getStatus());
    if (status < 200 || status > 299) *error = reply->substr(0, 300);
    return status;
  } catch (const Poco::Exception& e) {
    *error = e.displayText();
  } catch (const std::exception& e) {
    *error = e.what();
  }
  return 0;
}

}  // namespace

CallbackSender::CallbackSender() : thread_([this] { run(); }) {}

CallbackSender::~CallbackSender() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void CallbackSender::setTarget(CallbackTarget target) {
  std::lock_guard lock(mu_);
  target_ = std::move(target);
}

CallbackTarget CallbackSender::target() const {
  std::lock_guard lock(mu_);
  return target_;
}

void CallbackSender::publish(const std::string& kind, const std::string& key,
                             const std::string& xml) {
  {
    std::lock_guard lock(mu_);
    ++published_;
    if (target_.url.empty()) return;
    if (queue_.size() >= kMaxQueue) {
      ++dropped_;
      return;
    }
    queue_.push_back({kind, key, xml});
  }
  cv_.notify_all();
}

CallbackSender::Sent CallbackSender::sendOnce(const CallbackTarget& t, const Pending& p,
                                              int attempt) {
  Sent s;
  s.kind = p.kind;
  s.key = p.key;
  s.url = t.url;
  s.plaintext = p.xml;
  s.attempt = attempt;
  s.time_ms = nowMs();
  const std::string ts = std::to_string(s.time_ms / 1000);
  const std::string nonce = randomDigits(10);
  const std::string encrypted = encryptMessage(t.key32, p.xml, t.receive_id, randomAlnum(16));
  s.query = "msg_signature=" + sha1Signature(t.token, ts, nonce, encrypted) +
            "&timestamp=" + ts + "&nonce=" + nonce;
  s.body = "<xml><ToUserName>" + cdata(t.receive_id) + "</ToUserName><Encrypt>" +
           cdata(encrypted) + "</Encrypt><AgentID>" + cdata(t.agent_id) + "</AgentID></xml>";
  std::string reply;
  s.status = httpSend("POST", t.url, s.query, s.body, &reply, &s.error);
  return s;
}

void CallbackSender::run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    const uint64_t gen = generation_;
    bool ok = false;
    for (int attempt = 1; !ok && !stopping_; ++attempt) {
      CallbackTarget t = target_;
      if (t.url.empty() || attempt > std::max(1, t.attempts)) break;
      lock.unlock();
      Sent s = sendOnce(t, p, attempt);
      lock.lock();
      ++attempts_;
      ok = s.status >= 200 && s.status <= 299;
      if (gen == generation_) {
        s.seq = next_seq_++;
        log_.push_back(std::move(s));
        while (log_.size() > kKeptLog) log_.pop_front();
      }
      if (!ok && attempt < t.attempts)
        cv_.wait_for(lock, std::chrono::milliseconds(t.backoff_ms), [&] { return stopping_; });
    }
    if (gen == generation_) ok ? ++delivered_ : ++failed_;
    --busy_;
    cv_.notify_all();
  }
}

json CallbackSender::verifyUrl() {
  CallbackTarget t = target();
  if (t.url.empty()) return {{"ok", false}, {"error", "no callback url configured"}};
  const std::string expected = randomDigits(19);
  const std::string ts = std::to_string(nowMs() / 1000);
  const std::string nonce = randomDigits(10);
  const std::string echostr = encryptMessage(t.key32, expected, t.receive_id, randomAlnum(16));
  const std::string query = "msg_signature=" + sha1Signature(t.token, ts, nonce, echostr) +
                            "&timestamp=" + ts + "&nonce=" + nonce +
                            "&echostr=" + urlEncode(echostr);
  std::string reply, error;
  int status = httpSend("GET", t.url, query, "", &reply, &error);
  json out{{"ok", status == 200 && reply == expected}, {"status", status}, {"body", reply},
           {"expected", expected}, {"query", query}};
  if (!error.empty()) out["error"] = error;
  return out;
}

json CallbackSender::replay(int64_t seq) {
  Sent s;
  CallbackTarget t;
  {
    std::lock_guard lock(mu_);
    t = target_;
    bool found = false;
    for (const auto& e : log_)
      if (e.seq == seq) {
        s = e;
        found = true;
      }
    if (!found) return {{"ok", false}, {"error", "no callback with seq " + std::to_string(seq)}};
  }
  std::string reply, error;
  int status = httpSend("POST", s.url, s.query, s.body, &reply, &error);
  json out{{"ok", status >= 200 && status <= 299}, {"status", status}, {"body", reply}};
  if (!error.empty()) out["error"] = error;
  return out;
}

json CallbackSender::log(size_t offset, size_t limit) const {
  std::lock_guard lock(mu_);
  json list = json::array();
  for (size_t i = offset; i < log_.size() && list.size() < limit; ++i) {
    const Sent& s = log_[i];
    json e{{"seq", s.seq},     {"kind", s.kind},   {"key", s.key},         {"url", s.url},
           {"query", s.query}, {"body", s.body},   {"plaintext", s.plaintext},
           {"status", s.status}, {"attempt", s.attempt}, {"time_ms", s.time_ms}};
    if (!s.error.empty()) e["error"] = s.error;
    list.push_back(std::move(e));
  }
  return {{"kept", log_.size()}, {"callbacks", list}};
}

json CallbackSender::stats() const {
  std::lock_guard lock(mu_);
  return {{"published", published_}, {"delivered", delivered_}, {"failed", failed_},
          {"dropped", dropped_},     {"attempts", attempts_},   {"queued", queue_.size()},
          {"in_flight", busy_},      {"url_set", !target_.url.empty()}};
}

bool CallbackSender::waitIdle(int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return queue_.empty() && busy_ == 0; });
}

void CallbackSender::reset() {
  std::lock_guard lock(mu_);
  queue_.clear();
  log_.clear();
  ++generation_;
  next_seq_ = 1;
  published_ = delivered_ = failed_ = dropped_ = attempts_ = 0;
}

}  // namespace qiao::sim::wecom
