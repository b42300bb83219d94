// The k3cloud source against the K/3 simulator: receipts (AR_RECEIVEBILL) pulled in pages, the
// overlap re-read, restarts from a stored watermark (bills modified in the same instant as
// the watermark), bills modified again, session loss and 5xx in the middle of a pull, and the
// payloads mapped by mappings/standard/k3_receivebill_to_crm_payment.yaml into payments.
#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "k3_sim_fixture.h"
#include "k3_source.h"
#include "qiao/core/decimal.h"
#include "qiao/mapping/json.h"
#include "qiao/mapping/mapping.h"

namespace k3test {
namespace {

using qiao::ErrorClass;
using qiao::Record;

class K3PullTest : public K3SimTest {
 protected:
  // Receipts: audited ones only, as reconciliation wants them.
  static json receiptSettings(json pull_extra = json::object()) {
    json pull = {{"form_id", "AR_RECEIVEBILL"},
                 {"entity", "payment"},
                 {"filter", "FDOCUMENTSTATUS = 'C'"},
                 {"overlap", "5m"},
                 {"page_size", 500}};
    for (auto& [k, v] : pull_extra.items()) pull[k] = v;
    json s = settings();
    s["pull"] = pull;
    return s;
  }

  // Built through the registered descriptor, as the runtime does.
  static std::unique_ptr<k3::K3Source> makeSource(const json& s, const std::string& name = "k3_receipts") {
    qiao::sdk::Registry registry;
    qiao_register_k3cloud(registry);
    const qiao::sdk::Descriptor* d = registry.find("k3cloud");
    EXPECT_TRUE(d && d->isSource() && d->isSink());
    if (!d || !d->isSource()) return nullptr;
    auto made = d->make_source({name, s.dump()}, {name, ""});
    EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().message);
    if (!made.ok()) return nullptr;
    return std::unique_ptr<k3::K3Source>(dynamic_cast<k3::K3Source*>(made.value().release()));
  }

  // One receipt as the simulator stores it (field keys); amounts per entry.
  static json receipt(const std::string& no, const std::string& mtime,
                      std::vector<double> amounts = {1000}, const std::string& purpose = "SFKYT01_SYS") {
    json entries = json::array();
    double total = 0;
    for (size_t i = 0; i < amounts.size(); ++i) {
      total += amounts[i];
      entries.push_back({{"FSETTLETYPEID", {{"FNumber", "JSFS04_SYS"}}},
                         {"FPURPOSEID", {{"FNumber", purpose}}},
                         {"FRECTOTALAMOUNTFOR", amounts[i]},
                         {"FRECAMOUNTFOR_E", amounts[i]},
                         {"FREALRECAMOUNTFOR_D", amounts[i]},
                         {"FHANDLINGCHARGEFOR", i == 0 ? 5 : 0},
                         {"FOPPOSITECCOUNTNAME", "苏州华东精密机械有限公司"},
                         {"FOPPOSITEBANKACCOUNT", "6222020200112345678"},
                         {"FPOSTDATE", "2026-11-27"},
                         {"FCOMMENT", "货款 SO-" + no + "-" + std::to_string(i)},
                         {"FSALEORDERNO", "SO-" + no + "-" + std::to_string(i)}});
    }
    json doc = {{"FBillNo", no},
                {"FBillTypeID", {{"FNumber", "SKDLX01_SYS"}}},
                {"FDATE", "2026-11-26"},
                {"FCONTACTUNIT", {{"FNumber", "C100001"}}},
                {"FCURRENCYID", {{"FNumber", "PRE001"}}},
                {"FPAYORGID", {{"FNumber", "100"}}},
                {"FREALRECAMOUNTFOR", total},
                {"FRECEIVEAMOUNTFOR", total},
                {"FREMARK", "11月货款"},
                {"FRECEIVEBILLENTRY", entries}};
    if (!mtime.empty()) doc["FModifyDate"] = mtime;
    return doc;
  }
  static void addReceipts(const json& docs) { post("/sim/k3cloud/_receipts", docs); }
  static json receipts() { return get("/sim/k3cloud/_receipts"); }

