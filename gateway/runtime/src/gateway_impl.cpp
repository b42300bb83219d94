// The runtime: a dispatcher thread claims due messages per sink lane through leases in the
// store, an Asio thread pool delivers them, and every outcome goes back to the store (fenced
// by the attempt number). A timer thread renews leases, refreshes queue gauges and runs
// scheduled source polls.
#include <pthread.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <unordered_map>
#include <thread>

#include "completion_queue.h"
#include "lane.h"
#include "qiao/core/clock.h"
#include "qiao/core/cron.h"
#include "qiao/core/log.h"
#include "qiao/runtime/gateway.h"
#include "qiao/sdk/connector.h"
#include "route_metrics.h"

namespace qiao::runtime {
namespace {

std::string randomHex(std::mt19937_64& rng, int bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(static_cast<size_t>(bytes) * 2);
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    if (i % 8 == 0) v = rng();
    unsigned b = v & 0xff;
    v >>= 8;
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string makeWorkerId(std::mt19937_64& rng) {
  char host[128] = {0};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + randomHex(rng, 3);
}

// The business key named by a route's JSON pointer ("/orderId"); "" if absent.
std::string extractKey(const std::string& payload, const std::string& pointer) {
  if (pointer.empty()) return "";
  auto doc = nlohmann::json::parse(payload, nullptr, false);
  if (doc.is_discarded()) return "";
  try {
    const auto& v = doc.at(nlohmann::json::json_pointer(pointer));
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number() || v.is_boolean()) return v.dump();
  } catch (const std::exception&) {
  }
  return "";
}

struct Schedule {
  config::ScheduleConfig cfg;
  CronExpr cron;
  int64_t next_ms = 0;
  std::atomic<bool> running{false};
};

class GatewayImpl final : public Gateway {
 public:
  GatewayImpl(config::Config cfg, std::unique_ptr<store::Store> store)
      : cfg_(std::move(cfg)), store_(std::move(store)), rng_(std::random_device{}()) {
    worker_id_ = makeWorkerId(rng_);
  }

  ~GatewayImpl() override { stop(); }

  Status build(const sdk::Registry& registry) {
    std::set<std::string> sink_names, source_names;
    for (const auto& [name, route] : cfg_.routes) {
      if (!route.mapping.empty() && route.mapping != "identity")
        return Error::permanent(ErrorCode::kConfigInvalid,
                                "route '" + name + "' names mapping '" + route.mapping +
                                    "', but this build has no mapping engine yet; use identity");
      sink_names.insert(route.sink);
      if (route.source != "ingest") source_names.insert(route.source);
    }
    for (const auto& [name, conn] : cfg_.connectors) {
      const sdk::Descriptor* d = registry.find(conn.type);
      if (!d) return Error::permanent(ErrorCode::kConfigInvalid, "unknown connector type '" + conn.type + "'");
      sdk::InstanceConfig ic{name, conn.settings_json};
      sdk::Context ctx{name, cfg_.gateway.data_dir + "/connectors/" + name};
      if (sink_names.count(name)) {
        if (!d->isSink())
          return Error::permanent(ErrorCode::kConfigInvalid, "connector '" + name + "' is not a sink");
        auto sink = d->make_sink(ic, ctx);
        if (!sink.ok())
          return Error::permanent(sink.error().code,
                                  "connector '" + name + "': " + sink.error().message);
        lanes_[name] = std::make_unique<Lane>(conn, std::move(sink).value());
      }
      if (source_names.count(name)) {
        if (!d->isSource())
          return Error::permanent(ErrorCode::kConfigInvalid, "connector '" + name + "' is not a source");
        auto src = d->make_source(ic, ctx);
        if (!src.ok())
          return Error::permanent(src.error().code,
                                  "connector '" + name + "': " + src.error().message);
        sources_[name] = std::move(src).value();
      }
    }
    for (const auto& [name, route] : cfg_.routes) {
      lanes_.at(route.sink)->routes.push_back(name);
      route_metrics_.emplace(name, RouteMetrics(metrics_, name, route.sink));
    }
    for (const auto& [name, sched] : cfg_.schedules) {
      auto cron = parseCron(sched.cron);
      if (!cron.ok()) return Error::permanent(ErrorCode::kConfigInvalid, "schedule '" + name + "': " + cron.error().message);
      auto s = std::make_unique<Schedule>();
      s->cfg = sched;
      if (s->cfg.timezone.empty()) s->cfg.timezone = cfg_.gateway.timezone;
      s->cron = cron.value();
      schedules_.push_back(std::move(s));
    }
    return {};
  }

