// JSON layer benchmark for the mapping engine: the peer kit's 100,000 orders (~1.6 KB each),
// one thread, streamed from the NDJSON file. Prints records/s, µs/record and peak RSS per phase.
//   qiao_json_bench [--orders N] [--data orders.ndjson] [--seconds S]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "qiao/mapping/json.h"
#include "qiao/mapping/ndjson.h"
#include "qiao/mapping/path.h"

using namespace qiao::mapping;
using Clock = std::chrono::steady_clock;

namespace {

long peakRssKb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// Orders shaped like the peer kit's, for when its generator cannot run.
void synthesise(const std::string& path, int n) {
  std::ofstream f(path, std::ios::binary);
  const char* names[] = {"密封圈", "标准气缸", "PLC输入模块", "变频器7.5kW", "联轴器"};
  for (int i = 0; i < n; ++i) {
    f << "{\"orderId\":\"SO-2026-" << 9000000 + i << "\",\"orderDate\":\"2026-04-22\","
      << "\"createdAt\":\"2026-04-22T05:18:22+08:00\",\"customerCode\":\"C" << 100000 + i % 900
      << "\",\"customerName\":\"广州新世纪包装材料有限公司\",\"customerContact\":\"丁斌\","
      << "\"customerPhone\":\"18100039347\",\"shipToProvince\":\"广东省\",\"shipToCity\":\"广州市\","
      << "\"shipToAddress\":\"浦东新区张江路868号2栋\",\"currency\":\"CNY\",\"salesOrg\":\"101\","
      << "\"salesPersonCode\":\"EMP0012\",\"salesPersonName\":\"林超玲\",\"deptCode\":\"BM008\","
      << "\"paymentTerms\":\"NET30\",\"status\":\"approved\",\"priority\":\"high\",\"isUrgent\":\"N\","
      << "\"totalAmount\":\"5768768.12\",\"taxAmount\":\"603454.57\",\"discountAmount\":\"0.00\","
      << "\"requestedDeliveryDate\":\"2026-04-28\",\"remark\":\"含税价\",\"channel\":\"api\","
      << "\"externalRef\":\"EXT-db3ac114\",\"lines\":[";
    int lines = 3 + i % 6;  // 3..8, mean 5.5
    for (int l = 0; l < lines; ++l) {
      f << (l ? "," : "") << "{\"lineNo\":" << l + 1 << ",\"materialCode\":\"MAT-0" << 10000 + (i * 7 + l) % 9000
        << "\",\"materialName\":\"" << names[(i + l) % 5] << "\",\"qty\":\"" << 100 + (i + l) % 400
        << "\",\"unit\":\"PCS\",\"price\":\"" << 948 + l << ".62\",\"taxRate\":\"13\","
        << "\"deliveryDate\":\"2026-05-15\",\"warehouse\":\"CK001\"}";
    }
    f << "]}\n";
  }
}

struct Row {
  const char* name;
  long records = 0;
  double seconds = 0;
  size_t bytes_out = 0;
  long rss_kb = 0;
};

void print(const Row& r) {
  double rps = r.seconds > 0 ? r.records / r.seconds : 0;
  std::printf("%-40s %9ld %12.0f %10.2f %12zu %10ld\n", r.name, r.records, rps,
              r.records ? r.seconds * 1e6 / r.records : 0.0, r.bytes_out, r.rss_kb / 1024);
}

// Runs body(line) for each line of the file until the file or the time budget ends.
Row runLines(const char* name, const std::string& path, double budget,
             const std::function<size_t(const std::string&)>& body) {
  Row r{name};
  std::ifstream in(path, std::ios::binary);
  std::string line;
  auto t0 = Clock::now();
  while (std::getline(in, line)) {
    r.bytes_out += body(line);
    ++r.records;
    if ((r.records & 1023) == 0 &&
        std::chrono::duration<double>(Clock::now() - t0).count() > budget)
      break;
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.rss_kb = peakRssKb();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int orders = 100000;
  double budget = 20;
  std::string data;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--orders") orders = std::atoi(argv[i + 1]);
    else if (a == "--data") data = argv[i + 1];
    else if (a == "--seconds") budget = std::atof(argv[i + 1]);
  }
  std::filesystem::path tmp;
  if (data.empty()) {
    tmp = std::filesystem::temp_directory_path() / ("qiao-json-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(tmp);
    std::string cmd = "python3 /work/shared/peers/gen_data.py --out '" + tmp.string() +
                      "' --orders " + std::to_string(orders) + " --rows 10 >/dev/null 2>&1";
    data = (tmp / "orders.ndjson").string();
    if (std::system(cmd.c_str()) != 0 || !std::filesystem::exists(data)) {
      std::printf("peer generator unavailable: synthesising %d orders\n", orders);
      synthesise(data, orders);
    }
  }
  auto size = std::filesystem::file_size(data);
  std::printf("data: %s (%.1f MB)\n", data.c_str(), size / 1e6);
  std::printf("%-40s %9s %12s %10s %12s %10s\n", "phase (1 thread)", "records", "records/s",
              "us/record", "bytes out", "peak MB");

  print(runLines("read lines only (baseline)", data, budget,
                 [](const std::string& l) { return l.size() * 0; }));

  JsonParser parser;
  Document doc;
  std::string out;
  print(runLines("qiao parse", data, budget, [&](const std::string& l) {
    if (!parser.parse(l, doc).ok()) std::abort();
    return size_t{0};
  }));
  print(runLines("qiao parse + write", data, budget, [&](const std::string& l) {
    if (!parser.parse(l, doc).ok()) std::abort();
    out.clear();
    writeJson(doc.root(), out);
    return out.size();
  }));
  // A mapping's typical reads: a few header fields and every line's qty.
  Path order_id = Path::compile("orderId").value();
  Path qty = Path::compile("lines[*].qty").value();
  std::vector<Value> hits;
  print(runLines("qiao parse + 2 path reads + write", data, budget, [&](const std::string& l) {
    if (!parser.parse(l, doc).ok()) std::abort();
    hits.clear();
    getAll(doc.root(), qty, hits);
    if (!get(doc, order_id).isString()) std::abort();
    out.clear();
    writeJson(doc.root(), out);
    return out.size() + hits.size() * 0;
  }));
  {
    Row r{"qiao NdjsonReader + write (streaming)"};
    auto reader = NdjsonReader::openFile(data);
    if (!reader.ok()) return 1;
    qiao::Status st;
    auto t0 = Clock::now();
    while ((*reader)->next(doc, st)) {
      if (!st.ok()) std::abort();
      out.clear();
      writeJson(doc.root(), out);
      r.bytes_out += out.size();
      ++r.records;
      if ((r.records & 1023) == 0 && std::chrono::duration<double>(Clock::now() - t0).count() > budget) break;
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.rss_kb = peakRssKb();
    print(r);
  }
  print(runLines("nlohmann::json parse + dump", data, budget, [&](const std::string& l) {
    auto j = nlohmann::json::parse(l);
    std::string s = j.dump();
    return s.size();
  }));
  if (!tmp.empty()) std::filesystem::remove_all(tmp);
  return 0;
}
