// Excel benchmark on the peer kit's data (issue 6 point 8): 100,000 order-line rows x 18
// Chinese columns made by ../shared/peers/gen_data.py, the .xlsx written by openpyxl (the file
// the peers' read figures use). Phases, each in its own forked child so that its peak RSS
// (wait4) is its own; the "seconds" are the timed phase inside the child, as the peers
// measured theirs (tests/bench/excel_peers.sh generates the data and runs this):
//
//   read xlsx      open + parse + every row as the import's row JSON (all 1,800,018 cells)
//   read GBK csv   the same from customers_orders_gbk.csv (GB18030 decoded)
//   write xlsx     the same rows, typed (订单日期 a date cell, 数量/单价/税率/金额 numbers),
//                  from rows already in memory to the file committed (fsync + rename); read
//                  back afterwards (untimed) and compared cell by cell with the CSV
//   import job     a real runtime::Gateway built from a config (SQLite store, synchronous
//                  FULL), runJob("...", file) as `qiao import` does: read + header match +
//                  map (tests/bench/mappings/peers_orders.yaml) + group + store ingest +
//                  archive; the record count is checked against the SQLite file
//
//   qiao_excel_peers_bench DATA_DIR [--runs N] [--only read,csv,write,import,import-rows,import-csv]
//                          [--quiet PCT]   wait before each run until others use < PCT % of a core
#include <malloc.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <unordered_set>
#include <string>
#include <vector>

#include "qiao/config/config.h"
#include "qiao/core/log.h"
#include "qiao/excel/row_json.h"
#include "qiao/excel/sheet.h"
#include "qiao/excel/writer.h"
#include "qiao/runtime/gateway.h"
#include "qiao/sdk/connector.h"

namespace xl = qiao::excel;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr int kColumns = 18;
constexpr int kDateColumn = 1;
bool isNumberColumn(int c) { return c == 11 || c == 12 || c == 13 || c == 14; }

double secondsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

int fail(const std::string& what) {
  std::fprintf(stderr, "excel_peers_bench: %s\n", what.c_str());
  return 1;
}

// ---- read ----

// Every row through the import's row conversion; counts cells (the header's too, as the
// peers count 1,800,018).
int readPhase(const std::string& path, long expected_rows, double* seconds) {
  auto t0 = SteadyClock::now();
  auto t = xl::openTable(path);
  if (!t.ok()) return fail(t.error().message);
  auto conv = xl::RowConverter::fromHeader((*t)->header(), (*t)->dateSystem());
  long rows = 0, cells = static_cast<long>((*t)->header().size());
  size_t bytes = 0;
  xl::Row row;
  for (;;) {
    auto more = (*t)->next(row);
    if (!more.ok()) return fail(more.error().message);
    if (!*more) break;
    cells += static_cast<long>(row.cells.size());
    auto rec = conv.convert(row);
    if (!rec.ok()) return fail(path + ": row " + std::to_string(row.number) + ": " + rec.errors[0].text());
    bytes += rec.json.size();
    ++rows;
  }
  *seconds = secondsSince(t0);
  if (rows != expected_rows || cells != (expected_rows + 1) * kColumns || bytes == 0) {
    return fail(path + ": " + std::to_string(rows) + " rows / " + std::to_string(cells) + " cells, expected " +
                std::to_string(expected_rows) + " rows x " + std::to_string(kColumns));
  }
  return 0;
}

// ---- write ----

// The CSV's rows in memory (one arena of texts), loaded before the timed phase as the
// peers load theirs.
struct CsvRows {
  std::vector<std::string> header;
  std::vector<std::string> fields;  // rows * kColumns, row-major
  size_t rows() const { return fields.size() / kColumns; }
};

