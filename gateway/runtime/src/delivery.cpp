// Delivery: the dispatcher claims due messages per sink lane (leases in the store), worker
// loops on the Asio pool deliver them, and outcomes are queued for batched completion.
#include <boost/asio/post.hpp>
#include <chrono>
#include <thread>

#include "gateway_impl.h"
#include "qiao/core/clock.h"
#include "qiao/core/log.h"

namespace qiao::runtime {

int GatewayImpl::totalInFlight() {
  int n = 0;
  for (auto& [_, lane] : lanes_) {
    std::lock_guard lock(lane->mu);
    n += lane->active_workers;
  }
  return n;
}

// Gives claimed-but-unstarted messages back (attempt not consumed).
void GatewayImpl::releaseReady(Lane& lane) {
  std::deque<store::Message> left;
  {
    std::lock_guard lock(lane.mu);
    left.swap(lane.ready);
  }
  for (const auto& m : left) {
    store::Completion c;
    c.message_id = m.id;
    c.attempt = m.attempt;
    c.kind = store::Completion::Kind::kRelease;
    c.worker = worker_id_;
    c.now_ms = Clock::system().nowMs();
    completions_->push(std::move(c));
  }
}

// Runs on the completion thread after each committed batch.
void GatewayImpl::onCommitted(const std::vector<store::Completion>& done) {
  {
    std::lock_guard lock(inflight_mu_);
    for (const auto& c : done) {
      auto it = inflight_.find(c.message_id);
      if (it == inflight_.end()) continue;
      it->second->outstanding--;
      inflight_.erase(it);
    }
  }
  syncAfterCommit(done);
  wake();
}

// Claims for every lane with free capacity and starts workers; returns how many messages
// were claimed.
int GatewayImpl::dispatchOnce() {
  int claimed_total = 0;
  int64_t now = Clock::system().nowMs();
  for (auto& [name, lane_ptr] : lanes_) {
    Lane& lane = *lane_ptr;
    auto state = lane.breaker.state(now);
    int free = lane.freeCapacity();
    size_t queued;
    {
      std::lock_guard lock(lane.mu);
      queued = lane.ready.size();
    }
    // Open circuit: claim nothing. Half-open: just enough for one probe.
    bool want = state == CircuitBreaker::State::kClosed ? free > 0
                : state == CircuitBreaker::State::kHalfOpen ? queued == 0 && free > 0
                                                              : false;
    if (want) {
      int limit = state == CircuitBreaker::State::kClosed ? free : 1;
      store::ClaimRequest req{worker_id_, lane.routes, limit, now, cfg_.store.lease_ms};
      auto claimed = store_->claim(req);
      if (!claimed.ok()) {
        log::warn("dispatch.claim_failed", {{"connector", name}, {"error", claimed.error().message}});
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      if (!claimed->empty()) {
        std::lock_guard lock(inflight_mu_);
        for (const auto& m : *claimed) inflight_[m.id] = &lane;
      }
      lane.outstanding += static_cast<int>(claimed->size());
      claimed_total += static_cast<int>(claimed->size());
      std::lock_guard lock(lane.mu);
      for (auto& m : *claimed) lane.ready.push_back(std::move(m));
    }
    startWorkers(lane, state);
  }
  return claimed_total;
}

void GatewayImpl::startWorkers(Lane& lane, CircuitBreaker::State state) {
  if (state == CircuitBreaker::State::kOpen) return;
  int max_workers = state == CircuitBreaker::State::kClosed ? lane.concurrency : 1;
  std::lock_guard lock(lane.mu);
  // Workers busy in a delivery (a slow target, the sync sink's batch window) take no new
  // message: each ready one gets a worker of its own, up to the lane's concurrency.
  int want = std::min<int>(max_workers, lane.active_workers + static_cast<int>(lane.ready.size()));
  while (lane.active_workers < want) {
    lane.active_workers++;
    boost::asio::post(*pool_, [this, &lane] { workerLoop(lane); });
  }
}

// One worker: delivers from the lane's ready queue until it is empty, the circuit stops
// it, or the gateway stops.
void GatewayImpl::workerLoop(Lane& lane) {
  for (;;) {
    store::Message msg;
    {
      std::lock_guard lock(lane.mu);
      bool go = !stopping_ && !lane.ready.empty() && lane.breaker.allow(Clock::system().nowMs());
      if (!go) {
        lane.active_workers--;
        break;
      }
      msg = std::move(lane.ready.front());
      lane.ready.pop_front();
    }
    if (!deliver(lane, msg)) {
      // Stopped while waiting for a rate-limit token: hand the message back.
      std::lock_guard lock(lane.mu);
      lane.ready.push_front(std::move(msg));
      lane.breaker.cancelProbe();
      lane.active_workers--;
      break;
    }
  }
  wake();
}

void GatewayImpl::dispatchLoop() {
  std::vector<std::string> all_routes;
  for (const auto& [name, _] : cfg_.routes) all_routes.push_back(name);
  while (!stopping_) {
    if (dispatchOnce() > 0) continue;
    // Idle: sleep until woken (ingest, completion, replay) or until the next message is
    // due; poll at least every 500 ms for work other processes put in the shared store.
    int64_t wait_ms = 500;
    auto due = store_->nextDueMs(all_routes);
    if (due.ok() && due->has_value())
      wait_ms = std::clamp<int64_t>(**due - Clock::system().nowMs(), 1, 500);
    std::unique_lock lock(wake_mu_);
    wake_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return wake_ || stopping_.load(); });
    wake_ = false;
  }
}

