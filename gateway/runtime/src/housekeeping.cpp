// Housekeeping on the timer thread: lease renewal, queue gauges, and the schedules' clock
// (schedules.cpp).
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
  startSchedules(now);
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
    tickSchedules(now);
    tickApprovals(now);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int64_t GatewayImpl::nextFire(const Schedule& s, int64_t now) {
  if (!s.has_cron) return INT64_MAX;  // a job run on demand only
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

}  // namespace qiao::runtime
