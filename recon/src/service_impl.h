// Service internals shared by service.cpp (ingest, run, manual), service_query.cpp (JSON
// answers) and report_workbook.cpp (the .xlsx report).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "qiao/core/timezone.h"
#include "qiao/recon/service.h"
#include "sqlite_recon_store.h"

namespace qiao::recon {

// Column positions in recon_payments / recon_orders rows (rows.h order).
namespace col {
inline constexpr std::size_t kPaySource = 1, kPayDate = 2, kPayerName = 3, kPayerAccount = 4,
                             kPayCustomer = 5, kPayRemark = 8, kPaySourceOrder = 9,
                             kPayReverses = 10, kPayPurpose = 11, kPayCustomerSource = 13,
                             kPayHeld = 15;
inline constexpr std::size_t kOrdErpBill = 1, kOrdDate = 5, kOrdPlanned = 6, kOrdPaidBefore = 7;
}  // namespace col

inline std::string cellText(const Row& row, std::size_t i) {
  return i < row.size() && row[i] ? *row[i] : std::string();
}

struct Service::Impl {
  // Which changed orders a commit hands out.
  enum class HandOut : uint8_t {
    kNone,     // ingest: changes are queued in recon_push_pending
    kPending,  // run / rematchAll: everything queued, plus this call's changes
    kOwn,      // manual: this call's changes only (others stay queued)
  };

  ServiceOptions opts;
  const Clock* clock = nullptr;
  std::shared_ptr<const TimeZone> tz;
  mutable std::mutex mu;
  std::unique_ptr<detail::ReconDb> db;
  std::optional<Engine> engine;
  // K/3 receipts split into one engine payment per entry: canonical id -> engine ids.
  std::map<std::string, std::vector<std::string>> sources;
  // Split receipts added since the last commit (their recon_sources rows are still to write).
  std::vector<std::string> new_sources;
  // Set when memory could not be brought back in line with the file: every call fails.
  std::optional<Error> broken;

  int scale() const { return opts.config.scale; }
  int64_t nowMs() const { return clock->nowMs(); }

  // Engine and sources from the file (what was committed).
  Status load();
  // After a failure: rollback, reload; if even that fails the service is broken.
  Error fail(Error e);
  // BEGIN; writeChanges; `extra` (more rows in the same transaction); push queue; COMMIT.
  Result<std::vector<OrderStatusChange>> persist(HandOut mode,
                                                 const std::function<Status()>& extra = {});
  // Parse + apply to the engine, no commit. *must_reload: the engine was changed half-way
  // (a multi-entry receipt failed after some entries) and must be reloaded from the file.
  Result<IngestOutcome> ingestOrder(std::string_view json);
  Result<IngestOutcome> ingestPayment(std::string_view json, bool* must_reload);
  Status writeNewSources();
  std::string changeJson(const OrderResult& r, int64_t at_ms) const;

  // The canonical id of an engine payment id ("K3#2" -> "K3" when K3 was split), else "".
  std::string receiptOf(const std::string& engine_id) const;
};

}  // namespace qiao::recon