  Status start() override {
    if (started_.exchange(true)) return {};
    pool_ = std::make_unique<boost::asio::thread_pool>(std::max(1, cfg_.gateway.workers));
    completions_ = std::make_unique<CompletionQueue>(*store_, [this](const std::vector<store::Completion>& done) {
      onCommitted(done);
    });
    dispatcher_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "qiao-dispatch");
      dispatchLoop();
    });
    timer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "qiao-timer");
      timerLoop();
    });
    ready_ = true;
    log::info("gateway.started", {{"worker", worker_id_}, {"routes", static_cast<long>(cfg_.routes.size())},
                                  {"connectors", static_cast<long>(lanes_.size() + sources_.size())}});
    return {};
  }

  void stop() override {
    if (!started_ || stopped_.exchange(true)) return;
    ready_ = false;
    stopping_ = true;
    wake();
    if (dispatcher_.joinable()) dispatcher_.join();
    if (timer_.joinable()) timer_.join();
    // Drain: deliveries already started may finish within the drain timeout; claimed
    // messages no worker has started go back to the queue untouched.
    int64_t deadline = steadyNowUs() + cfg_.gateway.drain_timeout_ms * 1000;
    while (totalInFlight() > 0 && steadyNowUs() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    int left = totalInFlight();
    for (auto& [_, lane] : lanes_) releaseReady(*lane);
    completions_->flush();
    completions_->stop();
    auto st = store_->releaseWorker(worker_id_);
    if (!st.ok()) log::error("gateway.release_failed", {{"error", st.error().message}});
    if (left == 0) {
      pool_->join();
    } else {
      // Deliveries stuck past the drain timeout: their leases are released and their late
      // completions will be fenced off; do not block shutdown on them.
      log::warn("gateway.drain_timeout", {{"in_flight", left}});
      (void)pool_.release();
    }
    log::info("gateway.stopped", {{"worker", worker_id_}, {"abandoned", left}});
  }

  bool ready() const override { return ready_; }

  Result<std::vector<store::IngestResult>> ingest(const std::string& route_name,
                                                  std::vector<Record> records) override {
    auto it = cfg_.routes.find(route_name);
    if (it == cfg_.routes.end())
      return Error::permanent(ErrorCode::kNotFound, "unknown route '" + route_name + "'");
    if (stopping_) return Error::transient(ErrorCode::kStoreBusy, "the gateway is shutting down");
    const auto& route = it->second;
    int64_t now = Clock::system().nowMs();
    std::vector<store::NewMessage> batch;
    batch.reserve(records.size());
    {
      std::lock_guard lock(rng_mu_);
      for (auto& rec : records) {
        if (rec.trace_id.empty()) rec.trace_id = randomHex(rng_, 8);
        if (rec.entity.empty()) rec.entity = route.entity;
        if (rec.business_key.empty()) rec.business_key = extractKey(rec.payload, route.business_key);
        rec.created_at_ms = rec.updated_at_ms = now;
        store::NewMessage m{route_name, std::move(rec), ""};
        if (route.ordered) m.order_key = m.record.business_key;
        batch.push_back(std::move(m));
      }
    }
    auto res = store_->ingest(batch, now);
    if (!res.ok()) return res;
    int64_t fresh = 0;
    for (const auto& r : *res) fresh += r.duplicate ? 0 : 1;
    auto& rm = route_metrics_.at(route_name);
    rm.received->inc(fresh);
    rm.duplicates->inc(static_cast<int64_t>(res->size()) - fresh);
    if (fresh) wake();
    return res;
  }

  Result<sdk::WebhookReply> webhook(const std::string& connector,
                                    const sdk::WebhookRequest& request) override {
    auto src = sources_.find(connector);
    if (src == sources_.end())
      return Error::permanent(ErrorCode::kNotFound, "no route reads from a connector named '" + connector + "'");
    auto reply = src->second->onWebhook(request);
    if (!reply.ok()) return reply;
    if (!reply->records.empty()) {
      for (auto& r : reply->records)
        if (r.source_system.empty()) r.source_system = connector;
      for (const auto& [name, route] : cfg_.routes) {
        if (route.source != connector) continue;
        auto res = ingest(name, reply->records);
        if (!res.ok()) return res.takeError();
      }
      reply->records.clear();
    }
    return reply;
  }

  Result<int64_t> replay(const store::ReplayRequest& request) override {
    auto res = store_->replay(request);
    if (res.ok()) {
      log::info("dlq.replayed", {{"dead_letter", static_cast<long long>(request.dead_letter_id)},
                                 {"message_id", static_cast<long long>(*res)},
                                 {"actor", request.actor}});
      wake();
    }
    return res;
  }

  std::vector<ConnectorStatus> connectorStatuses() override {
    std::vector<ConnectorStatus> out;
    int64_t now = Clock::system().nowMs();
    for (auto& [name, lane] : lanes_) {
      ConnectorStatus s;
      s.name = name;
      s.type = lane->type;
      s.kind = "sink";
      auto h = lane->sink->health();
      s.healthy = h.healthy;
      s.health_detail = h.detail;
      s.circuit = CircuitBreaker::toString(lane->breaker.state(now));
      s.in_flight = lane->in_flight.load();
      s.concurrency = lane->concurrency;
      s.delivered = lane->delivered.load();
      s.failed = lane->failed.load();
      out.push_back(std::move(s));
    }
    for (auto& [name, src] : sources_) {
      ConnectorStatus s;
      s.name = name;
      s.type = cfg_.connectors.at(name).type;
      s.kind = "source";
      auto h = src->health();
      s.healthy = h.healthy;
      s.health_detail = h.detail;
      s.circuit = "closed";
      out.push_back(std::move(s));
    }
    return out;
  }

  const config::Config& config() const override { return cfg_; }
  store::Store& store() override { return *store_; }
  metrics::Registry& metrics() override { return metrics_; }

 private:
  int totalInFlight() {
    int n = 0;
    for (auto& [_, lane] : lanes_) {
      std::lock_guard lock(lane->mu);
      n += lane->active_workers;
    }
    return n;
  }

  // Gives claimed-but-unstarted messages back (attempt not consumed).
  void releaseReady(Lane& lane) {
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
  void onCommitted(const std::vector<store::Completion>& done) {
    {
      std::lock_guard lock(inflight_mu_);
      for (const auto& c : done) {
        auto it = inflight_.find(c.message_id);
        if (it == inflight_.end()) continue;
        it->second->outstanding--;
        inflight_.erase(it);
      }
    }
    wake();
  }

  void wake() {
    {
      std::lock_guard lock(wake_mu_);
      wake_ = true;
    }
    wake_cv_.notify_one();
  }

  // Claims for every lane with free capacity and starts workers; returns how many messages
  // were claimed.
  int dispatchOnce() {
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

  void startWorkers(Lane& lane, CircuitBreaker::State state) {
    if (state == CircuitBreaker::State::kOpen) return;
    int max_workers = state == CircuitBreaker::State::kClosed ? lane.concurrency : 1;
    std::lock_guard lock(lane.mu);
    int want = std::min<int>(max_workers, static_cast<int>(lane.ready.size()));
    while (lane.active_workers < want) {
      lane.active_workers++;
      boost::asio::post(*pool_, [this, &lane] { workerLoop(lane); });
    }
  }

  // One worker: delivers from the lane's ready queue until it is empty, the circuit stops
  // it, or the gateway stops.
  void workerLoop(Lane& lane) {
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

  void dispatchLoop() {
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
  bool deliver(Lane& lane, const store::Message& msg) {
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

    const Record* rec = &msg.record;
    Record keyed;
    if (rec->idempotency_key.empty()) {
      keyed = msg.record;
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
      rm.delivered->inc();
      rm.e2e_latency->observe(static_cast<double>(c.now_ms - msg.record.created_at_ms) / 1e3);
    } else {
      classifyFailure(lane, route, msg, result.error(), c, rm);
    }
    completions_->push(std::move(c));
    return true;
  }

  void classifyFailure(Lane& lane, const config::RouteConfig& route, const store::Message& msg,
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

  // Lease renewal, queue gauges and schedules, once every 100 ms.
  void timerLoop() {
    int64_t last_renew = 0, last_gauges = 0;
    int64_t now = Clock::system().nowMs();
    for (auto& s : schedules_) s->next_ms = nextFire(*s, now);
    while (!stopping_) {
      now = Clock::system().nowMs();
      if (now - last_renew >= cfg_.store.lease_ms / 3) {
        renewLeases(now);
        last_renew = now;
      }
      if (now - last_gauges >= 1000) {
        refreshGauges();
        last_gauges = now;
      }
      for (auto& s : schedules_) {
        if (now < s->next_ms) continue;
        s->next_ms = nextFire(*s, now);
        if (s->running.exchange(true)) {
          log::warn("schedule.skipped_overlap", {{"schedule", s->cfg.name}});
          continue;
        }
        Schedule* sp = s.get();
        boost::asio::post(*pool_, [this, sp] {
          runPoll(sp->cfg);
          sp->running = false;
        });
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  static int64_t nextFire(const Schedule& s, int64_t now) {
    int64_t next = nextRunMs(s.cron, now, s.cfg.timezone);
    return next < 0 ? INT64_MAX : next;  // never fires (e.g. 30 February)
  }

  void renewLeases(int64_t now) {
    std::vector<int64_t> ids;
    {
      std::lock_guard lock(inflight_mu_);
      ids.reserve(inflight_.size());
      for (const auto& [id, _] : inflight_) ids.push_back(id);
    }
    if (ids.empty()) return;
    auto st = store_->renewLeases(worker_id_, ids, now + cfg_.store.lease_ms);
    if (!st.ok()) log::warn("lease.renew_failed", {{"error", st.error().message}});
  }

  void refreshGauges() {
    auto depths = store_->queueDepths();
    if (!depths.ok()) return;
    std::map<std::string, store::RouteDepth> by_route;
    for (const auto& d : *depths) by_route[d.route] = d;
    for (const auto& [name, _] : cfg_.routes) {
      store::RouteDepth d = by_route.count(name) ? by_route[name] : store::RouteDepth{name, 0, 0, 0};
      auto it = route_metrics_.find(d.route);
      if (it == route_metrics_.end()) continue;
      it->second.pending->set(d.pending);
      it->second.inflight->set(d.inflight);
      it->second.dead_depth->set(d.dead);
    }
  }

  // One scheduled poll of a route's source: records are committed before the watermark moves.
  void runPoll(const config::ScheduleConfig& sched) {
    const auto& route = cfg_.routes.at(sched.route);
    auto& source = *sources_.at(route.source);
    std::string wm_name = "route:" + sched.route;
    auto wm = store_->getWatermark(wm_name);
    std::string watermark = wm.ok() && wm->has_value() ? **wm : "";
    for (int round = 0; round < 1000 && !stopping_; ++round) {
      auto polled = source.poll(watermark, 500);
      if (!polled.ok()) {
        log::warn("poll.failed", {{"route", sched.route}, {"connector", route.source}, {"error", polled.error().message}});
        return;
      }
      for (auto& r : polled->records)
        if (r.source_system.empty()) r.source_system = route.source;
      size_t n = polled->records.size();
      if (n > 0) {
        auto res = ingest(sched.route, std::move(polled->records));
        if (!res.ok()) {
          log::warn("poll.ingest_failed", {{"route", sched.route}, {"error", res.error().message}});
          return;
        }
      }
      if (polled->watermark != watermark) {
        auto st = store_->setWatermark(wm_name, polled->watermark, Clock::system().nowMs());
        if (!st.ok()) return;
        watermark = polled->watermark;
      }
      log::info("poll.done", {{"route", sched.route}, {"records", static_cast<long>(n)}});
      if (!polled->more) return;
    }
  }

  config::Config cfg_;
  std::unique_ptr<store::Store> store_;
  metrics::Registry metrics_;
  std::map<std::string, std::unique_ptr<Lane>> lanes_;
  std::map<std::string, std::unique_ptr<sdk::Source>> sources_;
  std::map<std::string, RouteMetrics> route_metrics_;
  std::vector<std::unique_ptr<Schedule>> schedules_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
  std::thread dispatcher_;
  std::thread timer_;
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool wake_ = false;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> ready_{false};
  std::string worker_id_;
  std::mutex inflight_mu_;
  std::unordered_map<int64_t, Lane*> inflight_;  // claimed by this process, not yet completed
  std::unique_ptr<CompletionQueue> completions_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace

Result<std::unique_ptr<Gateway>> createGateway(config::Config config, const sdk::Registry& registry) {
  if (config.store.driver != "sqlite")
    return Error::permanent(ErrorCode::kConfigInvalid, "store driver '" + config.store.driver + "' is not available");
  store::SqliteOptions opts;
  opts.path = config.store.path.empty() ? config.gateway.data_dir + "/qiao.db" : config.store.path;
  opts.busy_timeout_ms = config.store.busy_timeout_ms;
  opts.synchronous_full = config.store.synchronous != "normal";
  auto store = store::openSqliteStore(opts);
  if (!store.ok()) return store.takeError();
  auto gw = std::make_unique<GatewayImpl>(std::move(config), std::move(store).value());
  auto st = gw->build(registry);
  if (!st.ok()) return st.error();
  return std::unique_ptr<Gateway>(std::move(gw));
}

}  // namespace qiao::runtime
