// Store micro benchmark: durable ingest throughput under concurrency (group commit) and
// claim+complete throughput on a table holding 100k delivered rows. Every row is bounded by
// a message count and a time budget, so the program always stops by itself.
//
//   qiao_store_bench [dir [gateway]]   (default: a fresh directory under /tmp, removed at the
//   end; "gateway" runs only the gateway-shaped row, "gateway-normal" with synchronous=NORMAL)
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "qiao/store/store.h"

using namespace qiao;
using namespace qiao::store;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int kMaxPerRow = 20000;
constexpr double kRowBudgetS = 6.0;

std::unique_ptr<Store> openStore(const std::string& path, bool full) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  SqliteOptions o;
  o.path = path;
  o.synchronous_full = full;
  auto r = openSqliteStore(o);
  if (!r.ok()) {
    std::fprintf(stderr, "open failed: %s\n", r.error().message.c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

NewMessage makeMessage(int64_t n, bool with_key) {
  NewMessage m;
  m.route = "crm-to-erp";
  m.record.payload = "{\"order\":\"SO-" + std::to_string(n) +
                     "\",\"lines\":[{\"sku\":\"A-1\",\"qty\":2,\"price\":19.9}]}";
  m.record.entity = "order";
  m.record.source_system = "crm";
  m.record.business_key = "SO-" + std::to_string(n);
  if (with_key) m.record.idempotency_key = "idem-" + std::to_string(n);
  m.record.trace_id = "t" + std::to_string(n);
  return m;
}

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Each thread ingests single-message calls until the shared count or time budget runs out.
void ingestRow(const std::string& path, int threads, bool full) {
  auto store = openStore(path, full);
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<double>> latencies_ms(static_cast<size_t>(threads));
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(kRowBudgetS);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (;;) {
        int64_t n = next.fetch_add(1);
        if (n >= kMaxPerRow || Clock::now() > deadline) return;
        std::vector<NewMessage> one{makeMessage(n, true)};
        auto t0 = Clock::now();
        auto r = store->ingest(one, kNow);
        latencies_ms[static_cast<size_t>(t)].push_back(seconds(t0, Clock::now()) * 1000);
        if (!r.ok()) ++errors;
      }
    });
  }
  for (auto& th : pool) th.join();
  double s = seconds(start, Clock::now());
  std::vector<double> lat;
  for (const auto& v : latencies_ms) lat.insert(lat.end(), v.begin(), v.end());
  if (lat.empty()) lat.push_back(0);
  auto done = static_cast<int64_t>(lat.size());
  std::sort(lat.begin(), lat.end());
  std::printf("| ingest x1 msg       | %-4s | %7d | %8lld | %10.0f | %7.2f | %7.2f | %6lld |\n",
              full ? "FULL" : "NORM", threads, static_cast<long long>(done), done / s,
              lat[lat.size() / 2], lat[lat.size() * 99 / 100], static_cast<long long>(errors));
}

// Batched calls (the HTTP ingest of an array): 32 threads x 16 messages per call.
void ingestBatchRow(const std::string& path) {
  auto store = openStore(path, true);
  constexpr int kThreads = 32, kPerCall = 16;
  std::atomic<int64_t> next{0};
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(kRowBudgetS);
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&] {
      for (;;) {
        int64_t n = next.fetch_add(kPerCall);
        if (n >= 5 * kMaxPerRow || Clock::now() > deadline) return;
        std::vector<NewMessage> batch;
        for (int i = 0; i < kPerCall; ++i) batch.push_back(makeMessage(n + i, true));
        (void)store->ingest(batch, kNow);
      }
    });
  }
  for (auto& th : pool) th.join();
  double s = seconds(start, Clock::now());
  int64_t done = std::min<int64_t>(next.load() - kThreads * kPerCall, 5 * kMaxPerRow);
  std::printf("| ingest x16 msg/call | FULL | %7d | %8lld | %10.0f |       - |       - |      - |\n",
              kThreads, static_cast<long long>(done), done / s);
}

