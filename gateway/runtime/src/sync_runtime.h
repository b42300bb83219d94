// The sync's runtime state inside the gateway, shared by sync.cpp (sink, writes, confirmations)
// and sync_first.cpp (the first sync). Private to gateway/runtime.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "qiao/config/config.h"
#include "qiao/core/timezone.h"
#include "qiao/mapping/mapping.h"
#include "qiao/mapping/path.h"
#include "qiao/sdk/connector.h"
#include "qiao/sync/service.h"

namespace qiao::runtime {

// One inbound customer waiting in a batch (syncDeliver).
struct SyncBatchItem {
  std::string side, id, canonical, modified;
  bool done = false;
  Result<sdk::Delivery> outcome = Error::transient(ErrorCode::kInternal, "not planned");
};

struct SyncRuntime {
  struct Side {
    const config::SyncSideConfig* cfg = nullptr;
    std::shared_ptr<const mapping::MappingPlan> plan;  // null: the side speaks canonical JSON
    mapping::Path id_path, modified_path;  // cfg's pointers, compiled (empty: not configured)
  };
  std::unique_ptr<sync::Service> svc;
  std::map<std::string, Side> sides;               // side name -> its settings
  std::map<std::string, std::string> by_source;    // record.source_system -> side
  std::map<std::string, std::string> by_route;     // write route -> side
  std::shared_ptr<const TimeZone> zone;            // naive modification times are in this zone
  std::atomic<bool> enqueue_failed{false};         // re-enqueue every pending write next time

  // Inbound customers delivered at the same time are planned in one ingestCycle: the first
  // caller leads, waits batch_window for more, plans all and hands each caller its outcome.
  std::mutex batch_mu;
  std::condition_variable batch_cv;
  std::vector<SyncBatchItem*> waiting;
  bool leading = false;

  // Confirmations of the sync's own writes are committed together (group commit, no window):
  // the first caller confirms everything waiting in one confirmWrites; whoever arrives
  // meanwhile goes in the next one.
  struct Confirm {
    sync::Service::Confirmation c;
    bool done = false;
    Result<sdk::Delivery> outcome = Error::transient(ErrorCode::kInternal, "not confirmed");
  };
  std::mutex confirm_mu;
  std::condition_variable confirm_cv;
  std::vector<Confirm*> confirm_waiting;
  bool confirm_leading = false;
};

}  // namespace qiao::runtime
