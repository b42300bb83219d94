// The report workbook read back with the excel reader; the service beside the real qiao store
// in one SQLite file; the multi-sheet WorkbookWriter it is built on.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <set>

#include "qiao/excel/sheet.h"
#include "qiao/excel/writer.h"
#include "qiao/store/store.h"
#include "service_fixture.h"

namespace qiao::recon::testing {
namespace {

namespace xl = qiao::excel;

struct Sheet {
  std::vector<std::string> header;
  std::vector<std::vector<xl::Cell>> rows;
  std::size_t col(const std::string& name) const {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    ADD_FAILURE() << "no column " << name;
    return 0;
  }
  std::string text(std::size_t row, const std::string& name) const {
    std::size_t c = col(name);
    return c < rows[row].size() ? rows[row][c].text : "";
  }
  Decimal number(std::size_t row, const std::string& name) const {
    std::string t = text(row, name);
    if (t.empty()) return Decimal();
    auto d = Decimal::parse(t);
    EXPECT_TRUE(d.ok()) << name << ": " << t;
    return d.ok() ? *d : Decimal();
  }
};

Sheet readSheet(const std::string& path, const std::string& name) {
  Sheet s;
  xl::ReadOptions o;
  o.sheet = name;
  auto t = xl::TableReader::open(path, o);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  if (!t.ok()) return s;
  s.header = (*t)->header();
  xl::Row row;
  for (int guard = 0; guard < 100000; ++guard) {
    auto more = (*t)->next(row);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) break;
    s.rows.push_back(row.cells);
  }
  return s;
}

std::optional<std::size_t> findRow(const Sheet& s, const std::string& column, const std::string& value) {
  for (std::size_t i = 0; i < s.rows.size(); ++i) {
    if (s.text(i, column) == value) return i;
  }
  return std::nullopt;
}

TEST(ReconServiceReport, WorkbookSheetsRowsAndAgingAddUp) {
  testkit::TempDir dir;
  FakeClock clock;
  auto svc = openService(serviceOptions(dir.file("qiao.db"), &clock));
  ASSERT_NE(svc, nullptr);
  ASSERT_OK(svc->upsertOrderJson(orderJson("SO-2026-0000901", kHuadongCode, "10000.00", "2026-08-01", {{"paymentTerms", "NET30"}})));
  ASSERT_OK(svc->upsertOrderJson(orderJson("SO-2026-0000902", kBeilunCode, "5000.00", "2026-10-15", {{"paymentTerms", "NET30"}})));
  ASSERT_OK(svc->upsertOrderJson(orderJson("SO-2026-0000903", kJiangnanCode, "3000.00", "2026-11-20", {{"plannedReceiptDate", "2026-12-20"}})));
  ASSERT_OK(svc->upsertOrderJson(orderJson("SO-2026-0000904", kJiangnanCode, "2000.00", "2026-06-01")));
  ASSERT_OK(svc->upsertOrderJson(orderJson("SO-2026-0000905", kJiangnanCode, "2500.00", "2026-10-10")));
  ASSERT_OK(svc->addPaymentJson(bankJson("B1", "宁波北仑模具有限责任公司", "5000.00", "2026-11-03", "SO-2026-0000902")));
  ASSERT_OK(svc->addPaymentJson(bankJson("B2", "苏州华东精密机械有限公司", "12000.00", "2026-11-05", "SO-2026-0000901")));
  ASSERT_OK(svc->addPaymentJson(bankJson("B3", "深圳市某某贸易有限公司", "777.00", "2026-11-06", "货款")));
  ASSERT_OK(svc->addPaymentJson(bankJson("B4", "无锡江南电缆股份有限公司", "1000.00", "2026-11-07")));
  ASSERT_OK(svc->addPaymentJson(bankJson("B0", "深圳市某某贸易有限公司", "50.00", "2026-10-06")));  // last month, still open
  ASSERT_OK(svc->run());

  const std::string path = dir.file("reports/recon-2026-11.xlsx");
  ::mkdir(dir.file("reports").c_str(), 0755);
  auto written = svc->writeReport(path, 2026, 11, *parseDate("2026-11-30"));
  ASSERT_OK(written);
  EXPECT_EQ(*written, path);

  auto sheets = xl::listSheets(path);
  ASSERT_OK(sheets);
  EXPECT_EQ(*sheets, (std::vector<std::string>{"汇总 Summary", "已核销 Matched", "部分 Partial", "未匹配 Unmatched",
                                               "异常 Exceptions", "账龄 Aging"}));

  Sheet summary = readSheet(path, "汇总 Summary");
  ASSERT_EQ(summary.rows.size(), 1u);
  EXPECT_EQ(summary.text(0, "币种"), "CNY");
  EXPECT_EQ(summary.number(0, "本月收款"), *Decimal::parse("18777"));
  EXPECT_EQ(summary.number(0, "预收余额"), *Decimal::parse("2000"));

  Sheet matched = readSheet(path, "已核销 Matched");
  auto b1 = findRow(matched, "收款编号", "B1");
  ASSERT_TRUE(b1);
  EXPECT_EQ(matched.text(*b1, "订单编号"), "SO-2026-0000902");
  EXPECT_EQ(matched.number(*b1, "核销金额"), *Decimal::parse("5000"));
  EXPECT_EQ(matched.rows[*b1][matched.col("收款日期")].type, xl::CellType::kDateTime);
  EXPECT_EQ(matched.text(*b1, "收款日期"), "2026-11-03");
  EXPECT_EQ(matched.text(*b1, "核销规则"), "单号匹配");
  EXPECT_FALSE(findRow(matched, "收款编号", "B3"));

  Sheet partial = readSheet(path, "部分 Partial");
  auto b2 = findRow(partial, "收款编号", "B2");
  ASSERT_TRUE(b2);
  EXPECT_EQ(partial.number(*b2, "未核销"), *Decimal::parse("2000"));
  EXPECT_EQ(partial.text(*b2, "核销订单"), "SO-2026-0000901 10000.00");

  Sheet unmatched = readSheet(path, "未匹配 Unmatched");
  EXPECT_TRUE(findRow(unmatched, "收款编号", "B3"));
  EXPECT_TRUE(findRow(unmatched, "收款编号", "B0"));  // an older receipt still waiting
  EXPECT_EQ(unmatched.rows.size(), 2u);

  Sheet exceptions = readSheet(path, "异常 Exceptions");
  auto b3 = findRow(exceptions, "单号", "B3");
  ASSERT_TRUE(b3);
  EXPECT_EQ(exceptions.text(*b3, "说明"), "付款人未知");

  // Aging: every open order in the bucket of its days past due; the buckets add up to what
  // the API calls outstanding.
  Sheet aging = readSheet(path, "账龄 Aging");
  const char* buckets[] = {"未到期", "0-30天", "31-60天", "61-90天", "90天以上"};
  Decimal rows_total, bucket_total;
  std::map<std::string, Decimal> per_bucket;
  std::optional<std::size_t> total_row;
  for (std::size_t i = 0; i < aging.rows.size(); ++i) {
    if (aging.text(i, "订单编号") == "合计 Total") {
      total_row = i;
      continue;
    }
    rows_total += aging.number(i, "应收未收");
    for (const char* b : buckets) {
      bucket_total += aging.number(i, b);
      per_bucket[b] += aging.number(i, b);
    }
  }
  OrderQuery oq;
  oq.limit = 100;
  Decimal api_outstanding;
  const Json orders = parsed(svc->ordersJson(oq));
  ASSERT_EQ(orders["items"].size(), 5u);
  for (const Json& o : orders["items"]) api_outstanding += *Decimal::parse(o["outstandingAmount"].get<std::string>());
  EXPECT_EQ(api_outstanding, *Decimal::parse("6500"));  // SO-C 3000, SO-D 1000 (B4 took 1000), SO-E 2500
  EXPECT_EQ(rows_total, api_outstanding);
  EXPECT_EQ(bucket_total, api_outstanding);
  EXPECT_EQ(per_bucket["未到期"], *Decimal::parse("3000"));   // SO-C due 12-20
  EXPECT_EQ(per_bucket["31-60天"], *Decimal::parse("2500"));  // SO-E due 10-10: 51 days
  EXPECT_EQ(per_bucket["90天以上"], *Decimal::parse("1000")); // SO-D due 06-01
  ASSERT_TRUE(total_row);
  EXPECT_EQ(aging.number(*total_row, "应收未收"), api_outstanding);
  auto d = findRow(aging, "订单编号", "SO-2026-0000904");
  ASSERT_TRUE(d);
  EXPECT_EQ(aging.number(*d, "逾期天数"), *Decimal::parse("182"));
  Json aging_json = parsed(svc->agingJson(*parseDate("2026-11-30")));
  EXPECT_EQ(aging_json["currencies"][0]["outstanding"], "6500.00");
  EXPECT_EQ(aging_json["currencies"][0]["d90Plus"], "1000.00");

  // A bad target is an error, and the old report stays as it was.
  auto bad = svc->writeReport(dir.file("nowhere/x.xlsx"), 2026, 11, *parseDate("2026-11-30"));
  EXPECT_FALSE(bad.ok());
  auto bad_month = svc->writeReport(path, 2026, 13, *parseDate("2026-11-30"));
  EXPECT_FALSE(bad_month.ok());
  EXPECT_TRUE(xl::listSheets(path).ok());
}

std::set<std::string> tablesIn(const std::string& path) {
  std::set<std::string> out;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW) out.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

TEST(ReconServiceStore, SharesTheGatewayFileWithTheStore) {
  testkit::TempDir dir;
  FakeClock clock;
  const std::string path = dir.file("qiao.db");
  store::SqliteOptions so;
  so.path = path;
  so.synchronous_full = false;
  auto st = store::openSqliteStore(so);
  ASSERT_OK(st);
  std::unique_ptr<store::Store> s = std::move(st.value());
  std::set<std::string> store_tables = tablesIn(path);
  for (const std::string& t : store_tables) EXPECT_NE(t.rfind("recon_", 0), 0u) << t;

  // The payer account -> customer through the store's ID cross-reference, as the lead wires it.
  ASSERT_OK(s->putXref({"payer_account", "bank", "6222021200001234", kBeilunCode, 1, ""}));
  ServiceOptions o = serviceOptions(path, &clock);
  o.customer_names.clear();
  store::Store* sp = s.get();
  o.resolver = [sp](const Payment& p) -> std::optional<std::string> {
    auto r = sp->findXrefByLocal("payer_account", "bank", p.payer_account);
    if (!r.ok() || !*r) return std::nullopt;
    return (*r)->remote_id;
  };
  auto svc = openService(o);
  ASSERT_NE(svc, nullptr);
  std::set<std::string> all = tablesIn(path);
  for (const std::string& t : all) {
    EXPECT_TRUE(store_tables.count(t) || t.rfind("recon_", 0) == 0) << "unexpected table " << t;
  }
  EXPECT_TRUE(all.count("recon_payments"));

  // Both write, interleaved, through their own connections.
  for (int i = 0; i < 20; ++i) {
    std::string id = std::to_string(i);
    store::NewMessage m;
    m.route = "payments";
    m.record.payload = bankJson("B" + id, "个人代付", "100.00", "2026-11-01");
    m.record.entity = "payment";
    m.record.idempotency_key = "B" + id;
    ASSERT_OK(s->ingest(std::span<const store::NewMessage>(&m, 1), clock.now));
    ASSERT_OK(svc->upsertOrderJson(orderJson("SO-" + id, kBeilunCode, "100.00", "2026-10-01")));
    ASSERT_OK(svc->addPaymentJson(m.record.payload));
    if (i % 5 == 4) ASSERT_OK(svc->run());
  }
  ASSERT_OK(s->appendAudit({0, clock.now, "fin.zhao", "recon.match", "payment:B1", "{}"}));
  std::string before = snapshot(*svc);
  Json paid = parsed(svc->orderJson("SO-19"));
  EXPECT_EQ(paid["paymentStatus"], "paid");  // the resolver found the customer by account

  // Reopen both on the same file: each sees its own data, untouched by the other.
  svc.reset();
  s.reset();
  ServiceOptions o2 = o;
  o2.resolver = nullptr;  // the store it looked into is closed
  auto svc2 = openService(o2);
  ASSERT_NE(svc2, nullptr);
  EXPECT_EQ(snapshot(*svc2), before);
  auto st2 = store::openSqliteStore(so);
  ASSERT_OK(st2);
  store::MessageFilter f;
  f.route = "payments";
  f.limit = 100;
  auto msgs = (*st2)->listMessages(f);
  ASSERT_OK(msgs);
  EXPECT_EQ(msgs->size(), 20u);
  auto audit = (*st2)->listAudit(10, 0);
  ASSERT_OK(audit);
  EXPECT_EQ(audit->size(), 1u);
}

TEST(WorkbookWriter, SheetsOneAfterAnother) {
  testkit::TempDir dir;
  const std::string path = dir.file("two.xlsx");
  auto wb = xl::WorkbookWriter::create(path);
  ASSERT_OK(wb);
  EXPECT_FALSE((*wb)->addRow({xl::Cell::string("too early")}).ok());
  ASSERT_OK((*wb)->addSheet("甲 First", {{"名称", xl::ColumnKind::kText, 0}, {"金额", xl::ColumnKind::kAmount, 0}}));
  ASSERT_OK((*wb)->addRow({xl::Cell::string("=SUM(A1)"), xl::Cell::number("1234.5")}));
  auto dup = (*wb)->addSheet("甲 FIRST", {{"x"}});
  ASSERT_FALSE(dup.ok());  // names are unique ignoring case
  EXPECT_NE(dup.error().message.find("甲 FIRST"), std::string::npos);
  EXPECT_FALSE((*wb)->addSheet("a/b", {{"x"}}).ok());
  ASSERT_OK((*wb)->addSheet("乙 Second", {{"比例", xl::ColumnKind::kPercent, 0}, {"日期", xl::ColumnKind::kDate, 0}}));
  ASSERT_OK((*wb)->addRow({xl::Cell::number("0.8125"), xl::Cell::string("2026-11-30")}));
  ASSERT_OK((*wb)->addRow({xl::Cell::number("1")}));
  EXPECT_EQ((*wb)->rowsWritten(), 2);
  EXPECT_EQ((*wb)->sheetCount(), 2);
  EXPECT_NE(::access(path.c_str(), F_OK), 0);  // nothing at the target before commit
  ASSERT_OK((*wb)->commit());
  EXPECT_FALSE((*wb)->commit().ok());
  auto sheets = xl::listSheets(path);
  ASSERT_OK(sheets);
  EXPECT_EQ(*sheets, (std::vector<std::string>{"甲 First", "乙 Second"}));
  Sheet first = readSheet(path, "甲 First");
  ASSERT_EQ(first.rows.size(), 1u);
  EXPECT_EQ(first.text(0, "名称"), "'=SUM(A1)");
  EXPECT_EQ(first.number(0, "金额"), *Decimal::parse("1234.5"));
  Sheet second = readSheet(path, "乙 Second");
  ASSERT_EQ(second.rows.size(), 2u);
  EXPECT_EQ(second.number(0, "比例"), *Decimal::parse("0.8125"));
  EXPECT_EQ(second.text(0, "日期"), "2026-11-30");
  // Only .xlsx holds several sheets.
  EXPECT_FALSE(xl::WorkbookWriter::create(dir.file("x.csv")).ok());
}

}  // namespace
}  // namespace qiao::recon::testing
