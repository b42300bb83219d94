// Moves WAL checkpoints off the group-commit path. sqlite's auto-checkpoint runs inside the
// COMMIT that crosses the threshold, adding a db-file write and fsync to that batch's latency;
// here a separate connection runs PASSIVE checkpoints on its own thread instead.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "sqlite_db.h"

namespace qiao::store::sqlite {

class Checkpointer {
 public:
  static constexpr int kThresholdPages = 1000;        // sqlite's own default
  static constexpr int kBackstopPages = 20 * kThresholdPages;  // then the writer does it
  static constexpr int kMinIntervalMs = 500;          // between background checkpoints

  explicit Checkpointer(std::unique_ptr<Conn> conn);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Replaces auto-checkpointing on the write connection with a hook that wakes this thread.
  void attach(Conn& writer);

 private:
  static int walHook(void* self, sqlite3* db, const char* schema, int pages);
  void loop();

  std::unique_ptr<Conn> conn_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace qiao::store::sqlite
