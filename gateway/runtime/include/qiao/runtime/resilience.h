// Delivery policies shared by every sink: backoff with full jitter, a circuit breaker and a
// token-bucket rate limiter. Pure logic with injected time, so tests drive them directly.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace qiao::runtime {

// Delay before attempt `attempt` (1 = the first retry): uniform in [0, min(max, initial*2^(attempt-1))]
// ("full jitter"), never less than the remote's Retry-After.
int64_t backoffDelayMs(int attempt, int64_t initial_ms, int64_t max_ms, int64_t retry_after_ms,
                       std::mt19937_64& rng);

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };
  CircuitBreaker(int failure_threshold, int64_t open_ms)
      : threshold_(failure_threshold), open_ms_(open_ms) {}

  // May a delivery start now? In half-open state only one probe at a time is allowed.
  bool allow(int64_t now_ms);
  void onSuccess();
  void onFailure(int64_t now_ms);
  // Gives back a probe permit that was not used (the delivery never started).
  void cancelProbe();
  State state(int64_t now_ms);
  static const char* toString(State s);

 private:
  std::mutex mu_;
  const int threshold_;
  const int64_t open_ms_;
  State state_ = State::kClosed;
  int consecutive_failures_ = 0;
  int64_t opened_at_ms_ = 0;
  bool probe_in_flight_ = false;
};

class TokenBucket {
 public:
  // rate_per_s <= 0: unlimited.
  TokenBucket(double rate_per_s, int burst);
  // Takes a token if one is available; otherwise returns how long to wait (ms) and takes none.
  int64_t tryAcquire(int64_t now_us);
  bool unlimited() const { return rate_ <= 0; }

 private:
  std::mutex mu_;
  const double rate_;
  const double burst_;
  double tokens_;
  int64_t last_us_ = -1;
};

}  // namespace qiao::runtime
