// Customer sync end to end (issue 5): `qiao run` with `sync:`, qiao-sim's CRM (customers API,
// change webhooks) and K/3 (BD_Customer Save, ExecuteBillQuery + View pull) on 127.0.0.1.
//   CrmChangeKeepsUntouchedK3Fields  — CRM webhook → K/3 update with NeedUpDateFields
//   FirstSyncFindsDuplicatesForReview — Chinese company-name variants → review list → resolve
//   ConvergesUnderConcurrentEdits    — 500 customers, edits on both sides, several cycles
//   KillDuringPullResumes            — SIGKILL while the K/3 pull runs → nothing missed or doubled
#include <signal.h>

#include <map>
#include <random>
#include <set>

#include "sync_flow.h"

namespace qiao::e2e {
namespace {

constexpr const char* kHookSecret = "sync-e2e-hook-secret";
const std::vector<std::string> kFields = {"name", "shortName", "taxRegisterCode", "phone", "address"};

class SyncFlowTest : public SyncGatewayTest {
 protected:
  void writeSyncConfig(const std::string& pull_cron = "*/2 * * * * *", int page_size = 500,
                       const std::string& first_sync = "skip", const std::string& crm_pull_cron = "") {
    SyncConfig c;
    c.first_sync = first_sync;
    c.crm_pull_cron = crm_pull_cron;
    c.hook_secret = kHookSecret;
    c.pull_cron = pull_cron;
    c.page_size = page_size;
    c.workers = 128;
    c.max_body_bytes = 33554432;  // first sync posts whole lists
    c.concurrency = 4;
    c.retry_attempts = 8;
    c.retry_max_backoff_ms = 500;
    c.batch_window = "2500ms";  // longer than the pull period: both sides' edits meet
    c.batch_max = 100;
    writeSyncGatewayConfig(c);
  }

