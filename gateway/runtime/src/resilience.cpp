#include "qiao/runtime/resilience.h"

#include <algorithm>
#include <cmath>

namespace qiao::runtime {

int64_t backoffDelayMs(int attempt, int64_t initial_ms, int64_t max_ms, int64_t retry_after_ms,
                       std::mt19937_64& rng) {
  int shift = std::clamp(attempt - 1, 0, 40);
  double cap = std::min(static_cast<double>(max_ms), static_cast<double>(initial_ms) * std::ldexp(1.0, shift));
  std::uniform_int_distribution<int64_t> dist(0, static_cast<int64_t>(cap));
  int64_t delay = dist(rng);
  return std::max(delay, retry_after_ms);
}

bool CircuitBreaker::allow(int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (threshold_ <= 0) return true;
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (now_ms - opened_at_ms_ < open_ms_) return false;
      state_ = State::kHalfOpen;
      probe_in_flight_ = true;
      return true;
    case State::kHalfOpen:
      if (probe_in_flight_) return false;
      probe_in_flight_ = true;
      return true;
  }
  return true;
}

void CircuitBreaker::onSuccess() {
  std::lock_guard lock(mu_);
  consecutive_failures_ = 0;
  state_ = State::kClosed;
  probe_in_flight_ = false;
}

void CircuitBreaker::onFailure(int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (threshold_ <= 0) return;
  ++consecutive_failures_;
  if (state_ == State::kHalfOpen || consecutive_failures_ >= threshold_) {
    state_ = State::kOpen;
    opened_at_ms_ = now_ms;
  }
  probe_in_flight_ = false;
}

void CircuitBreaker::cancelProbe() {
  std::lock_guard lock(mu_);
  probe_in_flight_ = false;
}

CircuitBreaker::State CircuitBreaker::state(int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (state_ == State::kOpen && now_ms - opened_at_ms_ >= open_ms_) return State::kHalfOpen;
  return state_;
}

const char* CircuitBreaker::toString(State s) {
  switch (s) {
    case State::kClosed: return "closed";
    case State::kOpen: return "open";
    case State::kHalfOpen: return "half_open";
  }
  return "closed";
}

TokenBucket::TokenBucket(double rate_per_s, int burst)
    : rate_(rate_per_s), burst_(std::max(1, burst)), tokens_(std::max(1, burst)) {}

int64_t TokenBucket::tryAcquire(int64_t now_us) {
  if (rate_ <= 0) return 0;
  std::lock_guard lock(mu_);
  if (last_us_ >= 0) tokens_ = std::min(burst_, tokens_ + (now_us - last_us_) * rate_ / 1e6);
  last_us_ = now_us;
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return 0;
  }
  return static_cast<int64_t>(std::ceil((1.0 - tokens_) / rate_ * 1000.0));
}

}  // namespace qiao::runtime
