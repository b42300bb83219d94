// Group commit under concurrent callers, and two stores (as two processes) sharing one file.
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store_test_util.h"

namespace qiao::store::testing {
namespace {

TEST_F(StoreTest, ConcurrentIngestFromEightThreads) {
  store_.reset();
  store_ = open(/*sync_full=*/true);
  ASSERT_NE(store_, nullptr);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::vector<std::vector<int64_t>> got(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Half of them carry an idempotency key (all distinct): both insert paths are used.
        std::string key = i % 2 ? "t" + std::to_string(t) + "-" + std::to_string(i) : "";
        std::vector<NewMessage> one{msg("r", std::to_string(t * kPerThread + i), key)};
        auto r = store_->ingest(one, kT0);
        if (!r.ok() || r->size() != 1 || (*r)[0].duplicate) {
          ++failures;
          continue;
        }
        got[t].push_back((*r)[0].id);
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);

  std::set<int64_t> distinct;
  for (const auto& v : got) distinct.insert(v.begin(), v.end());
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kThreads * kPerThread));

  // Every returned id is a stored row holding the payload its caller sent.
  std::map<int64_t, std::string> stored;
  MessageFilter f;
  f.limit = 1000;
  for (int page = 0; page < 100; ++page) {
    auto r = store_->listMessages(f);
    ASSERT_TRUE(r.ok());
    if (r->empty()) break;
    for (const auto& m : *r) stored[m.id] = m.record.payload;
    f.after_id = r->back().id;
  }
  ASSERT_EQ(stored.size(), static_cast<size_t>(kThreads * kPerThread));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      ASSERT_EQ(stored[got[t][i]], std::to_string(t * kPerThread + i));
    }
  }
}

TEST_F(StoreTest, ConcurrentDuplicatesResolveToOneId) {
  // Eight threads race to ingest the same 50 keys: each key ends up as exactly one row.
  std::vector<std::thread> threads;
  std::mutex mu;
  std::map<std::string, std::set<int64_t>> ids_by_key;
  std::atomic<int> fresh{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        std::string key = "k" + std::to_string(i);
        std::vector<NewMessage> one{msg("r", "p", key)};
        auto r = store_->ingest(one, kT0);
        ASSERT_TRUE(r.ok());
        if (!(*r)[0].duplicate) ++fresh;
        std::lock_guard<std::mutex> lock(mu);
        ids_by_key[key].insert((*r)[0].id);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(fresh.load(), 50);
  ASSERT_EQ(ids_by_key.size(), 50u);
  for (const auto& [key, ids] : ids_by_key) EXPECT_EQ(ids.size(), 1u) << key;
}

TEST_F(StoreTest, TwoStoresOnOneFileNeverClaimTheSameMessage) {
  constexpr int kMessages = 1500;
  std::vector<NewMessage> batch;
  for (int i = 0; i < kMessages; ++i) {
    // Some ordered keys too, so the ordering check runs under contention.
    batch.push_back(msg("r", std::to_string(i), "", i % 3 == 0 ? "key" + std::to_string(i % 7)
                                                               : ""));
  }
  auto ing = store_->ingest(batch, kT0);
  ASSERT_TRUE(ing.ok());

  std::unique_ptr<Store> second = open();
  ASSERT_NE(second, nullptr);
  Store* stores[2] = {store_.get(), second.get()};

  std::mutex mu;
  std::map<int64_t, int> claims;  // id -> times claimed
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {  // two claimers per store
    threads.emplace_back([&, t] {
      Store* s = stores[t % 2];
      ClaimRequest req;
      req.worker_id = "w" + std::to_string(t);
      req.routes = {"r"};
      req.limit = 16;
      req.now_ms = kT0 + 1;
      req.lease_ms = 600000;  // never expires during the test
      int empty_rounds = 0;
      for (int round = 0; round < 5000 && empty_rounds < 20; ++round) {
        auto r = s->claim(req);
        if (!r.ok()) {
          ++errors;
          continue;
        }
        if (r->empty()) {
          ++empty_rounds;
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          continue;
        }
        empty_rounds = 0;
        std::vector<Completion> done;
        {
          std::lock_guard<std::mutex> lock(mu);
          for (const auto& m : *r) {
            ++claims[m.id];
            Completion c;
            c.message_id = m.id;
            c.attempt = m.attempt;
            c.kind = Completion::Kind::kDelivered;
            c.worker = req.worker_id;
            c.now_ms = kT0 + 2;
            done.push_back(c);
          }
        }
        if (!s->complete(done).ok()) ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(claims.size(), static_cast<size_t>(kMessages));
  for (const auto& [id, n] : claims) ASSERT_EQ(n, 1) << "message " << id << " claimed " << n;
  auto depths = store_->queueDepths();
  ASSERT_TRUE(depths.ok());
  EXPECT_TRUE(depths->empty());  // everything delivered
}

}  // namespace
}  // namespace qiao::store::testing