bool loadCsv(const std::string& utf8_csv, CsvRows* out) {
  auto t = xl::openTable(utf8_csv);
  if (!t.ok() || (*t)->header().size() != kColumns) return false;
  out->header = (*t)->header();
  xl::Row row;
  for (;;) {
    auto more = (*t)->next(row);
    if (!more.ok()) return false;
    if (!*more) return true;
    for (int c = 0; c < kColumns; ++c) {
      out->fields.push_back(c < static_cast<int>(row.cells.size()) ? row.cells[c].text : std::string());
    }
  }
}

std::vector<xl::ColumnSpec> writeColumns(const CsvRows& csv) {
  std::vector<xl::ColumnSpec> cols;
  for (int c = 0; c < kColumns; ++c) {
    xl::ColumnKind kind = c == kDateColumn      ? xl::ColumnKind::kDate
                          : isNumberColumn(c)   ? xl::ColumnKind::kNumber
                                                : xl::ColumnKind::kText;
    cols.push_back({csv.header[c], kind, 0});
  }
  return cols;
}

qiao::LocalDateTime parseDate(const std::string& s) {
  qiao::LocalDateTime d;
  std::sscanf(s.c_str(), "%d-%d-%d", &d.year, &d.month, &d.day);
  return d;
}

int writePhase(const std::string& utf8_csv, const std::string& out, double* seconds) {
  CsvRows csv;
  if (!loadCsv(utf8_csv, &csv)) return fail("cannot load " + utf8_csv);
  auto t0 = SteadyClock::now();
  auto w = xl::SheetWriter::create(out, writeColumns(csv));
  if (!w.ok()) return fail(w.error().message);
  std::vector<xl::Cell> cells(kColumns);
  for (size_t r = 0; r < csv.rows(); ++r) {
    const std::string* f = &csv.fields[r * kColumns];
    for (int c = 0; c < kColumns; ++c) {
      if (c == kDateColumn) cells[c] = xl::Cell::dateTime(parseDate(f[c]));
      else if (f[c].empty()) cells[c] = xl::Cell{};
      else if (isNumberColumn(c)) cells[c] = xl::Cell::number(f[c]);
      else cells[c] = xl::Cell::string(f[c]);
    }
    auto s = (*w)->addRow(cells);
    if (!s.ok()) return fail(s.error().message);
  }
  auto c = (*w)->commit();
  if (!c.ok()) return fail(c.error().message);
  *seconds = secondsSince(t0);
  return 0;
}

// The written workbook against the CSV, every cell: texts equal, numbers equal as numbers
// ("2017.90" reads back as 2017.9), the date a date cell of the same day.
int verifyWritten(const std::string& xlsx, const std::string& utf8_csv) {
  auto a = xl::openTable(xlsx);
  auto b = xl::openTable(utf8_csv);
  if (!a.ok() || !b.ok()) return fail("verify: cannot open " + xlsx + " or " + utf8_csv);
  if ((*a)->header() != (*b)->header()) return fail("verify: headers differ");
  xl::Row ra, rb;
  long rows = 0;
  for (;;) {
    auto ma = (*a)->next(ra);
    auto mb = (*b)->next(rb);
    if (!ma.ok() || !mb.ok()) return fail("verify: read error");
    if (*ma != *mb) return fail("verify: row counts differ after " + std::to_string(rows) + " rows");
    if (!*ma) break;
    ++rows;
    for (int c = 0; c < kColumns; ++c) {
      const xl::Cell* ca = c < static_cast<int>(ra.cells.size()) ? &ra.cells[c] : nullptr;
      const std::string want = c < static_cast<int>(rb.cells.size()) ? rb.cells[c].text : "";
      const std::string got = ca != nullptr ? ca->text : "";
      bool same = got == want;
      if (!same && isNumberColumn(c) && ca != nullptr && ca->type == xl::CellType::kNumber) {
        same = std::strtod(got.c_str(), nullptr) == std::strtod(want.c_str(), nullptr);
      }
      if (c == kDateColumn) same = same && ca != nullptr && ca->type == xl::CellType::kDateTime;
      if (!same) {
        return fail("verify: " + xl::cellRef(ra.sheet, ra.number, c) + " is '" + got + "', the CSV has '" + want + "'");
      }
    }
  }
  return rows > 0 ? 0 : fail("verify: no rows");
}