  struct Pulled {
    std::vector<Record> records;
    std::string watermark;
    int polls = 0;
  };
  // Polls as the runtime's schedule does: again at once while `more`, bounded.
  static Pulled drain(qiao::sdk::Source& src, std::string watermark, size_t max_records) {
    Pulled p;
    p.watermark = std::move(watermark);
    for (int i = 0; i < 50; ++i) {
      auto r = src.poll(p.watermark, max_records);
      ++p.polls;
      EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
      if (!r.ok()) break;
      EXPECT_LE(r->records.size(), max_records);
      for (auto& rec : r->records) p.records.push_back(std::move(rec));
      p.watermark = r->watermark;
      if (!r->more) break;
    }
    return p;
  }
  static std::vector<std::string> keys(const std::vector<Record>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r.business_key);
    return out;
  }
};

std::string no(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "SKD9%05d", i);
  return buf;
}

TEST_F(K3PullTest, PullsReceiptsInPagesOrderedByModifyTime) {
  json docs = json::array();
  // Inserted out of modify-time order: the pull follows FModifyDate, then FID.
  for (int i = 12; i >= 1; --i)
    docs.push_back(receipt(no(i), "2026-11-20 10:00:" + std::string(i < 10 ? "0" : "") + std::to_string(i)));
  json draft = receipt("SKD-DRAFT", "2026-11-20 10:00:30");
  draft["FDOCUMENTSTATUS"] = "A";  // filtered out by pull.filter
  docs.push_back(draft);
  addReceipts(docs);
  auto src = makeSource(receiptSettings({{"page_size", 5}}));
  ASSERT_NE(src, nullptr);

  auto first = src->poll("", 5);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->more);
  EXPECT_EQ(keys(first->records), (std::vector<std::string>{no(1), no(2), no(3), no(4), no(5)}));
  const Record& r = first->records[0];
  EXPECT_EQ(r.entity, "payment");
  EXPECT_EQ(r.source_system, "k3_receipts");
  json bill1 = receipts()[11];  // the first inserted doc was no(12): ids ascend with insertion
  ASSERT_EQ(bill1["FBillNo"], no(1));
  EXPECT_EQ(r.idempotency_key, "k3:AR_RECEIVEBILL:" + std::to_string(bill1["FID"].get<int64_t>()) +
                                   ":2026-11-20T10:00:01.000");

  auto rest = drain(*src, first->watermark, 5);
  EXPECT_EQ(rest.polls, 2);
  std::vector<std::string> want;
  for (int i = 6; i <= 12; ++i) want.push_back(no(i));
  EXPECT_EQ(keys(rest.records), want);
  // Nothing new: no records, the watermark text does not change.
  auto again = src->poll(rest.watermark, 5);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->records.empty());
  EXPECT_FALSE(again->more);
  EXPECT_EQ(again->watermark, rest.watermark);
  json wm = json::parse(rest.watermark);
  EXPECT_EQ(wm["form"], "AR_RECEIVEBILL");
  EXPECT_EQ(wm["newest"], "2026-11-20T10:00:12.000");
}

// Volume: 5000 receipts in 50 distinct seconds (100 per instant), pulled as the runtime does
// (500 per poll); each bill once, in modify-time order. Prints the rate for the record.
TEST_F(K3PullTest, FiveThousandReceiptsEachOnce) {
  json docs = json::array();
  for (int i = 0; i < 5000; ++i) {
    char mtime[32];
    std::snprintf(mtime, sizeof mtime, "2026-11-20 10:%02d:%02d", i / 100 / 60, i / 100 % 60);
    docs.push_back(receipt(no(i), mtime));
  }
  addReceipts(docs);
  for (const char* shape : {"model", "rows"}) {
    json extra = {{"shape", shape}};
    if (std::string(shape) == "rows") extra["field_keys"] = {"FBillNo", "FREALRECAMOUNTFOR"};
    auto src = makeSource(receiptSettings(extra));
    ASSERT_NE(src, nullptr);
    auto start = std::chrono::steady_clock::now();
    auto all = drain(*src, "", 500);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(all.polls, 10);
    ASSERT_EQ(all.records.size(), 5000u) << shape;
    std::set<std::string> distinct;
    for (size_t i = 0; i < all.records.size(); ++i) {
      distinct.insert(all.records[i].idempotency_key);
      EXPECT_EQ(all.records[i].business_key, no(static_cast<int>(i))) << shape;
      if (::testing::Test::HasFailure()) break;
    }
    EXPECT_EQ(distinct.size(), 5000u);
    EXPECT_LT(all.watermark.size(), 60000u);
    std::printf("k3cloud pull, shape %s: 5000 receipts in %.0f ms (%.0f/s), watermark %zu bytes\n",
                shape, ms, 5000 / (ms / 1000), all.watermark.size());
    EXPECT_TRUE(drain(*src, all.watermark, 500).records.empty());
  }
}

