// Schedules: cron jobs that poll a route's source, and jobs (`jobs:`) with a cron. Each fire time is taken through the store
// (beginScheduleRun), so it runs once even when several gateways share the database, a run
// never overlaps the previous one of the same schedule, and the last run and its outcome
// survive restarts. Fire times missed while no gateway ran are skipped or run once at start
// (`missed:`).
#include <boost/asio/post.hpp>

#include "gateway_impl.h"
#include "qiao/core/clock.h"
#include "qiao/core/log.h"

namespace qiao::runtime {

void GatewayImpl::startSchedules(int64_t now) {
  std::map<std::string, store::ScheduleRun> last;
  if (auto runs = store_->listScheduleRuns(); runs.ok())
    for (auto& r : *runs) last[r.name] = r;
  for (auto& s : schedules_) {
    s->next_ms = nextFire(*s, now);
    if (!s->has_cron) continue;
    auto it = last.find(s->cfg.name);
    if (it == last.end() || it->second.last_due_ms == 0) continue;  // never ran: nothing missed
    int64_t first_missed = nextRunMs(s->cron, it->second.last_due_ms, s->cfg.timezone);
    if (first_missed < 0 || first_missed > now) continue;
    log::info(s->cfg.missed == "run_once" ? "schedule.catch_up" : "schedule.missed_skipped",
              {{"schedule", s->cfg.name}, {"first_missed_ms", static_cast<long long>(first_missed)},
               {"next_ms", static_cast<long long>(s->next_ms)}});
    if (s->cfg.missed == "run_once") fireSchedule(*s, now, now);
  }
}

void GatewayImpl::tickSchedules(int64_t now) {
  for (auto& s : schedules_) {
    if (s->running && now - s->renewed_ms >= cfg_.store.lease_ms / 3) {
      // A long pull keeps its schedule lease, as deliveries keep theirs.
      (void)store_->renewScheduleRun(s->cfg.name, worker_id_, now + cfg_.store.lease_ms);
      s->renewed_ms = now;
    }
    if (now < s->next_ms) continue;
    int64_t due = s->next_ms;
    s->next_ms = nextFire(*s, now);
    fireSchedule(*s, due, now);
  }
}

void GatewayImpl::fireSchedule(Schedule& s, int64_t due_ms, int64_t now) {
  bool idle = false;
  if (!s.running.compare_exchange_strong(idle, true)) {  // the last fire, or an on-demand run
    log::warn("schedule.skipped_overlap", {{"schedule", s.cfg.name}});
    return;
  }
  auto taken = store_->beginScheduleRun(s.cfg.name, worker_id_, due_ms, now, now + cfg_.store.lease_ms);
  if (!taken.ok()) {
    s.running = false;
    log::warn("schedule.store_error", {{"schedule", s.cfg.name}, {"error", taken.error().message}});
    return;
  }
  if (!*taken) {  // another process runs it, or still runs the previous fire
    s.running = false;
    log::debug("schedule.taken_elsewhere", {{"schedule", s.cfg.name}});
    return;
  }
  s.progress = 0;
  s.progress_total = -1;
  s.renewed_ms = now;
  Schedule* sp = &s;
  boost::asio::post(*pool_, [this, sp] {
    PollOutcome out = sp->job ? runJobBody(*sp, "") : runPoll(*sp);
    finishRun(*sp, out);
  });
}

// One scheduled poll of a route's source: records are committed before the watermark moves.
PollOutcome GatewayImpl::runPoll(Schedule& s) {
  const config::ScheduleConfig& sched = s.cfg;
  PollOutcome out;
  const auto& route = cfg_.routes.at(sched.route);
  auto& source = *sources_.at(route.source);
  std::string wm_name = "route:" + sched.route;
  auto wm = store_->getWatermark(wm_name);
  std::string watermark = wm.ok() && wm->has_value() ? **wm : "";
  for (int round = 0; round < 1000 && !stopping_; ++round) {
    auto polled = source.poll(watermark, 500);
    if (!polled.ok()) {
      log::warn("poll.failed", {{"route", sched.route}, {"connector", route.source}, {"error", polled.error().message}});
      out.error = polled.error().message;
      return out;
    }
    for (auto& r : polled->records)
      if (r.source_system.empty()) r.source_system = route.source;
    size_t n = polled->records.size();
    if (n > 0) {
      auto res = ingest(sched.route, std::move(polled->records));
      if (!res.ok()) {
        log::warn("poll.ingest_failed", {{"route", sched.route}, {"error", res.error().message}});
        out.error = res.error().message;
        return out;
      }
    }
    if (polled->watermark != watermark) {
      auto st = store_->setWatermark(wm_name, polled->watermark, Clock::system().nowMs());
      if (!st.ok()) {
        out.error = st.error().message;
        return out;
      }
      watermark = polled->watermark;
    }
    out.records += static_cast<int64_t>(n);
    s.progress = out.records;
    log::info("poll.done", {{"route", sched.route}, {"records", static_cast<long>(n)},
                            {"total", static_cast<long long>(out.records)}});
    if (!polled->more) return out;
  }
  return out;
}

std::vector<JobStatus> GatewayImpl::jobStatuses() {
  std::map<std::string, store::ScheduleRun> last;
  if (auto runs = store_->listScheduleRuns(); runs.ok())
    for (auto& r : *runs) last[r.name] = r;
  std::vector<JobStatus> out;
  for (const auto& s : schedules_) {
    JobStatus j;
    j.name = s->cfg.name;
    j.kind = s->job ? s->job->type : "poll";
    j.cron = s->cfg.cron;
    j.timezone = s->cfg.timezone;
    j.route = s->cfg.route;
    j.missed = s->cfg.missed;
    j.next_run_ms = s->next_ms == INT64_MAX ? 0 : s->next_ms;
    j.running = s->running;
    j.progress_records = s->progress;
    j.progress_total = s->progress_total;
    if (auto it = last.find(j.name); it != last.end()) j.last = it->second;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace qiao::runtime