// ---- import job ----

std::string gatewayYaml(const std::string& dir) {
  std::string y =
      "gateway:\n"
      "  instance_name: excel-peers-bench\n"
      "  data_dir: " + dir + "/data\n"
      "  log_file: " + dir + "/qiao.log\n"
      "  log_level: warn\n"
      "  mappings_dir: " QIAO_BENCH_MAPPINGS "\n"
      "server:\n"
      "  host: 127.0.0.1\n"
      "  port: 18999\n"
      "store:\n"
      "  driver: sqlite\n"
      "  synchronous: full\n"
      "security:\n"
      "  require_auth: false\n"
      "connectors:\n"
      "  erp:\n"
      "    type: http\n"
      "    url: http://127.0.0.1:9/orders\n"
      "routes:\n"
      "  peers_orders:\n"
      "    sink: erp\n"
      "    entity: order\n"
      "    business_key: /orderId\n"
      "jobs:\n";
  for (const char* name : {"import_grouped", "import_rows"}) {
    y += std::string("  ") + name + ":\n    type: import\n    folder: " + dir + "/in-" + name +
         "\n    mapping: peers_orders\n    route: peers_orders\n    min_file_age: 0\n";
    if (std::string(name) == "import_grouped") y += "    group: /lines\n";
  }
  return y;
}

long countMessages(const std::string& db) {
  sqlite3* h = nullptr;
  long n = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, "SELECT count(*) FROM messages WHERE route = 'peers_orders'", -1, &st, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

// A fresh config folder and store per run; the timed phase is runJob alone.
int importPhase(const std::string& file, const std::string& job, const std::string& work, long expected_rows,
                long expected_records, double* seconds) {
  std::error_code ec;
  fs::remove_all(work, ec);
  fs::create_directories(work + "/config", ec);
  std::ofstream(work + "/config/gateway.yaml") << gatewayYaml(work);
  qiao::log::setLevel(qiao::log::Level::kWarn);
  qiao::sdk::Registry registry;
  qiao::sdk::registerBuiltinConnectors(registry);
  auto loaded = qiao::config::loadConfig(work + "/config", registry);
  if (!loaded.config) {
    for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.format().c_str());
    return fail("the bench's config is invalid");
  }
  auto gw = qiao::runtime::createGateway(std::move(*loaded.config), registry);
  if (!gw.ok()) return fail(gw.error().message);
  auto t0 = SteadyClock::now();
  auto run = (*gw)->runJob(job, file);
  *seconds = secondsSince(t0);
  if (!run.ok()) return fail(run.error().message);
  if (!run->ok) return fail(run->summary);
  auto report = nlohmann::json::parse(run->report_json, nullptr, false);
  if (report.is_discarded() || report["files"].size() != 1) return fail("no report: " + run->report_json);
  const auto& f = report["files"][0];
  long rows = f.value("rows", -1L), accepted = f.value("accepted", -1L), invalid = f.value("invalid_rows", -1L);
  long stored = countMessages(work + "/data/qiao.db");
  if (rows != expected_rows || accepted != expected_records || invalid != 0 || stored != expected_records) {
    return fail(job + ": rows " + std::to_string(rows) + ", accepted " + std::to_string(accepted) + ", invalid " +
                std::to_string(invalid) + ", in the store " + std::to_string(stored) + "; expected " +
                std::to_string(expected_rows) + " rows, " + std::to_string(expected_records) + " records");
  }
  gw->reset();
  fs::remove_all(work, ec);
  return 0;
}

// ---- harness ----