// More bills in one instant than the watermark may list (max_seen 100): the cap forgets the
// oldest pairs but raises the floor over them, so none is emitted again and the pull ends.
TEST_F(K3PullTest, AtTheSeenCapNothingIsEmittedTwice) {
  post("/sim/k3cloud/_clock", {{"now", "2026-11-27 10:00:00"}});
  json docs = json::array();
  for (int i = 0; i < 300; ++i) docs.push_back(receipt(no(i), ""));
  addReceipts(docs);
  auto src = makeSource(receiptSettings({{"max_seen", 100}, {"page_size", 40}}));
  ASSERT_NE(src, nullptr);
  auto all = drain(*src, "", 50);
  EXPECT_EQ(all.polls, 6);
  std::multiset<std::string> got;
  for (const auto& r : all.records) got.insert(r.business_key);
  EXPECT_EQ(got.size(), 300u);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), 300u);
  json wm = json::parse(all.watermark);
  EXPECT_TRUE(wm.contains("floor")) << all.watermark;
  size_t listed = 0;
  for (const auto& [_, ids] : wm["seen"].items()) listed += ids.size();
  EXPECT_EQ(listed, 100u);
  // The later polls skip the forgotten part in the query itself instead of re-reading the
  // instant from its start (which takes 33 page queries here).
  EXPECT_LT(calls("ExecuteBillQuery"), 27);
  // Two more in the same instant, after a restart: exactly those.
  addReceipts(json::array({receipt("SKD-LATE1", ""), receipt("SKD-LATE2", "")}));
  auto restarted = makeSource(receiptSettings({{"max_seen", 100}, {"page_size", 40}}));
  auto late = drain(*restarted, all.watermark, 50);
  EXPECT_EQ(keys(late.records), (std::vector<std::string>{"SKD-LATE1", "SKD-LATE2"}));
}

TEST_F(K3PullTest, OverlapReReadEmitsNothingTwice) {
  json docs = json::array();
  for (int i = 1; i <= 8; ++i) docs.push_back(receipt(no(i), "2026-11-20 10:0" + std::to_string(i) + ":00"));
  addReceipts(docs);
  auto src = makeSource(receiptSettings({{"overlap", "10m"}, {"page_size", 3}}));
  ASSERT_NE(src, nullptr);
  auto all = drain(*src, "", 100);
  ASSERT_EQ(all.records.size(), 8u);
  // Every bill lies inside the 10 minute overlap: the re-read reads all eight again...
  int64_t queries = calls("ExecuteBillQuery");
  auto again = drain(*src, all.watermark, 100);
  EXPECT_GT(calls("ExecuteBillQuery"), queries);
  // ...and emits none of them.
  EXPECT_TRUE(again.records.empty());
  // A late commit inside the window (modify time before the watermark) still comes, once.
  addReceipts(json::array({receipt("SKD-LATE", "2026-11-20 10:05:30")}));
  auto late = drain(*src, all.watermark, 100);
  EXPECT_EQ(keys(late.records), (std::vector<std::string>{"SKD-LATE"}));
  EXPECT_TRUE(drain(*src, late.watermark, 100).records.empty());
}

