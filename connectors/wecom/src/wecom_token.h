// Access tokens: one per (corp_id, app secret), cached with its expiry and fetched again a
// margin before it runs out. Concurrent callers share one gettoken call (single flight: a
// flight counter, like k3cloud's session generation); a failed flight's error is handed to
// everyone who waited on it instead of each caller trying again. A token rejected by WeCom
// is dropped only if it is still the current one (compare-and-invalidate), so a burst of
// 42001s causes one refresh, not a storm. errcode 45009 on gettoken blocks further gettoken
// calls for the block window.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "qiao/core/result.h"

namespace qiao::connectors::wecom {

struct HttpResponse {
  long status = 0;
  std::string body;
};

// HTTP as the WeCom code needs it. URLs carry credentials (corpsecret, access_token, robot
// key): an implementation must never put the URL into an error or a log line; `what` is the
// safe name of the call.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual Result<HttpResponse> get(const std::string& url, const std::string& what) = 0;
  virtual Result<HttpResponse> postJson(const std::string& url, const std::string& body,
                                        const std::string& what) = 0;
};

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

struct TokenOptions {
  std::chrono::seconds refresh_margin{300};          // fetch again 5 min before expiry
  std::chrono::milliseconds rate_limit_block{60'000}; // after 45009 from gettoken
  SteadyClock clock;                                 // empty = steady_clock::now
};

class TokenManager {
 public:
  TokenManager(std::shared_ptr<Transport> transport, std::string base_url, std::string corp_id,
               std::string secret, TokenOptions options = {});

  struct Token {
    std::string value;
    uint64_t generation = 0;  // changes with every fetched token
  };

  // A valid token, fetching one if needed. Errors: gettoken's errcode classified (40001,
  // 40013, 40091 are configuration errors: permanent), transport errors (transient), or
  // kRateLimited while blocked after a 45009.
  Result<Token> get();

  // WeCom rejected the token of this generation: forget it unless a newer one is already here.
  void invalidate(uint64_t generation);

  uint64_t gettokenCalls() const;  // how many gettoken requests were sent (for tests, metrics)

 private:
  struct Fetched {
    std::string value;
    std::chrono::seconds lifetime{0};
  };
  Result<Fetched> fetch();  // one gettoken call, without the lock
  std::chrono::steady_clock::time_point now() const;

  std::shared_ptr<Transport> transport_;
  std::string base_url_;
  std::string corp_id_;
  std::string secret_;
  TokenOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string token_;
  uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point refresh_at_{};
  std::chrono::steady_clock::time_point expires_at_{};
  std::chrono::steady_clock::time_point blocked_until_{};
  bool refreshing_ = false;
  uint64_t flights_started_ = 0;
  uint64_t flights_done_ = 0;
  std::optional<Error> last_flight_error_;
  uint64_t gettoken_calls_ = 0;
};

// One shared TokenManager per (base_url, corp_id, secret) in this process, so several sink
// instances of the same app share one token.
std::shared_ptr<TokenManager> sharedTokenManager(std::shared_ptr<Transport> transport,
                                                 const std::string& base_url,
                                                 const std::string& corp_id,
                                                 const std::string& secret);

}  // namespace qiao::connectors::wecom
