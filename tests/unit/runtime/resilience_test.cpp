#include "qiao/runtime/resilience.h"

#include <gtest/gtest.h>

namespace qiao::runtime {
namespace {

TEST(Backoff, FullJitterStaysWithinTheExponentialCap) {
  std::mt19937_64 rng(42);
  for (int attempt = 1; attempt <= 12; ++attempt) {
    int64_t cap = std::min<int64_t>(60000, 500LL << (attempt - 1));
    int64_t lo = cap, hi = 0;
    for (int i = 0; i < 2000; ++i) {
      int64_t d = backoffDelayMs(attempt, 500, 60000, 0, rng);
      ASSERT_GE(d, 0);
      ASSERT_LE(d, cap) << "attempt " << attempt;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Full jitter spreads over the whole range, not around the cap.
    EXPECT_LT(lo, cap / 10) << "attempt " << attempt;
    EXPECT_GT(hi, cap * 9 / 10) << "attempt " << attempt;
  }
}

TEST(Backoff, RetryAfterIsAFloor) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) EXPECT_GE(backoffDelayMs(1, 100, 1000, 5000, rng), 5000);
}

TEST(Backoff, HugeAttemptNumbersDoNotOverflow) {
  std::mt19937_64 rng(1);
  int64_t d = backoffDelayMs(10000, 500, 300000, 0, rng);
  EXPECT_GE(d, 0);
  EXPECT_LE(d, 300000);
}

TEST(CircuitBreaker, OpensAfterThresholdThenProbesOnceAndCloses) {
  CircuitBreaker cb(3, 1000);
  EXPECT_TRUE(cb.allow(0));
  cb.onFailure(10);
  cb.onFailure(20);
  EXPECT_EQ(cb.state(20), CircuitBreaker::State::kClosed);
  cb.onFailure(30);
  EXPECT_EQ(cb.state(30), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(cb.allow(500));
  // After open_ms: exactly one probe.
  EXPECT_EQ(cb.state(1030), CircuitBreaker::State::kHalfOpen);
  EXPECT_TRUE(cb.allow(1030));
  EXPECT_FALSE(cb.allow(1031));
  cb.onSuccess();
  EXPECT_EQ(cb.state(1040), CircuitBreaker::State::kClosed);
  EXPECT_TRUE(cb.allow(1040));
}

TEST(CircuitBreaker, FailedProbeReopens) {
  CircuitBreaker cb(1, 100);
  cb.onFailure(0);
  EXPECT_TRUE(cb.allow(150));
  cb.onFailure(150);
  EXPECT_EQ(cb.state(200), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(cb.allow(200));
  EXPECT_TRUE(cb.allow(251));
}

TEST(CircuitBreaker, SuccessResetsTheConsecutiveCount) {
  CircuitBreaker cb(3, 100);
  cb.onFailure(0);
  cb.onFailure(0);
  cb.onSuccess();
  cb.onFailure(0);
  cb.onFailure(0);
  EXPECT_EQ(cb.state(0), CircuitBreaker::State::kClosed);
}

TEST(CircuitBreaker, CancelledProbeAllowsAnother) {
  CircuitBreaker cb(1, 100);
  cb.onFailure(0);
  EXPECT_TRUE(cb.allow(100));
  EXPECT_FALSE(cb.allow(100));
  cb.cancelProbe();
  EXPECT_TRUE(cb.allow(100));
}

TEST(TokenBucket, BurstThenRate) {
  TokenBucket tb(10.0, 5);  // 10 per second, burst 5
  int64_t t = 1'000'000;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(tb.tryAcquire(t), 0) << i;
  int64_t wait = tb.tryAcquire(t);
  EXPECT_GT(wait, 0);
  EXPECT_LE(wait, 100);
  // 100 ms later one token is back, not two.
  EXPECT_EQ(tb.tryAcquire(t + 100'000), 0);
  EXPECT_GT(tb.tryAcquire(t + 100'000), 0);
  // Tokens never exceed the burst after a long idle period.
  int granted = 0;
  for (int i = 0; i < 20; ++i) granted += tb.tryAcquire(t + 100'000'000) == 0;
  EXPECT_EQ(granted, 5);
}

TEST(TokenBucket, ZeroRateIsUnlimited) {
  TokenBucket tb(0, 1);
  EXPECT_TRUE(tb.unlimited());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(tb.tryAcquire(0), 0);
}

}  // namespace
}  // namespace qiao::runtime
