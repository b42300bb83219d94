// The `http` source (through its Descriptor) pulling customers from qiao-sim's CRM:
// paging, exactly-once across polls, watermark resume, overlap re-reads, faults, auth.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "qiao/sdk/connector.h"
#include "qiao/testkit/testkit.h"

void qiao_register_http(qiao::sdk::Registry& registry);

namespace {

using nlohmann::json;
using qiao::ErrorClass;
using qiao::ErrorCode;
namespace tk = qiao::testkit;
using Headers = std::map<std::string, std::string>;

constexpr const char* kToken = "sim-crm-token";

class HttpPullTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new tk::TempDir();
    std::string ready;
    port_ = tk::startQiaoSim(&sim_, dir_->file("sim.out"), {}, &ready);
    ASSERT_GT(port_, 0) << "qiao-sim did not start: " << ready;
    registry_ = new qiao::sdk::Registry();
    qiao_register_http(*registry_);
  }
  static void TearDownTestSuite() {
    sim_.reset();
    delete registry_;
    delete dir_;
  }

  void SetUp() override {
    auto r = tk::http("POST", port_, "/sim/crm/_reset", "{}");
    ASSERT_EQ(r.status, 200) << r.body;
    r = tk::http("POST", port_, "/sim/crm/_config", json{{"token", kToken}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/sim/crm/api/customers";
  }

  // The settings of docs/connectors/http.md's CRM example, with a small page.
  json settings(int page_size) const {
    return {{"url", url()},
            {"auth_token", kToken},
            {"timeout", "2s"},
            {"pull",
             {{"entity", "customer"},
              {"since_param", "modified_since"},
              {"cursor_param", "cursor"},
              {"limit_param", "limit"},
              {"page_size", page_size},
              {"items", "/items"},
              {"next_cursor", "/next_cursor"},
              {"id_field", "/customerId"},
              {"modified_field", "/modifiedAt"},
              {"overlap", "1m"},
              {"extra_query", {{"include_deleted", "true"}}}}}};
  }

  std::unique_ptr<qiao::sdk::Source> makeSource(const json& s) {
    const auto* d = registry_->find("http");
    EXPECT_NE(d, nullptr);
    EXPECT_TRUE(d->isSource());
    auto src = d->make_source({"crm_pull", s.dump()}, {"crm_pull", dir_->path()});
    EXPECT_TRUE(src.ok()) << (src.ok() ? "" : src.error().message);
    return src.ok() ? std::move(src).value() : nullptr;
  }

  void seed(int count) {
    auto r = tk::http("POST", port_, "/sim/crm/_customers/seed",
                      json{{"count", count}, {"seed", 7}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // customerId → modifiedAt of every customer in the sim (deleted ones too).
  std::map<std::string, std::string> simCustomers() {
    auto r = tk::http("GET", port_, "/sim/crm/_customers");
    EXPECT_EQ(r.status, 200) << r.body;
    json j = json::parse(r.body, nullptr, false);
    const json& list = j.is_array() ? j : j["customers"];
    std::map<std::string, std::string> out;
    for (const auto& c : list) out[c["customerId"]] = c["modifiedAt"];
    return out;
  }

  void updatePhone(const std::string& id, const std::string& phone) {
    auto r = tk::http("PUT", port_, "/sim/crm/api/customers/" + id, json{{"phone", phone}}.dump(),
                      Headers{{"Authorization", std::string("Bearer ") + kToken}});
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // API requests the CRM answered since the reset (every GET page counts).
  int apiRequests() {
    auto r = tk::http("GET", port_, "/sim/crm/_stats");
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).value("requests", -1);
  }

  void setFault(const json& spec) {
    auto r = tk::http("POST", port_, "/sim/crm/_faults", spec.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // Polls until a poll says there is no more (bounded), collecting the records.
  std::vector<qiao::Record> pollAll(qiao::sdk::Source& src, std::string* watermark,
                                    size_t max_records = 1000) {
    std::vector<qiao::Record> all;
    for (int i = 0; i < 50; ++i) {
      auto r = src.poll(*watermark, max_records);
      EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
      if (!r.ok()) break;
      for (auto& rec : r->records) all.push_back(std::move(rec));
      *watermark = r->watermark;
      if (!r->more) break;
    }
    return all;
  }

  static inline tk::TempDir* dir_ = nullptr;
  static inline std::unique_ptr<tk::Child> sim_;
  static inline qiao::sdk::Registry* registry_ = nullptr;
  static inline int port_ = 0;
};

std::multiset<std::string> keysOf(const std::vector<qiao::Record>& records) {
  std::multiset<std::string> out;
  for (const auto& r : records) out.insert(r.business_key);
  return out;
}

TEST_F(HttpPullTest, EveryCustomerOnceAcrossSeveralPages) {
  seed(23);
  auto in_sim = simCustomers();
  ASSERT_EQ(in_sim.size(), 23u);
  auto src = makeSource(settings(5));  // 5 pages
  ASSERT_TRUE(src);
  auto r = src->poll("", 1000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->more);
  ASSERT_EQ(r->records.size(), 23u);
  std::set<std::string> ids;
  std::string previous_time;
  for (const auto& rec : r->records) {
    EXPECT_EQ(rec.entity, "customer");
    EXPECT_EQ(rec.source_system, "crm_pull");
    EXPECT_FALSE(rec.idempotency_key.empty());
    json payload = json::parse(rec.payload, nullptr, false);
    ASSERT_TRUE(payload.is_object()) << rec.payload;
    EXPECT_EQ(payload["customerId"], rec.business_key);  // the whole record, as the CRM sent it
    EXPECT_FALSE(payload.value("name", "").empty());
    EXPECT_EQ(in_sim.at(rec.business_key), payload["modifiedAt"]);
    EXPECT_GE(payload["modifiedAt"].get<std::string>(), previous_time);  // oldest first
    previous_time = payload["modifiedAt"];
    ids.insert(rec.business_key);
  }
  EXPECT_EQ(ids.size(), 23u);  // each once
  EXPECT_EQ(apiRequests(), 5);  // pages of 5, 5, 5, 5, 3
  // The overlap (1m) re-reads all 23 from the CRM; the watermark knows them: none again.
  json wm = json::parse(r->watermark);
  size_t remembered = 0;
  for (const auto& [t, list] : wm["seen"].items()) remembered += list.size();
  EXPECT_EQ(remembered, 23u) << r->watermark;
  auto again = src->poll(r->watermark, 1000);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->records.empty()) << again->records.front().business_key;
  EXPECT_FALSE(again->more);
  EXPECT_EQ(apiRequests(), 10);  // the re-read did happen: five more pages
}

TEST_F(HttpPullTest, WatermarkResumesWithExactlyTheChangedCustomers) {
  seed(10);
  auto src = makeSource(settings(4));
  ASSERT_TRUE(src);
  std::string wm;
  auto first = pollAll(*src, &wm);
  ASSERT_EQ(first.size(), 10u);
  const auto first_keys = keysOf(first);
  std::vector<std::string> ids(first_keys.begin(), first_keys.end());
  // Two edits and one soft delete (include_deleted=true brings the deletion too).
  updatePhone(ids[2], "0512-60000002");
  updatePhone(ids[7], "0512-60000007");
  auto del = tk::http("DELETE", port_, "/sim/crm/api/customers/" + ids[5], "",
                      Headers{{"Authorization", std::string("Bearer ") + kToken}});
  ASSERT_EQ(del.status, 200) << del.body;
  auto second = pollAll(*src, &wm);
  EXPECT_EQ(keysOf(second), (std::multiset<std::string>{ids[2], ids[5], ids[7]}));
  for (const auto& rec : second) {
    json p = json::parse(rec.payload);
    if (rec.business_key == ids[5]) EXPECT_EQ(p["deleted"], true);
    else EXPECT_EQ(p["phone"], "0512-6000000" + std::string(1, rec.business_key == ids[2] ? '2' : '7'));
  }
  // Nothing changed since: the overlap re-read brings no duplicate.
  auto third = src->poll(wm, 1000);
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_TRUE(third->records.empty());
  // Editing the same customer again is a new change and comes again.
  updatePhone(ids[2], "0512-69999999");
  auto fourth = pollAll(*src, &wm);
  EXPECT_EQ(keysOf(fourth), (std::multiset<std::string>{ids[2]}));
}

TEST_F(HttpPullTest, MaxRecordsCutsAPollAndTheNextContinues) {
  seed(12);
  auto src = makeSource(settings(3));
  ASSERT_TRUE(src);
  std::vector<size_t> sizes;
  std::vector<qiao::Record> all;
  std::string wm;
  for (int i = 0; i < 10; ++i) {
    auto r = src->poll(wm, 5);
    ASSERT_TRUE(r.ok()) << r.error().message;
    sizes.push_back(r->records.size());
    for (auto& rec : r->records) all.push_back(std::move(rec));
    wm = r->watermark;
    if (!r->more) break;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{5, 5, 2}));
  auto keys = keysOf(all);
  EXPECT_EQ(keys.size(), 12u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 12u);  // no duplicate
}

TEST_F(HttpPullTest, ReReadingTheOverlapDoesNotUseUpMaxPagesNorMaxSeen) {
  seed(150);  // all modified within the 1m overlap: every poll re-reads what it emitted
  json s = settings(10);
  s["pull"]["max_pages"] = 3;
  s["pull"]["max_seen"] = 100;  // the cap forgets the oldest pairs under a rising floor
  auto src = makeSource(s);
  ASSERT_TRUE(src);
  std::string wm;
  auto all = pollAll(*src, &wm, 20);
  auto keys = keysOf(all);
  EXPECT_EQ(keys.size(), 150u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 150u);
  json w = json::parse(wm);
  size_t remembered = 0;
  for (const auto& [t, list] : w["seen"].items()) remembered += list.size();
  EXPECT_LE(remembered, 100u) << wm;
  EXPECT_TRUE(w.contains("floor"));
  auto again = src->poll(wm, 20);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->records.empty());
}

TEST_F(HttpPullTest, A5xxFailsThePollAndTheNextPollReadsTheSameRecords) {
  seed(6);
  auto src = makeSource(settings(2));
  ASSERT_TRUE(src);
  std::string wm;
  ASSERT_EQ(pollAll(*src, &wm).size(), 6u);
  auto ids = simCustomers();
  std::vector<std::string> changed;
  for (const auto& [id, _] : ids)
    if (changed.size() < 3) changed.push_back(id);
  for (const auto& id : changed) updatePhone(id, "021-5555" + id.substr(id.size() - 4));

  setFault({{"mode", "status"}, {"status", 503}, {"count", 1}, {"path", "customers"}});
  auto failed = src->poll(wm, 1000);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().klass, ErrorClass::kTransient);
  EXPECT_NE(failed.error().message.find("503"), std::string::npos) << failed.error().message;
  EXPECT_NE(failed.error().message.find("GET " + url()), std::string::npos)
      << failed.error().message;

  // 429 with Retry-After: transient, and the wait is passed on.
  setFault({{"mode", "status"}, {"status", 429}, {"retry_after", 7}, {"count", 1},
            {"path", "customers"}});
  auto limited = src->poll(wm, 1000);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().klass, ErrorClass::kTransient);
  EXPECT_EQ(limited.error().retry_after_ms, 7000);

  // A timeout fails it the same way (the client gives up after its 2 s).
  setFault({{"mode", "timeout"}, {"delay_ms", 4000}, {"count", 1}, {"path", "customers"}});
  auto timed_out = src->poll(wm, 1000);
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.error().code, ErrorCode::kTimeout) << timed_out.error().message;

  // The watermark did not move (the caller keeps the old one): the same three come now.
  auto after = pollAll(*src, &wm);
  EXPECT_EQ(keysOf(after), std::multiset<std::string>(changed.begin(), changed.end()));
}

