// Shared fixture for the store tests: a fresh database file per test, fixed clock values.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "qiao/store/store.h"
#include "qiao/testkit/testkit.h"

namespace qiao::store::testing {

constexpr int64_t kT0 = 1'700'000'000'000;  // a fixed "now" in ms

inline NewMessage msg(const std::string& route, const std::string& payload,
                      const std::string& idem = "", const std::string& order_key = "",
                      const std::string& business_key = "") {
  NewMessage m;
  m.route = route;
  m.record.payload = payload;
  m.record.entity = "order";
  m.record.source_system = "crm";
  m.record.business_key = business_key;
  m.record.idempotency_key = idem;
  m.record.trace_id = "trace-" + payload;
  m.order_key = order_key;
  return m;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = open(); }

  std::unique_ptr<Store> open(bool sync_full = false) {
    SqliteOptions o;
    o.path = dir_.file("db/qiao.db");  // the parent directory does not exist yet
    o.synchronous_full = sync_full;
    auto r = openSqliteStore(o);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : nullptr;
  }

  int64_t ingestOne(const NewMessage& m, int64_t now = kT0) {
    std::vector<NewMessage> v{m};
    auto r = store_->ingest(v, now);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->at(0).id : 0;
  }

  std::vector<Message> claim(const std::string& worker, std::vector<std::string> routes,
                             int limit, int64_t now, int64_t lease_ms = 30000) {
    ClaimRequest req;
    req.worker_id = worker;
    req.routes = std::move(routes);
    req.limit = limit;
    req.now_ms = now;
    req.lease_ms = lease_ms;
    auto r = store_->claim(req);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : std::vector<Message>{};
  }

  Status completeOne(const Message& m, Completion::Kind kind, int64_t now,
                     const std::string& error = "", int64_t next_attempt = 0) {
    Completion c;
    c.message_id = m.id;
    c.attempt = m.attempt;
    c.kind = kind;
    c.remote_id = kind == Completion::Kind::kDelivered ? "R-" + std::to_string(m.id) : "";
    c.error = error;
    c.error_class = error.empty() ? "" : "permanent";
    c.next_attempt_at_ms = next_attempt;
    c.latency_us = 1234;
    c.worker = m.claimed_by;
    c.now_ms = now;
    std::vector<Completion> v{c};
    return store_->complete(v);
  }

  Message get(int64_t id) {
    auto r = store_->getMessage(id);
    EXPECT_TRUE(r.ok() && r->has_value());
    return r.ok() && r->has_value() ? **r : Message{};
  }

  static std::vector<int64_t> ids(const std::vector<Message>& ms) {
    std::vector<int64_t> out;
    for (const auto& m : ms) out.push_back(m.id);
    return out;
  }

  testkit::TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace qiao::store::testing
