#include "completion_queue.h"

#include "qiao/core/log.h"

namespace qiao::runtime {

CompletionQueue::CompletionQueue(store::Store& store,
                                 std::function<void(const std::vector<store::Completion>&)> on_committed)
    : store_(store), on_committed_(std::move(on_committed)) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "qiao-complete");
    loop();
  });
}

CompletionQueue::~CompletionQueue() { stop(); }

void CompletionQueue::push(store::Completion c) {
  {
    std::lock_guard lock(mu_);
    pending_.push_back(std::move(c));
    ++pushed_;
  }
  cv_.notify_one();
}

void CompletionQueue::flush() {
  std::unique_lock lock(mu_);
  uint64_t target = pushed_;
  done_cv_.wait(lock, [&] { return committed_ >= target || !thread_.joinable(); });
}

void CompletionQueue::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void CompletionQueue::loop() {
  std::vector<store::Completion> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !pending_.empty() || stopping_; });
      if (pending_.empty() && stopping_) break;
      batch.swap(pending_);
    }
    // The store splits nothing: one call, one transaction. If it fails the messages keep
    // their leases, which expire, and they are delivered again.
    auto st = store_.complete(batch);
    if (!st.ok())
      log::error("delivery.complete_failed", {{"count", static_cast<long>(batch.size())},
                                              {"error", st.error().message}});
    on_committed_(batch);
    {
      std::lock_guard lock(mu_);
      committed_ += batch.size();
    }
    done_cv_.notify_all();
    batch.clear();
  }
  done_cv_.notify_all();
}

}  // namespace qiao::runtime
