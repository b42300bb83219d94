// The service's persistence: a killed process reopens to exactly what was committed, the CRM
// push queue survives restarts, manual overrides are kept and logged, and random books stay
// balanced across a reopen in the middle.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "service_fixture.h"

namespace qiao::recon::testing {
namespace {

std::string readAll(const std::string& path) { return testkit::readFile(path); }

std::size_t lineCount(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

// Runs `work` in a child process that dies by SIGKILL when work returns — or earlier, killed
// by the parent once `progress()` says the child has got going (polled up to 20 s, so slow
// sanitizer builds still get there) plus a random 0..kill_jitter_ms.
template <typename Work, typename Progress>
void inKilledChild(Work work, Progress progress, int kill_jitter_ms, std::mt19937* rng) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Never back into gtest from the child: an escaping exception would run the other tests
    // a second time in this process.
    try {
      work();
    } catch (...) {
      ::_exit(2);
    }
    ::raise(SIGKILL);
    ::_exit(3);  // not reached
  }
  if (kill_jitter_ms >= 0) {
    for (int i = 0; i < 2000 && !progress(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds((*rng)() % static_cast<unsigned>(kill_jitter_ms + 1)));
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child exited instead of being killed: " << status;
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

template <typename Work>
void inKilledChild(Work work) {
  inKilledChild(work, [] { return true; }, -1, nullptr);
}

TEST(ReconServicePersist, KilledProcessReopensToItsLastCommit) {
  testkit::TempDir dir;
  FakeClock clock;
  const std::string db = dir.file("qiao.db");
  const std::string snap = dir.file("child.snapshot");
  inKilledChild([&] {
    auto svc = Service::open(serviceOptions(db, &clock));
    if (!svc.ok()) ::_exit(1);
    Service& s = **svc;
    (void)s.upsertOrderJson(orderJson("SO-2026-0000101", kHuadongCode, "10000.00", "2026-10-08"));
    (void)s.upsertOrderJson(orderJson("SO-2026-0000102", kHuadongCode, "5000.00", "2026-10-09"));
    (void)s.addPaymentJson(bankJson("B1", "苏州华东精密机械有限公司", "12000.00", "2026-11-01"));
    (void)s.run();
    (void)s.match({"B1", "SO-2026-0000102", "3000.00", "fin.zhao", "客户来电确认"});
    // Committed but not run yet when the process dies.
    (void)s.addPaymentJson(bankJson("B2", "苏州华东精密机械有限公司", "3000.00", "2026-11-02"));
    std::ofstream(snap) << snapshot(s);
  });
  auto svc = openService(serviceOptions(db, &clock));
  ASSERT_NE(svc, nullptr);
  ASSERT_OK(svc->checkInvariants());
  std::string expected = readAll(snap);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(snapshot(*svc), expected);
  // The receipt committed before the kill is matched by the next run, once.
  auto r = svc->run();
  ASSERT_OK(r);
  EXPECT_EQ(r->stats.payments_processed, 1u);
  Json order = parsed(svc->orderJson("SO-2026-0000102"));
  EXPECT_EQ(order["paymentStatus"], "paid");
}

TEST(ReconServicePersist, KilledAtARandomMomentLosesNothingCommitted) {
  testkit::TempDir dir;
  FakeClock clock;
  const std::string db = dir.file("qiao.db");
  const std::string log = dir.file("committed.log");
  std::mt19937 rng(7);
  for (int round = 0; round < 3; ++round) {
    const std::size_t before = lineCount(log);
    inKilledChild(
        [&] {
          auto svc = Service::open(serviceOptions(db, &clock));
          if (!svc.ok()) ::_exit(1);
          Service& s = **svc;
          std::ofstream out(log, std::ios::app);
          for (int i = 0; i < 400; ++i) {  // bounded; the parent kills it well before the end
            std::string id = "R" + std::to_string(round) + "-" + std::to_string(i);
            if (s.upsertOrderJson(orderJson("SO-" + id, kBeilunCode, "100.00", "2026-10-01")).ok() &&
                s.addPaymentJson(bankJson("B-" + id, "宁波北仑模具有限责任公司", "100.00", "2026-11-01")).ok()) {
              out << id << "\n" << std::flush;  // both committed
            }
            if (i % 7 == 0) (void)s.run();
          }
        },
        [&] { return lineCount(log) >= before + 3; }, 60, &rng);
  }
  auto svc = openService(serviceOptions(db, &clock));
  ASSERT_NE(svc, nullptr);
  ASSERT_OK(svc->checkInvariants());
  std::ifstream in(log);
  std::string id;
  std::size_t logged = 0;
  while (std::getline(in, id)) {
    ++logged;
    EXPECT_TRUE(svc->payment("B-" + id).has_value()) << id;
    EXPECT_TRUE(svc->order("SO-" + id).has_value()) << id;
  }
  EXPECT_GT(logged, 0u);  // the child got some work committed before it was killed
  PaymentQuery q;
  q.limit = 10000;
  std::size_t stored = parsed(svc->paymentsJson(q))["total"];
  // At most the one receipt committed just before its log line was written is extra.
  EXPECT_GE(stored, logged);
  EXPECT_LE(stored, logged + 3);
  ASSERT_OK(svc->run());
  ASSERT_OK(svc->checkInvariants());
  OrderQuery oq;
  oq.status = "unpaid";
  oq.limit = 10000;
  EXPECT_LE(parsed(svc->ordersJson(oq))["total"].get<std::size_t>(), 3u);  // every order meets its receipt
}

TEST(ReconServicePersist, PushQueueSurvivesARestart) {
  testkit::TempDir dir;
  FakeClock clock;
  ServiceOptions o = serviceOptions(dir.file("qiao.db"), &clock);
  {
    auto svc = openService(o);
    ASSERT_OK(svc->upsertOrderJson(orderJson("SO-1", kHuadongCode, "1000.00", "2026-10-01")));
    ASSERT_OK(svc->addPaymentJson(bankJson("B1", "苏州华东精密机械有限公司", "1000.00", "2026-11-01")));
    auto r = svc->run();
    ASSERT_OK(r);
    ASSERT_EQ(r->changed.size(), 1u);
    // The CRM raises the order's amount: it is partly paid now, told at the next run even
    // though the process restarts first.
    clock.now += 60000;
    ASSERT_EQ(*svc->upsertOrderJson(orderJson("SO-1", kHuadongCode, "1200.00", "2026-10-01")), IngestOutcome::kUpdated);
  }
  clock.now += 60000;
  auto svc = openService(o);
  auto r = svc->run();
  ASSERT_OK(r);
  ASSERT_EQ(r->changed.size(), 1u);
  Json c = Json::parse(r->changed[0].json);
  EXPECT_EQ(c["orderId"], "SO-1");
  EXPECT_EQ(c["paymentStatus"], "partial");
  EXPECT_EQ(c["outstandingAmount"], "200.00");
  EXPECT_EQ(c["paymentUpdatedAt"], "2026-11-30T00:01:00Z");  // when it changed, not when pushed
  // Handed out once.
  auto again = svc->run();
  ASSERT_OK(again);
  EXPECT_TRUE(again->changed.empty());
}

TEST(ReconServicePersist, ManualMatchAndUnmatch) {
  testkit::TempDir dir;
  FakeClock clock;
  ServiceOptions o = serviceOptions(dir.file("qiao.db"), &clock);
  auto svc = openService(o);
  ASSERT_OK(svc->upsertOrderJson(orderJson("SO-2026-0000101", kHuadongCode, "6000.00", "2026-10-01")));
  ASSERT_OK(svc->upsertOrderJson(orderJson("SO-2026-0000102", kHuadongCode, "4000.00", "2026-10-02")));
  ASSERT_OK(svc->addPaymentJson(bankJson("B1", "深圳市某某贸易有限公司", "4000.00", "2026-11-01", "货款")));
  ASSERT_OK(svc->run());
  EXPECT_EQ(parsed(svc->paymentJson("B1"))["status"], "unmatched");

  // Finance knows who paid: a manual match, answered with the changed order.
  auto m = svc->match({"B1", "SO-2026-0000102", "4000.00", "fin.zhao", "客户来电确认代付"});
  ASSERT_OK(m);
  ASSERT_EQ(m->changed.size(), 1u);
  EXPECT_EQ(m->changed[0].order_id, "SO-2026-0000102");
  EXPECT_EQ(Json::parse(m->changed[0].json)["paymentStatus"], "paid");
  Json p = parsed(svc->paymentJson("B1"));
  EXPECT_EQ(p["allocations"][0]["rule"], "manual");
  EXPECT_EQ(p["allocations"][0]["user"], "fin.zhao");
  EXPECT_EQ(p["customerCode"], kHuadongCode);  // taken over from the order
  // A manual match is not handed out again by run().
  EXPECT_TRUE(svc->run()->changed.empty());

  // Bad requests say why.
  auto bad = svc->match({"B1", "SO-2026-0000101", "1.005", "fin.zhao", "x"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("amount"), std::string::npos);
  auto nouser = svc->match({"B1", "SO-2026-0000101", "1.00", "", "x"});
  ASSERT_FALSE(nouser.ok());
  EXPECT_NE(nouser.error().message.find("user"), std::string::npos);
  auto unknown = svc->match({"B404", "SO-2026-0000101", "1.00", "fin.zhao", "x"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);

  // Reopen: the manual allocation and its log are there.
  std::string before = snapshot(*svc);
  svc = openService(o);
  EXPECT_EQ(snapshot(*svc), before);
  Json log = parsed(svc->manualLogJson(10, 0));
  ASSERT_EQ(log["total"], 1);
  EXPECT_EQ(log["items"][0]["kind"], "match");
  EXPECT_EQ(log["items"][0]["user"], "fin.zhao");
  EXPECT_EQ(log["items"][0]["reason"], "客户来电确认代付");
  EXPECT_EQ(log["items"][0]["amount"], "4000.00");

  // Unmatch: the order reopens, the payment is held (runs leave it alone), across a reopen.
  auto u = svc->unmatch({"B1", "SO-2026-0000102", "", "fin.qian", "付款人不是该客户"});
  ASSERT_OK(u);
  ASSERT_EQ(u->changed.size(), 1u);
  EXPECT_EQ(Json::parse(u->changed[0].json)["paymentStatus"], "unpaid");
  svc = openService(o);
  ASSERT_OK(svc->run());
  Json held = parsed(svc->paymentJson("B1"));
  EXPECT_EQ(held["held"], true);
  EXPECT_TRUE(held["allocations"].empty());
  EXPECT_EQ(parsed(svc->orderJson("SO-2026-0000102"))["paymentStatus"], "unpaid");
  EXPECT_EQ(parsed(svc->manualLogJson(10, 0))["items"][0]["kind"], "unmatch");
  // Released: the next run matches it again (customer known now: exact amount).
  ASSERT_OK(svc->releaseHold({"B1", "", "", "fin.qian", "已核实"}));
  auto r = svc->run();
  ASSERT_OK(r);
  EXPECT_EQ(parsed(svc->orderJson("SO-2026-0000102"))["paymentStatus"], "paid");
  ASSERT_OK(svc->checkInvariants());
}

TEST(ReconServicePersist, ADamagedFileIsRefusedNamingTheCell) {
  testkit::TempDir dir;
  FakeClock clock;
  ServiceOptions o = serviceOptions(dir.file("qiao.db"), &clock);
  {
    auto svc = openService(o);
    ASSERT_OK(svc->upsertOrderJson(orderJson("SO-1", kHuadongCode, "100.00", "2026-10-01")));
    ASSERT_OK(svc->addPaymentJson(bankJson("B1", "苏州华东精密机械有限公司", "60.00", "2026-11-01")));
    ASSERT_OK(svc->addPaymentJson(bankJson("B2", "苏州华东精密机械有限公司", "40.00", "2026-11-02")));
    ASSERT_OK(svc->run());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(o.sqlite_path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE recon_payments SET amount = '6O.00' WHERE payment_id = 'B2'", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto bad = Service::open(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("recon_payments row 2 column amount"), std::string::npos) << bad.error().message;
  // Books that do not add up are refused too (an allocation above its payment).
  ASSERT_EQ(sqlite3_open(o.sqlite_path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE recon_payments SET amount = '40.00' WHERE payment_id = 'B2';"
                             "UPDATE recon_payments SET amount = '10.00' WHERE payment_id = 'B1'",
                         nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto unbalanced = Service::open(o);
  ASSERT_FALSE(unbalanced.ok());
  EXPECT_NE(unbalanced.error().message.find("B1"), std::string::npos) << unbalanced.error().message;
}

TEST(ReconServicePersist, BatchIngestReportsEachItemAndCommitsOnce) {
  testkit::TempDir dir;
  FakeClock clock;
  ServiceOptions o = serviceOptions(dir.file("qiao.db"), &clock);
  auto svc = openService(o);
  std::vector<std::string> orders = {orderJson("SO-1", kHuadongCode, "100.00", "2026-10-01"),
                                     orderJson("SO-2", kHuadongCode, "1.001", "2026-10-01"),
                                     orderJson("SO-1", kHuadongCode, "100.00", "2026-10-01")};
  std::vector<std::string> payments = {bankJson("B1", "苏州华东精密机械有限公司", "100.00", "2026-11-01"),
                                       "{\"paymentId\": 7}"};
  auto r = svc->ingestBatchJson(orders, payments);
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ(*(*r)[0], IngestOutcome::kAdded);
  ASSERT_FALSE((*r)[1].ok());
  EXPECT_NE((*r)[1].error().message.find("totalAmount: 1.001 has more than 2 decimals"), std::string::npos);
  EXPECT_EQ(*(*r)[2], IngestOutcome::kDuplicate);
  EXPECT_EQ(*(*r)[3], IngestOutcome::kAdded);
  ASSERT_FALSE((*r)[4].ok());
  EXPECT_NE((*r)[4].error().message.find("paymentId: must be a string"), std::string::npos);
  svc = openService(o);  // what was accepted was committed
  EXPECT_TRUE(svc->order("SO-1").has_value());
  EXPECT_FALSE(svc->order("SO-2").has_value());
  EXPECT_TRUE(svc->payment("B1").has_value());
  ASSERT_OK(svc->run());
  EXPECT_EQ(svc->order("SO-1")->status, OrderStatus::kPaid);
}

TEST(ReconServicePersist, ConcurrentCallersKeepTheBooksBalanced) {
  testkit::TempDir dir;
  FakeClock clock;
  ServiceOptions o = serviceOptions(dir.file("qiao.db"), &clock);
  auto svc = openService(o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        EXPECT_TRUE(svc->upsertOrderJson(orderJson("SO-" + id, kJiangnanCode, "50.00", "2026-10-01")).ok());
        EXPECT_TRUE(svc->addPaymentJson(bankJson("B-" + id, "无锡江南电缆股份有限公司", "50.00", "2026-11-01")).ok());
        if (i % 5 == 0) {
          EXPECT_TRUE(svc->run().ok());
        }
        if (i % 7 == 0) {
          EXPECT_TRUE(svc->paymentsJson({}).ok());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_OK(svc->run());
  ASSERT_OK(svc->checkInvariants());
  OrderQuery q;
  q.status = "paid";
  q.limit = 1000;
  EXPECT_EQ(parsed(svc->ordersJson(q))["total"], 100);
  std::string before = snapshot(*svc);
  svc = openService(o);
  EXPECT_EQ(snapshot(*svc), before);
}

// ---- property: random books, a reopen in the middle --------------------------------------

struct Book {
  std::vector<std::string> orders, payments;
};

Book randomBook(uint32_t seed) {
  std::mt19937 rng(seed);
  const char* customers[] = {kHuadongCode, kBeilunCode, kJiangnanCode};
  const char* payers[] = {"苏州华东精密机械有限公司", "宁波北仑模具有限责任公司", "无锡江南电缆股份有限公司",
                          "深圳市某某贸易有限公司"};
  Book b;
  auto cents = [&](int lo, int hi) {
    int v = lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo));
    return std::to_string(v / 100) + "." + (v % 100 < 10 ? "0" : "") + std::to_string(v % 100);
  };
  for (int i = 0; i < 40; ++i) {
    char id[32], date[16];
    std::snprintf(id, sizeof id, "SO-2026-%07d", i + 1);
    std::snprintf(date, sizeof date, "2026-%02d-%02d", 8 + static_cast<int>(rng() % 3), 1 + static_cast<int>(rng() % 28));
    b.orders.push_back(orderJson(id, customers[rng() % 3], cents(10000, 900000), date,
                                 {{"paymentTerms", rng() % 2 ? "NET30" : "NET60"}}));
  }
  for (int i = 0; i < 60; ++i) {
    char date[16];
    std::snprintf(date, sizeof date, "2026-11-%02d", 1 + static_cast<int>(rng() % 28));
    char ref[32];
    std::snprintf(ref, sizeof ref, "SO-2026-%07d", 1 + static_cast<int>(rng() % 40));
    std::string remark = rng() % 3 == 0 ? ref : "货款";
    std::string id = "B" + std::to_string(i);
    if (i % 10 == 9) {  // a reversal of an earlier receipt
      b.payments.push_back(bankJson(id, payers[0], "-1.00", date, "退回", {{"reversalOf", "B" + std::to_string(i - 1)}}));
      continue;
    }
    b.payments.push_back(bankJson(id, payers[rng() % 4], cents(5000, 600000), date, remark));
  }
  // Reversals carry the exact negative of what they cancel.
  for (std::size_t i = 0; i < b.payments.size(); ++i) {
    Json j = Json::parse(b.payments[i]);
    if (!j.contains("reversalOf")) continue;
    Json orig = Json::parse(b.payments[i - 1]);
    j["amount"] = "-" + orig["amount"].get<std::string>();
    j["payerName"] = orig["payerName"];
    b.payments[i] = j.dump();
  }
  return b;
}

Decimal dec(const Json& j) { return *Decimal::parse(j.get<std::string>()); }

void expectBalanced(const Service& s) {
  ASSERT_OK(s.checkInvariants());
  PaymentQuery pq;
  pq.limit = 10000;
  const Json payments = parsed(s.paymentsJson(pq));
  ASSERT_FALSE(payments["items"].empty());
  for (const Json& p : payments["items"]) {
    Decimal sum;
    for (const Json& a : p["allocations"]) sum += dec(a["amount"]);
    EXPECT_EQ(sum, dec(p["allocated"])) << p.dump();
    EXPECT_EQ(sum + dec(p["unallocated"]), dec(p["amount"])) << p.dump();
    if (dec(p["amount"]).signum() > 0) {
      EXPECT_LE(sum, dec(p["amount"])) << p.dump();
    }
  }
  OrderQuery oq;
  oq.limit = 10000;
  const Json orders = parsed(s.ordersJson(oq));
  ASSERT_FALSE(orders["items"].empty());
  for (const Json& o : orders["items"]) {
    Decimal sum;
    for (const Json& a : o["allocations"]) sum += dec(a["amount"]);
    EXPECT_EQ(sum, dec(o["paidAmount"])) << o.dump();
    EXPECT_LE(sum + dec(o["writtenOff"]), dec(o["amount"])) << o.dump();  // no manual overpayment here
    EXPECT_EQ(sum + dec(o["writtenOff"]) + dec(o["outstandingAmount"]), dec(o["amount"])) << o.dump();
  }
}

// Answers without the allocation sequence numbers (they depend on history, not on the books).
std::string withoutSeq(const std::string& snap) {
  std::string out;
  std::size_t start = 0;
  while (start < snap.size()) {
    std::size_t nl = snap.find('\n', start);
    if (nl == std::string::npos) nl = snap.size();
    Json j = Json::parse(snap.substr(start, nl - start));
    if (j.contains("items")) {
      for (auto& item : j["items"]) {
        if (item.contains("allocations")) {
          for (auto& a : item["allocations"]) a.erase("seq");
        }
      }
    }
    out += j.dump() + "\n";
    start = nl + 1;
  }
  return out;
}

TEST(ReconServiceProperty, BatchesWithAReopenEqualOneShotAndStayBalanced) {
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Book book = randomBook(seed);
    testkit::TempDir dir;
    FakeClock clock;
    ServiceOptions oa = serviceOptions(dir.file("a.db"), &clock);
    ServiceOptions ob = serviceOptions(dir.file("b.db"), &clock);
    auto a = openService(oa);
    std::size_t half_o = book.orders.size() / 2, half_p = book.payments.size() / 2;
    for (std::size_t i = 0; i < half_o; ++i) ASSERT_OK(a->upsertOrderJson(book.orders[i]));
    for (std::size_t i = 0; i < half_p; ++i) ASSERT_OK(a->addPaymentJson(book.payments[i]));
    ASSERT_OK(a->run());
    expectBalanced(*a);
    a = openService(oa);  // the middle: everything so far comes back from the file
    expectBalanced(*a);
    for (std::size_t i = half_o; i < book.orders.size(); ++i) ASSERT_OK(a->upsertOrderJson(book.orders[i]));
    for (std::size_t i = half_p; i < book.payments.size(); ++i) ASSERT_OK(a->addPaymentJson(book.payments[i]));
    ASSERT_OK(a->run());
    expectBalanced(*a);
    ASSERT_OK(a->rematchAll());
    expectBalanced(*a);

    // The same books in reverse order, in one go.
    auto b = openService(ob);
    for (auto it = book.payments.rbegin(); it != book.payments.rend(); ++it) ASSERT_OK(b->addPaymentJson(*it));
    for (auto it = book.orders.rbegin(); it != book.orders.rend(); ++it) ASSERT_OK(b->upsertOrderJson(*it));
    ASSERT_OK(b->run());
    expectBalanced(*b);
    EXPECT_EQ(withoutSeq(snapshot(*a)), withoutSeq(snapshot(*b)));
    // And both survive one more reopen unchanged.
    std::string sa = snapshot(*a);
    a = openService(oa);
    EXPECT_EQ(snapshot(*a), sa);
  }
}

}  // namespace
}  // namespace qiao::recon::testing
