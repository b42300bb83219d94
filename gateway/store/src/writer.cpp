#include "writer.h"

#include <pthread.h>
#include <algorithm>
#include <chrono>
#include <exception>
#include <random>

#include "qiao/core/log.h"

namespace qiao::store::sqlite {
namespace {

bool isBusyStatus(const Status& s) {
  return !s.ok() && s.error().code == ErrorCode::kStoreBusy;
}

Status runGuarded(const char* name, const Writer::OpFn& fn, Conn& conn) {
  try {
    return fn(conn);
  } catch (const std::exception& e) {
    return Error::permanent(ErrorCode::kInternal, std::string("store: ") + name + ": " + e.what());
  }
}

}  // namespace

Writer::Writer(std::unique_ptr<Conn> conn, int max_batch, int busy_retry_ms)
    : conn_(std::move(conn)), max_batch_(std::max(1, max_batch)), busy_retry_ms_(busy_retry_ms) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "qiao-writer");
    loop();
  });
}

Writer::~Writer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status Writer::run(const char* name, OpFn fn) {
  Op op;
  op.name = name;
  op.fn = std::move(fn);
  return submit(op);
}

Status Writer::runExclusive(const char* name, OpFn fn) {
  Op op;
  op.name = name;
  op.fn = std::move(fn);
  op.exclusive = true;
  return submit(op);
}

int64_t Writer::commits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return commits_;
}

Status Writer::submit(Op& op) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) {
    return Error::permanent(ErrorCode::kStoreError,
                            std::string("store: ") + op.name + ": store is closing");
  }
  queue_.push_back(&op);
  work_cv_.notify_one();
  op.cv.wait(lock, [&] { return op.done; });
  return op.status;
}

void Writer::loop() {
  std::deque<Op*> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      if (queue_.front()->exclusive) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      } else {
        while (!queue_.empty() && !queue_.front()->exclusive &&
               static_cast<int>(batch.size()) < max_batch_) {
          batch.push_back(queue_.front());
          queue_.pop_front();
        }
      }
    }
    if (batch.front()->exclusive) {
      batch.front()->status = runGuarded(batch.front()->name, batch.front()->fn, *conn_);
    } else {
      runBatch(batch);
    }
    {
      // Notify under the lock: once a caller sees done it returns and its Op is destroyed.
      std::lock_guard<std::mutex> lock(mu_);
      for (Op* op : batch) {
        op->done = true;
        op->cv.notify_one();
      }
      ++commits_;
    }
    batch.clear();
  }
}

void Writer::runBatch(std::deque<Op*>& batch) {
  auto start = std::chrono::steady_clock::now();
  auto give_up = start + std::chrono::milliseconds(busy_retry_ms_);
  std::minstd_rand rng(static_cast<unsigned>(start.time_since_epoch().count()));
  for (int attempt = 0;; ++attempt) {
    bool retry = false;
    conn_->clearBusy();
    Status s = commitBatch(batch, &retry);
    if (s.ok()) return;
    if (!retry || std::chrono::steady_clock::now() >= give_up) {
      // Nothing of this transaction is durable: every op in it fails with the cause.
      for (Op* op : batch) {
        op->status = Error{s.error().code, s.error().klass,
                           std::string("store: ") + op->name + ": " + s.error().message, 0};
      }
      log::warn("store.batch_failed",
                {{"ops", static_cast<long>(batch.size())}, {"error", s.error().message}});
      return;
    }
    // Another process holds the write lock past busy_timeout: back off a little, with jitter.
    int ms = std::min(50, 1 << std::min(attempt, 6)) + static_cast<int>(rng() % 5);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
}

Status Writer::commitBatch(std::deque<Op*>& batch, bool* retry) {
  Conn& c = *conn_;
  auto abort = [&](Status s) {
    if (sqlite3_get_autocommit(c.raw()) == 0) (void)c.execScript("rollback", "ROLLBACK");
    *retry = isBusyStatus(s) || c.sawBusy();
    return s;
  };
  Status s = c.execCached("begin", "BEGIN IMMEDIATE");
  if (!s.ok()) return abort(s);
  for (Op* op : batch) {
    s = c.execCached("savepoint", "SAVEPOINT op");
    if (!s.ok()) return abort(s);
    op->status = runGuarded(op->name, op->fn, c);
    if (c.sawBusy()) {
      // A lock problem inside our own write transaction: retry everything, not just this op.
      return abort(op->status.ok() ? Status(makeError(op->name, SQLITE_BUSY, "")) : op->status);
    }
    if (!op->status.ok()) {
      s = c.execCached("rollback to savepoint", "ROLLBACK TO op");
      if (!s.ok()) return abort(s);
    }
    s = c.execCached("release savepoint", "RELEASE op");
    if (!s.ok()) return abort(s);
  }
  s = c.execCached("commit", "COMMIT");
  if (!s.ok()) return abort(s);
  return Status::okStatus();
}

}  // namespace qiao::store::sqlite
