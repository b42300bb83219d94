// Customer sync: first-sync matching of N customers per side where half of them exist on both
// sides (a third of those share a tax code, the rest only a name variant + phone), then the
// first-sync plan over the matched pairs. Prints a table: time, pairs, RSS (/proc/self/statm)
// after building the input, after matching and after planning, and the peak (getrusage) at
// those points. Each size runs in its own forked process, so each peak belongs to its row.
//
//   build/bin/qiao_sync_bench [max_per_side=100000]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "qiao/sync/match.h"
#include "qiao/sync/normalize.h"
#include "qiao/sync/planner.h"

using namespace qiao::sync;

namespace {

double peakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: KiB
}

double currentRssMb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * 4096.0 / (1024.0 * 1024.0);
}

std::string taxCode(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "91320500MA%07d", i);  // 17 characters
  std::string code(buf);
  return code + unifiedCodeCheckChar(code);
}

const char* kCities[] = {"苏州", "无锡", "常州", "宁波", "温州", "东莞", "佛山", "厦门"};
const char* kTrades[] = {"精密机械", "模具", "电子科技", "纺织", "阀门", "轴承", "塑胶制品", "五金"};

// Customer i as side s writes it: the shared half differs in legal form, brackets and width.
CustomerRecord make(int side, int i, bool shared) {
  CustomerRecord r;
  r.id = (side == 0 ? "C" : "K") + std::to_string(shared ? i : i + 10000000);
  std::string stem = std::string(kCities[i % 8]) + "华" + std::to_string(i) + kTrades[(i / 8) % 8];
  const char* forms[] = {"有限公司", "有限责任公司", "股份有限公司"};
  if (side == 1 && i % 5 == 0) {
    r.fields["name"] = "（" + std::string(kCities[i % 8]) + "）华" + std::to_string(i) +
                       kTrades[(i / 8) % 8];
  } else {
    r.fields["name"] = stem + forms[(i + side) % 3];
  }
  std::string phone = "139" + std::to_string(10000000 + i);
  r.fields["phone"] = side == 0 ? phone : "+86 " + phone.substr(0, 3) + "-" + phone.substr(3);
  if (shared && i % 3 == 0) r.fields["taxRegisterCode"] = taxCode(i);
  r.fields["address"] = "工业园区" + std::to_string(i) + "号";
  r.modified_ms = 1764200000000 + i + side;
  return r;
}

}  // namespace

int runOne(int n) {
  std::vector<CustomerRecord> a, b;
  a.reserve(static_cast<std::size_t>(n));
  b.reserve(static_cast<std::size_t>(n));
  int shared = n / 2;
  for (int i = 0; i < shared; ++i) {
    a.push_back(make(0, i, true));
    b.push_back(make(1, i, true));
  }
  for (int i = shared; i < n; ++i) {
    a.push_back(make(0, i, false));
    b.push_back(make(1, i + n, false));
  }
  double input_mb = currentRssMb();
  auto t0 = std::chrono::steady_clock::now();
  auto m = matchCustomers({"crm", "k3", &a, &b});
  auto t1 = std::chrono::steady_clock::now();
  if (!m.ok()) {
    std::fprintf(stderr, "match failed: %s\n", m.error().message.c_str());
    return 1;
  }
  const MatchResult& r = m.value();
  double match_mb = currentRssMb();
  double match_peak_mb = peakRssMb();

  // The first-sync plan: both sides' records in one call; pairs are merged, the unmatched
  // half of each side becomes creates on the other.
  SyncConfig config;
  config.sides = {{"crm", LifecyclePolicy::kFlag, LifecyclePolicy::kMirror, "", {}},
                  {"k3", LifecyclePolicy::kMirror, LifecyclePolicy::kMirror, "", {}}};
  config.fields = {"name", "phone", "address", "taxRegisterCode"};
  SyncState state;
  for (const MatchedPair& p : r.pairs) {
    if (!state.add(linkFromMatch("crm", p.a_id, "k3", p.b_id)).ok()) return 1;
  }
  std::vector<ChangeBatch> batches(2);
  batches[0] = {"crm", std::move(a)};
  batches[1] = {"k3", std::move(b)};
  auto t2 = std::chrono::steady_clock::now();
  auto pl = plan(config, state, batches);
  auto t3 = std::chrono::steady_clock::now();
  if (!pl.ok()) {
    std::fprintf(stderr, "plan failed: %s\n", pl.error().message.c_str());
    return 1;
  }
  std::printf("%-9d %7zu %7zu %9zu %8.2f %8.2f %9.1f %10.1f %10.1f %10.1f %10.1f\n", n,
              r.pairs.size(), r.review.size(), r.unmatched_a.size() + r.unmatched_b.size(),
              std::chrono::duration<double>(t1 - t0).count(),
              std::chrono::duration<double>(t3 - t2).count(), input_mb, match_mb,
              match_peak_mb, currentRssMb(), peakRssMb());
  if (r.pairs.size() != static_cast<std::size_t>(shared)) {
    std::fprintf(stderr, "expected %d pairs, got %zu\n", shared, r.pairs.size());
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  int max_n = argc > 1 ? std::atoi(argv[1]) : 100000;
  if (max_n < 1000) max_n = 1000;
  std::printf("%-9s %7s %7s %9s %8s %8s %9s %10s %10s %10s %10s\n", "per side", "pairs",
              "review", "unmatched", "match s", "plan s", "input MB", "match MB", "mpeak MB",
              "plan MB", "peak MB");
  std::fflush(stdout);
  for (int n : {max_n / 4, max_n / 2, max_n}) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      int rc = runOne(n);
      std::fflush(stdout);
      std::_Exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  }
  return 0;
}
