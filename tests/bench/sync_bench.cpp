// Customer sync: first-sync matching of N customers per side where half of them exist on both
// sides (a third of those share a tax code, the rest only a name variant + phone), then the
// first-sync plan over the matched pairs. Prints a table: time, pairs, RSS (/proc/self/statm)
// after building the input, after matching and after planning, and the peak (getrusage) at
// those points. Each size runs in its own forked process, so each peak belongs to its row.
//
// Then the service as the gateway runs it (qiao::sync::Service on a SQLite file): firstSync of
// N canonical JSON customers per side (half on both sides), every write confirmed as the
// gateway's on_delivered would (creates with a new id), and a reopen. The same forked-process
// measurement; the sync sink's own work per record (mapping, JSON) is not in it. RSS columns:
// input (the JSON lists), after firstSync, after the confirmations, the peak, and what a fresh
// process grows by when it opens the file: "open1 MB" right after firstSync (links + every
// write open), "open MB" at the end (the links alone: the steady state), B/link = that per link.
//
//   build/bin/qiao_sync_bench [max_per_side=100000] [service_only=0] [confirm_batch=32]
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
#include "qiao/sync/service.h"

#include <filesystem>
#include <nlohmann/json.hpp>

using namespace qiao::sync;

namespace {

std::size_t g_confirm_batch = 32;  // the gateway's sync.batch_max

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

// The customer as the sync sink hands it to the service: canonical JSON with the side's id.
std::string toJson(const CustomerRecord& r) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : r.fields) j[k] = v;
  j["_sideId"] = r.id;
  j["_modifiedAt"] = "2026-11-27T02:00:00Z";
  return j.dump();
}

ServiceOptions benchOptions(const std::string& path) {
  ServiceOptions o;
  o.sqlite_path = path;
  o.synchronous_full = false;  // the gateway's store.synchronous: normal
  o.config.sides = {{"crm", LifecyclePolicy::kFlag, LifecyclePolicy::kMirror, "", {}},
                    {"k3", LifecyclePolicy::kMirror, LifecyclePolicy::kMirror, "", {}}};
  o.config.fields = {"name", "phone", "address", "taxRegisterCode"};
  o.id_fields = {{"crm", "_sideId"}, {"k3", "_sideId"}};
  o.modified_field = "_modifiedAt";
  return o;
}

// Run as `qiao_sync_bench --open <file>`: prints the RSS growth of opening the file.
int openAndReport(const std::string& path) {
  double before = currentRssMb();
  auto svc = Service::open(benchOptions(path));
  if (!svc.ok()) return 1;
  std::printf("%.1f\n", currentRssMb() - before);
  return 0;
}

double freshOpenMb(const std::string& path) {
  std::string cmd = "/proc/" + std::to_string(::getpid()) + "/exe --open " + path;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  double mb = -1;
  if (std::fscanf(p, "%lf", &mb) != 1) mb = -1;
  ::pclose(p);
  return mb;
}

