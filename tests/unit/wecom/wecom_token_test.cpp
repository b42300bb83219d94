// Access tokens through a fake transport: single flight under 16 threads, early refresh,
// refresh-and-retry-once on 42001/40014, compare-and-invalidate, 45009 backoff, and that
// secrets never reach error messages.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "wecom_client.h"
#include "wecom_token.h"

namespace w = qiao::connectors::wecom;
using namespace std::chrono_literals;

namespace {

// Answers gettoken with tok-1, tok-2, ... (or a scripted errcode) and message/send with the
// scripted errcodes, one per call, then 0. Records every URL.
class FakeTransport : public w::Transport {
 public:
  std::mutex mu;
  std::vector<std::string> urls;
  std::vector<int> gettoken_errcodes;  // consumed front first
  std::vector<int> send_errcodes;
  std::atomic<int> gettoken_count{0};
  std::chrono::milliseconds gettoken_delay{0};
  int expires_in = 7200;
  bool fail_transport = false;

  qiao::Result<w::HttpResponse> get(const std::string& url, const std::string&) override {
    int errcode = 0;
    {
      std::lock_guard lk(mu);
      urls.push_back(url);
      if (!gettoken_errcodes.empty()) {
        errcode = gettoken_errcodes.front();
        gettoken_errcodes.erase(gettoken_errcodes.begin());
      }
    }
    int n = ++gettoken_count;
    if (gettoken_delay.count() > 0) std::this_thread::sleep_for(gettoken_delay);
    if (fail_transport)
      return qiao::Error::transient(qiao::ErrorCode::kTimeout, "wecom gettoken: timed out");
    if (errcode != 0)
      return w::HttpResponse{200, R"({"errcode":)" + std::to_string(errcode) +
                                      R"(,"errmsg":"nope"})"};
    return w::HttpResponse{200, R"({"errcode":0,"errmsg":"ok","access_token":"tok-)" +
                                    std::to_string(n) + R"(","expires_in":)" +
                                    std::to_string(expires_in) + "}"};
  }
  qiao::Result<w::HttpResponse> postJson(const std::string& url, const std::string&,
                                         const std::string&) override {
    std::lock_guard lk(mu);
    urls.push_back(url);
    int errcode = 0;
    if (!send_errcodes.empty()) {
      errcode = send_errcodes.front();
      send_errcodes.erase(send_errcodes.begin());
    }
    return w::HttpResponse{200, R"({"errcode":)" + std::to_string(errcode) +
                                    R"(,"errmsg":"x","msgid":"m"})"};
  }
};

struct FakeClock {
  std::chrono::steady_clock::time_point t = std::chrono::steady_clock::time_point{} + 1000h;
  w::SteadyClock fn() {
    return [this] { return t; };
  }
};

std::shared_ptr<w::TokenManager> manager(std::shared_ptr<FakeTransport> tr, FakeClock* clock) {
  w::TokenOptions o;
  if (clock) o.clock = clock->fn();
  return std::make_shared<w::TokenManager>(tr, "http://127.0.0.1:1", "wwcorp", "S3CRET-app", o);
}

}  // namespace

TEST(WecomToken, SixteenThreadsShareOneGettoken) {
  auto tr = std::make_shared<FakeTransport>();
  tr->gettoken_delay = 100ms;  // all threads arrive while the one flight is in progress
  auto tm = manager(tr, nullptr);
  std::vector<std::thread> threads;
  std::vector<std::string> got(16);
  std::atomic<int> failures{0};
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&, i] {
      auto t = tm->get();
      if (t.ok()) got[i] = t->value;
      else ++failures;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(tr->gettoken_count.load(), 1);
  EXPECT_EQ(tm->gettokenCalls(), 1u);
  for (const auto& g : got) EXPECT_EQ(g, "tok-1");
  EXPECT_NE(tr->urls[0].find("/cgi-bin/gettoken?corpid=wwcorp&corpsecret=S3CRET-app"),
            std::string::npos);
}

TEST(WecomToken, CachedUntilTheMarginThenRefreshedEarly) {
  auto tr = std::make_shared<FakeTransport>();
  FakeClock clock;
  auto tm = manager(tr, &clock);
  EXPECT_EQ(tm->get()->value, "tok-1");
  clock.t += 7200s - 301s;  // still outside the 5-minute margin
  EXPECT_EQ(tm->get()->value, "tok-1");
  EXPECT_EQ(tr->gettoken_count.load(), 1);
  clock.t += 2s;  // inside the margin: fetched again although still valid
  EXPECT_EQ(tm->get()->value, "tok-2");
  EXPECT_EQ(tr->gettoken_count.load(), 2);
}

TEST(WecomToken, EarlyRefreshFailureKeepsTheStillValidToken) {
  auto tr = std::make_shared<FakeTransport>();
  FakeClock clock;
  auto tm = manager(tr, &clock);
  ASSERT_EQ(tm->get()->value, "tok-1");
  clock.t += 7000s;
  tr->fail_transport = true;
  auto t = tm->get();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->value, "tok-1");
  clock.t += 300s;  // now expired, refresh still failing
  auto gone = tm->get();
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().klass, qiao::ErrorClass::kTransient);
}

TEST(WecomToken, RefreshOnceOn42001AndRetryOnce) {
  auto tr = std::make_shared<FakeTransport>();
  auto tm = manager(tr, nullptr);
  w::Client client(tr, tm, "http://127.0.0.1:1");
  tr->send_errcodes = {42001};
  auto r = client.sendAppMessage("{}");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(tr->gettoken_count.load(), 2);
  ASSERT_EQ(tr->urls.size(), 4u);  // gettoken, send(tok-1), gettoken, send(tok-2)
  EXPECT_NE(tr->urls[1].find("access_token=tok-1"), std::string::npos);
  EXPECT_NE(tr->urls[3].find("access_token=tok-2"), std::string::npos);
}

