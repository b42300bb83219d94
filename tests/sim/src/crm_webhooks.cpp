#include "crm_webhooks.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <cctype>
#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>

namespace qiao::sim::crm {
namespace {

using nlohmann::json;

constexpr size_t kKeptDeliveries = 1000;
constexpr const char* kEventTypes[] = {"customer.changed", "order.confirmed"};

std::string hmacHex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

bool validHeaderName(const std::string& h) {
  if (h.empty() || h.size() > 64) return false;
  for (unsigned char c : h)
    if (!(std::isalnum(c) || c == '-' || c == '_')) return false;
  return true;
}

using Sessions = std::map<std::string, std::unique_ptr<Poco::Net::HTTPClientSession>>;

// One signed POST over a kept-alive session; the HTTP status, or 0 with *error.
int post(Sessions& sessions, const Subscription& sub, const std::string& event_id,
         const std::string& body, std::string* error) {
  Poco::URI uri(sub.url);
  std::string origin = uri.getHost() + ":" + std::to_string(uri.getPort());
  auto& session = sessions[origin];
  if (!session) {
    session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    session->setKeepAlive(true);
    session->setTimeout(Poco::Timespan(5, 0));
  }
  std::string ts = std::to_string(nowMs() / 1000);
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathEtc(),
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentType("application/json");
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  req.set(sub.timestamp_header, ts);
  req.set(sub.signature_header, "sha256=" + hmacHex(sub.secret, ts + "." + body));
  req.set(sub.event_id_header, event_id);
  req.set("User-Agent", "qiao-sim-crm/1");
  try {
    session->sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session->receiveResponse(resp);
    std::string reply;
    Poco::StreamCopier::copyToString(in, reply);
    int status = static_cast<int>(resp.getStatus());
    if (status < 200 || status > 299) *error = reply.substr(0, 300);
    return status;
  } catch (const Poco::Exception& e) {
    *error = e.displayText();
  } catch (const std::exception& e) {
    *error = e.what();
  }
  session.reset();  // a broken connection is not reused
  return 0;
}

}  // namespace

WebhookSender::WebhookSender() : run_id_(std::to_string(nowMs())) { setSenders(1); }

WebhookSender::~WebhookSender() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WebhookSender::setSenders(int senders) {
  std::lock_guard lock(mu_);
  senders_ = senders;
  while (static_cast<int>(threads_.size()) < senders_) {
    int slot = static_cast<int>(threads_.size());
    threads_.emplace_back([this, slot] { run(slot); });
  }
  cv_.notify_all();
}

Reply WebhookSender::subscribe(const json& body) {
  if (!body.is_object()) return errorReply(400, "invalid_body", "body must be a JSON object", "body");
  Subscription s;
  try {
    s.url = body.value("url", std::string());
    s.secret = body.value("secret", std::string());
    s.signature_header = body.value("signature_header", s.signature_header);
    s.timestamp_header = body.value("timestamp_header", s.timestamp_header);
    s.event_id_header = body.value("event_id_header", s.event_id_header);
    json events = body.value("events", json::array({"customer.changed", "order.confirmed"}));
    if (!events.is_array()) throw std::invalid_argument("events");
    for (const auto& e : events) s.events.insert(e.get<std::string>());
  } catch (const std::exception&) {
    return errorReply(400, "invalid_field",
                      "url, secret and the header names are strings; events an array of strings",
                      "body");
  }
  Poco::URI uri;
  try {
    uri = Poco::URI(s.url);
  } catch (const Poco::Exception&) {
  }
  if (uri.getScheme() != "http" || uri.getHost().empty())
    return errorReply(400, "invalid_field", "url must be http://host:port/path", "url");
  if (s.secret.empty())
    return errorReply(400, "invalid_field", "secret is required (the HMAC-SHA256 key)", "secret");
  for (const auto* h : {&s.signature_header, &s.timestamp_header, &s.event_id_header})
    if (!validHeaderName(*h))
      return errorReply(400, "invalid_field", "'" + *h + "' is not a header name", "headers");
  if (s.events.empty())
    return errorReply(400, "invalid_field", "events must name at least one event type", "events");
  for (const auto& e : s.events) {
    bool known = false;
    for (const char* t : kEventTypes) known = known || e == t;
    if (!known)
      return errorReply(400, "invalid_field",
                        "unknown event '" + e + "' (customer.changed, order.confirmed)", "events");
  }
  std::lock_guard lock(mu_);
  s.id = "sub-" + std::to_string(next_sub_++);
  subs_.push_back(s);
  Reply r;
  r.status = 201;
  r.body = json{{"id", s.id}, {"url", s.url}, {"events", s.events}}.dump();
  return r;
}

Reply WebhookSender::list() const {
  std::lock_guard lock(mu_);
  json out = json::array();
  for (const auto& s : subs_)
    out.push_back({{"id", s.id}, {"url", s.url}, {"events", s.events},
                   {"signature_header", s.signature_header},
                   {"timestamp_header", s.timestamp_header},
                   {"event_id_header", s.event_id_header}});
  Reply r;
  r.body = json{{"subscriptions", out}}.dump();
  return r;
}

void WebhookSender::clearSubscriptions() {
  std::lock_guard lock(mu_);
  subs_.clear();
}

void WebhookSender::publish(const std::string& type, const std::string& data_json) {
  std::lock_guard lock(mu_);
  bool any = false;
  for (const auto& s : subs_) {
    if (!s.events.count(type)) continue;
    if (!any) ++published_;
    any = true;
    if (queue_.size() >= kMaxQueue) {
      ++dropped_;
      continue;
    }
    Pending p;
    p.event_id = "evt_" + run_id_ + "_" + std::to_string(next_event_++);
    p.type = type;
    p.body = "{\"id\":\"" + p.event_id + "\",\"type\":\"" + type + "\",\"occurredAt\":\"" +
             isoMs(nowMs()) + "\",\"data\":" + data_json + "}";
    p.sub = s;
    queue_.push_back(std::move(p));
  }
  if (any) cv_.notify_all();
}

void WebhookSender::run(int slot) {
  Sessions sessions;
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || (!queue_.empty() && slot < senders_); });
    if (stopping_) return;
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    uint64_t generation = generation_;
    int status = 0, tries = 0;
    std::string error;
    for (int attempt = 0; attempt < max_attempts_; ++attempt) {
      if (attempt > 0) {
        int64_t wait = backoff_ms_ << std::min(attempt - 1, 10);
        cv_.wait_for(lock, std::chrono::milliseconds(wait), [&] { return stopping_; });
        if (stopping_ || generation != generation_) break;
      }
      ++tries;
      ++attempts_;
      lock.unlock();
      error.clear();
      status = post(sessions, p.sub, p.event_id, p.body, &error);
      lock.lock();
      if (status >= 200 && status <= 299) break;
    }
    --busy_;
    if (stopping_) return;
    if (generation != generation_) continue;  // reset while sending: forget it
    bool ok = status >= 200 && status <= 299;
    (ok ? sent_ : failed_)++;
    json entry{{"event_id", p.event_id}, {"type", p.type}, {"subscription", p.sub.id},
               {"url", p.sub.url}, {"status", status}, {"attempts", tries}, {"ok", ok}};
    if (!ok) entry["error"] = error;
    log_.push_back(std::move(entry));
    if (log_.size() > kKeptDeliveries) log_.pop_front();
  }
}