TEST_F(HttpPullTest, PageFaultsFailWholePollsAndNeverLoseOrDuplicate) {
  seed(9);
  auto src = makeSource(settings(3));
  ASSERT_TRUE(src);
  // One in two requests fails (seeded): with three pages to read, some poll fails midway.
  setFault({{"mode", "rate"}, {"percent", 50}, {"status", 500}, {"seed", 3}, {"count", 40},
            {"path", "customers"}});
  int failures = 0;
  std::vector<qiao::Record> got;
  std::string wm;
  for (int i = 0; i < 40 && got.size() < 9; ++i) {
    auto r = src->poll(wm, 1000);
    if (!r.ok()) {
      ++failures;
      EXPECT_NE(r.error().message.find("HTTP 500"), std::string::npos) << r.error().message;
      continue;  // nothing returned, the watermark stays
    }
    for (auto& rec : r->records) got.push_back(std::move(rec));
    wm = r->watermark;
  }
  setFault({{"mode", "none"}});
  EXPECT_GT(failures, 0);
  auto keys = keysOf(got);
  EXPECT_EQ(keys.size(), 9u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 9u);
}

TEST_F(HttpPullTest, WithoutACursorPagesAreKeyedByTheModifiedTime) {
  seed(11);
  json s = settings(4);
  s["pull"]["next_cursor"] = "";  // page by modified_since alone
  auto src = makeSource(s);
  ASSERT_TRUE(src);
  std::string wm;
  auto all = pollAll(*src, &wm);
  auto keys = keysOf(all);
  EXPECT_EQ(keys.size(), 11u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 11u);
  // Seeded times are distinct: 4 new per page, then 3 new per page (one re-read at the edge).
  EXPECT_EQ(apiRequests(), 4);
  updatePhone(*keys.begin(), "0512-61111111");
  auto next = pollAll(*src, &wm);
  EXPECT_EQ(keysOf(next), (std::multiset<std::string>{*keys.begin()}));
}