  void subscribeWebhooks() {
    auto r = subscribeCrmWebhooks(kHookSecret);
    ASSERT_EQ(r.status, 201) << r.body;
    // Keep retrying while the gateway is down (kill tests), up to ~25 s.
    r = sim("POST", "/sim/crm/_config", R"({"webhook_attempts":8,"webhook_backoff_ms":200})");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  json crmAll() { return json::parse(sim("GET", "/sim/crm/_customers").body, nullptr, false); }
  void k3UserEdit(const json& rows) {  // as a K/3 user: updates by FNumber, bumps FModifyDate
    auto r = sim("POST", "/sim/k3cloud/_basedata/BD_Customer", rows.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::string debugState() {
    return "dead letters: " + api("GET", "/api/v1/dead-letters").body + "\nopen writes: " +
           api("GET", "/api/v1/sync/writes?limit=20").body + "\nreview: " + api("GET", "/api/v1/sync/review").body;
  }
  json k3Stats() { return json::parse(sim("GET", "/sim/k3cloud/_stats").body, nullptr, false); }
  json crmStats() { return json::parse(sim("GET", "/sim/crm/_stats").body, nullptr, false); }
  int64_t k3Saves() { return k3Stats()["calls"].value("Save", int64_t{0}); }
  int64_t crmQiaoEffects() { return crmStats()["by_actor"].value("qiao", json::object()).value("effects", int64_t{0}); }

  // Quiet: no open write, and two pulls since, and the counters stopped moving.
  void waitQuiet(int timeout_ms = 60000) {
    int64_t last_saves = -1, last_crm = -1;
    int stable = 0;
    bool ok = testkit::waitFor([&] {
      int64_t open = openWrites(), saves = k3Saves(), effects = crmQiaoEffects();
      if (open == 0 && saves == last_saves && effects == last_crm) ++stable;
      else stable = 0;
      last_saves = saves;
      last_crm = effects;
      return stable >= 5;  // 5 × 1 s: two pulls of the 2 s schedule saw nothing new
    }, timeout_ms, 1000);
    ASSERT_TRUE(ok) << "sync did not settle: open writes " << openWrites() << "\n" << debugState();
  }

  // CRM customer (canonical) vs K/3 document (field keys), over the synced fields.
  static std::map<std::string, std::string> crmFields(const json& c) {
    std::map<std::string, std::string> f;
    for (const auto& k : kFields) f[k] = c.contains(k) && c[k].is_string() ? c[k].get<std::string>() : "";
    return f;
  }
  static std::map<std::string, std::string> k3Fields(const json& d) {
    auto s = [&](const char* k) { return d.contains(k) && d[k].is_string() ? d[k].get<std::string>() : std::string(); };
    std::string tax = s("FSOCIALCRECODE").empty() ? s("FTAXREGISTERCODE") : s("FSOCIALCRECODE");
    return {{"name", s("FName")}, {"shortName", s("FShortName")}, {"taxRegisterCode", tax},
            {"phone", s("FTEL")}, {"address", s("FADDRESS")}};
  }
};

std::string sevenDigits(std::mt19937_64& rng) { return std::to_string(1000000 + rng() % 9000000); }

// The CRM's webhooks are not subscribed (or lost): its customers are pulled too, so an edit
// and a new customer still reach K/3 — once, with no echo of the gateway's own CRM writes.
TEST_F(SyncFlowTest, CrmPullCatchesWhatNoWebhookTold) {
  ASSERT_EQ(sim("POST", "/sim/k3cloud/_customers/seed", R"({"count":5,"seed":11,"overlap_with_crm":0})").status, 200);
  writeSyncConfig("*/2 * * * * *", 500, "skip", "*/2 * * * * *");
  startGateway();  // no subscribeWebhooks(): the pull is all the gateway hears from the CRM
  size_t n = 0;
  for (const json& d : k3All()) n += d.value("FForbidStatus", "A") == "A";
  ASSERT_TRUE(testkit::waitFor([&] { return crmAll().size() == n; }, 30000))
      << crmAll().size() << " of " << n << "\n" << debugState();
  waitQuiet();
  auto pairs = links();
  ASSERT_EQ(pairs.size(), n) << "the pulled-back CRM creates are echoes, not new customers: " << syncApi("links").dump(1);
  const std::string crm_id = pairs[1].first, k3_id = pairs[1].second;
  const int64_t saves_before = k3Saves(), creates_before = static_cast<int64_t>(k3All().size());

  auto put = crm("PUT", "customers/" + crm_id, R"({"phone":"0756-22113344"})");
  ASSERT_EQ(put.status, 200) << put.body;
  json fresh = {{"name", "珠海香洲新材料有限公司"}, {"phone", "0756-2211000"}, {"taxRegisterCode", "91440400MA4UJ0R01X"}};
  auto post = crm("POST", "customers", fresh.dump());
  ASSERT_EQ(post.status, 201) << post.body;
  ASSERT_TRUE(testkit::waitFor([&] { return k3Customer(k3_id).value("FTEL", "") == "0756-22113344"; }, 20000))
      << k3Customer(k3_id).dump(1) << "\n" << debugState();
  ASSERT_TRUE(testkit::waitFor([&] { return static_cast<int64_t>(k3All().size()) == creates_before + 1; }, 20000))
      << debugState();
  waitQuiet();
  EXPECT_EQ(k3Saves() - saves_before, 2) << "one update, one create: " << k3Stats().dump();
  EXPECT_EQ(static_cast<int64_t>(k3All().size()), creates_before + 1);
  EXPECT_EQ(links().size(), n + 1);
}

// (c) A CRM change reaches K/3 as an update naming only the changed field keys: what a K/3
// user changed meanwhile in another field survives, and flows back to the CRM afterwards.
TEST_F(SyncFlowTest, CrmChangeKeepsUntouchedK3Fields) {
  ASSERT_EQ(sim("POST", "/sim/k3cloud/_customers/seed", R"({"count":5,"seed":7,"overlap_with_crm":0})").status, 200);
  writeSyncConfig();
  subscribeWebhooks();
  startGateway();
  // The first pull creates the K/3 customers (5 seeded + the sim's own) in the CRM; a
  // forbidden one that was never synced goes to the review list instead.
  size_t n = 0;
  for (const json& d : k3All()) n += d.value("FForbidStatus", "A") == "A";
  ASSERT_GE(n, 5u);
  ASSERT_TRUE(testkit::waitFor([&] { return crmAll().size() == n; }, 30000))
      << crmAll().size() << " of " << n << "\n" << debugState();
  waitQuiet();
  auto pairs = links();
  ASSERT_EQ(pairs.size(), n) << syncApi("links").dump(1);
  EXPECT_EQ(syncApi("review")["total"], k3All().size() - n) << "the forbidden customer is reviewed, not created";
  // Plain names, not a structured binding: the lambdas below capture them (clang 14).
  const std::string crm_id = pairs[2].first, k3_id = pairs[2].second;
  json before = k3Customer(k3_id);
  ASSERT_TRUE(before.is_object()) << k3_id;
  int64_t saves_before = k3Saves();

  // K/3 user changes the address; before the gateway pulls it, a CRM user changes the phone.
  ASSERT_EQ(sim("POST", "/sim/k3cloud/_clock", R"({"now":"2030-01-01 10:00:00"})").status, 200);
  k3UserEdit(json::array({{{"FNumber", before["FNumber"]}, {"FADDRESS", "苏州工业园区星湖街328号2幢"}}}));
  ASSERT_EQ(sim("POST", "/sim/k3cloud/_clock", R"({"now":null})").status, 200);
  auto put = crm("PUT", "customers/" + crm_id, R"({"phone":"0512-62580000"})");
  ASSERT_EQ(put.status, 200) << put.body;

  ASSERT_TRUE(testkit::waitFor([&] { return k3Customer(k3_id).value("FTEL", "") == "0512-62580000"; }, 20000))
      << k3Customer(k3_id).dump(1) << gatewayLog();
  waitQuiet();
  json after = k3Customer(k3_id);
  EXPECT_EQ(after.value("FADDRESS", ""), "苏州工业园区星湖街328号2幢") << "the K/3 user's address was overwritten";
  // Fields the sync never names are the K/3 user's: contacts, bank rows, salesman, zip.
  for (const char* k : {"FZIP", "FFAX", "FT_BD_CUSTCONTACT", "FT_BD_CUSTBANK", "FSELLER", "FNumber"})
    EXPECT_EQ(after.value(k, json()), before.value(k, json())) << k;
  EXPECT_EQ(after.value("FDocumentStatus", ""), "C") << "the update is audited again";
  // ...and the address made it to the CRM; nothing ping-pongs (one Save for the phone, one
  // CRM write for the address).
  json crm_after = json::parse(crm("GET", "customers/" + crm_id).body, nullptr, false);
  EXPECT_EQ(crm_after.value("address", ""), "苏州工业园区星湖街328号2幢");
  EXPECT_EQ(crm_after.value("phone", ""), "0512-62580000");
  EXPECT_EQ(k3Saves() - saves_before, 1) << k3Stats().dump();

  // A CRM user clears the phone: cleared in K/3 too (FTEL "" named in NeedUpDateFields), and
  // the K/3 pull that follows does not bring the old number back into the CRM.
  auto clear = crm("PUT", "customers/" + crm_id, R"({"phone":""})");
  ASSERT_EQ(clear.status, 200) << clear.body;
  ASSERT_TRUE(testkit::waitFor([&] { return k3Customer(k3_id).value("FTEL", "?").empty(); }, 20000))
      << k3Customer(k3_id).dump(1) << gatewayLog();
  waitQuiet();
  crm_after = json::parse(crm("GET", "customers/" + crm_id).body, nullptr, false);
  EXPECT_EQ(crm_after.value("phone", ""), "") << crm_after.dump();
  EXPECT_EQ(k3Customer(k3_id).value("FADDRESS", ""), "苏州工业园区星湖街328号2幢");
  EXPECT_EQ(k3Saves() - saves_before, 2) << k3Stats().dump();
}

// (d) First sync matches the customers both systems hold by tax code or normalised name +
// phone; ambiguous candidates go to the review list (API) instead of becoming duplicates.
TEST_F(SyncFlowTest, FirstSyncFindsDuplicatesForReview) {
  json crm_rows = json::array({
      // same company, name written differently, same phone: pairs by name + phone
      {{"customerId", "C1"}, {"name", "苏州华东精密机械有限公司"}, {"phone", "0512-62588888"}},
      // full-width brackets and 有限责任公司 vs (苏州) and 有限公司: pairs too
      {{"customerId", "C2"}, {"name", "（苏州）恒润精工有限责任公司"}, {"phone", "0512 6666 1234"}},
      // two CRM customers for one K/3 customer: ambiguous → review
      {{"customerId", "C3"}, {"name", "无锡正城铸造股份有限公司"}, {"phone", "0510-88990011"}},
      {{"customerId", "C4"}, {"name", "无锡正城铸造有限公司"}, {"phone", "0510 8899 0011"}},
      // CRM only: created in K/3
      {{"customerId", "C5"}, {"name", "杭州西溪数码科技有限公司"}, {"phone", "0571-88001122"}}});
  ASSERT_EQ(sim("POST", "/sim/crm/_customers/bulk", crm_rows.dump()).status, 200);
  json k3_rows = json::array({
      {{"FNumber", "K001"}, {"FName", "苏州华东精密机械有限责任公司"}, {"FTEL", "051262588888"}, {"FADDRESS", "苏州工业园区"}},
      {{"FNumber", "K002"}, {"FName", "(苏州)恒润精工有限公司"}, {"FTEL", "0512-66661234"}},
      {{"FNumber", "K003"}, {"FName", "无锡正城铸造有限公司"}, {"FTEL", "0510-88990011"}},
      // K/3 only, name alike but another city: not a match
      {{"FNumber", "K004"}, {"FName", "常州华东精密机械有限公司"}, {"FTEL", "0519-12345678"}}});
  // The K/3 sim starts with a few customers of its own (one forbidden): unmatched, so created
  // in the CRM (the forbidden one goes to the review list).
  size_t k3_defaults = 0, k3_active_defaults = 0;
  for (const json& d : k3All()) {
    ++k3_defaults;
    k3_active_defaults += d.value("FForbidStatus", "A") == "A";
  }
  k3UserEdit(k3_rows);
  writeSyncConfig("0 0 0 1 1 *", 500, "required");  // no pull during this test: first sync only
  subscribeWebhooks();
  startGateway();

  // A CRM user edits C5 before anyone ran the first sync: it waits on the review list instead
  // of being created in K/3 (it might be there under another id).
  ASSERT_EQ(crm("PUT", "customers/C5", R"({"address":"杭州西湖区文三路90号"})").status, 200);
  ASSERT_TRUE(testkit::waitFor([&] { return syncApi("review").value("total", int64_t{0}) == 1; }, 20000))
      << syncApi("review").dump(1) << gatewayLog();
  EXPECT_NE(syncApi("review")["items"][0].value("reason", "").find("waiting for the first sync"), std::string::npos);
  EXPECT_EQ(syncApi("links").value("total", int64_t{-1}), 0);

  json crm_list = crmAll(), k3_list = json::array();
  for (const json& d : k3All()) k3_list.push_back({{"formid", "BD_Customer"}, {"data", {{"Model", d}}}});
  // A record without its id refuses the whole first sync, naming it; nothing is linked.
  json bad_k3 = k3_list;
  bad_k3[1]["data"]["Model"].erase("FCUSTID");
  auto bad = api("POST", "/api/v1/sync/first-sync", json{{"crm", crm_list}, {"k3cloud", bad_k3}}.dump());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("k3cloud[1]: k3cloud customer: no id at /data/Model/FCUSTID"), std::string::npos) << bad.body;
  EXPECT_EQ(syncApi("links").value("total", int64_t{-1}), 0);
  auto r = api("POST", "/api/v1/sync/first-sync", json{{"crm", crm_list}, {"k3cloud", k3_list}}.dump());
  ASSERT_EQ(r.status, 200) << r.body << gatewayLog();
  json fs = json::parse(r.body);
  EXPECT_EQ(fs["pairs"], 2) << fs.dump();
  EXPECT_EQ(fs["reviewGroups"], 1) << fs.dump();
  EXPECT_EQ(fs["unmatched"]["crm"], 1) << fs.dump();
  EXPECT_EQ(fs["unmatched"]["k3cloud"], 1 + k3_defaults) << fs.dump();
  EXPECT_EQ(fs["waitingResolved"], 1) << fs.dump();
  // Running it twice is refused: links exist.
  EXPECT_EQ(api("POST", "/api/v1/sync/first-sync", json{{"crm", crm_list}, {"k3cloud", k3_list}}.dump()).status, 409);

  json review = syncApi("review");
  json item;
  for (const json& i : review["items"])
    if (i["kind"] == "first_sync") {
      EXPECT_TRUE(item.is_null()) << "one review group only: " << review.dump(1);
      item = i;
    }
  ASSERT_TRUE(item.is_object()) << review.dump(1);
  std::set<std::string> members;
  for (const auto& m : item["members"]) members.insert(m["side"].get<std::string>() + ":" + m["id"].get<std::string>());
  std::string k3_id;
  for (const auto& m : item["members"])
    if (m["side"] == "k3cloud") k3_id = m["id"];
  EXPECT_TRUE(members.count("crm:C3") && members.count("crm:C4")) << item.dump(1);
  ASSERT_FALSE(k3_id.empty());

  // The held customers are neither created nor linked until someone decides.
  waitQuiet();
  auto names = [&](const json& list, const char* key) {
    std::multiset<std::string> out;
    for (const auto& c : list) out.insert(c.value(key, ""));
    return out;
  };
  EXPECT_EQ(names(k3All(), "FName").count("无锡正城铸造股份有限公司"), 0u);
  EXPECT_EQ(names(k3All(), "FName").count("杭州西溪数码科技有限公司"), 1u) << "the CRM-only customer is created in K/3";
  EXPECT_EQ(names(crmAll(), "name").count("常州华东精密机械有限公司"), 1u) << "the K/3-only customer is created in the CRM";
  // The pair's fields one side lacks were filled in: the CRM got K/3's address.
  EXPECT_EQ(json::parse(crm("GET", "customers/C1").body).value("address", ""), "苏州工业园区");

  // Resolve: C4 and the K/3 customer are the same; C3 is another customer (created in K/3).
  const std::string path = "/api/v1/sync/review/" + std::to_string(item["id"].get<int64_t>());
  EXPECT_EQ(api("POST", path, R"({"pair":{"crm":"C9","k3cloud":")" + k3_id + "\"}}").status, 400);
  auto res = api("POST", path, json{{"pair", {{"crm", "C4"}, {"k3cloud", k3_id}}}}.dump());
  ASSERT_EQ(res.status, 200) << res.body;
  const json open_reviews = syncApi("review");  // kept: a range-for over a temporary's member dangles
  for (const json& i : open_reviews["items"]) EXPECT_NE(i["kind"], "first_sync") << i.dump();
  const json resolved = syncApi("review?status=resolved");
  std::map<std::string, std::string> resolved_by;  // kind -> who
  for (const json& i : resolved["items"]) resolved_by[i.value("kind", "")] = i.value("resolvedBy", "");
  EXPECT_NE(resolved_by["first_sync"], "") << "resolvedBy names the key: " << resolved.dump(1);
  EXPECT_NE(resolved_by["first_sync"], "first sync") << resolved.dump(1);
  EXPECT_EQ(resolved_by["change"], "first sync") << "C5's wait closed by the first sync: " << resolved.dump(1);
  json link = syncApi("links?side=crm&id=C4");
  ASSERT_EQ(link["total"], 1) << link.dump();
  EXPECT_EQ(link["items"][0]["sides"]["k3cloud"]["id"], k3_id);
  waitQuiet();
  EXPECT_EQ(names(k3All(), "FName").count("无锡正城铸造股份有限公司"), 1u) << "C3 was released and created";
  EXPECT_EQ(names(k3All(), "FName").count("无锡正城铸造有限公司"), 1u) << "no duplicate of C4";
  EXPECT_EQ(k3All().size(), k3_defaults + 4 + 2) << "C5 and C3 created, nothing else";
  EXPECT_EQ(crmAll().size(), 5 + 1 + k3_active_defaults) << "K004 and the sim's active customers created";
  // An operator-only endpoint: an ingest key is refused.
  EXPECT_EQ(api("GET", "/api/v1/sync/conflicts", "", "not-a-key").status, 401);
}

// (a) 500 customers; several cycles of concurrent edits on both sides (the same customers'
// phone on both sides in some: conflicts), new customers in the CRM. Both systems end equal
// over the synced fields, every conflict is listed, and the writes stay within the edits
// made (no ping-pong: an echo of the gateway's own write never goes back).
TEST_F(SyncFlowTest, ConvergesUnderConcurrentEdits) {
  ASSERT_EQ(sim("POST", "/sim/k3cloud/_customers/seed", R"({"count":500,"seed":11,"overlap_with_crm":0})").status, 200);
  writeSyncConfig();
  subscribeWebhooks();
  startGateway();
  size_t active = 0;
  for (const json& d : k3All()) active += d.value("FForbidStatus", "A") == "A";
  ASSERT_GE(active, 500u);
  ASSERT_TRUE(testkit::waitFor([&] { return crmAll().size() == active; }, 120000))
      << crmAll().size() << " of " << active << "\n" << debugState();
  waitQuiet();
  ASSERT_EQ(links().size(), active);
  const int64_t saves0 = k3Saves(), crm0 = crmQiaoEffects();

  std::mt19937_64 rng(20261127);
  int edits = 0, creates = 0, both_sides = 0;
  for (int round = 0; round < 3; ++round) {
    auto pairs = links();
    std::shuffle(pairs.begin(), pairs.end(), rng);
    std::map<std::string, std::string> number_of;  // K/3 id -> FNumber
    for (const json& d : k3All()) number_of[std::to_string(d.value("FCUSTID", int64_t{0}))] = d.value("FNumber", "");
    // Users edit both sides at about the same time (K/3 first, then the CRM): the webhooks
    // open a batch window longer than the pull period, so the next pull's records are planned
    // with them and the phones changed on both sides (customers 0..9) are conflicts.
    json k3_edits = json::array();
    for (int i = 0; i < 40; ++i) {  // K/3 users: customers 0..39
      const auto& [crm_id, k3_id] = pairs[static_cast<size_t>(i)];
      json row = {{"FNumber", number_of[k3_id]}};
      if (i < 10 || i % 2 == 0) row["FTEL"] = "0512-6" + sevenDigits(rng);
      else row["FADDRESS"] = "K3 地址 " + std::to_string(round) + "-" + std::to_string(i);
      k3_edits.push_back(row);
      ++edits;
    }
    k3UserEdit(k3_edits);
    for (int i = 0; i < 30; ++i) {  // CRM users: customers 0..9 and 40..59
      size_t at = i < 10 ? static_cast<size_t>(i) : static_cast<size_t>(30 + i);
      const auto& [crm_id, k3_id] = pairs[at];
      json body = i < 10 || i % 2 ? json{{"phone", "138" + sevenDigits(rng) + "0"}}
                                  : json{{"address", "CRM 地址 " + std::to_string(round) + "-" + std::to_string(i)}};
      auto r = crm("PUT", "customers/" + crm_id, body.dump());
      ASSERT_EQ(r.status, 200) << r.body;
      ++edits;
      both_sides += i < 10;
    }
    for (int i = 0; i < 5; ++i) {
      auto r = crm("POST", "customers",
                   json{{"name", "新建客户" + std::to_string(round) + "-" + std::to_string(i) + "有限公司"},
                        {"phone", "0571-8" + sevenDigits(rng)}, {"address", "杭州"}}.dump());
      ASSERT_EQ(r.status, 201) << r.body;
      ++creates;
    }
    waitQuiet(120000);
  }

  // Equal on both sides, through the sims' own data.
  std::map<std::string, json> crm_by_id, k3_by_id;
  for (const json& c : crmAll()) crm_by_id[c.value("customerId", "")] = c;
  for (const json& d : k3All()) k3_by_id[std::to_string(d.value("FCUSTID", int64_t{0}))] = d;
  auto pairs = links();
  EXPECT_EQ(pairs.size(), active + static_cast<size_t>(creates));
  EXPECT_EQ(crm_by_id.size(), active + static_cast<size_t>(creates)) << "no duplicates in the CRM";
  int differ = 0;
  for (const auto& [crm_id, k3_id] : pairs) {
    ASSERT_TRUE(crm_by_id.count(crm_id) && k3_by_id.count(k3_id)) << crm_id << " / " << k3_id;
    auto a = crmFields(crm_by_id[crm_id]), b = k3Fields(k3_by_id[k3_id]);
    if (a != b && ++differ <= 5)
      ADD_FAILURE() << "differ: crm " << crm_id << " " << crm_by_id[crm_id].dump() << "\n k3 " << k3_id << " "
                    << k3_by_id[k3_id].dump();
  }
  EXPECT_EQ(differ, 0);
  // Bounded writes: each user edit causes at most one write on the other side, each new
  // customer one create; echoes of our own writes cause none.
  const int64_t writes = (k3Saves() - saves0) + (crmQiaoEffects() - crm0);
  std::cerr << "edits " << edits << " creates " << creates << " writes " << writes << " (K/3 Save "
            << k3Saves() - saves0 << ", CRM " << crmQiaoEffects() - crm0 << ")\n";
  EXPECT_LE(writes, edits + creates);
  EXPECT_GE(writes, edits - both_sides + creates) << "every one-sided edit reached the other side";
  // The phones changed on both sides are conflicts: the webhooks open a batch window longer
  // than the pull period, so the pulled K/3 changes are planned with the CRM's.
  json conflicts = syncApi("conflicts?limit=1000");
  std::cerr << "conflicts " << conflicts["total"] << " of " << both_sides << " edited on both sides\n";
  EXPECT_EQ(conflicts["total"].get<int>(), both_sides) << conflicts.dump(1);
  for (const json& c : conflicts["items"]) {
    EXPECT_EQ(c["values"].size(), 2u) << c.dump();
    EXPECT_TRUE(c["winner"].is_object()) << c.dump();
  }
}

// (b) SIGKILL while the K/3 pull is under way: the restart resumes from the committed
// watermark; every K/3 customer ends up in the CRM exactly once and nothing goes back.
TEST_F(SyncFlowTest, KillDuringPullResumes) {
  ASSERT_EQ(sim("POST", "/sim/k3cloud/_customers/seed", R"({"count":1500,"seed":5,"overlap_with_crm":0})").status, 200);
  writeSyncConfig("*/2 * * * * *", 100);
  subscribeWebhooks();
  ASSERT_EQ(sim("POST", "/sim/k3cloud/_config", R"({"latency_ms":4})").status, 200);
  startGateway();
  std::multiset<std::string> k3_names;
  for (const json& d : k3All())
    if (d.value("FForbidStatus", "A") == "A") k3_names.insert(d.value("FName", ""));
  const size_t active = k3_names.size();
  // K/3 answers slowly, so the pull (rounds of 500 records, each committed with its watermark
  // before the next is read) is still reading when the first round reaches the CRM.
  auto views = [&] { return k3Stats()["calls"].value("View", int64_t{0}); };
  ASSERT_TRUE(testkit::waitFor([&] { return crmAll().size() >= 50; }, 60000)) << debugState();
  const int64_t views_at_kill = views();
  stopGateway(SIGKILL);
  ASSERT_LT(views_at_kill, static_cast<int64_t>(active)) << "the pull had finished before the kill";
  ASSERT_EQ(sim("POST", "/sim/k3cloud/_config", R"({"latency_ms":0})").status, 200);
  const size_t at_kill = crmAll().size();
  startGateway();
  ASSERT_TRUE(testkit::waitFor([&] { return crmAll().size() >= active; }, 180000))
      << crmAll().size() << " of " << active << "\n" << debugState();
  waitQuiet(120000);
  std::multiset<std::string> crm_names;
  for (const json& c : crmAll()) crm_names.insert(c.value("name", ""));
  EXPECT_EQ(crm_names, k3_names) << "every K/3 customer exactly once in the CRM";
  EXPECT_EQ(links().size(), active);
  EXPECT_EQ(k3Saves(), 0) << "nothing was written back to K/3 (creates in the CRM are echoes)";
  json stats = crmStats();
  EXPECT_EQ(stats["writes"].value("customers", int64_t{-1}), static_cast<int64_t>(active)) << stats.dump();
  std::cerr << "killed after " << views_at_kill << " K/3 Views with " << at_kill << " of " << active
            << " in the CRM; duplicates answered "
            << stats.value("duplicates", 0) << "\n";
}

}  // namespace
}  // namespace qiao::e2e
