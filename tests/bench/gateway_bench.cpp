// Delivery benchmark: HTTP ingest -> durable SQLite commit -> delivery to the loopback
// receiver (qiao-sim), at 1, 10 and 50 keep-alive connections. Prints a table; bounded in
// time and count, talks only to 127.0.0.1.
//
//   qiao_bench [--seconds N] [--bin DIR] [--keep DIR]
//
// deliveries/s  = messages delivered in a phase / (last delivered_at - phase start)
// ingest p50/99 = client-side latency of each POST until its 202 (commit included)
// e2e p50/p99   = delivered_at - created_at from the store (ms resolution)
// RSS           = the gateway process: idle after start-up and the first request, peak (VmHWM)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "qiao/testkit/testkit.h"

using namespace qiao::testkit;
using Clock = std::chrono::steady_clock;

namespace {

// A keep-alive HTTP/1.1 client on one socket.
class Conn {
 public:
  explicit Conn(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Conn() { ::close(fd_); }
  // Returns the HTTP status, 0 on a broken connection.
  int post(const std::string& request) {
    if (!ok_) return 0;
    size_t sent = 0;
    while (sent < request.size()) {
      ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return ok_ = false, 0;
      sent += static_cast<size_t>(n);
    }
    buf_.clear();
    size_t head_end = std::string::npos;
    size_t need = 0;
    char tmp[16384];
    for (;;) {
      if (head_end == std::string::npos) {
        head_end = buf_.find("\r\n\r\n");
        if (head_end != std::string::npos) {
          auto cl = buf_.find("Content-Length:");
          if (cl == std::string::npos) cl = buf_.find("content-length:");
          need = head_end + 4 + (cl == std::string::npos ? 0 : std::strtoul(buf_.c_str() + cl + 15, nullptr, 10));
        }
      }
      if (head_end != std::string::npos && buf_.size() >= need) break;
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return ok_ = false, 0;
      buf_.append(tmp, static_cast<size_t>(n));
    }
    return std::atoi(buf_.c_str() + 9);
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::string buf_;
};

std::string sampleOrder() {
  // About 1.5 KB, 5 lines, Chinese text: the shape of the peer kit's sample order.
  std::string lines;
  for (int i = 1; i <= 5; ++i) {
    if (i > 1) lines += ",";
    lines += R"({"lineNo":)" + std::to_string(i) + R"(,"materialCode":"M-30)" + std::to_string(i) +
             R"(","materialName":"精密轴承 6204-2RS 型号)" + std::to_string(i) +
             R"(","qty":"12","unit":"PCS","price":"38.50","taxRate":"13","deliveryDate":"2026-12-10","warehouse":"CK001"})";
  }
  return R"({"orderId":"SO-BENCH","orderDate":"2026-11-26","createdAt":"2026-11-26T08:00:00+08:00","salesOrg":"100","customerCode":"C-1001","customerName":"苏州华东精密机械有限公司","customerContact":"王经理","customerPhone":"13800138000","shipToProvince":"江苏省","shipToCity":"苏州市","shipToAddress":"工业园区星湖街 328 号","salesPersonCode":"S-07","deptCode":"D-02","currency":"CNY","exchangeRate":"1","paymentTerms":"NET30","status":"confirmed","isUrgent":"N","totalAmount":"2310.00","taxAmount":"265.75","discountAmount":"0","remark":"请尽快发货","externalRef":"CRM-88812","lines":[)" +
         lines + "]}";
}

long procKb(int pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::strtol(line.c_str() + std::strlen(field) + 1, nullptr, 10);
  return -1;
}

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

