// Mapping engine benchmark (issue 3, point 9): the standard CRM order -> K/3 SAL_SaleOrder
// mapping over the peer kit's 100,000 orders, one thread. Prints records/s, µs/record and peak
// RSS per phase, checks the first orders against map.jq (md5 of the NDJSON, as the peer kit's
// bench.py does) and sets our figures beside the peers'.
//   qiao_mapping_bench [--data orders.ndjson] [--orders N] [--seconds S] [--resident N]
//                      [--mapping FILE] [--check N] [--phases abc]  (a subset, e.g. for perf)
// Phase (b) also prints the best and median rate of its passes over the resident orders.
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "qiao/mapping/json.h"
#include "qiao/mapping/mapping.h"
#include "qiao/mapping/ndjson.h"

using namespace qiao::mapping;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kPeerDir = "/work/shared/peers";

// Figures measured by the peer kit on this kind of machine (issue 3).
constexpr double kJq = 7630, kJsonata = 2240, kNode = 40000, kV8MapOnly = 513000;
constexpr double kGoalFull = 80000, kGoalMap = 500000;

// VmHWM (peak resident set) in kB from /proc; 0 when unavailable.
long vmHwmKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU seconds of this thread: on a shared machine, wall time also counts other processes' work.
double cpuNow() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) { EVP_DigestInit_ex(ctx_.get(), EVP_md5(), nullptr); }
  void update(const void* p, size_t n) { EVP_DigestUpdate(ctx_.get(), p, n); }
  std::string hex() {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(ctx_.get(), d, &n);
    std::string s;
    char b[3];
    for (unsigned i = 0; i < n; ++i) std::snprintf(b, sizeof b, "%02x", d[i]), s += b;
    return s;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

// md5 of `jq -c -f map.jq` over the first n lines of data; "" when jq cannot run.
std::string jqMd5(const std::string& data, long n) {
  std::string jq = std::string(kPeerDir) + "/mapping/map.jq";
  if (std::system("command -v jq >/dev/null 2>&1") != 0 || !std::filesystem::exists(jq)) return "";
  std::string cmd = "head -n " + std::to_string(n) + " '" + data + "' | jq -c -f '" + jq + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return "";
  Md5 h;
  char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) h.update(buf, got);
  return ::pclose(p) == 0 ? h.hex() : "";
}

struct Row {
  const char* name;
  long records = 0;
  double seconds = 0;
  double cpu = 0;  // thread CPU seconds
  size_t bytes_out = 0;
  long hwm_kb = 0;
  double rate() const { return seconds > 0 ? records / seconds : 0; }
  double cpuRate() const { return cpu > 0 ? records / cpu : 0; }
};

void print(const Row& r) {
  if (r.records == 0) return;  // phase not run
  std::printf("%-46s %9ld %12.0f %10.2f %12.0f %10.2f %12zu %9.1f\n", r.name, r.records, r.rate(),
              r.seconds * 1e6 / r.records, r.cpuRate(), r.cpu * 1e6 / r.records, r.bytes_out,
              r.hwm_kb / 1024.0);
}

