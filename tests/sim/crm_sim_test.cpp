// The `crm` simulator of qiao-sim over real HTTP: auth, order write-backs (idempotent, 404/400),
// customers paged by (modifiedAt, id) while writes happen, soft delete, X-Actor counts, signed
// change webhooks (the HMAC checked here), faults, seeding and the state file.
#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <signal.h>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "qiao/testkit/testkit.h"
#include "sim_process.h"

namespace {

using nlohmann::json;
namespace tk = qiao::testkit;
using Headers = std::map<std::string, std::string>;

const std::string kApi = "/sim/crm/api";
const Headers kAuth{{"Authorization", "Bearer sim-crm-token"}};

class Sim : public sim_test::SimProcess {
 public:
  explicit Sim(const tk::TempDir& dir, std::vector<std::string> extra = {})
      : SimProcess(dir, "crm-sim", std::move(extra)) {}

  // An API call with the default token (extra headers added or overriding).
  tk::HttpResponse api(const std::string& method, const std::string& path,
                       const std::string& body = "", Headers headers = {}) {
    for (const auto& [k, v] : kAuth) headers.emplace(k, v);
    return tk::http(method, port(), kApi + path, body, headers);
  }
  json apiJson(const std::string& method, const std::string& path, const json& body,
               Headers headers = {}, int expect = 200) {
    auto r = api(method, path, body.is_null() ? "" : body.dump(), std::move(headers));
    EXPECT_EQ(r.status, expect) << method << " " << path << " " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  tk::HttpResponse admin(const std::string& method, const std::string& op,
                         const std::string& body = "") {
    return tk::http(method, port(), "/sim/crm/" + op, body);
  }
  json get(const std::string& op) {
    auto r = admin("GET", op);
    EXPECT_EQ(r.status, 200) << op << " " << r.body;
    return json::parse(r.body, nullptr, false);
  }
};

json order(const std::string& id, const std::string& status = "confirmed") {
  return {{"orderId", id},       {"orderDate", "2026-11-26"},   {"customerCode", "C100001"},
          {"customerName", "苏州华东精密机械有限公司"},          {"status", status},
          {"currency", "CNY"},   {"totalAmount", "2610.30"},
          {"lines", json::array({{{"lineNo", 1}, {"materialCode", "MAT-003001"},
                                  {"qty", "60"}, {"price", "38.50"}, {"taxRate", "13"}}})}};
}

json erpStatus(const std::string& id, const std::string& at = "2026-11-26T10:00:00+08:00") {
  return {{"orderId", id}, {"erpBillNo", "XSDD000123"}, {"erpId", 100123},
          {"erpStatus", "C"}, {"updatedAt", at}};
}

// A time as a query value: '+' must travel as %2B.
std::string q(const std::string& time) {
  std::string out;
  for (char c : time) out += c == '+' ? std::string("%2B") : std::string(1, c);
  return out;
}

// The id the sim gives its n-th customer.
std::string cuId(int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "CU%08d", n);
  return buf;
}

TEST(CrmSim, ApiNeedsTheBearerToken) {
  tk::TempDir dir;
  Sim sim(dir);
  auto anon = sim.api("GET", "/customers", "", {{"Authorization", ""}});
  EXPECT_EQ(anon.status, 401);
  EXPECT_EQ(json::parse(anon.body)["error"]["code"], "unauthorized");
  EXPECT_EQ(sim.api("GET", "/customers", "", {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(sim.api("GET", "/customers").status, 200);
  ASSERT_EQ(sim.admin("POST", "_config", R"({"token":"other"})").status, 200);
  EXPECT_EQ(sim.api("GET", "/customers").status, 401);
  EXPECT_EQ(sim.api("GET", "/customers", "", {{"Authorization", "Bearer other"}}).status, 200);
  EXPECT_EQ(sim.get("_stats")["unauthorized"], 3);
  EXPECT_EQ(sim.admin("POST", "_config", R"({"latency_ms":-1})").status, 400);
}

TEST(CrmSim, ErpStatusWriteBackIsIdempotent) {
  tk::TempDir dir;
  Sim sim(dir);
  sim.apiJson("POST", "/orders", order("SO-1"), {}, 201);
  auto first = sim.apiJson("PUT", "/orders/SO-1/erp-status", erpStatus("SO-1"));
  EXPECT_EQ(first["duplicate"], false);
  auto again = sim.apiJson("PUT", "/orders/SO-1/erp-status", erpStatus("SO-1"));
  EXPECT_EQ(again["duplicate"], true);
  EXPECT_EQ(again["version"], first["version"]);
  // A retry with the same Idempotency-Key is one effect even if its updatedAt moved on.
  sim.apiJson("PUT", "/orders/SO-1/erp-status",
              erpStatus("SO-1", "2026-11-26T10:05:00+08:00"), {{"Idempotency-Key", "k-1"}});
  auto retry = sim.apiJson("PUT", "/orders/SO-1/erp-status",
                           erpStatus("SO-1", "2026-11-26T10:09:00+08:00"),
                           {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(retry["duplicate"], true);
  auto o = sim.apiJson("GET", "/orders/SO-1", nullptr);
  EXPECT_EQ(o["erpBillNo"], "XSDD000123");
  EXPECT_EQ(o["erpId"], 100123);
  EXPECT_EQ(o["erpStatus"], "C");
  EXPECT_EQ(o["erpUpdatedAt"], "2026-11-26T10:05:00+08:00");
  EXPECT_EQ(o["lines"].size(), 1u);
  // Re-posting the order keeps the write-back.
  auto changed = order("SO-1");
  changed["remark"] = "加急";
  sim.apiJson("POST", "/orders", changed);
  EXPECT_EQ(sim.apiJson("GET", "/orders/SO-1", nullptr)["erpBillNo"], "XSDD000123");

  json pay{{"orderId", "SO-1"}, {"paidAmount", "1000.00"}, {"outstandingAmount", "1610.30"},
           {"paymentStatus", "partial"}, {"updatedAt", "2026-11-27T09:00:00+08:00"}};
  EXPECT_EQ(sim.apiJson("PUT", "/orders/SO-1/payment-status", pay)["duplicate"], false);
  EXPECT_EQ(sim.apiJson("PUT", "/orders/SO-1/payment-status", pay)["duplicate"], true);
  EXPECT_EQ(sim.apiJson("GET", "/orders/SO-1", nullptr)["paymentStatus"], "partial");

  auto s = sim.get("_stats");
  EXPECT_EQ(s["writes"]["erp_status"], 2);
  EXPECT_EQ(s["writes"]["payment_status"], 1);
  EXPECT_EQ(s["writes"]["orders"], 2);
  EXPECT_EQ(s["duplicates"], 3);
}

TEST(CrmSim, WriteBackRefusesUnknownOrdersAndBadBodies) {
  tk::TempDir dir;
  Sim sim(dir);
  auto missing = sim.apiJson("PUT", "/orders/SO-404/erp-status", erpStatus("SO-404"), {}, 404);
  EXPECT_EQ(missing["error"]["code"], "order_not_found");
  sim.apiJson("POST", "/orders", order("SO-2"), {}, 201);
  auto field = [&](const std::string& path, json body) {
    auto r = sim.apiJson("PUT", path, body, {}, 400);
    return r["error"].value("field", std::string("?"));
  };
  auto b = erpStatus("SO-2");
  b.erase("erpBillNo");
  EXPECT_EQ(field("/orders/SO-2/erp-status", b), "erpBillNo");
  EXPECT_EQ(field("/orders/SO-2/erp-status", erpStatus("SO-3")), "orderId");
  b = erpStatus("SO-2");
  b["erpStatus"] = "X";
  EXPECT_EQ(field("/orders/SO-2/erp-status", b), "erpStatus");
  b = erpStatus("SO-2");
  b["updatedAt"] = "yesterday";
  EXPECT_EQ(field("/orders/SO-2/erp-status", b), "updatedAt");
  json pay{{"orderId", "SO-2"}, {"paidAmount", 10.5}, {"outstandingAmount", "0"},
           {"paymentStatus", "paid"}, {"updatedAt", "2026-11-27T09:00:00Z"}};
  EXPECT_EQ(field("/orders/SO-2/payment-status", pay), "paidAmount");
  pay["paidAmount"] = "10.50";
  pay["paymentStatus"] = "mostly";
  EXPECT_EQ(field("/orders/SO-2/payment-status", pay), "paymentStatus");
  EXPECT_EQ(sim.api("PUT", "/orders/SO-2/erp-status", "{not json").status, 400);
  auto o = order("SO-5");
  o["totalAmount"] = 12.3;  // amounts are decimal strings
  EXPECT_EQ(sim.apiJson("POST", "/orders", o, {}, 400)["error"]["field"], "totalAmount");
  EXPECT_EQ(sim.get("_stats")["writes"]["erp_status"], 0);
}

TEST(CrmSim, CustomerPagesMissNothingAndRepeatNothingWhileWritesHappen) {
  tk::TempDir dir;
  Sim sim(dir);
  ASSERT_EQ(sim.admin("POST", "_customers/seed", R"({"count":300,"seed":3})").status, 200);
  std::set<std::pair<std::string, int>> seen;  // (customerId, version)
  std::map<std::string, int> latest;
  std::string cursor, last_modified;
  int pages = 0, created = 0;
  for (bool more = true; more && pages < 100; ++pages) {
    auto page = sim.apiJson("GET", "/customers?limit=50" +
                                       (cursor.empty() ? "" : "&cursor=" + cursor), nullptr);
    for (const auto& c : page["items"]) {
      auto key = std::make_pair(c["customerId"].get<std::string>(), c["version"].get<int>());
      EXPECT_TRUE(seen.insert(key).second) << key.first << " v" << key.second << " twice";
      latest[key.first] = std::max(latest[key.first], key.second);
      EXPECT_GT(c["modifiedAt"].get<std::string>(), last_modified);  // strictly increasing
      last_modified = c["modifiedAt"];
    }
    more = page["has_more"];
    if (more) cursor = page["next_cursor"];
    // Writes between pages: a new customer, an update of one not read yet, one already read.
    sim.apiJson("POST", "/customers", {{"name", "新建客户" + std::to_string(created++) + "有限公司"}},
                {}, 201);
    if (pages < 4) {
      sim.apiJson("PUT", "/customers/" + cuId(290 - pages),
                  {{"grade", "A"}, {"remark", std::to_string(pages)}});
      sim.apiJson("PUT", "/customers/" + cuId(1 + pages),
                  {{"grade", "C"}, {"remark", std::to_string(pages)}});
    }
  }
  // The last page's trailing write comes after it; read it too with modified_since.
  auto tail = sim.apiJson("GET", "/customers?modified_since=" + q(last_modified), nullptr);
  for (const auto& c : tail["items"]) latest[c["customerId"]] = std::max(latest[c["customerId"]], c["version"].get<int>());
  auto all = json::parse(sim.admin("GET", "_customers").body);
  ASSERT_EQ(all.size(), 300u + created);
  for (const auto& c : all)
    EXPECT_EQ(latest[c["customerId"]], c["version"].get<int>()) << c["customerId"];
  EXPECT_EQ(tail["items"][0]["modifiedAt"], last_modified);  // modified_since is inclusive
  auto future = sim.apiJson("GET", "/customers?modified_since=2099-01-01T00:00:00Z", nullptr);
  EXPECT_EQ(future["count"], 0);
  EXPECT_EQ(future["has_more"], false);
  auto future_after_cursor = sim.apiJson(
      "GET", "/customers?modified_since=2099-01-01T00:00:00Z&cursor=1.CU00000001", nullptr);
  EXPECT_EQ(future_after_cursor["count"], 0);
  EXPECT_EQ(sim.api("GET", "/customers?cursor=garbage").status, 400);
  EXPECT_EQ(sim.api("GET", "/customers?limit=0").status, 400);
  EXPECT_EQ(sim.api("GET", "/customers?modified_since=2026-13-01").status, 400);
}

TEST(CrmSim, DeletedCustomersStayVisibleToIncrementalReads) {
  tk::TempDir dir;
  Sim sim(dir);
  auto c = sim.apiJson("POST", "/customers",
                       {{"name", "宁波北仑模具有限责任公司"}, {"taxRegisterCode", "91330206MA2AXXXX1Y"}},
                       {}, 201);
  std::string id = c["customerId"];
  EXPECT_EQ(c["version"], 1);
  EXPECT_EQ(c["status"], "active");
  auto del = sim.apiJson("DELETE", "/customers/" + id, nullptr);
  EXPECT_EQ(del["deleted"], true);
  EXPECT_EQ(del["status"], "deleted");
  EXPECT_EQ(del["version"], 2);
  auto since = sim.apiJson("GET", "/customers?modified_since=" + q(c["modifiedAt"]), nullptr);
  ASSERT_EQ(since["count"], 1);
  EXPECT_EQ(since["items"][0]["deleted"], true);
  EXPECT_EQ(sim.apiJson("GET", "/customers?include_deleted=false", nullptr)["count"], 0);
  EXPECT_EQ(sim.apiJson("DELETE", "/customers/" + id, nullptr)["version"], 2);  // no-op
  EXPECT_EQ(sim.apiJson("GET", "/customers/" + id, nullptr)["status"], "deleted");
  EXPECT_EQ(sim.apiJson("DELETE", "/customers/CU-none", nullptr, {}, 404)["error"]["code"],
            "customer_not_found");
}

TEST(CrmSim, WritesAreCountedByActor) {
  tk::TempDir dir;
  Sim sim(dir);
  auto c = sim.apiJson("POST", "/customers", {{"name", "常州恒达五金制品有限公司"}}, {}, 201);
  std::string id = c["customerId"];
  sim.apiJson("PUT", "/customers/" + id, {{"phone", "0519-86881234"}}, {{"X-Actor", "qiao"}});
  sim.apiJson("PUT", "/customers/" + id, {{"phone", "0519-86881234"}}, {{"X-Actor", "qiao"}});
  sim.apiJson("PUT", "/customers/" + id, {{"grade", "B"}});
  auto stale = sim.apiJson("PUT", "/customers/" + id, {{"grade", "A"}}, {{"If-Match", "1"}}, 412);
  EXPECT_EQ(stale["error"]["code"], "version_mismatch");
  EXPECT_EQ(sim.apiJson("PUT", "/customers/" + id, {{"name", nullptr}}, {}, 400)["error"]["field"],
            "name");
  auto s = sim.get("_stats");
  EXPECT_EQ(s["writes"]["customers"], 3);
  EXPECT_EQ(s["noops"], 1);
  EXPECT_EQ(s["by_actor"]["qiao"]["requests"], 2);
  EXPECT_EQ(s["by_actor"]["qiao"]["customers"], 1);
  EXPECT_EQ(s["by_actor"]["qiao"]["noops"], 1);
  EXPECT_EQ(s["by_actor"]["user"]["customers"], 2);
  EXPECT_EQ(sim.apiJson("GET", "/customers/" + id, nullptr)["version"], 3);
}

// A local HTTP endpoint that records what it is sent and fails the first `fail` requests.
class HookServer {
 public:
  struct Hit {
    std::string body;
    Headers headers;  // lower-case names
  };
  explicit HookServer(int fail = 0) : fail_(fail) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), pool_, socket,
                                                      new Poco::Net::HTTPServerParams);
    server_->start();
  }
  ~HookServer() {
    server_->stopAll(true);
    pool_.joinAll();  // no handler thread outlives the test (Poco's statics die at exit)
  }
  int port() const { return port_; }
  std::vector<Hit> hits() {
    std::lock_guard lock(mu_);
    return hits_;
  }
  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(HookServer& s) : s_(s) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      Hit hit;
      Poco::StreamCopier::copyToString(req.stream(), hit.body);
      for (const auto& [k, v] : req) {
        std::string lower = k;
        for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        hit.headers[lower] = v;
      }
      bool fail;
      {
        std::lock_guard lock(s_.mu_);
        fail = s_.requests_++ < s_.fail_;
        if (!fail) s_.hits_.push_back(hit);
      }
      resp.setStatus(fail ? Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE
                          : Poco::Net::HTTPResponse::HTTP_OK);
      resp.setContentLength(2);
      resp.send() << "{}";
    }
   private:
    HookServer& s_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(HookServer& s) : s_(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(s_);
    }
   private:
    HookServer& s_;
  };
  std::mutex mu_;
  std::vector<Hit> hits_;
  int requests_ = 0, fail_ = 0, port_ = 0;
  Poco::ThreadPool pool_{1, 8};
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

std::string hmacHex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  std::string out;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", mac[i]);
    out += buf;
  }
  return out;
}

