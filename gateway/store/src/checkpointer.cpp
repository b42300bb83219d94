#include "checkpointer.h"

#include "qiao/core/log.h"

namespace qiao::store::sqlite {

Checkpointer::Checkpointer(std::unique_ptr<Conn> conn) : conn_(std::move(conn)) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "qiao-checkpoint");
    loop();
  });
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::attach(Conn& writer) { sqlite3_wal_hook(writer.raw(), &walHook, this); }

// Runs on the writer thread right after each commit, with the WAL size in pages.
int Checkpointer::walHook(void* self, sqlite3* db, const char* schema, int pages) {
  auto* cp = static_cast<Checkpointer*>(self);
  if (pages >= kBackstopPages) {
    // The background thread is not keeping up (or a reader pins the WAL): do it inline
    // rather than let the WAL grow without bound.
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (pages >= kThresholdPages) {
    std::lock_guard<std::mutex> lock(cp->mu_);
    cp->wanted_ = true;
    cp->cv_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || wanted_; });
      if (stopping_) return;
      wanted_ = false;
    }
    int rc = sqlite3_wal_checkpoint_v2(conn_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                       nullptr, nullptr);
    // Under constant writes the hook asks again after every commit; pages rewritten many
    // times (index pages, a message's status) are copied once per pause instead.
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(kMinIntervalMs), [&] { return stopping_; });
    if (rc != SQLITE_OK && !isBusy(rc)) {
      log::warn("store.checkpoint_failed", {{"error", sqlite3_errmsg(conn_->raw())}});
    }
  }
}

}  // namespace qiao::store::sqlite
