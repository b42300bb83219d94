// Housekeeping on the timer thread: lease renewal, queue gauges, scheduled source polls.
#include <boost/asio/post.hpp>
#include <chrono>
#include <thread>

#include "gateway_impl.h"
#include "qiao/core/clock.h"
#include "qiao/core/log.h"

namespace qiao::runtime {

// Lease renewal, queue gauges and schedules, once every 100 ms.
void GatewayImpl::timerLoop() {
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

int64_t GatewayImpl::nextFire(const Schedule& s, int64_t now) {
  int64_t next = nextRunMs(s.cron, now, s.cfg.timezone);
  return next < 0 ? INT64_MAX : next;  // never fires (e.g. 30 February)
}

void GatewayImpl::renewLeases(int64_t now) {
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

void GatewayImpl::refreshGauges() {
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
void GatewayImpl::runPoll(const config::ScheduleConfig& sched) {
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

}  // namespace qiao::runtime