// Restarts (a new source per poll, only the stored watermark carried over) while every bill
// has the very modify time the watermark holds.
TEST_F(K3PullTest, RestartResumesAtEqualModifyTimesWithNothingMissedOrTwice) {
  post("/sim/k3cloud/_clock", {{"now", "2026-11-27 10:00:00.250"}});
  json docs = json::array();
  for (int i = 1; i <= 5; ++i) docs.push_back(receipt(no(i), ""));  // stamped by the fixed clock
  addReceipts(docs);
  for (const auto& b : receipts()) ASSERT_EQ(b["FModifyDate"], "2026-11-27T10:00:00.250");

  std::string stored;
  std::multiset<std::string> emitted;
  auto pollOnce = [&](size_t max) {
    auto src = makeSource(receiptSettings({{"page_size", 2}}));
    auto r = src->poll(stored, max);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    if (!r.ok()) return false;
    for (const auto& rec : r->records) emitted.insert(rec.business_key);
    stored = r->watermark;  // committed, then the process "restarts"
    return r->more;
  };
  EXPECT_TRUE(pollOnce(2));
  EXPECT_TRUE(pollOnce(2));
  EXPECT_FALSE(pollOnce(2));
  EXPECT_EQ(emitted.size(), 5u);
  EXPECT_EQ(std::set<std::string>(emitted.begin(), emitted.end()).size(), 5u);
  EXPECT_EQ(json::parse(stored)["newest"], "2026-11-27T10:00:00.250");

  // Created after the pull, in the same instant as the watermark.
  addReceipts(json::array({receipt(no(6), ""), receipt(no(7), "")}));
  EXPECT_FALSE(pollOnce(10));
  EXPECT_EQ(emitted.size(), 7u);
  EXPECT_EQ(emitted.count(no(6)), 1u);
  EXPECT_EQ(emitted.count(no(7)), 1u);
  EXPECT_FALSE(pollOnce(10));
  EXPECT_EQ(emitted.size(), 7u);
  for (const auto& k : emitted) EXPECT_EQ(emitted.count(k), 1u) << k;
}

TEST_F(K3PullTest, ABillModifiedAfterItWasPulledIsPulledAgain) {
  addReceipts(json::array({receipt(no(1), "2026-11-20 09:00:00"), receipt(no(2), "2026-11-20 09:00:01")}));
  auto src = makeSource(receiptSettings({{"filter", ""}}));
  ASSERT_NE(src, nullptr);
  auto first = drain(*src, "", 100);
  ASSERT_EQ(first.records.size(), 2u);
  json before = json::parse(first.records[0].payload);
  EXPECT_EQ(before["FDOCUMENTSTATUS"], "C");

  // UnAudit through the WebAPI: K/3 stamps a new FModifyDate.
  k3::BillRef ref;
  ref.numbers = {no(1)};
  ASSERT_TRUE(src->client().unAudit("AR_RECEIVEBILL", ref).ok());
  auto second = drain(*src, first.watermark, 100);
  ASSERT_EQ(second.records.size(), 1u);
  EXPECT_EQ(second.records[0].business_key, no(1));
  EXPECT_NE(second.records[0].idempotency_key, first.records[0].idempotency_key);
  EXPECT_EQ(json::parse(second.records[0].payload)["FDOCUMENTSTATUS"], "D");
  EXPECT_TRUE(drain(*src, second.watermark, 100).records.empty());
}

// A bill modified while the pull pages through must not shift another bill past a page
// boundary: pages continue from the last row's modify time (keyset), not by StartRow alone.
// The simulator answers each page query 400 ms late; the modification lands between page 1
// and page 2. No overlap, so a bill skipped here would never be read again.
TEST_F(K3PullTest, ABillModifiedWhilePagingDoesNotHideAnother) {
  json docs = json::array();
  for (int i = 1; i <= 6; ++i) docs.push_back(receipt(no(i), "2026-11-20 10:00:0" + std::to_string(i)));
  addReceipts(docs);
  auto src = makeSource(receiptSettings({{"page_size", 2}, {"overlap", "0s"}, {"filter", ""}}));
  ASSERT_NE(src, nullptr);
  ASSERT_TRUE(src->client().ensureSession().ok());
  post("/sim/k3cloud/_faults", {{"mode", "slow"}, {"delay_ms", 400}, {"count", 2}, {"services", {"ExecuteBillQuery"}}});
  std::thread modifier([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    k3::BillRef ref;
    ref.numbers = {no(1)};
    auto un = src->client().unAudit("AR_RECEIVEBILL", ref);
    EXPECT_TRUE(un.ok()) << (un.ok() ? "" : un.error().message);
  });
  auto first = src->poll("", 100);
  modifier.join();
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto rest = drain(*src, first->watermark, 100);
  std::set<std::string> got;
  for (const auto& r : first->records) got.insert(r.business_key);
  for (const auto& r : rest.records) got.insert(r.business_key);
  EXPECT_EQ(got, (std::set<std::string>{no(1), no(2), no(3), no(4), no(5), no(6)}));
  json bill1 = receipts()[0];
  ASSERT_EQ(bill1["FBillNo"], no(1));
  ASSERT_EQ(bill1["FDOCUMENTSTATUS"], "D");  // the modification did happen
}

