// Change webhooks of the CRM simulator: subscriptions, and sender threads (one by default, so
// events leave in the order they happened; more on request for throughput) that POST each
// event to every subscriber that wants its type, signed the way qiao's `webhook` source checks
// (connectors/webhook): header X-Qiao-Signature: sha256=<hex HMAC-SHA256(secret,
// "<unix seconds>.<body>")>, X-Qiao-Timestamp: <unix seconds>, X-Event-Id: <event id>.
// A bounded queue; a failed send is retried with doubling backoff, then counted as failed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "crm_common.h"

namespace qiao::sim::crm {

struct Subscription {
  std::string id, url, secret;
  std::set<std::string> events;
  std::string signature_header = "X-Qiao-Signature";
  std::string timestamp_header = "X-Qiao-Timestamp";
  std::string event_id_header = "X-Event-Id";
};

class WebhookSender {
 public:
  static constexpr size_t kMaxQueue = 10000;
  WebhookSender();
  ~WebhookSender();  // stops the sender; events still queued are dropped

  Reply subscribe(const nlohmann::json& body);
  Reply list() const;  // subscriptions, secrets hidden
  void clearSubscriptions();
  // Queues the event (type + record JSON text) for every subscription that wants the type.
  void publish(const std::string& type, const std::string& data_json);
  nlohmann::json stats() const;
  Reply deliveries(size_t limit) const;  // the last sends, newest last
  // attempts >= 1, backoff_ms >= 0: how hard a failing subscriber is tried.
  void setRetry(int attempts, int64_t backoff_ms);
  // 1..kMaxSenders threads sending at once; more than one gives up the ordering of events.
  static constexpr int kMaxSenders = 32;
  void setSenders(int senders);
  nlohmann::json retry() const;
  void reset();  // subscriptions, queue, counts, log
  nlohmann::json save() const;  // subscriptions (with secrets: the state file is local)
  void load(const nlohmann::json& state);

 private:
  struct Pending {
    std::string event_id, type, body;
    Subscription sub;
  };
  void run(int slot);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<Subscription> subs_;
  std::deque<Pending> queue_;
  int busy_ = 0;  // events held by senders outside the queue
  int64_t sent_ = 0, failed_ = 0, dropped_ = 0, attempts_ = 0, published_ = 0;
  uint64_t next_event_ = 1, next_sub_ = 1, generation_ = 0;
  int max_attempts_ = 4;
  int64_t backoff_ms_ = 200;
  int senders_ = 1;
  std::deque<nlohmann::json> log_;
  std::string run_id_;
  std::vector<std::thread> threads_;  // threads_[i] serves while i < senders_
};

}  // namespace qiao::sim::crm