struct Phase {
  int conns;
  long requests = 0;
  long errors = 0;
  double ingest_per_s = 0;
  double deliveries_per_s = 0;
  double ingest_p50 = 0, ingest_p99 = 0, e2e_p50 = 0, e2e_p99 = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int seconds = 10;
  std::string bin_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) seconds = std::max(1, std::min(60, std::atoi(argv[++i])));
    else if (a == "--bin" && i + 1 < argc) bin_dir = argv[++i];
  }
  if (bin_dir.empty()) {
    std::string self = argv[0];
    bin_dir = self.substr(0, self.find_last_of('/'));
  }
  ::setenv("QIAO_BIN_DIR", bin_dir.c_str(), 1);
  signal(SIGPIPE, SIG_IGN);

  TempDir dir;
  int sim_port = freePort(), api_port = freePort();
  Child sim(binPath("qiao-sim"), {"--host", "127.0.0.1", "--port", std::to_string(sim_port)}, dir.file("sim.log"));
  if (!waitFor([&] { return http("GET", sim_port, "/sim/receiver/erp/_stats").status == 200; }, 10000)) {
    std::fprintf(stderr, "qiao-sim did not start\n");
    return 1;
  }
  std::string key = "bench-admin-key-0123456789abcdef";
  writeFile(dir.file("secrets/key"), key);
  writeFile(dir.file("config/gateway.yaml"),
            "gateway:\n  data_dir: " + dir.file("data") + "\n  log_level: warn\n  log_file: " + dir.file("qiao.log") +
                "\n  workers: 16\nserver:\n  host: 127.0.0.1\n  port: " + std::to_string(api_port) +
                "\n  max_threads: 64\nstore:\n  driver: sqlite\n  synchronous: full\nsecurity:\n"
                "  bootstrap_admin_key: ${file:" + dir.file("secrets/key") + "}\n"
                "connectors:\n  erp:\n    type: http\n    url: http://127.0.0.1:" + std::to_string(sim_port) +
                "/sim/receiver/erp/orders\n    timeout: 5s\n    concurrency: 16\n"
                "routes:\n  orders:\n    sink: erp\n    entity: order\n    business_key: /orderId\n"
                "    retry:\n      max_attempts: 20\n      initial_backoff_ms: 100\n      max_backoff_ms: 2000\n");

  auto t0 = Clock::now();
  Child gw(binPath("qiao"), {"run", "--config", dir.file("config")}, dir.file("qiao.out"));
  if (!waitFor([&] { return http("GET", api_port, "/readyz").status == 200; }, 15000, 1)) {
    std::fprintf(stderr, "gateway did not start: %s\n", readFile(dir.file("qiao.out")).c_str());
    return 1;
  }
  double startup_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

  std::string body = sampleOrder();
  std::string request = "POST /api/v1/routes/orders/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Authorization: Bearer " + key + "\r\nContent-Type: application/json\r\n"
                        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  {
    Conn c(api_port);
    if (c.post(request) != 202) {
      std::fprintf(stderr, "first ingest failed\n");
      return 1;
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  long idle_rss_kb = procKb(gw.pid(), "VmRSS:");

  sqlite3* db = nullptr;
  sqlite3_open_v2((dir.file("data") + "/qiao.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_busy_timeout(db, 5000);
  auto scalar = [&](const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
  };

  std::vector<Phase> phases;
  for (int conns : {1, 10, 50}) {
    Phase ph{conns};
    int64_t first_id = scalar("SELECT COALESCE(MAX(id),0) FROM messages") + 1;
    std::vector<std::vector<double>> lat(conns);
    std::atomic<long> errors{0};
    auto start = Clock::now();
    auto deadline = start + std::chrono::seconds(seconds);
    int64_t start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
    std::vector<std::thread> threads;
    for (int t = 0; t < conns; ++t)
      threads.emplace_back([&, t] {
        Conn c(api_port);
        while (Clock::now() < deadline) {
          auto s = Clock::now();
          int status = c.post(request);
          if (status != 202) {
            ++errors;
            if (status == 0) return;
            continue;
          }
          lat[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
        }
      });
    for (auto& th : threads) th.join();
    double ingest_s = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<double> all;
    for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
    ph.requests = static_cast<long>(all.size());
    ph.errors = errors;
    ph.ingest_per_s = ph.requests / ingest_s;
    ph.ingest_p50 = pct(all, 0.50);
    ph.ingest_p99 = pct(all, 0.99);
    // Wait (bounded) for every message of the phase to be delivered.
    std::string pending_sql = "SELECT COUNT(*) FROM messages WHERE id >= " + std::to_string(first_id) +
                              " AND status <> 'delivered'";
    waitFor([&] { return scalar(pending_sql) == 0; }, 120000, 50);
    int64_t delivered = scalar("SELECT COUNT(*) FROM messages WHERE id >= " + std::to_string(first_id) +
                               " AND status = 'delivered'");
    int64_t last_ms = scalar("SELECT MAX(delivered_at) FROM messages WHERE id >= " + std::to_string(first_id));
    ph.deliveries_per_s = last_ms > start_ms ? delivered * 1000.0 / static_cast<double>(last_ms - start_ms) : 0;
    std::vector<double> e2e;
    sqlite3_stmt* st = nullptr;
    std::string sql = "SELECT delivered_at - created_at FROM messages WHERE id >= " + std::to_string(first_id) +
                      " AND status = 'delivered'";
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK)
      while (sqlite3_step(st) == SQLITE_ROW) e2e.push_back(static_cast<double>(sqlite3_column_int64(st, 0)));
    sqlite3_finalize(st);
    ph.e2e_p50 = pct(e2e, 0.50);
    ph.e2e_p99 = pct(e2e, 0.99);
    phases.push_back(ph);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  long peak_rss_kb = procKb(gw.pid(), "VmHWM:");
  auto stats = http("GET", sim_port, "/sim/receiver/erp/_stats").body;
  gw.kill(SIGTERM);
  gw.wait(15000);
  sqlite3_close(db);

  std::printf("\nqiao delivery benchmark: POST %zu-byte order -> SQLite (WAL, synchronous=FULL) -> "
              "http sink -> qiao-sim receiver; %d s per row, 127.0.0.1\n\n",
              body.size(), seconds);
  std::printf("| conns | requests | errors | ingest req/s | deliveries/s | ingest p50 ms | ingest p99 ms | e2e p50 ms | e2e p99 ms |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& p : phases)
    std::printf("| %d | %ld | %ld | %.0f | %.0f | %.2f | %.2f | %.0f | %.0f |\n", p.conns, p.requests, p.errors,
                p.ingest_per_s, p.deliveries_per_s, p.ingest_p50, p.ingest_p99, p.e2e_p50, p.e2e_p99);
  std::printf("\n| start-up ms (spawn to /readyz) | idle RSS MB | peak RSS MB |\n|---|---|---|\n");
  std::printf("| %.1f | %.1f | %.1f |\n", startup_ms, idle_rss_kb / 1024.0, peak_rss_kb / 1024.0);
  std::printf("\nreceiver: %s\n", stats.c_str());
  return 0;
}
