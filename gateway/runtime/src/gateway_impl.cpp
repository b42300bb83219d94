// The runtime: a dispatcher thread claims due messages per sink lane through leases in the
// store, an Asio thread pool delivers them, and every outcome goes back to the store (fenced
// by the attempt number). A timer thread renews leases, refreshes queue gauges and runs
// scheduled source polls.
#include <pthread.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "gateway_impl.h"
#include "qiao/core/clock.h"
#include "qiao/core/log.h"

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

}  // namespace

GatewayImpl::GatewayImpl(config::Config cfg, std::unique_ptr<store::Store> store)
    : cfg_(std::move(cfg)), store_(std::move(store)), rng_(std::random_device{}()) {
  worker_id_ = makeWorkerId(rng_);
  xref_resolver_ = makeStoreXrefResolver(*store_);
}

std::vector<std::string> checkConnectorSettings(const config::Config& cfg,
                                                const sdk::Registry& registry) {
  std::set<std::string> sinks, sources;
  for (const auto& [name, route] : cfg.routes) {
    sinks.insert(route.sink);
    if (route.source != "ingest") sources.insert(route.source);
  }
  std::vector<std::string> problems;
  for (const auto& [name, conn] : cfg.connectors) {
    const sdk::Descriptor* d = registry.find(conn.type);
    if (!d) continue;  // the config loader reported it
    sdk::InstanceConfig ic{name, conn.settings_json};
    sdk::Context ctx{name, cfg.gateway.data_dir + "/connectors/" + name};
    Status st = Status::okStatus();
    if (sinks.count(name) && d->isSink()) {
      auto made = d->make_sink(ic, ctx);
      if (!made.ok()) st = made.error();
    }
    if (st.ok() && sources.count(name) && d->isSource()) {
      auto made = d->make_source(ic, ctx);
      if (!made.ok()) st = made.error();
    }
    if (!st.ok()) problems.push_back("connectors." + name + ": " + st.error().message);
  }
  return problems;
}