struct Sample {
  double seconds = 0;  // timed phase
  double wall = 0;     // whole child
  double cpu = 0;      // whole child, user + system, all threads
  double other = 0;    // CPU others used meanwhile, % of one core
  long max_rss_kb = 0;
  bool ok = false;
};

// CPU seconds the whole machine has been busy (user, nice, system, irq, softirq, steal).
double machineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  unsigned long long v[8] = {};
  in >> cpu;
  for (auto& x : v) in >> x;
  return static_cast<double>(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// --quiet PCT: waits (up to 120 s) until the rest of the machine uses less than PCT % of one
// core over a second, as the peers' harness did; the table shows what others used anyway.
void waitQuiet(double pct) {
  if (pct <= 0) return;
  for (int i = 0; i < 120; ++i) {
    double b0 = machineBusySeconds();
    ::sleep(1);
    if ((machineBusySeconds() - b0) * 100 < pct) return;
  }
}

// Runs fn in a child; the child sends its timed seconds back through a pipe.
Sample inChild(const std::function<int(double*)>& fn) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  std::fflush(nullptr);
  const double busy0 = machineBusySeconds();
  auto t0 = SteadyClock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    double s = 0;
    int rc = fn(&s);
    if (::write(fds[1], &s, sizeof s) != sizeof s) rc = 1;
    std::fflush(nullptr);
    ::_exit(rc);
  }
  ::close(fds[1]);
  Sample r;
  if (::read(fds[0], &r.seconds, sizeof r.seconds) != sizeof r.seconds) r.seconds = 0;
  ::close(fds[0]);
  int status = 0;
  struct rusage ru {};
  ::wait4(pid, &status, 0, &ru);
  r.wall = secondsSince(t0);
  r.max_rss_kb = ru.ru_maxrss;
  r.cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
          static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  r.other = std::max(0.0, (machineBusySeconds() - busy0 - r.cpu) / r.wall * 100);
  r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (WIFSIGNALED(status)) std::fprintf(stderr, "excel_peers_bench: the phase died of signal %d\n", WTERMSIG(status));
  return r;
}