TEST_F(HttpPullTest, MissingOrWrongTokenIsA401ThatNeverShowsTheToken) {
  seed(2);
  json no_token = settings(10);
  no_token.erase("auth_token");
  auto src = makeSource(no_token);
  ASSERT_TRUE(src);
  auto r = src->poll("", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().klass, ErrorClass::kAuthExpired);
  EXPECT_NE(r.error().message.find("HTTP 401 from GET " + url()), std::string::npos)
      << r.error().message;

  const std::string wrong = "tok-WRONG-7c1d-NEVER-LOG";
  json wrong_token = settings(10);
  wrong_token["auth_token"] = wrong;
  auto src2 = makeSource(wrong_token);
  ASSERT_TRUE(src2);
  auto r2 = src2->poll("", 100);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message.find("401"), std::string::npos) << r2.error().message;
  EXPECT_EQ(r2.error().message.find(wrong), std::string::npos) << r2.error().message;
  EXPECT_FALSE(src2->health().healthy);
  EXPECT_EQ(src2->health().detail.find(wrong), std::string::npos);
  EXPECT_TRUE(makeSource(settings(10))->health().healthy);
}

TEST_F(HttpPullTest, AReplyOfAnotherShapeNamesThePointer) {
  seed(3);
  json s = settings(10);
  s["pull"]["items"] = "/data/list";
  auto src = makeSource(s);
  ASSERT_TRUE(src);
  auto r = src->poll("", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("'/data/list'"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(url()), std::string::npos) << r.error().message;

  s = settings(10);
  s["pull"]["id_field"] = "/custId";
  src = makeSource(s);
  ASSERT_TRUE(src);
  r = src->poll("", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("pull.id_field '/custId'"), std::string::npos)
      << r.error().message;

  s = settings(10);
  s["pull"]["modified_field"] = "/name";  // text, not a time
  src = makeSource(s);
  r = src->poll("", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not an ISO-8601 time"), std::string::npos)
      << r.error().message;

  // A reply that is not JSON at all.
  setFault({{"mode", "status"}, {"status", 200}, {"body", "<html>oops</html>"}, {"count", 1},
            {"path", "customers"}});
  src = makeSource(settings(10));
  r = src->poll("", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not JSON"), std::string::npos) << r.error().message;
}

}  // namespace