Status GatewayImpl::build(const sdk::Registry& registry) {
  std::set<std::string> sink_names, source_names;
  for (const auto& [name, route] : cfg_.routes) {
    if (!route.mapping.empty()) {
      auto plan = loadRouteMapping(cfg_, name);
      if (!plan.ok()) return plan.takeError();
      route_mappings_[name] = std::move(plan).value();
    }
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
  if (Status st = buildReconciliation(); !st.ok()) return st;
  buildApprovals();
  if (Status st = buildSync(); !st.ok()) return st;
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
  for (const auto& [name, job] : cfg_.jobs) {
    auto s = std::make_unique<Schedule>();
    s->job = &job;
    s->cfg.name = name;
    s->cfg.cron = job.cron;
    s->cfg.timezone = job.timezone.empty() ? cfg_.gateway.timezone : job.timezone;
    s->cfg.missed = job.missed;
    s->has_cron = !job.cron.empty();
    if (s->has_cron) {
      auto cron = parseCron(job.cron);
      if (!cron.ok()) return Error::permanent(ErrorCode::kConfigInvalid, "job '" + name + "': " + cron.error().message);
      s->cron = cron.value();
    }
    if (!job.mapping.empty()) {
      auto plan = loadNamedMapping(cfg_, job.mapping, "job '" + name + "'");
      if (!plan.ok()) return plan.takeError();
      job_mappings_[name] = std::move(plan).value();
    }
    schedules_.push_back(std::move(s));
  }
  return {};
}

Status GatewayImpl::start() {
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
  warnAboutOrphans();
  syncResume();
  ready_ = true;
  log::info("gateway.started", {{"worker", worker_id_}, {"routes", static_cast<long>(cfg_.routes.size())},
                                {"connectors", static_cast<long>(lanes_.size() + sources_.size())}});
  return {};
}

// Messages of a route that is no longer configured would wait forever without a word.
void GatewayImpl::warnAboutOrphans() {
  auto depths = store_->queueDepths();
  if (!depths.ok()) return;
  for (const auto& d : *depths) {
    if (cfg_.routes.count(d.route) || d.pending + d.inflight == 0) continue;
    log::warn("gateway.orphaned_messages",
              {{"route", d.route}, {"pending", static_cast<long long>(d.pending + d.inflight)},
               {"hint", "the route is not in the configuration; restore it to deliver them"}});
  }
}

bool GatewayImpl::stop() {
  if (!started_ || stopped_.exchange(true)) return abandoned_ == 0;
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
  abandoned_ = left;
  return left == 0;
}

Result<std::vector<store::IngestResult>> GatewayImpl::ingest(const std::string& route_name,
                                                             std::vector<Record> records) {
  if (!cfg_.routes.count(route_name))
    return Error::permanent(ErrorCode::kNotFound, "unknown route '" + route_name + "'");
  std::vector<store::NewMessage> batch;
  batch.reserve(records.size());
  int64_t now = Clock::system().nowMs();
  for (auto& rec : records) batch.push_back(prepare(route_name, std::move(rec), now));
  return commit(batch, now);
}

store::NewMessage GatewayImpl::prepare(const std::string& route_name, Record rec, int64_t now) {
  const auto& route = cfg_.routes.at(route_name);
  if (rec.trace_id.empty()) {
    std::lock_guard lock(rng_mu_);
    rec.trace_id = randomHex(rng_, 8);
  }
  if (rec.entity.empty()) rec.entity = route.entity;
  if (rec.business_key.empty()) rec.business_key = extractKey(rec.payload, route.business_key);
  rec.created_at_ms = rec.updated_at_ms = now;
  store::NewMessage m{route_name, std::move(rec), "", std::nullopt};
  if (route.ordered) m.order_key = m.record.business_key;
  if (route.approval.enabled()) m.gate = approvalGate(route_name, m.record, now);
  return m;
}

// One transaction for the whole batch, whatever routes it spans.
Result<std::vector<store::IngestResult>> GatewayImpl::commit(std::span<const store::NewMessage> batch,
                                                             int64_t now) {
  if (stopping_) return Error::transient(ErrorCode::kStoreBusy, "the gateway is shutting down");
  auto res = store_->ingest(batch, now);
  if (!res.ok()) return res;
  bool any_fresh = false;
  for (size_t i = 0; i < res->size(); ++i) {
    auto& rm = route_metrics_.at(batch[i].route);
    if ((*res)[i].duplicate) {
      rm.duplicates->inc();
    } else {
      rm.received->inc();
      any_fresh = true;
    }
  }
  if (any_fresh) wake();
  return res;
}

Result<sdk::WebhookReply> GatewayImpl::webhook(const std::string& connector,
                                               const sdk::WebhookRequest& request) {
  auto src = sources_.find(connector);
  if (src == sources_.end())
    return Error::permanent(ErrorCode::kNotFound, "no route reads from a connector named '" + connector + "'");
  auto reply = src->second->onWebhook(request);
  if (!reply.ok()) return reply;
  if (!reply->records.empty()) {
    // Every route reading from this connector gets the records, in one transaction: a
    // failure leaves none of them committed, so the sender's retry cannot double any.
    std::vector<store::NewMessage> batch;
    int64_t now = Clock::system().nowMs();
    for (const auto& [name, route] : cfg_.routes) {
      if (route.source != connector) continue;
      for (const auto& r : reply->records) {
        Record rec = r;
        if (rec.source_system.empty()) rec.source_system = connector;
        batch.push_back(prepare(name, std::move(rec), now));
      }
    }
    auto res = commit(batch, now);
    if (!res.ok()) return res.takeError();
    reply->records.clear();
  }
  return reply;
}

Result<int64_t> GatewayImpl::replay(const store::ReplayRequest& request) {
  auto res = store_->replay(request);
  if (res.ok()) {
    log::info("dlq.replayed", {{"dead_letter", static_cast<long long>(request.dead_letter_id)},
                               {"message_id", static_cast<long long>(*res)},
                               {"actor", request.actor}});
    wake();
  }
  return res;
}

std::vector<ConnectorStatus> GatewayImpl::connectorStatuses() {
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

void GatewayImpl::wake() {
  {
    std::lock_guard lock(wake_mu_);
    wake_ = true;
  }
  wake_cv_.notify_one();
}

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