TEST_F(K3PullTest, SessionLostMidPullIsRecoveredWithOneLoginEach) {
  json docs = json::array();
  for (int i = 1; i <= 6; ++i) docs.push_back(receipt(no(i), "2026-11-20 10:00:0" + std::to_string(i)));
  addReceipts(docs);
  auto src = makeSource(receiptSettings({{"page_size", 2}}));
  ASSERT_NE(src, nullptr);
  ASSERT_TRUE(src->client().ensureSession().ok());
  int64_t logins_before = logins();
  // The first query finds its session gone; in the next poll a View is told 会话信息已丢失.
  post("/sim/k3cloud/_faults", {{"mode", "session_expiry"}, {"count", 1}});
  auto r = src->poll("", 100);
  ASSERT_TRUE(r.ok()) << r.error().message;
  post("/sim/k3cloud/_faults", {{"mode", "msgcode"}, {"msg_code", 1}, {"count", 1}, {"services", {"View"}}});
  auto more = src->poll("", 100);
  ASSERT_TRUE(more.ok()) << more.error().message;
  EXPECT_EQ(r->records.size(), 6u);
  EXPECT_EQ(keys(more->records), keys(r->records));
  EXPECT_EQ(logins() - logins_before, 2);
  EXPECT_EQ(src->client().loginCount(), 3);
}

TEST_F(K3PullTest, ServerErrorMidPullFailsThePollAndKeepsTheWatermark) {
  json docs = json::array();
  for (int i = 1; i <= 6; ++i) docs.push_back(receipt(no(i), "2026-11-20 10:00:0" + std::to_string(i)));
  addReceipts(docs);
  auto src = makeSource(receiptSettings({{"page_size", 2}}));
  ASSERT_NE(src, nullptr);
  auto first = src->poll("", 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->records.size(), 2u);
  std::string stored = first->watermark;
  std::vector<std::string> got = keys(first->records);

  // A 503 on a page query, then one on a View after the pages were read: each fails the poll
  // as a transient error with nothing returned, so the runtime keeps the stored watermark.
  post("/sim/k3cloud/_faults", {{"mode", "status"}, {"status", 503}, {"count", 1}, {"services", {"ExecuteBillQuery"}}});
  auto failed = src->poll(stored, 2);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().klass, ErrorClass::kTransient) << failed.error().message;
  post("/sim/k3cloud/_faults", {{"mode", "status"}, {"status", 502}, {"count", 1}, {"services", {"View"}}});
  auto failed_view = src->poll(stored, 2);
  ASSERT_FALSE(failed_view.ok());
  EXPECT_EQ(failed_view.error().klass, ErrorClass::kTransient) << failed_view.error().message;

  // The next fire from the same watermark: the rest, each once.
  auto rest = drain(*src, stored, 2);
  for (auto& k : keys(rest.records)) got.push_back(k);
  EXPECT_EQ(got, (std::vector<std::string>{no(1), no(2), no(3), no(4), no(5), no(6)}));
}

TEST_F(K3PullTest, K3ErrorsComeBackWithK3sOwnMessage) {
  auto src = makeSource(receiptSettings({{"filter", "FNoSuchField = 1"}}));
  ASSERT_NE(src, nullptr);
  auto r = src->poll("", 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().klass, ErrorClass::kPermanent);
  EXPECT_NE(r.error().message.find("元数据中标识为FNoSuchField的字段不存在"), std::string::npos)
      << r.error().message;
  // A watermark of another form is refused, saying how to start over.
  auto other = src->poll(R"({"v":1,"form":"BD_Customer","newest":"","seen":{}})", 10);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("reset the route's watermark"), std::string::npos);
}

