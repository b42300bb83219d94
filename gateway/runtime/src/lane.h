// A lane: one sink connector instance with its delivery policies (concurrency limit,
// rate limit, circuit breaker) and counters. Routes that share a sink share its lane.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "qiao/config/config.h"
#include "qiao/runtime/resilience.h"
#include "qiao/sdk/connector.h"
#include "qiao/store/store.h"

namespace qiao::runtime {

struct Lane {
  Lane(const config::ConnectorConfig& cfg, std::unique_ptr<sdk::Sink> s)
      : name(cfg.name),
        type(cfg.type),
        concurrency(std::max(1, cfg.concurrency)),
        sink(std::move(s)),
        breaker(cfg.circuit_breaker.failure_threshold, cfg.circuit_breaker.open_ms),
        limiter(cfg.rate_limit.per_second, cfg.rate_limit.burst) {}

  // Messages claimed ahead of the workers, so a finished delivery never waits for a claim.
  int capacity() const { return concurrency * 4; }
  int freeCapacity() const { return capacity() - outstanding.load(); }

  const std::string name;
  const std::string type;
  const int concurrency;
  std::unique_ptr<sdk::Sink> sink;
  CircuitBreaker breaker;
  TokenBucket limiter;
  std::vector<std::string> routes;  // routes delivering through this lane
  std::atomic<int> in_flight{0};     // calls to the sink in progress
  std::atomic<int> outstanding{0};   // claimed and not yet completed in the store

  std::mutex mu;                     // guards ready and active_workers
  std::deque<store::Message> ready;  // claimed, waiting for a worker
  int active_workers = 0;            // worker loops running on the pool
  std::atomic<int64_t> delivered{0};
  std::atomic<int64_t> failed{0};
};

}  // namespace qiao::runtime
