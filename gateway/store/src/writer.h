// Group commit: one thread owns the write connection. Callers submit operations and block;
// the thread runs up to max_batch of them inside one BEGIN IMMEDIATE ... COMMIT (each inside
// its own SAVEPOINT, so one failure does not fail the others) and wakes every caller after
// the single fsync of the commit.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "qiao/core/result.h"
#include "sqlite_db.h"

namespace qiao::store::sqlite {

class Writer {
 public:
  // The function may run more than once (the whole batch is retried when another process
  // holds the lock or the commit fails transiently): it must reset its outputs first.
  using OpFn = std::function<Status(Conn&)>;

  // busy_retry_ms: how long a batch keeps retrying while another process holds the lock
  // (each BEGIN IMMEDIATE already waits busy_timeout inside sqlite).
  Writer(std::unique_ptr<Conn> conn, int max_batch, int busy_retry_ms);
  ~Writer();  // finishes queued operations, then stops
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Runs fn inside the next group transaction; returns once it is committed (or failed).
  Status run(const char* name, OpFn fn);
  // Runs fn alone, outside any transaction (it manages its own: migrations).
  Status runExclusive(const char* name, OpFn fn);

  int64_t commits() const;  // transactions committed so far (for benchmarks)

 private:
  struct Op {
    const char* name = "";
    OpFn fn;
    bool exclusive = false;
    bool done = false;
    Status status;
    std::condition_variable cv;  // per caller: waking everyone per batch would stampede
  };
  Status submit(Op& op);
  void loop();
  void runBatch(std::deque<Op*>& batch);
  Status commitBatch(std::deque<Op*>& batch, bool* retry);

  std::unique_ptr<Conn> conn_;
  const int max_batch_;
  const int busy_retry_ms_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<Op*> queue_;
  bool stopping_ = false;
  int64_t commits_ = 0;
  std::thread thread_;
};

}  // namespace qiao::store::sqlite
