// Reconciliation benchmark: 100,000 payments against 1,000,000 open orders (issue 7).
// Prints a table of wall time and peak RSS (getrusage) per phase. Rows are generated on the
// fly and handed to the engine, so the RSS is the engine's plus the process baseline.
//
//   qiao_recon_bench [orders=1000000] [payments=100000] [customers=20000]
//
// Built a second time as qiao_recon_service_bench (recon/CMakeLists.txt, with
// QIAO_RECON_BENCH_SERVICE): the same kind of books through qiao::recon::Service — canonical
// JSON in, SQLite file, reopen, report workbook:
//
//   qiao_recon_service_bench [orders=200000] [payments=20000] [customers=5000] [dir=/tmp]
#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>

#include "qiao/recon/engine.h"
#include "qiao/recon/rows.h"
#ifdef QIAO_RECON_BENCH_SERVICE
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "qiao/recon/service.h"
#endif

using namespace qiao;
using namespace qiao::recon;

namespace {

long peakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Wall time and this process's CPU time: on a busy shared machine the CPU column is the
// engine's own work, the wall column what a user would wait.
struct Timer {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  double cpu_start = cpuSeconds();
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  double cpu() const { return cpuSeconds() - cpu_start; }
};

std::string customerName(int c) { return "华东" + std::to_string(c) + "精密机械有限公司"; }
std::string customerId(int c) { return "C" + std::to_string(100000 + c); }
std::string orderNo(int i) {
  char b[24];
  std::snprintf(b, sizeof b, "SO-2026-%07d", i);
  return b;
}

struct OrderInfo {  // what the payment generator needs to know about an order
  int customer;
  int64_t cents;
  bool usd;
};

void row(const char* phase, const Timer& t, const std::string& note) {
  std::printf("| %-36s | %8.3f | %8.3f | %8ld | %s\n", phase, t.seconds(), t.cpu(), peakRssMb(), note.c_str());
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "failed: %s\n", what);
    std::exit(1);
  }
}

void header() {
  std::printf("| %-36s | %8s | %8s | %8s | %s\n", "phase", "wall s", "cpu s", "peak MB", "note");
  std::printf("|%s|%s|%s|%s|%s\n", std::string(38, '-').c_str(), std::string(10, '-').c_str(),
              std::string(10, '-').c_str(), std::string(10, '-').c_str(), "------");
}

#ifdef QIAO_RECON_BENCH_SERVICE
std::string jsonText(const std::string& s) { return "\"" + s + "\""; }
std::string cents(int64_t c) {
  char b[32];
  std::snprintf(b, sizeof b, "%s%lld.%02lld", c < 0 ? "-" : "", static_cast<long long>((c < 0 ? -c : c) / 100),
                static_cast<long long>((c < 0 ? -c : c) % 100));
  return b;
}

