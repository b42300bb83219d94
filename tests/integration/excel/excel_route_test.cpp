// `qiao run` with an excel source polled every second and an excel sink: the committed GBK
// fixture travels drop folder -> store -> export CSV (UTF-8 with BOM), the file is archived,
// and the same file dropped again under another name is archived without a second row.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <algorithm>
#include <csignal>
#include <filesystem>

#include "qiao/testkit/testkit.h"

namespace {

namespace tk = qiao::testkit;
namespace fs = std::filesystem;

// Back-dates a file so the source's min_file_age does not hold it back.
void age(const std::string& path) {
  struct timeval tv[2];
  ::gettimeofday(&tv[0], nullptr);
  tv[0].tv_sec -= 60;
  tv[1] = tv[0];
  ::utimes(path.c_str(), tv);
}

std::string exportText(const std::string& out) {
  for (const auto& e : fs::directory_iterator(out)) {
    std::string n = e.path().filename().string();
    if (n.rfind("order-", 0) == 0 && n.ends_with(".csv")) return tk::readFile(e.path().string());
  }
  return "";
}

TEST(ExcelRoute, DropFolderToExportOnceEach) {
  tk::TempDir dir;
  const std::string drop = dir.file("drop"), out = dir.file("out"), cfg = dir.file("cfg");
  fs::create_directories(drop);
  fs::create_directories(out);
  fs::create_directories(cfg);
  const int port = tk::freePort();
  tk::writeFile(cfg + "/gateway.yaml",
                "gateway:\n  instance_name: excel-route\n  data_dir: " + dir.file("data") +
                    "\n  log_level: info\nserver:\n  host: 127.0.0.1\n  port: " + std::to_string(port) +
                    "\nstore:\n  driver: sqlite\nsecurity:\n  require_auth: false\n");
  tk::writeFile(cfg + "/connectors.yaml",
                "connectors:\n  drop:\n    type: excel\n    folder: " + drop +
                    "\n    pattern: \"*.csv\"\n    key_column: 订单编号\n    entity: order\n"
                    "  outbox:\n    type: excel\n    folder: " + out +
                    "\n    file_pattern: \"{entity}-{date}.csv\"\n    concurrency: 1\n");
  tk::writeFile(cfg + "/routes.yaml",
                "routes:\n  excel_copy:\n    source: drop\n    sink: outbox\n    entity: order\n"
                "    business_key: /订单编号\nschedules:\n  every_second:\n    cron: \"* * * * * *\"\n"
                "    route: excel_copy\n");
  std::string validate_out;
  ASSERT_EQ(tk::runCommand(tk::binPath("qiao") + " validate --config " + cfg, &validate_out), 0) << validate_out;

  const std::string fixture = tk::readFile(std::string(QIAO_EXCEL_FIXTURES) + "/orders_gbk_semicolon.csv");
  ASSERT_FALSE(fixture.empty());
  tk::writeFile(drop + "/orders.csv", fixture);
  age(drop + "/orders.csv");

  tk::Child gw(tk::binPath("qiao"), {"run", "--config", cfg}, dir.file("qiao.log"));
  auto rows = [&] {
    std::string t = exportText(out);
    return std::count(t.begin(), t.end(), '\n');
  };
  // Header + 2 records, one with a line break inside a quoted field: 4 newlines.
  ASSERT_TRUE(tk::waitFor([&] { return rows() >= 4 && fs::exists(drop + "/archive/orders.csv"); }, 30000, 100))
      << exportText(out) << "\n" << tk::readFile(dir.file("qiao.log")).substr(0, 4000);
  std::string text = exportText(out);
  EXPECT_EQ(text.rfind("\xEF\xBB\xBF订单编号,客户名称,联系电话,金额,订单日期,备注\r\n", 0), 0u) << text;
  EXPECT_NE(text.find("SO-0001,深圳华强电子有限公司,075588886666,\"1,234.50\",2026/11/26,\"含分号;和\"\"引号\"\"\"\r\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("SO-0002,广州白云机械厂,13800138000,99.9,2026年11月27日,"), std::string::npos) << text;

  // The same content again, under another name: archived, nothing new in the export.
  tk::writeFile(drop + "/orders-again.csv", fixture);
  age(drop + "/orders-again.csv");
  ASSERT_TRUE(tk::waitFor([&] { return fs::exists(drop + "/archive/orders-again.csv"); }, 30000, 100))
      << tk::readFile(dir.file("qiao.log")).substr(0, 4000);
  EXPECT_EQ(exportText(out), text);
  gw.kill(SIGTERM);
  EXPECT_EQ(gw.wait(15000), 0);
}

}  // namespace