void fatal(const std::string& what) {
  std::fprintf(stderr, "mapping_bench: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  long orders = 100000, resident = 20000, check = 20000;
  double budget = 60;
  std::string phases = "abc";
  std::string data, mapping_file = QIAO_STANDARD_MAPPINGS "/crm_order_to_k3_sale_order.yaml";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--orders") orders = std::atol(argv[i + 1]);
    else if (a == "--data") data = argv[i + 1];
    else if (a == "--seconds") budget = std::atof(argv[i + 1]);
    else if (a == "--resident") resident = std::atol(argv[i + 1]);
    else if (a == "--mapping") mapping_file = argv[i + 1];
    else if (a == "--check") check = std::atol(argv[i + 1]);
    else if (a == "--phases") phases = argv[i + 1];
    else fatal("unknown option " + a);
  }
  std::filesystem::path tmp;
  if (data.empty()) {
    tmp = std::filesystem::temp_directory_path() / ("qiao-mapping-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(tmp);
    std::string cmd = "python3 " + std::string(kPeerDir) + "/gen_data.py --out '" + tmp.string() +
                      "' --orders " + std::to_string(orders) + " --rows 10 >/dev/null 2>&1";
    data = (tmp / "orders.ndjson").string();
    if (std::system(cmd.c_str()) != 0 || !std::filesystem::exists(data))
      fatal("cannot generate orders with the peer kit's gen_data.py; pass --data FILE");
  }
  auto plan = loadMapping(mapping_file);
  if (!plan.ok()) fatal(plan.error().message);
  std::printf("data: %s (%.1f MB), mapping: %s\n", data.c_str(),
              std::filesystem::file_size(data) / 1e6, (*plan)->name().c_str());
  std::printf("%-46s %9s %12s %10s %12s %10s %12s %9s\n", "phase (1 thread)", "records",
              "records/s", "us/record", "rec/cpu-s", "cpu-us/rec", "bytes out", "VmHWM MB");

  Document doc, mapped;
  std::string out;
  qiao::Status st;

  // (a) streaming NDJSON: parse + map + serialize, first so its peak RSS is its own.
  Row full{"(a) parse + map + serialize (streaming NDJSON)"};
  Md5 ours;
  long hwm_early = 0;
  if (phases.find('a') != std::string::npos) {
    auto reader = NdjsonReader::openFile(data);
    if (!reader.ok()) fatal(reader.error().message);
    auto t0 = Clock::now();
    double c0 = cpuNow();
    while ((*reader)->next(doc, st)) {
      if (!st.ok()) fatal(st.error().message);
      if (auto s = apply(**plan, doc.root(), mapped, Direction::kForward); !s.ok())
        fatal(s.error().message);
      out.clear();
      writeJson(mapped.root(), out);
      out += '\n';
      full.bytes_out += out.size();
      if (full.records < check) ours.update(out.data(), out.size());
      ++full.records;
      if (full.records == 10000) hwm_early = vmHwmKb();
      if ((full.records & 1023) == 0 && since(t0) > budget) break;
    }
    full.seconds = since(t0);
    full.cpu = cpuNow() - c0;
    full.hwm_kb = vmHwmKb();
  }
  print(full);

  // (c) reference: parse + write, no mapping.
  Row pw{"(c) parse + write only (no mapping)"};
  if (phases.find('c') != std::string::npos) {
    auto reader = NdjsonReader::openFile(data);
    if (!reader.ok()) fatal(reader.error().message);
    auto t0 = Clock::now();
    double c0 = cpuNow();
    while ((*reader)->next(doc, st)) {
      if (!st.ok()) fatal(st.error().message);
      out.clear();
      writeJson(doc.root(), out);
      out += '\n';
      pw.bytes_out += out.size();
      ++pw.records;
      if ((pw.records & 1023) == 0 && since(t0) > budget) break;
    }
    pw.seconds = since(t0);
    pw.cpu = cpuNow() - c0;
    pw.hwm_kb = vmHwmKb();
  }
  print(pw);

  // (b) map alone over documents parsed beforehand (held in memory, looped over).
  std::vector<Document> docs;
  if (phases.find('b') != std::string::npos) {
    auto reader = NdjsonReader::openFile(data);
    if (!reader.ok()) fatal(reader.error().message);
    docs.reserve(resident);
    Document d;
    while (static_cast<long>(docs.size()) < resident && (*reader)->next(d, st)) {
      if (!st.ok()) fatal(st.error().message);
      docs.push_back(std::move(d));
      d = Document();
    }
  }
  Row map_only{"(b) map alone (pre-parsed, in memory)"};
  std::vector<double> pass_wall, pass_cpu;  // (b) per pass over the resident orders
  Row map_write{"(b') map + write (pre-parsed)"};
  {
    long target = std::max<long>(orders, 5 * static_cast<long>(docs.size()));
    auto t0 = Clock::now();
    double c0 = cpuNow();
    while (map_only.records < target && !docs.empty()) {
      auto p0 = Clock::now();
      double pc0 = cpuNow();
      for (auto& d : docs) {
        if (!apply(**plan, d.root(), mapped, Direction::kForward).ok()) fatal("map failed");
        ++map_only.records;
      }
      pass_wall.push_back(docs.size() / since(p0));
      pass_cpu.push_back(docs.size() / (cpuNow() - pc0));
      if (since(t0) > budget) break;
    }
    map_only.seconds = since(t0);
    map_only.cpu = cpuNow() - c0;
    map_only.hwm_kb = vmHwmKb();
    t0 = Clock::now();
    c0 = cpuNow();
    for (auto& d : docs) {
      if (!apply(**plan, d.root(), mapped, Direction::kForward).ok()) fatal("map failed");
      out.clear();
      writeJson(mapped.root(), out);
      map_write.bytes_out += out.size() + 1;
      ++map_write.records;
    }
    map_write.seconds = since(t0);
    map_write.cpu = cpuNow() - c0;
    map_write.hwm_kb = vmHwmKb();
  }
  print(map_only);
  print(map_write);
  if (pass_wall.size() > 1) {
    // On a shared machine other processes take whole passes: best and median say more than
    // the total.
    auto bestMedian = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return std::pair{v.back(), v[v.size() / 2]};
    };
    auto [wall_best, wall_median] = bestMedian(pass_wall);
    auto [cpu_best, cpu_median] = bestMedian(pass_cpu);
    std::printf("(b) per pass of %zu orders (%zu passes), records/s: wall best %.0f, median %.0f; "
                "cpu best %.0f, median %.0f\n",
                docs.size(), pass_wall.size(), wall_best, wall_median, cpu_best, cpu_median);
  }
  std::printf("peak RSS of (a): %.1f MB after 10,000 records, %.1f MB after %ld (flat: %s)\n",
              hwm_early / 1024.0, full.hwm_kb / 1024.0, full.records,
              full.hwm_kb <= hwm_early + 4096 ? "yes" : "NO");

  // Same output as the peer kit's map.jq on the first `check` orders?
  long checked = std::min(check, full.records);
  std::string ours_md5 = ours.hex();
  std::string jq_md5 = full.records ? jqMd5(data, checked) : "";
  if (full.records == 0)
    std::printf("map.jq check: skipped (phase a not run)\n");
  else if (jq_md5.empty())
    std::printf("map.jq check: skipped (jq or %s/mapping/map.jq unavailable)\n", kPeerDir);
  else
    std::printf("map.jq check on the first %ld orders: ours %s, jq %s -> %s\n", checked,
                ours_md5.c_str(), jq_md5.c_str(), ours_md5 == jq_md5 ? "IDENTICAL" : "DIFFERENT");

  // Ratios on wall time (as the peers were measured) and on CPU time (what wall time is on a
  // quiet machine; the peer kit waited for one).
  std::printf("\n%-40s %11s %11s %7s %11s %7s\n", "against the peers (issue 3)", "peer rec/s",
              "ours wall", "ratio", "ours cpu", "ratio");
  auto vs = [](const char* what, double peer, const Row& r) {
    std::printf("%-40s %11.0f %11.0f %6.1fx %11.0f %6.1fx\n", what, peer, r.rate(), r.rate() / peer,
                r.cpuRate(), r.cpuRate() / peer);
  };
  vs("jq 1.6 (whole process) vs (a)", kJq, full);
  vs("JSONata vs (a)", kJsonata, full);
  vs("Node.js parse+map+stringify vs (a)", kNode, full);
  vs("V8 map alone (pre-parsed) vs (b)", kV8MapOnly, map_only);
  auto met = [](const Row& r, double goal) {
    return r.rate() >= goal ? "met" : r.cpuRate() >= goal ? "met on CPU time" : "NOT met";
  };
  std::printf("goals: (a) >= %.0f/s: %s; (b) >= %.0f/s: %s\n", kGoalFull, met(full, kGoalFull),
              kGoalMap, met(map_only, kGoalMap));
  if (!tmp.empty()) std::filesystem::remove_all(tmp);
  return jq_md5.empty() || ours_md5 == jq_md5 ? 0 : 2;
}
