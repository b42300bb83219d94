// The checks of the sink conformance suite. See sink_conformance.h for how to instantiate it.
#include "qiao/testkit/sink_conformance.h"

#include <atomic>
#include <cctype>
#include <set>
#include <span>
#include <thread>

#include <unistd.h>

namespace qiao::testkit {

void PrintTo(const SinkConformanceCase& c, std::ostream* os) { *os << "SinkCase(" << c.name << ")"; }

std::string sinkConformanceCaseName(const ::testing::TestParamInfo<SinkConformanceCase>& info) {
  std::string out = info.param.name.empty() ? "case" + std::to_string(info.index) : info.param.name;
  for (char& ch : out)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return out;
}

namespace {
std::atomic<int> g_test_seq{0};

// A check that needs a hook the case lacks skips, and says which hook and why.
#define QIAO_NEED_EFFECTS()                                                   \
  do {                                                                        \
    if (!c().effects) {                                                       \
      GTEST_SKIP() << c().name                                                \
                   << ": no effects() hook, the target's effects are not observable"; \
    }                                                                         \
  } while (0)
#define QIAO_NEED_FAULTS()                                                    \
  do {                                                                        \
    if (!c().set_fault) {                                                     \
      GTEST_SKIP() << c().name << ": no set_fault() hook, the target cannot be made to fail"; \
    }                                                                         \
  } while (0)
}  // namespace

void SinkConformanceTest::SetUp() {
  ASSERT_TRUE(static_cast<bool>(c().make_sink)) << "a SinkConformanceCase needs make_sink";
  if (c().reset) c().reset();
  // Keys unique per test and per process run, so a target that outlives one test (or one
  // run) never dedupes a record of this test against an earlier one.
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  prefix_ = std::string("conf-") + info->name() + "-" + std::to_string(::getpid()) + "-" +
            std::to_string(g_test_seq.fetch_add(1));
  effects_base_ = c().effects ? c().effects() : 0;
}

void SinkConformanceTest::TearDown() {
  if (c().secret.empty()) return;
  std::lock_guard lock(seen_mu_);
  for (const auto& text : seen_)
    EXPECT_EQ(text.find(c().secret), std::string::npos) << "the secret leaked into: " << text;
}

Record SinkConformanceTest::record(const std::string& suffix) {
  Record r;
  std::string key = prefix_ + "-" + suffix;
  r.payload = R"({"conformance":true,"key":")" + key + R"(","amount":12.5,"customer":"客户A"})";
  r.entity = "order";
  r.source_system = "conformance";
  r.business_key = "SO-" + key;
  r.idempotency_key = "idem-" + key;
  r.trace_id = "trace-" + key;
  if (c().prepare) c().prepare(r);
  return r;
}

void SinkConformanceTest::noteText(const std::string& text) {
  std::lock_guard lock(seen_mu_);
  seen_.push_back(text);
}

void SinkConformanceTest::noteError(const Error& e) { noteText(e.message); }

Result<sdk::Delivery> SinkConformanceTest::deliver(sdk::Sink& sink, const Record& r) {
  auto d = sink.deliver(r);
  if (!d.ok()) noteError(d.error());
  return d;
}

int64_t SinkConformanceTest::effectsSinceStart() { return c().effects() - effects_base_; }

std::unique_ptr<sdk::Sink> SinkConformanceTest::makeSink() {
  auto s = c().make_sink();
  if (!s.ok()) {
    noteError(s.error());
    ADD_FAILURE() << c().name << ": make_sink failed: " << s.error().message;
    return nullptr;
  }
  EXPECT_NE(s.value(), nullptr) << c().name << ": make_sink returned a null sink";
  return std::move(s).value();
}

// (1) One delivery, one effect.
TEST_P(SinkConformanceTest, DeliverySucceedsWithOneEffect) {
  auto sink = makeSink();
  ASSERT_NE(sink, nullptr);
  auto d = deliver(*sink, record("a"));
  ASSERT_TRUE(d.ok()) << d.error().message;
  QIAO_NEED_EFFECTS();
  EXPECT_EQ(effectsSinceStart(), 1);
}

// (2) The same idempotency key twice: both calls succeed, the target has one effect.
TEST_P(SinkConformanceTest, SameKeyTwiceIsOneEffect) {
  auto sink = makeSink();
  ASSERT_NE(sink, nullptr);
  auto first = deliver(*sink, record("dup"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = deliver(*sink, record("dup"));
  ASSERT_TRUE(second.ok()) << second.error().message;
  if (c().stable_remote_ids && !first->remote_id.empty()) {
    EXPECT_EQ(second->remote_id, first->remote_id) << "a duplicate should answer the first id";
  }
  QIAO_NEED_EFFECTS();
  EXPECT_EQ(effectsSinceStart(), 1);
}

// (3) Different keys are different writes.
TEST_P(SinkConformanceTest, DistinctKeysAreDistinctEffects) {
  auto sink = makeSink();
  ASSERT_NE(sink, nullptr);
  std::set<std::string> ids;
  bool all_have_ids = true;
  for (int i = 0; i < 5; ++i) {
    auto d = deliver(*sink, record("k" + std::to_string(i)));
    ASSERT_TRUE(d.ok()) << d.error().message;
    if (d->remote_id.empty()) all_have_ids = false;
    ids.insert(d->remote_id);
  }
  if (all_have_ids) {
    EXPECT_EQ(ids.size(), 5u) << "distinct records got the same remote id";
  }
  QIAO_NEED_EFFECTS();
  EXPECT_EQ(effectsSinceStart(), 5);
}

// (4) deliverBatch: one result per record, in order. Order is checked by redelivering each
// record alone (idempotent: same remote id) and, with a fault hook, by where a failure lands.
TEST_P(SinkConformanceTest, BatchGivesOneResultPerRecordInOrder) {
  auto sink = makeSink();
  ASSERT_NE(sink, nullptr);
  std::vector<Record> batch;
  for (int i = 0; i < 6; ++i) batch.push_back(record("b" + std::to_string(i)));
  auto results = sink->deliverBatch(std::span<const Record>(batch));
  ASSERT_EQ(results.size(), batch.size());
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) noteError(results[i].error());
    ASSERT_TRUE(results[i].ok()) << "record " << i << ": " << results[i].error().message;
  }
  if (c().stable_remote_ids) {
    for (size_t i = 0; i < batch.size(); ++i) {
      if (results[i]->remote_id.empty()) continue;
      auto again = deliver(*sink, record("b" + std::to_string(i)));
      ASSERT_TRUE(again.ok()) << again.error().message;
      EXPECT_EQ(again->remote_id, results[i]->remote_id) << "result " << i << " is out of order";
    }
  }
  if (c().effects) {
    EXPECT_EQ(effectsSinceStart(), 6);
  }
  if (!c().set_fault) return;
  // A fault on the first record of a new batch fails that result only, and only it.
  c().set_fault(SinkFault::kPermanent);
  std::vector<Record> second;
  for (int i = 0; i < 3; ++i) second.push_back(record("f" + std::to_string(i)));
  auto r2 = sink->deliverBatch(std::span<const Record>(second));
  ASSERT_EQ(r2.size(), 3u);
  ASSERT_FALSE(r2[0].ok()) << "the faulted first record must fail in position 0";
  noteError(r2[0].error());
  EXPECT_EQ(toString(r2[0].error().klass), toString(ErrorClass::kPermanent));
  for (size_t i = 1; i < r2.size(); ++i) {
    if (!r2[i].ok()) noteError(r2[i].error());
    EXPECT_TRUE(r2[i].ok()) << "record " << i << ": " << r2[i].error().message;
  }
  if (c().effects) {
    EXPECT_EQ(effectsSinceStart(), 8);
  }
}

// (5) A transient failure is classed transient, and the retry lands exactly once.
TEST_P(SinkConformanceTest, TransientFaultThenRetrySucceeds) {
  QIAO_NEED_FAULTS();
  auto sink = makeSink();
  ASSERT_NE(sink, nullptr);
  c().set_fault(SinkFault::kTransient);
  auto first = deliver(*sink, record("t"));
  ASSERT_FALSE(first.ok()) << "the injected transient fault did not surface";
  EXPECT_EQ(toString(first.error().klass), toString(ErrorClass::kTransient)) << first.error().message;
  auto retry = deliver(*sink, record("t"));
  ASSERT_TRUE(retry.ok()) << retry.error().message;
  if (c().effects) {
    EXPECT_EQ(effectsSinceStart(), 1);
  }
}

// (6) A permanent failure is classed permanent and says why.
TEST_P(SinkConformanceTest, PermanentFaultIsPermanentWithAReason) {
  QIAO_NEED_FAULTS();
  auto sink = makeSink();
  ASSERT_NE(sink, nullptr);
  c().set_fault(SinkFault::kPermanent);
  auto d = deliver(*sink, record("p"));
  ASSERT_FALSE(d.ok()) << "the injected permanent fault did not surface";
  EXPECT_EQ(toString(d.error().klass), toString(ErrorClass::kPermanent)) << d.error().message;
  EXPECT_FALSE(d.error().message.empty());
  if (c().effects) {
    EXPECT_EQ(effectsSinceStart(), 0);
  }
}

// (7) One sink shared by 8 threads: every delivery succeeds and lands once.
TEST_P(SinkConformanceTest, ConcurrentDeliveriesAllLand) {
  constexpr int kThreads = 8, kEach = 25;
  auto sink = makeSink();
  ASSERT_NE(sink, nullptr);
  std::vector<Record> records;
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kEach; ++i)
      records.push_back(record("c" + std::to_string(t) + "-" + std::to_string(i)));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i)
        if (!deliver(*sink, records[t * kEach + i]).ok()) ++failures;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  QIAO_NEED_EFFECTS();
  EXPECT_EQ(effectsSinceStart(), kThreads * kEach);
}

// (8) A sink pointed at a live target reports healthy.
TEST_P(SinkConformanceTest, HealthyAgainstALiveTarget) {
  auto sink = makeSink();
  ASSERT_NE(sink, nullptr);
  auto h = sink->health();
  noteText(h.detail);
  EXPECT_TRUE(h.healthy) << h.detail;
}

// (9) The configured secret appears in no error (every test checks what it saw in
// TearDown; this one provokes every error the hooks can produce).
TEST_P(SinkConformanceTest, SecretNeverInErrors) {
  if (c().secret.empty()) GTEST_SKIP() << c().name << ": the case configures no secret";
  auto sink = makeSink();
  ASSERT_NE(sink, nullptr);
  noteText(sink->health().detail);
  int failures = 0;
  if (c().set_fault) {
    for (auto kind : {SinkFault::kTransient, SinkFault::kPermanent}) {
      c().set_fault(kind);
      if (!deliver(*sink, record("s")).ok()) ++failures;
    }
    EXPECT_EQ(failures, 2) << "both injected faults should have failed a delivery";
  }
  // TearDown checks every message seen; make sure there was something to check.
  std::lock_guard lock(seen_mu_);
  EXPECT_FALSE(seen_.empty());
}

}  // namespace qiao::testkit
