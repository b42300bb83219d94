// Parallelism and connection reuse: 32 workers against a simulator that adds 50 ms to every
// call. A serial client would manage 20 orders/s; a pool of kept-alive connections, one
// session shared by every worker, approaches 32 / 0.05 s = 640 Saves/s. Save + Submit + Audit
// takes three round trips (ceiling 213/s); IsAutoSubmitAndAudit does it in one.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "k3_sim_fixture.h"

namespace k3test {
namespace {

double ordersPerSecond(k3::K3Sink& sink, const std::string& prefix, int workers, int per_worker,
                       std::atomic<int>* failures) {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < per_worker; ++i) {
        qiao::Record r;
        r.payload = K3SimTest::orderBody().dump();
        r.idempotency_key = prefix + "-" + std::to_string(w) + "-" + std::to_string(i);
        r.attempt = 1;
        if (!sink.deliver(r).ok()) (*failures)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return workers * per_worker / s;
}

TEST_F(K3SimTest, ThirtyTwoWorkersAtFiftyMillisecondsLatency) {
  post("/sim/k3cloud/_config", {{"latency_ms", 50}});
  auto sink = makeSink(settings("sign", {{"max_connections", 32}}));
  std::atomic<int> failures{0};
  double save_only = ordersPerSecond(*sink, name_ + "-a", 32, 12, &failures);
  auto with_audit = makeSink(settings("sign", {{"submit", true}, {"audit", true}}));
  double save_submit_audit = ordersPerSecond(*with_audit, name_ + "-b", 32, 6, &failures);
  with_audit.reset();  // closes its 32 kept-alive connections (each holds a sim thread)
  auto one_trip = makeSink(settings("sign", {{"auto_submit_audit", true}}));
  double auto_audit = ordersPerSecond(*one_trip, name_ + "-d", 32, 12, &failures);
  one_trip.reset();
  post("/sim/k3cloud/_config", {{"latency_ms", 0}});
  double no_latency = ordersPerSecond(*sink, name_ + "-c", 32, 30, &failures);
  std::printf("k3cloud throughput, 32 workers: 50 ms latency Save %.0f orders/s, "
              "Save+Submit+Audit %.0f orders/s, Save with IsAutoSubmitAndAudit %.0f orders/s; "
              "0 ms latency Save %.0f orders/s\n",
              save_only, save_submit_audit, auto_audit, no_latency);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(stats()["bills"]["SAL_SaleOrder"].get<int64_t>(), 32 * 12 + 32 * 6 + 32 * 12 + 32 * 30);
  EXPECT_EQ(logins(), 3) << "one login per sink, shared by every worker";
  // Far above what a serial client (20/s) or one connection per call would manage; the bound
  // leaves room for a loaded 2-core test machine.
  EXPECT_GT(save_only, 250.0);
  EXPECT_GT(save_submit_audit, 90.0);
  EXPECT_GT(auto_audit, 250.0);
  EXPECT_LE(stats()["max_concurrent"].get<int64_t>(), 32);
}

}  // namespace
}  // namespace k3test