TEST(WecomToken, TokenErrorTwiceIsNotRetriedAgain) {
  auto tr = std::make_shared<FakeTransport>();
  auto tm = manager(tr, nullptr);
  w::Client client(tr, tm, "http://127.0.0.1:1");
  tr->send_errcodes = {40014, 40014, 0};
  auto r = client.sendAppMessage("{}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().klass, qiao::ErrorClass::kAuthExpired);
  EXPECT_EQ(tr->gettoken_count.load(), 2);
  EXPECT_EQ(tr->urls.size(), 4u);
}

TEST(WecomToken, InvalidateIsCompareAndSet) {
  auto tr = std::make_shared<FakeTransport>();
  auto tm = manager(tr, nullptr);
  auto first = tm->get();
  ASSERT_TRUE(first.ok());
  tm->invalidate(first->generation);
  auto second = tm->get();
  ASSERT_EQ(second->value, "tok-2");
  tm->invalidate(first->generation);  // a late failure of the old token: ignored
  EXPECT_EQ(tm->get()->value, "tok-2");
  EXPECT_EQ(tr->gettoken_count.load(), 2);
}

TEST(WecomToken, RateLimitBlocksGettokenForTheWindow) {
  auto tr = std::make_shared<FakeTransport>();
  FakeClock clock;
  auto tm = manager(tr, &clock);
  tr->gettoken_errcodes = {45009};
  auto r1 = tm->get();
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code, qiao::ErrorCode::kRateLimited);
  EXPECT_EQ(r1.error().klass, qiao::ErrorClass::kTransient);
  clock.t += 30s;
  auto r2 = tm->get();
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(tr->gettoken_count.load(), 1);  // not asked again inside the window
  EXPECT_GT(r2.error().retry_after_ms, 0);
  EXPECT_LE(r2.error().retry_after_ms, 30'000);
  clock.t += 31s;
  auto r3 = tm->get();
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(tr->gettoken_count.load(), 2);
}

TEST(WecomToken, BadSecretIsPermanentAndNeverEchoed) {
  auto tr = std::make_shared<FakeTransport>();
  auto tm = manager(tr, nullptr);
  tr->gettoken_errcodes = {40001};
  auto r = tm->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().klass, qiao::ErrorClass::kPermanent);
  EXPECT_NE(r.error().message.find("40001"), std::string::npos);
  EXPECT_EQ(r.error().message.find("S3CRET"), std::string::npos);
}

TEST(WecomToken, FailedFlightIsSharedWithWaiters) {
  auto tr = std::make_shared<FakeTransport>();
  tr->gettoken_delay = 100ms;
  tr->gettoken_errcodes = {40013};
  auto tm = manager(tr, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      if (!tm->get().ok()) ++failures;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 8);
  EXPECT_EQ(tr->gettoken_count.load(), 1);
}

TEST(WecomToken, RobotNeedsNoTokenAndHidesTheKey) {
  auto tr = std::make_shared<FakeTransport>();
  w::Client client(tr, nullptr, "http://127.0.0.1:1");
  tr->send_errcodes = {93000};
  auto r = client.sendRobotMessage("ROBOT-KEY-123", "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("ROBOT-KEY"), std::string::npos);
  EXPECT_NE(r.error().message.find("93000"), std::string::npos);
  EXPECT_EQ(tr->gettoken_count.load(), 0);
  EXPECT_NE(tr->urls[0].find("/cgi-bin/webhook/send?key=ROBOT-KEY-123"), std::string::npos);
  EXPECT_FALSE(client.sendAppMessage("{}").ok());  // no corp configured
}

TEST(WecomToken, OneManagerPerCorpAndSecret) {
  auto tr = std::make_shared<FakeTransport>();
  auto a1 = w::sharedTokenManager(tr, "http://127.0.0.1:1", "corp-x", "secret-1");
  auto a2 = w::sharedTokenManager(tr, "http://127.0.0.1:1", "corp-x", "secret-1");
  auto b = w::sharedTokenManager(tr, "http://127.0.0.1:1", "corp-x", "secret-2");
  auto c = w::sharedTokenManager(tr, "http://127.0.0.1:1", "corp-y", "secret-1");
  EXPECT_EQ(a1.get(), a2.get());
  EXPECT_NE(a1.get(), b.get());
  EXPECT_NE(a1.get(), c.get());
  ASSERT_TRUE(a1->get().ok());
  ASSERT_TRUE(a2->get().ok());
  EXPECT_EQ(tr->gettoken_count.load(), 1);  // the second sink of the same app reuses the token
}

TEST(WecomToken, CallersKeepTheOldTokenWhileAnEarlyRefreshRuns) {
  auto tr = std::make_shared<FakeTransport>();
  FakeClock clock;
  auto tm = manager(tr, &clock);
  ASSERT_EQ(tm->get()->value, "tok-1");
  clock.t += 7000s;  // inside the margin, still valid
  tr->gettoken_delay = 200ms;
  std::thread refresher([&] { EXPECT_EQ(tm->get()->value, "tok-2"); });
  // Wait (bounded) until the refresh is in flight, then a second caller must not block.
  for (int i = 0; i < 5000 && tr->gettoken_count.load() < 2; ++i)
    std::this_thread::sleep_for(1ms);
  auto start = std::chrono::steady_clock::now();
  auto t = tm->get();
  auto waited = std::chrono::steady_clock::now() - start;
  refresher.join();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->value, "tok-1");
  EXPECT_LT(waited, 150ms);
  EXPECT_EQ(tr->gettoken_count.load(), 2);
}
