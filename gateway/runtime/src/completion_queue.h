// Completions are written back in batches by one thread, so a delivery worker never waits
// for a commit: many outcomes share one transaction. A crash before the commit only means
// the message is delivered again (its idempotency key keeps the effect single).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "qiao/store/store.h"

namespace qiao::runtime {

class CompletionQueue {
 public:
  // on_committed runs on the queue's thread after each batch (successful or not).
  CompletionQueue(store::Store& store, std::function<void(const std::vector<store::Completion>&)> on_committed);
  ~CompletionQueue();

  void push(store::Completion c);
  // Blocks until everything pushed so far is committed.
  void flush();
  // Flushes, then stops the thread.
  void stop();

 private:
  void loop();

  store::Store& store_;
  std::function<void(const std::vector<store::Completion>&)> on_committed_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::vector<store::Completion> pending_;
  uint64_t pushed_ = 0;
  uint64_t committed_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace qiao::runtime