// Claims `limit` at a time and completes as delivered, with `workers` threads.
void claimRow(Store& store, int workers, int limit, int64_t to_process, const char* label) {
  std::atomic<int64_t> processed{0};
  std::atomic<int64_t> claim_calls{0};
  std::atomic<int64_t> claim_us{0};
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(kRowBudgetS);
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      ClaimRequest req;
      req.worker_id = "bench:" + std::to_string(w);
      req.routes = {"crm-to-erp"};
      req.limit = limit;
      req.now_ms = kNow + 1;
      while (processed.load() < to_process && Clock::now() < deadline) {
        auto t0 = Clock::now();
        auto r = store.claim(req);
        claim_us += static_cast<int64_t>(seconds(t0, Clock::now()) * 1e6);
        ++claim_calls;
        if (!r.ok() || r->empty()) return;
        std::vector<Completion> done;
        for (const auto& m : *r) {
          Completion c;
          c.message_id = m.id;
          c.attempt = m.attempt;
          c.remote_id = "R" + std::to_string(m.id);
          c.worker = req.worker_id;
          c.now_ms = kNow + 2;
          done.push_back(std::move(c));
        }
        if (store.complete(done).ok()) processed += static_cast<int64_t>(done.size());
      }
    });
  }
  for (auto& th : pool) th.join();
  double s = seconds(start, Clock::now());
  std::printf("| %-22s | %7d | %5d | %8lld | %10.0f | %10.3f |\n", label, workers, limit,
              static_cast<long long>(processed.load()), processed.load() / s,
              claim_calls.load() ? claim_us.load() / 1000.0 / claim_calls.load() : 0.0);
}

void ingestBulk(Store& store, int64_t first, int64_t count) {
  for (int64_t n = first; n < first + count; n += 1000) {
    std::vector<NewMessage> batch;
    for (int64_t i = n; i < std::min(first + count, n + 1000); ++i)
      batch.push_back(makeMessage(i, true));
    (void)store.ingest(batch, kNow);
  }
}

