// The metric series of one route, created once so the hot path only touches atomics.
#pragma once

#include <string>

#include "qiao/core/error.h"
#include "qiao/core/metrics.h"

namespace qiao::runtime {

struct RouteMetrics {
  RouteMetrics(metrics::Registry& reg, const std::string& route, const std::string& connector) {
    metrics::Labels rl{{"route", route}};
    metrics::Labels rc{{"route", route}, {"connector", connector}};
    received = &reg.counter("qiao_messages_received_total", "Records accepted by ingest or poll", rl);
    duplicates = &reg.counter("qiao_messages_duplicate_total", "Records ingested again with a known idempotency key", rl);
    delivered = &reg.counter("qiao_messages_delivered_total", "Records delivered to the sink", rc);
    retried = &reg.counter("qiao_messages_retried_total", "Failed attempts scheduled for retry", rc);
    dead = &reg.counter("qiao_messages_dead_lettered_total", "Records moved to the dead letters", rc);
    for (auto k : {ErrorClass::kTransient, ErrorClass::kPermanent, ErrorClass::kAuthExpired}) {
      metrics::Labels l = rc;
      l.emplace_back("class", std::string(toString(k)));
      failed_[static_cast<int>(k)] = &reg.counter("qiao_messages_failed_total", "Failed delivery attempts by error class", l);
    }
    pending = &reg.gauge("qiao_queue_depth", "Messages waiting for delivery (pending)", rl);
    inflight = &reg.gauge("qiao_queue_inflight", "Messages claimed by a worker", rl);
    dead_depth = &reg.gauge("qiao_dead_letters", "Messages in the dead letters", rl);
    e2e_latency = &reg.histogram("qiao_delivery_latency_seconds", "From ingest to delivered", rc);
    attempt_latency = &reg.histogram("qiao_attempt_latency_seconds", "One call to the sink", rc);
  }
  metrics::Counter* failed(ErrorClass k) { return failed_[static_cast<int>(k)]; }

  metrics::Counter* received;
  metrics::Counter* duplicates;
  metrics::Counter* delivered;
  metrics::Counter* retried;
  metrics::Counter* dead;
  metrics::Gauge* pending;
  metrics::Gauge* inflight;
  metrics::Gauge* dead_depth;
  metrics::Histogram* e2e_latency;
  metrics::Histogram* attempt_latency;

 private:
  metrics::Counter* failed_[3] = {};
};

}  // namespace qiao::runtime