// Delivers one message and queues its outcome; false if stopped before the call started.
bool GatewayImpl::deliver(Lane& lane, const store::Message& msg) {
  for (;;) {
    int64_t wait = lane.limiter.tryAcquire(steadyNowUs());
    if (wait == 0) break;
    if (stopping_) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(wait, 50)));
  }
  const auto& route = cfg_.routes.at(msg.route);
  auto& rm = route_metrics_.at(msg.route);
  store::Completion c;
  c.message_id = msg.id;
  c.attempt = msg.attempt;
  c.worker = worker_id_;
  if (approval_request_routes_.count(msg.route)) {  // it submits a gate's approval request
    c.approval_request = true;
    c.approval_system = route.sink;
  }

  const Record* rec = &msg.record;
  Record keyed;
  auto mapping = route_mappings_.find(msg.route);
  if (mapping != route_mappings_.end()) {
    // The stored payload stays as it came in, so a corrected mapping plus a replay works.
    auto mapped = applyMapping(mapping->second, msg.record.payload, xref_resolver_.get());
    if (!mapped.ok() && mapped.error().code == ErrorCode::kMappingError) {
      failMapping(lane, msg, mapped.error(), c, rm);
      return true;
    }
    if (!mapped.ok()) {  // the cross-reference store failed: retry like a target failure
      c.now_ms = Clock::system().nowMs();
      lane.breaker.cancelProbe();
      classifyFailure(lane, route, msg, mapped.error(), c, rm);
      completions_->push(std::move(c));
      return true;
    }
    keyed = msg.record;
    keyed.payload = std::move(mapped).value();
    rec = &keyed;
  }
  if (rec->idempotency_key.empty()) {
    if (rec != &keyed) keyed = msg.record;
    keyed.idempotency_key = "qiao-" + msg.route + "-" + std::to_string(msg.id);
    rec = &keyed;
  }
  lane.in_flight++;
  int64_t t0 = steadyNowUs();
  auto result = lane.sink->deliver(*rec);
  c.latency_us = steadyNowUs() - t0;
  lane.in_flight--;
  c.now_ms = Clock::system().nowMs();
  rm.attempt_latency->observe(static_cast<double>(c.latency_us) / 1e6);
  if (result.ok()) {
    lane.breaker.onSuccess();
    lane.delivered++;
    c.kind = store::Completion::Kind::kDelivered;
    c.remote_id = result->remote_id;
    afterDelivery(route, msg, rec->idempotency_key, *result, c);
    rm.delivered->inc();
    rm.e2e_latency->observe(static_cast<double>(c.now_ms - msg.record.created_at_ms) / 1e3);
  } else {
    classifyFailure(lane, route, msg, result.error(), c, rm);
  }
  completions_->push(std::move(c));
  return true;
}

// A record the route's mapping rejects never reaches the target: dead letter at once, with
// every field error, and no effect on the circuit breaker (the target was not called).
void GatewayImpl::failMapping(Lane& lane, const store::Message& msg, const Error& err,
                              store::Completion& c, RouteMetrics& rm) {
  lane.breaker.cancelProbe();
  c.now_ms = Clock::system().nowMs();
  c.kind = store::Completion::Kind::kDead;
  c.error_class = std::string(toString(ErrorClass::kPermanent));
  c.error = "mapping: " + err.message;
  rm.failed(ErrorClass::kPermanent)->inc();
  rm.dead->inc();
  log::warn("delivery.mapping_failed", {{"route", msg.route}, {"connector", lane.name},
                                        {"message_id", static_cast<long long>(msg.id)},
                                        {"key", msg.record.business_key}, {"error", err.message}});
  completions_->push(std::move(c));
}

void GatewayImpl::classifyFailure(Lane& lane, const config::RouteConfig& route, const store::Message& msg,
                     const Error& err, store::Completion& c, RouteMetrics& rm) {
  lane.failed++;
  c.error_class = std::string(toString(err.klass));
  c.error = err.message;
  rm.failed(err.klass)->inc();
  if (err.klass == ErrorClass::kPermanent) {
    lane.breaker.onSuccess();  // the target answered: it is up
    c.kind = store::Completion::Kind::kDead;
  } else if (msg.attempt >= route.retry.max_attempts) {
    lane.breaker.onFailure(c.now_ms);
    c.kind = store::Completion::Kind::kDead;
    c.error = "gave up after " + std::to_string(msg.attempt) + " attempts: " + err.message;
  } else {
    int64_t delay;
    if (err.klass == ErrorClass::kAuthExpired && msg.attempt == 1) {
      delay = 0;  // the connector logs in again on the next call
      lane.breaker.cancelProbe();
    } else {
      lane.breaker.onFailure(c.now_ms);
      std::lock_guard lock(rng_mu_);
      delay = backoffDelayMs(msg.attempt, route.retry.initial_backoff_ms, route.retry.max_backoff_ms,
                             err.retry_after_ms, rng_);
    }
    c.kind = store::Completion::Kind::kRetry;
    c.next_attempt_at_ms = c.now_ms + delay;
    rm.retried->inc();
  }
  if (c.kind == store::Completion::Kind::kDead) rm.dead->inc();
  log::warn(c.kind == store::Completion::Kind::kDead ? "delivery.dead_letter" : "delivery.retry",
            {{"route", msg.route}, {"connector", lane.name}, {"message_id", static_cast<long long>(msg.id)},
             {"attempt", msg.attempt}, {"class", c.error_class}, {"error", c.error}});
}

}  // namespace qiao::runtime