int runService(int n) {
  std::vector<std::string> a, b;
  int shared = n / 2;
  for (int i = 0; i < n; ++i) {
    a.push_back(toJson(make(0, i, i < shared)));
    b.push_back(toJson(make(1, i < shared ? i : i + n, i < shared)));
  }
  double input_mb = currentRssMb();
  std::string dir = "/tmp/qiao_sync_bench_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  ServiceOptions o = benchOptions(dir + "/qiao.db");
  auto t0 = std::chrono::steady_clock::now();
  auto svc = Service::open(o);
  if (!svc.ok()) {
    std::fprintf(stderr, "open failed: %s\n", svc.error().message.c_str());
    return 1;
  }
  // Writes are taken a page at a time, as the gateway enqueues them; a confirmation needs
  // only the write id and whether it is a create.
  std::vector<std::pair<std::string, bool>> todo;
  struct Lists final : FirstSyncInput {
    const std::vector<std::string>* lists[2];
    std::size_t size(std::size_t side) const override { return lists[side]->size(); }
    qiao::Result<std::string> record(std::size_t side, std::size_t i) const override { return (*lists[side])[i]; }
  } input;
  input.lists[0] = &a;
  input.lists[1] = &b;
  FirstSyncOptions fso;
  fso.pages = [&](std::vector<SyncWrite>&& page) {
    for (const SyncWrite& w : page) todo.emplace_back(w.write_id, w.kind == "create");
    return qiao::Status();
  };
  auto fs = (*svc)->firstSync(input, fso);
  auto t1 = std::chrono::steady_clock::now();
  if (!fs.ok()) {
    std::fprintf(stderr, "firstSync failed: %s\n", fs.error().message.c_str());
    return 1;
  }
  a.clear();
  b.clear();
  a.shrink_to_fit();
  b.shrink_to_fit();
  double first_mb = currentRssMb();
  const double fresh_first_mb = freshOpenMb(o.sqlite_path);  // links + every write open
  // Confirm every write, as on_delivered does: creates get a new id on their side. The gateway
  // confirms what arrives together in one confirmWrites (g_confirm_batch at a time here).
  size_t confirmed = 0;
  for (size_t k = 0; k < todo.size();) {
    std::vector<Service::Confirmation> batch;
    for (; k < todo.size() && batch.size() < g_confirm_batch; ++k) {
      const auto& [write_id, create] = todo[k];
      batch.push_back({write_id, create ? "N" + std::to_string(k) : ""});
    }
    auto results = (*svc)->confirmWrites(batch);
    for (size_t i = 0; i < results.size(); ++i) {
      if (!results[i].ok()) {
        std::fprintf(stderr, "confirm %s failed: %s\n", batch[i].write_id.c_str(),
                     results[i].error().message.c_str());
        return 1;
      }
      ++confirmed;
      for (const SyncWrite& w : *results[i]) todo.emplace_back(w.write_id, w.kind == "create");
    }
  }
  auto t2 = std::chrono::steady_clock::now();
  double confirmed_mb = currentRssMb();
  svc->reset();
  auto again = Service::open(o);
  auto t3 = std::chrono::steady_clock::now();
  if (!again.ok()) return 1;
  SyncCounts c = (*again)->counts();
  again->reset();
  // What the service holds for the links alone: a fresh process opening the file (RSS after
  // open minus before), so nothing of this process's heap is counted.
  double fresh_mb = freshOpenMb(o.sqlite_path);
  std::printf("%-9d %7zu %7zu %9.2f %9zu %9.2f %8.2f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %8zu %7.0f\n", n,
              fs->pairs, fs->review_groups, std::chrono::duration<double>(t1 - t0).count(), confirmed,
              std::chrono::duration<double>(t2 - t1).count(),
              std::chrono::duration<double>(t3 - t2).count(), input_mb, first_mb, confirmed_mb,
              peakRssMb(), fresh_first_mb, fresh_mb,
              c.links, fresh_mb * 1024 * 1024 / static_cast<double>(c.links));
  std::filesystem::remove_all(dir);
  if (fs->pairs != static_cast<std::size_t>(shared) || c.pending != 0) {
    std::fprintf(stderr, "expected %d pairs and nothing pending, got %zu, %zu\n", shared, fs->pairs, c.pending);
    return 1;
  }
  return 0;
}

int forked(int (*fn)(int), int n) {
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    int rc = fn(n);
    std::fflush(stdout);
    std::_Exit(rc);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--open") return openAndReport(argv[2]);
  int max_n = argc > 1 ? std::atoi(argv[1]) : 100000;
  if (max_n < 1000) max_n = 1000;
  const bool service_only = argc > 2 && std::atoi(argv[2]) != 0;
  if (argc > 3 && std::atoi(argv[3]) > 0) g_confirm_batch = static_cast<std::size_t>(std::atoi(argv[3]));
  if (!service_only) {
  std::printf("%-9s %7s %7s %9s %8s %8s %9s %10s %10s %10s %10s\n", "per side", "pairs",
              "review", "unmatched", "match s", "plan s", "input MB", "match MB", "mpeak MB",
              "plan MB", "peak MB");
  std::fflush(stdout);
  for (int n : {max_n / 4, max_n / 2, max_n})
    if (forked(runOne, n) != 0) return 1;
  }
  std::printf("\nservice (SQLite, synchronous=normal): firstSync, then every write confirmed (%zu per "
              "confirmWrites), then reopen\n", g_confirm_batch);
  std::printf("%-9s %7s %7s %9s %9s %9s %8s %9s %9s %9s %9s %9s %9s %8s %7s\n", "per side", "pairs",
              "review", "first s", "confirms", "confirm s", "reopen s", "input MB", "first MB",
              "conf MB", "peak MB", "open1 MB", "open MB", "links", "B/link");
  for (int n : {max_n / 4, max_n / 2, max_n})
    if (forked(runService, n) != 0) return 1;
  return 0;
}