TEST_F(K3PullTest, RowsShapeGivesTheQueryRowAndRefusesEntryFields) {
  addReceipts(json::array({receipt(no(1), "2026-11-20 10:00:01", {100, 50}),
                           receipt(no(2), "2026-11-20 10:00:02")}));
  auto src = makeSource(receiptSettings(
      {{"shape", "rows"}, {"field_keys", {"FBillNo", "FREALRECAMOUNTFOR", "FCONTACTUNIT.FNumber"}}}));
  ASSERT_NE(src, nullptr);
  auto r = src->poll("", 10);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(json::parse(r->records[0].payload),
            json({{"FBillNo", no(1)}, {"FREALRECAMOUNTFOR", 150}, {"FCONTACTUNIT.FNumber", "C100001"}}));
  // An entry field makes one row per entry line: refused, saying what to do instead.
  auto entries = makeSource(receiptSettings(
      {{"shape", "rows"}, {"field_keys", {"FBillNo", "FRECEIVEBILLENTRY_FEntryID"}}}));
  auto bad = entries->poll("", 10);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().klass, ErrorClass::kPermanent);
  EXPECT_NE(bad.error().message.find("shape: model"), std::string::npos) << bad.error().message;
}

// Issue 5's K/3 → CRM direction: BD_Customer pulled as a Save body, a customer forbidden in
// K/3 (ExcuteOperation Forbid) comes again with FForbidStatus B and reverse-maps to a
// forbidden CRM customer.
TEST_F(K3PullTest, CustomersForbiddenInK3ArePulledAgainAndReverseMap) {
  json s = settings();
  s["pull"] = {{"form_id", "BD_Customer"}, {"entity", "customer"}, {"envelope", "save"}, {"page_size", 2}};
  auto src = makeSource(s, "k3_customers");
  ASSERT_NE(src, nullptr);
  auto first = drain(*src, "", 100);
  ASSERT_EQ(first.records.size(), 3u);  // the seeded tenant's customers
  json data = {{"Numbers", {"C100001"}}, {"Ids", ""}};
  auto forbid = src->client().call(std::string(k3::service::kForm) + "ExcuteOperation",
                                   {{"formid", "BD_Customer"}, {"opNumber", "Forbid"}, {"data", data}},
                                   {{"parameters", {"BD_Customer", "Forbid", data.dump()}}},
                                   k3::Replay::kSafe, "K/3 Forbid BD_Customer");
  ASSERT_TRUE(forbid.ok()) << forbid.error().message;
  ASSERT_TRUE(k3::parseOpReply(*forbid, "forbid").ok()) << forbid->dump();

  auto second = drain(*src, first.watermark, 100);
  ASSERT_EQ(second.records.size(), 1u);
  const Record& rec = second.records[0];
  EXPECT_EQ(rec.business_key, "C100001");
  EXPECT_EQ(rec.entity, "customer");
  json body = json::parse(rec.payload);
  EXPECT_EQ(body["formid"], "BD_Customer");
  const json& model = body["data"]["Model"];
  EXPECT_EQ(model["FForbidStatus"], "B");
  EXPECT_EQ(model["FName"], "苏州华东精密机械有限公司");
  EXPECT_TRUE(model["FCUSTID"].is_number());

  auto plan = qiao::mapping::loadMapping(tk::sourcePath("mappings/standard/crm_customer_to_k3_customer.yaml"));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  qiao::mapping::Document in, out;
  ASSERT_TRUE(qiao::mapping::parseJson(rec.payload, in).ok());
  qiao::mapping::FieldErrors errors;
  auto st = qiao::mapping::apply(**plan, in.root(), out, qiao::mapping::Direction::kReverse, &errors);
  ASSERT_TRUE(st.ok()) << st.error().message;
  json customer = json::parse(qiao::mapping::toJson(out.root()));
  EXPECT_EQ(customer["status"], "forbidden") << customer.dump();
  EXPECT_EQ(customer["customerCode"], "C100001");
  EXPECT_EQ(customer["name"], "苏州华东精密机械有限公司");
  EXPECT_EQ(customer["taxRegisterCode"], "91320594MA1X2Y3Z4K");
}

// ---- the payloads through the standard mapping ---------------------------------------------

qiao::Decimal dec(const json& v) {
  EXPECT_TRUE(v.is_string()) << v.dump();
  auto d = qiao::Decimal::parse(v.is_string() ? v.get<std::string>() : "x");
  EXPECT_TRUE(d.ok()) << v.dump();
  return d.ok() ? *d : qiao::Decimal();
}