// CPU seconds used so far by the store's group-commit writer thread ("qiao-writer").
double writerCpuSeconds() {
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(e.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name != "qiao-writer") continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    std::istringstream in(line.substr(line.rfind(')') + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14) utime = std::atoll(field.c_str());
      if (i == 15) stime = std::atoll(field.c_str());
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return 0;
}

std::string gatewayPayload(int64_t n) {
  // About 1.5 KB of JSON, like the end-to-end benchmark's order.
  std::string lines;
  for (int i = 1; i <= 5; ++i) {
    if (i > 1) lines += ",";
    lines += "{\"lineNo\":" + std::to_string(i) + ",\"materialCode\":\"M-30" + std::to_string(i) +
             "\",\"materialName\":\"precision bearing 6204-2RS model " + std::to_string(i) +
             "\",\"qty\":\"12\",\"unit\":\"PCS\",\"price\":\"38.50\",\"taxRate\":\"13\","
             "\"deliveryDate\":\"2026-12-10\",\"warehouse\":\"CK001\"}";
  }
  std::string head = "{\"orderId\":\"SO-" + std::to_string(n) + "\",\"orderDate\":\"2026-11-26\",";
  head += "\"customerCode\":\"C-1001\",\"customerName\":\"Suzhou East China Precision Machinery"
          " Co Ltd\",\"shipToAddress\":\"Industrial Park, Xinghu Street 328\",\"currency\":\"CNY\","
          "\"paymentTerms\":\"NET30\",\"status\":\"confirmed\",\"totalAmount\":\"2310.00\","
          "\"remark\":\"please ship as soon as possible\",\"externalRef\":\"CRM-88812\",\"lines\":[";
  return head + lines + "]}";
}

// The gateway's shape: 10 threads ingest one 1.5 KB message per call while 2 dispatchers
// claim (limit 64) and complete each batch in one call. Reports what was delivered and the
// writer thread's CPU per delivered message.
void gatewayRow(const std::string& path, bool full) {
  auto store = openStore(path, full);
  constexpr int kIngesters = 10, kClaimers = 2;
  std::atomic<int64_t> next{0}, delivered{0};
  std::atomic<bool> stop{false};
  double cpu0 = writerCpuSeconds();
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(kRowBudgetS);
  std::vector<std::thread> pool;
  for (int t = 0; t < kIngesters; ++t) {
    pool.emplace_back([&] {
      while (Clock::now() < deadline) {
        int64_t n = next.fetch_add(1);
        NewMessage m = makeMessage(n, false);
        m.route = "orders";
        m.record.payload = gatewayPayload(n);
        std::vector<NewMessage> one{std::move(m)};
        (void)store->ingest(one, kNow);
      }
    });
  }
  for (int w = 0; w < kClaimers; ++w) {
    pool.emplace_back([&, w] {
      ClaimRequest req;
      req.worker_id = "gw:" + std::to_string(w);
      req.routes = {"orders"};
      req.limit = 64;
      req.now_ms = kNow + 1;
      while (!stop.load()) {
        auto r = store->claim(req);
        if (!r.ok() || r->empty()) {
          if (Clock::now() > deadline) return;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        std::vector<Completion> done;
        for (const auto& m : *r) {
          Completion c;
          c.message_id = m.id;
          c.attempt = m.attempt;
          c.remote_id = "R" + std::to_string(m.id);
          c.worker = req.worker_id;
          c.latency_us = 900;
          c.now_ms = kNow + 2;
          done.push_back(std::move(c));
        }
        if (store->complete(done).ok()) delivered += static_cast<int64_t>(done.size());
      }
    });
  }
  for (int t = 0; t < kIngesters; ++t) pool[static_cast<size_t>(t)].join();
  // Let the dispatchers drain what is left (bounded), then stop them.
  auto drain_until = Clock::now() + std::chrono::seconds(10);
  while (delivered.load() < next.load() - kIngesters && Clock::now() < drain_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (size_t t = kIngesters; t < pool.size(); ++t) pool[t].join();
  double s = seconds(start, Clock::now());
  double cpu = writerCpuSeconds() - cpu0;
  int64_t n = delivered.load();
  std::printf("| gateway mix (%s)    | %4d+%d | %5d | %8lld | %10.0f | %9.1f us/msg writer CPU |\n",
              full ? "FULL" : "NORM", kIngesters, kClaimers, 64, static_cast<long long>(n), n / s,
              n > 0 ? cpu * 1e6 / static_cast<double>(n) : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  bool cleanup = false;
  if (argc > 1) {
    dir = argv[1];
    std::filesystem::create_directories(dir);
  } else {
    char tmpl[] = "/tmp/qiao-store-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return 1;
    dir = tmpl;
    cleanup = true;
  }
  const std::string path = dir + "/bench.db";
  std::printf("store bench: %s (each row: up to %d messages or %.0f s)\n\n", path.c_str(),
              kMaxPerRow, kRowBudgetS);
  std::printf("| operation           | sync | threads | messages |   msgs/s   | p50 ms  | p99 ms  | errors |\n");
  std::printf("|---------------------|------|---------|----------|------------|---------|---------|--------|\n");
  if (argc > 2 && std::string(argv[2]).rfind("gateway", 0) == 0) {  // only that row
    std::printf("\n");
    gatewayRow(path, std::string(argv[2]) != "gateway-normal");
    if (cleanup) std::filesystem::remove_all(dir);
    return 0;
  }
  for (int threads : {1, 8, 32, 64}) ingestRow(path, threads, true);
  ingestRow(path, 32, false);
  ingestBatchRow(path);

  std::printf("\nclaim+complete (synchronous=FULL; table holds 100k delivered rows)\n\n");
  std::printf("| scenario               | workers | limit | messages |   msgs/s   | claim ms avg |\n");
  std::printf("|------------------------|---------|-------|----------|------------|--------------|\n");
  auto store = openStore(path, true);
  ingestBulk(*store, 0, 100000);
  claimRow(*store, 4, 256, 100000, "deliver first 100k");
  ingestBulk(*store, 100000, 70000);
  claimRow(*store, 1, 16, 10000, "1 worker");
  claimRow(*store, 1, 256, 10000, "1 worker");
  claimRow(*store, 4, 64, 20000, "4 workers");
  claimRow(*store, 4, 256, 20000, "4 workers");
  auto depths = store->queueDepths();
  if (depths.ok() && !depths->empty()) {
    std::printf("\nleft pending: %lld\n", static_cast<long long>((*depths)[0].pending));
  }
  store.reset();
  std::printf("\ngateway mix: ingest x1 (1.5 KB), claim 64 + complete, synchronous=FULL\n\n");
  gatewayRow(path, true);
  if (cleanup) std::filesystem::remove_all(dir);
  return 0;
}