int serviceBench(int argc, char** argv) {
  int n_orders = argc > 1 ? std::atoi(argv[1]) : 200'000;
  int n_payments = argc > 2 ? std::atoi(argv[2]) : 20'000;
  int n_customers = argc > 3 ? std::atoi(argv[3]) : 5'000;
  std::string base = argc > 4 ? argv[4] : "/tmp";
  std::string dir_template = base + "/qiao-recon-bench-XXXXXX";
  check(::mkdtemp(dir_template.data()) != nullptr, "mkdtemp");
  const std::string dir = dir_template;
  const std::string db = dir + "/qiao.db";
  std::mt19937_64 rng(20261127);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  std::printf("recon service benchmark: %d orders, %d payments, %d customers, file %s\n\n", n_orders, n_payments,
              n_customers, db.c_str());
  header();
  row("baseline", Timer{}, "");

  ServiceOptions opts;
  opts.sqlite_path = db;  // synchronous=FULL, as the gateway runs
  for (int c = 0; c < n_customers; ++c) opts.customer_names.push_back({customerId(c), customerName(c)});
  Timer t_open;
  auto opened = Service::open(opts);
  check(opened.ok(), "open");
  std::unique_ptr<Service> svc = std::move(opened.value());
  row("open empty file + customer names", t_open, std::to_string(n_customers) + " names");

  std::vector<OrderInfo> info;
  info.reserve(static_cast<std::size_t>(n_orders));
  constexpr int kBatch = 5000;
  Timer t_orders;
  std::vector<std::string> batch;
  for (int i = 0; i < n_orders; ++i) {
    OrderInfo oi{pick(n_customers), 100'000 + static_cast<int64_t>(rng() % 50'000'000), pick(20) == 0};
    info.push_back(oi);
    std::string date = formatDate(20089 + pick(640));
    std::string j = "{\"orderId\":" + jsonText(orderNo(i)) + ",\"orderDate\":" + jsonText(date) +
                    ",\"customerCode\":" + jsonText(customerId(oi.customer)) + ",\"currency\":" +
                    jsonText(oi.usd ? "USD" : "CNY") + ",\"totalAmount\":" + jsonText(cents(oi.cents)) +
                    ",\"paymentTerms\":\"NET60\"" +
                    (i % 2 == 0 ? ",\"erpBillNo\":" + jsonText("XSDD" + std::to_string(1'000'000 + i)) : "") + "}";
    batch.push_back(std::move(j));
    if (batch.size() == kBatch || i + 1 == n_orders) {
      auto r = svc->ingestBatchJson(batch, {});
      check(r.ok(), "order batch");
      for (const auto& one : *r) check(one.ok(), "order");
      batch.clear();
    }
  }
  row("ingest orders (JSON, batches of 5000)", t_orders, std::to_string(n_orders) + " orders");

  Timer t_pays;
  for (int i = 0; i < n_payments; ++i) {
    int k = pick(100);
    int target = pick(n_orders);
    const OrderInfo& oi = info[static_cast<std::size_t>(target)];
    int64_t c = oi.cents;
    std::string remark, payer = customerName(oi.customer);
    if (k < 40) remark = "货款 " + orderNo(target);
    else if (k < 60) c -= 1 + pick(900);            // fee deducted
    else if (k < 75) c = c * 3 + pick(100000);       // lump sum
    else if (k < 85) payer = "个人" + std::to_string(pick(100000));  // unknown payer
    std::string j = "{\"paymentId\":" + jsonText("BANK-" + std::to_string(i)) + ",\"source\":\"bank\",\"date\":" +
                    jsonText(formatDate(20393 + pick(60))) + ",\"payerName\":" + jsonText(payer) +
                    ",\"amount\":" + jsonText(cents(c)) + ",\"currency\":" + jsonText(oi.usd ? "USD" : "CNY") +
                    ",\"remark\":" + jsonText(remark) + "}";
    batch.push_back(std::move(j));
    if (batch.size() == kBatch || i + 1 == n_payments) {
      auto r = svc->ingestBatchJson({}, batch);
      check(r.ok(), "payment batch");
      for (const auto& one : *r) check(one.ok(), "payment");
      batch.clear();
    }
  }
  row("ingest payments (JSON, batches)", t_pays, std::to_string(n_payments) + " payments");

  Timer t_run;
  auto run = svc->run();
  check(run.ok(), "run");
  row("run: match + commit + CRM push list", t_run,
      std::to_string(run->stats.allocations_created) + " allocations, " + std::to_string(run->changed.size()) +
          " orders to push");

  Timer t_single;
  for (int i = 0; i < 200; ++i) {
    const OrderInfo& oi = info[static_cast<std::size_t>(pick(n_orders))];
    std::string j = "{\"paymentId\":" + jsonText("LATE-" + std::to_string(i)) + ",\"source\":\"bank\",\"date\":\"2025-12-30\"" +
                    ",\"payerName\":" + jsonText(customerName(oi.customer)) + ",\"amount\":" + jsonText(cents(oi.cents / 2)) +
                    ",\"currency\":" + jsonText(oi.usd ? "USD" : "CNY") + "}";
    check(svc->addPaymentJson(j).ok(), "late payment");
  }
  row("+200 payments one call each (fsync)", t_single, "per call " + std::to_string(t_single.seconds() / 200 * 1000).substr(0, 5) + " ms");
  Timer t_inc;
  auto inc = svc->run();
  check(inc.ok(), "incremental run");
  row("incremental run", t_inc, std::to_string(inc->stats.payments_processed) + " processed");

  Timer t_query;
  PaymentQuery pq;
  pq.status = "unmatched";
  auto page = svc->paymentsJson(pq);
  check(page.ok(), "payments query");
  auto month = svc->summaryJson(2025, 12);
  auto aging = svc->agingJson(20454);
  check(month.ok() && aging.ok(), "summary/aging");
  row("query: 100 unmatched + summary + aging", t_query, std::to_string(page->size() / 1024) + " KB page");

  Timer t_report;
  auto report = svc->writeReport(dir + "/report-2025-12.xlsx", 2025, 12, 20454);
  check(report.ok(), "report");
  struct stat st{};
  ::stat(report->c_str(), &st);
  row("writeReport (6 sheets)", t_report, std::to_string(st.st_size / 1024) + " KB");

  svc.reset();
  Timer t_reopen;
  auto again = Service::open(opts);
  check(again.ok(), "reopen");
  row("reopen: load tables + restore", t_reopen, "state checked");
  OrderQuery oq;
  oq.limit = 1;
  auto all_orders = (*again)->ordersJson(oq);
  check(all_orders.ok() && all_orders->find("\"total\":" + std::to_string(n_orders) + ",") != std::string::npos,
        "every order reloaded");
  ::stat(db.c_str(), &st);
  std::printf("\nSQLite file %lld MB (plus -wal); peak RSS %ld MB\n",
              static_cast<long long>(st.st_size / (1024 * 1024)), peakRssMb());
  again.value().reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
#endif

}  // namespace

int main(int argc, char** argv) {
#ifdef QIAO_RECON_BENCH_SERVICE
  return serviceBench(argc, argv);
#endif
  int n_orders = argc > 1 ? std::atoi(argv[1]) : 1'000'000;
  int n_payments = argc > 2 ? std::atoi(argv[2]) : 100'000;
  int n_customers = argc > 3 ? std::atoi(argv[3]) : 20'000;
  std::mt19937_64 rng(20261126);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };

  std::printf("recon benchmark: %d orders, %d payments, %d customers\n\n", n_orders, n_payments, n_customers);
  header();
  row("baseline", Timer{}, "");

  {
    // The cost of making the rows alone, to tell it apart from the engine's ingest below.
    std::mt19937_64 gen(7);
    Timer t_gen;
    std::size_t sink = 0;
    for (int i = 0; i < n_orders; ++i) {
      Order o;
      o.order_no = orderNo(i);
      if (i % 2 == 0) o.erp_bill_no = "XSDD" + std::to_string(1'000'000 + i);
      o.customer_id = customerId(static_cast<int>(gen() % static_cast<uint64_t>(n_customers)));
      o.currency = "CNY";
      o.amount = *Decimal::fromUnscaled(100'000 + static_cast<int64_t>(gen() % 50'000'000), 2);
      sink += o.order_no.size() + o.customer_id.size();
    }
    row("generate order rows only", t_gen, "not ingested (" + std::to_string(sink % 10) + ")");
  }

  auto created = Engine::create(Config{});
  check(created.ok(), "create");
  Engine engine = std::move(created.value());
  engine.reserve(static_cast<std::size_t>(n_orders), static_cast<std::size_t>(n_payments));
  Timer t_names;
  for (int c = 0; c < n_customers; ++c) check(engine.addCustomerName(customerId(c), customerName(c)).ok(), "name");
  row("customer names", t_names, std::to_string(n_customers) + " names");

  std::vector<OrderInfo> info;
  info.reserve(static_cast<std::size_t>(n_orders));
  Timer t_orders;
  for (int i = 0; i < n_orders; ++i) {
    OrderInfo oi{pick(n_customers), 100'000 + static_cast<int64_t>(rng() % 50'000'000), pick(20) == 0};
    info.push_back(oi);
    Order o;
    o.order_no = orderNo(i);
    if (i % 2 == 0) o.erp_bill_no = "XSDD" + std::to_string(1'000'000 + i);
    o.customer_id = customerId(oi.customer);
    o.currency = oi.usd ? "USD" : "CNY";
    o.amount = *Decimal::fromUnscaled(oi.cents, 2);
    o.order_date = 20089 + pick(640);  // 2025-01-01 .. 2026-10
    if (pick(2)) o.planned_receipt_date = o.order_date + 30 + pick(60);
    check(engine.addOrder(std::move(o)).ok(), "order");
  }
  row("ingest orders (incl. generating)", t_orders, std::to_string(n_orders) + " orders");

  std::map<std::string, int> kinds;
  Timer t_pays;
  int added = 0, duplicates = 0;
  std::vector<Payment> recent;  // for duplicates and reversals
  for (int i = 0; i < n_payments; ++i) {
    int k = pick(100);
    int target = pick(n_orders);
    const OrderInfo& oi = info[static_cast<std::size_t>(target)];
    Payment p;
    p.payment_id = "BANK-" + std::to_string(i);
    p.source = PaymentSource::kBank;
    p.date = 20393 + pick(60);  // 2025-11 .. 2025-12 (after most orders)
    p.currency = oi.usd ? "USD" : "CNY";
    p.payer_name = customerName(oi.customer);
    p.payer_account = "6222" + std::to_string(oi.customer);
    int64_t c = oi.cents;
    if (k < 35) {
      kinds["remark reference"]++;
      p.remark = (k % 3 == 0 ? "货款 " : k % 3 == 1 ? "NO." : "付") + orderNo(target).substr(k % 3 == 2 ? 3 : 0);
    } else if (k < 50) {
      kinds["k3 source order"]++;
      p.source = PaymentSource::kK3;
      p.payment_id = "SKD" + std::to_string(i);
      p.customer_id = customerId(oi.customer);
      p.source_order_no = orderNo(target);
    } else if (k < 70) {
      kinds["exact amount by payer"]++;
    } else if (k < 80) {
      kinds["fee deducted"]++;
      c -= 1 + pick(900);
    } else if (k < 90) {
      kinds["lump sum (oldest first)"]++;
      c = c * 3 + pick(100000);
    } else if (k < 97) {
      kinds["unknown payer"]++;
      p.payer_name = "个人" + std::to_string(pick(100000));
      p.payer_account = "";
    } else if (k < 99 && !recent.empty()) {
      kinds["reversal"]++;
      Payment red = recent[static_cast<std::size_t>(pick(static_cast<int>(recent.size())))];
      if (k == 97) red.reverses_payment_id = red.payment_id;  // half name their original
      red.payment_id += "-R" + std::to_string(i);
      red.amount = red.amount.negate();
      red.date += 1;
      red.source_order_no.reset();
      check(engine.addPayment(red).ok(), "reversal");
      ++added;
      continue;
    } else {
      kinds["duplicate"]++;
      if (!recent.empty()) {
        check(engine.addPayment(recent[static_cast<std::size_t>(pick(static_cast<int>(recent.size())))]).ok(), "dup");
        ++duplicates;
        continue;
      }
    }
    p.amount = *Decimal::fromUnscaled(c, 2);
    if (recent.size() < 1000) recent.push_back(p);
    else recent[static_cast<std::size_t>(pick(1000))] = p;
    check(engine.addPayment(std::move(p)).ok(), "payment");
    ++added;
  }
  row("ingest payments (incl. generating)", t_pays,
      std::to_string(added) + " added, " + std::to_string(duplicates) + " duplicates");

  Timer t_run;
  RunStats stats = engine.run();
  row("run (match all)", t_run,
      std::to_string(stats.payments_processed) + " payments, " + std::to_string(stats.allocations_created) +
          " allocations, " + std::to_string(stats.reversals_applied) + " reversals");

  Timer t_inc;
  for (int i = 0; i < 1000; ++i) {
    const OrderInfo& oi = info[static_cast<std::size_t>(pick(n_orders))];
    Payment p;
    p.payment_id = "LATE-" + std::to_string(i);
    p.date = 20460;
    p.currency = oi.usd ? "USD" : "CNY";
    p.payer_name = customerName(oi.customer);
    p.amount = *Decimal::fromUnscaled(oi.cents / 2, 2);
    check(engine.addPayment(std::move(p)).ok(), "late payment");
  }
  RunStats inc = engine.run();
  row("incremental: +1,000 payments, run", t_inc, std::to_string(inc.payments_processed) + " processed");

  Timer t_check;
  check(engine.checkInvariants().ok(), "invariants");
  row("checkInvariants (full scan)", t_check, "ok");

  Timer t_report;
  auto summary = engine.summary(2025, 12);
  auto aging = engine.aging(20454);
  row("summary 2025-12 + aging", t_report, std::to_string(summary->size()) + " currencies");

  // Persistence the way a store would do it: rows streamed one at a time.
  std::size_t n_rows = 0, n_bytes = 0;
  RowWriter writer;
  writer.clear_allocations = [] { return Status(); };
  writer.upsert = [&](std::string_view, const Row& r) {
    ++n_rows;
    for (const Cell& c : r) n_bytes += c ? c->size() : 0;
    return Status();
  };
  writer.delete_allocation = [&](int64_t) { return Status(); };
  Timer t_rows;
  check(engine.writeChanges(writer).ok(), "writeChanges");
  row("writeChanges (first save, all rows)", t_rows,
      std::to_string(n_rows) + " rows, " + std::to_string(n_bytes / (1024 * 1024)) + " MB of text");
  for (int i = 0; i < 100; ++i) {
    const OrderInfo& oi = info[static_cast<std::size_t>(pick(n_orders))];
    Payment p;
    p.payment_id = "NEXT-" + std::to_string(i);
    p.date = 20461;
    p.currency = oi.usd ? "USD" : "CNY";
    p.payer_name = customerName(oi.customer);
    p.amount = *Decimal::fromUnscaled(oi.cents, 2);
    check(engine.addPayment(std::move(p)).ok(), "next payment");
  }
  engine.run();
  n_rows = 0;
  Timer t_delta;
  check(engine.writeChanges(writer).ok(), "writeChanges");
  row("+100 payments, run, writeChanges", t_delta, std::to_string(n_rows) + " rows");

  std::map<std::string, std::size_t> by_rule, by_status;
  for (const Allocation& a : engine.allocations()) by_rule[a.rule]++;
  for (const PaymentResult& p : engine.payments()) by_status[std::string(toString(p.status))]++;
  std::printf("\npayments generated by kind:");
  for (const auto& [k, n] : kinds) std::printf(" %s=%d", k.c_str(), n);
  std::printf("\nallocations by rule:");
  for (const auto& [k, n] : by_rule) std::printf(" %s=%zu", k.c_str(), n);
  std::printf("\npayments by status:");
  for (const auto& [k, n] : by_status) std::printf(" %s=%zu", k.c_str(), n);
  std::printf("\npeak RSS %ld MB\n", peakRssMb());
  return 0;
}
