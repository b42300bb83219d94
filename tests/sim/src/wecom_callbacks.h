// Encrypted callbacks of the WeCom simulator: events (sys_approval_change,
// change_external_contact) are queued and POSTed by one sender thread, in order, to the
// configured URL as WeCom does — `?msg_signature=…&timestamp=…&nonce=…` and the body
// `<xml><ToUserName/><Encrypt/><AgentID/></xml>`. Every attempt is signed afresh (new
// timestamp, nonce and random prefix); whether real WeCom reuses them on a retry is not
// documented. Each sent request is kept (query, body and the plaintext) so tests can check
// the bytes with the connector's own crypto, and can be replayed byte for byte.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace qiao::sim::wecom {

struct CallbackTarget {
  std::string url;               // "" = callbacks off (events are counted, not sent)
  std::string token;             // the app's callback Token
  std::string encoding_aes_key;  // 43 characters
  std::string key32;             // derived AES key
  std::string receive_id;        // the corpid
  std::string agent_id;          // <AgentID> of the envelope
  int attempts = 3;              // WeCom: 3 tries in total
  int64_t backoff_ms = 500;      // between tries (WeCom waits about 5 s)
};

class CallbackSender {
 public:
  static constexpr size_t kMaxQueue = 10000;
  static constexpr size_t kKeptLog = 2000;
  CallbackSender();
  ~CallbackSender();

  void setTarget(CallbackTarget target);
  CallbackTarget target() const;
  // Queues one event: kind "approval" or "contact", key the sp_no / external_userid.
  void publish(const std::string& kind, const std::string& key, const std::string& xml);
  // GET URL verification against the target, synchronously: {ok, status, body, expected}.
  nlohmann::json verifyUrl();
  // Sends log entry `seq` again with exactly the same query and body; the HTTP status.
  nlohmann::json replay(int64_t seq);
  nlohmann::json log(size_t offset, size_t limit) const;
  nlohmann::json stats() const;
  // Waits until nothing is queued or in flight (bounded); true if idle.
  bool waitIdle(int64_t timeout_ms);
  void reset();

 private:
  struct Pending {
    std::string kind, key, xml;
  };
  struct Sent {
    int64_t seq = 0;
    std::string kind, key, url, query, body, plaintext, error;
    int status = 0;
    int attempt = 0;
    int64_t time_ms = 0;
  };
  void run();
  Sent sendOnce(const CallbackTarget& t, const Pending& p, int attempt);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  CallbackTarget target_;
  std::deque<Pending> queue_;
  int busy_ = 0;
  std::deque<Sent> log_;
  int64_t next_seq_ = 1, published_ = 0, delivered_ = 0, failed_ = 0, dropped_ = 0,
          attempts_ = 0;
  uint64_t generation_ = 0;  // bumped by reset: a send in flight is not logged after it
  std::thread thread_;
};

}  // namespace qiao::sim::wecom
