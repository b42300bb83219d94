// Excel library benchmark: writes 100,000 rows x 10 columns as .xlsx and .csv, then reads them
// back (rows -> JSON records), and reads a GB18030 copy of the CSV. Each phase runs in its own
// child process so that its peak RSS (getrusage via wait4) is its own.
//   qiao_excel_bench [rows] [folder]
#include <iconv.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "qiao/excel/row_json.h"
#include "qiao/excel/sheet.h"
#include "qiao/excel/writer.h"

namespace xl = qiao::excel;

namespace {

std::vector<xl::ColumnSpec> columns() {
  return {{"订单编号", xl::ColumnKind::kText, 0}, {"客户名称", xl::ColumnKind::kText, 0},
          {"联系电话", xl::ColumnKind::kAuto, 0}, {"金额", xl::ColumnKind::kAmount, 0},
          {"数量", xl::ColumnKind::kInteger, 0},  {"单价", xl::ColumnKind::kNumber, 0},
          {"订单日期", xl::ColumnKind::kDate, 0}, {"状态", xl::ColumnKind::kText, 0},
          {"备注", xl::ColumnKind::kText, 0},     {"加急", xl::ColumnKind::kAuto, 0}};
}

std::vector<xl::Cell> makeRow(long i) {
  char id[32], phone[32], amount[32], qty[16], price[32];
  std::snprintf(id, sizeof id, "SO-%07ld", i);
  std::snprintf(phone, sizeof phone, "0755%08ld", 10000000 + i % 89999999);
  std::snprintf(amount, sizeof amount, "%ld.%02ld", 100 + i % 100000, i % 100);
  std::snprintf(qty, sizeof qty, "%ld", 1 + i % 500);
  std::snprintf(price, sizeof price, "%ld.5", 3 + i % 997);
  static const char* kCustomers[] = {"深圳华强电子有限公司", "广州白云机械厂", "Acme Trading Co.", "上海浦东精密制造"};
  static const char* kStatus[] = {"已审核", "待审核", "已关闭"};
  qiao::LocalDateTime d{2026, 1 + static_cast<int>(i % 12), 1 + static_cast<int>(i % 28), 0, 0, 0, 0};
  return {xl::Cell::string(id), xl::Cell::string(kCustomers[i % 4]), xl::Cell::string(phone),
          xl::Cell::number(amount), xl::Cell::number(qty), xl::Cell::number(price), xl::Cell::dateTime(d),
          xl::Cell::string(kStatus[i % 3]), xl::Cell::string(i % 7 == 0 ? "=不是公式" : "按时交货"),
          xl::Cell::boolean(i % 5 == 0)};
}

int writeFile(const std::string& path, long rows) {
  auto w = xl::SheetWriter::create(path, columns());
  if (!w.ok()) { std::fprintf(stderr, "%s\n", w.error().message.c_str()); return 1; }
  for (long i = 0; i < rows; ++i) {
    auto s = (*w)->addRow(makeRow(i));
    if (!s.ok()) { std::fprintf(stderr, "%s\n", s.error().message.c_str()); return 1; }
  }
  auto c = (*w)->commit();
  if (!c.ok()) { std::fprintf(stderr, "%s\n", c.error().message.c_str()); return 1; }
  return 0;
}

int readFile(const std::string& path, long expected) {
  auto t = xl::openTable(path);
  if (!t.ok()) { std::fprintf(stderr, "%s\n", t.error().message.c_str()); return 1; }
  auto conv = xl::RowConverter::fromHeader((*t)->header(), (*t)->dateSystem());
  xl::Row row;
  long n = 0;
  size_t bytes = 0;
  for (;;) {
    auto more = (*t)->next(row);
    if (!more.ok()) { std::fprintf(stderr, "%s\n", more.error().message.c_str()); return 1; }
    if (!*more) break;
    auto rec = conv.convert(row);
    bytes += rec.json.size();
    ++n;
  }
  if (n != expected || bytes == 0) {
    std::fprintf(stderr, "%s: read %ld rows, expected %ld\n", path.c_str(), n, expected);
    return 1;
  }
  return 0;
}

int toGb18030(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), {});
  if (s.rfind("\xEF\xBB\xBF", 0) == 0) s.erase(0, 3);
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  std::string out(s.size() * 2, '\0');
  char* ip = s.data();
  char* op = out.data();
  size_t il = s.size(), ol = out.size();
  if (iconv(cd, &ip, &il, &op, &ol) == static_cast<size_t>(-1)) return 1;
  iconv_close(cd);
  out.resize(out.size() - ol);
  std::ofstream(to, std::ios::binary) << out;
  return 0;
}

struct Result {
  double seconds = 0;
  long max_rss_kb = 0;
  bool ok = false;
};

Result inChild(const std::function<int()>& fn) {
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(fn());
  int status = 0;
  struct rusage ru{};
  ::wait4(pid, &status, 0, &ru);
  Result r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.max_rss_kb = ru.ru_maxrss;
  r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return r;
}

long fileSize(const std::string& p) {
  std::ifstream in(p, std::ios::binary | std::ios::ate);
  return in ? static_cast<long>(in.tellg()) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  long rows = argc > 1 ? std::atol(argv[1]) : 100000;
  std::string dir = argc > 2 ? argv[2] : "/tmp";
  std::string xlsx = dir + "/qiao_excel_bench.xlsx", csv = dir + "/qiao_excel_bench.csv",
              gbk = dir + "/qiao_excel_bench_gbk.csv";
  struct Phase {
    const char* name;
    std::string file;
    std::function<int()> fn;
  };
  std::vector<Phase> phases = {
      {"write xlsx (constant memory)", xlsx, [&] { return writeFile(xlsx, rows); }},
      {"write csv (UTF-8 BOM)", csv, [&] { return writeFile(csv, rows); }},
      {"read xlsx -> JSON records", xlsx, [&] { return readFile(xlsx, rows); }},
      {"read csv UTF-8 -> JSON records", csv, [&] { return readFile(csv, rows); }},
      {"read csv GB18030 -> JSON records", gbk, [&] { return readFile(gbk, rows); }},
  };
  std::printf("%ld rows x 10 columns\n\n", rows);
  std::printf("| phase | seconds | rows/s | peak RSS MiB | file MiB |\n|---|---:|---:|---:|---:|\n");
  int failures = 0;
  for (auto& p : phases) {
    if (p.file == gbk && toGb18030(csv, gbk) != 0) { std::printf("| %s | conversion failed |\n", p.name); ++failures; continue; }
    Result r = inChild(p.fn);
    if (!r.ok) ++failures;
    std::printf("| %s | %.2f | %.0f | %.1f | %.1f |%s\n", p.name, r.seconds, rows / r.seconds, r.max_rss_kb / 1024.0,
                fileSize(p.file) / 1048576.0, r.ok ? "" : " FAILED");
  }
  std::remove(xlsx.c_str());
  std::remove(csv.c_str());
  std::remove(gbk.c_str());
  return failures == 0 ? 0 : 1;
}
