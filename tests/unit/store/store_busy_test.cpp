// Another process holding the write lock: writes wait and retry, fail cleanly when it is held
// too long, reads keep working (WAL), and one failing op does not fail its batch neighbours.
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "store_test_util.h"

namespace qiao::store::testing {
namespace {

// A raw connection standing in for another gateway process.
class OtherProcess {
 public:
  explicit OtherProcess(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~OtherProcess() { sqlite3_close(db_); }
  bool exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }
 private:
  sqlite3* db_ = nullptr;
};

class BusyTest : public StoreTest {
 protected:
  void SetUp() override {
    SqliteOptions o;
    o.path = dir_.file("db/qiao.db");
    o.synchronous_full = false;
    o.busy_timeout_ms = 20;  // keep the "held too long" case short
    auto r = openSqliteStore(o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    store_ = std::move(r).value();
  }
};

TEST_F(BusyTest, WriteFailsCleanlyWhileAnotherProcessHoldsTheLock) {
  int64_t id = ingestOne(msg("r", "before"));
  OtherProcess other(dir_.file("db/qiao.db"));
  ASSERT_TRUE(other.exec("BEGIN IMMEDIATE"));
  std::vector<NewMessage> one{msg("r", "blocked")};
  auto r = store_->ingest(one, kT0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kStoreBusy);
  EXPECT_EQ(r.error().klass, ErrorClass::kTransient);
  EXPECT_NE(r.error().message.find("ingest"), std::string::npos) << r.error().message;
  // Reads do not need the write lock.
  EXPECT_EQ(get(id).record.payload, "before");
  ASSERT_TRUE(other.exec("COMMIT"));
  auto ok = store_->ingest(one, kT0);
  EXPECT_TRUE(ok.ok());
}

TEST_F(BusyTest, WriteRetriesUntilTheLockIsReleased) {
  OtherProcess other(dir_.file("db/qiao.db"));
  ASSERT_TRUE(other.exec("BEGIN IMMEDIATE"));
  std::atomic<bool> done{false};
  bool ok = false;
  std::thread writer([&] {
    std::vector<NewMessage> one{msg("r", "waited")};
    auto r = store_->ingest(one, kT0);
    ok = r.ok();
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(60));  // a few busy retries
  EXPECT_FALSE(done.load());  // durable-before-return: it cannot have committed
  ASSERT_TRUE(other.exec("COMMIT"));
  writer.join();
  EXPECT_TRUE(ok);
  MessageFilter f;
  auto list = store_->listMessages(f);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(BusyTest, FailingOpDoesNotFailItsBatch) {
  ASSERT_TRUE(store_->putApiKey({"k1", "hash-1", "admin", "a", kT0, false}).ok());
  // Hold the lock so that the following writes queue up and commit as one group.
  OtherProcess other(dir_.file("db/qiao.db"));
  ASSERT_TRUE(other.exec("BEGIN IMMEDIATE"));
  Status clash, good1, good2;
  std::thread t1([&] { clash = store_->putApiKey({"k2", "hash-1", "admin", "b", kT0, false}); });
  std::thread t2([&] { good1 = store_->setWatermark("w", "1", kT0); });
  std::thread t3([&] { good2 = store_->putXref({"customer", "erp", "C1", "9", kT0}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(other.exec("COMMIT"));
  t1.join();
  t2.join();
  t3.join();
  EXPECT_FALSE(clash.ok());
  EXPECT_TRUE(good1.ok());
  EXPECT_TRUE(good2.ok());
  auto wm = store_->getWatermark("w");
  ASSERT_TRUE(wm.ok() && wm->has_value());
  auto x = store_->findXrefByLocal("customer", "erp", "C1");
  ASSERT_TRUE(x.ok() && x->has_value());
  auto keys = store_->listApiKeys();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 1u);
}

}  // namespace
}  // namespace qiao::store::testing

namespace qiao::store::testing {
namespace {

// The database file only receives pages through checkpoints: once the WAL has passed the
// threshold, the background checkpointer must have copied them while the store stays open.
TEST_F(StoreTest, WalIsCheckpointedInTheBackground) {
  const std::string db = dir_.file("db/qiao.db");
  std::string payload = "{\"blob\":\"" + std::string(3000, 'x') + "\"}";
  for (int n = 0; n < 40; ++n) {
    std::vector<NewMessage> batch;
    for (int i = 0; i < 50; ++i) batch.push_back(msg("r", payload));
    ASSERT_TRUE(store_->ingest(batch, kT0).ok());
  }
  bool grown = testkit::waitFor(
      [&] { return std::filesystem::file_size(db) > 4u * 1024 * 1024; }, 10000);
  EXPECT_TRUE(grown) << "db file size " << std::filesystem::file_size(db);
  store_.reset();
  store_ = open();
  MessageFilter f;
  f.limit = 5000;
  auto all = store_->listMessages(f);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2000u);
}

}  // namespace
}  // namespace qiao::store::testing