// A payment as docs/crm-model.md defines it: required fields, ISO date and currency, a known
// purpose, and allocations that add up to the amount exactly.
void expectValidPayment(const json& p, const std::string& bill_no) {
  SCOPED_TRACE(bill_no);
  EXPECT_EQ(p["paymentId"], bill_no);
  EXPECT_EQ(p["receiptNo"], bill_no);
  EXPECT_EQ(p["source"], "k3cloud");
  EXPECT_TRUE(std::regex_match(p.value("date", ""), std::regex(R"(\d{4}-\d{2}-\d{2})"))) << p.dump();
  EXPECT_EQ(p["currency"], "CNY");
  EXPECT_EQ(p["customerCode"], "C100001");
  EXPECT_TRUE(p["purpose"] == "sales" || p["purpose"] == "advance") << p.dump();
  qiao::Decimal amount = dec(p["amount"]);
  EXPECT_FALSE(amount.isZero());
  ASSERT_TRUE(p["allocations"].is_array() && !p["allocations"].empty()) << p.dump();
  qiao::Decimal sum;
  for (const auto& a : p["allocations"]) {
    EXPECT_FALSE(a.value("entryId", "").empty()) << a.dump();
    sum = sum.checkedAdd(dec(a["amount"])).value();
  }
  EXPECT_EQ(qiao::Decimal::compare(sum, amount), 0) << p.dump();
}

TEST_F(K3PullTest, PayloadsMapIntoPaymentsIncludingRedAndMultiEntryReceipts) {
  json red = receipt("SKD-RED", "2026-11-20 10:00:03", {-1200.5});
  red["FREMARK"] = "冲销 SKD-ONE 多收部分";
  addReceipts(json::array({receipt("SKD-ONE", "2026-11-20 10:00:01", {2610.3}),
                           receipt("SKD-MULTI", "2026-11-20 10:00:02", {8000, 5000, 2000}),
                           red,
                           receipt("SKD-ADV", "2026-11-20 10:00:04", {30000}, "SFKYT02_SYS")}));
  auto src = makeSource(receiptSettings());
  ASSERT_NE(src, nullptr);
  auto pulled = drain(*src, "", 100);
  ASSERT_EQ(pulled.records.size(), 4u);

  auto plan = qiao::mapping::loadMapping(
      tk::sourcePath("mappings/standard/k3_receivebill_to_crm_payment.yaml"));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  std::map<std::string, json> payments;
  for (const auto& rec : pulled.records) {
    qiao::mapping::Document in, out;
    ASSERT_TRUE(qiao::mapping::parseJson(rec.payload, in).ok()) << rec.payload;
    qiao::mapping::FieldErrors errors;
    auto st = qiao::mapping::apply(**plan, in.root(), out, qiao::mapping::Direction::kForward, &errors);
    ASSERT_TRUE(st.ok()) << rec.business_key << ": " << st.error().message << "\n" << rec.payload;
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(qiao::mapping::businessKey(**plan, in.root()), rec.business_key);
    payments[rec.business_key] = json::parse(qiao::mapping::toJson(out.root()));
  }
  for (const auto& [k, p] : payments) expectValidPayment(p, k);

  const json& one = payments["SKD-ONE"];
  EXPECT_EQ(dec(one["amount"]).toString(), "2610.3");
  EXPECT_EQ(one["fee"], "5");
  EXPECT_EQ(one["date"], "2026-11-27");
  EXPECT_EQ(one["payerName"], "苏州华东精密机械有限公司");
  EXPECT_EQ(one["orderRefs"], json::array({"SO-SKD-ONE-0"}));

  const json& multi = payments["SKD-MULTI"];
  ASSERT_EQ(multi["allocations"].size(), 3u);
  EXPECT_EQ(multi["orderRefs"].size(), 3u);
  EXPECT_FALSE(multi.contains("fee"));  // per entry only, for a multi-entry bill
  std::set<std::string> entry_ids;
  for (const auto& a : multi["allocations"]) entry_ids.insert(a["entryId"].get<std::string>());
  EXPECT_EQ(entry_ids.size(), 3u);

  const json& red_p = payments["SKD-RED"];
  EXPECT_EQ(dec(red_p["amount"]).signum(), -1);
  EXPECT_EQ(dec(red_p["amount"]).toString(), "-1200.5");
  EXPECT_NE(red_p.value("remark", "").find("冲销"), std::string::npos);

  EXPECT_EQ(payments["SKD-ADV"]["purpose"], "advance");
  EXPECT_EQ(payments["SKD-ONE"]["purpose"], "sales");
}

}  // namespace
}  // namespace k3test