TEST(CrmSim, ChangeWebhooksAreSignedLikeTheWebhookSourceExpects) {
  tk::TempDir dir;
  Sim sim(dir);
  HookServer hooks(/*fail=*/1);  // the first send fails: the sim retries
  ASSERT_EQ(sim.admin("POST", "_config", R"({"webhook_backoff_ms":50})").status, 200);
  json sub{{"url", "http://127.0.0.1:" + std::to_string(hooks.port()) + "/hooks/crm"},
           {"secret", "s3cret"}, {"events", {"customer.changed", "order.confirmed"}}};
  ASSERT_EQ(sim.admin("POST", "_webhooks", sub.dump()).status, 201);
  auto c = sim.apiJson("POST", "/customers", {{"name", "温州瑞丰阀门有限公司"}}, {}, 201);
  sim.apiJson("POST", "/orders", order("SO-9", "draft"), {}, 201);  // not confirmed: no event
  sim.apiJson("POST", "/orders", order("SO-10"), {}, 201);
  ASSERT_TRUE(tk::waitFor([&] { return hooks.hits().size() >= 2; }, 10000));
  auto hits = hooks.hits();
  for (const auto& h : hits) {
    const std::string ts = h.headers.at("x-qiao-timestamp");
    EXPECT_EQ(h.headers.at("x-qiao-signature"), "sha256=" + hmacHex("s3cret", ts + "." + h.body));
    EXPECT_NE(h.headers.at("x-qiao-signature"), "sha256=" + hmacHex("other", ts + "." + h.body));
    int64_t skew = std::stoll(ts) - std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_LT(std::abs(skew), 60);
    auto event = json::parse(h.body);
    EXPECT_EQ(event["id"], h.headers.at("x-event-id"));
  }
  auto e0 = json::parse(hits[0].body), e1 = json::parse(hits[1].body);
  EXPECT_EQ(e0["type"], "customer.changed");
  EXPECT_EQ(e0["data"]["customerId"], c["customerId"]);
  EXPECT_EQ(e1["type"], "order.confirmed");
  EXPECT_EQ(e1["data"]["orderId"], "SO-10");
  EXPECT_NE(e0["id"], e1["id"]);

  // Echo suppression off: a write by X-Actor qiao is not told; a user's write still is.
  ASSERT_EQ(sim.admin("POST", "_config", R"({"echo_webhooks":false})").status, 200);
  std::string id = c["customerId"];
  sim.apiJson("PUT", "/customers/" + id, {{"grade", "A"}}, {{"X-Actor", "qiao"}});
  sim.apiJson("PUT", "/customers/" + id, {{"grade", "B"}});
  ASSERT_TRUE(tk::waitFor([&] { return hooks.hits().size() >= 3; }, 10000));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  hits = hooks.hits();
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(json::parse(hits[2].body)["data"]["grade"], "B");
  auto s = sim.get("_stats")["webhooks"];
  EXPECT_EQ(s["sent"], 3);
  EXPECT_EQ(s["failed"], 0);
  EXPECT_EQ(s["attempts"], 4);  // one retry
  EXPECT_EQ(s["pending"], 0);
  auto log = sim.get("_webhooks/deliveries")["deliveries"];
  EXPECT_EQ(log[0]["attempts"], 2);
  EXPECT_EQ(sim.admin("POST", "_webhooks", R"({"url":"ftp://x","secret":"s"})").status, 400);
  EXPECT_EQ(sim.admin("POST", "_webhooks", R"({"url":"http://127.0.0.1:1/h","secret":"s","events":["nope"]})").status, 400);
}

TEST(CrmSim, ParallelSendersDeliverEveryEventAndGiveUpOnADeadSubscriber) {
  tk::TempDir dir;
  Sim sim(dir);
  HookServer hooks;
  ASSERT_EQ(sim.admin("POST", "_config", R"({"webhook_senders":4,"webhook_attempts":2,"webhook_backoff_ms":10})").status, 200);
  json live{{"url", "http://127.0.0.1:" + std::to_string(hooks.port()) + "/h"}, {"secret", "k"},
            {"events", {"customer.changed"}}};
  json dead{{"url", "http://127.0.0.1:" + std::to_string(tk::freePort()) + "/h"}, {"secret", "k"},
            {"events", {"order.confirmed"}}};
  ASSERT_EQ(sim.admin("POST", "_webhooks", live.dump()).status, 201);
  ASSERT_EQ(sim.admin("POST", "_webhooks", dead.dump()).status, 201);
  for (int i = 0; i < 40; ++i)
    sim.apiJson("POST", "/customers", {{"name", "客户" + std::to_string(i) + "有限公司"}}, {}, 201);
  sim.apiJson("POST", "/orders", order("SO-D"), {}, 201);
  ASSERT_TRUE(tk::waitFor([&] {
    auto w = sim.get("_stats")["webhooks"];
    return w["sent"] == 40 && w["failed"] == 1 && w["pending"] == 0;
  }, 10000)) << sim.get("_stats").dump();
  std::set<std::string> ids, customers;
  for (const auto& h : hooks.hits()) {
    auto e = json::parse(h.body);
    ids.insert(e["id"].get<std::string>());
    customers.insert(e["data"]["customerId"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), 40u);
  EXPECT_EQ(customers.size(), 40u);
  EXPECT_EQ(sim.get("_stats")["webhooks"]["attempts"], 42);  // the dead one tried twice
  auto secretless = sim.admin("GET", "_webhooks").body;
  EXPECT_EQ(secretless.find("\"secret\""), std::string::npos);
}

TEST(CrmSim, BulkIdempotentCreateAndOrderPaging) {
  tk::TempDir dir;
  Sim sim(dir);
  auto bad = sim.admin("POST", "_customers/bulk", R"({"customers":[{"name":"a"},{"phone":"1"}]})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["error"]["field"], "customers[1].name");
  EXPECT_EQ(json::parse(sim.admin("GET", "_customers").body).size(), 0u);  // all or nothing
  auto ok = sim.admin("POST", "_customers/bulk",
                      R"([{"customerId":"X1","name":"甲有限公司"},{"name":"乙有限公司"}])");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["created"], 2);
  EXPECT_EQ(sim.apiJson("GET", "/customers/X1", nullptr)["name"], "甲有限公司");

  auto first = sim.apiJson("POST", "/customers", {{"name", "丙有限公司"}}, {{"Idempotency-Key", "c-1"}}, 201);
  auto again = sim.apiJson("POST", "/customers", {{"name", "丙有限公司"}}, {{"Idempotency-Key", "c-1"}}, 200);
  EXPECT_EQ(again["customerId"], first["customerId"]);
  EXPECT_EQ(sim.apiJson("POST", "/customers", {{"customerId", "X1"}, {"name", "丁"}}, {}, 409)["error"]["code"],
            "customer_exists");
  EXPECT_EQ(sim.get("_stats")["customers"], 3);

  for (int i = 0; i < 7; ++i) sim.apiJson("POST", "/orders", order("SO-P" + std::to_string(i)), {}, 201);
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    auto p = sim.apiJson("GET", "/orders?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor), nullptr);
    for (const auto& o : p["items"]) seen.push_back(o["orderId"]);
    if (!p["has_more"].get<bool>()) break;
    cursor = p["next_cursor"];
  }
  ASSERT_EQ(seen.size(), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(seen[i], "SO-P" + std::to_string(i));
}

TEST(CrmSim, FaultsApplyToTheApi) {
  tk::TempDir dir;
  Sim sim(dir);
  ASSERT_EQ(sim.admin("POST", "_faults", R"({"mode":"status","status":503,"count":2,"path":"customers"})").status,
            200);
  EXPECT_EQ(sim.api("GET", "/orders").status, 200);  // another path: untouched
  EXPECT_EQ(sim.api("GET", "/customers").status, 503);
  EXPECT_EQ(sim.api("POST", "/customers", R"({"name":"x"})").status, 503);
  EXPECT_EQ(sim.api("POST", "/customers", R"({"name":"x"})").status, 201);
  ASSERT_EQ(sim.admin("POST", "_faults", R"({"mode":"timeout_after_commit","delay_ms":1500,"count":1})").status, 200);
  auto r = tk::http("POST", sim.port(), kApi + "/orders", order("SO-T").dump(), kAuth, 500);
  EXPECT_EQ(r.status, 0);  // the client gave up, but the order was stored
  EXPECT_EQ(sim.apiJson("GET", "/orders/SO-T", nullptr)["orderId"], "SO-T");
  auto s = sim.get("_stats");
  EXPECT_EQ(s["faults_injected"], 3);
  EXPECT_EQ(s["writes"]["customers"], 1);
  EXPECT_EQ(sim.admin("POST", "_faults", R"({"mode":"explode"})").status, 400);
}

TEST(CrmSim, SeedIsDeterministicAndRealistic) {
  tk::TempDir dir;
  Sim sim(dir);
  auto seeded = [&](const std::string& spec) {
    EXPECT_EQ(sim.admin("POST", "_reset").status, 200);
    auto r = sim.admin("POST", "_customers/seed", spec);
    EXPECT_EQ(r.status, 200) << r.body;
    auto all = json::parse(sim.admin("GET", "_customers").body);
    for (auto& c : all) c.erase("modifiedAt");
    return all;
  };
  auto a = seeded(R"({"count":400,"seed":7,"overlap_with_k3":0.5})");
  auto b = seeded(R"({"count":400,"seed":7,"overlap_with_k3":0.5})");
  auto other = seeded(R"({"count":400,"seed":8,"overlap_with_k3":0.5})");
  ASSERT_EQ(a.size(), 400u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other);
  std::set<std::string> names, codes;
  const std::string alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  const int weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  for (const auto& c : a) {
    std::string name = c["name"], code = c["taxRegisterCode"];
    names.insert(name);
    codes.insert(code);
    EXPECT_EQ(name.substr(name.size() - 6), "公司") << name;
    ASSERT_EQ(code.size(), 18u) << code;
    int sum = 0;
    for (int i = 0; i < 17; ++i) sum += static_cast<int>(alphabet.find(code[i])) * weights[i];
    EXPECT_EQ(code[17], alphabet[(31 - sum % 31) % 31]) << code;  // GB 32100 check character
    EXPECT_FALSE(c["contacts"][0]["mobile"].get<std::string>().empty());
  }
  EXPECT_EQ(names.size(), 400u);
  EXPECT_EQ(codes.size(), 400u);
  // The shared range does not depend on how many are shared: same seed, same companies.
  auto all_shared = seeded(R"({"count":400,"seed":7,"overlap_with_k3":1})");
  for (int i = 0; i < 200; ++i) EXPECT_EQ(all_shared[i]["name"], a[i]["name"]);
  EXPECT_NE(all_shared[300]["name"], a[300]["name"]);
  EXPECT_EQ(sim.admin("POST", "_customers/seed", R"({"count":200001})").status, 400);
  EXPECT_EQ(sim.admin("POST", "_customers/seed", R"({"count":5,"overlap_with_k3":2})").status, 400);
}

TEST(CrmSim, StateFileKeepsOrdersCustomersAndTime) {
  tk::TempDir dir;
  std::string state = dir.file("crm-state.json");
  std::string id, modified;
  {
    Sim sim(dir, {"--state-file", state});
    sim.apiJson("POST", "/orders", order("SO-S"), {}, 201);
    sim.apiJson("PUT", "/orders/SO-S/erp-status", erpStatus("SO-S"), {{"Idempotency-Key", "k"}});
    auto c = sim.apiJson("POST", "/customers", {{"name", "青岛海天轴承有限公司"}}, {}, 201);
    id = c["customerId"];
    modified = c["modifiedAt"];
    sim.child().kill(SIGTERM);
    EXPECT_EQ(sim.child().wait(10000), 0) << tk::readFile(sim.output());
  }
  Sim again(dir, {"--state-file", state});
  EXPECT_EQ(again.apiJson("GET", "/orders/SO-S", nullptr)["erpBillNo"], "XSDD000123");
  auto dup = again.apiJson("PUT", "/orders/SO-S/erp-status", erpStatus("SO-S", "2026-11-28T00:00:00Z"),
                           {{"Idempotency-Key", "k"}});
  EXPECT_EQ(dup["duplicate"], true);
  EXPECT_EQ(again.apiJson("GET", "/customers/" + id, nullptr)["name"], "青岛海天轴承有限公司");
  auto next = again.apiJson("POST", "/customers", {{"name", "大连长城铸造有限公司"}}, {}, 201);
  EXPECT_NE(next["customerId"], id);
  EXPECT_GT(next["modifiedAt"].get<std::string>(), modified);
}

TEST(CrmSim, LatencyIsPerRequestAndConcurrencyIsMeasured) {
  tk::TempDir dir;
  Sim sim(dir);
  ASSERT_EQ(sim.admin("POST", "_config", R"({"latency_ms":300})").status, 200);
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] { ok += sim.api("GET", "/customers").status == 200; });
  for (auto& t : threads) t.join();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_GE(ms, 300);
  EXPECT_LT(ms, 8 * 300);  // slept side by side, not one after another
  EXPECT_GE(sim.get("_stats")["max_concurrent"].get<int>(), 4);
}

}  // namespace