json WebhookSender::stats() const {
  std::lock_guard lock(mu_);
  return {{"published", published_},
          {"sent", sent_},
          {"failed", failed_},
          {"dropped", dropped_},
          {"attempts", attempts_},
          {"pending", static_cast<int64_t>(queue_.size()) + busy_},
          {"subscriptions", subs_.size()}};
}

Reply WebhookSender::deliveries(size_t limit) const {
  std::lock_guard lock(mu_);
  json out = json::array();
  size_t start = log_.size() > limit ? log_.size() - limit : 0;
  for (size_t i = start; i < log_.size(); ++i) out.push_back(log_[i]);
  Reply r;
  r.body = json{{"deliveries", out}}.dump();
  return r;
}

void WebhookSender::setRetry(int attempts, int64_t backoff_ms) {
  std::lock_guard lock(mu_);
  max_attempts_ = attempts;
  backoff_ms_ = backoff_ms;
}

json WebhookSender::retry() const {
  std::lock_guard lock(mu_);
  return {{"webhook_attempts", max_attempts_}, {"webhook_backoff_ms", backoff_ms_},
          {"webhook_senders", senders_}};
}

void WebhookSender::reset() {
  std::lock_guard lock(mu_);
  subs_.clear();
  queue_.clear();
  log_.clear();
  ++generation_;
  sent_ = failed_ = dropped_ = attempts_ = published_ = 0;
  cv_.notify_all();
}

json WebhookSender::save() const {
  std::lock_guard lock(mu_);
  json out = json::array();
  for (const auto& s : subs_)
    out.push_back({{"id", s.id}, {"url", s.url}, {"secret", s.secret}, {"events", s.events},
                   {"signature_header", s.signature_header},
                   {"timestamp_header", s.timestamp_header},
                   {"event_id_header", s.event_id_header}});
  return {{"next_sub", next_sub_}, {"subscriptions", out}};
}

void WebhookSender::load(const json& state) {
  std::lock_guard lock(mu_);
  next_sub_ = state.value("next_sub", uint64_t{1});
  for (const auto& j : state.value("subscriptions", json::array())) {
    Subscription s;
    s.id = j.at("id").get<std::string>();
    s.url = j.at("url").get<std::string>();
    s.secret = j.at("secret").get<std::string>();
    s.events = j.at("events").get<std::set<std::string>>();
    s.signature_header = j.value("signature_header", s.signature_header);
    s.timestamp_header = j.value("timestamp_header", s.timestamp_header);
    s.event_id_header = j.value("event_id_header", s.event_id_header);
    subs_.push_back(std::move(s));
  }
}

}  // namespace qiao::sim::crm