// --only read,import: the phases whose group starts with one of the names.
bool selected(const std::string& only, const std::string& group) {
  if (only.empty()) return true;
  size_t start = 0;
  while (start <= only.size()) {
    size_t comma = only.find(',', start);
    if (comma == std::string::npos) comma = only.size();
    std::string name = only.substr(start, comma - start);
    if (!name.empty() && group.rfind(name, 0) == 0) return true;
    start = comma + 1;
  }
  return false;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Phase {
  std::string group;  // for --only
  std::string name;
  double goal_seconds;  // 0 = no goal
  double goal_rss_mb;   // 0 = no goal
  std::string peers;
  std::function<int(double*)> fn;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: qiao_excel_peers_bench DATA_DIR [--runs N] [--only read,csv,write,import] [--quiet PCT]\n");
    return 2;
  }
  const std::string data = argv[1];
  int runs = 3;
  double quiet = 0;
  std::string only;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::max(1, std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--only") == 0) only = argv[i + 1];
    else if (std::strcmp(argv[i], "--quiet") == 0) quiet = std::atof(argv[i + 1]);
  }
  const std::string xlsx = data + "/customers_orders.xlsx", gbk = data + "/customers_orders_gbk.csv",
                    utf8 = data + "/customers_orders_utf8bom.csv", out = data + "/qiao_written.xlsx",
                    work = data + "/qiao_import_work";
  for (const auto& f : {xlsx, gbk, utf8}) {
    if (!fs::exists(f)) return fail(f + " is missing (tests/bench/excel_peers.sh makes it)");
  }
  // Expected counts from the UTF-8 CSV: rows, orders (distinct 订单编号), distinct lines.
  long rows = 0;
  std::unordered_set<std::string> orders;
  std::unordered_set<size_t> lines;  // hashes: the parent stays small (children inherit it)
  {
    std::ifstream in(utf8, std::ios::binary);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      if (line.empty() || line == "\r") continue;
      ++rows;
      orders.insert(line.substr(0, line.find(',')));
      lines.insert(std::hash<std::string>()(line));
    }
  }
  const long n_orders = static_cast<long>(orders.size()), n_lines = static_cast<long>(lines.size());
  orders = {};
  lines = {};
  ::malloc_trim(0);

  std::vector<Phase> phases = {
      {"read", "read xlsx -> row JSON", 1.0, 64, "openpyxl 16.08 s / 44 MB; SheetJS 9.86 s / 794 MB",
       [&](double* s) { return readPhase(xlsx, rows, s); }},
      {"csv", "read GBK csv -> row JSON", 1.0, 64, "-", [&](double* s) { return readPhase(gbk, rows, s); }},
      {"write", "write xlsx, typed", 2.2, 0,
       "libxlsxwriter constant_memory 1.70 s / 55 MB; openpyxl 10.33 s / 216 MB; SheetJS 7.41 s / 1082 MB",
       [&](double* s) { return writePhase(utf8, out, s); }},
      {"import", "import job xlsx, grouped /lines", 3.0, 0, "-",
       [&](double* s) { return importPhase(xlsx, "import_grouped", work, rows, n_orders, s); }},
      {"import-rows", "import job xlsx, one record per row", 3.0, 0, "-",
       [&](double* s) { return importPhase(xlsx, "import_rows", work, rows, n_lines, s); }},
      {"import-csv", "import job GBK csv, grouped /lines", 3.0, 0, "-",
       [&](double* s) { return importPhase(gbk, "import_grouped", work, rows, n_orders, s); }},
  };
  std::printf("%ld rows x %d columns (%ld orders); median of %d run(s); seconds = timed phase in the child;\n"
              "other load = CPU the rest of the machine used during a run, %% of one core (highest run)\n\n",
              rows, kColumns, n_orders, runs);
  std::printf("| phase | seconds | rows/s | peak RSS MB | child wall s | child CPU s | other load %% | goal | pass | peers (same data) |\n"
              "|---|---:|---:|---:|---:|---:|---:|---|---|---|\n");
  int errors = 0;
  for (const auto& p : phases) {
    if (!selected(only, p.group)) continue;
    std::vector<double> secs, walls, cpus, rss;
    double other = 0;
    bool ok = true;
    for (int r = 0; r < runs; ++r) {
      waitQuiet(quiet);
      Sample s = inChild(p.fn);
      other = std::max(other, s.other);
      ok = ok && s.ok;
      secs.push_back(s.seconds);
      walls.push_back(s.wall);
      cpus.push_back(s.cpu);
      rss.push_back(s.max_rss_kb / 1024.0);
    }
    if (ok && p.group == "write") ok = inChild([&](double*) { return verifyWritten(out, utf8); }).ok;
    double sec = median(secs), mb = *std::max_element(rss.begin(), rss.end());
    std::string goal = p.goal_seconds > 0 ? "< " + std::to_string(p.goal_seconds).substr(0, 3) + " s" : "";
    if (p.goal_rss_mb > 0) goal += ", < " + std::to_string(static_cast<int>(p.goal_rss_mb)) + " MB";
    bool pass = ok && (p.goal_seconds <= 0 || sec <= p.goal_seconds) && (p.goal_rss_mb <= 0 || mb < p.goal_rss_mb);
    if (!ok) ++errors;
    std::printf("| %s | %.2f | %.0f | %.0f | %.2f | %.2f | %.0f | %s | %s | %s |\n", p.name.c_str(), sec, rows / sec,
                mb, median(walls), median(cpus), other, goal.c_str(), !ok ? "ERROR" : pass ? "pass" : "FAIL", p.peers.c_str());
    std::fflush(stdout);
  }
  std::remove(out.c_str());
  return errors == 0 ? 0 : 1;
}
